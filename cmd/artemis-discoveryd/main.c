/*
 * artemis-discoveryd — answers consumers: lookup.json, service(s).json,
 * services-delta.json, instance-change WebSocket pushes, from the shared instance
 * table (read-only) without ever blocking its writer.
 *
 * Start-up order matters for the warm start: attach the table (waiting for
 * registryd to create it), load every instance, and only then listen, so a
 * restarted discoveryd never answers a registered service as empty.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "discoveryd.h"
#include "http.h"
#include "log.h"
#include "ratelimit.h"
#include "table.h"
#include "ws.h"

#define MAX_ROUTES	32
#define ATTACH_RETRY_MS	100

static struct discoveryd	 discoveryd;
struct discoveryd		*env = &discoveryd;

static size_t
ws_counts(void *arg, size_t *registry, size_t *discovery)
{
	(void)arg;
	*registry = 0;
	*discovery = env->ws != NULL ? ws_count(env->ws, EP_INSTANCE_CHANGE) : 0;
	return *discovery;
}

/* connections.json on the other daemons reports the instance-change sessions
 * too: wrap push.c's open/close callbacks to publish the count. */
static struct ws_endpoint push_ic;

static void
ic_open(struct ws_conn *c, void *arg)
{
	if (push_ic.on_open != NULL)
		push_ic.on_open(c, arg);
	status_ws_publish(&env->node);
}

static void
ic_close(struct ws_conn *c, void *arg)
{
	if (push_ic.on_close != NULL)
		push_ic.on_close(c, arg);
	status_ws_publish(&env->node);
}

/* Wait for registryd to create the table; SIGTERM while waiting exits cleanly. */
static int
attach_table(void)
{
	char err[512];
	int sig, warned = 0;

	if (config_state_path(env->cfg, TABLE_FILE, env->table_path,
	    sizeof(env->table_path)) == -1)
		fatalx("state directory path too long");
	for (;;) {
		if ((env->table = table_open_reader(env->table_path, err,
		    sizeof(err))) != NULL)
			return 0;
		if (!warned++)
			log_info("waiting for the instance table: %s", err);
		if ((sig = http_wait_for_signal(ATTACH_RETRY_MS)) != 0) {
			log_info("signal %d while waiting for the table", sig);
			return -1;
		}
	}
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	struct ws_endpoint eps[2];
	struct http_route routes[MAX_ROUTES];
	struct http_server *http;
	size_t n;
	int sig;

	config_daemon_main(argc, argv, "artemis-discoveryd", &cfg);
	http_block_signals();
	if (!cfg.discoveryd_listen.set)
		fatalx("%s: [discoveryd] listen is not set", cfg.file);
	env->cfg = &cfg;
	env->node.cfg = &cfg;
	env->node.self_url = cfg.discovery_url;
	env->node.rl_cluster = ratelimit_new(cfg.rl_cluster, cfg.rl_cluster_map);
	env->node.rl_status = ratelimit_new(cfg.rl_status, cfg.rl_status_map);
	env->node.ws_counts = ws_counts;
	env->node.ws_own = STATUS_WS_DISCOVERY;
	cache_init();

	if (attach_table() == -1)
		return 0;
	env->node.table = env->table;
	mgmt_init();
	follower_init();
	snapshot_init();

	push_endpoints(eps);
	push_ic = eps[EP_INSTANCE_CHANGE];
	eps[EP_INSTANCE_CHANGE].on_open = ic_open;
	eps[EP_INSTANCE_CHANGE].on_close = ic_close;
	if ((env->ws = ws_server_start(&cfg, eps, push_nendpoints)) == NULL)
		fatalx("cannot start the WebSocket loop");
	status_ws_publish(&env->node);	/* none yet */
	follower_start(env->ws);
	mgmt_start(env->ws);

	n = lookup_routes(routes, MAX_ROUTES);
	n += status_routes(&env->node, routes + n, MAX_ROUTES - n);
	if ((http = http_server_start(&cfg, &cfg.discoveryd_listen, routes, n,
	    env->ws)) == NULL)
		fatalx("cannot listen on %s:%d", cfg.discoveryd_listen.host,
		    cfg.discoveryd_listen.port);
	log_info("serving discovery on %s:%d", cfg.discoveryd_listen.host,
	    cfg.discoveryd_listen.port);

	while ((sig = http_wait_for_signal(-1)) == 0)
		;
	log_info("signal %d, stopping", sig);
	ws_server_stop(env->ws);
	http_server_stop(http);
	snapshot_clear();
	cache_clear();
	return 0;
}
