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

static void
rule_log(const struct rule_row *r, const struct op_ctx *c, struct log_row *lr)
{
	memset(lr, 0, sizeof(*lr));
	lr->s[LS_SERVICE] = r->service_id;
	lr->s[LS_NAME] = r->name;
	lr->s[LS_STATUS] = r->status;
	lr->s[LS_OPERATION] = c->operation;
	lr->s[LS_OPERATOR] = c->operator_id;
	lr->s[LS_TOKEN] = c->token;
	lr->s[LS_EXTENSIONS] = c->extensions;
	lr->s[LS_REASON] = c->reason;
}

static void
rrg_log(int64_t rule, int64_t group, int has_w, int64_t w, const struct op_ctx *c,
    struct log_row *lr)
{
	memset(lr, 0, sizeof(*lr));
	lr->n[LN_ROUTE_RULE_ID] = rule;
	lr->n[LN_GROUP_ID] = group;
	lr->has_n = 1u << LN_ROUTE_RULE_ID | 1u << LN_GROUP_ID;
	if (has_w) {
		lr->n[LN_WEIGHT] = w;
		lr->has_n |= 1u << LN_WEIGHT;
	}
	lr->s[LS_OPERATION] = c->operation;
	lr->s[LS_OPERATOR] = c->operator_id;
	lr->s[LS_TOKEN] = c->token;
	lr->s[LS_EXTENSIONS] = c->extensions;
	lr->s[LS_REASON] = c->reason;
}

static void
finish(struct http_response *res, int ok, const char *msg)
{
	uint64_t version;

	if (!ok) {
		store_rollback(mgmtd->store);
		reply_ise(res, msg);
		return;
	}
	if (store_commit(mgmtd->store, &version) == -1) {
		reply_ise(res, msg);
		return;
	}
	write_done(version, 1);
	reply_ok(res);
}

static int
is_obj(struct json_object *e)
{
	return e != NULL && json_object_is_type(e, json_type_object);
}

/* ---- route rules ---- */

static void
put_rules(struct http_request *req, struct http_response *res, const char *msg)
{
	struct json_object *o, *list, *e;
	struct orule *rs = NULL;
	struct rule_row r;
	struct log_row lr;
	struct op_ctx c;
	size_t i, n = 0;
	int64_t id;
	int ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (req_array(o, "routeRules", &list, res) == -1)
		goto out;
	n = list ? json_object_array_length(list) : 0;
	rs = calloc(n + 1, sizeof(*rs));
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		if (!is_obj(e)) {
			ok = 0;
			continue;
		}
		if (orule_decode(e, &rs[i], res) == -1)
			goto out;
		if (str_blank(rs[i].service_id) || str_blank(rs[i].name) ||
		    str_blank(rs[i].status) || str_blank(rs[i].strategy))
			ok = 0;
	}
	if (!ok || n == 0 || !ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	for (i = 0; i < n && ok; i++) {
		orule_row(&rs[i], &r);
		rule_log(&r, &c, &lr);
		ok = store_rule_put(mgmtd->store, &r, 0, &id) == 0 &&
		    store_log_insert(mgmtd->store, LOG_ROUTE_RULE, &lr) == 0;
	}
	finish(res, ok, msg);
out:
	for (i = 0; rs && i < n; i++)
		orule_free(&rs[i]);
	free(rs);
	ctx_free(&c);
out_json:
	json_object_put(o);
}

void
h_insert_route_rules(struct http_request *req, struct http_response *res)
{
	put_rules(req, res, "insert route-rules failed.");
}

void
h_update_route_rules(struct http_request *req, struct http_response *res)
{
	put_rules(req, res, "update route-rules failed.");
}

/* An array of integer ids; -1 answered 400, *has_bad for null elements. */
static int
ids_decode(struct json_object *o, const char *name, int64_t **out, size_t *n,
    int *has_bad, struct http_response *res)
{
	struct json_object *list, *e, *w;
	char err[128];
	size_t i;

	*out = NULL;
	*n = 0;
	*has_bad = 0;
	if (req_array(o, name, &list, res) == -1)
		return -1;
	if (list == NULL)
		return 0;
	*n = json_object_array_length(list);
	if ((*out = calloc(*n + 1, sizeof(**out))) == NULL)
		abort();
	for (i = 0; i < *n; i++) {
		if ((e = json_object_array_get_idx(list, i)) == NULL) {
			*has_bad = 1;
			continue;
		}
		w = json_object_new_object();
		json_object_object_add(w, "v", json_object_get(e));
		if (model_get_int64(w, "v", &(*out)[i], err, sizeof(err)) == -1) {
			json_object_put(w);
			free(*out);
			*out = NULL;
			http_error(res, 400, err);
			return -1;
		}
		json_object_put(w);
	}
	return 0;
}

struct del_ctx {
	const struct op_ctx	*c;
	int			 ok;
};

static int
rule_deleted_cb(const struct rule_row *r, void *arg)
{
	struct del_ctx *d = arg;
	struct log_row lr;

	rule_log(r, d->c, &lr);
	if (store_log_insert(mgmtd->store, LOG_ROUTE_RULE, &lr) == -1)
		d->ok = 0;
	return 0;
}

void
h_delete_route_rules(struct http_request *req, struct http_response *res)
{
	const char *msg = "delete route-rules failed.";
	struct json_object *o;
	struct op_ctx c;
	struct del_ctx d;
	int64_t *ids = NULL;
	size_t i, n;
	int bad, ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (ids_decode(o, "routeRuleIds", &ids, &n, &bad, res) == -1)
		goto out;
	if (n == 0 || bad || !ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	d.c = &c;
	d.ok = 1;
	for (i = 0; i < n && ok; i++)
		ok = store_rule_delete(mgmtd->store, ids[i], rule_deleted_cb, &d) != -1;
	finish(res, ok && d.ok, msg);
out:
	free(ids);
	ctx_free(&c);
out_json:
	json_object_put(o);
}

struct acc {
	struct sbuf	*out;
	int		 n;
};

static int
rule_json_cb(const struct rule_row *r, void *arg)
{
	struct acc *a = arg;
	struct sbuf *b = a->out;

	if (a->n++)
		sbuf_addc(b, ',');
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
	struct orule f;
	struct rule_row r;
	struct acc a;
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
	sbuf_reset(&res->body);
	sbuf_addc(&res->body, '{');
	add_ok(&res->body);
	sbuf_adds(&res->body, ",\"routeRules\":[");
	a.out = &res->body;
	a.n = 0;
	if (store_read_begin(mgmtd->store) == -1)
		rc = -1;
	else {
		rc = store_rule_list(mgmtd->store, &r, has_id, rule_json_cb, &a);
		store_read_end(mgmtd->store);
	}
	if (rc == -1)
		reply_fail_field(res, "routeRules", EC_INTERNAL, msg);
	else
		sbuf_adds(&res->body, "]}");
out:
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

static void
put_rrgs(struct http_request *req, struct http_response *res, const char *msg,
    int release)
{
	struct json_object *o, *list, *e;
	struct orrg *xs = NULL;
	struct op_ctx c;
	struct log_row lr;
	size_t i, n = 0;
	int ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (req_array(o, "routeRuleGroups", &list, res) == -1)
		goto out;
	n = list ? json_object_array_length(list) : 0;
	xs = calloc(n + 1, sizeof(*xs));
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		if (!is_obj(e)) {
			ok = 0;
			continue;
		}
		if (req_int(e, "routeRuleId", INT64_MIN, INT64_MAX, &xs[i].rule,
		    &xs[i].has_rule, res) == -1 ||
		    req_int(e, "groupId", INT64_MIN, INT64_MAX, &xs[i].group,
		    &xs[i].has_group, res) == -1 ||
		    req_int(e, "unreleasedWeight", INT32_MIN, INT32_MAX, &xs[i].weight,
		    &xs[i].has_weight, res) == -1)
			goto out;
		if (!xs[i].has_rule || !xs[i].has_group)
			ok = 0;
	}
	if (!ok || n == 0 || !ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	for (i = 0; i < n && ok; i++) {
		if (release)
			ok = store_rrg_release(mgmtd->store, xs[i].rule,
			    xs[i].group) == 0;
		else
			ok = store_rule_exists(mgmtd->store, xs[i].rule) == 1 &&
			    store_group_exists(mgmtd->store, xs[i].group) == 1 &&
			    store_rrg_put(mgmtd->store, xs[i].rule, xs[i].group,
			    xs[i].has_weight, (int)xs[i].weight) == 0;
		rrg_log(xs[i].rule, xs[i].group, xs[i].has_weight, xs[i].weight, &c,
		    &lr);
		if (ok)
			ok = store_log_insert(mgmtd->store, LOG_ROUTE_RULE_GROUP,
			    &lr) == 0;
	}
	finish(res, ok, msg);
out:
	free(xs);
	ctx_free(&c);
out_json:
	json_object_put(o);
}

void
h_insert_rrgs(struct http_request *req, struct http_response *res)
{
	put_rrgs(req, res, "insert route-rule-groups failed.", 0);
}

void
h_update_rrgs(struct http_request *req, struct http_response *res)
{
	put_rrgs(req, res, "update route-rule-groups failed.", 0);
}

void
h_release_rrgs(struct http_request *req, struct http_response *res)
{
	/* the message is Java's copy-paste, kept for compatibility */
	put_rrgs(req, res, "get route-rule-groups failed.", 1);
}

static int
rrg_deleted_cb(const struct rrg_row *r, void *arg)
{
	struct del_ctx *d = arg;
	struct log_row lr;

	rrg_log(r->route_rule_id, r->group_id, r->has_unreleased, r->unreleased, d->c,
	    &lr);
	if (store_log_insert(mgmtd->store, LOG_ROUTE_RULE_GROUP, &lr) == -1)
		d->ok = 0;
	return 0;
}

void
h_delete_rrgs(struct http_request *req, struct http_response *res)
{
	const char *msg = "delete route-rule-groups failed.";
	struct json_object *o;
	struct op_ctx c;
	struct del_ctx d;
	int64_t *ids = NULL;
	size_t i, n;
	int bad, ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (ids_decode(o, "routeRuleGroupIds", &ids, &n, &bad, res) == -1)
		goto out;
	if (n == 0 || bad || !ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	d.c = &c;
	d.ok = 1;
	for (i = 0; i < n && ok; i++)
		ok = store_rrg_delete(mgmtd->store, ids[i], rrg_deleted_cb, &d) != -1;
	finish(res, ok && d.ok, msg);
out:
	free(ids);
	ctx_free(&c);
out_json:
	json_object_put(o);
}

static int
rrg_json_cb(const struct rrg_row *r, void *arg)
{
	struct acc *a = arg;
	struct sbuf *b = a->out;

	if (a->n++)
		sbuf_addc(b, ',');
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
	struct acc a;
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
	sbuf_reset(&res->body);
	sbuf_addc(&res->body, '{');
	add_ok(&res->body);
	sbuf_adds(&res->body, ",\"routeRuleGroups\":[");
	a.out = &res->body;
	a.n = 0;
	if (store_read_begin(mgmtd->store) == -1)
		rc = -1;
	else {
		rc = store_rrg_list(mgmtd->store, has_id, id, has_rule, rule, has_group,
		    group, rrg_json_cb, &a);
		store_read_end(mgmtd->store);
	}
	if (rc == -1)
		reply_fail_field(res, "routeRuleGroups", EC_INTERNAL, msg);
	else
		sbuf_adds(&res->body, "]}");
out:
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

struct ocgroup {
	char	*s[7];	/* serviceId regionId zoneId name appId description status */
	int64_t	 weight;
	int	 has_weight;
};

static const char *const cg_fields[8] = {
	"serviceId", "regionId", "zoneId", "name", "appId", "description", "status",
	NULL,
};

void
h_create_route_rule(struct http_request *req, struct http_response *res)
{
	const char *msg = "create route-rule failed.";
	struct json_object *o, *ro, *list, *e;
	struct ocgroup *gs = NULL;
	struct orule rr;
	struct rule_row r;
	struct group_row g;
	struct log_row lr;
	struct op_ctx c;
	size_t i, j, n = 0;
	int64_t rule_id, gid;
	int ok = 1;

	memset(&rr, 0, sizeof(rr));
	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (req_object(o, "routeRule", &ro, res) == -1 ||
	    req_array(o, "groups", &list, res) == -1 ||
	    (ro != NULL && orule_decode(ro, &rr, res) == -1))
		goto out;
	n = list ? json_object_array_length(list) : 0;
	gs = calloc(n + 1, sizeof(*gs));
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		if (!is_obj(e)) {
			ok = 0;
			continue;
		}
		for (j = 0; cg_fields[j]; j++)
			if (req_str(e, cg_fields[j], 0, &gs[i].s[j], res) == -1)
				goto out;
		if (req_int(e, "weight", INT32_MIN, INT32_MAX, &gs[i].weight,
		    &gs[i].has_weight, res) == -1)
			goto out;
		for (j = 1; j < 7; j++)
			if (j != 5 && str_blank(gs[i].s[j]))
				ok = 0;
		if (!gs[i].has_weight || gs[i].s[0] == NULL || rr.service_id == NULL ||
		    strcasecmp(gs[i].s[0], rr.service_id) != 0)
			ok = 0;
	}
	if (ro == NULL || str_blank(rr.name) || str_blank(rr.status) ||
	    str_blank(rr.strategy) || str_blank(rr.service_id))
		ok = 0;
	if (!ok || n == 0 || !ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	orule_row(&rr, &r);
	rule_log(&r, &c, &lr);
	ok = store_rule_put(mgmtd->store, &r, 1, &rule_id) == 0 &&
	    store_log_insert(mgmtd->store, LOG_ROUTE_RULE, &lr) == 0;
	for (i = 0; i < n && ok; i++) {
		memset(&g, 0, sizeof(g));
		g.service_id = gs[i].s[0];
		g.region_id = gs[i].s[1];
		g.zone_id = gs[i].s[2];
		g.name = gs[i].s[3];
		g.app_id = gs[i].s[4];
		g.description = gs[i].s[5];
		g.status = gs[i].s[6];
		memset(&lr, 0, sizeof(lr));
		lr.s[LS_SERVICE] = g.service_id;
		lr.s[LS_REGION] = g.region_id;
		lr.s[LS_ZONE] = g.zone_id;
		lr.s[LS_NAME] = g.name;
		lr.s[LS_APP] = g.app_id;
		lr.s[LS_STATUS] = g.status;
		lr.s[LS_OPERATION] = c.operation;
		lr.s[LS_OPERATOR] = c.operator_id;
		lr.s[LS_TOKEN] = c.token;
		lr.s[LS_EXTENSIONS] = c.extensions;
		lr.s[LS_REASON] = c.reason;
		ok = store_group_put(mgmtd->store, &g, 1, &gid) == 0 &&
		    store_log_insert(mgmtd->store, LOG_GROUP, &lr) == 0 &&
		    store_rrg_put(mgmtd->store, rule_id, gid, 1,
		    (int)gs[i].weight) == 0;
		rrg_log(rule_id, gid, 1, gs[i].weight, &c, &lr);
		if (ok)
			ok = store_log_insert(mgmtd->store, LOG_ROUTE_RULE_GROUP,
			    &lr) == 0;
	}
	finish(res, ok, msg);
out:
	for (i = 0; gs && i < n; i++)
		for (j = 0; j < 7; j++)
			free(gs[i].s[j]);
	free(gs);
	orule_free(&rr);
	ctx_free(&c);
out_json:
	json_object_put(o);
}
