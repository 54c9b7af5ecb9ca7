/*
 * mgmt.c — what the commands talking to artemis-mgmtd share: their options, the
 * operation context of every write (operator and token are recorded, not
 * checked: the operator defaults to $USER), reads and writes, and lookups by id
 * that make an unknown id EXIT_NOTFOUND.
 */
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt.h"

void
mopts_parse(struct cli *cli, const struct command *cmd, int argc, char **argv,
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
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
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
		case OPT_STATUS: m->status = optarg; break;
		case OPT_DESCRIPTION: m->description = optarg; break;
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

void
mopts_need(struct cli *cli, const struct command *cmd, const char *v, const char *what)
{
	if (v == NULL || *v == '\0') {
		cli_err(cli, "missing %s", what);
		cli_usage(cmd, EXIT_USAGE);
	}
}

int64_t
mopts_id(struct cli *cli, const struct command *cmd, const char *v, const char *what)
{
	const char *errstr = NULL;
	long long n;

	mopts_need(cli, cmd, v, what);
	n = strtonum(v, 1, INT64_MAX, &errstr);
	if (errstr) {
		cli_err(cli, "%s '%s' is %s", what, v, errstr);
		cli_usage(cmd, EXIT_USAGE);
	}
	return n;
}

int64_t
mopts_id_arg(struct cli *cli, const struct command *cmd, const char *opt, int *argc,
    char ***argv, const char *what)
{
	if (opt == NULL && *argc > 0) {
		opt = (*argv)[0];
		(*argc)--;
		(*argv)++;
	}
	return mopts_id(cli, cmd, opt, what);
}

struct json_object *
mopts_id_list(struct cli *cli, const struct command *cmd, const char *opt, int argc,
    char **argv, const char *what)
{
	struct json_object *ids;
	int i;

	if (opt == NULL && argc == 0)
		mopts_need(cli, cmd, NULL, what);
	ids = json_object_new_array();
	if (opt)
		json_object_array_add(ids, json_object_new_int64(mopts_id(cli, cmd, opt,
		    what)));
	for (i = 0; i < argc; i++)
		json_object_array_add(ids, json_object_new_int64(mopts_id(cli, cmd,
		    argv[i], what)));
	return ids;
}

const char *
mopts_app_id(const struct mopts *m)
{
	return m->app_id ? m->app_id : m->service;
}

void
mopts_context(struct json_object *req, const struct mopts *m, const char *operation)
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

int
mgmt_send(struct cli *cli, const char *path, struct json_object *req)
{
	struct json_object *resp = NULL;
	int rc = api_call(cli, "management", path, req, &resp);

	json_object_put(req);
	json_object_put(resp);
	return rc;
}

int
mgmt_write(struct cli *cli, const char *path, struct json_object *req)
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

int
mgmt_read(struct cli *cli, const char *path, struct json_object *req,
    const char *key, struct json_object **resp, struct json_object **val)
{
	int rc = api_call(cli, "management", path, req, resp);

	json_object_put(req);
	*val = rc == 0 ? api_get(*resp, key) : NULL;
	if (*val != NULL && json_object_get_type(*val) == json_type_null)
		*val = NULL;
	return rc;
}

struct json_object *
mgmt_find_id(struct json_object *arr, const char *key, int64_t id)
{
	struct json_object *e, *v;
	size_t i;

	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if ((v = api_get(e, key)) != NULL &&
		    json_object_is_type(v, json_type_int) &&
		    json_object_get_int64(v) == id)
			return e;
	}
	return NULL;
}

/* One object by id from a filtered read. The answer is searched for the id
 * rather than trusted: Java's get-groups ignores its groupId filter. */
static int
mgmt_by_id(struct cli *cli, const char *path, const char *list, const char *key,
    int64_t id, const char *what, struct json_object **resp, struct json_object **obj)
{
	struct json_object *req = json_object_new_object(), *arr;
	int rc;

	json_object_object_add(req, key, json_object_new_int64(id));
	if ((rc = mgmt_read(cli, path, req, list, resp, &arr)) != 0)
		return rc;
	if ((*obj = mgmt_find_id(arr, key, id)) == NULL) {
		cli_err(cli, "%s %lld not found", what, (long long)id);
		json_object_put(*resp);
		*resp = NULL;
		return EXIT_NOTFOUND;
	}
	return 0;
}

int
mgmt_group(struct cli *cli, int64_t id, struct json_object **resp,
    struct json_object **obj)
{
	return mgmt_by_id(cli, MGMT_GROUP "get-groups.json", "groups", "groupId", id,
	    "group", resp, obj);
}

int
mgmt_rule(struct cli *cli, int64_t id, struct json_object **resp,
    struct json_object **obj)
{
	return mgmt_by_id(cli, MGMT_GROUP "get-route-rules.json", "routeRules",
	    "routeRuleId", id, "route rule", resp, obj);
}

int
mgmt_group_exists(struct cli *cli, int64_t id)
{
	struct json_object *resp, *g;
	int rc = mgmt_group(cli, id, &resp, &g);

	json_object_put(resp);
	return rc;
}
