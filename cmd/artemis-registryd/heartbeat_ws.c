/*
 * heartbeat_ws.c — /ws/registry/heartbeat (§8.2): every text message is a
 * HeartbeatRequest, answered with exactly one HeartbeatResponse. Runs on the
 * WebSocket loop thread; a heartbeat only does atomic stores into the table, so the
 * loop never waits on the writer lock unless a peer-style upsert is needed (never
 * on this door).
 */
#include <string.h>

#include "log.h"
#include "registryd.h"
#include "ws.h"

static void
on_text(struct ws_conn *c, const char *msg, size_t len, void *arg)
{
	struct registryd *d = arg;
	struct sbuf out = SBUF_INIT;

	(void)registry_process(d, OP_HEARTBEAT, PATH_WEBSOCKET, msg, len, &out);
	if (ws_send_text(c, out.s, out.len) == -1)
		log_debug("heartbeat session %llu: outbound queue full, closed",
		    (unsigned long long)ws_conn_id(c));
	sbuf_free(&out);
}

/* connections.json on the other daemons reports these sessions too */
static void
on_open_close(struct ws_conn *c, void *arg)
{
	struct registryd *d = arg;

	(void)c;
	status_ws_publish(&d->node);
}

struct ws_server *
heartbeat_ws_start(struct registryd *d)
{
	struct ws_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.path = "/ws/registry/heartbeat";
	ep.blacklist = d->cfg.heartbeat_ws_blacklist;
	ep.on_text = on_text;
	ep.on_open = on_open_close;
	ep.on_close = on_open_close;
	ep.arg = d;
	return ws_server_start(&d->cfg, &ep, 1);
}
