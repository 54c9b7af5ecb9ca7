/*
 * op_keys.c — the keys of instance, server and zone operations (instanceKey,
 * serverKey, zoneKey) and the listing of operation rows grouped by key, which
 * instance_ops.c and zone_ops.c share (management-contract §1.1.3 to §1.1.6,
 * §1.4).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "mgmtd.h"
#include "model.h"
#include "store.h"

/* names[] follow the store's key order; order[] lists them alphabetically, the
 * order Jackson writes the members in. Only ZoneOperations puts its key after
 * "operations" (InstanceOperations and ServerOperations declare it first). */
const struct op_keydesc instance_keys = {
	OPK_INSTANCE, "instanceKey",
	{ "regionId", "serviceId", "instanceId" }, { 2, 0, 1 }, 0,
};

const struct op_keydesc server_keys = {
	OPK_SERVER, "serverKey", { "regionId", "serverId", NULL }, { 0, 1, -1 }, 0,
};

const struct op_keydesc zone_keys = {
	OPK_ZONE, "zoneKey", { "regionId", "serviceId", "zoneId" }, { 0, 1, 2 }, 1,
};

void
op_key_free(struct op_key *k)
{
	size_t i;

	for (i = 0; i < OP_KEY_MAX; i++)
		free(k->v[i]);
	memset(k, 0, sizeof(*k));
}

int
op_key_decode(const struct op_keydesc *d, struct json_object *o, int trim,
    struct op_key *k, struct http_response *res)
{
	struct json_object *ko;
	size_t i;

	memset(k, 0, sizeof(*k));
	k->n = store_op_nkey(d->kind);
	if (req_object(o, d->field, &ko, res) == -1)
		return -1;
	if (ko == NULL)
		return 1;
	for (i = 0; i < k->n; i++)
		if (req_str(ko, d->names[i], trim, &k->v[i], res) == -1) {
			op_key_free(k);
			return -1;
		}
	return 0;
}

/* "<field>":{...} of the open group's key. */
static void
key_member(struct op_groups *g, size_t n)
{
	size_t i;
	int j;

	sbuf_addf(&g->out, "\"%s\":", g->d->field);
	for (i = 0; i < n; i++) {
		j = g->d->order[i];
		sbuf_addf(&g->out, "%c\"%s\":", i ? ',' : '{', g->d->names[j]);
		model_json_string(&g->out, g->cur[j]);
	}
	sbuf_addc(&g->out, '}');
}

void
op_groups_close(struct op_groups *g)
{
	size_t i;

	if (!g->open)
		return;
	sbuf_addc(&g->out, ']');
	if (g->d->key_last) {
		sbuf_addc(&g->out, ',');
		key_member(g, store_op_nkey(g->d->kind));
	}
	sbuf_addc(&g->out, '}');
	for (i = 0; i < OP_KEY_MAX; i++) {
		free(g->cur[i]);
		g->cur[i] = NULL;
	}
	g->open = 0;
}

int
op_groups_row(const struct op_row *r, void *arg)
{
	struct op_groups *g = arg;
	size_t i, n = store_op_nkey(g->d->kind);
	int same = g->open;

	for (i = 0; same && i < n; i++)
		same = strcasecmp(g->cur[i], r->key[i]) == 0;
	if (same) {
		sbuf_addc(&g->out, ',');
		model_json_string(&g->out, r->operation);
		return 0;
	}
	op_groups_close(g);
	if (g->n++)
		sbuf_addc(&g->out, ',');
	for (i = 0; i < n; i++)
		if ((g->cur[i] = strdup(r->key[i])) == NULL)
			abort();
	g->open = 1;
	sbuf_addc(&g->out, '{');
	if (!g->d->key_last) {
		key_member(g, n);
		sbuf_addc(&g->out, ',');
	}
	sbuf_adds(&g->out, "\"operations\":[");
	model_json_string(&g->out, r->operation);
	return 0;
}
