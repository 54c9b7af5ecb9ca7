/*
 * members.c — explicit members: group instances (an instanceId in a group,
 * §1.3.7) and service ("logic") instances, statically configured endpoints of a
 * service (§1.3.8). Writes go through write.c: validated first, one transaction.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mgmt_view.h"
#include "mgmtd.h"
#include "model.h"
#include "store.h"

/* ---- group instances ---- */

int
group_instance_log(int64_t gid, const char *instance_id, const struct op_ctx *c)
{
	struct log_row lr;

	memset(&lr, 0, sizeof(lr));
	lr.n[LN_GROUP_ID] = gid;
	lr.has_n = 1u << LN_GROUP_ID;
	lr.s[LS_INSTANCE] = instance_id;
	return log_with_ctx(LOG_GROUP_INSTANCE, &lr, c);
}

struct ogi {
	int64_t	 gid;
	int	 has_gid;
	char	*instance_id;
};

static int
gi_decode(struct json_object *e, void *elem, struct http_response *res)
{
	struct ogi *x = elem;

	if (req_int(e, "groupId", INT64_MIN, INT64_MAX, &x->gid, &x->has_gid,
	    res) == -1 || req_str(e, "instanceId", 0, &x->instance_id, res) == -1)
		return -1;
	return x->has_gid && !str_blank(x->instance_id);
}

static int
gi_apply(const void *elem, const struct op_ctx *c)
{
	const struct ogi *x = elem;

	/* the group's existence is not checked (§1.3.7), as in Java */
	return store_gi_insert(mgmtd->store, x->gid, x->instance_id) == 0 &&
	    group_instance_log(x->gid, x->instance_id, c) == 0 ? 0 : -1;
}

static void
gi_free(void *elem)
{
	free(((struct ogi *)elem)->instance_id);
}

static const struct list_write group_instances_write = {
	"groupInstances", sizeof(struct ogi), gi_decode, gi_apply, gi_free,
};

void
h_insert_group_instances(struct http_request *req, struct http_response *res)
{
	list_write(&group_instances_write, "insert group instances failed.", req, res);
}

static int
gi_deleted(int64_t id, int64_t gid, const char *instance_id, void *arg)
{
	struct deleted *d = arg;

	(void)id;
	if (group_instance_log(gid, instance_id, d->c) == -1)
		d->failed = 1;
	return 0;
}

static int
gi_delete(int64_t id, const struct op_ctx *c)
{
	struct deleted d = { c, LOG_GROUP_INSTANCE, 0 };

	return deleted_result(&d, store_gi_delete(mgmtd->store, id, gi_deleted, &d));
}

void
h_delete_group_instances(struct http_request *req, struct http_response *res)
{
	delete_ids("groupInstanceIds", gi_delete, "delete group instances failed.",
	    req, res);
}

static int
gi_json_row(int64_t id, int64_t gid, const char *instance_id, void *arg)
{
	struct rows *r = arg;

	rows_next(r);
	sbuf_addf(&r->out, "{\"groupId\":%lld,\"id\":%lld,\"instanceId\":",
	    (long long)gid, (long long)id);
	model_json_string(&r->out, instance_id);
	sbuf_addc(&r->out, '}');
	return 0;
}

void
h_get_group_instances(struct http_request *req, struct http_response *res)
{
	struct json_object *o;
	struct rows rows = { SBUF_INIT, 0 };
	char *iid = NULL;
	int64_t gid;
	int has_gid, rc;

	if ((o = req_json(req, res)) == NULL)
		return;
	if (req_int(o, "groupId", INT64_MIN, INT64_MAX, &gid, &has_gid, res) == -1 ||
	    req_str(o, "instanceId", 0, &iid, res) == -1)
		goto out;
	if ((rc = store_read_begin(mgmtd->store)) == 0) {
		rc = store_gi_list(mgmtd->store, has_gid, gid, iid, gi_json_row, &rows);
		store_read_end(mgmtd->store);
	}
	reply_rows(res, rc, "groupInstances", "get group instances failed.", &rows);
out:
	sbuf_free(&rows.out);
	free(iid);
	json_object_put(o);
}

/* ---- service ("logic") instances ---- */

/* JSON names of osi.s[]; all but description required non-blank. */
enum { SI_REQUIRED = 10, SI_NSTR = 11 };
static const char *const si_fields[SI_NSTR] = {
	"serviceId", "instanceId", "url", "ip", "machineName", "protocol",
	"regionId", "zoneId", "healthCheckUrl", "groupId", "description",
};

struct osi {
	char	*s[SI_NSTR];
	char	*metadata;	/* JSON text */
	int64_t	 port;
	int	 has_port;
	int	 metadata_null;
};

static void
osi_free(void *elem)
{
	struct osi *x = elem;
	size_t i;

	for (i = 0; i < SI_NSTR; i++)
		free(x->s[i]);
	free(x->metadata);
	memset(x, 0, sizeof(*x));
}

/* metadata as JSON text with every value a string; -1 answered 400. */
static int
metadata_decode(struct json_object *md, char **out, struct http_response *res)
{
	struct sbuf b = SBUF_INIT;
	int n = 0;

	sbuf_addc(&b, '{');
	json_object_object_foreach(md, k, v) {
		if (v != NULL && (json_object_is_type(v, json_type_object) ||
		    json_object_is_type(v, json_type_array))) {
			http_error(res, 400, "metadata: string values expected");
			sbuf_free(&b);
			return -1;
		}
		if (n++)
			sbuf_addc(&b, ',');
		model_json_string(&b, k);
		sbuf_addc(&b, ':');
		model_json_string(&b, v ? json_object_get_string(v) : NULL);
	}
	sbuf_addc(&b, '}');
	*out = sbuf_steal(&b, NULL);
	return 0;
}

static int
si_decode(struct json_object *o, void *elem, struct http_response *res)
{
	struct osi *x = elem;
	struct json_object *md;
	size_t i;
	int complete = 1;

	for (i = 0; i < SI_NSTR; i++)
		if (req_str(o, si_fields[i], 0, &x->s[i], res) == -1)
			return -1;
	if (req_int(o, "port", INT32_MIN, INT32_MAX, &x->port, &x->has_port,
	    res) == -1 || req_object(o, "metadata", &md, res) == -1)
		return -1;
	if (md == NULL)
		x->metadata_null = 1;
	else if (metadata_decode(md, &x->metadata, res) == -1)
		return -1;
	for (i = 0; i < SI_REQUIRED; i++)
		if (str_blank(x->s[i]))
			complete = 0;
	return complete && !x->metadata_null;
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
	log_ctx(lr, c);
}

static int
si_apply(const void *elem, const struct op_ctx *c)
{
	const struct osi *x = elem;
	struct si_row r;
	struct log_row lr;

	memset(&r, 0, sizeof(r));
	r.service_id = x->s[0];
	r.instance_id = x->s[1];
	r.url = x->s[2];
	r.ip = x->s[3];
	r.machine_name = x->s[4];
	r.protocol = x->s[5];
	r.region_id = x->s[6];
	r.zone_id = x->s[7];
	r.health_check_url = x->s[8];
	r.group_id = x->s[9];
	r.description = x->s[10];
	r.metadata = x->metadata;
	r.port = x->port;
	si_log(&r, c, &lr);
	return store_si_put(mgmtd->store, &r) == 0 &&
	    store_log_insert(mgmtd->store, LOG_SERVICE_INSTANCE, &lr) == 0 ? 0 : -1;
}

static const struct list_write service_instances_write = {
	"serviceInstances", sizeof(struct osi), si_decode, si_apply, osi_free,
};

void
h_insert_service_instances(struct http_request *req, struct http_response *res)
{
	list_write(&service_instances_write, "insert service instances failed.", req,
	    res);
}

static int
si_deleted(const struct si_row *r, void *arg)
{
	struct deleted *d = arg;
	struct log_row lr;

	si_log(r, d->c, &lr);
	return deleted_log(d, &lr);
}

static int
si_delete(int64_t id, const struct op_ctx *c)
{
	struct deleted d = { c, LOG_SERVICE_INSTANCE, 0 };

	return deleted_result(&d, store_si_delete(mgmtd->store, id, si_deleted, &d));
}

void
h_delete_service_instances(struct http_request *req, struct http_response *res)
{
	delete_ids("serviceInstanceIds", si_delete, "delete service instances failed.",
	    req, res);
}

static int
si_json_row(const struct si_row *r, void *arg)
{
	struct rows *rows = arg;
	struct sbuf *b = &rows->out;

	rows_next(rows);
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
	struct rows rows = { SBUF_INIT, 0 };
	char *sid = NULL, *iid = NULL;
	int rc;

	if ((o = req_json(req, res)) == NULL)
		return;
	if (req_str(o, "serviceId", 0, &sid, res) == -1 ||
	    req_str(o, "instanceId", 0, &iid, res) == -1)
		goto out;
	if ((rc = store_read_begin(mgmtd->store)) == 0) {
		rc = store_si_list(mgmtd->store, sid, iid, si_json_row, &rows);
		store_read_end(mgmtd->store);
	}
	reply_rows(res, rc, "serviceInstances", "get service instances failed.",
	    &rows);
out:
	sbuf_free(&rows.out);
	free(sid);
	free(iid);
	json_object_put(o);
}
