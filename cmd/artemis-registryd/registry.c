/*
 * registry.c — register, heartbeat and unregister (core-contract §5.1–§5.3, §5.10,
 * §6.4, §8.2). One skeleton for every door:
 *
 *   parse (400 if Jackson would refuse) -> rate limiter -> instances null/empty ->
 *   node status (client doors) -> per element: null skipped, region, zone (client
 *   doors, unless allowed), field validation -> store.
 *
 * Every element is decoded before anything is stored, so a request that would be a
 * 400 changes nothing.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus.h"
#include "log.h"
#include "model.h"
#include "registryd.h"
#include "table.h"

const char *const registry_op_identity[] = { "register", "heartbeat", "unregister" };

void
registry_batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		instance_free(&b->el[i].in);
	free(b->el);
}

/* Decode request.instances. 1 = decoded, 0 = instances null/empty, -1 = refuse. */
int
registry_decode(struct json_object *root, size_t max, struct batch *b, char *err,
    size_t errlen)
{
	struct json_object *arr;
	size_t i, n;

	memset(b, 0, sizeof(*b));
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "request body is not a JSON object");
		return -1;
	}
	arr = model_get(root, "instances", NULL);
	if (arr == NULL)
		return 0;
	if (!json_object_is_type(arr, json_type_array)) {
		snprintf(err, errlen, "request.instances is not an array");
		return -1;
	}
	if ((n = json_object_array_length(arr)) == 0)
		return 0;
	if (n > max) {
		snprintf(err, errlen, "request.instances has %zu elements (max %zu)", n, max);
		return -2;
	}
	if ((b->el = calloc(n, sizeof(*b->el))) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++) {
		b->n = i + 1;
		if (instance_from_json(json_object_array_get_idx(arr, i), &b->el[i].in,
		    &b->el[i].is_null, err, errlen) == -1) {
			registry_batch_free(b);
			memset(b, 0, sizeof(*b));
			return -1;
		}
	}
	return 1;
}

void
registry_fail(struct sbuf *out, const char *code, const char *msg)
{
	sbuf_reset(out);
	sbuf_adds(out, "{\"failedInstances\":null,\"responseStatus\":");
	response_status_fail(out, code, msg);
	sbuf_addc(out, '}');
}

static void
add_failure(struct sbuf *failed, const struct instance *in, const char *code,
    const char *reason)
{
	struct sbuf msg = SBUF_INIT;

	instance_display(in, &msg);
	sbuf_adds(&msg, ": ");
	sbuf_adds(&msg, reason);
	sbuf_adds(failed, failed->len ? ",{\"errorCode\":" : "{\"errorCode\":");
	model_json_string(failed, code);
	sbuf_adds(failed, ",\"errorMessage\":");
	model_json_stringn(failed, msg.s, msg.len);
	sbuf_adds(failed, ",\"instance\":");
	instance_to_json(in, failed);
	sbuf_addc(failed, '}');
	sbuf_free(&msg);
}

static int
same(const char *a, const char *b)
{
	return !str_blank(a) && strcasecmp(a, b) == 0;
}

/* Region, zone and field checks; NULL when the element may be stored. */
const char *
registry_check(struct registryd *d, enum reg_path path, const struct instance *in,
    struct sbuf *why)
{
	const struct config *c = &d->cfg;

	if (!same(in->region_id, c->region)) {
		sbuf_addf(why, "regionId is not the same as the registry node. regionId: %s, "
		    "registry node.regionId: %s", in->region_id ? in->region_id : "null",
		    c->region);
		return EC_NO_PERMISSION;
	}
	if (path != PATH_REPLICATION && !c->registry_allow_other_zone &&
	    !same(in->zone_id, c->zone)) {
		sbuf_addf(why, "zoneId is not the same as the registry node. zoneId: %s, "
		    "registry node.zoneId: %s", in->zone_id ? in->zone_id : "null", c->zone);
		return EC_NO_PERMISSION;
	}
	if (str_blank(in->service_id))
		sbuf_adds(why, "Exception: argument instance.serviceId is null or whitespace");
	else if (str_blank(in->instance_id))
		sbuf_adds(why, "Exception: argument instance.instanceId is null or whitespace");
	else if (str_blank(in->url))
		sbuf_adds(why, "Exception: argument instance.url is null or whitespace");
	else
		return NULL;
	return EC_INTERNAL;
}

int
registry_is_legacy(const struct instance *in)
{
	size_t i;

	for (i = 0; i < in->nmetadata; i++)
		if (strcmp(in->metadata[i].key, "java_registry") == 0)
			return !str_blank(in->metadata[i].value);
	return 0;
}

/* Store a registration; NULL on success, else the failure code with a reason. */
static const char *
store_register(struct registryd *d, const struct instance *in, uint8_t origin,
    struct sbuf *why)
{
	struct sbuf key = SBUF_INIT, json = SBUF_INIT;
	int legacy = registry_is_legacy(in), rc;
	uint64_t seq;

	instance_key(in, &key);
	instance_to_json(in, &json);
	pthread_mutex_lock(&d->write_lock);
	do	/* full: an unregistered instance's tombstone gives its slot */
		rc = table_upsert(d->table, key.s, key.len, in->service_id,
		    strlen(in->service_id), json.s, json.len, now_ms(),
		    (uint32_t)(legacy ? d->cfg.legacy_ttl_ms : d->cfg.ttl_ms),
		    legacy ? TABLE_F_LEGACY : 0, origin, &seq);
	while (rc == -ENOSPC && lease_reclaim(d));
	pthread_mutex_unlock(&d->write_lock);
	sbuf_free(&key);
	sbuf_free(&json);
	if (rc == 0)
		return NULL;
	if (rc == -E2BIG) {
		sbuf_addf(why, "Exception: instance is too large to store (max %d bytes of "
		    "key, serviceId and JSON together)", TABLE_SLOT_DATA);
		return EC_BAD_REQUEST;
	}
	if (rc == -ENOSPC) {
		sbuf_adds(why, "Exception: instance table is full");
		log_warnx("instance table is full (capacity %u)", table_capacity(d->table));
		return EC_INTERNAL;
	}
	sbuf_addf(why, "Exception: cannot store instance (%s)", strerror(-rc));
	return EC_INTERNAL;
}

static const char *
store_heartbeat(struct registryd *d, enum reg_path path, const struct instance *in,
    struct sbuf *why, int64_t *renewed)
{
	struct sbuf key = SBUF_INIT;
	int rc;

	instance_key(in, &key);
	rc = table_renew(d->table, key.s, key.len, now_ms(),
	    path == PATH_REPLICATION ? ORIGIN_PEER : ORIGIN_LOCAL);
	sbuf_free(&key);
	if (rc == 0) {
		(*renewed)++;
		return NULL;
	}
	if (path == PATH_REPLICATION)	/* §5.10: a peer's heartbeat upserts */
		return store_register(d, in, ORIGIN_PEER, why);
	sbuf_adds(why, MSG_NOT_EXISTING);
	return EC_DATA_NOT_FOUND;
}

static void
store_unregister(struct registryd *d, enum reg_path path, const struct instance *in)
{
	struct sbuf key = SBUF_INIT;

	instance_key(in, &key);
	pthread_mutex_lock(&d->write_lock);
	/* unknown instances succeed (§5.3): -ENOENT is not a failure */
	(void)table_evict(d->table, key.s, key.len, now_ms(),
	    path == PATH_REPLICATION ? ORIGIN_PEER : ORIGIN_LOCAL);
	pthread_mutex_unlock(&d->write_lock);
	sbuf_free(&key);
}

void
registry_publish(struct registryd *d)
{
	if (d->bus && bus_publish(d->bus, table_change_seq(d->table)) == -1)
		log_debug("bus publish failed");
}

static int
apply(struct registryd *d, enum reg_op op, enum reg_path path, struct batch *b,
    struct sbuf *out)
{
	struct sbuf failed = SBUF_INIT, why = SBUF_INIT;
	int64_t renewed[2] = { 0, 0 };
	const char *code;
	size_t i;
	int changed = 0;

	for (i = 0; i < b->n; i++) {
		struct instance *in = &b->el[i].in;

		if (b->el[i].is_null)
			continue;
		sbuf_reset(&why);
		if ((code = registry_check(d, path, in, &why)) == NULL) {
			switch (op) {
			case OP_REGISTER:
				code = store_register(d, in, path == PATH_REPLICATION ?
				    ORIGIN_PEER : ORIGIN_LOCAL, &why);
				changed |= code == NULL;
				break;
			case OP_HEARTBEAT:
				code = store_heartbeat(d, path, in, &why,
				    &renewed[registry_is_legacy(in) ? LEASE_LEGACY : LEASE_NORMAL]);
				changed |= path == PATH_REPLICATION;
				break;
			case OP_UNREGISTER:
				store_unregister(d, path, in);
				changed = 1;
				break;
			}
		}
		if (code != NULL)
			add_failure(&failed, in, code, why.s);
	}
	lease_count_renewals(d, LEASE_NORMAL, renewed[LEASE_NORMAL]);
	lease_count_renewals(d, LEASE_LEGACY, renewed[LEASE_LEGACY]);
	if (changed)
		registry_publish(d);

	if (failed.len == 0) {
		sbuf_adds(out, "{\"failedInstances\":null,\"responseStatus\":");
		response_status_to_json(&RS_SUCCESS, out);
	} else {
		sbuf_adds(out, "{\"failedInstances\":[");
		sbuf_add(out, failed.s, failed.len);
		sbuf_adds(out, "],\"responseStatus\":{\"errorCode\":\"partial_fail\","
		    "\"message\":\"\",\"status\":\"partial_fail\"}");
	}
	sbuf_addc(out, '}');
	sbuf_free(&failed);
	sbuf_free(&why);
	return 200;
}

const char registry_success[] =
    "{\"failedInstances\":null,\"responseStatus\":"
    "{\"errorCode\":\"success\",\"message\":\"\",\"status\":\"success\"}}";

int
registry_process(struct registryd *d, enum reg_op op, enum reg_path path, const char *body,
    size_t len, struct sbuf *out)
{
	struct json_object *root;
	struct ratelimit *rl;
	struct batch b;
	uint8_t digest[PLAN_DIGEST_LEN];
	char err[512];
	int rc, limited_checked = 0, learn;

	/* model_parse skips a UTF-8 byte order mark, as Jackson does with an HTTP
	 * body's bytes; a WebSocket message reaches caravan's mapper as a Java
	 * String, where U+FEFF is a bad character: canned success (§8.2) */
	if (path == PATH_WEBSOCKET && len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0) {
		sbuf_adds(out, registry_success);
		return 200;
	}
	/* a client repeats its heartbeat text every interval: answer it from a plan */
	learn = op == OP_HEARTBEAT && path != PATH_REPLICATION && d->plans != NULL;
	if (learn) {
		plan_digest(body, len, digest);
		if ((rc = plan_answer(d, digest, out)) == PLAN_ANSWERED)
			return 200;
		limited_checked = rc == PLAN_FALLBACK;
	}

	/* The caravan mapper on the WebSocket tolerates control characters and hands
	 * a "null" message to the handler; Spring refuses a null body with 400. */
	root = model_parse_flags(body, len, path == PATH_WEBSOCKET ?
	    MODEL_PARSE_ALLOW_CONTROL | MODEL_PARSE_ALLOW_NULL : 0, err, sizeof(err));
	if (root == NULL) {
		if (path != PATH_WEBSOCKET) {
			sbuf_adds(out, err);
			return 400;
		}
		if (err[0] == '\0') {	/* the message was "null" */
			/* Java hands null to heartbeat(), whose rate limiter
			 * runs before the request check: it counts, and may
			 * answer rate-limited */
			if (!limited_checked && !ratelimit_allow(d->rl_registry,
			    registry_op_identity[op], now_ms()))
				registry_fail(out, EC_RATE_LIMITED, MSG_RATE_LIMITED);
			else
				registry_fail(out, EC_BAD_REQUEST, MSG_REQUEST_NULL);
		} else			/* §8.2: canned success */
			sbuf_adds(out, registry_success);
		return 200;
	}
	rc = registry_decode(root, (size_t)d->cfg.max_instances_per_request, &b, err,
	    sizeof(err));
	json_object_put(root);
	if (rc == -1) {
		if (path == PATH_WEBSOCKET) {
			sbuf_adds(out, registry_success);
			return 200;
		}
		sbuf_adds(out, err);
		return 400;
	}
	rl = path == PATH_REPLICATION ? d->rl_replication : d->rl_registry;
	if (!limited_checked && !ratelimit_allow(rl, registry_op_identity[op], now_ms())) {
		registry_fail(out, EC_RATE_LIMITED, MSG_RATE_LIMITED);
		registry_batch_free(&b);
		return 200;
	}
	if (rc == -2) {
		registry_fail(out, EC_BAD_REQUEST, err);
		return 200;
	}
	if (rc == 0) {
		registry_fail(out, EC_BAD_REQUEST, MSG_NO_INSTANCES);
		return 200;
	}
	if (path != PATH_REPLICATION && !node_can_serve_registry(&d->node)) {
		struct sbuf msg = SBUF_INIT;

		sbuf_adds(&msg, "Serivce registry is not in up state. Current status: ");
		node_status_text(&d->node, &msg);
		registry_fail(out, EC_UNAVAILABLE, msg.s);
		sbuf_free(&msg);
		registry_batch_free(&b);
		return 200;
	}
	rc = apply(d, op, path, &b, out);
	if (learn)
		plan_learn(d, digest, path, &b);
	registry_batch_free(&b);
	return rc;
}
