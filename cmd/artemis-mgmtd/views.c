/*
 * views.c — the management views of registered services (§1.1.9 services.json,
 * §1.1.10 service.json): every registered instance copied, status rewritten to
 * up/down, lease times added to its metadata, then only the group filter
 * (logicInstances, routeRules). Also owns the daemon's snapshot of its own DB
 * (mgmt_view), refreshed whenever a write committed since the last one.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "log.h"
#include "mgmt_view.h"
#include "mgmtd.h"
#include "model.h"
#include "store.h"
#include "table.h"

static pthread_mutex_t	 view_mu = PTHREAD_MUTEX_INITIALIZER;
static struct mgmt_reader *reader;
static struct mgmt_view	*view;
static char		 db_path[PATH_MAX];

static pthread_mutex_t	 table_mu = PTHREAD_MUTEX_INITIALIZER;
static struct table	*table;
static char		 table_path[PATH_MAX];

void
views_init(const struct config *c)
{
	strlcpy(db_path, c->database, sizeof(db_path));
	if (config_state_path(c, TABLE_FILE, table_path, sizeof(table_path)) == -1)
		fatalx("state dir path too long");
	view = mgmt_view_empty();
}

void
views_fini(void)
{
	mgmt_view_unref(view);
	view = NULL;
	mgmt_reader_close(reader);
	reader = NULL;
	if (table)
		table_close(table);
	table = NULL;
}

struct mgmt_view *
views_current(void)
{
	struct mgmt_view *v;
	char err[256];

	pthread_mutex_lock(&view_mu);
	if (reader == NULL &&
	    (reader = mgmt_reader_open(db_path, err, sizeof(err))) == NULL)
		log_warnx("%s", err);
	if (reader != NULL && mgmt_reader_changed(reader)) {
		if ((v = mgmt_reader_snapshot(reader, err, sizeof(err))) == NULL)
			log_warnx("%s", err);
		else {
			mgmt_view_unref(view);
			view = v;
		}
	}
	v = mgmt_view_ref(view);
	pthread_mutex_unlock(&view_mu);
	return v;
}

/* The instance table, opened lazily: registryd may create it after we start. */
static struct table *
table_get(void)
{
	struct table *t;
	char err[256];

	pthread_mutex_lock(&table_mu);
	if (table != NULL && table_replaced(table)) {
		table_close(table);
		table = NULL;
	}
	if (table == NULL &&
	    (table = table_open_reader(table_path, err, sizeof(err))) == NULL)
		log_debug("instance table: %s", err);
	t = table;
	pthread_mutex_unlock(&table_mu);
	return t;
}

/* One registered instance, as the view renders it. */
struct vinst {
	char		*service_id;	/* raw */
	struct instance	 in;
	struct mgmt_inst mi;
	char		*json;		/* marked copy */
	size_t		 json_len;
};

struct vset {
	struct vinst	*v;
	size_t		 n;
};

static int
cmp_vinst(const void *a, const void *b)
{
	const struct vinst *x = a, *y = b;

	return strcasecmp(x->service_id, y->service_id);
}

static void
set_meta(struct instance *in, const char *key, int64_t value)
{
	char num[32];
	size_t i;

	snprintf(num, sizeof(num), "%lld", (long long)value);
	for (i = 0; i < in->nmetadata; i++)
		if (strcmp(in->metadata[i].key, key) == 0) {
			instance_set_string(in, &in->metadata[i].value, num);
			return;
		}
	if ((in->metadata = reallocarray(in->metadata, in->nmetadata + 1,
	    sizeof(*in->metadata))) == NULL)
		fatal("realloc");
	if ((in->metadata[in->nmetadata].key = strdup(key)) == NULL ||
	    (in->metadata[in->nmetadata].value = strdup(num)) == NULL)
		fatal("strdup");
	in->nmetadata++;
	in->has_metadata = 1;
}

/* Every live lease of the table (only_service: those of one service, ignoring
 * case), marked up/down against v. */
static void
collect(struct mgmt_view *v, const char *only_service, struct vset *set)
{
	struct table *t = table_get();
	struct table_rec rec;
	struct json_object *o;
	struct sbuf j = SBUF_INIT;
	struct vinst *vi;
	uint32_t i, hwm;
	char err[128];
	int is_null;

	memset(set, 0, sizeof(*set));
	if (t == NULL)
		return;
	hwm = table_hwm(t);
	for (i = 0; i < hwm; i++) {
		if (table_read_slot(t, i, &rec) != 1 || rec.eviction_ms != 0)
			continue;
		if (only_service && strcasecmp(rec.service_id, only_service) != 0)
			continue;
		if ((o = model_parse(rec.json, rec.json_len, err, sizeof(err))) == NULL)
			continue;
		if ((set->v = reallocarray(set->v, set->n + 1, sizeof(*set->v))) == NULL)
			fatal("realloc");
		vi = &set->v[set->n];
		memset(vi, 0, sizeof(*vi));
		if (instance_from_json(o, &vi->in, &is_null, err, sizeof(err)) == -1 ||
		    is_null) {
			instance_free(&vi->in);
			json_object_put(o);
			continue;
		}
		json_object_put(o);
		if ((vi->service_id = strdup(rec.service_id)) == NULL)
			fatal("strdup");
		vi->mi.region_id = vi->in.region_id;
		vi->mi.zone_id = vi->in.zone_id;
		vi->mi.service_id = vi->in.service_id;
		vi->mi.group_id = vi->in.group_id;
		vi->mi.instance_id = vi->in.instance_id;
		vi->mi.ip = vi->in.ip;
		instance_set_string(&vi->in, &vi->in.status,
		    mgmt_view_is_down(v, &vi->mi) ? "down" : "up");
		set_meta(&vi->in, "creationTime", rec.creation_ms);
		set_meta(&vi->in, "renewalTime", rec.renewal_ms);
		set_meta(&vi->in, "ttl", rec.ttl_ms);
		sbuf_reset(&j);
		instance_to_json(&vi->in, &j);
		vi->json = sbuf_steal(&j, &vi->json_len);
		vi->mi.json = vi->json;
		vi->mi.json_len = vi->json_len;
		set->n++;
	}
	sbuf_free(&j);
	if (set->n > 1)
		qsort(set->v, set->n, sizeof(*set->v), cmp_vinst);
}

static void
vset_free(struct vset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		instance_free(&set->v[i].in);
		free(set->v[i].service_id);
		free(set->v[i].json);
	}
	free(set->v);
}

/* Service JSON for instances [from, to) of set, or for service_id with none. */
static void
service_json(struct mgmt_view *v, const char *service_id, const struct vset *set,
    size_t from, size_t to, struct sbuf *out)
{
	struct sbuf insts = SBUF_INIT, rules = SBUF_INIT, logic = SBUF_INIT;
	struct mgmt_inst *phys;
	struct service_json sj;
	size_t i;

	phys = calloc(to - from + 1, sizeof(*phys));
	if (phys == NULL)
		fatal("calloc");
	sbuf_addc(&insts, '[');
	for (i = from; i < to; i++) {
		if (i > from)
			sbuf_addc(&insts, ',');
		sbuf_add(&insts, set->v[i].json, set->v[i].json_len);
		phys[i - from] = set->v[i].mi;
	}
	sbuf_addc(&insts, ']');
	mgmt_view_route_rules(v, service_id, phys, to - from, &rules);
	mgmt_view_logic_json(v, service_id, 0, &logic);
	sj.service_id = service_id;
	sj.instances = to > from ? insts.s : NULL;
	sj.logic_instances = logic.s;
	sj.route_rules = rules.s;
	sj.metadata = NULL;
	service_to_json(&sj, out);
	free(phys);
	sbuf_free(&insts);
	sbuf_free(&rules);
	sbuf_free(&logic);
}

void
h_services(struct http_request *req, struct http_response *res)
{
	struct json_object *o = NULL;
	struct mgmt_view *v;
	struct vset set;
	size_t i, j;

	/* POST takes any body (ignored); GET takes regionId/zoneId (ignored) */
	if (req->method_bit == HTTP_POST && (o = req_json(req, res)) == NULL)
		return;
	json_object_put(o);
	v = views_current();
	collect(v, NULL, &set);
	sbuf_reset(&res->body);
	sbuf_addc(&res->body, '{');
	add_ok(&res->body);
	sbuf_adds(&res->body, ",\"services\":[");
	for (i = 0; i < set.n; i = j) {
		for (j = i; j < set.n && strcasecmp(set.v[j].service_id,
		    set.v[i].service_id) == 0; j++)
			;
		if (i)
			sbuf_addc(&res->body, ',');
		service_json(v, set.v[i].service_id, &set, i, j, &res->body);
	}
	sbuf_addf(&res->body, "],\"version\":%lld}", (long long)now_ms());
	vset_free(&set);
	mgmt_view_unref(v);
}

/* groups of service.json: every non-deleted group of the service (exact case). */
struct groups_acc {
	const char	*service_id;
	struct sbuf	*out;
	int		 n;
	int		 failed;
};

static int
tag_acc(int64_t gid, const char *tag, const char *value, void *arg)
{
	struct sbuf *b = arg;

	(void)gid;
	sbuf_addc(b, b->len ? ',' : '{');
	model_json_string(b, tag);
	sbuf_addc(b, ':');
	model_json_string(b, value);
	return 0;
}

static int
gi_acc(int64_t id, int64_t gid, const char *instance_id, void *arg)
{
	struct sbuf *b = arg;

	(void)id;
	(void)gid;
	if (b->len)
		sbuf_addc(b, ',');
	model_json_string(b, instance_id);
	return 0;
}

static int
group_acc(const struct group_row *g, void *arg)
{
	struct groups_acc *a = arg;
	struct sbuf key = SBUF_INIT, tags = SBUF_INIT, ids = SBUF_INIT;
	const char *parts[4] = { g->service_id, g->region_id, g->zone_id, g->name };

	if (strcmp(g->service_id, a->service_id) != 0)
		return 0;
	mgmt_path(&key, parts, 4);
	if (store_tag_list(mgmtd->store, 1, g->id, tag_acc, &tags) == -1 ||
	    store_gi_list(mgmtd->store, 1, g->id, NULL, gi_acc, &ids) == -1)
		a->failed = 1;
	if (a->n++)
		sbuf_addc(a->out, ',');
	sbuf_adds(a->out, "{\"groupKey\":");
	model_json_string(a->out, key.s);
	sbuf_adds(a->out, ",\"instanceIds\":[");
	if (ids.len)
		sbuf_add(a->out, ids.s, ids.len);
	sbuf_adds(a->out, "],\"instances\":null,\"metadata\":");
	if (tags.len) {
		sbuf_add(a->out, tags.s, tags.len);
		sbuf_addc(a->out, '}');
	} else
		sbuf_adds(a->out, "null");
	sbuf_adds(a->out, ",\"weight\":null}");
	sbuf_free(&key);
	sbuf_free(&tags);
	sbuf_free(&ids);
	return 0;
}

void
h_service(struct http_request *req, struct http_response *res)
{
	struct json_object *o;
	struct mgmt_view *v;
	struct group_row f;
	struct groups_acc a;
	struct sbuf groups = SBUF_INIT;
	struct vset set;
	char *service_id = NULL;
	int rc;

	if ((o = req_json(req, res)) == NULL)
		return;
	if (req_str(o, "serviceId", 0, &service_id, res) == -1)
		goto out;
	if (str_blank(service_id)) {
		sbuf_reset(&res->body);
		sbuf_adds(&res->body, "{\"groups\":null,");
		add_status(&res->body, EC_BAD_REQUEST,
		    "Request is null or request.servcieId is null.");
		sbuf_adds(&res->body, ",\"service\":null}");
		goto out;
	}
	memset(&f, 0, sizeof(f));
	f.service_id = service_id;
	memset(&a, 0, sizeof(a));
	a.service_id = service_id;
	a.out = &groups;
	if (store_read_begin(mgmtd->store) == -1)
		rc = -1;
	else {
		rc = store_group_list(mgmtd->store, &f, 0, group_acc, &a);
		store_read_end(mgmtd->store);
	}
	if (rc == -1 || a.failed) {
		sbuf_reset(&res->body);
		sbuf_adds(&res->body, "{\"groups\":null,");
		add_status(&res->body, EC_INTERNAL, "get service failed.");
		sbuf_adds(&res->body, ",\"service\":null}");
		goto out;
	}
	v = views_current();
	collect(v, service_id, &set);
	sbuf_reset(&res->body);
	sbuf_adds(&res->body, "{\"groups\":[");
	if (groups.len)
		sbuf_add(&res->body, groups.s, groups.len);
	sbuf_adds(&res->body, "],");
	add_ok(&res->body);
	sbuf_adds(&res->body, ",\"service\":");
	service_json(v, set.n ? set.v[0].service_id : service_id, &set, 0, set.n,
	    &res->body);
	sbuf_addc(&res->body, '}');
	vset_free(&set);
	mgmt_view_unref(v);
out:
	sbuf_free(&groups);
	free(service_id);
	json_object_put(o);
}
