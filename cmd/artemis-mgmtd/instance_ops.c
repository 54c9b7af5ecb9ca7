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
	enum op_kind	 kind;
	enum log_kind	 log;
	const char	*key_field;		/* "instanceKey" */
	const char	*key_names[OP_KEY_MAX];	/* JSON names of key[] */
	const char	*log_cols[OP_KEY_MAX];	/* enum log_str of key[] */
	enum log_str	 log_str[OP_KEY_MAX];
	const char	*missing;		/* "request.instanceKey is null" */
	const char	*db_failed;		/* "Update instance failed." */
	const char	*all_field;		/* "allInstanceOperations" */
};

static const struct opdesc instance_desc = {
	OPK_INSTANCE, LOG_INSTANCE, "instanceKey",
	{ "regionId", "serviceId", "instanceId" }, { NULL, NULL, NULL },
	{ LS_REGION, LS_SERVICE, LS_INSTANCE },
	"request.instanceKey is null", "Update instance failed.",
	"allInstanceOperations",
};

static const struct opdesc server_desc = {
	OPK_SERVER, LOG_SERVER, "serverKey",
	{ "regionId", "serverId", NULL }, { NULL, NULL, NULL },
	{ LS_REGION, LS_SERVER, 0 },
	"request.serverKey is null", "Update server failed.",
	"allServerOperations",
};

struct key {
	char	*v[OP_KEY_MAX];
	size_t	 n;
};

static void
key_free(struct key *k)
{
	size_t i;

	for (i = 0; i < OP_KEY_MAX; i++)
		free(k->v[i]);
	memset(k, 0, sizeof(*k));
}

/* Decode d->key_field; 0 ok, 1 absent, -1 answered 400. */
static int
key_decode(const struct opdesc *d, struct json_object *o, int trim, struct key *k,
    struct http_response *res)
{
	struct json_object *ko;
	size_t i;

	memset(k, 0, sizeof(*k));
	k->n = store_op_nkey(d->kind);
	if (req_object(o, d->key_field, &ko, res) == -1)
		return -1;
	if (ko == NULL)
		return 1;
	for (i = 0; i < k->n; i++)
		if (req_str(ko, d->key_names[i], trim, &k->v[i], res) == -1) {
			key_free(k);
			return -1;
		}
	return 0;
}

/* {"instanceId":..,"regionId":..,"serviceId":..} / {"regionId":..,"serverId":..} */
static void
key_to_json(const struct opdesc *d, const char *const *v, struct sbuf *b)
{
	if (d->kind == OPK_INSTANCE) {
		sbuf_adds(b, "{\"instanceId\":");
		model_json_string(b, v[2]);
		sbuf_adds(b, ",\"regionId\":");
		model_json_string(b, v[0]);
		sbuf_adds(b, ",\"serviceId\":");
		model_json_string(b, v[1]);
	} else {
		sbuf_adds(b, "{\"regionId\":");
		model_json_string(b, v[0]);
		sbuf_adds(b, ",\"serverId\":");
		model_json_string(b, v[1]);
	}
	sbuf_addc(b, '}');
}

static void
operate(const struct opdesc *d, struct http_request *req, struct http_response *res)
{
	struct json_object *o;
	struct key k;
	char *operation = NULL, *operator_id = NULL, *token = NULL;
	const char *missing = NULL;
	struct log_row lr;
	uint64_t version;
	size_t i;
	int complete, rc;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if ((rc = key_decode(d, o, 1, &k, res)) == -1)
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
	for (i = 0; i < k.n && missing == NULL; i++)
		if (str_blank(k.v[i]))
			missing = d->key_names[i];
	if (missing == NULL && str_blank(operation))
		missing = "operation";
	if (missing == NULL && str_blank(operator_id))
		missing = "operatorId";
	if (missing != NULL) {
		struct sbuf m = SBUF_INIT;

		sbuf_addf(&m, "%s is null or empty", missing);
		reply_status(res, EC_BAD_REQUEST, m.s);
		sbuf_free(&m);
		goto out;
	}
	memset(&lr, 0, sizeof(lr));
	for (i = 0; i < k.n; i++)
		lr.s[d->log_str[i]] = k.v[i];
	lr.s[LS_OPERATION] = operation;
	lr.s[LS_OPERATOR] = operator_id;
	lr.s[LS_TOKEN] = token;		/* null token stored as "" (§2.6) */
	lr.n[LN_COMPLETE] = complete;
	lr.has_n = 1u << LN_COMPLETE;
	if (store_begin(mgmtd->store) == -1) {
		reply_ise(res, d->db_failed);
		goto out;
	}
	rc = complete ?
	    store_op_end(mgmtd->store, d->kind, (const char *const *)k.v, operation) :
	    store_op_start(mgmtd->store, d->kind, (const char *const *)k.v, operation,
	    operator_id, token);
	if (rc == -1 || store_log_insert(mgmtd->store, d->log, &lr) == -1) {
		store_rollback(mgmtd->store);
		reply_ise(res, d->db_failed);
		goto out;
	}
	if (store_commit(mgmtd->store, &version) == -1) {
		reply_ise(res, d->db_failed);
		goto out;
	}
	write_done(version, 1);
	reply_ok(res);
out:
	free(operation);
	free(operator_id);
	free(token);
	key_free(&k);
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

/* Collects rows of one key (case-insensitively) or of all keys, grouped. */
struct oplist {
	const struct opdesc	*d;
	struct sbuf		*out;
	char			*cur[OP_KEY_MAX];	/* key of the open group */
	int			 open;
	int			 ngroups;
};

static void
oplist_close(struct oplist *l)
{
	size_t i;

	if (!l->open)
		return;
	sbuf_adds(l->out, "]}");
	for (i = 0; i < OP_KEY_MAX; i++) {
		free(l->cur[i]);
		l->cur[i] = NULL;
	}
	l->open = 0;
}

static int
oplist_row(const struct op_row *r, void *arg)
{
	struct oplist *l = arg;
	size_t i, n = store_op_nkey(l->d->kind);
	int same = l->open;

	for (i = 0; same && i < n; i++)
		same = strcasecmp(l->cur[i], r->key[i]) == 0;
	if (!same) {
		oplist_close(l);
		if (l->ngroups++)
			sbuf_addc(l->out, ',');
		sbuf_addf(l->out, "{\"%s\":", l->d->key_field);
		key_to_json(l->d, r->key, l->out);
		sbuf_adds(l->out, ",\"operations\":[");
		for (i = 0; i < n; i++)
			if ((l->cur[i] = strdup(r->key[i])) == NULL)
				abort();
		l->open = 1;
	} else
		sbuf_addc(l->out, ',');
	model_json_string(l->out, r->operation);
	return 0;
}

static void
operations(const struct opdesc *d, struct http_request *req, struct http_response *res)
{
	struct json_object *o;
	struct sbuf ops = SBUF_INIT;
	struct oplist l;
	struct key k;
	size_t i;
	int rc, blank = 0;

	if ((o = req_json(req, res)) == NULL)
		return;
	if ((rc = key_decode(d, o, 0, &k, res)) == -1)
		goto out_json;
	if (rc == 1) {
		reply_fail_field(res, "operations", EC_BAD_REQUEST, d->missing);
		goto out;
	}
	for (i = 0; i < k.n; i++)
		blank |= k.v[i] == NULL || k.v[i][0] == '\0';
	memset(&l, 0, sizeof(l));
	l.d = d;
	l.out = &ops;
	if (!blank) {
		if (store_read_begin(mgmtd->store) == -1) {
			reply_fail_field(res, "operations", EC_INTERNAL,
			    "get operations failed.");
			goto out;
		}
		rc = store_op_list(mgmtd->store, d->kind, (const char *const *)k.v, 0,
		    oplist_row, &l);
		store_read_end(mgmtd->store);
		oplist_close(&l);
		if (rc == -1) {
			reply_fail_field(res, "operations", EC_INTERNAL,
			    "get operations failed.");
			goto out;
		}
	}
	sbuf_reset(&res->body);
	sbuf_adds(&res->body, "{\"operations\":");
	if (l.ngroups)
		sbuf_add(&res->body, ops.s, ops.len);
	else
		sbuf_adds(&res->body, "null");
	sbuf_addc(&res->body, ',');
	add_ok(&res->body);
	sbuf_addc(&res->body, '}');
out:
	sbuf_free(&ops);
	key_free(&k);
out_json:
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
	struct oplist l;
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
	memset(&l, 0, sizeof(l));
	l.d = d;
	sbuf_reset(&res->body);
	sbuf_addf(&res->body, "{\"%s\":[", d->all_field);
	l.out = &res->body;
	if (store_read_begin(mgmtd->store) == -1)
		rc = -1;
	else {
		rc = store_op_list(mgmtd->store, d->kind, key, 1, oplist_row, &l);
		store_read_end(mgmtd->store);
	}
	oplist_close(&l);
	if (rc == -1) {		/* "never fails" in Java: an empty list */
		sbuf_reset(&res->body);
		sbuf_addf(&res->body, "{\"%s\":[", d->all_field);
	}
	sbuf_adds(&res->body, "],");
	add_ok(&res->body);
	sbuf_addc(&res->body, '}');
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

static void
reply_down(struct http_response *res, int down)
{
	sbuf_reset(&res->body);
	sbuf_addf(&res->body, "{\"down\":%s,", down ? "true" : "false");
	add_ok(&res->body);
	sbuf_addc(&res->body, '}');
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
	struct key k;
	int rc;

	if ((o = req_json(req, res)) == NULL)
		return;
	if ((rc = key_decode(&server_desc, o, 0, &k, res)) == -1)
		goto out_json;
	if (rc == 1) {
		reply_fail_field(res, "down", EC_BAD_REQUEST, "request.serverKey null");
		goto out;
	}
	v = views_current();
	reply_down(res, mgmt_view_server_down(v, k.v[0], k.v[1]));
	mgmt_view_unref(v);
out:
	key_free(&k);
out_json:
	json_object_put(o);
}
