/*
 * mgmt.c — the management side of discovery (core-contract §7.5, management-
 * contract §6.2, §7.2): the GroupDiscoveryFilter and ManagementDiscoveryFilter as
 * one entry of the filter chain, over an immutable mgmt_view of the management DB.
 *
 * The view is reloaded on the loop thread when mgmtd hints on BUS_MGMT and every
 * mgmt-reconcile-interval; a new view is swapped in under a mutex (HTTP threads
 * run the chain for unknown services) and then only the services it can change
 * are re-rendered (see apply_view()).
 */
#include <json.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "discoveryd.h"
#include "log.h"
#include "mgmt_view.h"
#include "model.h"
#include "ws.h"

static struct mgmt_reader	*reader;
static struct mgmt_view		*view;		/* NULL: no management data yet */
static pthread_mutex_t		 view_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct bus_sub		*mbus;

static struct mgmt_view *
view_get(void)
{
	struct mgmt_view *v;

	pthread_mutex_lock(&view_mtx);
	v = view != NULL ? mgmt_view_ref(view) : NULL;
	pthread_mutex_unlock(&view_mtx);
	return v;
}

/*
 * The fields management matches on, taken from an instance's JSON the first
 * time something could hide it and kept by the follower until the JSON
 * changes: one allocation of offsets and NUL-terminated strings. The table's
 * JSON is instance_to_json()'s, read in place by instance_json_split() (~0.1 µs);
 * other text is parsed with json-c (~2 µs).
 */
enum { F_REGION, F_ZONE, F_SERVICE, F_GROUP, F_INSTANCE, F_IP, NFIELDS };

static const char *const field_names[NFIELDS] = {
	"regionId", "zoneId", "serviceId", "groupId", "instanceId", "ip"
};

#define F_NULL	UINT16_MAX

struct inst_fields {
	uint16_t	 off[NFIELDS];		/* into s, F_NULL: not a string */
	char		 s[];
};

static pthread_mutex_t		 tok_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct json_tokener	*tok;		/* reused: one parse at a time */

static struct json_object *
parse_instance(const char *json, size_t len)
{
	struct json_object *o;

	/* json is not NUL-terminated (it may point into a rendering) */
	if (len > INT32_MAX)
		return NULL;
	pthread_mutex_lock(&tok_mtx);
	if (tok == NULL && (tok = json_tokener_new()) == NULL)
		fatal("json_tokener_new");
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, json, (int)len);
	pthread_mutex_unlock(&tok_mtx);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* json-c's reading, for text instance_json_split() does not take. */
static struct inst_fields *
fields_parse_json(const char *json, size_t len)
{
	struct json_object *o, *v;
	struct inst_fields *f;
	const char *str[NFIELDS];
	size_t n[NFIELDS], total = 0, pos = 0;
	int i;

	if ((o = parse_instance(json, len)) == NULL)
		return NULL;
	for (i = 0; i < NFIELDS; i++) {
		str[i] = NULL;
		n[i] = 0;
		if (json_object_object_get_ex(o, field_names[i], &v) &&
		    json_object_is_type(v, json_type_string)) {
			str[i] = json_object_get_string(v);
			n[i] = (size_t)json_object_get_string_len(v);
			total += n[i] + 1;
		}
	}
	if (total >= F_NULL) {		/* slots are far smaller */
		json_object_put(o);
		return NULL;
	}
	if ((f = malloc(sizeof(*f) + total)) == NULL)
		fatal("fields_parse");
	for (i = 0; i < NFIELDS; i++) {
		if (str[i] == NULL) {
			f->off[i] = F_NULL;
			continue;
		}
		f->off[i] = (uint16_t)pos;
		memcpy(f->s + pos, str[i], n[i] + 1);
		pos += n[i] + 1;
	}
	json_object_put(o);
	return f;
}

/* The same fields from canonical text, found without a parse. */
static const int field_keys[NFIELDS] = {
	IJ_REGION_ID, IJ_ZONE_ID, IJ_SERVICE_ID, IJ_GROUP_ID, IJ_INSTANCE_ID, IJ_IP
};

static struct inst_fields *
fields_parse(const char *json, size_t len)
{
	struct ij_value v[IJ_NKEYS];
	struct inst_fields *f;
	size_t total = 0, pos = 0;
	int i;

	if (instance_json_split(json, len, v) == -1)
		return fields_parse_json(json, len);
	for (i = 0; i < NFIELDS; i++)
		if (v[field_keys[i]].kind == IJ_STRING)
			total += v[field_keys[i]].n + 1;
	if (total >= F_NULL)		/* as fields_parse_json() */
		return NULL;
	if ((f = malloc(sizeof(*f) + total)) == NULL)
		fatal("fields_parse");
	for (i = 0; i < NFIELDS; i++) {
		const struct ij_value *e = &v[field_keys[i]];

		if (e->kind != IJ_STRING) {
			f->off[i] = F_NULL;
			continue;
		}
		f->off[i] = (uint16_t)pos;
		memcpy(f->s + pos, e->s, e->n);
		f->s[pos + e->n] = '\0';
		pos += e->n + 1;
	}
	return f;
}

void
mgmt_fields_free(struct inst_fields *f)
{
	free(f);
}

static const char *
field(const struct inst_fields *f, int i)
{
	return f->off[i] == F_NULL ? NULL : f->s + f->off[i];
}

static void
fields_inst(const struct inst_fields *f, const char *json, size_t len,
    struct mgmt_inst *mi)
{
	mi->region_id = field(f, F_REGION);
	mi->zone_id = field(f, F_ZONE);
	mi->service_id = field(f, F_SERVICE);
	mi->group_id = field(f, F_GROUP);
	mi->instance_id = field(f, F_INSTANCE);
	mi->ip = field(f, F_IP);
	mi->json = json;
	mi->json_len = len;
}

/* The instance's fields: cached in *slot when the caller keeps them, otherwise
 * parsed into *tmp (caller frees). NULL if the JSON is not an object. */
static const struct inst_fields *
fields_of(struct inst_fields **slot, const char *json, size_t len,
    struct inst_fields **tmp)
{
	if (slot == NULL)
		return *tmp = fields_parse(json, len);
	if (*slot == NULL)
		*slot = fields_parse(json, len);
	return *slot;
}

/*
 * An instance's ip as management keys servers (mgmt_view_server_down()): Java's
 * toLowerCase of it, "null" for null. Canonical text is read in place, other
 * text through fields_of() (kept in *slot when given). -1 when the JSON is not
 * an object: management hides nothing of it then.
 */
static int
inst_ip_key(struct inst_fields **slot, const char *json, size_t len,
    struct sbuf *out)
{
	struct ij_value v[IJ_NKEYS];
	const struct inst_fields *f;
	struct inst_fields *tmp = NULL;

	sbuf_reset(out);
	if (instance_json_split(json, len, v) == 0) {
		if (v[IJ_IP].kind == IJ_STRING)
			model_add_lowern(out, v[IJ_IP].s, v[IJ_IP].n);
		else
			sbuf_adds(out, "null");
	} else {
		if ((f = fields_of(slot, json, len, &tmp)) == NULL)
			return -1;
		model_add_lower(out, field(f, F_IP) != NULL ? field(f, F_IP) :
		    "null");
		free(tmp);
	}
	if (out->s == NULL)
		sbuf_adds(out, "");
	return 0;
}

static uint32_t
ip_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a, then murmur3's finaliser: the */
	size_t i;			/* low bits pick the filter's bits */

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

int
mgmt_inst_ip_hash(struct inst_fields **slot, const char *json, size_t len,
    uint32_t *hash)
{
	struct ij_value v[IJ_NKEYS];
	struct sbuf ip = SBUF_INIT;
	char lc[64];
	size_t i;
	int r;

	/* the usual case, without an allocation: canonical text, a short ASCII
	 * ip (model_add_lowern() folds ASCII the same way) */
	if (instance_json_split(json, len, v) == 0 && v[IJ_IP].kind == IJ_STRING &&
	    v[IJ_IP].n <= sizeof(lc)) {
		for (i = 0; i < v[IJ_IP].n; i++) {
			unsigned char c = (unsigned char)v[IJ_IP].s[i];

			if (c >= 0x80)
				break;
			lc[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
		}
		if (i == v[IJ_IP].n) {
			*hash = ip_hash(lc, i);
			return 0;
		}
	}
	if ((r = inst_ip_key(slot, json, len, &ip)) == 0)
		*hash = ip_hash(ip.s, ip.len);
	sbuf_free(&ip);
	return r;
}

/* Down by what may apply: all of mgmt_view_is_down() when the service has
 * operations, otherwise only the server operations. */
static int
inst_is_down(const struct mgmt_view *v, int ops, const struct mgmt_inst *mi)
{
	if (ops != 0)
		return mgmt_view_is_down(v, mi);
	return mgmt_view_server_down(v, mi->region_id, mi->ip);
}

int
mgmt_inst_down(const char *service_id, struct inst_fields **slot,
    const char *json, size_t len)
{
	struct mgmt_view *v;
	const struct inst_fields *f;
	struct inst_fields *tmp = NULL;
	struct mgmt_inst mi;
	int ops, down = 0;

	if ((v = view_get()) == NULL)
		return 0;
	ops = mgmt_view_service_ops(v, service_id);
	if ((ops != 0 || mgmt_view_down_servers(v) > 0) &&
	    (f = fields_of(slot, json, len, &tmp)) != NULL) {
		fields_inst(f, json, len, &mi);
		down = inst_is_down(v, ops, &mi);
	}
	free(tmp);
	mgmt_view_unref(v);
	return down;
}

/*
 * Group + management filters: hide instances that are down, fill logicInstances
 * and routeRules from the view. Instance fields are looked at only when the
 * service has operations, a server is down or a canary rule lists instances;
 * otherwise the filter costs a few lookups per service.
 */
static void
mgmt_filter(struct filter_service *fs, void *arg)
{
	struct mgmt_view *v;
	struct mgmt_inst one, *phys = NULL;
	struct inst_fields **tmp = NULL;
	const struct inst_fields *f;
	size_t i, nphys = 0;
	int ops, servers, canary;

	(void)arg;
	if ((v = view_get()) == NULL)
		return;		/* empty management: the chain's defaults */
	ops = mgmt_view_service_ops(v, fs->service_id);
	servers = mgmt_view_down_servers(v) > 0;
	canary = mgmt_view_has_canary(v, fs->service_id);
	if (fs->ninst > 0 && (ops != 0 || servers || canary)) {
		if ((tmp = calloc(fs->ninst, sizeof(*tmp))) == NULL ||
		    (canary && (phys = calloc(fs->ninst, sizeof(*phys))) == NULL))
			fatal("mgmt_filter");
		nphys = canary ? fs->ninst : 0;
		for (i = 0; i < fs->ninst; i++) {
			struct mgmt_inst *mi = canary ? &phys[i] : &one;

			memset(mi, 0, sizeof(*mi));
			if ((f = fields_of(fs->inst[i].fields, fs->inst[i].json,
			    fs->inst[i].len, &tmp[i])) == NULL)
				continue;
			fields_inst(f, fs->inst[i].json, fs->inst[i].len, mi);
			if ((ops != 0 || servers) && inst_is_down(v, ops, mi))
				fs->inst[i].keep = 0;
		}
	}
	sbuf_reset(&fs->logic_instances);
	mgmt_view_logic_json(v, fs->service_id, 1, &fs->logic_instances);
	sbuf_reset(&fs->route_rules);
	mgmt_view_route_rules(v, fs->service_id, phys, nphys, &fs->route_rules);
	for (i = 0; tmp != NULL && i < fs->ninst; i++)
		free(tmp[i]);
	free(tmp);
	free(phys);
	mgmt_view_unref(v);
}

/*
 * A management change re-renders only what it can change (management-contract
 * §6.2): services whose rules, logic instances or zone/group operations differ
 * (RELOAD, pushed once the re-rendering is done), services whose instance, zone
 * or group operations differ, and services with an instance on a server whose
 * operations differ: those whose ip filter (discoveryd.h) may hold the server,
 * confirmed by mgmt_refilter_check() while re-rendering. The follower pushes
 * delete/new for instances whose visibility changed.
 */
struct strset {
	char		**v;
	size_t		 n, cap;
};

static struct strset	 reload_ids;	/* RELOAD pushes owed */
static struct strset	 changed_ips;	/* lc(ip) of servers whose operations changed */
static uint32_t		*changed_hash;	/* ip_hash() of each */
static size_t		 nchanged_hash, changed_hash_cap;

/* More changed servers than this: every service is checked instance by
 * instance, in slices, rather than probing each filter this many times. */
#define IPSET_PROBE_MAX	256

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
strset_add(struct strset *s, const char *str)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		if ((s->v = reallocarray(s->v, s->cap, sizeof(*s->v))) == NULL)
			fatal("strset_add");
	}
	if ((s->v[s->n++] = strdup(str)) == NULL)
		fatal("strset_add");
}

/* Sort with cmp and drop duplicates. */
static void
strset_sort(struct strset *s, int (*cmp)(const void *, const void *))
{
	size_t i, n = 0;

	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp);
	for (i = 0; i < s->n; i++) {
		if (n > 0 && cmp(&s->v[n - 1], &s->v[i]) == 0)
			free(s->v[i]);
		else
			s->v[n++] = s->v[i];
	}
	s->n = n;
}

static int
strset_has(const struct strset *s, const char *str,
    int (*cmp)(const void *, const void *))
{
	return s->n > 0 && bsearch(&str, s->v, s->n, sizeof(*s->v), cmp) != NULL;
}

static void
strset_clear(struct strset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

static void
changed_hash_build(void)
{
	size_t i;

	if (changed_hash_cap < changed_ips.n) {
		changed_hash_cap = changed_ips.n;
		if ((changed_hash = reallocarray(changed_hash, changed_hash_cap,
		    sizeof(*changed_hash))) == NULL)
			fatal("changed_hash_build");
	}
	for (i = 0; i < changed_ips.n; i++)
		changed_hash[i] = ip_hash(changed_ips.v[i], strlen(changed_ips.v[i]));
	nchanged_hash = changed_ips.n;
}

int
mgmt_ipset_hit(const uint64_t *set, uint32_t mask)
{
	size_t i;
	unsigned k;
	uint32_t b;

	if (nchanged_hash > IPSET_PROBE_MAX)
		return 1;
	for (i = 0; i < nchanged_hash; i++) {
		for (k = 0; k < IPSET_PROBES; k++) {
			b = ipset_bit(changed_hash[i], k, mask);
			if ((set[b / 64] & (UINT64_C(1) << (b % 64))) == 0)
				break;
		}
		if (k == IPSET_PROBES)
			return 1;
	}
	return 0;
}

int
mgmt_refilter_check(struct filter_service *fs)
{
	struct sbuf ip = SBUF_INIT;
	size_t i;
	int hit = 0;

	for (i = 0; i < fs->ninst && !hit; i++)
		hit = inst_ip_key(fs->inst[i].fields, fs->inst[i].json,
		    fs->inst[i].len, &ip) == 0 &&
		    strset_has(&changed_ips, ip.s, cmp_strp);
	sbuf_free(&ip);
	return hit;
}

static void
push_reload(const char *service_id)
{
	struct sbuf b = SBUF_INIT;

	reload_instance_json(&b, service_id);
	push_change(service_id, CHANGE_RELOAD, b.s, b.len);
	sbuf_free(&b);
}

void
mgmt_refilter_done(void)
{
	size_t i;

	for (i = 0; i < reload_ids.n; i++)
		push_reload(reload_ids.v[i]);
	strset_clear(&reload_ids);
	strset_clear(&changed_ips);
	nchanged_hash = 0;
}

struct change {
	const struct mgmt_view	*old;
	const struct mgmt_view	*cur;
	struct strset		 diff;		/* this change's RELOAD services */
	int			 ops;		/* some operation changed */
	int			 servers;	/* some server operation changed */
};

static void
on_diff(const char *service_id, void *arg)
{
	struct change *c = arg;

	strset_add(&c->diff, service_id);
	strset_add(&reload_ids, service_id);
}

static void
on_server(const char *ip, void *arg)
{
	(void)arg;
	strset_add(&changed_ips, ip);
}

static int
classify(const char *service_id, void *arg)
{
	struct change *c = arg;
	const struct mgmt_inst *logic;

	if (strset_has(&c->diff, service_id, cmp_strp) ||
	    (c->ops && mgmt_view_ops_changed(c->old, c->cur, service_id)))
		return REFILTER_FORCE;
	if (!c->servers)
		return 0;
	/* logic instances may sit on a changed server too */
	if (mgmt_view_logic(c->cur, service_id, &logic) > 0 ||
	    mgmt_view_logic(c->old, service_id, &logic) > 0)
		return REFILTER_FORCE;
	return REFILTER_CHECK;
}

/* Loop thread: swap in the new view and re-render what it changes. */
static void
apply_view(struct mgmt_view *old, struct mgmt_view *cur)
{
	struct change c;

	memset(&c, 0, sizeof(c));
	c.old = old;
	c.cur = cur;
	mgmt_view_diff(old, cur, on_diff, &c);
	c.ops = mgmt_view_any_ops_changed(old, cur);
	c.servers = mgmt_view_servers_diff(old, cur, on_server, NULL) > 0;
	/* an instance or server operation on a logic instance: RELOAD, as Java */
	if (c.ops || c.servers)
		mgmt_view_logic_down_diff(old, cur, on_diff, &c);
	strset_sort(&c.diff, cmp_strp);
	strset_sort(&reload_ids, cmp_strp);
	strset_sort(&changed_ips, cmp_strp);	/* lc(ip) both, as the view */
	changed_hash_build();
	follower_refilter(c.diff.n > 0 || c.ops || c.servers ? classify : NULL, &c);
	strset_clear(&c.diff);
	free(c.diff.v);
}

static void
reload(void)
{
	struct mgmt_view *nv, *old;
	char err[512];
	int64_t t0 = mono_ms();

	if (reader == NULL) {
		if ((reader = mgmt_reader_open(env->cfg->database, err,
		    sizeof(err))) == NULL) {
			log_debug("management DB not readable yet: %s", err);
			return;
		}
		log_info("reading management data from %s", env->cfg->database);
	}
	if (!mgmt_reader_changed(reader))
		return;
	if ((nv = mgmt_reader_snapshot(reader, err, sizeof(err))) == NULL) {
		log_warnx("management snapshot: %s", err);
		return;
	}
	pthread_mutex_lock(&view_mtx);
	old = view;
	view = nv;
	pthread_mutex_unlock(&view_mtx);
	apply_view(old, nv);
	log_debug("management view version %llu in %lld ms, %zu services queued",
	    (unsigned long long)mgmt_view_version(nv), (long long)(mono_ms() - t0),
	    follower_refilter_queued());
	mgmt_view_unref(old);
}

static void
on_mgmt_bus(void *arg)
{
	struct bus_hint h;

	(void)arg;
	while (bus_sub_recv(mbus, &h) == 1)
		;
	reload();
}

static void
on_mgmt_timer(void *arg)
{
	(void)arg;
	reload();
}

/* Before serving: register the filter and load what the DB holds now. */
void
mgmt_init(void)
{
	filter_register("management", mgmt_filter, NULL);
	reload();
}

void
mgmt_start(struct ws_server *ws)
{
	if (ws_loop_add_timer(ws, env->cfg->mgmt_reconcile_interval_ms, on_mgmt_timer,
	    NULL) == -1)
		log_warnx("cannot add the management reconcile timer");
	if ((mbus = bus_sub_open(env->cfg->state_dir, BUS_MGMT)) != NULL &&
	    ws_loop_add_fd(ws, bus_sub_fd(mbus), on_mgmt_bus, NULL) == -1)
		log_warnx("cannot watch the management bus; reconciling on the timer");
}
