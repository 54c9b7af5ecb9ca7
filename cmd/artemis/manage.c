/*
 * manage.c — operator commands that talk to artemis-mgmtd (/api/management/,
 * spec/management-contract.md): pull instances, servers, zones and groups out of
 * traffic and back in, route rules and their weights, canary IPs, and the logs.
 *
 * A pull-out is an operation name (default "pullout") recorded for a key; the
 * matching pull-in completes the same name. Operator and token are recorded, not
 * checked: the operator defaults to $USER.
 */
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"

struct mopts {
	const char	*service, *instance, *region, *zone, *ip, *operator;
	const char	*operation, *token, *reason, *app_id, *name, *strategy;
	const char	*group_id, *route_id, *complete;
	char		*groups[64];	/* route create: NAME:WEIGHT */
	size_t		 ngroups;
};

static void
parse_mopts(struct cli *cli, const struct command *cmd, int argc, char **argv,
    struct mopts *m)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "service-id", required_argument, NULL, OPT_SERVICE_ID },
		{ "instance-id", required_argument, NULL, OPT_INSTANCE_ID },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "operator", required_argument, NULL, OPT_OPERATOR },
		{ "operation", required_argument, NULL, OPT_OPERATION },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "app-id", required_argument, NULL, OPT_APP_ID },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "strategy", required_argument, NULL, OPT_STRATEGY },
		{ "group-id", required_argument, NULL, OPT_GROUP_ID },
		{ "route-id", required_argument, NULL, OPT_ROUTE_ID },
		{ "group", required_argument, NULL, OPT_GROUP_KEY },
		{ "complete", required_argument, NULL, OPT_COMPLETE },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(m, 0, sizeof(*m));
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_SERVICE_ID: m->service = optarg; break;
		case OPT_INSTANCE_ID: m->instance = optarg; break;
		case OPT_REGION: m->region = optarg; break;
		case OPT_ZONE: m->zone = optarg; break;
		case OPT_IP: m->ip = optarg; break;
		case OPT_OPERATOR: m->operator = optarg; break;
		case OPT_OPERATION: m->operation = optarg; break;
		case OPT_TOKEN: m->token = optarg; break;
		case OPT_REASON: m->reason = optarg; break;
		case OPT_APP_ID: m->app_id = optarg; break;
		case OPT_NAME: m->name = optarg; break;
		case OPT_STRATEGY: m->strategy = optarg; break;
		case OPT_GROUP_ID: m->group_id = optarg; break;
		case OPT_ROUTE_ID: m->route_id = optarg; break;
		case OPT_COMPLETE: m->complete = optarg; break;
		case OPT_GROUP_KEY:
			if (m->ngroups == sizeof(m->groups) / sizeof(m->groups[0])) {
				cli_err(cli, "too many --group options");
				cli_usage(cmd, EXIT_USAGE);
			}
			m->groups[m->ngroups++] = optarg;
			break;
		default: cli_common_opt(cli, cmd, ch);
		}
	}
}

static void
need(struct cli *cli, const struct command *cmd, const char *v, const char *what)
{
	if (v == NULL || *v == '\0') {
		cli_err(cli, "missing %s", what);
		cli_usage(cmd, EXIT_USAGE);
	}
}

static int64_t
need_id(struct cli *cli, const struct command *cmd, const char *v, const char *what)
{
	const char *errstr = NULL;
	long long n;

	need(cli, cmd, v, what);
	n = strtonum(v, 1, INT64_MAX, &errstr);
	if (errstr) {
		cli_err(cli, "%s '%s' is %s", what, v, errstr);
		cli_usage(cmd, EXIT_USAGE);
	}
	return n;
}

/* operatorId, token, operation, reason, extensions: the operation context. */
static void
add_context(struct json_object *req, const struct mopts *m, const char *operation)
{
	const char *user = getenv("USER");

	api_add_str(req, "operatorId", m->operator ? m->operator :
	    (user && *user ? user : "artemis"));
	api_add_str(req, "token", m->token ? m->token : "artemis-cli");
	api_add_str(req, "operation", operation);
	if (m->reason)
		api_add_str(req, "reason", m->reason);
	api_add_str(req, "extensions", "{}");
}

static int
post(struct cli *cli, const char *path, struct json_object *req)
{
	struct json_object *resp = NULL;
	int rc = api_call(cli, "management", path, req, &resp);

	json_object_put(req);
	if (rc == 0 && !cli_want_json(cli))
		printf("ok\n");
	else if (rc == 0)
		api_print_json(cli, api_get(resp, "responseStatus"));
	json_object_put(resp);
	return rc;
}

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

static int
pull(struct cli *cli, const struct command *cmd, const struct mopts *m, int complete)
{
	struct json_object *req = json_object_new_object(), *list, *item;
	const char *op = m->operation ? m->operation : "pullout";
	const char *region = api_region(cli, m->region);

	if (strcmp(cmd->verb, "group") != 0)
		need(cli, cmd, region, "--region (or [node] region in the configuration)");
	if (strcmp(cmd->verb, "instance") == 0) {
		need(cli, cmd, m->service, "--service-id");
		need(cli, cmd, m->instance, "--instance-id");
		json_object_object_add(req, "instanceKey", key3("regionId", region,
		    "serviceId", m->service, "instanceId", m->instance));
		json_object_object_add(req, "operationComplete",
		    json_object_new_boolean(complete));
		add_context(req, m, op);
		return post(cli, "/api/management/operate-instance.json", req);
	}
	if (strcmp(cmd->verb, "server") == 0) {
		need(cli, cmd, m->ip, "--ip");
		json_object_object_add(req, "serverKey", key3("regionId", region,
		    "serverId", m->ip, NULL, NULL));
		json_object_object_add(req, "operationComplete",
		    json_object_new_boolean(complete));
		add_context(req, m, op);
		return post(cli, "/api/management/operate-server.json", req);
	}
	list = json_object_new_array();
	item = json_object_new_object();
	if (strcmp(cmd->verb, "zone") == 0) {
		need(cli, cmd, m->service, "--service-id");
		need(cli, cmd, m->zone, "--zone");
		json_object_object_add(item, "zoneKey", key3("regionId", region,
		    "serviceId", m->service, "zoneId", m->zone));
		json_object_object_add(item, "operations", one_string_array(op));
		json_object_array_add(list, item);
		json_object_object_add(req, "zoneOperationsList", list);
		json_object_object_add(req, "operationComplete",
		    json_object_new_boolean(complete));
		add_context(req, m, op);
		return post(cli, "/api/management/zone/operate-zone-operations.json",
		    req);
	}
	/* group, by id */
	json_object_object_add(item, "groupId", json_object_new_int64(need_id(cli, cmd,
	    m->group_id, "--group-id")));
	json_object_object_add(item, "operations", one_string_array(op));
	json_object_array_add(list, item);
	json_object_object_add(req, "groupOperationsList", list);
	json_object_object_add(req, "operationComplete", json_object_new_boolean(complete));
	add_context(req, m, op);
	return post(cli, "/api/management/group/operate-group-operations.json", req);
}

/* route create: a rule, its groups (NAME:WEIGHT in this zone) and the links. */
static int
route_create(struct cli *cli, const struct command *cmd, const struct mopts *m)
{
	struct json_object *req = json_object_new_object(), *rule, *groups, *g;
	const char *region = api_region(cli, m->region), *zone = api_zone(cli, m->zone);
	char name[256];
	const char *colon;
	size_t i;

	need(cli, cmd, m->service, "--service-id");
	need(cli, cmd, m->name, "--name");
	need(cli, cmd, m->app_id, "--app-id");
	need(cli, cmd, region, "--region");
	need(cli, cmd, zone, "--zone");
	if (m->ngroups == 0) {
		cli_err(cli, "missing --group NAME:WEIGHT");
		cli_usage(cmd, EXIT_USAGE);
	}
	rule = json_object_new_object();
	api_add_str(rule, "serviceId", m->service);
	api_add_str(rule, "name", m->name);
	api_add_str(rule, "status", "active");
	api_add_str(rule, "strategy", m->strategy ? m->strategy : "weighted-round-robin");
	json_object_object_add(req, "routeRule", rule);
	groups = json_object_new_array();
	for (i = 0; i < m->ngroups; i++) {
		const char *errstr = NULL;
		long long w;

		if ((colon = strrchr(m->groups[i], ':')) == NULL ||
		    colon == m->groups[i] ||
		    (size_t)(colon - m->groups[i]) >= sizeof(name) ||
		    (w = strtonum(colon + 1, 0, 10000, &errstr), errstr != NULL)) {
			json_object_put(req);
			json_object_put(groups);
			cli_err(cli, "--group wants NAME:WEIGHT (0..10000), not '%s'",
			    m->groups[i]);
			cli_usage(cmd, EXIT_USAGE);
		}
		memcpy(name, m->groups[i], colon - m->groups[i]);
		name[colon - m->groups[i]] = '\0';
		g = json_object_new_object();
		api_add_str(g, "serviceId", m->service);
		api_add_str(g, "regionId", region);
		api_add_str(g, "zoneId", zone);
		api_add_str(g, "name", name);
		api_add_str(g, "appId", m->app_id);
		api_add_str(g, "status", "active");
		json_object_object_add(g, "weight", json_object_new_int((int)w));
		json_object_array_add(groups, g);
	}
	json_object_object_add(req, "groups", groups);
	add_context(req, m, m->operation ? m->operation : "create");
	return post(cli, "/api/management/group/create-route-rule.json", req);
}

/* route weight|release --route-id R --group-id G [--weight W] */
static int
route_link(struct cli *cli, const struct command *cmd, const struct mopts *m,
    const char *weight)
{
	struct json_object *req = json_object_new_object(), *list, *item;
	int release = strcmp(cmd->object, "release") == 0;
	const char *errstr = NULL;
	long long w = 0;

	item = json_object_new_object();
	json_object_object_add(item, "routeRuleId", json_object_new_int64(need_id(cli,
	    cmd, m->route_id, "--route-id")));
	json_object_object_add(item, "groupId", json_object_new_int64(need_id(cli, cmd,
	    m->group_id, "--group-id")));
	if (!release) {
		need(cli, cmd, weight, "WEIGHT");
		w = strtonum(weight, 0, 10000, &errstr);
		if (errstr) {
			cli_err(cli, "weight '%s' is %s (0..10000)", weight, errstr);
			cli_usage(cmd, EXIT_USAGE);
		}
		json_object_object_add(item, "unreleasedWeight",
		    json_object_new_int((int)w));
	}
	list = json_object_new_array();
	json_object_array_add(list, item);
	json_object_object_add(req, "routeRuleGroups", list);
	add_context(req, m, m->operation ? m->operation : cmd->object);
	return post(cli, release ?
	    "/api/management/group/release-route-rule-groups.json" :
	    "/api/management/group/update-route-rule-groups.json", req);
}

static int
canary_set(struct cli *cli, const struct command *cmd, const struct mopts *m,
    int argc, char **argv)
{
	struct json_object *req = json_object_new_object(), *ips;
	int i;

	need(cli, cmd, m->service, "SERVICE");
	need(cli, cmd, m->app_id, "--app-id");
	api_add_str(req, "serviceId", m->service);
	api_add_str(req, "appId", m->app_id);
	ips = json_object_new_array();
	for (i = 0; i < argc; i++)
		json_object_array_add(ips, json_object_new_string(argv[i]));
	json_object_object_add(req, "canaryIps", ips);
	add_context(req, m, m->operation ? m->operation : "canary");
	return post(cli, "/api/management/canary/update-canary-ips.json", req);
}

int
cmd_manage(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct mopts m;

	parse_mopts(cli, cmd, argc, argv, &m);
	argc -= optind;
	argv += optind;
	if (strcmp(cmd->verb, "canary") == 0) {
		if (m.service == NULL && argc > 0) {
			m.service = argv[0];
			argc--;
			argv++;
		}
		return canary_set(cli, cmd, &m, argc, argv);
	}
	if (strcmp(cmd->verb, "route") == 0) {
		if (strcmp(cmd->object, "create") == 0 && argc == 0)
			return route_create(cli, cmd, &m);
		if (strcmp(cmd->object, "weight") == 0 && argc == 1)
			return route_link(cli, cmd, &m, argv[0]);
		if (strcmp(cmd->object, "release") == 0 && argc == 0)
			return route_link(cli, cmd, &m, NULL);
		cli_usage(cmd, EXIT_USAGE);
	}
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

	parse_mopts(cli, cmd, argc, argv, &m);
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
		json_object_object_add(req, "groupId", json_object_new_int64(need_id(cli,
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
