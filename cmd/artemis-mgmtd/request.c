/*
 * request.c — decoding management requests (Jackson rules via model.h: names
 * case-insensitive, unknown ignored, scalars coerced, containers refused with 400)
 * and the response envelope shared by every endpoint.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "bus.h"
#include "log.h"
#include "mgmtd.h"
#include "model.h"
#include "status.h"

struct json_object *
req_json(struct http_request *req, struct http_response *res)
{
	struct json_object *o;
	char err[256];

	if (req->body_len == 0) {
		http_error(res, 400, "Required request body is missing");
		return NULL;
	}
	if ((o = model_parse(req->body, req->body_len, err, sizeof(err))) == NULL) {
		http_error(res, 400, err[0] ? err : "malformed JSON");
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		http_error(res, 400, "request body is not a JSON object");
		return NULL;
	}
	return o;
}

static void
trim_in_place(char *s)
{
	size_t n;
	char *p = s;

	while (*p && isspace((unsigned char)*p))
		p++;
	if (p != s)
		memmove(s, p, strlen(p) + 1);
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

int
req_str(struct json_object *o, const char *name, int trim, char **out,
    struct http_response *res)
{
	char err[256];

	if (model_get_string(o, name, out, err, sizeof(err)) == -1) {
		http_error(res, 400, err);
		return -1;
	}
	if (trim && *out)
		trim_in_place(*out);
	return 0;
}

int
req_int(struct json_object *o, const char *name, int64_t min, int64_t max,
    int64_t *out, int *present, struct http_response *res)
{
	struct json_object *v;
	char err[256];
	int seen;

	v = model_get(o, name, &seen);
	*present = seen && v != NULL;
	*out = 0;
	if (!*present)
		return 0;
	if (model_get_int64(o, name, out, err, sizeof(err)) == -1 ||
	    *out < min || *out > max) {
		if (err[0] == '\0' || *out < min || *out > max)
			snprintf(err, sizeof(err), "%s: numeric value out of range",
			    name);
		http_error(res, 400, err);
		return -1;
	}
	return 0;
}

/* A boolean field, bound as Jackson binds a Boolean (model_get_bool): *present
 * is 0 when absent, null, "" or "null". */
int
req_opt_bool(struct json_object *o, const char *name, int *out, int *present,
    struct http_response *res)
{
	char err[256];

	if (model_get_bool(o, name, out, present, err, sizeof(err)) == -1) {
		/* the 400 text mgmtd always gave (test/fixtures/mgmtd) */
		http_error(res, 400, "cannot deserialize a boolean");
		return -1;
	}
	return 0;
}

/* A primitive boolean field: what is no value is false. */
int
req_bool(struct json_object *o, const char *name, int *out,
    struct http_response *res)
{
	int present;

	return req_opt_bool(o, name, out, &present, res);
}

static int
req_typed(struct json_object *o, const char *name, enum json_type t,
    struct json_object **out, struct http_response *res)
{
	struct json_object *v = model_get(o, name, NULL);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, t)) {
		http_error(res, 400, t == json_type_array ?
		    "expected a JSON array" : "expected a JSON object");
		return -1;
	}
	*out = v;
	return 0;
}

int
req_array(struct json_object *o, const char *name, struct json_object **out,
    struct http_response *res)
{
	return req_typed(o, name, json_type_array, out, res);
}

int
req_object(struct json_object *o, const char *name, struct json_object **out,
    struct http_response *res)
{
	return req_typed(o, name, json_type_object, out, res);
}

int
ctx_decode(struct json_object *o, struct op_ctx *c, struct http_response *res)
{
	int seen;

	memset(c, 0, sizeof(*c));
	if (req_str(o, "operatorId", 0, &c->operator_id, res) == -1 ||
	    req_str(o, "token", 0, &c->token, res) == -1 ||
	    req_str(o, "operation", 0, &c->operation, res) == -1 ||
	    req_str(o, "reason", 0, &c->reason, res) == -1 ||
	    req_str(o, "extensions", 0, &c->extensions, res) == -1) {
		ctx_free(c);
		return -1;
	}
	(void)model_get(o, "extensions", &seen);
	if (c->extensions == NULL) {
		c->extensions_null = seen;
		if ((c->extensions = strdup("{}")) == NULL)
			fatal("strdup");
	}
	return 0;
}

int
ctx_valid(const struct op_ctx *c)
{
	return !str_blank(c->operator_id) && !str_blank(c->token) &&
	    !str_blank(c->operation) && !c->extensions_null &&
	    !str_blank(c->extensions);
}

void
ctx_free(struct op_ctx *c)
{
	free(c->operator_id);
	free(c->token);
	free(c->operation);
	free(c->reason);
	free(c->extensions);
	memset(c, 0, sizeof(*c));
}

void
add_status(struct sbuf *b, const char *code, const char *msg)
{
	sbuf_adds(b, "\"responseStatus\":");
	response_status_fail(b, code, msg);
}

void
add_ok(struct sbuf *b)
{
	sbuf_adds(b, "\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, b);
}

void
reply_status(struct http_response *res, const char *code, const char *msg)
{
	sbuf_reset(&res->body);
	sbuf_addc(&res->body, '{');
	add_status(&res->body, code, msg);
	sbuf_addc(&res->body, '}');
}

void
reply_ok(struct http_response *res)
{
	sbuf_reset(&res->body);
	sbuf_addc(&res->body, '{');
	add_ok(&res->body);
	sbuf_addc(&res->body, '}');
}

void
reply_fail_field(struct http_response *res, const char *field, const char *code,
    const char *msg)
{
	int before = strcmp(field, "responseStatus") < 0;

	sbuf_reset(&res->body);
	sbuf_addc(&res->body, '{');
	if (before)
		sbuf_addf(&res->body, "\"%s\":%s,", field,
		    strcmp(field, "down") == 0 ? "false" : "null");
	add_status(&res->body, code, msg);
	if (!before)
		sbuf_addf(&res->body, ",\"%s\":null", field);
	sbuf_addc(&res->body, '}');
}

void
reply_ise(struct http_response *res, const char *msg)
{
	reply_status(res, EC_INTERNAL, msg);
}

int
node_up(struct http_response *res)
{
	struct sbuf msg = SBUF_INIT;

	if (node_can_serve_registry(mgmtd->node))
		return 1;
	sbuf_adds(&msg, "Serivce is not in up state. Current status: ");
	node_status_text(mgmtd->node, &msg);
	reply_status(res, EC_UNAVAILABLE, msg.s);
	sbuf_free(&msg);
	return 0;
}

void
write_done(uint64_t version, int wait)
{
	if (mgmtd->bus != NULL && bus_publish(mgmtd->bus, version) == -1)
		log_debug("bus: hint %llu not published", (unsigned long long)version);
	if (wait && mgmtd->cfg->db_sync_wait_ms > 0) {
		struct timespec ts;

		ts.tv_sec = mgmtd->cfg->db_sync_wait_ms / 1000;
		ts.tv_nsec = (mgmtd->cfg->db_sync_wait_ms % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) == -1)
			;
	}
}

void
reply_member(struct http_response *res, const char *field, const char *json,
    size_t len)
{
	int before = strcmp(field, "responseStatus") < 0;

	if (json == NULL) {
		json = "null";
		len = 4;
	}
	sbuf_reset(&res->body);
	sbuf_addc(&res->body, '{');
	if (before) {
		sbuf_addf(&res->body, "\"%s\":", field);
		sbuf_add(&res->body, json, len);
		sbuf_addc(&res->body, ',');
	}
	add_ok(&res->body);
	if (!before) {
		sbuf_addf(&res->body, ",\"%s\":", field);
		sbuf_add(&res->body, json, len);
	}
	sbuf_addc(&res->body, '}');
}

void
reply_array(struct http_response *res, const char *field, const struct sbuf *items)
{
	struct sbuf a = SBUF_INIT;

	sbuf_addc(&a, '[');
	if (items->len > 0)
		sbuf_add(&a, items->s, items->len);
	sbuf_addc(&a, ']');
	reply_member(res, field, a.s, a.len);
	sbuf_free(&a);
}

void
rows_next(struct rows *r)
{
	if (r->n++)
		sbuf_addc(&r->out, ',');
}

void
reply_down(struct http_response *res, int down)
{
	reply_member(res, "down", down ? "true" : "false", down ? 4 : 5);
}

void
reply_rows(struct http_response *res, int rc, const char *field, const char *msg,
    const struct rows *rows)
{
	if (rc == -1)
		reply_fail_field(res, field, EC_INTERNAL, msg);
	else
		reply_array(res, field, &rows->out);
}
