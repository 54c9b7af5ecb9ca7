/*
 * artemis-mgmtd — operators' control of traffic: every endpoint under
 * /api/management/ (spec/management-contract.md), stored in SQLite (store.c),
 * with a bus hint after every committed write so discoveryd re-filters at once.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "http.h"
#include "log.h"
#include "mgmt_view.h"
#include "mgmtd.h"
#include "ratelimit.h"
#include "status.h"
#include "store.h"
#include "table.h"

#define MAX_ROUTES	96
#define P		"/api/management/"
#define G		P "group/"
#define Z		P "zone/"
#define L		P "log/"

static struct mgmtd	 mgmtd_state;
struct mgmtd		*mgmtd = &mgmtd_state;

#define POST(path, fn)		{ path, HTTP_POST, HTTP_JSON, fn, NULL, NULL }
#define POSTGET(path, fn)	{ path, HTTP_POST | HTTP_GET, HTTP_JSON, fn, NULL, NULL }
#define LOG(path, kind)		{ L path, HTTP_POST, HTTP_JSON, h_log, \
				    (void *)&log_kind_arg[kind], NULL }

static const struct http_route mgmt_routes[] = {
	POST(P "operate-instance.json", h_operate_instance),
	POST(P "operate-server.json", h_operate_server),
	POST(P "instance-operations.json", h_instance_operations),
	POST(P "server-operations.json", h_server_operations),
	POSTGET(P "all-instance-operations.json", h_all_instance_operations),
	POSTGET(P "all-server-operations.json", h_all_server_operations),
	POST(P "instance-down.json", h_instance_down),
	POST(P "server-down.json", h_server_down),
	POSTGET(P "services.json", h_services),
	POST(P "service.json", h_service),
	LOG("instance-operation-logs.json", LOG_INSTANCE),
	LOG("server-operation-logs.json", LOG_SERVER),
	LOG("group-operation-logs.json", LOG_GROUP_OP),
	LOG("group-logs.json", LOG_GROUP),
	LOG("route-rule-logs.json", LOG_ROUTE_RULE),
	LOG("route-rule-group-logs.json", LOG_ROUTE_RULE_GROUP),
	LOG("zone-operation-logs.json", LOG_ZONE),
	LOG("group-instance-logs.json", LOG_GROUP_INSTANCE),
	LOG("service-instance-logs.json", LOG_SERVICE_INSTANCE),
	POST(G "insert-route-rules.json", h_insert_route_rules),
	POST(G "update-route-rules.json", h_update_route_rules),
	POST(G "delete-route-rules.json", h_delete_route_rules),
	POST(G "get-route-rules.json", h_get_route_rules),
	POST(G "get-all-route-rules.json", h_get_all_route_rules),
	POST(G "create-route-rule.json", h_create_route_rule),
	POST(G "insert-route-rule-groups.json", h_insert_rrgs),
	POST(G "update-route-rule-groups.json", h_update_rrgs),
	POST(G "release-route-rule-groups.json", h_release_rrgs),
	POST(G "delete-route-rule-groups.json", h_delete_rrgs),
	POST(G "get-route-rule-groups.json", h_get_rrgs),
	POST(G "get-all-route-rule-groups.json", h_get_all_rrgs),
	POST(G "insert-groups.json", h_insert_groups),
	POST(G "update-groups.json", h_update_groups),
	POST(G "delete-groups.json", h_delete_groups),
	POST(G "get-groups.json", h_get_groups),
	POST(G "get-all-groups.json", h_get_all_groups),
	POST(G "insert-group-tags.json", h_insert_group_tags),
	POST(G "update-group-tags.json", h_update_group_tags),
	POST(G "delete-group-tags.json", h_delete_group_tags),
	POST(G "get-group-tags.json", h_get_group_tags),
	POST(G "get-all-group-tags.json", h_get_all_group_tags),
	POST(G "operate-group-operations.json", h_operate_group_operations),
	POST(G "operate-group-operation.json", h_operate_group_operation),
	POST(G "get-group-operations.json", h_get_group_operations),
	POST(G "get-all-group-operations.json", h_get_all_group_operations),
	POST(G "insert-group-instances.json", h_insert_group_instances),
	POST(G "delete-group-instances.json", h_delete_group_instances),
	POST(G "get-group-instances.json", h_get_group_instances),
	POST(G "insert-service-instances.json", h_insert_service_instances),
	POST(G "delete-service-instances.json", h_delete_service_instances),
	POST(G "get-service-instances.json", h_get_service_instances),
	POST(Z "operate-zone-operations.json", h_operate_zone_operations),
	POST(Z "get-zone-operations.json", h_get_zone_operations),
	POST(Z "get-all-zone-operations.json", h_get_all_zone_operations),
	POST(Z "get-zone-operations-list.json", h_get_zone_operations_list),
	POST(Z "is-zone-down.json", h_is_zone_down),
	POST(P "canary/update-canary-ips.json", h_update_canary_ips),
};

#define NMGMT_ROUTES	(sizeof(mgmt_routes) / sizeof(mgmt_routes[0]))

int
main(int argc, char **argv)
{
	static struct config cfg;
	static struct node_ctx node;
	struct http_route routes[MAX_ROUTES];
	struct http_server *http;
	struct table *table = NULL;
	char err[512], tpath[PATH_MAX];
	size_t n;
	int sig;

	config_daemon_main(argc, argv, "artemis-mgmtd", &cfg);
	http_block_signals();
	if (!cfg.mgmtd_listen.set)
		fatalx("%s: [mgmtd] listen is not set", cfg.file);
	mgmtd->cfg = &cfg;
	if ((mgmtd->store = store_open(cfg.database, err, sizeof(err))) == NULL)
		fatalx("management database: %s", err);
	log_info("management database %s, schema version %d", cfg.database,
	    store_schema_version(mgmtd->store));
	if ((mgmtd->bus = bus_pub_open(cfg.state_dir, BUS_MGMT)) == NULL)
		log_warnx("bus: cannot publish hints; discoveryd will reconcile on "
		    "its timer");
	mgmtd->rl_group = ratelimit_new(cfg.rl_management_group, NULL);
	views_init(&cfg);

	node.cfg = &cfg;
	node.self_url = cfg.management_url;
	node.rl_cluster = ratelimit_new(cfg.rl_cluster, cfg.rl_cluster_map);
	node.rl_status = ratelimit_new(cfg.rl_status, cfg.rl_status_map);
	if (config_state_path(&cfg, TABLE_FILE, tpath, sizeof(tpath)) == 0 &&
	    (table = table_open_reader(tpath, err, sizeof(err))) != NULL)
		node.table = table;
	mgmtd->node = &node;

	memcpy(routes, mgmt_routes, sizeof(mgmt_routes));
	n = NMGMT_ROUTES;
	n += status_routes(&node, routes + n, MAX_ROUTES - n);
	if ((http = http_server_start(&cfg, &cfg.mgmtd_listen, routes, n,
	    NULL)) == NULL)
		fatalx("cannot listen on %s:%d", cfg.mgmtd_listen.host,
		    cfg.mgmtd_listen.port);
	log_info("serving management on %s:%d", cfg.mgmtd_listen.host,
	    cfg.mgmtd_listen.port);

	while ((sig = http_wait_for_signal(-1)) == 0)
		;
	log_info("signal %d, stopping", sig);
	http_server_stop(http);
	views_fini();
	if (table)
		table_close(table);
	bus_pub_close(mgmtd->bus);
	ratelimit_free(mgmtd->rl_group);
	ratelimit_free(node.rl_cluster);
	ratelimit_free(node.rl_status);
	store_close(mgmtd->store);
	return 0;
}
