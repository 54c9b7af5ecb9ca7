/*
 * artemis-registryd — leases: register, heartbeat, unregister, expiry,
 * self-preservation, rate limits. The sole writer of the instance table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bus.h"
#include "command.h"
#include "http.h"
#include "log.h"
#include "registryd.h"
#include "table.h"
#include "ws.h"

#define MAX_ROUTES	32

static struct registryd daemon_state;

static size_t
ws_counts(void *arg, size_t *registry, size_t *discovery)
{
	struct registryd *d = arg;

	*registry = d->ws ? ws_count(d->ws, -1) : 0;
	*discovery = 0;
	return 0;
}

static void
open_table(struct registryd *d)
{
	char path[PATH_MAX], err[512];
	int existed;
	struct stat st;

	if (mkdir(d->cfg.state_dir, 0755) == -1 && errno != EEXIST)
		fatal("state directory %s", d->cfg.state_dir);
	if (config_state_path(&d->cfg, TABLE_FILE, path, sizeof(path)) == -1)
		fatalx("state directory path too long");
	existed = stat(path, &st) == 0;
	if ((d->table = table_open_writer(path, d->cfg.capacity, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (existed) {
		/* a restart must not expire what clients could not renew meanwhile */
		table_rearm_all(d->table, now_ms());
		log_info("re-attached %s: %u instances, leases re-armed", path,
		    table_live(d->table));
	} else
		log_info("created %s (capacity %u)", path, table_capacity(d->table));
	atomic_store(&table_header(d->table)->reg.started_ms, now_ms());
}

static void
make_limiters(struct registryd *d)
{
	const struct config *c = &d->cfg;

	d->rl_registry = ratelimit_new(c->rl_registry, c->rl_registry_map);
	d->rl_replication = ratelimit_new(c->rl_replication, c->rl_replication_map);
	d->rl_cluster = ratelimit_new(c->rl_cluster, c->rl_cluster_map);
	d->rl_status = ratelimit_new(c->rl_status, c->rl_status_map);
	if (!d->rl_registry || !d->rl_replication || !d->rl_cluster || !d->rl_status)
		fatalx("bad [ratelimit] map");
}

int
main(int argc, char **argv)
{
	struct registryd *d = &daemon_state;
	struct http_route routes[MAX_ROUTES];
	struct http_server *http;
	struct command_server *cmd;
	size_t n;
	int sig;

	http_block_signals();
	config_daemon_main(argc, argv, "artemis-registryd", &d->cfg);
	if (!d->cfg.registryd_listen.set)
		fatalx("%s: [registryd] listen is not set", d->cfg.file);
	pthread_mutex_init(&d->write_lock, NULL);
	pthread_mutex_init(&d->safe_lock, NULL);
	open_table(d);
	make_limiters(d);
	d->plans = plan_cache_new(d->cfg.heartbeat_cache);
	if ((d->bus = bus_pub_open(d->cfg.state_dir, BUS_REGISTRY)) == NULL)
		log_warnx("bus unavailable; readers will poll the table");

	d->node.cfg = &d->cfg;
	d->node.self_url = d->cfg.registry_url;
	d->node.table = d->table;
	d->node.rl_cluster = d->rl_cluster;
	d->node.rl_status = d->rl_status;
	d->node.ws_counts = ws_counts;
	d->node.ws_counts_arg = d;
	d->node.ws_own = STATUS_WS_REGISTRY;

	lease_start(d);
	/* the replicator applies bootstrap registrations through this channel */
	cmd = command_start(d);
	if ((d->ws = heartbeat_ws_start(d)) == NULL)
		fatalx("cannot start the WebSocket loop");
	status_ws_publish(&d->node);	/* none yet, whatever a predecessor left */
	n = registry_routes(d, routes, MAX_ROUTES);
	n += status_routes(&d->node, routes + n, MAX_ROUTES - n);
	http = http_server_start(&d->cfg, &d->cfg.registryd_listen, routes, n, d->ws);
	if (http == NULL)
		fatalx("cannot listen on %s:%d", d->cfg.registryd_listen.host,
		    d->cfg.registryd_listen.port);
	http_server_set_metrics(http, lease_metrics, d);
	log_info("serving on %s:%d", d->cfg.registryd_listen.host,
	    d->cfg.registryd_listen.port);

	while ((sig = http_wait_for_signal(-1)) == 0)
		;
	log_info("signal %d: shutting down", sig);
	ws_server_stop(d->ws);
	http_server_stop(http);
	command_stop(cmd);
	lease_stop(d);
	if (d->bus)
		bus_pub_close(d->bus);
	table_close(d->table);
	plan_cache_free(d->plans);
	ratelimit_free(d->rl_registry);
	ratelimit_free(d->rl_replication);
	ratelimit_free(d->rl_cluster);
	ratelimit_free(d->rl_status);
	return 0;
}
