/*
 * canary.c — update-canary-ips.json (management-contract §4): find or create the
 * service's canary-route-rule, its group (this node's region, zone "canary",
 * name = appId) and their link, then make the group's explicit members equal to
 * canaryIps.
 *
 * The steps keep Java's order and its partial effects (§4, §8.13, §8.18): a
 * blank appId fails after the rule was created, and a missing canaryIps or a
 * failed operation-context check fails after the rule, the group and the link
 * were created; what was done before the failure stays. A database error
 * rolls everything back. See docs/compat.md, "Management".
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

/* How a call ends: success, failure keeping the steps done, or rolled back. */
enum canary_end { CANARY_DONE, CANARY_KEEP, CANARY_UNDO };

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

static void
members_free(struct members *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->iids[i]);
	free(m->iids);
	free(m->ids);
	memset(m, 0, sizeof(*m));
}

/* The i-th requested id (NULL for a null element). */
static const char *
ip_at(struct json_object *ips, size_t i)
{
	struct json_object *e = json_object_array_get_idx(ips, i);

	return e != NULL ? json_object_get_string(e) : NULL;
}

/* Index + 1 of iid among the first n requested ids, 0 if absent. */
static size_t
ip_index(struct json_object *ips, size_t n, const char *iid)
{
	const char *s;
	size_t i;

	for (i = 0; i < n; i++)
		if ((s = ip_at(ips, i)) != NULL && strcmp(s, iid) == 0)
			return i + 1;
	return 0;
}

/* Step 5: members not requested are removed, requested ones not stored are
 * added (each logged once, duplicates in the request count once). A blank id
 * fails after the removals, as Java's insert check does. */
static enum canary_end
sync_members(int64_t gid, struct json_object *ips, const struct op_ctx *c)
{
	struct members m;
	const char *iid;
	size_t i, j, n = json_object_array_length(ips);
	enum canary_end end = CANARY_DONE;
	int stored;

	memset(&m, 0, sizeof(m));
	if (store_gi_list(mgmtd->store, 1, gid, NULL, member_cb, &m) == -1) {
		members_free(&m);
		return CANARY_UNDO;
	}
	for (i = 0; i < m.n; i++)
		if (ip_index(ips, n, m.iids[i]) == 0 &&
		    (store_gi_delete(mgmtd->store, m.ids[i], NULL, NULL) == -1 ||
		    group_instance_log(gid, m.iids[i], c) == -1)) {
			members_free(&m);
			return CANARY_UNDO;
		}
	for (i = 0; i < n && end == CANARY_DONE; i++)
		if (str_blank(ip_at(ips, i)))
			end = CANARY_KEEP;
	for (i = 0; i < n && end == CANARY_DONE; i++) {
		iid = ip_at(ips, i);
		if (ip_index(ips, i, iid) != 0)
			continue;	/* a repeat */
		for (j = 0, stored = 0; j < m.n && !stored; j++)
			stored = strcmp(m.iids[j], iid) == 0;
		if (!stored && (store_gi_insert(mgmtd->store, gid, iid) == -1 ||
		    group_instance_log(gid, iid, c) == -1))
			end = CANARY_UNDO;
	}
	members_free(&m);
	return end;
}

/* Steps 2 to 5 inside the open transaction. */
static enum canary_end
canary_steps(const char *service_id, const char *app_id, struct json_object *ips,
    const struct op_ctx *c)
{
	struct rule_row r;
	struct group_row g;
	int64_t rule_id, gid;

	memset(&r, 0, sizeof(r));
	r.service_id = service_id;
	r.name = "canary-route-rule";
	r.status = "active";
	r.strategy = "weighted-round-robin";
	if (store_rule_put(mgmtd->store, &r, 1, &rule_id) == -1)
		return CANARY_UNDO;
	if (str_blank(app_id))
		return CANARY_KEEP;
	memset(&g, 0, sizeof(g));
	g.service_id = service_id;
	g.region_id = mgmtd->cfg->region;
	g.zone_id = "canary";
	g.name = app_id;
	g.app_id = app_id;
	g.status = "active";
	if (store_group_put(mgmtd->store, &g, 1, &gid) == -1 ||
	    store_rrg_insert_ignore(mgmtd->store, rule_id, gid, 5) == -1)
		return CANARY_UNDO;
	if (ips == NULL || !ctx_valid(c))
		return CANARY_KEEP;
	return sync_members(gid, ips, c);
}

static void
canary_finish(struct http_response *res, enum canary_end end)
{
	uint64_t version;

	if (end != CANARY_KEEP) {
		write_finish(res, end == CANARY_DONE, CANARY_FAIL, 1);
		return;
	}
	if (store_commit(mgmtd->store, &version) == 0)
		write_done(version, 0);
	reply_ise(res, CANARY_FAIL);
}

void
h_update_canary_ips(struct http_request *req, struct http_response *res)
{
	struct json_object *o, *ips, *e;
	struct op_ctx c;
	char *service_id = NULL, *app_id = NULL;
	size_t i;

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
	/* a blank serviceId fails the rule's insert: nothing is written */
	if (write_begin(res, !str_blank(service_id), CANARY_FAIL) == -1)
		goto out;
	canary_finish(res, canary_steps(service_id, app_id, ips, &c));
out:
	free(service_id);
	free(app_id);
	write_close(o, &c);
}
