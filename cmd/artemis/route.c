/*
 * route.c — `artemis route ...`: route rules and the weights of their groups
 * (management-contract §1.3.2, §1.3.3). A weight is staged (unreleasedWeight)
 * and discovery serves it only once released; a weight never released is served
 * as 5. Writes do not return ids, so `route create` reads the rule back and
 * shows it the way `route get` does: that is where scripts find the ids.
 */
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mgmt.h"

static const struct column rule_columns[] = {
	{ "ID", "routeRuleId" }, { "SERVICE", "serviceId" }, { "NAME", "name" },
	{ "STATUS", "status" }, { "STRATEGY", "strategy" },
};

static const struct column link_columns[] = {
	{ "GROUP-ID", "groupId" }, { "GROUP", "groupKey" }, { "WEIGHT", "weight" },
	{ "STAGED", "unreleasedWeight" },
};

/* The links of a rule (optionally only to one group), filtered here as well. */
static int
rule_links(struct cli *cli, int64_t rule_id, int64_t group_id,
    struct json_object **resp, struct json_object **links)
{
	struct json_object *req = json_object_new_object(), *all, *e;
	size_t i;
	int rc;

	json_object_object_add(req, "routeRuleId", json_object_new_int64(rule_id));
	if (group_id)
		json_object_object_add(req, "groupId", json_object_new_int64(group_id));
	if ((rc = mgmt_read(cli, MGMT_GROUP "get-route-rule-groups.json", req,
	    "routeRuleGroups", resp, &all)) != 0)
		return rc;
	*links = json_object_new_array();
	for (i = 0; all && i < json_object_array_length(all); i++) {
		e = json_object_array_get_idx(all, i);
		if (json_object_get_int64(api_get(e, "routeRuleId")) != rule_id ||
		    (group_id && json_object_get_int64(api_get(e, "groupId")) != group_id))
			continue;
		json_object_array_add(*links, json_object_get(e));
	}
	return 0;
}

/* Each link gets the key of its group (null for a deleted group). */
static int
name_links(struct cli *cli, struct json_object *links)
{
	struct json_object *resp, *groups, *l, *g;
	size_t i;
	int rc;

	if ((rc = mgmt_read(cli, MGMT_GROUP "get-all-groups.json",
	    json_object_new_object(), "groups", &resp, &groups)) != 0)
		return rc;
	for (i = 0; i < json_object_array_length(links); i++) {
		l = json_object_array_get_idx(links, i);
		g = mgmt_find_id(groups, "groupId",
		    json_object_get_int64(api_get(l, "groupId")));
		json_object_object_add(l, "groupKey", g && api_get(g, "groupKey") ?
		    json_object_get(api_get(g, "groupKey")) : NULL);
	}
	json_object_put(resp);
	return 0;
}

/* route get: the rule, then its groups with released and staged weights. */
static int
route_show(struct cli *cli, int64_t id)
{
	struct json_object *resp, *rule, *lresp = NULL, *links = NULL;
	int rc;

	if ((rc = mgmt_rule(cli, id, &resp, &rule)) != 0)
		return rc;
	if ((rc = rule_links(cli, id, 0, &lresp, &links)) == 0 &&
	    (rc = name_links(cli, links)) == 0) {
		if (cli_want_json(cli)) {
			json_object_object_add(rule, "groups", json_object_get(links));
			api_print_json(cli, rule);
		} else {
			show_fields(rule);
			printf("\n");
			show_table(links, link_columns,
			    sizeof(link_columns) / sizeof(link_columns[0]));
		}
	}
	json_object_put(links);
	json_object_put(lresp);
	json_object_put(resp);
	return rc;
}

/* The id of the rule (service, name), just created. */
static int
rule_id_of(struct cli *cli, const char *service, const char *name, int64_t *id)
{
	struct json_object *req = json_object_new_object(), *resp, *rules, *r;
	size_t i;
	int rc;

	api_add_str(req, "serviceId", service);
	api_add_str(req, "name", name);
	if ((rc = mgmt_read(cli, MGMT_GROUP "get-route-rules.json", req, "routeRules",
	    &resp, &rules)) != 0)
		return rc;
	rc = EXIT_NOTFOUND;
	for (i = 0; rules && i < json_object_array_length(rules); i++) {
		r = json_object_array_get_idx(rules, i);
		if (api_str(r, "name") && strcasecmp(api_str(r, "name"), name) == 0 &&
		    api_str(r, "serviceId") &&
		    strcasecmp(api_str(r, "serviceId"), service) == 0) {
			*id = json_object_get_int64(api_get(r, "routeRuleId"));
			rc = 0;
			break;
		}
	}
	if (rc != 0)
		cli_err(cli, "route rule '%s' of %s not found after creating it", name,
		    service);
	json_object_put(resp);
	return rc;
}

/* NAME:WEIGHT into name (len bytes) and *weight; -1 when malformed. */
static int
group_weight(const char *arg, char *name, size_t len, int *weight)
{
	const char *colon = strrchr(arg, ':'), *errstr = NULL;
	long long w;

	if (colon == NULL || colon == arg || (size_t)(colon - arg) >= len)
		return -1;
	w = strtonum(colon + 1, 0, 10000, &errstr);
	if (errstr != NULL)
		return -1;
	memcpy(name, arg, colon - arg);
	name[colon - arg] = '\0';
	*weight = (int)w;
	return 0;
}

/* route create: a rule, its groups (NAME:WEIGHT in this zone) and the links. */
static int
route_create(struct cli *cli, const struct command *cmd, const struct mopts *m)
{
	struct json_object *req, *rule, *groups, *g;
	const char *region = api_region(cli, m->region), *zone = api_zone(cli, m->zone);
	char name[256];
	int64_t id;
	size_t i;
	int rc, w;

	mopts_need(cli, cmd, m->service, "--service-id");
	mopts_need(cli, cmd, m->name, "--name");
	mopts_need(cli, cmd, region, "--region (or [node] region in the configuration)");
	mopts_need(cli, cmd, zone, "--zone (or [node] zone in the configuration)");
	if (m->ngroups == 0) {
		cli_err(cli, "missing --group NAME:WEIGHT");
		cli_usage(cmd, EXIT_USAGE);
	}
	req = json_object_new_object();
	groups = json_object_new_array();
	json_object_object_add(req, "groups", groups);
	for (i = 0; i < m->ngroups; i++) {
		if (group_weight(m->groups[i], name, sizeof(name), &w) == -1) {
			json_object_put(req);
			cli_err(cli, "--group wants NAME:WEIGHT (0..10000), not '%s'",
			    m->groups[i]);
			cli_usage(cmd, EXIT_USAGE);
		}
		g = json_object_new_object();
		api_add_str(g, "serviceId", m->service);
		api_add_str(g, "regionId", region);
		api_add_str(g, "zoneId", zone);
		api_add_str(g, "name", name);
		api_add_str(g, "appId", mopts_app_id(m));
		api_add_str(g, "status", "active");
		json_object_object_add(g, "weight", json_object_new_int(w));
		json_object_array_add(groups, g);
	}
	rule = json_object_new_object();
	api_add_str(rule, "serviceId", m->service);
	api_add_str(rule, "name", m->name);
	api_add_str(rule, "description", m->description);
	api_add_str(rule, "status", m->status ? m->status : "active");
	api_add_str(rule, "strategy", m->strategy ? m->strategy : "weighted-round-robin");
	json_object_object_add(req, "routeRule", rule);
	mopts_context(req, m, m->operation ? m->operation : "create");
	if ((rc = mgmt_send(cli, MGMT_GROUP "create-route-rule.json", req)) != 0)
		return rc;
	if ((rc = rule_id_of(cli, m->service, m->name, &id)) != 0)
		return rc;
	return route_show(cli, id);
}

static int
route_list(struct cli *cli, const struct mopts *m)
{
	struct json_object *req = json_object_new_object(), *resp, *rules;
	int filtered = m->service || m->name || m->status, rc;

	/* get-all-route-rules is not rate limited: use it when nothing is
	 * filtered */
	api_add_str(req, "serviceId", m->service);
	api_add_str(req, "name", m->name);
	api_add_str(req, "status", m->status);
	if ((rc = mgmt_read(cli, filtered ? MGMT_GROUP "get-route-rules.json" :
	    MGMT_GROUP "get-all-route-rules.json", req, "routeRules", &resp,
	    &rules)) != 0)
		return rc;
	if (cli_want_json(cli))
		api_print_json(cli, rules ? rules : json_object_new_array());
	else
		show_table(rules, rule_columns,
		    sizeof(rule_columns) / sizeof(rule_columns[0]));
	json_object_put(resp);
	return 0;
}

static int
route_delete(struct cli *cli, const struct command *cmd, const struct mopts *m,
    int argc, char **argv)
{
	struct json_object *req, *ids, *resp, *rule;
	size_t i;
	int rc;

	ids = mopts_id_list(cli, cmd, m->route_id, argc, argv, "ROUTE-ID");
	for (i = 0; i < json_object_array_length(ids); i++) {
		if ((rc = mgmt_rule(cli, json_object_get_int64(
		    json_object_array_get_idx(ids, i)), &resp, &rule)) != 0) {
			json_object_put(ids);
			return rc;
		}
		json_object_put(resp);
	}
	req = json_object_new_object();
	json_object_object_add(req, "routeRuleIds", ids);
	mopts_context(req, m, m->operation ? m->operation : "delete");
	return mgmt_write(cli, MGMT_GROUP "delete-route-rules.json", req);
}

/* route weight [--route-id] R --group-id G WEIGHT: stage a weight. The link is
 * an upsert, so this also adds a group to a rule; both must exist. */
static int
route_weight(struct cli *cli, const struct command *cmd, const struct mopts *m,
    int argc, char **argv)
{
	struct json_object *req, *list, *item, *resp, *rule;
	const char *errstr = NULL;
	int64_t rid, gid;
	long long w;
	int rc;

	if (m->route_id == NULL && argc != 2)
		mopts_need(cli, cmd, NULL, "--route-id");
	rid = mopts_id_arg(cli, cmd, m->route_id, &argc, &argv, "--route-id");
	gid = mopts_id(cli, cmd, m->group_id, "--group-id");
	if (argc != 1) {
		cli_err(cli, "missing WEIGHT");
		cli_usage(cmd, EXIT_USAGE);
	}
	w = strtonum(argv[0], 0, 10000, &errstr);
	if (errstr) {
		cli_err(cli, "weight '%s' is %s (0..10000)", argv[0], errstr);
		cli_usage(cmd, EXIT_USAGE);
	}
	if ((rc = mgmt_rule(cli, rid, &resp, &rule)) != 0 ||
	    (rc = mgmt_group_exists(cli, gid)) != 0) {
		json_object_put(resp);
		return rc;
	}
	json_object_put(resp);
	item = json_object_new_object();
	json_object_object_add(item, "routeRuleId", json_object_new_int64(rid));
	json_object_object_add(item, "groupId", json_object_new_int64(gid));
	json_object_object_add(item, "unreleasedWeight", json_object_new_int((int)w));
	list = json_object_new_array();
	json_object_array_add(list, item);
	req = json_object_new_object();
	json_object_object_add(req, "routeRuleGroups", list);
	mopts_context(req, m, m->operation ? m->operation : "weight");
	return mgmt_write(cli, MGMT_GROUP "update-route-rule-groups.json", req);
}

/* route release [--route-id] R [--group-id G]: publish staged weights, of every
 * group of the rule or of one. The staged weight goes along so that the log
 * row records what was released. */
static int
route_release(struct cli *cli, const struct command *cmd, const struct mopts *m,
    int argc, char **argv)
{
	struct json_object *req, *list, *item, *resp, *rule, *lresp, *links, *l;
	int64_t rid, gid = 0;
	size_t i;
	int rc;

	rid = mopts_id_arg(cli, cmd, m->route_id, &argc, &argv, "--route-id");
	if (m->group_id)
		gid = mopts_id(cli, cmd, m->group_id, "--group-id");
	if (argc != 0)
		cli_usage(cmd, EXIT_USAGE);
	if ((rc = mgmt_rule(cli, rid, &resp, &rule)) != 0)
		return rc;
	json_object_put(resp);
	if ((rc = rule_links(cli, rid, gid, &lresp, &links)) != 0)
		return rc;
	if (json_object_array_length(links) == 0) {
		if (gid)
			cli_err(cli, "group %lld is not in route rule %lld",
			    (long long)gid, (long long)rid);
		else
			cli_err(cli, "route rule %lld has no groups", (long long)rid);
		json_object_put(links);
		json_object_put(lresp);
		return EXIT_NOTFOUND;
	}
	list = json_object_new_array();
	for (i = 0; i < json_object_array_length(links); i++) {
		l = json_object_array_get_idx(links, i);
		item = json_object_new_object();
		json_object_object_add(item, "routeRuleId", json_object_new_int64(rid));
		json_object_object_add(item, "groupId",
		    json_object_get(api_get(l, "groupId")));
		json_object_object_add(item, "unreleasedWeight",
		    json_object_get(api_get(l, "unreleasedWeight")));
		json_object_array_add(list, item);
	}
	json_object_put(links);
	json_object_put(lresp);
	req = json_object_new_object();
	json_object_object_add(req, "routeRuleGroups", list);
	mopts_context(req, m, m->operation ? m->operation : "release");
	return mgmt_write(cli, MGMT_GROUP "release-route-rule-groups.json", req);
}

int
cmd_route(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct mopts m;
	int64_t id;

	mopts_parse(cli, cmd, argc, argv, &m);
	argc -= optind;
	argv += optind;
	if (strcmp(cmd->object, "create") == 0 && argc == 0)
		return route_create(cli, cmd, &m);
	if (strcmp(cmd->object, "list") == 0 && argc == 0)
		return route_list(cli, &m);
	if (strcmp(cmd->object, "get") == 0) {
		id = mopts_id_arg(cli, cmd, m.route_id, &argc, &argv, "ROUTE-ID");
		if (argc == 0)
			return route_show(cli, id);
	}
	if (strcmp(cmd->object, "delete") == 0)
		return route_delete(cli, cmd, &m, argc, argv);
	if (strcmp(cmd->object, "weight") == 0)
		return route_weight(cli, cmd, &m, argc, argv);
	if (strcmp(cmd->object, "release") == 0)
		return route_release(cli, cmd, &m, argc, argv);
	cli_usage(cmd, EXIT_USAGE);
}
