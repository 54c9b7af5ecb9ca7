/*
 * logs.c — the nine /api/management/log/ queries (*-logs.json) queries (§1.2): optional
 * exact-match filters (blank = no constraint, case-insensitive), rows by id.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mgmtd.h"
#include "model.h"
#include "store.h"

const int log_kind_arg[LOG_NKINDS] = {
	LOG_INSTANCE, LOG_SERVER, LOG_ZONE, LOG_GROUP_OP, LOG_GROUP, LOG_ROUTE_RULE,
	LOG_ROUTE_RULE_GROUP, LOG_GROUP_INSTANCE, LOG_SERVICE_INSTANCE,
};

enum out_type { O_END, O_STR, O_NUM, O_BOOL, O_ID, O_CT, O_UT, O_FALSE };

struct out_field {
	const char	*name;
	enum out_type	 type;
	int		 field;
};

struct filter_field {
	const char	*name;
	int		 is_num;	/* 2: boolean (complete) */
	int		 field;
};

struct log_api {
	struct filter_field	 filters[8];
	struct out_field	 out[20];
};

#define FS(n, f)	{ n, 0, f }
#define FN(n, f)	{ n, 1, f }
#define FB		{ "complete", 2, LN_COMPLETE }
#define S(n, f)		{ n, O_STR, f }
#define N(n, f)		{ n, O_NUM, f }
#define B(n, f)		{ n, O_BOOL, f }
#define ID		{ "id", O_ID, 0 }
#define CT		{ "createTime", O_CT, 0 }
#define UT		{ "updateTime", O_UT, 0 }

/* Output fields in Java String.compareTo order. */
static const struct log_api apis[LOG_NKINDS] = {
	[LOG_INSTANCE] = {
	    { FS("regionId", LS_REGION), FS("serviceId", LS_SERVICE),
	      FS("instanceId", LS_INSTANCE), FS("operation", LS_OPERATION),
	      FS("operatorId", LS_OPERATOR), FB },
	    { B("complete", LN_COMPLETE), CT, S("extensions", LS_EXTENSIONS), ID,
	      S("instanceId", LS_INSTANCE), S("operation", LS_OPERATION),
	      S("operatorId", LS_OPERATOR), S("regionId", LS_REGION),
	      S("serviceId", LS_SERVICE), S("token", LS_TOKEN), UT } },
	[LOG_SERVER] = {
	    { FS("regionId", LS_REGION), FS("serverId", LS_SERVER),
	      FS("operation", LS_OPERATION), FS("operatorId", LS_OPERATOR), FB },
	    { B("complete", LN_COMPLETE), CT, S("extensions", LS_EXTENSIONS), ID,
	      S("operation", LS_OPERATION), S("operatorId", LS_OPERATOR),
	      S("regionId", LS_REGION), S("serverId", LS_SERVER),
	      S("token", LS_TOKEN), UT } },
	[LOG_ZONE] = {
	    { FS("regionId", LS_REGION), FS("serviceId", LS_SERVICE),
	      FS("zoneId", LS_ZONE), FS("operation", LS_OPERATION),
	      FS("operatorId", LS_OPERATOR), FB },
	    { B("complete", LN_COMPLETE), CT, ID, S("operation", LS_OPERATION),
	      S("operatorId", LS_OPERATOR), S("regionId", LS_REGION),
	      S("serviceId", LS_SERVICE), S("token", LS_TOKEN), UT,
	      S("zoneId", LS_ZONE) } },
	[LOG_GROUP_OP] = {
	    { FN("groupId", LN_GROUP_ID), FS("operation", LS_OPERATION),
	      FS("operatorId", LS_OPERATOR), FB },
	    { B("complete", LN_COMPLETE), CT, S("extensions", LS_EXTENSIONS),
	      N("groupId", LN_GROUP_ID), ID, S("operation", LS_OPERATION),
	      S("operatorId", LS_OPERATOR), S("reason", LS_REASON),
	      S("token", LS_TOKEN), UT } },
	[LOG_GROUP] = {
	    { FS("serviceId", LS_SERVICE), FS("regionId", LS_REGION),
	      FS("zoneId", LS_ZONE), FS("name", LS_NAME), FS("appId", LS_APP),
	      FS("operation", LS_OPERATION), FS("operatorId", LS_OPERATOR) },
	    { S("appId", LS_APP), CT, S("extensions", LS_EXTENSIONS), ID,
	      S("name", LS_NAME), S("operation", LS_OPERATION),
	      S("operatorId", LS_OPERATOR), S("reason", LS_REASON),
	      S("regionId", LS_REGION), S("serviceId", LS_SERVICE),
	      S("status", LS_STATUS), S("token", LS_TOKEN), UT,
	      S("zoneId", LS_ZONE) } },
	[LOG_ROUTE_RULE] = {
	    { FS("serviceId", LS_SERVICE), FS("name", LS_NAME),
	      FS("operation", LS_OPERATION), FS("operatorId", LS_OPERATOR) },
	    { { "complete", O_FALSE, 0 }, CT, S("extensions", LS_EXTENSIONS), ID,
	      S("name", LS_NAME), S("operation", LS_OPERATION),
	      S("operatorId", LS_OPERATOR), S("reason", LS_REASON),
	      S("serviceId", LS_SERVICE), S("status", LS_STATUS),
	      S("token", LS_TOKEN), UT } },
	[LOG_ROUTE_RULE_GROUP] = {
	    { FN("routeRuleId", LN_ROUTE_RULE_ID), FN("groupId", LN_GROUP_ID),
	      FS("operation", LS_OPERATION), FS("operatorId", LS_OPERATOR) },
	    { CT, S("extensions", LS_EXTENSIONS), N("groupId", LN_GROUP_ID), ID,
	      S("operation", LS_OPERATION), S("operatorId", LS_OPERATOR),
	      S("reason", LS_REASON), N("routeRuleId", LN_ROUTE_RULE_ID),
	      S("token", LS_TOKEN), UT, N("weight", LN_WEIGHT) } },
	[LOG_GROUP_INSTANCE] = {
	    { FN("groupId", LN_GROUP_ID), FS("instanceId", LS_INSTANCE),
	      FS("operation", LS_OPERATION), FS("operatorId", LS_OPERATOR) },
	    { CT, N("groupId", LN_GROUP_ID), ID, S("instanceId", LS_INSTANCE),
	      S("operation", LS_OPERATION), S("operatorId", LS_OPERATOR),
	      S("reason", LS_REASON), S("token", LS_TOKEN), UT } },
	[LOG_SERVICE_INSTANCE] = {
	    /* Java swaps operation and operatorId here; we use the intended mapping */
	    { FS("serviceId", LS_SERVICE), FS("instanceId", LS_INSTANCE),
	      FS("operation", LS_OPERATION), FS("operatorId", LS_OPERATOR) },
	    { CT, S("groupId", LS_GROUP_LABEL), S("healthCheckUrl", LS_HCURL), ID,
	      S("instanceId", LS_INSTANCE), S("ip", LS_IP),
	      S("machineName", LS_MACHINE), S("metadata", LS_METADATA),
	      S("operation", LS_OPERATION), S("operatorId", LS_OPERATOR),
	      N("port", LN_PORT), S("protocol", LS_PROTOCOL),
	      S("regionId", LS_REGION), S("serviceId", LS_SERVICE),
	      S("token", LS_TOKEN), UT, S("url", LS_URL), S("zoneId", LS_ZONE) } },
};

struct log_out {
	const struct log_api	*api;
	struct sbuf		*out;
	int			 n;
};

static int
log_row_json(const struct log_row *r, void *arg)
{
	struct log_out *lo = arg;
	const struct out_field *f;
	struct sbuf *b = lo->out;

	if (lo->n++)
		sbuf_addc(b, ',');
	for (f = lo->api->out; f->name; f++) {
		sbuf_addf(b, "%c\"%s\":", f == lo->api->out ? '{' : ',', f->name);
		switch (f->type) {
		case O_STR:
			model_json_string(b, r->s[f->field]);
			break;
		case O_NUM:
			if (r->has_n & (1u << f->field))
				sbuf_addi64(b, r->n[f->field]);
			else
				sbuf_adds(b, "null");
			break;
		case O_BOOL:
			sbuf_adds(b, r->n[f->field] ? "true" : "false");
			break;
		case O_ID:
			sbuf_addi64(b, r->id);
			break;
		case O_CT:
			sbuf_addi64(b, r->create_time);
			break;
		case O_UT:
			sbuf_addi64(b, r->update_time);
			break;
		case O_FALSE:
		case O_END:
			sbuf_adds(b, "false");
			break;
		}
	}
	sbuf_addc(b, '}');
	return 0;
}

void
h_log(struct http_request *req, struct http_response *res)
{
	enum log_kind k = (enum log_kind)*(const int *)req->route_arg;
	const struct log_api *api = &apis[k];
	const struct filter_field *f;
	struct json_object *o;
	struct log_row filter;
	struct log_out lo;
	char *strs[LS_N];
	int64_t v;
	int present, b, rc;
	char emsg[256] = "database error";

	if ((o = req_json(req, res)) == NULL)
		return;
	memset(&filter, 0, sizeof(filter));
	memset(strs, 0, sizeof(strs));
	for (f = api->filters; f->name; f++) {
		if (f->is_num == 0) {
			if (req_str(o, f->name, 0, &strs[f->field], res) == -1)
				goto out;
			filter.s[f->field] = strs[f->field];
		} else if (f->is_num == 1) {
			if (req_int(o, f->name, INT64_MIN, INT64_MAX, &v, &present,
			    res) == -1)
				goto out;
			if (present) {
				filter.n[f->field] = v;
				filter.has_n |= 1u << f->field;
			}
		} else {
			/* a Boolean: "" and "null" are no filter */
			if (req_opt_bool(o, f->name, &b, &present, res) == -1)
				goto out;
			if (present) {
				filter.n[f->field] = b;
				filter.has_n |= 1u << f->field;
			}
		}
	}
	sbuf_reset(&res->body);
	sbuf_adds(&res->body, "{\"logs\":[");
	lo.api = api;
	lo.out = &res->body;
	lo.n = 0;
	if (store_read_begin(mgmtd->store) == -1)
		rc = -1;
	else {
		rc = store_log_query(mgmtd->store, k, &filter, log_row_json, &lo);
		if (rc == -1)
			strlcpy(emsg, store_error(mgmtd->store), sizeof(emsg));
		store_read_end(mgmtd->store);
	}
	if (rc == -1)
		reply_fail_field(res, "logs", EC_INTERNAL, emsg);
	else {
		sbuf_adds(&res->body, "],");
		add_ok(&res->body);
		sbuf_addc(&res->body, '}');
	}
out:
	for (b = 0; b < LS_N; b++)
		free(strs[b]);
	json_object_put(o);
}
