/*
 * status.c — `artemis status`: this node, the cluster, lease protection
 * (self-preservation) and counts, in one screen.
 */
#include <json.h>
#include <stdio.h>
#include <string.h>

#include "api.h"

static const char *
yesno(struct json_object *o, const char *key)
{
	struct json_object *v = api_get(o, key);

	if (v == NULL || json_object_get_type(v) == json_type_null)
		return "-";
	return json_object_get_boolean(v) ? "yes" : "no";
}

static void
print_node(const char *indent, struct json_object *ns)
{
	struct json_object *node = api_get(ns, "node"), *zone = api_get(node, "zone");

	printf("%s%-8s %s  (%s/%s)  registry:%s discovery:%s\n", indent,
	    api_str(ns, "status") ? api_str(ns, "status") : "-",
	    api_str(node, "url") ? api_str(node, "url") : "-",
	    api_str(zone, "regionId") ? api_str(zone, "regionId") : "-",
	    api_str(zone, "zoneId") ? api_str(zone, "zoneId") : "-",
	    yesno(ns, "canServiceRegistry"), yesno(ns, "canServiceDiscovery"));
}

static long long
num(struct json_object *o, const char *key)
{
	struct json_object *v = api_get(o, key);

	return v ? (long long)json_object_get_int64(v) : 0;
}

static void
print_leases(const char *what, struct json_object *l)
{
	int services = (int)num(l, "serviceCount");
	int safe = json_object_get_boolean(api_get(l, "isSafe"));

	printf("%-14s %lld in %d service%s; protection %s%s; updates last window "
	    "%lld (max %lld)\n", what, num(l, "leaseCount"), services,
	    services == 1 ? "" : "s",
	    json_object_get_boolean(api_get(l, "isSafeCheckEnabled")) ? "enabled" :
	    "disabled", safe ? "" : ", SELF-PRESERVATION ACTIVE (expiry paused)",
	    num(l, "leaseUpdateCountLastTimeWindow"), num(l, "leaseUpdateMaxCount"));
}

/* Drop the per-service lease lists: status is a summary. */
static void
strip_leases(struct json_object *l)
{
	struct json_object *leases = api_get(l, "leases");

	if (leases && json_object_is_type(leases, json_type_object))
		json_object_object_add(l, "serviceCount",
		    json_object_new_int(json_object_object_length(leases)));
	json_object_object_del(l, "leases");
	json_object_object_del(l, "responseStatus");
}

int
cmd_status(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	struct json_object *node = NULL, *cluster = NULL, *leases = NULL, *legacy = NULL;
	struct json_object *out, *list;
	size_t i;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1)
		cli_common_opt(cli, cmd, ch);
	if (optind != argc)
		cli_usage(cmd, EXIT_USAGE);
	if ((rc = api_call(cli, "registry", "/api/status/node.json", NULL, &node)) != 0)
		return rc;
	/* the rest is best effort: rate limits may refuse a part */
	api_request(cli, "registry", "/api/status/cluster.json", NULL, &cluster);
	api_request(cli, "registry", "/api/status/leases.json", NULL, &leases);
	api_request(cli, "registry", "/api/status/legacy-leases.json", NULL, &legacy);
	strip_leases(leases);
	strip_leases(legacy);
	if (cli_want_json(cli)) {
		out = json_object_new_object();
		json_object_object_add(out, "node", json_object_get(api_get(node,
		    "nodeStatus")));
		json_object_object_add(out, "cluster", json_object_get(api_get(cluster,
		    "nodesStatus")));
		json_object_object_add(out, "leases", json_object_get(leases));
		json_object_object_add(out, "legacyLeases", json_object_get(legacy));
		api_print_json(cli, out);
		json_object_put(out);
	} else {
		printf("node           ");
		print_node("", api_get(node, "nodeStatus"));
		list = api_get(cluster, "nodesStatus");
		printf("cluster        %lld node%s\n", num(cluster, "nodeCount"),
		    num(cluster, "nodeCount") == 1 ? "" : "s");
		for (i = 0; list && json_object_is_type(list, json_type_array) &&
		    i < json_object_array_length(list); i++)
			print_node("               ", json_object_array_get_idx(list, i));
		if (leases)
			print_leases("leases", leases);
		if (legacy)
			print_leases("legacy leases", legacy);
	}
	json_object_put(node);
	json_object_put(cluster);
	json_object_put(leases);
	json_object_put(legacy);
	return 0;
}
