/*
 * groups.c — groups, group tags and group operations (management-contract
 * §1.3.4 to §1.3.6): everything keyed by a group.
 *
 * Writes validate everything first, then run in one transaction (write.c): any
 * failure is internal-service-error with the endpoint's fixed message and
 * nothing changes. Group ids are not checked for existence, as in Java (§1.3.6:
 * get-all-group-operations lists operations of unknown ids too).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mgmt_view.h"
#include "mgmtd.h"
#include "model.h"
#include "ratelimit.h"
#include "store.h"

/* ---- a group: decoded, stored, rendered, logged ---- */

void
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

int
ogroup_decode(struct json_object *o, struct ogroup *g, struct http_response *res)
{
	int64_t ignored;
	int has;

	memset(g, 0, sizeof(*g));
	/* groupId is ignored by the writes, but Jackson still reads it as a Long */
	if (req_int(o, "groupId", INT64_MIN, INT64_MAX, &ignored, &has, res) == -1 ||
	    req_str(o, "serviceId", 0, &g->service_id, res) == -1 ||
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

int
ogroup_complete(const struct ogroup *g)
{
	return !str_blank(g->service_id) && !str_blank(g->region_id) &&
	    !str_blank(g->zone_id) && !str_blank(g->name) && !str_blank(g->app_id) &&
	    !str_blank(g->status);
}

void
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

int
group_put_logged(const struct group_row *g, int revive_only, const struct op_ctx *c,
    int64_t *id)
{
	struct log_row lr;

	memset(&lr, 0, sizeof(lr));
	lr.s[LS_SERVICE] = g->service_id;
	lr.s[LS_REGION] = g->region_id;
	lr.s[LS_ZONE] = g->zone_id;
	lr.s[LS_NAME] = g->name;
	lr.s[LS_APP] = g->app_id;
	lr.s[LS_STATUS] = g->status;
	if (store_group_put(mgmtd->store, g, revive_only, id) == -1)
		return -1;
	return log_with_ctx(LOG_GROUP, &lr, c);
}

/* ---- group writes ---- */

static int
group_decode(struct json_object *e, void *elem, struct http_response *res)
{
	if (ogroup_decode(e, elem, res) == -1)
		return -1;
	return ogroup_complete(elem);
}

static int
group_apply(const void *elem, const struct op_ctx *c)
{
	struct group_row r;
	int64_t id;

	ogroup_row(elem, &r);
	return group_put_logged(&r, 0, c, &id);
}

static void
group_free(void *elem)
{
	ogroup_free(elem);
}

static const struct list_write groups_write = {
	"groups", sizeof(struct ogroup), group_decode, group_apply, group_free,
};

void
h_insert_groups(struct http_request *req, struct http_response *res)
{
	list_write(&groups_write, "insert groups failed.", req, res);
}

void
h_update_groups(struct http_request *req, struct http_response *res)
{
	list_write(&groups_write, "update groups failed.", req, res);
}

static int
group_deleted(const struct group_row *g, void *arg)
{
	struct log_row lr;

	memset(&lr, 0, sizeof(lr));
	lr.s[LS_SERVICE] = g->service_id;
	lr.s[LS_REGION] = g->region_id;
	lr.s[LS_ZONE] = g->zone_id;
	lr.s[LS_NAME] = g->name;
	lr.s[LS_APP] = g->app_id;
	lr.s[LS_STATUS] = g->status;
	return deleted_log(arg, &lr);
}

static int
group_delete(int64_t id, const struct op_ctx *c)
{
	struct deleted d = { c, LOG_GROUP, 0 };

	return deleted_result(&d, store_group_delete(mgmtd->store, id, group_deleted,
	    &d));
}

void
h_delete_groups(struct http_request *req, struct http_response *res)
{
	delete_ids("groupIds", group_delete, "delete group failed.", req, res);
}

/* ---- group reads ---- */

int
group_rate_ok(struct http_response *res, const char *identity, const char *field)
{
	if (mgmtd->rl_group == NULL ||
	    ratelimit_allow(mgmtd->rl_group, identity, now_ms()))
		return 1;
	reply_fail_field(res, field, EC_RATE_LIMITED, MSG_RATE_LIMITED);
	return 0;
}

static int
group_json_row(const struct group_row *g, void *arg)
{
	rows_next(arg);
	group_to_json(g, &((struct rows *)arg)->out);
	return 0;
}

static void
list_groups(struct http_request *req, struct http_response *res, int filtered)
{
	const char *msg = filtered ? "get groups failed." : "get all group failed.";
	struct json_object *o;
	struct rows rows = { SBUF_INIT, 0 };
	struct ogroup f;
	struct group_row r;
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
	if ((rc = store_read_begin(mgmtd->store)) == 0) {
		rc = store_group_list(mgmtd->store, &r, has_id, group_json_row, &rows);
		store_read_end(mgmtd->store);
	}
	reply_rows(res, rc, "groups", msg, &rows);
out:
	sbuf_free(&rows.out);
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

/* ---- group tags (no operation context, no log) ---- */

/* A value that is an object or an array is refused (400) before any write. */
static int
tags_decode(struct json_object *e, int64_t *gid, int *has_gid,
    struct json_object **tags, struct http_response *res)
{
	if (req_int(e, "groupId", INT64_MIN, INT64_MAX, gid, has_gid, res) == -1 ||
	    req_object(e, "tags", tags, res) == -1)
		return -1;
	if (*tags == NULL)
		return 0;
	json_object_object_foreach(*tags, k, val) {
		(void)k;
		if (val != NULL && (json_object_is_type(val, json_type_object) ||
		    json_object_is_type(val, json_type_array))) {
			http_error(res, 400, "tags: string values expected");
			return -1;
		}
	}
	return 0;
}

/* Store one GroupTags element; -1 if it must fail the write. *written counts
 * the pairs stored. As Java's GroupTagsUtil, a null element, one without a
 * groupId and blank tags or values are skipped silently: the write fails only
 * when nothing at all is left. */
static int
tags_put(struct json_object *e, int *written, struct http_response *res)
{
	struct json_object *tags;
	int64_t gid;
	int has_gid;
	char *v;

	if (e == NULL)
		return 0;
	if (!json_is_object(e) ||
	    tags_decode(e, &gid, &has_gid, &tags, res) == -1)
		return -1;
	if (!has_gid || tags == NULL)
		return 0;
	json_object_object_foreach(tags, k, val) {
		v = val ? (char *)json_object_get_string(val) : NULL;
		if (str_blank(k) || str_blank(v))
			continue;
		if (store_tag_put(mgmtd->store, gid, k, v) == -1)
			return -1;
		(*written)++;
	}
	return 0;
}

static void
put_tags(struct http_request *req, struct http_response *res, const char *msg)
{
	struct json_object *o, *list, *e, *tags;
	size_t i, n;
	int64_t gid;
	int has_gid, ok = 1, written = 0;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (req_array(o, "groupTagsList", &list, res) == -1)
		goto out;
	n = list ? json_object_array_length(list) : 0;
	for (i = 0; i < n; i++) {	/* decode everything first: a 400 changes nothing */
		e = json_object_array_get_idx(list, i);
		if (json_is_object(e) &&
		    tags_decode(e, &gid, &has_gid, &tags, res) == -1)
			goto out;
	}
	if (write_begin(res, 1, msg) == -1)
		goto out;
	for (i = 0; i < n && ok; i++)
		ok = tags_put(json_object_array_get_idx(list, i), &written, res) == 0;
	write_finish(res, ok && written > 0, msg, 1);
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
	    req_str(o, "value", 0, &value, res) == -1 ||
	    write_begin(res, has_gid || !str_blank(tag) || !str_blank(value),
	    msg) == -1)
		goto out;
	ok = store_tag_delete(mgmtd->store, has_gid, gid, str_blank(tag) ? NULL : tag,
	    str_blank(value) ? NULL : value, NULL) == 0;
	write_finish(res, ok, msg, 1);
out:
	free(tag);
	free(value);
	json_object_put(o);
}

/* ---- reads of rows keyed by group id (tags, group operations) ---- */

/* Rows of consecutive group ids rendered as {"groupId":N,<member>...<close>}. */
struct per_group {
	struct sbuf	 out;
	const char	*member;	/* ",\"tags\":{" */
	const char	*close;		/* "}}" */
	int64_t		 cur;
	int		 open;
	int		 n;
};

static void
per_group_close(struct per_group *a)
{
	if (a->open)
		sbuf_adds(&a->out, a->close);
	a->open = 0;
}

/* Before each row of group gid: open its object or add the comma. */
static void
per_group_next(struct per_group *a, int64_t gid)
{
	if (a->open && a->cur == gid) {
		sbuf_addc(&a->out, ',');
		return;
	}
	per_group_close(a);
	if (a->n++)
		sbuf_addc(&a->out, ',');
	sbuf_addf(&a->out, "{\"groupId\":%lld%s", (long long)gid, a->member);
	a->cur = gid;
	a->open = 1;
}

static int
tag_json_row(int64_t gid, const char *tag, const char *value, void *arg)
{
	struct per_group *a = arg;

	per_group_next(a, gid);
	model_json_string(&a->out, tag);
	sbuf_addc(&a->out, ':');
	model_json_string(&a->out, value);
	return 0;
}

static int
tag_list(int has_group, int64_t gid, struct per_group *a)
{
	return store_tag_list(mgmtd->store, has_group, gid, tag_json_row, a);
}

static int
group_op_json_row(int64_t gid, const char *operation, void *arg)
{
	struct per_group *a = arg;

	per_group_next(a, gid);
	model_json_string(&a->out, operation);
	return 0;
}

static int
group_op_list(int has_group, int64_t gid, struct per_group *a)
{
	return store_group_op_list(mgmtd->store, has_group, gid, group_op_json_row, a);
}

/* What differs between the tag and the group-operation reads. */
struct per_group_read {
	const char	*field, *all_field;
	const char	*msg, *all_msg;
	const char	*member, *close;
	int		(*list)(int has_group, int64_t gid, struct per_group *);
};

static const struct per_group_read tags_read = {
	"groupTags", "allGroupTags",
	"get group-tags failed.", "get all-group-tags failed.",
	",\"tags\":{", "}}", tag_list,
};

static const struct per_group_read group_ops_read = {
	"groupOperations", "allGroupOperations",
	"get group operations failed.", "get all group operations failed.",
	",\"operations\":[", "]}", group_op_list,
};

/* One group's object (null when it has no rows, or no groupId was given), or
 * the array of every group's. */
static void
per_group_get(const struct per_group_read *d, int all, struct http_request *req,
    struct http_response *res)
{
	const char *field = all ? d->all_field : d->field;
	struct json_object *o;
	struct per_group a;
	int64_t gid = 0;
	int has_gid = 0, rc = 0;

	if ((o = req_json(req, res)) == NULL)
		return;
	memset(&a, 0, sizeof(a));
	a.member = d->member;
	a.close = d->close;
	if (!all && req_int(o, "groupId", INT64_MIN, INT64_MAX, &gid, &has_gid,
	    res) == -1)
		goto out;
	if ((all || has_gid) && (rc = store_read_begin(mgmtd->store)) == 0) {
		rc = d->list(!all, gid, &a);
		store_read_end(mgmtd->store);
	}
	per_group_close(&a);
	if (rc == -1)
		reply_fail_field(res, field, EC_INTERNAL, all ? d->all_msg : d->msg);
	else if (all)
		reply_array(res, field, &a.out);
	else
		reply_member(res, field, a.n ? a.out.s : NULL, a.out.len);
out:
	sbuf_free(&a.out);
	json_object_put(o);
}

void
h_get_group_tags(struct http_request *req, struct http_response *res)
{
	per_group_get(&tags_read, 0, req, res);
}

void
h_get_all_group_tags(struct http_request *req, struct http_response *res)
{
	per_group_get(&tags_read, 1, req, res);
}

void
h_get_group_operations(struct http_request *req, struct http_response *res)
{
	per_group_get(&group_ops_read, 0, req, res);
}

void
h_get_all_group_operations(struct http_request *req, struct http_response *res)
{
	per_group_get(&group_ops_read, 1, req, res);
}

/* ---- group operations (pull a whole group out) ---- */

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
	log_ctx(&lr, c);
	lr.s[LS_OPERATION] = operation;
	return store_log_insert(mgmtd->store, LOG_GROUP_OP, &lr);
}

/* Decode one GroupOperations element; *left counts its non-blank operations.
 * -1 answered 400. */
static int
group_ops_decode(struct json_object *e, size_t *left, struct http_response *res)
{
	struct json_object *ops, *oe;
	int64_t gid;
	int has_gid;
	size_t j;

	if (req_int(e, "groupId", INT64_MIN, INT64_MAX, &gid, &has_gid, res) == -1 ||
	    req_array(e, "operations", &ops, res) == -1)
		return -1;
	for (j = 0; ops && j < json_object_array_length(ops); j++) {
		oe = json_object_array_get_idx(ops, j);
		if (oe != NULL && (json_object_is_type(oe, json_type_object) ||
		    json_object_is_type(oe, json_type_array))) {
			http_error(res, 400, "operations: strings expected");
			return -1;
		}
		if (has_gid && oe != NULL && !str_blank(json_object_get_string(oe)))
			(*left)++;
	}
	return 0;
}

/* Apply one decoded GroupOperations element; -1 fails the write. */
static int
group_ops_apply(struct json_object *e, int complete, const struct op_ctx *c,
    struct http_response *res)
{
	struct json_object *ops, *oe;
	const char *name;
	int64_t gid;
	int has_gid;
	size_t j;

	if (!json_is_object(e))
		return 0;
	(void)req_int(e, "groupId", INT64_MIN, INT64_MAX, &gid, &has_gid, res);
	(void)req_array(e, "operations", &ops, res);
	if (!has_gid || ops == NULL)
		return 0;	/* an unknown group id is stored as it is (§1.3.6) */
	for (j = 0; j < json_object_array_length(ops); j++) {
		oe = json_object_array_get_idx(ops, j);
		name = oe ? json_object_get_string(oe) : NULL;
		if (!str_blank(name) && group_op(gid, name, complete, c) == -1)
			return -1;
	}
	return 0;
}

void
h_operate_group_operations(struct http_request *req, struct http_response *res)
{
	const char *msg = "operate group operation failed.";
	struct json_object *o, *list, *e;
	struct op_ctx c;
	size_t i, n, left = 0;
	int complete, ok = 1;

	if (write_open(req, res, &o, &c) == -1)
		return;
	if (req_array(o, "groupOperationsList", &list, res) == -1 ||
	    req_bool(o, "operationComplete", &complete, res) == -1)
		goto out;
	n = list ? json_object_array_length(list) : 0;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		if (json_is_object(e) && group_ops_decode(e, &left, res) == -1)
			goto out;
	}
	if (left == 0) {	/* success without checking the context (Java) */
		reply_ok(res);
		goto out;
	}
	if (write_begin(res, ctx_valid(&c), msg) == -1)
		goto out;
	for (i = 0; i < n && ok; i++)
		ok = group_ops_apply(json_object_array_get_idx(list, i), complete, &c,
		    res) == 0;
	write_finish(res, ok, msg, 0);
out:
	write_close(o, &c);
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

	if (write_open(req, res, &o, &c) == -1)
		return;
	if (ogroup_decode(o, &g, res) == -1) {
		write_close(o, &c);
		return;
	}
	ogroup_row(&g, &r);
	if (req_bool(o, "operationComplete", &complete, res) == -1 ||
	    write_begin(res, ctx_valid(&c), msg) == -1)
		goto out;
	found = store_group_find(mgmtd->store, &r, &gid);
	if (found == 0)		/* created without a group log, as in Java */
		ok = ogroup_complete(&g) &&
		    store_group_put(mgmtd->store, &r, 1, &gid) == 0;
	else if (found == -1)
		ok = 0;
	if (ok)
		ok = group_op(gid, c.operation, complete, &c) == 0;
	write_finish(res, ok, msg, 1);
out:
	ogroup_free(&g);
	write_close(o, &c);
}
