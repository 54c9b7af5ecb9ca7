/*
 * lookup.c — HTTP handlers of /api/discovery/ (spec §5.4–§5.7, §7.1, §7.4).
 *
 * Answers come from renderings (cache.c) and snapshots (snapshot.c): a one-config
 * lookup of a known service is sent by reference, everything else is assembled
 * from rendered pieces with memcpy. Requests are decoded with model.h (Jackson
 * rules: case-insensitive names, coercions; undecodable -> 400).
 */
#include <json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "discoveryd.h"
#include "log.h"
#include "model.h"

static const struct response_status RS_NPE = { EC_INTERNAL, NULL, ST_FAIL };

/* Region/zone equality of §7.4: case-insensitive, blank never matches. */
static int
same_id(const char *req, const char *own)
{
	return !str_blank(req) && strcasecmp(req, own) == 0;
}

static void
unavailable(struct sbuf *out)
{
	struct sbuf msg = SBUF_INIT;

	sbuf_adds(&msg, "Serivce discovery is not in up state. Current status: ");
	node_status_text(&env->node, &msg);
	response_status_fail(out, EC_UNAVAILABLE, msg.s);
	sbuf_free(&msg);
}

static void
null_or(struct sbuf *out, const char *s)
{
	sbuf_adds(out, s != NULL ? s : "null");
}

/*
 * The checks shared by service.json and lookup.json, in Java's order: node can
 * serve discovery, region, zone (unless allowed). 0 when allowed; otherwise -1
 * with a ResponseStatus in out (if out is not NULL).
 */
static int
check_access(const char *region, const char *zone, struct sbuf *out)
{
	struct sbuf msg = SBUF_INIT;

	if (!node_can_serve_discovery(&env->node)) {
		if (out != NULL)
			unavailable(out);
		return -1;
	}
	if (!same_id(region, env->cfg->region)) {
		if (out != NULL) {
			sbuf_adds(&msg, "regionId is not the same as the registry node. "
			    "regionId: ");
			null_or(&msg, region);
			sbuf_adds(&msg, ", registry node.regionId: ");
			sbuf_adds(&msg, env->cfg->region);
		}
	} else if (!env->cfg->discovery_allow_other_zone &&
	    !same_id(zone, env->cfg->zone)) {
		if (out != NULL) {
			sbuf_adds(&msg, "zoneId is not the same as the registry node. "
			    "zoneId: ");
			null_or(&msg, zone);
			sbuf_adds(&msg, ", registry node.zoneId: ");
			sbuf_adds(&msg, env->cfg->zone);
		}
	} else
		return 0;
	if (out != NULL)
		response_status_fail(out, EC_NO_PERMISSION, msg.s);
	sbuf_free(&msg);
	return -1;
}

/* {"instances":null,...,"serviceId":id}: where Java skips the filter chain. */
static void
placeholder(struct sbuf *out, const char *service_id)
{
	struct service_json sj;

	memset(&sj, 0, sizeof(sj));
	sj.service_id = service_id;
	service_to_json(&sj, out);
}

/* A service nobody registered, after the filter chain (lookup.json). */
static void
unknown_filtered(struct sbuf *out, const char *service_id)
{
	struct filter_service fs;
	struct service_json sj;

	filter_service_init(&fs, service_id, NULL, 0);
	filter_run(&fs);
	memset(&sj, 0, sizeof(sj));
	sj.service_id = service_id;
	sj.instances = "[]";
	sj.logic_instances = fs.logic_instances.s;
	sj.route_rules = fs.route_rules.s;
	service_to_json(&sj, out);
	filter_service_free(&fs);
}

static void
bad_json(struct http_response *resp, const char *err)
{
	http_error(resp, 400, err);
}

/* Parse a JSON object body; answers 400 itself and returns NULL otherwise. */
static struct json_object *
parse_object(struct http_request *req, struct http_response *resp)
{
	struct json_object *o;
	char err[256];

	if (!req->has_body || req->body_len == 0) {
		bad_json(resp, "Required request body is missing");
		return NULL;
	}
	if ((o = model_parse(req->body, req->body_len, err, sizeof(err))) == NULL) {
		bad_json(resp, err);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		bad_json(resp, "request body is not a JSON object");
		return NULL;
	}
	return o;
}

static int
get_region_zone(struct json_object *o, char **region, char **zone,
    struct http_response *resp)
{
	char err[256];

	*region = *zone = NULL;
	if (model_get_string(o, "regionId", region, err, sizeof(err)) == -1 ||
	    model_get_string(o, "zoneId", zone, err, sizeof(err)) == -1) {
		free(*region);
		free(*zone);
		*region = *zone = NULL;
		bad_json(resp, err);
		return -1;
	}
	return 0;
}

/* Longest a lookup waits for the follower to apply writes made before it. */
#define SYNC_WAIT_MS	200

/* ---------------------------------------------------------------- lookup.json */

static void
lookup_answer(struct http_request *req, struct http_response *resp,
    struct discovery_config *dc, size_t n, int allowed)
{
	struct rendered *r;
	struct sbuf *b = &resp->body;
	size_t i;

	/* The Java client's usual call: one service, sent by reference. */
	if (n == 1 && allowed && !str_blank(dc[0].service_id) &&
	    (r = cache_get(dc[0].service_id)) != NULL) {
		resp->shared = rbuf_ref(r->body);
		if (accepts_gzip(req))
			resp->shared_gz = rendered_gz(r);
		rendered_unref(r);
		return;
	}
	sbuf_adds(b, "{\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, b);
	sbuf_adds(b, ",\"services\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			sbuf_addc(b, ',');
		if (!allowed || str_blank(dc[i].service_id)) {
			placeholder(b, dc[i].service_id);
			continue;
		}
		if ((r = cache_get(dc[i].service_id)) != NULL) {
			sbuf_add(b, r->body->data + r->svc_off, r->svc_len);
			rendered_unref(r);
		} else
			unknown_filtered(b, dc[i].service_id);
	}
	sbuf_adds(b, "]}");
}

static void
h_lookup(struct http_request *req, struct http_response *resp)
{
	struct json_object *o, *arr, *el;
	struct discovery_config *dc = NULL;
	char *region = NULL, *zone = NULL, err[256];
	size_t n = 0, i, decoded = 0;
	int present, is_null, has_null = 0;

	if ((o = parse_object(req, resp)) == NULL)
		return;
	if (get_region_zone(o, &region, &zone, resp) == -1)
		goto out;
	arr = model_get(o, "discoveryConfigs", &present);
	if (arr != NULL && !json_object_is_type(arr, json_type_array)) {
		bad_json(resp, "discoveryConfigs: expected an array");
		goto out;
	}
	if (arr == NULL) {	/* Java: NullPointerException, no message */
		sbuf_adds(&resp->body, "{\"responseStatus\":");
		response_status_to_json(&RS_NPE, &resp->body);
		sbuf_adds(&resp->body, ",\"services\":null}");
		goto out;
	}
	n = json_object_array_length(arr);
	if (n > (size_t)env->cfg->max_lookup_configs) {
		snprintf(err, sizeof(err), "discoveryConfigs has %zu entries, at most "
		    "%d are accepted", n, env->cfg->max_lookup_configs);
		sbuf_adds(&resp->body, "{\"responseStatus\":");
		response_status_fail(&resp->body, EC_BAD_REQUEST, err);
		sbuf_adds(&resp->body, ",\"services\":null}");
		goto out;
	}
	if (n > 0 && (dc = calloc(n, sizeof(*dc))) == NULL)
		fatal("h_lookup");
	for (i = 0; i < n; i++, decoded++) {
		el = json_object_array_get_idx(arr, i);
		if (discovery_config_from_json(el, &dc[i], &is_null, err,
		    sizeof(err)) == -1) {
			bad_json(resp, err);
			goto out;
		}
		has_null |= is_null;
	}
	if (has_null) {
		sbuf_adds(&resp->body, "{\"responseStatus\":");
		response_status_to_json(&RS_NPE, &resp->body);
		sbuf_adds(&resp->body, ",\"services\":null}");
		goto out;
	}
	follower_sync(SYNC_WAIT_MS);
	lookup_answer(req, resp, dc, n, check_access(region, zone, NULL) == 0);
out:
	for (i = 0; i < decoded; i++)
		discovery_config_free(&dc[i]);
	free(dc);
	free(region);
	free(zone);
	json_object_put(o);
}

/* ---------------------------------------------------------------- service.json */

static void
service_answer(struct http_response *resp, const char *service_id,
    const char *region, const char *zone)
{
	struct sbuf *b = &resp->body;
	struct sbuf st = SBUF_INIT;
	struct rendered *r;

	if (str_blank(service_id)) {
		sbuf_adds(b, "{\"responseStatus\":");
		response_status_fail(b, EC_BAD_REQUEST, MSG_NO_DISCOVERY_CONFIG);
		sbuf_adds(b, ",\"service\":null}");
		return;
	}
	if (check_access(region, zone, &st) == -1) {
		sbuf_adds(b, "{\"responseStatus\":");
		sbuf_add(b, st.s, st.len);
		sbuf_adds(b, ",\"service\":null}");
		sbuf_free(&st);
		return;
	}
	follower_sync(SYNC_WAIT_MS);
	sbuf_adds(b, "{\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, b);
	sbuf_adds(b, ",\"service\":");
	if ((r = cache_get(service_id)) != NULL) {
		sbuf_add(b, r->body->data + r->svc_off, r->svc_len);
		rendered_unref(r);
	} else
		placeholder(b, service_id);	/* Java skips the filters here */
	sbuf_addc(b, '}');
}

/* GET ?serviceId=&regionId=&zoneId=, bound as Spring binds String parameters:
 * names case-sensitive, a repeated one joined with ',', "" when given without
 * a value; serviceId is required (400 when absent, bad-request when blank). */
static void
service_get(struct http_request *req, struct http_response *resp)
{
	struct sbuf sid = SBUF_INIT, region = SBUF_INIT, zone = SBUF_INIT;
	int has_region, has_zone;

	if (!http_query_join(req, "serviceId", &sid)) {
		http_error(resp, 400,
		    "Required String parameter 'serviceId' is not present");
		return;
	}
	has_region = http_query_join(req, "regionId", &region);
	has_zone = http_query_join(req, "zoneId", &zone);
	service_answer(resp, sid.s, has_region ? region.s : NULL,
	    has_zone ? zone.s : NULL);
	sbuf_free(&sid);
	sbuf_free(&region);
	sbuf_free(&zone);
}

static void
h_service(struct http_request *req, struct http_response *resp)
{
	struct json_object *o, *dco;
	struct discovery_config dc;
	char *region = NULL, *zone = NULL, err[256];
	int present, is_null = 0;

	if (req->method_bit == HTTP_GET) {
		service_get(req, resp);
		return;
	}
	if ((o = parse_object(req, resp)) == NULL)
		return;
	memset(&dc, 0, sizeof(dc));
	if (get_region_zone(o, &region, &zone, resp) == -1)
		goto out;
	dco = model_get(o, "discoveryConfig", &present);
	if (discovery_config_from_json(dco, &dc, &is_null, err, sizeof(err)) == -1) {
		bad_json(resp, err);
		goto out;
	}
	service_answer(resp, is_null ? NULL : dc.service_id, region, zone);
out:
	discovery_config_free(&dc);
	free(region);
	free(zone);
	json_object_put(o);
}

/* ---------------------------------------------------------------- services.json */

static void
h_services(struct http_request *req, struct http_response *resp)
{
	struct json_object *o;
	char *region, *zone;

	if (req->method_bit == HTTP_POST) {
		if ((o = parse_object(req, resp)) == NULL)
			return;
		/* region and zone are not checked (§5.6), but Jackson still binds
		 * them: a container there is a 400 */
		if (get_region_zone(o, &region, &zone, resp) == -1) {
			json_object_put(o);
			return;
		}
		free(region);
		free(zone);
		json_object_put(o);
	}
	if (!node_can_serve_discovery(&env->node)) {
		sbuf_adds(&resp->body, "{\"responseStatus\":");
		unavailable(&resp->body);
		sbuf_adds(&resp->body, ",\"services\":null,\"version\":0}");
		return;
	}
	if (!snapshot_services(resp, accepts_gzip(req)))
		snapshot_live(resp);
}

/* ---------------------------------------------------------------- services-delta */

static void
h_services_delta(struct http_request *req, struct http_response *resp)
{
	struct json_object *o;
	struct rbuf *d;
	char *region, *zone, err[256];
	int64_t version = 0;

	if ((o = parse_object(req, resp)) == NULL)
		return;
	if (model_get_int64(o, "version", &version, err, sizeof(err)) == -1) {
		json_object_put(o);
		bad_json(resp, err);
		return;
	}
	if (get_region_zone(o, &region, &zone, resp) == -1) {	/* bound, unused */
		json_object_put(o);
		return;
	}
	free(region);
	free(zone);
	json_object_put(o);
	if (!node_can_serve_discovery(&env->node)) {
		sbuf_adds(&resp->body, "{\"delta\":null,\"responseStatus\":");
		unavailable(&resp->body);
		sbuf_adds(&resp->body, ",\"version\":0}");
		return;
	}
	if (version != 0 && (d = snapshot_delta(version)) != NULL) {
		resp->shared = d;
		return;
	}
	sbuf_adds(&resp->body, "{\"delta\":null,\"responseStatus\":");
	response_status_fail(&resp->body, EC_DATA_NOT_FOUND, MSG_NO_DELTA);
	sbuf_adds(&resp->body, ",\"version\":0}");
}

size_t
lookup_routes(struct http_route *out, size_t max)
{
	static const struct http_route routes[] = {
		{ "/api/discovery/lookup.json", HTTP_POST, HTTP_JSON, h_lookup,
		    NULL, NULL },
		{ "/api/discovery/service.json", HTTP_GET | HTTP_POST, HTTP_JSON,
		    h_service, NULL, NULL },
		{ "/api/discovery/services.json", HTTP_GET | HTTP_POST, HTTP_JSON,
		    h_services, NULL, NULL },
		{ "/api/discovery/services-delta.json", HTTP_POST, HTTP_JSON,
		    h_services_delta, NULL, NULL },
	};
	size_t n = sizeof(routes) / sizeof(routes[0]);

	if (n > max)
		n = max;
	memcpy(out, routes, n * sizeof(*out));
	return n;
}
