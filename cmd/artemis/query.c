/*
 * query.c — `artemis service list|get` and `artemis instance list`: what
 * discovery serves, as JSON for scripts or an aligned table for people.
 * `instance list --local` reads the instance table in the state directory
 * directly (no daemon needed), the way varnishstat reads Varnish's shared memory.
 */
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "table.h"

struct qopts {
	const char	*region;
	const char	*zone;
	const char	*service;
	int		 local;
};

static void
parse_qopts(struct cli *cli, const struct command *cmd, int argc, char **argv,
    struct qopts *q)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "region", required_argument, NULL, OPT_REGION },
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ "service-id", required_argument, NULL, OPT_SERVICE_ID },
		{ "local", no_argument, NULL, OPT_LOCAL },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(q, 0, sizeof(*q));
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_REGION: q->region = optarg; break;
		case OPT_ZONE: q->zone = optarg; break;
		case OPT_SERVICE_ID: q->service = optarg; break;
		case OPT_LOCAL: q->local = 1; break;
		default: cli_common_opt(cli, cmd, ch);
		}
	}
}

static const char *
dash(const char *s)
{
	return s && *s ? s : "-";
}

static void
print_instances_table(struct json_object *arr)
{
	size_t i, n = arr ? json_object_array_length(arr) : 0;
	int w_svc = 7, w_id = 11, w;

	for (i = 0; i < n; i++) {
		struct json_object *in = json_object_array_get_idx(arr, i);

		if ((w = (int)strlen(dash(api_str(in, "serviceId")))) > w_svc)
			w_svc = w;
		if ((w = (int)strlen(dash(api_str(in, "instanceId")))) > w_id)
			w_id = w;
	}
	printf("%-*s  %-*s  %-8s  %-10s  %s\n", w_svc, "SERVICE", w_id, "INSTANCE-ID",
	    "STATUS", "ZONE", "URL");
	for (i = 0; i < n; i++) {
		struct json_object *in = json_object_array_get_idx(arr, i);

		printf("%-*s  %-*s  %-8s  %-10s  %s\n", w_svc,
		    dash(api_str(in, "serviceId")), w_id, dash(api_str(in, "instanceId")),
		    dash(api_str(in, "status")), dash(api_str(in, "zoneId")),
		    dash(api_str(in, "url")));
	}
}

static int
fetch_services(struct cli *cli, const struct qopts *q, struct json_object **resp)
{
	struct sbuf path = SBUF_INIT;
	const char *region = api_region(cli, q->region);
	int rc;

	sbuf_adds(&path, "/api/discovery/services.json");
	if (region) {
		sbuf_adds(&path, "?regionId=");
		api_urlencode(&path, region);
	}
	rc = api_call(cli, "discovery", path.s, NULL, resp);
	sbuf_free(&path);
	return rc;
}

int
cmd_service_list(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct json_object *resp, *svcs;
	struct qopts q;
	size_t i, n;
	int rc, w = 7;

	parse_qopts(cli, cmd, argc, argv, &q);
	if (optind != argc || q.local)
		cli_usage(cmd, EXIT_USAGE);
	if ((rc = fetch_services(cli, &q, &resp)) != 0)
		return rc;
	svcs = api_get(resp, "services");
	n = svcs && json_object_is_type(svcs, json_type_array) ?
	    json_object_array_length(svcs) : 0;
	if (cli_want_json(cli))
		api_print_json(cli, svcs ? svcs : json_object_new_array());
	else {
		for (i = 0; i < n; i++) {
			int l = (int)strlen(dash(api_str(json_object_array_get_idx(svcs,
			    i), "serviceId")));

			if (l > w)
				w = l;
		}
		printf("%-*s  %s\n", w, "SERVICE", "INSTANCES");
		for (i = 0; i < n; i++) {
			struct json_object *s = json_object_array_get_idx(svcs, i);
			struct json_object *in = api_get(s, "instances");

			printf("%-*s  %zu\n", w, dash(api_str(s, "serviceId")),
			    in && json_object_is_type(in, json_type_array) ?
			    json_object_array_length(in) : 0);
		}
	}
	json_object_put(resp);
	return 0;
}

/* service.json for one service; EXIT_NOTFOUND when it has no instances. */
static int
fetch_service(struct cli *cli, const struct qopts *q, const char *service,
    struct json_object **resp, struct json_object **svc)
{
	struct sbuf path = SBUF_INIT;
	const char *region = api_region(cli, q->region), *zone = api_zone(cli, q->zone);
	struct json_object *in;
	int rc;

	sbuf_adds(&path, "/api/discovery/service.json?serviceId=");
	api_urlencode(&path, service);
	if (region) {
		sbuf_adds(&path, "&regionId=");
		api_urlencode(&path, region);
	}
	if (zone) {
		sbuf_adds(&path, "&zoneId=");
		api_urlencode(&path, zone);
	}
	rc = api_call(cli, "discovery", path.s, NULL, resp);
	sbuf_free(&path);
	if (rc != 0)
		return rc;
	*svc = api_get(*resp, "service");
	in = api_get(*svc, "instances");
	if (in == NULL || !json_object_is_type(in, json_type_array)) {
		cli_err(cli, "service '%s' not found", service);
		json_object_put(*resp);
		*resp = NULL;
		return EXIT_NOTFOUND;
	}
	return 0;
}

int
cmd_service_get(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct json_object *resp, *svc;
	struct qopts q;
	int rc;

	parse_qopts(cli, cmd, argc, argv, &q);
	if (q.service == NULL && optind < argc)
		q.service = argv[optind++];
	if (q.service == NULL || optind != argc || q.local) {
		if (q.service == NULL)
			cli_err(cli, "which service? (SERVICE or --service-id)");
		cli_usage(cmd, EXIT_USAGE);
	}
	if ((rc = fetch_service(cli, &q, q.service, &resp, &svc)) != 0)
		return rc;
	if (cli_want_json(cli))
		api_print_json(cli, svc);
	else
		print_instances_table(api_get(svc, "instances"));
	json_object_put(resp);
	return 0;
}

/* The instance table, read in place: every live slot in [0, hwm). */
static int
local_instances(struct cli *cli, const char *service, struct json_object *out)
{
	struct table_rec *rec;
	struct table *t;
	char path[PATH_MAX], err[512];
	uint32_t i, hwm;

	if (cli_config(cli, 0) == -1)
		return EXIT_FAIL;
	if (config_state_path(&cli->conf, TABLE_FILE, path, sizeof(path)) == -1) {
		cli_err(cli, "state directory path too long");
		return EXIT_FAIL;
	}
	if ((t = table_open_reader(path, err, sizeof(err))) == NULL) {
		cli_err(cli, "%s", err);
		return EXIT_FAIL;
	}
	if ((rec = malloc(sizeof(*rec))) == NULL) {
		table_close(t);
		cli_err(cli, "out of memory");
		return EXIT_FAIL;
	}
	hwm = table_hwm(t);
	for (i = 0; i < hwm; i++) {
		struct json_object *o;

		if (table_read_slot(t, i, rec) != 1 || rec->eviction_ms != 0)
			continue;
		if (service && strcasecmp(service, rec->service_id) != 0)
			continue;
		if ((o = json_tokener_parse(rec->json)) != NULL)
			json_object_array_add(out, o);
	}
	free(rec);
	table_close(t);
	return 0;
}

static int
by_service_then_id(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	int c = strcmp(dash(api_str(x, "serviceId")), dash(api_str(y, "serviceId")));

	return c ? c : strcmp(dash(api_str(x, "instanceId")),
	    dash(api_str(y, "instanceId")));
}

int
cmd_instance_list(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct json_object *resp = NULL, *svc, *all, *svcs, *in;
	struct qopts q;
	size_t i, j;
	int rc;

	parse_qopts(cli, cmd, argc, argv, &q);
	if (q.service == NULL && optind < argc)
		q.service = argv[optind++];
	if (optind != argc)
		cli_usage(cmd, EXIT_USAGE);
	all = json_object_new_array();
	if (q.local)
		rc = local_instances(cli, q.service, all);
	else if (q.service) {
		if ((rc = fetch_service(cli, &q, q.service, &resp, &svc)) == 0) {
			in = api_get(svc, "instances");
			for (i = 0; i < json_object_array_length(in); i++)
				json_object_array_add(all, json_object_get(
				    json_object_array_get_idx(in, i)));
		}
	} else if ((rc = fetch_services(cli, &q, &resp)) == 0) {
		svcs = api_get(resp, "services");
		for (i = 0; svcs && i < json_object_array_length(svcs); i++) {
			in = api_get(json_object_array_get_idx(svcs, i), "instances");
			for (j = 0; in && j < json_object_array_length(in); j++)
				json_object_array_add(all, json_object_get(
				    json_object_array_get_idx(in, j)));
		}
	}
	if (rc == 0) {
		json_object_array_sort(all, by_service_then_id);
		if (cli_want_json(cli))
			api_print_json(cli, all);
		else
			print_instances_table(all);
	}
	json_object_put(all);
	json_object_put(resp);
	return rc;
}
