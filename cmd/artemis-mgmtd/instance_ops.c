/*
 * instance_ops.c — instance and server operations (management-contract §1.1.1 to
 * §1.1.8): pull out / pull in with free-text operation names, their state, and
 * the instance-down / server-down predicates.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "mgmt_view.h"
#include "mgmtd.h"
#include "model.h"
#include "store.h"

/* What differs between instance and server operations. */
struct opdesc {
	const struct op_keydesc	*key;
	enum log_kind		 log;
	enum log_str		 log_str[OP_KEY_MAX];	/* columns of key[] */
	const char		*missing;	/* "request.instanceKey is null" */
	const char		*db_failed;	/* "Update instance failed." */
	const char		*all_field;	/* "allInstanceOperations" */
};

static const struct opdesc instance_desc = {
	&instance_keys, LOG_INSTANCE, { LS_REGION, LS_SERVICE, LS_INSTANCE },
	"request.instanceKey is null", "Update instance failed.",
	"allInstanceOperations",
};

static const struct opdesc server_desc = {
	&server_keys, LOG_SERVER, { LS_REGION, LS_SERVER, 0 },
	"request.serverKey is null", "Update server failed.",
	"allServerOperations",
};

/* The first blank required field, "x is null or empty" in a bad-request answer. */
static const char *
operate_missing(const struct opdesc *d, const struct op_key *k,
    const char *operation, const char *operator_id)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (str_blank(k->v[i]))
			return d->key->names[i];
	if (str_blank(operation))
		return "operation";
	if (str_blank(operator_id))
		return "operatorId";
	return NULL;
}

/* Start or end the operation and log it: 0 or -1. */
static int
operate_apply(const struct opdesc *d, const struct op_key *k, const char *operation,
    const char *operator_id, const char *token, int complete)
{
	const char *const *key = (const char *const *)k->v;
	struct log_row lr;
	size_t i;
	int rc;

	memset(&lr, 0, sizeof(lr));
	for (i = 0; i < k->n; i++)
		lr.s[d->log_str[i]] = k->v[i];
	lr.s[LS_OPERATION] = operation;
	lr.s[LS_OPERATOR] = operator_id;
	lr.s[LS_TOKEN] = token;		/* null token stored as "" (§2.6) */
	lr.n[LN_COMPLETE] = complete;
	lr.has_n = 1u << LN_COMPLETE;
	rc = complete ?
	    store_op_end(mgmtd->store, d->key->kind, key, operation) :
	    store_op_start(mgmtd->store, d->key->kind, key, operation, operator_id,
	    token);
	if (rc == -1)
		return -1;
	return store_log_insert(mgmtd->store, d->log, &lr);
}

static void
operate(const struct opdesc *d, struct http_request *req, struct http_response *res)
{
	struct json_object *o;
	struct op_key k;
	struct sbuf m = SBUF_INIT;
	char *operation = NULL, *operator_id = NULL, *token = NULL;
	const char *missing;
	int complete, rc;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if ((rc = op_key_decode(d->key, o, 1, &k, res)) == -1)
		goto out_json;
	if (req_str(o, "operation", 1, &operation, res) == -1 ||
	    req_str(o, "operatorId", 1, &operator_id, res) == -1 ||
	    req_str(o, "token", 1, &token, res) == -1 ||
	    req_bool(o, "operationComplete", &complete, res) == -1)
		goto out;
	if (rc == 1) {
		reply_status(res, EC_BAD_REQUEST, d->missing);
		goto out;
	}
	if ((missing = operate_missing(d, &k, operation, operator_id)) != NULL) {
		sbuf_addf(&m, "%s is null or empty", missing);
		reply_status(res, EC_BAD_REQUEST, m.s);
		goto out;
	}
	if (write_begin(res, 1, d->db_failed) == -1)
		goto out;
	write_finish(res, operate_apply(d, &k, operation, operator_id, token,
	    complete) == 0, d->db_failed, 1);
out:
	sbuf_free(&m);
	free(operation);
	free(operator_id);
	free(token);
	op_key_free(&k);
out_json:
	json_object_put(o);
}

void
h_operate_instance(struct http_request *req, struct http_response *res)
{
	operate(&instance_desc, req, res);
}

void
h_operate_server(struct http_request *req, struct http_response *res)
{
	operate(&server_desc, req, res);
}

static void
operations(const struct opdesc *d, struct http_request *req, struct http_response *res)
{
	const char *msg = "get operations failed.";
	struct json_object *o;
	struct op_groups g;
	struct op_key k;
	size_t i;
	int rc = 0, blank = 0;

	if ((o = req_json(req, res)) == NULL)
		return;
	memset(&g, 0, sizeof(g));
	g.d = d->key;
	if ((rc = op_key_decode(d->key, o, 0, &k, res)) == -1)
		goto out_json;
	if (rc == 1) {
		reply_fail_field(res, "operations", EC_BAD_REQUEST, d->missing);
		goto out;
	}
	for (i = 0; i < k.n; i++)
		blank |= k.v[i] == NULL || k.v[i][0] == '\0';
	if (!blank && (rc = store_read_begin(mgmtd->store)) == 0) {
		rc = store_op_list(mgmtd->store, d->key->kind, (const char *const *)k.v,
		    0, op_groups_row, &g);
		store_read_end(mgmtd->store);
	}
	op_groups_close(&g);
	if (rc == -1)
		reply_fail_field(res, "operations", EC_INTERNAL, msg);
	else
		reply_member(res, "operations", g.n ? g.out.s : NULL, g.out.len);
out:
	op_key_free(&k);
out_json:
	sbuf_free(&g.out);
	json_object_put(o);
}

void
h_instance_operations(struct http_request *req, struct http_response *res)
{
	operations(&instance_desc, req, res);
}

void
h_server_operations(struct http_request *req, struct http_response *res)
{
	operations(&server_desc, req, res);
}

static void
all_operations(const struct opdesc *d, struct http_request *req,
    struct http_response *res)
{
	struct json_object *o = NULL;
	char *region = NULL;
	const char *key[OP_KEY_MAX] = { NULL, NULL, NULL };
	struct op_groups g;
	int rc;

	if (req->method_bit == HTTP_GET) {
		if ((key[0] = http_query(req, "regionId")) != NULL &&
		    (region = strdup(key[0])) == NULL)
			abort();
	} else {
		if ((o = req_json(req, res)) == NULL)
			return;
		if (req_str(o, "regionId", 0, &region, res) == -1)
			goto out;
	}
	key[0] = region;
	memset(&g, 0, sizeof(g));
	g.d = d->key;
	if ((rc = store_read_begin(mgmtd->store)) == 0) {
		rc = store_op_list(mgmtd->store, d->key->kind, key, 1, op_groups_row, &g);
		store_read_end(mgmtd->store);
	}
	op_groups_close(&g);
	if (rc == -1)		/* "never fails" in Java: an empty list */
		sbuf_reset(&g.out);
	reply_array(res, d->all_field, &g.out);
	sbuf_free(&g.out);
out:
	free(region);
	json_object_put(o);
}

void
h_all_instance_operations(struct http_request *req, struct http_response *res)
{
	all_operations(&instance_desc, req, res);
}

void
h_all_server_operations(struct http_request *req, struct http_response *res)
{
	all_operations(&server_desc, req, res);
}

void
h_instance_down(struct http_request *req, struct http_response *res)
{
	struct json_object *o, *io;
	struct instance in;
	struct mgmt_inst mi;
	struct mgmt_view *v;
	char err[256];
	int is_null = 0;

	if ((o = req_json(req, res)) == NULL)
		return;
	io = model_get(o, "instance", NULL);
	memset(&in, 0, sizeof(in));
	if (io != NULL && instance_from_json(io, &in, &is_null, err,
	    sizeof(err)) == -1) {
		http_error(res, 400, err);
		goto out;
	}
	if (io == NULL || is_null) {
		reply_fail_field(res, "down", EC_BAD_REQUEST,
		    "request.instance is null");
		goto out;
	}
	memset(&mi, 0, sizeof(mi));
	mi.region_id = in.region_id;
	mi.zone_id = in.zone_id;
	mi.service_id = in.service_id;
	mi.group_id = in.group_id;
	mi.instance_id = in.instance_id;
	mi.ip = in.ip;
	v = views_current();
	reply_down(res, mgmt_view_is_down(v, &mi));
	mgmt_view_unref(v);
out:
	instance_free(&in);
	json_object_put(o);
}

void
h_server_down(struct http_request *req, struct http_response *res)
{
	struct json_object *o;
	struct mgmt_view *v;
	struct op_key k;
	int rc;

	if ((o = req_json(req, res)) == NULL)
		return;
	if ((rc = op_key_decode(&server_keys, o, 0, &k, res)) == -1)
		goto out_json;
	if (rc == 1) {
		reply_fail_field(res, "down", EC_BAD_REQUEST, "request.serverKey null");
		goto out;
	}
	v = views_current();
	reply_down(res, mgmt_view_server_down(v, k.v[0], k.v[1]));
	mgmt_view_unref(v);
out:
	op_key_free(&k);
out_json:
	json_object_put(o);
}
