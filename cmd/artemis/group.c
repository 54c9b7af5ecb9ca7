/*
 * group.c — `artemis group ...`: groups of a service's instances in one zone,
 * their tags and their explicit members (management-contract §1.3.4, §1.3.5,
 * §1.3.7). Pulling a group out is in manage.c.
 *
 * mgmtd answers an unknown group id with a generic failure, or not at all
 * (deletes of unknown ids succeed), so every command that names a group looks it
 * up first: an unknown id is EXIT_NOTFOUND with a message that says which.
 */
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mgmt.h"

static const struct column group_columns[] = {
	{ "ID", "groupId" }, { "SERVICE", "serviceId" }, { "REGION", "regionId" },
	{ "ZONE", "zoneId" }, { "NAME", "name" }, { "APP", "appId" },
	{ "STATUS", "status" },
};
#define NGROUP_COLUMNS	(sizeof(group_columns) / sizeof(group_columns[0]))

static const struct column member_columns[] = {
	{ "ID", "id" }, { "GROUP-ID", "groupId" }, { "INSTANCE-ID", "instanceId" },
};

static void
show_groups(struct cli *cli, struct json_object *groups)
{
	if (cli_want_json(cli))
		api_print_json(cli, groups);
	else
		show_table(groups, group_columns, NGROUP_COLUMNS);
}

/* ---- create, list, get, delete ---- */

static int
same(struct json_object *o, const char *key, const char *v)
{
	const char *s = api_str(o, key);

	return s && v && strcasecmp(s, v) == 0;
}

static int
group_create(struct cli *cli, const struct command *cmd, const struct mopts *m)
{
	struct json_object *req, *g, *list, *resp, *groups, *one;
	const char *region = api_region(cli, m->region), *zone = api_zone(cli, m->zone);
	size_t i;
	int rc;

	mopts_need(cli, cmd, m->service, "--service-id");
	mopts_need(cli, cmd, m->name, "--name");
	mopts_need(cli, cmd, region, "--region (or [node] region in the configuration)");
	mopts_need(cli, cmd, zone, "--zone (or [node] zone in the configuration)");
	g = json_object_new_object();
	api_add_str(g, "serviceId", m->service);
	api_add_str(g, "regionId", region);
	api_add_str(g, "zoneId", zone);
	api_add_str(g, "name", m->name);
	api_add_str(g, "appId", mopts_app_id(m));
	api_add_str(g, "description", m->description);
	api_add_str(g, "status", m->status ? m->status : "active");
	list = json_object_new_array();
	json_object_array_add(list, g);
	req = json_object_new_object();
	json_object_object_add(req, "groups", list);
	mopts_context(req, m, m->operation ? m->operation : "create");
	if ((rc = mgmt_send(cli, MGMT_GROUP "insert-groups.json", req)) != 0)
		return rc;
	/* writes return no id: read the group back, it is what scripts want */
	req = json_object_new_object();
	api_add_str(req, "serviceId", m->service);
	api_add_str(req, "regionId", region);
	api_add_str(req, "zoneId", zone);
	api_add_str(req, "name", m->name);
	if ((rc = mgmt_read(cli, MGMT_GROUP "get-groups.json", req, "groups", &resp,
	    &groups)) != 0)
		return rc;
	one = json_object_new_array();
	for (i = 0; groups && i < json_object_array_length(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		if (same(g, "serviceId", m->service) && same(g, "regionId", region) &&
		    same(g, "zoneId", zone) && same(g, "name", m->name))
			json_object_array_add(one, json_object_get(g));
	}
	if (json_object_array_length(one) == 0) {
		cli_err(cli, "group '%s' not found after creating it", m->name);
		rc = EXIT_NOTFOUND;
	} else if (cli_want_json(cli))
		api_print_json(cli, json_object_array_get_idx(one, 0));
	else
		show_table(one, group_columns, NGROUP_COLUMNS);
	json_object_put(one);
	json_object_put(resp);
	return rc;
}

static int
group_list(struct cli *cli, const struct mopts *m)
{
	struct json_object *req = json_object_new_object(), *resp, *groups;
	int filtered = m->service || m->region || m->zone || m->name || m->app_id ||
	    m->status, rc;

	/* get-all-groups is not rate limited: use it when nothing is filtered */
	api_add_str(req, "serviceId", m->service);
	api_add_str(req, "regionId", m->region);
	api_add_str(req, "zoneId", m->zone);
	api_add_str(req, "name", m->name);
	api_add_str(req, "appId", m->app_id);
	api_add_str(req, "status", m->status);
	if ((rc = mgmt_read(cli, filtered ? MGMT_GROUP "get-groups.json" :
	    MGMT_GROUP "get-all-groups.json", req, "groups", &resp, &groups)) != 0)
		return rc;
	show_groups(cli, groups ? groups : json_object_new_array());
	json_object_put(resp);
	return 0;
}

/* get-group-tags of one group: *tags is an object ({} when it has none). */
static int
group_tags(struct cli *cli, int64_t id, struct json_object **tags)
{
	struct json_object *req = json_object_new_object(), *resp, *gt, *t;
	int rc;

	json_object_object_add(req, "groupId", json_object_new_int64(id));
	if ((rc = mgmt_read(cli, MGMT_GROUP "get-group-tags.json", req, "groupTags",
	    &resp, &gt)) != 0)
		return rc;
	t = api_get(gt, "tags");
	*tags = t && json_object_is_type(t, json_type_object) ? json_object_get(t) :
	    json_object_new_object();
	json_object_put(resp);
	return 0;
}

/* get-group-instances, filtered here as well: *members is an array. */
static int
group_members(struct cli *cli, int64_t id, const char *instance,
    struct json_object **members)
{
	struct json_object *req = json_object_new_object(), *resp, *all, *e;
	size_t i;
	int rc;

	if (id)
		json_object_object_add(req, "groupId", json_object_new_int64(id));
	api_add_str(req, "instanceId", instance);
	if ((rc = mgmt_read(cli, MGMT_GROUP "get-group-instances.json", req,
	    "groupInstances", &resp, &all)) != 0)
		return rc;
	*members = json_object_new_array();
	for (i = 0; all && i < json_object_array_length(all); i++) {
		e = json_object_array_get_idx(all, i);
		if ((id && json_object_get_int64(api_get(e, "groupId")) != id) ||
		    (instance && !same(e, "instanceId", instance)))
			continue;
		json_object_array_add(*members, json_object_get(e));
	}
	json_object_put(resp);
	return 0;
}

/* group get: the group, its tags, member instance ids and operations. */
static int
group_get(struct cli *cli, int64_t id)
{
	struct json_object *resp, *g, *tags = NULL, *members = NULL, *ops;
	struct json_object *oresp = NULL, *req, *ids;
	size_t i;
	int rc;

	if ((rc = mgmt_group(cli, id, &resp, &g)) != 0)
		return rc;
	if ((rc = group_tags(cli, id, &tags)) != 0 ||
	    (rc = group_members(cli, id, NULL, &members)) != 0)
		goto out;
	req = json_object_new_object();
	json_object_object_add(req, "groupId", json_object_new_int64(id));
	if ((rc = mgmt_read(cli, MGMT_GROUP "get-group-operations.json", req,
	    "groupOperations", &oresp, &ops)) != 0)
		goto out;
	ids = json_object_new_array();
	for (i = 0; i < json_object_array_length(members); i++)
		json_object_array_add(ids, json_object_get(api_get(
		    json_object_array_get_idx(members, i), "instanceId")));
	json_object_object_add(g, "tags", json_object_get(tags));
	json_object_object_add(g, "instanceIds", ids);
	ops = api_get(ops, "operations");
	json_object_object_add(g, "operations", ops ? json_object_get(ops) :
	    json_object_new_array());
	if (cli_want_json(cli))
		api_print_json(cli, g);
	else
		show_fields(g);
out:
	json_object_put(oresp);
	json_object_put(members);
	json_object_put(tags);
	json_object_put(resp);
	return rc;
}

static int
group_delete(struct cli *cli, const struct command *cmd, const struct mopts *m,
    int argc, char **argv)
{
	struct json_object *req, *ids;
	size_t i;
	int rc;

	ids = mopts_id_list(cli, cmd, m->group_id, argc, argv, "GROUP-ID");
	for (i = 0; i < json_object_array_length(ids); i++)
		if ((rc = mgmt_group_exists(cli, json_object_get_int64(
		    json_object_array_get_idx(ids, i)))) != 0) {
			json_object_put(ids);
			return rc;
		}
	req = json_object_new_object();
	json_object_object_add(req, "groupIds", ids);
	mopts_context(req, m, m->operation ? m->operation : "delete");
	return mgmt_write(cli, MGMT_GROUP "delete-groups.json", req);
}

/* ---- tags ---- */

/* group tags set G KEY=VALUE ...: an empty value is refused here, the server
 * would drop it silently. */
static int
tags_set(struct cli *cli, const struct command *cmd, int64_t id, int argc,
    char **argv)
{
	struct json_object *req, *tags, *item, *list;
	char key[256];
	const char *eq;
	int i, rc;

	if (argc == 0)
		mopts_need(cli, cmd, NULL, "KEY=VALUE");
	tags = json_object_new_object();
	for (i = 0; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (eq == NULL || eq == argv[i] || eq[1] == '\0' ||
		    (size_t)(eq - argv[i]) >= sizeof(key)) {
			json_object_put(tags);
			cli_err(cli, "a tag is KEY=VALUE, both non-empty, not '%s'",
			    argv[i]);
			cli_usage(cmd, EXIT_USAGE);
		}
		memcpy(key, argv[i], eq - argv[i]);
		key[eq - argv[i]] = '\0';
		json_object_object_add(tags, key, json_object_new_string(eq + 1));
	}
	if ((rc = mgmt_group_exists(cli, id)) != 0) {
		json_object_put(tags);
		return rc;
	}
	item = json_object_new_object();
	json_object_object_add(item, "groupId", json_object_new_int64(id));
	json_object_object_add(item, "tags", tags);
	list = json_object_new_array();
	json_object_array_add(list, item);
	req = json_object_new_object();
	json_object_object_add(req, "groupTagsList", list);
	return mgmt_write(cli, MGMT_GROUP "update-group-tags.json", req);
}

static int
tags_list(struct cli *cli, int64_t id)
{
	struct json_object *tags, *rows, *row;
	static const struct column cols[] = { { "KEY", "key" }, { "VALUE", "value" } };
	int rc;

	if ((rc = group_tags(cli, id, &tags)) != 0)
		return rc;
	/* no tags and no group look alike in get-group-tags */
	if (json_object_object_length(tags) == 0 &&
	    (rc = mgmt_group_exists(cli, id)) != 0) {
		json_object_put(tags);
		return rc;
	}
	if (cli_want_json(cli))
		api_print_json(cli, tags);
	else {
		rows = json_object_new_array();
		json_object_object_foreach(tags, k, v) {
			row = json_object_new_object();
			api_add_str(row, "key", k);
			json_object_object_add(row, "value", json_object_get(v));
			json_object_array_add(rows, row);
		}
		show_table(rows, cols, 2);
		json_object_put(rows);
	}
	json_object_put(tags);
	return 0;
}

/* group tags delete G KEY ...: every key must be a tag of the group. */
static int
tags_delete(struct cli *cli, const struct command *cmd, int64_t id, int argc,
    char **argv)
{
	struct json_object *tags, *req;
	int i, rc;

	if (argc == 0)
		mopts_need(cli, cmd, NULL, "KEY");
	if ((rc = mgmt_group_exists(cli, id)) != 0 ||
	    (rc = group_tags(cli, id, &tags)) != 0)
		return rc;
	for (i = 0; i < argc; i++)
		if (api_get(tags, argv[i]) == NULL) {
			cli_err(cli, "group %lld has no tag '%s'", (long long)id, argv[i]);
			json_object_put(tags);
			return EXIT_NOTFOUND;
		}
	json_object_put(tags);
	/* the endpoint deletes what matches one filter: one call per key */
	for (i = 0; i < argc; i++) {
		req = json_object_new_object();
		json_object_object_add(req, "groupId", json_object_new_int64(id));
		api_add_str(req, "tag", argv[i]);
		rc = i + 1 < argc ?
		    mgmt_send(cli, MGMT_GROUP "delete-group-tags.json", req) :
		    mgmt_write(cli, MGMT_GROUP "delete-group-tags.json", req);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- explicit members ---- */

static int
members_add(struct cli *cli, const struct command *cmd, const struct mopts *m,
    int64_t id, int argc, char **argv)
{
	struct json_object *req, *list, *item;
	int i, rc;

	if (argc == 0)
		mopts_need(cli, cmd, NULL, "INSTANCE-ID");
	if ((rc = mgmt_group_exists(cli, id)) != 0)
		return rc;
	list = json_object_new_array();
	for (i = 0; i < argc; i++) {
		item = json_object_new_object();
		json_object_object_add(item, "groupId", json_object_new_int64(id));
		api_add_str(item, "instanceId", argv[i]);
		json_object_array_add(list, item);
	}
	req = json_object_new_object();
	json_object_object_add(req, "groupInstances", list);
	mopts_context(req, m, m->operation ? m->operation : "add");
	return mgmt_write(cli, MGMT_GROUP "insert-group-instances.json", req);
}

static int
members_list(struct cli *cli, const struct mopts *m, int64_t id)
{
	struct json_object *members;
	int rc;

	if (id && (rc = mgmt_group_exists(cli, id)) != 0)
		return rc;
	if ((rc = group_members(cli, id, m->instance, &members)) != 0)
		return rc;
	if (cli_want_json(cli))
		api_print_json(cli, members);
	else
		show_table(members, member_columns,
		    sizeof(member_columns) / sizeof(member_columns[0]));
	json_object_put(members);
	return 0;
}

/* Members are deleted by their row id: find the rows of these instance ids. */
static int
members_remove(struct cli *cli, const struct command *cmd, const struct mopts *m,
    int64_t id, int argc, char **argv)
{
	struct json_object *members, *ids, *req, *e;
	size_t j;
	int i, rc, found;

	if (argc == 0)
		mopts_need(cli, cmd, NULL, "INSTANCE-ID");
	if ((rc = mgmt_group_exists(cli, id)) != 0 ||
	    (rc = group_members(cli, id, NULL, &members)) != 0)
		return rc;
	ids = json_object_new_array();
	for (i = 0; i < argc; i++) {
		for (found = 0, j = 0; j < json_object_array_length(members); j++) {
			e = json_object_array_get_idx(members, j);
			if (same(e, "instanceId", argv[i])) {
				json_object_array_add(ids, json_object_get(api_get(e,
				    "id")));
				found = 1;
			}
		}
		if (!found) {
			cli_err(cli, "instance '%s' is not in group %lld", argv[i],
			    (long long)id);
			json_object_put(ids);
			json_object_put(members);
			return EXIT_NOTFOUND;
		}
	}
	json_object_put(members);
	req = json_object_new_object();
	json_object_object_add(req, "groupInstanceIds", ids);
	mopts_context(req, m, m->operation ? m->operation : "remove");
	return mgmt_write(cli, MGMT_GROUP "delete-group-instances.json", req);
}

int
cmd_group(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct mopts m;
	int64_t id = 0;

	mopts_parse(cli, cmd, argc, argv, &m);
	argc -= optind;
	argv += optind;
	if (strcmp(cmd->object, "create") == 0 && argc == 0)
		return group_create(cli, cmd, &m);
	if (strcmp(cmd->object, "list") == 0 && argc == 0)
		return group_list(cli, &m);
	if (strcmp(cmd->object, "delete") == 0)
		return group_delete(cli, cmd, &m, argc, argv);
	if (strcmp(cmd->object, "instances") == 0 &&
	    strcmp(cmd->action, "list") == 0) {
		if (m.group_id || argc > 0)
			id = mopts_id_arg(cli, cmd, m.group_id, &argc, &argv,
			    "GROUP-ID");
		if (argc == 0)
			return members_list(cli, &m, id);
		cli_usage(cmd, EXIT_USAGE);
	}
	if (strcmp(cmd->object, "create") == 0 || strcmp(cmd->object, "list") == 0)
		cli_usage(cmd, EXIT_USAGE);
	/* the rest name one group */
	id = mopts_id_arg(cli, cmd, m.group_id, &argc, &argv, "GROUP-ID");
	if (strcmp(cmd->object, "get") == 0 && argc == 0)
		return group_get(cli, id);
	if (strcmp(cmd->object, "tags") == 0) {
		if (strcmp(cmd->action, "set") == 0)
			return tags_set(cli, cmd, id, argc, argv);
		if (strcmp(cmd->action, "list") == 0 && argc == 0)
			return tags_list(cli, id);
		if (strcmp(cmd->action, "delete") == 0)
			return tags_delete(cli, cmd, id, argc, argv);
	}
	if (strcmp(cmd->object, "instances") == 0) {
		if (strcmp(cmd->action, "add") == 0)
			return members_add(cli, cmd, &m, id, argc, argv);
		if (strcmp(cmd->action, "remove") == 0)
			return members_remove(cli, cmd, &m, id, argc, argv);
	}
	cli_usage(cmd, EXIT_USAGE);
}
