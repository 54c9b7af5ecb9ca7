/*
 * manage.c — pulling instances, servers, zones and groups out of traffic and back
 * in (artemis-mgmtd, spec/management-contract.md §1.1, §1.3.6, §1.4), and the
 * operation logs. A pull-out is an operation name (default "pullout") recorded
 * for a key; the matching pull-in completes the same name.
 */
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mgmt.h"

static struct json_object *
key3(const char *a, const char *av, const char *b, const char *bv, const char *c,
    const char *cv)
{
	struct json_object *k = json_object_new_object();

	api_add_str(k, a, av);
	api_add_str(k, b, bv);
	if (c)
		api_add_str(k, c, cv);
	return k;
}

static struct json_object *
one_string_array(const char *s)
{
	struct json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_string(s));
	return a;
}

/* instance, server and zone pull-out|pull-in */
static int
pull(struct cli *cli, const struct command *cmd, const struct mopts *m, int complete)
{
	struct json_object *req, *list, *item;
	const char *op = m->operation ? m->operation : "pullout";
	const char *region = api_region(cli, m->region);

	mopts_need(cli, cmd, region, "--region (or [node] region in the configuration)");
	req = json_object_new_object();
	if (strcmp(cmd->verb, "instance") == 0) {
		mopts_need(cli, cmd, m->service, "--service-id");
		mopts_need(cli, cmd, m->instance, "--instance-id");
		json_object_object_add(req, "instanceKey", key3("regionId", region,
		    "serviceId", m->service, "instanceId", m->instance));
		json_object_object_add(req, "operationComplete",
		    json_object_new_boolean(complete));
		mopts_context(req, m, op);
		return mgmt_write(cli, "/api/management/operate-instance.json", req);
	}
	if (strcmp(cmd->verb, "server") == 0) {
		mopts_need(cli, cmd, m->ip, "--ip");
		json_object_object_add(req, "serverKey", key3("regionId", region,
		    "serverId", m->ip, NULL, NULL));
		json_object_object_add(req, "operationComplete",
		    json_object_new_boolean(complete));
		mopts_context(req, m, op);
		return mgmt_write(cli, "/api/management/operate-server.json", req);
	}
	list = json_object_new_array();
	item = json_object_new_object();
	if (strcmp(cmd->verb, "zone") == 0) {
		mopts_need(cli, cmd, m->service, "--service-id");
		mopts_need(cli, cmd, m->zone, "--zone");
		json_object_object_add(item, "zoneKey", key3("regionId", region,
		    "serviceId", m->service, "zoneId", m->zone));
		json_object_object_add(item, "operations", one_string_array(op));
		json_object_array_add(list, item);
		json_object_object_add(req, "zoneOperationsList", list);
		json_object_object_add(req, "operationComplete",
		    json_object_new_boolean(complete));
		mopts_context(req, m, op);
		return mgmt_write(cli, "/api/management/zone/operate-zone-operations.json",
		    req);
	}
	json_object_put(list);
	json_object_put(item);
	json_object_put(req);
	cli_usage(cmd, EXIT_USAGE);
}

/* group pull-out|pull-in GROUP-ID: by id, which must name a group (mgmtd
 * refuses an unknown one with nothing but "operate group operation failed."). */
static int
group_pull(struct cli *cli, const struct command *cmd, const struct mopts *m,
    int argc, char **argv, int complete)
{
	struct json_object *req, *list, *item;
	const char *op = m->operation ? m->operation : "pullout";
	int64_t id = mopts_id_arg(cli, cmd, m->group_id, &argc, &argv, "GROUP-ID");
	int rc;

	if (argc != 0)
		cli_usage(cmd, EXIT_USAGE);
	if ((rc = mgmt_group_exists(cli, id)) != 0)
		return rc;
	req = json_object_new_object();
	list = json_object_new_array();
	item = json_object_new_object();
	json_object_object_add(item, "groupId", json_object_new_int64(id));
	json_object_object_add(item, "operations", one_string_array(op));
	json_object_array_add(list, item);
	json_object_object_add(req, "groupOperationsList", list);
	json_object_object_add(req, "operationComplete", json_object_new_boolean(complete));
	mopts_context(req, m, op);
	return mgmt_write(cli, MGMT_GROUP "operate-group-operations.json", req);
}

int
cmd_manage(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct mopts m;

	mopts_parse(cli, cmd, argc, argv, &m);
	argc -= optind;
	argv += optind;
	if (strcmp(cmd->verb, "group") == 0)
		return group_pull(cli, cmd, &m, argc, argv,
		    strcmp(cmd->object, "pull-in") == 0);
	if (argc != 0)
		cli_usage(cmd, EXIT_USAGE);
	return pull(cli, cmd, &m, strcmp(cmd->object, "pull-in") == 0);
}

/* ---- log instance|server|zone|group ---- */

static void
print_logs_table(struct json_object *logs, const char *object)
{
	size_t i, n = logs ? json_object_array_length(logs) : 0;
	char when[32], key[512];

	printf("%-6s  %-19s  %-9s  %-12s  %-12s  %s\n", "ID", "TIME (UTC)", "COMPLETE",
	    "OPERATION", "OPERATOR", "KEY");
	for (i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(logs, i);
		time_t t = (time_t)(json_object_get_int64(api_get(l, "createTime")) / 1000);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		if (strcmp(object, "instance") == 0)
			snprintf(key, sizeof(key), "%s/%s/%s", api_str(l, "regionId"),
			    api_str(l, "serviceId"), api_str(l, "instanceId"));
		else if (strcmp(object, "server") == 0)
			snprintf(key, sizeof(key), "%s/%s", api_str(l, "regionId"),
			    api_str(l, "serverId"));
		else if (strcmp(object, "zone") == 0)
			snprintf(key, sizeof(key), "%s/%s/%s", api_str(l, "regionId"),
			    api_str(l, "serviceId"), api_str(l, "zoneId"));
		else
			snprintf(key, sizeof(key), "group %lld",
			    (long long)json_object_get_int64(api_get(l, "groupId")));
		printf("%-6lld  %-19s  %-9s  %-12s  %-12s  %s\n",
		    (long long)json_object_get_int64(api_get(l, "id")), when,
		    json_object_get_boolean(api_get(l, "complete")) ? "pull-in" :
		    "pull-out", api_str(l, "operation") ? api_str(l, "operation") : "-",
		    api_str(l, "operatorId") ? api_str(l, "operatorId") : "-", key);
	}
}

int
cmd_log(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;
	struct mopts m;
	char path[128];
	int rc;

	mopts_parse(cli, cmd, argc, argv, &m);
	if (optind != argc) {
		json_object_put(req);
		cli_usage(cmd, EXIT_USAGE);
	}
	if (m.region)
		api_add_str(req, "regionId", m.region);
	if (m.service)
		api_add_str(req, "serviceId", m.service);
	if (m.instance)
		api_add_str(req, "instanceId", m.instance);
	if (m.ip)
		api_add_str(req, "serverId", m.ip);
	if (m.zone)
		api_add_str(req, "zoneId", m.zone);
	if (m.operation)
		api_add_str(req, "operation", m.operation);
	if (m.operator)
		api_add_str(req, "operatorId", m.operator);
	if (m.group_id)
		json_object_object_add(req, "groupId", json_object_new_int64(mopts_id(cli,
		    cmd, m.group_id, "--group-id")));
	if (m.complete)
		json_object_object_add(req, "complete", json_object_new_boolean(
		    strcmp(m.complete, "true") == 0 || strcmp(m.complete, "yes") == 0));
	snprintf(path, sizeof(path), "/api/management/log/%s-operation-logs.json",
	    cmd->object);
	rc = api_call(cli, "management", path, req, &resp);
	json_object_put(req);
	if (rc == 0) {
		if (cli_want_json(cli))
			api_print_json(cli, api_get(resp, "logs"));
		else
			print_logs_table(api_get(resp, "logs"), cmd->object);
	}
	json_object_put(resp);
	return rc;
}
