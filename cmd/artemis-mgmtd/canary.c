/*
 * canary.c — update-canary-ips.json (management-contract §4): find or create the
 * service's canary-route-rule, its group (this node's region, zone "canary",
 * name = appId) and their link, then make the group's explicit members equal to
 * canaryIps. Unlike Java, everything is validated first and written in one
 * transaction: a failed call leaves no rule or group behind.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mgmtd.h"
#include "model.h"
#include "store.h"

#define CANARY_FAIL	"update canary ips"

struct members {
	int64_t	*ids;
	char	**iids;
	size_t	 n;
};

static int
member_cb(int64_t id, int64_t gid, const char *instance_id, void *arg)
{
	struct members *m = arg;

	(void)gid;
	if ((m->ids = reallocarray(m->ids, m->n + 1, sizeof(*m->ids))) == NULL ||
	    (m->iids = reallocarray(m->iids, m->n + 1, sizeof(*m->iids))) == NULL ||
	    (m->iids[m->n] = strdup(instance_id)) == NULL)
		abort();
	m->ids[m->n++] = id;
	return 0;
}

static int
in_list(struct json_object *ips, const char *iid)
{
	struct json_object *e;
	size_t i;

	for (i = 0; i < json_object_array_length(ips); i++)
		if ((e = json_object_array_get_idx(ips, i)) != NULL &&
		    strcmp(json_object_get_string(e), iid) == 0)
			return 1;
	return 0;
}

void
h_update_canary_ips(struct http_request *req, struct http_response *res)
{
	struct json_object *o, *ips, *e;
	struct members m;
	struct rule_row r;
	struct group_row g;
	struct op_ctx c;
	char *service_id = NULL, *app_id = NULL;
	int64_t rule_id, gid;
	size_t i, j;
	int ok, stored;

	memset(&m, 0, sizeof(m));
	if (write_open(req, res, &o, &c) == -1)
		return;
	if (req_str(o, "serviceId", 0, &service_id, res) == -1 ||
	    req_str(o, "appId", 0, &app_id, res) == -1 ||
	    req_array(o, "canaryIps", &ips, res) == -1)
		goto out;
	for (i = 0; ips && i < json_object_array_length(ips); i++)
		if ((e = json_object_array_get_idx(ips, i)) != NULL &&
		    (json_object_is_type(e, json_type_object) ||
		    json_object_is_type(e, json_type_array))) {
			http_error(res, 400, "canaryIps: strings expected");
			goto out;
		}
	if (write_begin(res, !str_blank(service_id) && !str_blank(app_id) &&
	    ips != NULL && ctx_valid(&c), CANARY_FAIL) == -1)
		goto out;
	memset(&r, 0, sizeof(r));
	r.service_id = service_id;
	r.name = "canary-route-rule";
	r.status = "active";
	r.strategy = "weighted-round-robin";
	memset(&g, 0, sizeof(g));
	g.service_id = service_id;
	g.region_id = mgmtd->cfg->region;
	g.zone_id = "canary";
	g.name = app_id;
	g.app_id = app_id;
	g.status = "active";
	ok = store_rule_put(mgmtd->store, &r, 1, &rule_id) == 0 &&
	    store_group_put(mgmtd->store, &g, 1, &gid) == 0 &&
	    store_rrg_insert_ignore(mgmtd->store, rule_id, gid, 5) == 0 &&
	    store_gi_list(mgmtd->store, 1, gid, NULL, member_cb, &m) == 0;
	for (i = 0; ok && i < m.n; i++)		/* stored but not requested */
		if (!in_list(ips, m.iids[i]))
			ok = store_gi_delete(mgmtd->store, m.ids[i], NULL, NULL) != -1 &&
			    group_instance_log(gid, m.iids[i], &c) == 0;
	for (i = 0; ok && i < json_object_array_length(ips); i++) {
		const char *iid;

		if ((e = json_object_array_get_idx(ips, i)) == NULL)
			continue;
		iid = json_object_get_string(e);
		for (j = 0, stored = 0; j < m.n && !stored; j++)
			stored = strcmp(m.iids[j], iid) == 0;
		if (!stored && !str_blank(iid))
			ok = store_gi_insert(mgmtd->store, gid, iid) == 0 &&
			    group_instance_log(gid, iid, &c) == 0;
	}
	write_finish(res, ok, CANARY_FAIL, 1);
out:
	for (i = 0; i < m.n; i++)
		free(m.iids[i]);
	free(m.iids);
	free(m.ids);
	free(service_id);
	free(app_id);
	write_close(o, &c);
}
