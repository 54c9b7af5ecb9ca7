/*
 * canary.c — `artemis canary set SERVICE [IP ...]` (management-contract §1.5,
 * §4): make the canary group of a service hold exactly these instance ids
 * (Java calls them IPs; they are matched against instanceId).
 *
 * The server names the canary group after an appId, which it requires and does
 * not otherwise interpret: group SERVICE/<its region>/canary/<appId>. A second
 * appId would make a second canary group, so without --app-id the CLI reuses the
 * appId of the service's existing canary group, and names a new one after the
 * service.
 */
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mgmt.h"

#define CANARY_ZONE	"canary"	/* the zone of every canary group */

static int
is_canary_group(struct json_object *g, const char *service, const char *region)
{
	const char *s = api_str(g, "serviceId"), *z = api_str(g, "zoneId");
	const char *r = api_str(g, "regionId");

	return s && strcasecmp(s, service) == 0 && z &&
	    strcasecmp(z, CANARY_ZONE) == 0 && api_str(g, "appId") &&
	    (region == NULL || (r && strcasecmp(r, region) == 0));
}

/* The appId of the service's canary group: --app-id; else that of its one
 * canary group (in the configured region, when several regions have one); else
 * the service id. Several candidates are a usage error. */
static int
canary_app_id(struct cli *cli, const struct command *cmd, const struct mopts *m,
    char *buf, size_t len)
{
	struct json_object *req, *resp, *groups, *g, *found = NULL;
	const char *region = api_region(cli, m->region);
	size_t i, n = 0, pass;
	int rc;

	if (m->app_id) {
		strlcpy(buf, m->app_id, len);
		return 0;
	}
	req = json_object_new_object();
	api_add_str(req, "serviceId", m->service);
	api_add_str(req, "zoneId", CANARY_ZONE);
	if ((rc = mgmt_read(cli, MGMT_GROUP "get-groups.json", req, "groups", &resp,
	    &groups)) != 0)
		return rc;
	/* first every region, then, if that is ambiguous, this node's */
	for (pass = 0; pass < 2 && n != 1; pass++) {
		if (pass == 1 && region == NULL)
			break;
		n = 0;
		for (i = 0; groups && i < json_object_array_length(groups); i++) {
			g = json_object_array_get_idx(groups, i);
			if (is_canary_group(g, m->service, pass ? region : NULL)) {
				found = g;
				n++;
			}
		}
	}
	if (n > 1) {
		cli_err(cli, "%s has several canary groups: choose one with --app-id",
		    m->service);
		json_object_put(resp);
		cli_usage(cmd, EXIT_USAGE);
	}
	strlcpy(buf, n == 1 ? api_str(found, "appId") : m->service, len);
	if (cli->verbose)
		fprintf(stderr, "%s: appId %s\n", cli->name, buf);
	json_object_put(resp);
	return 0;
}

int
cmd_canary(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct json_object *req, *ips;
	struct mopts m;
	char app_id[256];
	int i, rc;

	mopts_parse(cli, cmd, argc, argv, &m);
	argc -= optind;
	argv += optind;
	if (m.service == NULL && argc > 0) {
		m.service = argv[0];
		argc--;
		argv++;
	}
	mopts_need(cli, cmd, m.service, "SERVICE");
	if ((rc = canary_app_id(cli, cmd, &m, app_id, sizeof(app_id))) != 0)
		return rc;
	req = json_object_new_object();
	api_add_str(req, "serviceId", m.service);
	api_add_str(req, "appId", app_id);
	ips = json_object_new_array();
	for (i = 0; i < argc; i++)
		json_object_array_add(ips, json_object_new_string(argv[i]));
	json_object_object_add(req, "canaryIps", ips);
	mopts_context(req, &m, m.operation ? m.operation : "canary");
	return mgmt_write(cli, "/api/management/canary/update-canary-ips.json", req);
}
