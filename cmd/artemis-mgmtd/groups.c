/*
 * groups.c — groups, group tags, group operations, group instances and service
 * ("logic") instances (management-contract §1.3.4 to §1.3.8).
 *
 * Writes validate everything first, then run in one transaction: any failure is
 * internal-service-error with the endpoint's fixed message and nothing changes.
 * Ids that must name an existing group (tags, group operations, group instances)
 * are checked; Java does not check (docs/compat.md, "Management").
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mgmt_view.h"
#include "mgmtd.h"
#include "model.h"
#include "ratelimit.h"
#include "store.h"

/* A decoded Group: strings owned. */
struct ogroup {
	char	*service_id, *region_id, *zone_id, *name, *app_id, *description,
		*status;
	int64_t	 weight;
	int	 has_weight;
};

static void
ogroup_free(struct ogroup *g)
{
	free(g->service_id);
	free(g->region_id);
	free(g->zone_id);
	free(g->name);
	free(g->app_id);
	free(g->description);
	free(g->status);
	memset(g, 0, sizeof(*g));
}

static int
ogroup_decode(struct json_object *o, struct ogroup *g, struct http_response *res)
{
	memset(g, 0, sizeof(*g));
	if (req_str(o, "serviceId", 0, &g->service_id, res) == -1 ||
	    req_str(o, "regionId", 0, &g->region_id, res) == -1 ||
	    req_str(o, "zoneId", 0, &g->zone_id, res) == -1 ||
	    req_str(o, "name", 0, &g->name, res) == -1 ||
	    req_str(o, "appId", 0, &g->app_id, res) == -1 ||
	    req_str(o, "description", 0, &g->description, res) == -1 ||
	    req_str(o, "status", 0, &g->status, res) == -1 ||
	    req_int(o, "weight", INT32_MIN, INT32_MAX, &g->weight, &g->has_weight,
	    res) == -1) {
		ogroup_free(g);
		return -1;
	}
	return 0;
}

static int
ogroup_complete(const struct ogroup *g)
{
	return !str_blank(g->service_id) && !str_blank(g->region_id) &&
	    !str_blank(g->zone_id) && !str_blank(g->name) && !str_blank(g->app_id) &&
	    !str_blank(g->status);
}

static void
ogroup_row(const struct ogroup *g, struct group_row *r)
{
	memset(r, 0, sizeof(*r));
	r->service_id = g->service_id;
	r->region_id = g->region_id;
	r->zone_id = g->zone_id;
	r->name = g->name;
	r->app_id = g->app_id;
	r->description = g->description;
	r->status = g->status;
}

void
group_to_json(const struct group_row *g, struct sbuf *b)
{
	struct sbuf key = SBUF_INIT;
	const char *parts[4] = { g->service_id, g->region_id, g->zone_id, g->name };

	mgmt_path(&key, parts, 4);
	sbuf_adds(b, "{\"appId\":");
	model_json_string(b, g->app_id);
	sbuf_adds(b, ",\"description\":");
	model_json_string(b, g->description);
	sbuf_addf(b, ",\"groupId\":%lld,\"groupKey\":", (long long)g->id);
	model_json_string(b, key.s);
	sbuf_adds(b, ",\"metadata\":null,\"name\":");
	model_json_string(b, g->name);
	sbuf_adds(b, ",\"regionId\":");
	model_json_string(b, g->region_id);
	sbuf_adds(b, ",\"serviceId\":");
	model_json_string(b, g->service_id);
	sbuf_adds(b, ",\"status\":");
	model_json_string(b, g->status);
	sbuf_adds(b, ",\"zoneId\":");
	model_json_string(b, g->zone_id);
	sbuf_addc(b, '}');
	sbuf_free(&key);
}

/* The log row of a group change. */
static void
group_log(const struct group_row *g, const struct op_ctx *c, struct log_row *lr)
{
	memset(lr, 0, sizeof(*lr));
	lr->s[LS_SERVICE] = g->service_id;
	lr->s[LS_REGION] = g->region_id;
	lr->s[LS_ZONE] = g->zone_id;
	lr->s[LS_NAME] = g->name;
	lr->s[LS_APP] = g->app_id;
	lr->s[LS_STATUS] = g->status;
	lr->s[LS_OPERATION] = c->operation;
	lr->s[LS_OPERATOR] = c->operator_id;
	lr->s[LS_TOKEN] = c->token;
	lr->s[LS_EXTENSIONS] = c->extensions;
	lr->s[LS_REASON] = c->reason;
}

/* ---- a write: decode, validate, one transaction ---- */

/* Commit or roll back; answers success or the fixed message. */
static void
finish(struct http_response *res, int ok, const char *msg, int wait)
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
	write_done(version, wait);
	reply_ok(res);
}

/* Elements of a JSON array that must be objects (null elements -> 0 = invalid). */
static int
is_obj(struct json_object *e)
{
	return e != NULL && json_object_is_type(e, json_type_object);
}

static void
put_groups(struct http_request *req, struct http_response *res, const char *msg)
{
	struct json_object *o, *list;
	struct ogroup *gs = NULL;
	struct op_ctx c;
	struct group_row r;
	struct log_row lr;
	size_t i, n = 0;
	int64_t id;
	int ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (req_array(o, "groups", &list, res) == -1)
		goto out;
	n = list ? json_object_array_length(list) : 0;
	gs = calloc(n + 1, sizeof(*gs));
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(list, i);

		if (!is_obj(e))
			ok = 0;
		else if (ogroup_decode(e, &gs[i], res) == -1)
			goto out;
		else if (!ogroup_complete(&gs[i]))
			ok = 0;
	}
	if (!ok || n == 0 || !ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	for (i = 0; i < n && ok; i++) {
		ogroup_row(&gs[i], &r);
		group_log(&r, &c, &lr);
		ok = store_group_put(mgmtd->store, &r, 0, &id) == 0 &&
		    store_log_insert(mgmtd->store, LOG_GROUP, &lr) == 0;
	}
	finish(res, ok, msg, 1);
out:
	for (i = 0; gs && i < n; i++)
		ogroup_free(&gs[i]);
	free(gs);
	ctx_free(&c);
out_json:
	json_object_put(o);
}

void
h_insert_groups(struct http_request *req, struct http_response *res)
{
	put_groups(req, res, "insert groups failed.");
}

void
h_update_groups(struct http_request *req, struct http_response *res)
{
	put_groups(req, res, "update groups failed.");
}

/* An array of ids: -1 answered 400; otherwise *out (malloc) and *n. */
static int
id_list(struct json_object *o, const char *name, int64_t **out, size_t *n,
    int *has_null, struct http_response *res)
{
	struct json_object *list, *e;
	char err[128];
	size_t i;

	*out = NULL;
	*n = 0;
	*has_null = 0;
	if (req_array(o, name, &list, res) == -1)
		return -1;
	if (list == NULL)
		return 0;
	*n = json_object_array_length(list);
	if ((*out = calloc(*n + 1, sizeof(**out))) == NULL)
		abort();
	for (i = 0; i < *n; i++) {
		e = json_object_array_get_idx(list, i);
		if (e == NULL) {
			*has_null = 1;
			continue;
		}
		{
			struct json_object *w = json_object_new_object();
			int64_t v;

			json_object_object_add(w, "v", json_object_get(e));
			if (model_get_int64(w, "v", &v, err, sizeof(err)) == -1) {
				json_object_put(w);
				free(*out);
				*out = NULL;
				http_error(res, 400, err);
				return -1;
			}
			(*out)[i] = v;
			json_object_put(w);
		}
	}
	return 0;
}

struct del_log {
	const struct op_ctx	*c;
	int			 ok;
};

static int
group_deleted_cb(const struct group_row *g, void *arg)
{
	struct del_log *d = arg;
	struct log_row lr;

	group_log(g, d->c, &lr);
	if (store_log_insert(mgmtd->store, LOG_GROUP, &lr) == -1)
		d->ok = 0;
	return 0;
}

void
h_delete_groups(struct http_request *req, struct http_response *res)
{
	const char *msg = "delete group failed.";
	struct json_object *o;
	struct op_ctx c;
	struct del_log d;
	int64_t *ids = NULL;
	size_t i, n;
	int has_null, ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (id_list(o, "groupIds", &ids, &n, &has_null, res) == -1)
		goto out;
	if (n == 0 || has_null || !ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	d.c = &c;
	d.ok = 1;
	for (i = 0; i < n && ok; i++)
		ok = store_group_delete(mgmtd->store, ids[i], group_deleted_cb, &d) != -1;
	finish(res, ok && d.ok, msg, 1);
out:
	free(ids);
	ctx_free(&c);
out_json:
	json_object_put(o);
}

/* ---- group reads ---- */

struct acc {
	struct sbuf	*out;
	int		 n;
};

static int
group_json_cb(const struct group_row *g, void *arg)
{
	struct acc *a = arg;

	if (a->n++)
		sbuf_addc(a->out, ',');
	group_to_json(g, a->out);
	return 0;
}

int
group_rate_ok(struct http_response *res, const char *identity, const char *field)
{
	if (mgmtd->rl_group == NULL ||
	    ratelimit_allow(mgmtd->rl_group, identity, now_ms()))
		return 1;
	reply_fail_field(res, field, EC_RATE_LIMITED, MSG_RATE_LIMITED);
	return 0;
}

static void
list_groups(struct http_request *req, struct http_response *res, int filtered)
{
	const char *msg = filtered ? "get groups failed." : "get all group failed.";
	struct json_object *o;
	struct ogroup f;
	struct group_row r;
	struct acc a;
	int64_t id = 0;
	int has_id = 0, rc;

	if (filtered && !group_rate_ok(res, "get.groups", "groups"))
		return;
	if ((o = req_json(req, res)) == NULL)
		return;
	memset(&f, 0, sizeof(f));
	if (filtered && (ogroup_decode(o, &f, res) == -1 ||
	    req_int(o, "groupId", INT64_MIN, INT64_MAX, &id, &has_id, res) == -1))
		goto out;
	ogroup_row(&f, &r);
	r.id = id;
	sbuf_reset(&res->body);
	sbuf_adds(&res->body, "{\"groups\":[");
	a.out = &res->body;
	a.n = 0;
	if (store_read_begin(mgmtd->store) == -1)
		rc = -1;
	else {
		rc = store_group_list(mgmtd->store, &r, has_id, group_json_cb, &a);
		store_read_end(mgmtd->store);
	}
	if (rc == -1)
		reply_fail_field(res, "groups", EC_INTERNAL, msg);
	else {
		sbuf_adds(&res->body, "],");
		add_ok(&res->body);
		sbuf_addc(&res->body, '}');
	}
out:
	ogroup_free(&f);
	json_object_put(o);
}

void
h_get_groups(struct http_request *req, struct http_response *res)
{
	list_groups(req, res, 1);
}

void
h_get_all_groups(struct http_request *req, struct http_response *res)
{
	list_groups(req, res, 0);
}

/* ---- group tags ---- */

static void
put_tags(struct http_request *req, struct http_response *res, const char *msg)
{
	struct json_object *o, *list, *e, *tags;
	size_t i, n;
	int64_t gid;
	int has_gid, ok = 1, written = 0;
	char *v;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (req_array(o, "groupTagsList", &list, res) == -1)
		goto out;
	n = list ? json_object_array_length(list) : 0;
	/* decode everything first: a 400 must change nothing */
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		if (!is_obj(e))
			continue;
		if (req_int(e, "groupId", INT64_MIN, INT64_MAX, &gid, &has_gid,
		    res) == -1 || req_object(e, "tags", &tags, res) == -1)
			goto out;
		if (tags != NULL) {
			json_object_object_foreach(tags, k, val) {
				(void)k;
				if (val != NULL && (json_object_is_type(val,
				    json_type_object) || json_object_is_type(val,
				    json_type_array))) {
					http_error(res, 400, "tags: string values expected");
					goto out;
				}
			}
		}
	}
	if (store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	for (i = 0; i < n && ok; i++) {
		e = json_object_array_get_idx(list, i);
		if (!is_obj(e)) {
			ok = 0;
			break;
		}
		(void)req_int(e, "groupId", INT64_MIN, INT64_MAX, &gid, &has_gid, res);
		(void)req_object(e, "tags", &tags, res);
		if (!has_gid || store_group_exists(mgmtd->store, gid) != 1) {
			ok = 0;
			break;
		}
		if (tags == NULL)
			continue;
		json_object_object_foreach(tags, k, val) {
			v = val ? (char *)json_object_get_string(val) : NULL;
			if (str_blank(k) || str_blank(v))
				continue;	/* silently skipped, as in Java */
			if (store_tag_put(mgmtd->store, gid, k, v) == -1) {
				ok = 0;
				break;
			}
			written++;
		}
	}
	finish(res, ok && written > 0, msg, 1);
out:
	json_object_put(o);
}

void
h_insert_group_tags(struct http_request *req, struct http_response *res)
{
	put_tags(req, res, "insert group tag failed.");
}

void
h_update_group_tags(struct http_request *req, struct http_response *res)
{
	put_tags(req, res, "update group tag failed.");
}

void
h_delete_group_tags(struct http_request *req, struct http_response *res)
{
	const char *msg = "delete group-tags failed.";
	struct json_object *o;
	char *tag = NULL, *value = NULL;
	int64_t gid;
	int has_gid, ok;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (req_int(o, "groupId", INT64_MIN, INT64_MAX, &gid, &has_gid, res) == -1 ||
	    req_str(o, "tag", 0, &tag, res) == -1 ||
	    req_str(o, "value", 0, &value, res) == -1)
		goto out;
	if ((!has_gid && str_blank(tag) && str_blank(value)) ||
	    store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	ok = store_tag_delete(mgmtd->store, has_gid, gid, str_blank(tag) ? NULL : tag,
	    str_blank(value) ? NULL : value, NULL) == 0;
	finish(res, ok, msg, 1);
out:
	free(tag);
	free(value);
	json_object_put(o);
}

/* Tags of consecutive group ids rendered as GroupTags objects. */
struct tags_acc {
	struct sbuf	*out;
	int64_t		 cur;
	int		 open;
	int		 n;
};

static int
tags_cb(int64_t gid, const char *tag, const char *value, void *arg)
{
	struct tags_acc *a = arg;

	if (!a->open || a->cur != gid) {
		if (a->open)
			sbuf_adds(a->out, "}}");
		if (a->n++)
			sbuf_addc(a->out, ',');
		sbuf_addf(a->out, "{\"groupId\":%lld,\"tags\":{", (long long)gid);
		a->cur = gid;
		a->open = 1;
	} else
		sbuf_addc(a->out, ',');
	model_json_string(a->out, tag);
	sbuf_addc(a->out, ':');
	model_json_string(a->out, value);
	return 0;
}

static void
get_tags(struct http_request *req, struct http_response *res, int all)
{
	const char *field = all ? "allGroupTags" : "groupTags";
	const char *msg = all ? "get all-group-tags failed." : "get group-tags failed.";
	struct json_object *o;
	struct sbuf body = SBUF_INIT;
	struct tags_acc a;
	int64_t gid = 0;
	int has_gid = 0, rc = 0;

	if ((o = req_json(req, res)) == NULL)
		return;
	if (!all && req_int(o, "groupId", INT64_MIN, INT64_MAX, &gid, &has_gid,
	    res) == -1)
		goto out;
	memset(&a, 0, sizeof(a));
	a.out = &body;
	if (all || has_gid) {
		if (store_read_begin(mgmtd->store) == -1)
			rc = -1;
		else {
			rc = store_tag_list(mgmtd->store, !all, gid, tags_cb, &a);
			store_read_end(mgmtd->store);
		}
		if (a.open)
			sbuf_adds(&body, "}}");
	}
	if (rc == -1) {
		reply_fail_field(res, field, EC_INTERNAL, msg);
		goto out;
	}
	sbuf_reset(&res->body);
	sbuf_addf(&res->body, "{\"%s\":", field);
	if (all)
		sbuf_addc(&res->body, '[');
	if (a.n)
		sbuf_add(&res->body, body.s, body.len);
	else if (!all)
		sbuf_adds(&res->body, "null");
	sbuf_adds(&res->body, all ? "]," : ",");
	add_ok(&res->body);
	sbuf_addc(&res->body, '}');
out:
	sbuf_free(&body);
	json_object_put(o);
}

void
h_get_group_tags(struct http_request *req, struct http_response *res)
{
	get_tags(req, res, 0);
}

void
h_get_all_group_tags(struct http_request *req, struct http_response *res)
{
	get_tags(req, res, 1);
}

/* ---- group operations ---- */

static int
group_op(int64_t gid, const char *operation, int complete, const struct op_ctx *c)
{
	struct log_row lr;

	if ((complete ? store_group_op_del(mgmtd->store, gid, operation) :
	    store_group_op_add(mgmtd->store, gid, operation)) == -1)
		return -1;
	memset(&lr, 0, sizeof(lr));
	lr.n[LN_GROUP_ID] = gid;
	lr.n[LN_COMPLETE] = complete;
	lr.has_n = 1u << LN_GROUP_ID | 1u << LN_COMPLETE;
	lr.s[LS_OPERATION] = operation;
	lr.s[LS_OPERATOR] = c->operator_id;
	lr.s[LS_TOKEN] = c->token;
	lr.s[LS_EXTENSIONS] = c->extensions;
	lr.s[LS_REASON] = c->reason;
	return store_log_insert(mgmtd->store, LOG_GROUP_OP, &lr);
}

void
h_operate_group_operations(struct http_request *req, struct http_response *res)
{
	const char *msg = "operate group operation failed.";
	struct json_object *o, *list, *e, *ops;
	struct op_ctx c;
	size_t i, j, n, left = 0;
	int64_t gid;
	int has_gid, complete, ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (req_array(o, "groupOperationsList", &list, res) == -1 ||
	    req_bool(o, "operationComplete", &complete, res) == -1)
		goto out;
	n = list ? json_object_array_length(list) : 0;
	for (i = 0; i < n; i++) {	/* decode and count what is left */
		e = json_object_array_get_idx(list, i);
		if (!is_obj(e))
			continue;
		if (req_int(e, "groupId", INT64_MIN, INT64_MAX, &gid, &has_gid,
		    res) == -1 || req_array(e, "operations", &ops, res) == -1)
			goto out;
		for (j = 0; ops && j < json_object_array_length(ops); j++) {
			struct json_object *oe = json_object_array_get_idx(ops, j);

			if (oe != NULL && (json_object_is_type(oe, json_type_object) ||
			    json_object_is_type(oe, json_type_array))) {
				http_error(res, 400, "operations: strings expected");
				goto out;
			}
			if (has_gid && oe != NULL &&
			    !str_blank(json_object_get_string(oe)))
				left++;
		}
	}
	if (left == 0) {	/* success without checking the context (Java) */
		reply_ok(res);
		goto out;
	}
	if (!ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	for (i = 0; i < n && ok; i++) {
		e = json_object_array_get_idx(list, i);
		if (!is_obj(e))
			continue;
		(void)req_int(e, "groupId", INT64_MIN, INT64_MAX, &gid, &has_gid, res);
		(void)req_array(e, "operations", &ops, res);
		if (!has_gid || ops == NULL)
			continue;
		if (!complete && store_group_exists(mgmtd->store, gid) != 1) {
			ok = 0;
			break;
		}
		for (j = 0; j < json_object_array_length(ops) && ok; j++) {
			struct json_object *oe = json_object_array_get_idx(ops, j);
			const char *name = oe ? json_object_get_string(oe) : NULL;

			if (str_blank(name))
				continue;
			ok = group_op(gid, name, complete, &c) == 0;
		}
	}
	finish(res, ok, msg, 0);
out:
	ctx_free(&c);
out_json:
	json_object_put(o);
}

void
h_operate_group_operation(struct http_request *req, struct http_response *res)
{
	const char *msg = "operate group operation failed.";
	struct json_object *o;
	struct ogroup g;
	struct group_row r;
	struct op_ctx c;
	int64_t gid;
	int complete, found, ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (ogroup_decode(o, &g, res) == -1) {
		ctx_free(&c);
		goto out_json;
	}
	if (req_bool(o, "operationComplete", &complete, res) == -1)
		goto out;
	ogroup_row(&g, &r);
	if (!ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	found = store_group_find(mgmtd->store, &r, &gid);
	if (found == 0) {	/* created without a group log, as in Java */
		if (!ogroup_complete(&g))
			ok = 0;
		else
			ok = store_group_put(mgmtd->store, &r, 1, &gid) == 0;
	} else if (found == -1)
		ok = 0;
	if (ok)
		ok = group_op(gid, c.operation, complete, &c) == 0;
	finish(res, ok, msg, 1);
out:
	ogroup_free(&g);
	ctx_free(&c);
out_json:
	json_object_put(o);
}

struct gops_acc {
	struct sbuf	*out;
	int64_t		 cur;
	int		 open;
	int		 n;
};

static int
gops_cb(int64_t gid, const char *operation, void *arg)
{
	struct gops_acc *a = arg;

	if (!a->open || a->cur != gid) {
		if (a->open)
			sbuf_adds(a->out, "]}");
		if (a->n++)
			sbuf_addc(a->out, ',');
		sbuf_addf(a->out, "{\"groupId\":%lld,\"operations\":[", (long long)gid);
		a->cur = gid;
		a->open = 1;
	} else
		sbuf_addc(a->out, ',');
	model_json_string(a->out, operation);
	return 0;
}

static void
get_group_ops(struct http_request *req, struct http_response *res, int all)
{
	const char *field = all ? "allGroupOperations" : "groupOperations";
	const char *msg = all ? "get all group operations failed." :
	    "get group operations failed.";
	struct json_object *o;
	struct sbuf body = SBUF_INIT;
	struct gops_acc a;
	int64_t gid = 0;
	int has_gid = 0, rc = 0;

	if ((o = req_json(req, res)) == NULL)
		return;
	if (!all && req_int(o, "groupId", INT64_MIN, INT64_MAX, &gid, &has_gid,
	    res) == -1)
		goto out;
	memset(&a, 0, sizeof(a));
	a.out = &body;
	if (all || has_gid) {
		if (store_read_begin(mgmtd->store) == -1)
			rc = -1;
		else {
			rc = store_group_op_list(mgmtd->store, !all, gid, gops_cb, &a);
			store_read_end(mgmtd->store);
		}
		if (a.open)
			sbuf_adds(&body, "]}");
	}
	if (rc == -1) {
		reply_fail_field(res, field, EC_INTERNAL, msg);
		goto out;
	}
	sbuf_reset(&res->body);
	sbuf_addf(&res->body, "{\"%s\":", field);
	if (all)
		sbuf_addc(&res->body, '[');
	if (a.n)
		sbuf_add(&res->body, body.s, body.len);
	else if (!all)
		sbuf_adds(&res->body, "null");
	sbuf_adds(&res->body, all ? "]," : ",");
	add_ok(&res->body);
	sbuf_addc(&res->body, '}');
out:
	sbuf_free(&body);
	json_object_put(o);
}

void
h_get_group_operations(struct http_request *req, struct http_response *res)
{
	get_group_ops(req, res, 0);
}

void
h_get_all_group_operations(struct http_request *req, struct http_response *res)
{
	get_group_ops(req, res, 1);
}

/* ---- group instances ---- */

static void
gi_log(int64_t gid, const char *instance_id, const struct op_ctx *c,
    struct log_row *lr)
{
	memset(lr, 0, sizeof(*lr));
	lr->n[LN_GROUP_ID] = gid;
	lr->has_n = 1u << LN_GROUP_ID;
	lr->s[LS_INSTANCE] = instance_id;
	lr->s[LS_OPERATION] = c->operation;
	lr->s[LS_OPERATOR] = c->operator_id;
	lr->s[LS_TOKEN] = c->token;
	lr->s[LS_REASON] = c->reason;
}

void
h_insert_group_instances(struct http_request *req, struct http_response *res)
{
	const char *msg = "insert group instances failed.";
	struct json_object *o, *list, *e;
	struct op_ctx c;
	struct log_row lr;
	char **iids = NULL;
	int64_t *gids = NULL;
	size_t i, n = 0;
	int has, ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (req_array(o, "groupInstances", &list, res) == -1)
		goto out;
	n = list ? json_object_array_length(list) : 0;
	iids = calloc(n + 1, sizeof(*iids));
	gids = calloc(n + 1, sizeof(*gids));
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		if (!is_obj(e)) {
			ok = 0;
			continue;
		}
		if (req_int(e, "groupId", INT64_MIN, INT64_MAX, &gids[i], &has,
		    res) == -1 || req_str(e, "instanceId", 0, &iids[i], res) == -1)
			goto out;
		if (!has || str_blank(iids[i]))
			ok = 0;
	}
	if (!ok || n == 0 || !ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	for (i = 0; i < n && ok; i++) {
		gi_log(gids[i], iids[i], &c, &lr);
		ok = store_group_exists(mgmtd->store, gids[i]) == 1 &&
		    store_gi_insert(mgmtd->store, gids[i], iids[i]) == 0 &&
		    store_log_insert(mgmtd->store, LOG_GROUP_INSTANCE, &lr) == 0;
	}
	finish(res, ok, msg, 1);
out:
	for (i = 0; iids && i < n; i++)
		free(iids[i]);
	free(iids);
	free(gids);
	ctx_free(&c);
out_json:
	json_object_put(o);
}

struct gi_del {
	const struct op_ctx	*c;
	int			 ok;
};

static int
gi_deleted_cb(int64_t id, int64_t gid, const char *instance_id, void *arg)
{
	struct gi_del *d = arg;
	struct log_row lr;

	(void)id;
	gi_log(gid, instance_id, d->c, &lr);
	if (store_log_insert(mgmtd->store, LOG_GROUP_INSTANCE, &lr) == -1)
		d->ok = 0;
	return 0;
}

void
h_delete_group_instances(struct http_request *req, struct http_response *res)
{
	const char *msg = "delete group instances failed.";
	struct json_object *o;
	struct op_ctx c;
	struct gi_del d;
	int64_t *ids = NULL;
	size_t i, n;
	int has_null, ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (id_list(o, "groupInstanceIds", &ids, &n, &has_null, res) == -1)
		goto out;
	if (n == 0 || has_null || !ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	d.c = &c;
	d.ok = 1;
	for (i = 0; i < n && ok; i++)
		ok = store_gi_delete(mgmtd->store, ids[i], gi_deleted_cb, &d) != -1;
	finish(res, ok && d.ok, msg, 1);
out:
	free(ids);
	ctx_free(&c);
out_json:
	json_object_put(o);
}

static int
gi_json_cb(int64_t id, int64_t gid, const char *instance_id, void *arg)
{
	struct acc *a = arg;

	if (a->n++)
		sbuf_addc(a->out, ',');
	sbuf_addf(a->out, "{\"groupId\":%lld,\"id\":%lld,\"instanceId\":",
	    (long long)gid, (long long)id);
	model_json_string(a->out, instance_id);
	sbuf_addc(a->out, '}');
	return 0;
}

void
h_get_group_instances(struct http_request *req, struct http_response *res)
{
	struct json_object *o;
	char *iid = NULL;
	struct acc a;
	int64_t gid;
	int has_gid, rc;

	if ((o = req_json(req, res)) == NULL)
		return;
	if (req_int(o, "groupId", INT64_MIN, INT64_MAX, &gid, &has_gid, res) == -1 ||
	    req_str(o, "instanceId", 0, &iid, res) == -1)
		goto out;
	sbuf_reset(&res->body);
	sbuf_adds(&res->body, "{\"groupInstances\":[");
	a.out = &res->body;
	a.n = 0;
	if (store_read_begin(mgmtd->store) == -1)
		rc = -1;
	else {
		rc = store_gi_list(mgmtd->store, has_gid, gid, iid, gi_json_cb, &a);
		store_read_end(mgmtd->store);
	}
	if (rc == -1)
		reply_fail_field(res, "groupInstances", EC_INTERNAL,
		    "get group instances failed.");
	else {
		sbuf_adds(&res->body, "],");
		add_ok(&res->body);
		sbuf_addc(&res->body, '}');
	}
out:
	free(iid);
	json_object_put(o);
}

/* ---- service ("logic") instances ---- */

struct osi {
	char	*s[12];		/* see si_fields */
	char	*metadata;	/* JSON text */
	int64_t	 port;
	int	 has_port;
	int	 metadata_null;
};

/* JSON names; all but description required non-blank. */
static const char *const si_fields[12] = {
	"serviceId", "instanceId", "url", "ip", "machineName", "protocol",
	"regionId", "zoneId", "healthCheckUrl", "groupId", "description", NULL,
};

static void
osi_free(struct osi *x)
{
	size_t i;

	for (i = 0; i < 12; i++)
		free(x->s[i]);
	free(x->metadata);
	memset(x, 0, sizeof(*x));
}

static int
osi_decode(struct json_object *o, struct osi *x, struct http_response *res)
{
	struct json_object *md;
	struct sbuf b = SBUF_INIT;
	size_t i;
	int n = 0;

	memset(x, 0, sizeof(*x));
	for (i = 0; si_fields[i]; i++)
		if (req_str(o, si_fields[i], 0, &x->s[i], res) == -1)
			goto fail;
	if (req_int(o, "port", INT32_MIN, INT32_MAX, &x->port, &x->has_port,
	    res) == -1 || req_object(o, "metadata", &md, res) == -1)
		goto fail;
	if (md == NULL) {
		x->metadata_null = 1;
		return 0;
	}
	sbuf_addc(&b, '{');
	json_object_object_foreach(md, k, v) {
		if (v != NULL && (json_object_is_type(v, json_type_object) ||
		    json_object_is_type(v, json_type_array))) {
			http_error(res, 400, "metadata: string values expected");
			sbuf_free(&b);
			goto fail;
		}
		if (n++)
			sbuf_addc(&b, ',');
		model_json_string(&b, k);
		sbuf_addc(&b, ':');
		model_json_string(&b, v ? json_object_get_string(v) : NULL);
	}
	sbuf_addc(&b, '}');
	x->metadata = sbuf_steal(&b, NULL);
	return 0;
fail:
	osi_free(x);
	return -1;
}

static void
si_log(const struct si_row *r, const struct op_ctx *c, struct log_row *lr)
{
	memset(lr, 0, sizeof(*lr));
	lr->s[LS_SERVICE] = r->service_id;
	lr->s[LS_INSTANCE] = r->instance_id;
	lr->s[LS_IP] = r->ip;
	lr->s[LS_MACHINE] = r->machine_name;
	lr->s[LS_METADATA] = r->metadata;
	lr->n[LN_PORT] = r->port;
	lr->has_n = 1u << LN_PORT;
	lr->s[LS_PROTOCOL] = r->protocol;
	lr->s[LS_REGION] = r->region_id;
	lr->s[LS_ZONE] = r->zone_id;
	lr->s[LS_GROUP_LABEL] = r->group_id;
	lr->s[LS_HCURL] = r->health_check_url;
	lr->s[LS_URL] = r->url;
	lr->s[LS_OPERATION] = c->operation;
	lr->s[LS_OPERATOR] = c->operator_id;
	lr->s[LS_TOKEN] = c->token;
}

static void
osi_row(const struct osi *x, struct si_row *r)
{
	memset(r, 0, sizeof(*r));
	r->service_id = x->s[0];
	r->instance_id = x->s[1];
	r->url = x->s[2];
	r->ip = x->s[3];
	r->machine_name = x->s[4];
	r->protocol = x->s[5];
	r->region_id = x->s[6];
	r->zone_id = x->s[7];
	r->health_check_url = x->s[8];
	r->group_id = x->s[9];
	r->description = x->s[10];
	r->metadata = x->metadata;
	r->port = x->port;
}

void
h_insert_service_instances(struct http_request *req, struct http_response *res)
{
	const char *msg = "insert service instances failed.";
	struct json_object *o, *list, *e;
	struct osi *xs = NULL;
	struct op_ctx c;
	struct si_row r;
	struct log_row lr;
	size_t i, j, n = 0;
	int ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (req_array(o, "serviceInstances", &list, res) == -1)
		goto out;
	n = list ? json_object_array_length(list) : 0;
	xs = calloc(n + 1, sizeof(*xs));
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		if (!is_obj(e)) {
			ok = 0;
			continue;
		}
		if (osi_decode(e, &xs[i], res) == -1)
			goto out;
		for (j = 0; j < 10; j++)
			if (str_blank(xs[i].s[j]))
				ok = 0;
		if (xs[i].metadata_null)
			ok = 0;
	}
	if (!ok || n == 0 || !ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	for (i = 0; i < n && ok; i++) {
		osi_row(&xs[i], &r);
		si_log(&r, &c, &lr);
		ok = store_si_put(mgmtd->store, &r) == 0 &&
		    store_log_insert(mgmtd->store, LOG_SERVICE_INSTANCE, &lr) == 0;
	}
	finish(res, ok, msg, 1);
out:
	for (i = 0; xs && i < n; i++)
		osi_free(&xs[i]);
	free(xs);
	ctx_free(&c);
out_json:
	json_object_put(o);
}

static int
si_deleted_cb(const struct si_row *r, void *arg)
{
	struct gi_del *d = arg;
	struct log_row lr;

	si_log(r, d->c, &lr);
	if (store_log_insert(mgmtd->store, LOG_SERVICE_INSTANCE, &lr) == -1)
		d->ok = 0;
	return 0;
}

void
h_delete_service_instances(struct http_request *req, struct http_response *res)
{
	const char *msg = "delete service instances failed.";
	struct json_object *o;
	struct op_ctx c;
	struct gi_del d;
	int64_t *ids = NULL;
	size_t i, n;
	int has_null, ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (ctx_decode(o, &c, res) == -1)
		goto out_json;
	if (id_list(o, "serviceInstanceIds", &ids, &n, &has_null, res) == -1)
		goto out;
	if (n == 0 || has_null || !ctx_valid(&c) || store_begin(mgmtd->store) == -1) {
		reply_ise(res, msg);
		goto out;
	}
	d.c = &c;
	d.ok = 1;
	for (i = 0; i < n && ok; i++)
		ok = store_si_delete(mgmtd->store, ids[i], si_deleted_cb, &d) != -1;
	finish(res, ok && d.ok, msg, 1);
out:
	free(ids);
	ctx_free(&c);
out_json:
	json_object_put(o);
}

static int
si_json_cb(const struct si_row *r, void *arg)
{
	struct acc *a = arg;
	struct sbuf *b = a->out;

	if (a->n++)
		sbuf_addc(b, ',');
	sbuf_adds(b, "{\"description\":");
	model_json_string(b, r->description);
	sbuf_adds(b, ",\"groupId\":");
	model_json_string(b, r->group_id);
	sbuf_adds(b, ",\"healthCheckUrl\":");
	model_json_string(b, r->health_check_url);
	sbuf_addf(b, ",\"id\":%lld,\"instanceId\":", (long long)r->id);
	model_json_string(b, r->instance_id);
	sbuf_adds(b, ",\"ip\":");
	model_json_string(b, r->ip);
	sbuf_adds(b, ",\"machineName\":");
	model_json_string(b, r->machine_name);
	sbuf_adds(b, ",\"metadata\":");
	mgmt_metadata_json(r->metadata, b);
	sbuf_addf(b, ",\"port\":%lld,\"protocol\":", (long long)r->port);
	model_json_string(b, r->protocol);
	sbuf_adds(b, ",\"regionId\":");
	model_json_string(b, r->region_id);
	sbuf_adds(b, ",\"serviceId\":");
	model_json_string(b, r->service_id);
	sbuf_adds(b, ",\"url\":");
	model_json_string(b, r->url);
	sbuf_adds(b, ",\"zoneId\":");
	model_json_string(b, r->zone_id);
	sbuf_addc(b, '}');
	return 0;
}

void
h_get_service_instances(struct http_request *req, struct http_response *res)
{
	struct json_object *o;
	char *sid = NULL, *iid = NULL;
	struct acc a;
	int rc;

	if ((o = req_json(req, res)) == NULL)
		return;
	if (req_str(o, "serviceId", 0, &sid, res) == -1 ||
	    req_str(o, "instanceId", 0, &iid, res) == -1)
		goto out;
	sbuf_reset(&res->body);
	sbuf_addc(&res->body, '{');
	add_ok(&res->body);
	sbuf_adds(&res->body, ",\"serviceInstances\":[");
	a.out = &res->body;
	a.n = 0;
	if (store_read_begin(mgmtd->store) == -1)
		rc = -1;
	else {
		rc = store_si_list(mgmtd->store, sid, iid, si_json_cb, &a);
		store_read_end(mgmtd->store);
	}
	if (rc == -1)
		reply_fail_field(res, "serviceInstances", EC_INTERNAL,
		    "get service instances failed.");
	else
		sbuf_adds(&res->body, "]}");
out:
	free(sid);
	free(iid);
	json_object_put(o);
}
