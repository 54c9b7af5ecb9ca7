/*
 * write.c — the shape every management write shares: node-up gate, body, the
 * operation context (§0.6), validation of everything before the first
 * statement, one transaction, and an answer that is either success or the
 * endpoint's fixed internal-service-error message (rolled back, nothing changed).
 *
 * Two common kinds of write are table-driven here: "a list of entities, each
 * stored and logged" (insert/update of groups, route rules, route-rule groups,
 * group and service instances) and "delete an array of ids, logging each row as
 * it was".
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mgmtd.h"
#include "model.h"
#include "store.h"

int
json_is_object(struct json_object *e)
{
	return e != NULL && json_object_is_type(e, json_type_object);
}

int
write_open(struct http_request *req, struct http_response *res,
    struct json_object **o, struct op_ctx *c)
{
	memset(c, 0, sizeof(*c));
	if (!node_up(res) || (*o = req_json(req, res)) == NULL)
		return -1;
	if (ctx_decode(*o, c, res) == -1) {
		json_object_put(*o);
		return -1;
	}
	return 0;
}

void
write_close(struct json_object *o, struct op_ctx *c)
{
	ctx_free(c);
	json_object_put(o);
}

int
write_begin(struct http_response *res, int valid, const char *msg)
{
	if (valid && store_begin(mgmtd->store) == 0)
		return 0;
	reply_ise(res, msg);
	return -1;
}

void
write_finish(struct http_response *res, int ok, const char *msg, int wait)
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

void
log_ctx(struct log_row *lr, const struct op_ctx *c)
{
	/* tables without extensions or reason ignore them (store_log_insert) */
	lr->s[LS_OPERATION] = c->operation;
	lr->s[LS_OPERATOR] = c->operator_id;
	lr->s[LS_TOKEN] = c->token;
	lr->s[LS_EXTENSIONS] = c->extensions;
	lr->s[LS_REASON] = c->reason;
}

int
log_with_ctx(enum log_kind kind, struct log_row *lr, const struct op_ctx *c)
{
	log_ctx(lr, c);
	return store_log_insert(mgmtd->store, kind, lr);
}

/* ---- a list of entities ---- */

/* Decode every element first: a 400 must change nothing, and an element that is
 * not an object or is incomplete fails the whole write with its message. */
static int
list_decode(const struct list_write *w, struct json_object *list, char *elems,
    size_t n, struct http_response *res)
{
	size_t i;
	int valid = 1, rc;

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(list, i);

		if (!json_is_object(e)) {
			valid = 0;
			continue;
		}
		if ((rc = w->decode(e, elems + i * w->size, res)) == -1)
			return -1;
		if (rc == 0)
			valid = 0;
	}
	return valid;
}

void
list_write(const struct list_write *w, const char *msg, struct http_request *req,
    struct http_response *res)
{
	struct json_object *o, *list;
	struct op_ctx c;
	char *elems = NULL;
	size_t i, n = 0;
	int valid, ok = 1;

	if (write_open(req, res, &o, &c) == -1)
		return;
	if (req_array(o, w->field, &list, res) == -1)
		goto out;
	n = list ? json_object_array_length(list) : 0;
	if ((elems = calloc(n + 1, w->size)) == NULL)
		abort();
	if ((valid = list_decode(w, list, elems, n, res)) == -1 ||
	    write_begin(res, valid && n > 0 && ctx_valid(&c), msg) == -1)
		goto out;
	for (i = 0; i < n && ok; i++)
		ok = w->apply(elems + i * w->size, &c) == 0;
	write_finish(res, ok, msg, 1);
out:
	for (i = 0; w->free && i < n; i++)
		w->free(elems + i * w->size);
	free(elems);
	write_close(o, &c);
}

/* ---- an array of ids ---- */

int
id_list(struct json_object *o, const char *name, int64_t **out, size_t *n,
    int *has_null, struct http_response *res)
{
	struct json_object *list, *e, *w;
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
		if ((e = json_object_array_get_idx(list, i)) == NULL) {
			*has_null = 1;
			continue;
		}
		/* model_get_int64 reads members: wrap the element as {"v":e}, which
		 * is also why a bad element's 400 names "v" */
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

void
delete_ids(const char *field, int (*del)(int64_t, const struct op_ctx *),
    const char *msg, struct http_request *req, struct http_response *res)
{
	struct json_object *o;
	struct op_ctx c;
	int64_t *ids = NULL;
	size_t i, n;
	int has_null, ok = 1;

	if (write_open(req, res, &o, &c) == -1)
		return;
	if (id_list(o, field, &ids, &n, &has_null, res) == -1 ||
	    write_begin(res, n > 0 && !has_null && ctx_valid(&c), msg) == -1)
		goto out;
	for (i = 0; i < n && ok; i++)
		ok = del(ids[i], &c) == 0;
	write_finish(res, ok, msg, 1);
out:
	free(ids);
	write_close(o, &c);
}

int
deleted_log(struct deleted *d, struct log_row *lr)
{
	if (log_with_ctx(d->kind, lr, d->c) == -1)
		d->failed = 1;
	return 0;
}

int
deleted_result(const struct deleted *d, int rc)
{
	return rc == -1 || d->failed ? -1 : 0;
}
