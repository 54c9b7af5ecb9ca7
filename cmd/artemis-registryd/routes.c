/*
 * routes.c — HTTP doors of registryd: /api/registry/... (clients) and
 * /api/replication/registry/... (peers, §5.10).
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "log.h"
#include "model.h"
#include "registryd.h"
#include "table.h"

/* One door: which operation, through which path (client or peer). */
struct door {
	struct registryd	*d;
	enum reg_op		 op;
	enum reg_path		 path;
};

static const struct {
	const char	*path;
	enum reg_op	 op;
	enum reg_path	 via;
} door_table[] = {
	{ "/api/registry/register.json", OP_REGISTER, PATH_CLIENT },
	{ "/api/registry/heartbeat.json", OP_HEARTBEAT, PATH_CLIENT },
	{ "/api/registry/unregister.json", OP_UNREGISTER, PATH_CLIENT },
	{ "/api/replication/registry/register.json", OP_REGISTER, PATH_REPLICATION },
	{ "/api/replication/registry/heartbeat.json", OP_HEARTBEAT, PATH_REPLICATION },
	{ "/api/replication/registry/unregister.json", OP_UNREGISTER, PATH_REPLICATION },
};
#define NDOORS	(sizeof(door_table) / sizeof(door_table[0]))

static struct door doors[NDOORS];

static void
h_door(struct http_request *req, struct http_response *resp)
{
	const struct door *door = req->route_arg;
	struct sbuf out = SBUF_INIT;
	int status;

	status = registry_process(door->d, door->op, door->path, req->body, req->body_len,
	    &out);
	if (status != 200)
		http_error(resp, status, out.s ? out.s : "bad request");
	else
		sbuf_add(&resp->body, out.s, out.len);
	sbuf_free(&out);
}

/* ---- replication services.json: raw registry contents for a bootstrapping peer */

struct service_acc {
	char		*service_id;
	struct sbuf	 instances;
};

static struct service_acc *
acc_for(struct service_acc **v, size_t *n, const char *svc)
{
	struct service_acc *a;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].service_id, svc) == 0)
			return &(*v)[i];
	if ((a = reallocarray(*v, *n + 1, sizeof(*a))) == NULL)
		fatal("reallocarray");
	*v = a;
	a = &a[(*n)++];
	memset(a, 0, sizeof(*a));
	if ((a->service_id = strdup(svc)) == NULL)
		fatal("strdup");
	return a;
}

static void
render_services(struct registryd *d, struct sbuf *out)
{
	struct service_acc *svcs = NULL, *a;
	struct table_rec *r;
	struct service_json sj;
	struct sbuf list = SBUF_INIT;
	size_t n = 0, i;
	uint32_t slot, hwm = table_hwm(d->table);

	if ((r = malloc(sizeof(*r))) == NULL)
		fatal("malloc");
	for (slot = 0; slot < hwm; slot++) {
		/* an unregistered instance's tombstone is gone (lease.c) */
		if (table_read_slot(d->table, slot, r) != 1 || r->eviction_ms != 0)
			continue;
		a = acc_for(&svcs, &n, r->service_id);
		sbuf_addc(&a->instances, a->instances.len ? ',' : '[');
		sbuf_add(&a->instances, r->json, r->json_len);
	}
	free(r);
	sbuf_adds(out, "{\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, out);
	sbuf_adds(out, ",\"services\":[");
	for (i = 0; i < n; i++) {
		sbuf_addc(&svcs[i].instances, ']');
		memset(&sj, 0, sizeof(sj));
		sj.service_id = svcs[i].service_id;
		sj.instances = svcs[i].instances.s;
		if (i)
			sbuf_addc(out, ',');
		service_to_json(&sj, out);
		free(svcs[i].service_id);
		sbuf_free(&svcs[i].instances);
	}
	sbuf_adds(out, "]}");
	free(svcs);
	sbuf_free(&list);
}

static void
h_repl_services(struct http_request *req, struct http_response *resp)
{
	struct registryd *d = req->route_arg;
	struct json_object *o = NULL;
	char *region = NULL, err[256];
	const char *q;

	if (req->method_bit == HTTP_GET) {
		if ((q = http_query(req, "regionId")) == NULL) {
			http_error(resp, 400, "Required String parameter 'regionId' is not present");
			return;
		}
		region = strdup(q);
	} else {
		if ((o = model_parse(req->body, req->body_len, err, sizeof(err))) == NULL ||
		    (json_object_is_type(o, json_type_object) &&
		    model_get_string(o, "regionId", &region, err, sizeof(err)) == -1)) {
			json_object_put(o);
			http_error(resp, 400, err);
			return;
		}
		json_object_put(o);
	}
	if (!ratelimit_allow(d->rl_replication, "get-services", now_ms())) {
		sbuf_adds(&resp->body, "{\"responseStatus\":");
		response_status_fail(&resp->body, EC_RATE_LIMITED, MSG_RATE_LIMITED);
		sbuf_adds(&resp->body, ",\"services\":null}");
	} else if (str_blank(region) || strcasecmp(region, d->cfg.region) != 0) {
		struct sbuf msg = SBUF_INIT;

		sbuf_addf(&msg, "regionId is not the same as the registry node. regionId: %s, "
		    "registry node.regionId: %s", region ? region : "null", d->cfg.region);
		sbuf_adds(&resp->body, "{\"responseStatus\":");
		response_status_fail(&resp->body, EC_NO_PERMISSION, msg.s);
		sbuf_adds(&resp->body, ",\"services\":null}");
		sbuf_free(&msg);
	} else
		render_services(d, &resp->body);
	free(region);
}

size_t
registry_routes(struct registryd *d, struct http_route *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < NDOORS && n < max; i++, n++) {
		doors[i].d = d;
		doors[i].op = door_table[i].op;
		doors[i].path = door_table[i].via;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].path = door_table[i].path;
		out[n].methods = HTTP_POST;
		out[n].flags = HTTP_JSON;
		out[n].fn = h_door;
		out[n].arg = &doors[i];
	}
	if (n < max) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].path = "/api/replication/registry/services.json";
		out[n].methods = HTTP_GET | HTTP_POST;
		out[n].flags = HTTP_JSON;
		out[n].fn = h_repl_services;
		out[n].arg = d;
		n++;
	}
	return n;
}
