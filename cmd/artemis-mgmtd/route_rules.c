/*
 * route_rules.c — route rules, route-rule groups (links with draft and released
 * weights), create-route-rule and release (management-contract §1.3.2, §1.3.3).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "mgmtd.h"
#include "model.h"
#include "store.h"

struct orule {
	char	*service_id, *name, *description, *status, *strategy;
};

static void
orule_free(struct orule *r)
{
	free(r->service_id);
	free(r->name);
	free(r->description);
	free(r->status);
	free(r->strategy);
	memset(r, 0, sizeof(*r));
}

static int
orule_decode(struct json_object *o, struct orule *r, struct http_response *res)
{
	memset(r, 0, sizeof(*r));
	if (req_str(o, "serviceId", 0, &r->service_id, res) == -1 ||
	    req_str(o, "name", 0, &r->name, res) == -1 ||
	    req_str(o, "description", 0, &r->description, res) == -1 ||
	    req_str(o, "status", 0, &r->status, res) == -1 ||
	    req_str(o, "strategy", 0, &r->strategy, res) == -1) {
		orule_free(r);
		return -1;
	}
	return 0;
}

static void
orule_row(const struct orule *o, struct rule_row *r)
{
	memset(r, 0, sizeof(*r));
	r->service_id = o->service_id;
	r->name = o->name;
	r->description = o->description;
	r->status = o->status;
	r->strategy = o->strategy;
}

static int
rule_log(const struct rule_row *r, const struct op_ctx *c)
{
	struct log_row lr;

	memset(&lr, 0, sizeof(lr));
	lr.s[LS_SERVICE] = r->service_id;
	lr.s[LS_NAME] = r->name;
	lr.s[LS_STATUS] = r->status;
	return log_with_ctx(LOG_ROUTE_RULE, &lr, c);
}

static int
rrg_log(int64_t rule, int64_t group, int has_w, int64_t w, const struct op_ctx *c)
{
	struct log_row lr;

	memset(&lr, 0, sizeof(lr));
	lr.n[LN_ROUTE_RULE_ID] = rule;
	lr.n[LN_GROUP_ID] = group;
	lr.has_n = 1u << LN_ROUTE_RULE_ID | 1u << LN_GROUP_ID;
	if (has_w) {
		lr.n[LN_WEIGHT] = w;
		lr.has_n |= 1u << LN_WEIGHT;
	}
	return log_with_ctx(LOG_ROUTE_RULE_GROUP, &lr, c);
}

static int
orule_complete(const struct orule *r)
{
	return !str_blank(r->service_id) && !str_blank(r->name) &&
	    !str_blank(r->status) && !str_blank(r->strategy);
}

/* ---- route rules ---- */

static int
rule_decode(struct json_object *e, void *elem, struct http_response *res)
{
	if (orule_decode(e, elem, res) == -1)
		return -1;
	return orule_complete(elem);
}

static int
rule_apply(const void *elem, const struct op_ctx *c)
{
	struct rule_row r;
	int64_t id;

	orule_row(elem, &r);
	return store_rule_put(mgmtd->store, &r, 0, &id) == 0 &&
	    rule_log(&r, c) == 0 ? 0 : -1;
}

static void
rule_free(void *elem)
{
	orule_free(elem);
}

static const struct list_write rules_write = {
	"routeRules", sizeof(struct orule), rule_decode, rule_apply, rule_free,
};

void
h_insert_route_rules(struct http_request *req, struct http_response *res)
{
	list_write(&rules_write, "insert route-rules failed.", req, res);
}

void
h_update_route_rules(struct http_request *req, struct http_response *res)
{
	list_write(&rules_write, "update route-rules failed.", req, res);
}

static int
rule_deleted(const struct rule_row *r, void *arg)
{
	struct deleted *d = arg;

	if (rule_log(r, d->c) == -1)
		d->failed = 1;
	return 0;
}

static int
rule_delete(int64_t id, const struct op_ctx *c)
{
	struct deleted d = { c, LOG_ROUTE_RULE, 0 };

	return deleted_result(&d, store_rule_delete(mgmtd->store, id, rule_deleted,
	    &d));
}

void
h_delete_route_rules(struct http_request *req, struct http_response *res)
{
	delete_ids("routeRuleIds", rule_delete, "delete route-rules failed.", req, res);
}

static int
rule_json_row(const struct rule_row *r, void *arg)
{
	struct rows *rows = arg;
	struct sbuf *b = &rows->out;

	rows_next(rows);
	sbuf_adds(b, "{\"description\":");
	model_json_string(b, r->description);
	sbuf_adds(b, ",\"name\":");
	model_json_string(b, r->name);
	sbuf_addf(b, ",\"routeRuleId\":%lld,\"serviceId\":", (long long)r->id);
	model_json_string(b, r->service_id);
	sbuf_adds(b, ",\"status\":");
	model_json_string(b, r->status);
	sbuf_adds(b, ",\"strategy\":");
	model_json_string(b, r->strategy);
	sbuf_addc(b, '}');
	return 0;
}

static void
list_rules(struct http_request *req, struct http_response *res, int filtered)
{
	const char *msg = filtered ? "get route-rules failed." :
	    "get all-route-rules failed.";
	struct json_object *o;
	struct rows rows = { SBUF_INIT, 0 };
	struct orule f;
	struct rule_row r;
	int64_t id = 0;
	int has_id = 0, rc;

	if (filtered && !group_rate_ok(res, "get.route-rules", "routeRules"))
		return;
	if ((o = req_json(req, res)) == NULL)
		return;
	memset(&f, 0, sizeof(f));
	if (filtered && (orule_decode(o, &f, res) == -1 || req_int(o, "routeRuleId",
	    INT64_MIN, INT64_MAX, &id, &has_id, res) == -1))
		goto out;
	orule_row(&f, &r);
	r.id = id;
	if ((rc = store_read_begin(mgmtd->store)) == 0) {
		rc = store_rule_list(mgmtd->store, &r, has_id, rule_json_row, &rows);
		store_read_end(mgmtd->store);
	}
	reply_rows(res, rc, "routeRules", msg, &rows);
out:
	sbuf_free(&rows.out);
	orule_free(&f);
	json_object_put(o);
}

void
h_get_route_rules(struct http_request *req, struct http_response *res)
{
	list_rules(req, res, 1);
}

void
h_get_all_route_rules(struct http_request *req, struct http_response *res)
{
	list_rules(req, res, 0);
}

/* ---- route-rule groups ---- */

struct orrg {
	int64_t	 rule, group, weight;
	int	 has_rule, has_group, has_weight;
};

static int
rrg_decode(struct json_object *e, void *elem, struct http_response *res)
{
	struct orrg *x = elem;

	if (req_int(e, "routeRuleId", INT64_MIN, INT64_MAX, &x->rule, &x->has_rule,
	    res) == -1 ||
	    req_int(e, "groupId", INT64_MIN, INT64_MAX, &x->group, &x->has_group,
	    res) == -1 ||
	    req_int(e, "unreleasedWeight", INT32_MIN, INT32_MAX, &x->weight,
	    &x->has_weight, res) == -1)
		return -1;
	return x->has_rule && x->has_group;
}

/* Insert and update set the draft (unreleased) weight of the pair; whether the
 * rule and the group exist is not checked (§1.3.3): a dangling link is stored
 * and ignored by discovery until both exist. */
static int
rrg_put(const void *elem, const struct op_ctx *c)
{
	const struct orrg *x = elem;

	return store_rrg_put(mgmtd->store, x->rule, x->group, x->has_weight,
	    (int)x->weight) == 0 &&
	    rrg_log(x->rule, x->group, x->has_weight, x->weight, c) == 0 ? 0 : -1;
}

/* Release makes the draft weight the one discovery serves. */
static int
rrg_release(const void *elem, const struct op_ctx *c)
{
	const struct orrg *x = elem;

	return store_rrg_release(mgmtd->store, x->rule, x->group) == 0 &&
	    rrg_log(x->rule, x->group, x->has_weight, x->weight, c) == 0 ? 0 : -1;
}

static const struct list_write rrgs_put = {
	"routeRuleGroups", sizeof(struct orrg), rrg_decode, rrg_put, NULL,
};

static const struct list_write rrgs_release = {
	"routeRuleGroups", sizeof(struct orrg), rrg_decode, rrg_release, NULL,
};

void
h_insert_rrgs(struct http_request *req, struct http_response *res)
{
	list_write(&rrgs_put, "insert route-rule-groups failed.", req, res);
}

void
h_update_rrgs(struct http_request *req, struct http_response *res)
{
	list_write(&rrgs_put, "update route-rule-groups failed.", req, res);
}

void
h_release_rrgs(struct http_request *req, struct http_response *res)
{
	/* the message is Java's copy-paste, kept for compatibility */
	list_write(&rrgs_release, "get route-rule-groups failed.", req, res);
}

static int
rrg_deleted(const struct rrg_row *r, void *arg)
{
	struct deleted *d = arg;

	if (rrg_log(r->route_rule_id, r->group_id, r->has_unreleased, r->unreleased,
	    d->c) == -1)
		d->failed = 1;
	return 0;
}

static int
rrg_delete(int64_t id, const struct op_ctx *c)
{
	struct deleted d = { c, LOG_ROUTE_RULE_GROUP, 0 };

	return deleted_result(&d, store_rrg_delete(mgmtd->store, id, rrg_deleted,
	    &d));
}

void
h_delete_rrgs(struct http_request *req, struct http_response *res)
{
	delete_ids("routeRuleGroupIds", rrg_delete, "delete route-rule-groups failed.",
	    req, res);
}

static int
rrg_json_row(const struct rrg_row *r, void *arg)
{
	struct rows *rows = arg;
	struct sbuf *b = &rows->out;

	rows_next(rows);
	sbuf_addf(b, "{\"groupId\":%lld,\"routeRuleGroupId\":%lld,\"routeRuleId\":%lld,"
	    "\"unreleasedWeight\":", (long long)r->group_id, (long long)r->id,
	    (long long)r->route_rule_id);
	if (r->has_unreleased)
		sbuf_addf(b, "%d", r->unreleased);
	else
		sbuf_adds(b, "null");
	sbuf_adds(b, ",\"weight\":");
	if (r->has_weight)
		sbuf_addf(b, "%d}", r->weight);
	else
		sbuf_adds(b, "null}");
	return 0;
}

static void
list_rrgs(struct http_request *req, struct http_response *res, int filtered)
{
	const char *msg = filtered ? "get route-rule-groups failed." :
	    "get all route-rule-group failed.";
	struct json_object *o;
	struct rows rows = { SBUF_INIT, 0 };
	int64_t id = 0, rule = 0, group = 0;
	int has_id = 0, has_rule = 0, has_group = 0, rc;

	if (filtered && !group_rate_ok(res, "get.route-rule-groups",
	    "routeRuleGroups"))
		return;
	if ((o = req_json(req, res)) == NULL)
		return;
	if (filtered && (req_int(o, "routeRuleGroupId", INT64_MIN, INT64_MAX, &id,
	    &has_id, res) == -1 || req_int(o, "routeRuleId", INT64_MIN, INT64_MAX,
	    &rule, &has_rule, res) == -1 || req_int(o, "groupId", INT64_MIN,
	    INT64_MAX, &group, &has_group, res) == -1))
		goto out;
	if ((rc = store_read_begin(mgmtd->store)) == 0) {
		rc = store_rrg_list(mgmtd->store, has_id, id, has_rule, rule, has_group,
		    group, rrg_json_row, &rows);
		store_read_end(mgmtd->store);
	}
	reply_rows(res, rc, "routeRuleGroups", msg, &rows);
out:
	sbuf_free(&rows.out);
	json_object_put(o);
}

void
h_get_rrgs(struct http_request *req, struct http_response *res)
{
	list_rrgs(req, res, 1);
}

void
h_get_all_rrgs(struct http_request *req, struct http_response *res)
{
	list_rrgs(req, res, 0);
}

/* ---- create-route-rule: rule, groups and links in one call ---- */

/* A group of the call: -1 answered 400; 0 incomplete, without a weight or of
 * another service than the rule's; 1 fine. */
static int
cgroup_decode(struct json_object *e, struct ogroup *g, const char *service_id,
    struct http_response *res)
{
	if (ogroup_decode(e, g, res) == -1)
		return -1;
	return ogroup_complete(g) && g->has_weight && service_id != NULL &&
	    strcasecmp(g->service_id, service_id) == 0;
}

/* Revive or create the group, log it, link it with its released weight. */
static int
cgroup_link(const struct ogroup *x, int64_t rule_id, const struct op_ctx *c)
{
	struct group_row g;
	int64_t gid;

	ogroup_row(x, &g);
	return group_put_logged(&g, 1, c, &gid) == 0 &&
	    store_rrg_put(mgmtd->store, rule_id, gid, 1, (int)x->weight) == 0 &&
	    rrg_log(rule_id, gid, 1, x->weight, c) == 0 ? 0 : -1;
}

void
h_create_route_rule(struct http_request *req, struct http_response *res)
{
	const char *msg = "create route-rule failed.";
	struct json_object *o, *ro, *list, *e;
	struct ogroup *gs = NULL;
	struct orule rr;
	struct rule_row r;
	struct op_ctx c;
	size_t i, n = 0;
	int64_t rule_id;
	int rc, valid = 1, ok;

	memset(&rr, 0, sizeof(rr));
	if (write_open(req, res, &o, &c) == -1)
		return;
	if (req_object(o, "routeRule", &ro, res) == -1 ||
	    req_array(o, "groups", &list, res) == -1 ||
	    (ro != NULL && orule_decode(ro, &rr, res) == -1))
		goto out;
	n = list ? json_object_array_length(list) : 0;
	if ((gs = calloc(n + 1, sizeof(*gs))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		if (!json_is_object(e))
			valid = 0;
		else if ((rc = cgroup_decode(e, &gs[i], rr.service_id, res)) == -1)
			goto out;
		else if (rc == 0)
			valid = 0;
	}
	if (write_begin(res, valid && ro != NULL && orule_complete(&rr) && n > 0 &&
	    ctx_valid(&c), msg) == -1)
		goto out;
	orule_row(&rr, &r);
	ok = store_rule_put(mgmtd->store, &r, 1, &rule_id) == 0 &&
	    rule_log(&r, &c) == 0;
	for (i = 0; i < n && ok; i++)
		ok = cgroup_link(&gs[i], rule_id, &c) == 0;
	write_finish(res, ok, msg, 1);
out:
	for (i = 0; gs && i < n; i++)
		ogroup_free(&gs[i]);
	free(gs);
	orule_free(&rr);
	write_close(o, &c);
}
