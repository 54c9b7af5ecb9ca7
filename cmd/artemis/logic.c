/*
 * logic.c — `artemis logic add|list|delete`: logic instances, the statically
 * configured endpoints discovery serves in Service.logicInstances whether or not
 * anything registers (management-contract §1.3.8, service-instances).
 *
 * mgmtd requires every descriptive field to be non-blank; the command fills the
 * ones an operator rarely cares about with what a registered instance would
 * say: machine name = IP, protocol http, health check = URL, group "default",
 * region and zone from the configuration.
 */
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mgmt.h"

#define MAX_METADATA	64

struct lopts {
	struct mopts	 m;		/* service, instance, region, zone, ip, context */
	const char	*url, *machine, *protocol, *health, *label;
	int		 port;
	const char	*meta[MAX_METADATA];
	size_t		 nmeta;
};

enum { OPT_MACHINE = 2000, OPT_PROTOCOL, OPT_HEALTH, OPT_LABEL };

static const struct column logic_columns[] = {
	{ "ID", "id" }, { "SERVICE", "serviceId" }, { "INSTANCE-ID", "instanceId" },
	{ "IP", "ip" }, { "PORT", "port" }, { "URL", "url" }, { "REGION", "regionId" },
	{ "ZONE", "zoneId" }, { "GROUP", "groupId" },
};

static void
lopts_parse(struct cli *cli, const struct command *cmd, int argc, char **argv,
    struct lopts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "service-id", required_argument, NULL, OPT_SERVICE_ID },
		{ "instance-id", required_argument, NULL, OPT_INSTANCE_ID },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "url", required_argument, NULL, OPT_URL },
		{ "machine-name", required_argument, NULL, OPT_MACHINE },
		{ "protocol", required_argument, NULL, OPT_PROTOCOL },
		{ "health-check-url", required_argument, NULL, OPT_HEALTH },
		{ "group", required_argument, NULL, OPT_LABEL },
		{ "metadata", required_argument, NULL, OPT_METADATA },
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ "operator", required_argument, NULL, OPT_OPERATOR },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "management", required_argument, NULL, OPT_TABLE },
		{ NULL, 0, NULL, 0 },
	};
	const char *errstr = NULL;
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_SERVICE_ID: o->m.service = optarg; break;
		case OPT_INSTANCE_ID: o->m.instance = optarg; break;
		case OPT_REGION: o->m.region = optarg; break;
		case OPT_ZONE: o->m.zone = optarg; break;
		case OPT_IP: o->m.ip = optarg; break;
		case OPT_DESCRIPTION: o->m.description = optarg; break;
		case OPT_OPERATOR: o->m.operator = optarg; break;
		case OPT_TOKEN: o->m.token = optarg; break;
		case OPT_REASON: o->m.reason = optarg; break;
		/* --url names the endpoint here; --management the daemon */
		case OPT_URL: o->url = optarg; break;
		case OPT_MACHINE: o->machine = optarg; break;
		case OPT_PROTOCOL: o->protocol = optarg; break;
		case OPT_HEALTH: o->health = optarg; break;
		case OPT_LABEL: o->label = optarg; break;
		case OPT_TABLE: cli->url = optarg; break;	/* --management URL */
		case OPT_PORT:
			o->port = (int)strtonum(optarg, 0, 65535, &errstr);
			if (errstr) {
				cli_err(cli, "--port %s is %s", optarg, errstr);
				cli_usage(cmd, EXIT_USAGE);
			}
			break;
		case OPT_METADATA:
			if (strchr(optarg, '=') == NULL || o->nmeta == MAX_METADATA) {
				cli_err(cli, "--metadata wants key=value (at most %d)",
				    MAX_METADATA);
				cli_usage(cmd, EXIT_USAGE);
			}
			o->meta[o->nmeta++] = optarg;
			break;
		default: cli_common_opt(cli, cmd, ch);
		}
	}
}

static struct json_object *
metadata_object(const struct lopts *o)
{
	struct json_object *md = json_object_new_object();
	const char *eq;
	char *key;
	size_t i;


	for (i = 0; i < o->nmeta; i++) {
		eq = strchr(o->meta[i], '=');
		if ((key = strndup(o->meta[i], eq - o->meta[i])) == NULL)
			fatal("strndup");
		json_object_object_add(md, key, json_object_new_string(eq + 1));
		free(key);
	}
	return md;
}

static int
logic_add(struct cli *cli, const struct command *cmd, const struct lopts *o)
{
	struct json_object *si, *list, *req;
	const char *region = api_region(cli, o->m.region);
	const char *zone = api_zone(cli, o->m.zone);

	mopts_need(cli, cmd, o->m.service, "--service-id");
	mopts_need(cli, cmd, o->m.instance, "--instance-id");
	mopts_need(cli, cmd, o->url, "--url");
	mopts_need(cli, cmd, o->m.ip, "--ip");
	mopts_need(cli, cmd, region, "--region (or [node] region in the configuration)");
	mopts_need(cli, cmd, zone, "--zone (or [node] zone in the configuration)");
	si = json_object_new_object();
	api_add_str(si, "serviceId", o->m.service);
	api_add_str(si, "instanceId", o->m.instance);
	api_add_str(si, "url", o->url);
	api_add_str(si, "ip", o->m.ip);
	json_object_object_add(si, "port", json_object_new_int(o->port));
	api_add_str(si, "machineName", o->machine ? o->machine : o->m.ip);
	api_add_str(si, "protocol", o->protocol ? o->protocol : "http");
	api_add_str(si, "healthCheckUrl", o->health ? o->health : o->url);
	api_add_str(si, "groupId", o->label ? o->label : "default");
	api_add_str(si, "regionId", region);
	api_add_str(si, "zoneId", zone);
	api_add_str(si, "description", o->m.description);
	json_object_object_add(si, "metadata", metadata_object(o));
	list = json_object_new_array();
	json_object_array_add(list, si);
	req = json_object_new_object();
	json_object_object_add(req, "serviceInstances", list);
	mopts_context(req, &o->m, "insert");
	return mgmt_write(cli, MGMT_GROUP "insert-service-instances.json", req);
}

/* The logic instances matching the filters (NULL: any) into *arr, owned by
 * *resp. */
static int
logic_read(struct cli *cli, const char *service, const char *instance,
    struct json_object **resp, struct json_object **arr)
{
	struct json_object *req = json_object_new_object();

	api_add_str(req, "serviceId", service);
	api_add_str(req, "instanceId", instance);
	return mgmt_read(cli, MGMT_GROUP "get-service-instances.json", req,
	    "serviceInstances", resp, arr);
}

static int
logic_list(struct cli *cli, const struct lopts *o)
{
	struct json_object *resp, *arr;
	int rc;

	if ((rc = logic_read(cli, o->m.service, o->m.instance, &resp, &arr)) != 0)
		return rc;
	if (cli_want_json(cli))
		api_print_json(cli, arr ? arr : json_object_new_array());
	else if (arr)
		show_table(arr, logic_columns,
		    sizeof(logic_columns) / sizeof(logic_columns[0]));
	json_object_put(resp);
	return 0;
}

/* Delete by row id; every id must exist (mgmtd would answer success anyway). */
static int
logic_delete(struct cli *cli, const struct command *cmd, const struct lopts *o,
    int argc, char **argv)
{
	struct json_object *ids, *resp, *arr, *req;
	size_t i;
	int64_t id;
	int rc;

	ids = mopts_id_list(cli, cmd, NULL, argc, argv, "ID");
	if ((rc = logic_read(cli, NULL, NULL, &resp, &arr)) != 0) {
		json_object_put(ids);
		return rc;
	}
	for (i = 0; i < json_object_array_length(ids); i++) {
		id = json_object_get_int64(json_object_array_get_idx(ids, i));
		if (mgmt_find_id(arr, "id", id) == NULL) {
			cli_err(cli, "logic instance %lld not found", (long long)id);
			json_object_put(ids);
			json_object_put(resp);
			return EXIT_NOTFOUND;
		}
	}
	json_object_put(resp);
	req = json_object_new_object();
	json_object_object_add(req, "serviceInstanceIds", ids);
	mopts_context(req, &o->m, "delete");
	return mgmt_write(cli, MGMT_GROUP "delete-service-instances.json", req);
}

int
cmd_logic(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct lopts o;

	lopts_parse(cli, cmd, argc, argv, &o);
	argc -= optind;
	argv += optind;
	if (strcmp(cmd->object, "add") == 0 && argc == 0)
		return logic_add(cli, cmd, &o);
	if (strcmp(cmd->object, "list") == 0 && argc == 0)
		return logic_list(cli, &o);
	if (strcmp(cmd->object, "delete") == 0)
		return logic_delete(cli, cmd, &o, argc, argv);
	cli_usage(cmd, EXIT_USAGE);
}
