/*
 * zone_ops.c — zone operations (management-contract §1.4): pull every instance of
 * one service out of one (region, zone).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "mgmt_view.h"
#include "mgmtd.h"
#include "model.h"
#include "store.h"

#define ZFAIL	"operate zone-operations failed."

/* The check of a start (ZoneOperationDao's insert, in its order and with its
 * ValueCheckers text); a completion only deletes and checks nothing. */
static const char *
zone_key_blank(const struct op_key *k)
{
	/* key[]: region, service, zone */
	if (str_blank(k->v[1]))
		return "argument zoneOperation.serviceId is null or whitespace";
	if (str_blank(k->v[0]))
		return "argument zoneOperation.regionId is null or whitespace";
	if (str_blank(k->v[2]))
		return "argument zoneOperation.zoneId is null or whitespace";
	return NULL;
}

void
h_operate_zone_operations(struct http_request *req, struct http_response *res)
{
	struct json_object *o, *list, *e, *ops, *oe;
	struct op_key *keys = NULL;
	struct log_row lr;
	struct sbuf m = SBUF_INIT;
	char *operator_id = NULL, *token = NULL;
	const char *why = NULL, *name;
	size_t i, j, n = 0, pairs = 0;
	uint64_t version;
	int complete, rc, ok = 1;

	if (!node_up(res) || (o = req_json(req, res)) == NULL)
		return;
	if (req_array(o, "zoneOperationsList", &list, res) == -1 ||
	    req_bool(o, "operationComplete", &complete, res) == -1 ||
	    req_str(o, "operatorId", 0, &operator_id, res) == -1 ||
	    req_str(o, "token", 0, &token, res) == -1)
		goto out;
	n = list ? json_object_array_length(list) : 0;
	keys = calloc(n + 1, sizeof(*keys));
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		if (e == NULL || !json_object_is_type(e, json_type_object))
			continue;
		if ((rc = op_key_decode(&zone_keys, e, 0, &keys[i], res)) == -1 ||
		    req_array(e, "operations", &ops, res) == -1)
			goto out;
		if (rc == 1 || ops == NULL)
			continue;
		for (j = 0; j < json_object_array_length(ops); j++) {
			oe = json_object_array_get_idx(ops, j);
			if (oe != NULL && (json_object_is_type(oe, json_type_object) ||
			    json_object_is_type(oe, json_type_array))) {
				http_error(res, 400, "operations: strings expected");
				goto out;
			}
			if (oe == NULL || str_blank(json_object_get_string(oe)))
				continue;
			pairs++;
			if (why == NULL && !complete)
				why = zone_key_blank(&keys[i]);
		}
	}
	if (pairs == 0)		/* Java's ValueCheckers texts (ZoneOperationDao) */
		why = complete ? "argument group operations is null or empty" :
		    "argument models is null or empty";
	if (why != NULL || store_begin(mgmtd->store) == -1) {
		sbuf_addf(&m, "%s%s", ZFAIL, why ? why : "database error");
		reply_ise(res, m.s);
		goto out;
	}
	for (i = 0; i < n && ok; i++) {
		e = json_object_array_get_idx(list, i);
		if (keys[i].v[1] == NULL || (ops = model_get(e, "operations",
		    NULL)) == NULL)
			continue;
		for (j = 0; j < json_object_array_length(ops) && ok; j++) {
			oe = json_object_array_get_idx(ops, j);
			name = oe ? json_object_get_string(oe) : NULL;
			if (str_blank(name))
				continue;
			rc = complete ? store_op_end(mgmtd->store, OPK_ZONE,
			    (const char *const *)keys[i].v, name) :
			    store_op_start(mgmtd->store, OPK_ZONE,
			    (const char *const *)keys[i].v, name, NULL, NULL);
			memset(&lr, 0, sizeof(lr));
			lr.s[LS_REGION] = keys[i].v[0];
			lr.s[LS_SERVICE] = keys[i].v[1];
			lr.s[LS_ZONE] = keys[i].v[2];
			lr.s[LS_OPERATION] = name;
			lr.s[LS_OPERATOR] = operator_id;	/* null -> "" (§2.6) */
			lr.s[LS_TOKEN] = token;
			lr.n[LN_COMPLETE] = complete;
			lr.has_n = 1u << LN_COMPLETE;
			ok = rc == 0 && store_log_insert(mgmtd->store, LOG_ZONE, &lr) == 0;
		}
	}
	if (!ok) {
		sbuf_addf(&m, "%s%s", ZFAIL, store_error(mgmtd->store));
		store_rollback(mgmtd->store);
		reply_ise(res, m.s);
		goto out;
	}
	if (store_commit(mgmtd->store, &version) == -1) {
		sbuf_addf(&m, "%s%s", ZFAIL, "commit failed");
		reply_ise(res, m.s);
		goto out;
	}
	write_done(version, 0);		/* no wait, as in Java */
	reply_ok(res);
out:
	for (i = 0; keys && i < n; i++)
		op_key_free(&keys[i]);
	free(keys);
	free(operator_id);
	free(token);
	sbuf_free(&m);
	json_object_put(o);
}

/* ZoneOperations objects into g->out; -1 on a database error (text in err). */
static int
zone_list(const char *const *key, struct op_groups *g, char *err, size_t errlen)
{
	int rc;

	memset(g, 0, sizeof(*g));
	g->d = &zone_keys;
	if (store_read_begin(mgmtd->store) == -1) {
		snprintf(err, errlen, "%s", "database busy");
		return -1;
	}
	rc = store_op_list(mgmtd->store, OPK_ZONE, key, 0, op_groups_row, g);
	if (rc == -1)
		snprintf(err, errlen, "%s", store_error(mgmtd->store));
	store_read_end(mgmtd->store);
	op_groups_close(g);
	return rc;
}

void
h_get_zone_operations(struct http_request *req, struct http_response *res)
{
	struct json_object *o;
	struct op_groups g;
	struct sbuf m = SBUF_INIT;
	struct op_key k;
	char err[256];
	int rc;

	if ((o = req_json(req, res)) == NULL)
		return;
	memset(&g, 0, sizeof(g));
	if ((rc = op_key_decode(&zone_keys, o, 0, &k, res)) == -1)
		goto out_json;
	if (rc == 0 && !str_blank(k.v[0]) && !str_blank(k.v[1]) &&
	    !str_blank(k.v[2]) && zone_list((const char *const *)k.v, &g, err,
	    sizeof(err)) == -1) {
		sbuf_addf(&m, "get zone-operations failed.%s", err);
		reply_fail_field(res, "operations", EC_INTERNAL, m.s);
	} else
		reply_member(res, "operations", g.n ? g.out.s : NULL, g.out.len);
	op_key_free(&k);
out_json:
	sbuf_free(&g.out);
	sbuf_free(&m);
	json_object_put(o);
}

static void
zone_lists(struct http_request *req, struct http_response *res, int filtered)
{
	const char *field = filtered ? "zoneOperationsList" : "allZoneOperations";
	struct json_object *o;
	struct op_groups g;
	struct sbuf m = SBUF_INIT;
	char *key[3] = { NULL, NULL, NULL };
	char err[256];

	if ((o = req_json(req, res)) == NULL)
		return;
	memset(&g, 0, sizeof(g));
	if (filtered && (req_str(o, "regionId", 0, &key[0], res) == -1 ||
	    req_str(o, "serviceId", 0, &key[1], res) == -1 ||
	    req_str(o, "zoneId", 0, &key[2], res) == -1))
		goto out;
	if (zone_list((const char *const *)key, &g, err, sizeof(err)) == -1) {
		sbuf_addf(&m, "%s%s", filtered ? "get zone-operations-list failed." :
		    "get all-zone-operations failed.", err);
		reply_fail_field(res, field, EC_INTERNAL, m.s);
	} else
		reply_array(res, field, &g.out);
out:
	free(key[0]);
	free(key[1]);
	free(key[2]);
	sbuf_free(&g.out);
	sbuf_free(&m);
	json_object_put(o);
}

void
h_get_all_zone_operations(struct http_request *req, struct http_response *res)
{
	zone_lists(req, res, 0);
}

void
h_get_zone_operations_list(struct http_request *req, struct http_response *res)
{
	zone_lists(req, res, 1);
}

void
h_is_zone_down(struct http_request *req, struct http_response *res)
{
	struct json_object *o;
	struct mgmt_view *v;
	struct op_key k;
	int rc, down = 0;

	if ((o = req_json(req, res)) == NULL)
		return;
	if ((rc = op_key_decode(&zone_keys, o, 0, &k, res)) == -1)
		goto out_json;
	if (rc == 0) {
		v = views_current();
		down = mgmt_view_zone_down(v, k.v[0], k.v[1], k.v[2]);
		mgmt_view_unref(v);
	}
	reply_down(res, down);
	op_key_free(&k);
out_json:
	json_object_put(o);
}
