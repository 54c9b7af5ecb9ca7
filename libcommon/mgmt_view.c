/*
 * mgmt_view.c — snapshots of the management DB for discovery filtering (see
 * mgmt_view.h). A snapshot reads every management table inside one read
 * transaction, so it is consistent with exactly one committed mgmtd write.
 *
 * Lookups are binary searches over sorted arrays of lower-cased keys: a view is
 * built rarely (once per management write) and queried for every instance of every
 * response, so it is laid out for reading.
 */
#include <ctype.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "log.h"
#include "mgmt_view.h"
#include "model.h"

#define CANARY_RULE	"canary-route-rule"

struct mv_group {
	char		*key;		/* group key (lower-case path) */
	int		 weight;	/* fixWeight applied */
	char		**ids;		/* explicit member instance ids */
	size_t		 nids;
	char		*tags;		/* JSON object or NULL */
};

struct mv_rule {
	char		*route_id;
	char		*strategy;
	struct mv_group	*groups;
	size_t		 ngroups;
};

struct mv_service {
	char		*service_id;	/* exact case */
	struct mv_rule	**rules;	/* published rules (>= 1 group each) */
	size_t		 nrules;
	int		 canary;	/* index + 1 of the canary rule, 0 none */
	char		*route_rules;	/* rendered with instances null */
	struct mgmt_inst *logic;
	size_t		 nlogic;
	char		*logic_json;
	uint64_t	 sig;		/* what a RELOAD is about, hashed */
};

struct strv {
	char		**v;
	size_t		 n;
	size_t		 cap;
};

/* Down operations that may apply to one service, by key (see mgmt_view.h). */
struct mv_ops {
	char		*key;
	int		 bits;		/* MGMT_OPS_* */
	uint64_t	 sig_iz;	/* instance and zone operations, hashed */
	uint64_t	 sig_g;		/* group operations, hashed */
};

struct mv_server {
	char		*key;		/* lc(region.ip) */
	char		*ip;		/* lc(ip) */
};

struct mgmt_view {
	_Atomic long	 refs;
	uint64_t	 version;
	struct strv	 inst_keys;	/* lc(region.service.instance) */
	struct strv	 server_keys;	/* lc(region.ip) */
	struct strv	 zone_keys;	/* lc(region.service.zone) */
	struct strv	 group_paths;	/* normalised group paths with operations */
	struct strv	 strings;	/* every other string the view owns */
	struct mv_service *svcs;	/* sorted by service_id (strcmp) */
	size_t		 nsvcs;
	struct mv_rule	*rules;		/* storage for all rules */
	size_t		 nrules;
	struct mv_ops	*ops;		/* sorted by key */
	size_t		 nops;
	uint64_t	 global_sig;	/* group operations without a service, hashed */
	int		 global_group;	/* there are such operations */
	uint64_t	 ops_sig;	/* every instance/zone/group operation, hashed */
	struct mv_server *servers;	/* sorted by key, unique */
	size_t		 nservers;
	struct strv	 down_ips;	/* lc(ip) of servers, sorted */
};

struct mgmt_reader {
	sqlite3		*db;
	int64_t		 data_version;	/* at the last snapshot, -1 none */
};

/* ------------------------------------------------------------ small helpers */

static void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (p == NULL)
		fatal("mgmt_view: calloc");
	return p;
}

static void
strv_push(struct strv *v, char *s)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		if ((v->v = reallocarray(v->v, v->cap, sizeof(*v->v))) == NULL)
			fatal("mgmt_view: realloc");
	}
	v->v[v->n++] = s;
}

static void
strv_free(struct strv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
strv_sort(struct strv *v)
{
	if (v->n > 1)
		qsort(v->v, v->n, sizeof(*v->v), cmp_str);
}

static int
strv_has(const struct strv *v, const char *s)
{
	return v->n > 0 && bsearch(&s, v->v, v->n, sizeof(*v->v), cmp_str) != NULL;
}

/* A string owned by the view. */
static char *
own(struct mgmt_view *v, const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		fatal("mgmt_view: malloc");
	memcpy(p, s, n);
	p[n] = '\0';
	strv_push(&v->strings, p);
	return p;
}

static char *
owns(struct mgmt_view *v, const char *s)
{
	return own(v, s ? s : "", strlen(s ? s : ""));
}

static char *
own_sbuf(struct mgmt_view *v, struct sbuf *b)
{
	return own(v, b->s ? b->s : "", b->len);
}

static const char NO_PART[] = "";	/* dotted_key: two parts only */

static void
add_lower(struct sbuf *b, const char *s)
{
	model_add_lower(b, s != NULL ? s : "null");
}

/* lc(a.b[.c]) with Java's "null" for missing parts. */
static char *
dotted_key(const char *a, const char *b, const char *c)
{
	struct sbuf k = SBUF_INIT;

	add_lower(&k, a);
	sbuf_addc(&k, '.');
	add_lower(&k, b);
	if (c != NO_PART) {
		sbuf_addc(&k, '.');
		add_lower(&k, c);
	}
	if (k.s == NULL)
		sbuf_adds(&k, "");
	return sbuf_steal(&k, NULL);
}

static char *
lower_dup(const char *s)
{
	struct sbuf k = SBUF_INIT;

	add_lower(&k, s);
	if (k.s == NULL)
		sbuf_adds(&k, "");
	return sbuf_steal(&k, NULL);
}

/* lc(s), view-owned. */
static char *
own_lower(struct mgmt_view *v, const char *s)
{
	struct sbuf k = SBUF_INIT;
	char *p;

	add_lower(&k, s);
	p = own(v, k.s ? k.s : "", k.len);
	sbuf_free(&k);
	return p;
}

static uint64_t
fnv(uint64_t h, const char *s)
{
	if (s == NULL)
		s = "";
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= 0xff;
	return h * 0x100000001b3ULL;
}

/* ------------------------------------------------------------ paths */

void
mgmt_path(struct sbuf *out, const char *const *parts, size_t nparts)
{
	const char *p, *e;
	size_t i;
	int first = 1;

	for (i = 0; i < nparts; i++) {
		p = parts[i];
		if (str_blank(p))
			continue;
		while (isspace((unsigned char)*p))
			p++;
		e = p + strlen(p);
		while (e > p && isspace((unsigned char)e[-1]))
			e--;
		if (!first)
			while (p < e && *p == '/')
				p++;
		if (!first)
			sbuf_addc(out, '/');
		model_add_lowern(out, p, (size_t)(e - p));
		first = 0;
	}
	if (out->s == NULL)
		sbuf_adds(out, "");
}

/* The path split on '/' with empty segments dropped, re-joined: segment prefixes
 * become string prefixes ending at a '/'. */
static char *
norm_path(const char *const *parts, size_t nparts)
{
	struct sbuf raw = SBUF_INIT, out = SBUF_INIT;
	const char *p;

	mgmt_path(&raw, parts, nparts);
	for (p = raw.s; *p; p++) {
		if (*p == '/' && (out.len == 0 || out.s[out.len - 1] == '/'))
			continue;
		sbuf_addc(&out, *p);
	}
	while (out.len > 0 && out.s[out.len - 1] == '/')
		out.s[--out.len] = '\0';
	if (out.s == NULL)
		sbuf_adds(&out, "");
	sbuf_free(&raw);
	return sbuf_steal(&out, NULL);
}

/* The first segment of a service's group paths (malloc'd; "" for a blank id). */
static char *
service_segment(const char *service_id)
{
	char *p = norm_path(&service_id, 1), *slash;

	if ((slash = strchr(p, '/')) != NULL)
		*slash = '\0';
	return p;
}

static const char *
group_part(const char *g)
{
	return str_blank(g) || strcasecmp(g, "default") == 0 ? "default" : g;
}

static char *
instance_path(const struct mgmt_inst *in)
{
	const char *parts[5] = { in->service_id, in->region_id, in->zone_id,
	    group_part(in->group_id), in->instance_id };

	return norm_path(parts, 5);
}

/* ------------------------------------------------------------ queries */

/* bsearch(3) comparator for arrays of structs whose first member is their sorted
 * string key (mv_service.service_id, mv_ops.key). */
static int
cmp_key_first(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

static struct mv_service *
find_service(const struct mgmt_view *v, const char *service_id)
{
	if (v == NULL || service_id == NULL || v->nsvcs == 0)
		return NULL;
	return bsearch(service_id, v->svcs, v->nsvcs, sizeof(*v->svcs), cmp_key_first);
}

int
mgmt_view_server_down(const struct mgmt_view *v, const char *region_id,
    const char *server_id)
{
	char *k;
	int r;

	if (v == NULL || v->server_keys.n == 0)
		return 0;
	k = dotted_key(region_id, server_id, NO_PART);
	r = strv_has(&v->server_keys, k);
	free(k);
	return r;
}

int
mgmt_view_zone_down(const struct mgmt_view *v, const char *region_id,
    const char *service_id, const char *zone_id)
{
	char *k;
	int r;

	if (v == NULL || v->zone_keys.n == 0)
		return 0;
	k = dotted_key(region_id, service_id, zone_id);
	r = strv_has(&v->zone_keys, k);
	free(k);
	return r;
}

static int
group_down(const struct mgmt_view *v, const struct mgmt_inst *in)
{
	char *path, *p;
	int down = 0;

	if (v->group_paths.n == 0)
		return 0;
	path = instance_path(in);
	/* every prefix ending at a segment boundary, longest first */
	for (;;) {
		if (strv_has(&v->group_paths, path)) {
			down = 1;
			break;
		}
		if ((p = strrchr(path, '/')) == NULL)
			break;
		*p = '\0';
	}
	free(path);
	return down;
}

int
mgmt_view_is_down(const struct mgmt_view *v, const struct mgmt_inst *in)
{
	char *k;
	int r;

	if (v == NULL)
		return 0;
	if (v->inst_keys.n > 0) {
		k = dotted_key(in->region_id, in->service_id, in->instance_id);
		r = strv_has(&v->inst_keys, k);
		free(k);
		if (r)
			return 1;
	}
	return mgmt_view_server_down(v, in->region_id, in->ip) ||
	    mgmt_view_zone_down(v, in->region_id, in->service_id, in->zone_id) ||
	    group_down(v, in);
}

int
mgmt_view_has_down_ops(const struct mgmt_view *v)
{
	return v != NULL && (v->inst_keys.n > 0 || v->server_keys.n > 0 ||
	    v->zone_keys.n > 0 || v->group_paths.n > 0);
}

static const struct mv_ops *
find_ops(const struct mgmt_view *v, const char *key)
{
	if (v == NULL || v->nops == 0)
		return NULL;
	return bsearch(key, v->ops, v->nops, sizeof(*v->ops), cmp_key_first);
}

/* The two keys a service's operations are found by. */
struct svc_keys {
	char	*lc;		/* instance and zone operations */
	char	*seg;		/* group operations */
};

static int
svc_keys(const char *service_id, struct svc_keys *k)
{
	if (service_id == NULL || str_blank(service_id))
		return -1;
	k->lc = lower_dup(service_id);
	k->seg = service_segment(service_id);
	return 0;
}

static void
svc_keys_free(struct svc_keys *k)
{
	free(k->lc);
	free(k->seg);
}

int
mgmt_view_service_ops(const struct mgmt_view *v, const char *service_id)
{
	const struct mv_ops *e;
	struct svc_keys k;
	int bits = 0;

	if (v == NULL || (v->nops == 0 && !v->global_group))
		return 0;
	if (svc_keys(service_id, &k) == -1)
		return MGMT_OPS_ALL;
	if ((e = find_ops(v, k.lc)) != NULL)
		bits |= e->bits & (MGMT_OPS_INSTANCE | MGMT_OPS_ZONE);
	if ((e = find_ops(v, k.seg)) != NULL)
		bits |= e->bits & MGMT_OPS_GROUP;
	if (v->global_group)
		bits |= MGMT_OPS_GROUP;
	svc_keys_free(&k);
	return bits;
}

size_t
mgmt_view_down_servers(const struct mgmt_view *v)
{
	return v != NULL ? v->nservers : 0;
}

static int
cmp_ip(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

int
mgmt_view_ip_down(const struct mgmt_view *v, const char *ip)
{
	if (v == NULL || v->down_ips.n == 0)
		return 0;
	if (ip == NULL)
		ip = "null";
	return bsearch(&ip, v->down_ips.v, v->down_ips.n, sizeof(char *),
	    cmp_ip) != NULL;
}

static const uint64_t NO_SIG = 0xcbf29ce484222325ULL;

static uint64_t
sig_iz(const struct mgmt_view *v, const char *key)
{
	const struct mv_ops *e = find_ops(v, key);

	return e != NULL ? e->sig_iz : NO_SIG;
}

static uint64_t
sig_g(const struct mgmt_view *v, const char *key)
{
	const struct mv_ops *e = find_ops(v, key);

	return e != NULL ? e->sig_g : NO_SIG;
}

int
mgmt_view_any_ops_changed(const struct mgmt_view *old,
    const struct mgmt_view *new_)
{
	uint64_t a = old != NULL && old->nops + old->global_group > 0 ?
	    old->ops_sig : 0, b = new_ != NULL && new_->nops + new_->global_group > 0 ?
	    new_->ops_sig : 0;

	return a != b;
}

int
mgmt_view_ops_changed(const struct mgmt_view *old, const struct mgmt_view *new_,
    const char *service_id)
{
	struct svc_keys k;
	int changed;

	if (!mgmt_view_any_ops_changed(old, new_))
		return 0;
	if (svc_keys(service_id, &k) == -1)
		return 1;
	changed = sig_iz(old, k.lc) != sig_iz(new_, k.lc) ||
	    sig_g(old, k.seg) != sig_g(new_, k.seg) ||
	    (old ? old->global_sig : 0) != (new_ ? new_->global_sig : 0) ||
	    (old ? old->global_group : 0) != (new_ ? new_->global_group : 0);
	svc_keys_free(&k);
	return changed;
}

size_t
mgmt_view_servers_diff(const struct mgmt_view *old, const struct mgmt_view *new_,
    void (*fn)(const char *ip, void *arg), void *arg)
{
	size_t i = 0, j = 0, n = 0, no = old ? old->nservers : 0,
	    nn = new_ ? new_->nservers : 0;
	int c;

	while (i < no || j < nn) {
		if (i == no)
			c = 1;
		else if (j == nn)
			c = -1;
		else
			c = strcmp(old->servers[i].key, new_->servers[j].key);
		if (c == 0) {
			i++, j++;
			continue;
		}
		fn(c < 0 ? old->servers[i++].ip : new_->servers[j++].ip, arg);
		n++;
	}
	return n;
}

/* ------------------------------------------------------------ rendering */

static void
render_rule(const struct mv_rule *r, int canary, const struct mv_service *s,
    const struct mgmt_inst *phys, size_t nphys, struct sbuf *out);

int
mgmt_view_has_canary(const struct mgmt_view *v, const char *service_id)
{
	const struct mv_service *s = find_service(v, service_id);

	return s != NULL && s->canary != 0;
}

void
mgmt_view_route_rules(const struct mgmt_view *v, const char *service_id,
    const struct mgmt_inst *phys, size_t nphys, struct sbuf *out)
{
	const struct mv_service *s = find_service(v, service_id);
	size_t i;

	if (s == NULL) {
		sbuf_adds(out, "[]");
		return;
	}
	if (s->canary == 0) {
		sbuf_adds(out, s->route_rules);
		return;
	}
	sbuf_addc(out, '[');
	for (i = 0; i < s->nrules; i++) {
		if (i)
			sbuf_addc(out, ',');
		render_rule(s->rules[i], (int)i + 1 == s->canary, s, phys, nphys, out);
	}
	sbuf_addc(out, ']');
}

void
mgmt_view_logic_json(const struct mgmt_view *v, const char *service_id,
    int drop_down, struct sbuf *out)
{
	const struct mv_service *s = find_service(v, service_id);
	size_t i;
	int n = 0;

	if (s == NULL) {
		sbuf_adds(out, "[]");
		return;
	}
	if (!drop_down) {
		sbuf_adds(out, s->logic_json);
		return;
	}
	sbuf_addc(out, '[');
	for (i = 0; i < s->nlogic; i++) {
		if (mgmt_view_is_down(v, &s->logic[i]))
			continue;
		if (n++)
			sbuf_addc(out, ',');
		sbuf_add(out, s->logic[i].json, s->logic[i].json_len);
	}
	sbuf_addc(out, ']');
}

size_t
mgmt_view_logic(const struct mgmt_view *v, const char *service_id,
    const struct mgmt_inst **out)
{
	const struct mv_service *s = find_service(v, service_id);

	*out = s ? s->logic : NULL;
	return s ? s->nlogic : 0;
}

uint64_t
mgmt_view_version(const struct mgmt_view *v)
{
	return v ? v->version : 0;
}

/* Canary members (§3.4 step 5): explicit ids among physical then logic instances,
 * then physical instances whose group key lies under the group's key. */
static void
render_canary_instances(const struct mv_group *g, const struct mv_service *s,
    const struct mgmt_inst *phys, size_t nphys, struct sbuf *out)
{
	struct sbuf prefix = SBUF_INIT;
	const struct mgmt_inst *hit;
	size_t i, j;
	int n = 0;
	char *taken = xcalloc(nphys, 1);

	sbuf_addc(out, '[');
	for (i = 0; i < g->nids; i++) {
		hit = NULL;
		for (j = 0; j < nphys && hit == NULL; j++)
			if (phys[j].instance_id && strcmp(phys[j].instance_id,
			    g->ids[i]) == 0) {
				hit = &phys[j];
				taken[j] = 1;
			}
		for (j = 0; s && j < s->nlogic && hit == NULL; j++)
			if (strcmp(s->logic[j].instance_id, g->ids[i]) == 0)
				hit = &s->logic[j];
		if (hit == NULL || hit->json == NULL)
			continue;
		if (n++)
			sbuf_addc(out, ',');
		sbuf_add(out, hit->json, hit->json_len);
	}
	sbuf_adds(&prefix, g->key);
	sbuf_addc(&prefix, '/');
	for (j = 0; j < nphys; j++) {
		struct sbuf key = SBUF_INIT;
		const char *parts[5] = { phys[j].service_id, phys[j].region_id,
		    phys[j].zone_id, group_part(phys[j].group_id), phys[j].instance_id };

		if (taken[j] || phys[j].json == NULL)
			continue;
		mgmt_path(&key, parts, 5);
		if (strncmp(key.s, prefix.s, prefix.len) == 0) {
			if (n++)
				sbuf_addc(out, ',');
			sbuf_add(out, phys[j].json, phys[j].json_len);
		}
		sbuf_free(&key);
	}
	sbuf_addc(out, ']');
	sbuf_free(&prefix);
	free(taken);
}

static void
render_rule(const struct mv_rule *r, int canary, const struct mv_service *s,
    const struct mgmt_inst *phys, size_t nphys, struct sbuf *out)
{
	const struct mv_group *g;
	size_t i, j;

	sbuf_adds(out, "{\"groups\":[");
	for (i = 0; i < r->ngroups; i++) {
		g = &r->groups[i];
		if (i)
			sbuf_addc(out, ',');
		sbuf_adds(out, "{\"groupKey\":");
		model_json_string(out, g->key);
		sbuf_adds(out, ",\"instanceIds\":[");
		for (j = 0; j < g->nids; j++) {
			if (j)
				sbuf_addc(out, ',');
			model_json_string(out, g->ids[j]);
		}
		sbuf_adds(out, "],\"instances\":");
		if (canary)
			render_canary_instances(g, s, phys, nphys, out);
		else
			sbuf_adds(out, "null");
		sbuf_adds(out, ",\"metadata\":");
		sbuf_adds(out, g->tags ? g->tags : "null");
		sbuf_addf(out, ",\"weight\":%d}", g->weight);
	}
	sbuf_adds(out, "],\"routeId\":");
	model_json_string(out, r->route_id);
	sbuf_adds(out, ",\"strategy\":");
	model_json_string(out, r->strategy);
	sbuf_addc(out, '}');
}

/* Stored metadata text -> JSON object of strings; "{}" if it is not one. */
void
mgmt_metadata_json(const char *text, struct sbuf *out)
{
	struct json_object *o;
	int n = 0;

	o = text && *text ? json_tokener_parse(text) : NULL;
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		sbuf_adds(out, "{}");
		json_object_put(o);
		return;
	}
	sbuf_addc(out, '{');
	json_object_object_foreach(o, k, val) {
		if (n++)
			sbuf_addc(out, ',');
		model_json_string(out, k);
		sbuf_addc(out, ':');
		if (val == NULL)
			sbuf_adds(out, "null");
		else
			model_json_string(out, json_object_get_string(val));
	}
	sbuf_addc(out, '}');
	json_object_put(o);
}

/* ------------------------------------------------------------ reader */

struct mgmt_reader *
mgmt_reader_open(const char *db_path, char *err, size_t errlen)
{
	struct mgmt_reader *r = xcalloc(1, sizeof(*r));

	if (sqlite3_open_v2(db_path, &r->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db_path,
		    r->db ? sqlite3_errmsg(r->db) : "cannot open");
		sqlite3_close(r->db);
		free(r);
		return NULL;
	}
	sqlite3_busy_timeout(r->db, 2000);
	r->data_version = -1;
	return r;
}

void
mgmt_reader_close(struct mgmt_reader *r)
{
	if (r == NULL)
		return;
	sqlite3_close(r->db);
	free(r);
}

static int64_t
data_version(struct mgmt_reader *r)
{
	sqlite3_stmt *st;
	int64_t v = -2;

	if (sqlite3_prepare_v2(r->db, "PRAGMA data_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
mgmt_reader_changed(struct mgmt_reader *r)
{
	return r->data_version < 0 || data_version(r) != r->data_version;
}

/* Build state: groups by id and collected per-service contributions. */
struct bgroup {
	int64_t		 id;
	char		*service, *region, *zone, *name;
	int		 active;
	int		 deleted;
	char		*key;
	char		*tags;
	struct strv	 ids;		/* not owned: strings live in the view */
};

struct contrib {
	const char	*svc;
	int		 kind;		/* 0 rule, 1 logic instance, 2 op text */
	size_t		 seq;
	const void	*ptr;
};

/* One down operation as it contributes to a service's ops entry. */
struct opc {
	char		*key;		/* view-owned */
	int		 bit;
	char		*text;		/* view-owned; hashed into the signature */
};

struct build {
	struct mgmt_view *v;
	struct opc	*ops;
	size_t		 nops, capops;
	sqlite3		*db;
	struct bgroup	*groups;
	size_t		 ngroups;
	struct contrib	*c;
	size_t		 nc, capc;
	int64_t		 last_rule;
	char		 err[256];
};

static void
contrib_add(struct build *b, const char *svc, int kind, const void *ptr)
{
	if (b->nc == b->capc) {
		b->capc = b->capc ? b->capc * 2 : 64;
		if ((b->c = reallocarray(b->c, b->capc, sizeof(*b->c))) == NULL)
			fatal("mgmt_view: realloc");
	}
	b->c[b->nc].svc = svc;
	b->c[b->nc].kind = kind;
	b->c[b->nc].seq = b->nc;
	b->c[b->nc].ptr = ptr;
	b->nc++;
}

static void
opc_add(struct build *b, char *key, int bit, const char *kind, const char *what)
{
	struct sbuf t = SBUF_INIT;

	if (b->nops == b->capops) {
		b->capops = b->capops ? b->capops * 2 : 64;
		if ((b->ops = reallocarray(b->ops, b->capops, sizeof(*b->ops))) ==
		    NULL)
			fatal("mgmt_view: realloc");
	}
	sbuf_adds(&t, kind);
	sbuf_adds(&t, what);
	b->ops[b->nops].key = key;
	b->ops[b->nops].bit = bit;
	b->ops[b->nops].text = own_sbuf(b->v, &t);
	b->nops++;
	sbuf_free(&t);
}

static int
cmp_contrib(const void *a, const void *b)
{
	const struct contrib *x = a, *y = b;
	int c = strcmp(x->svc, y->svc);

	if (c)
		return c;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->kind == 2)
		return strcmp(x->ptr, y->ptr);
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static struct bgroup *
bgroup(struct build *b, int64_t id)
{
	size_t lo = 0, hi = b->ngroups, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (b->groups[mid].id == id)
			return &b->groups[mid];
		if (b->groups[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

typedef int (*row_fn)(struct build *, sqlite3_stmt *);

static int
query(struct build *b, const char *sql, row_fn fn)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(b->err, sizeof(b->err), "%s", sqlite3_errmsg(b->db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(b, st) == -1)
			break;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		snprintf(b->err, sizeof(b->err), "%s", sqlite3_errmsg(b->db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

static const char *
txt(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

static int
row_version(struct build *b, sqlite3_stmt *st)
{
	b->v->version = (uint64_t)sqlite3_column_int64(st, 0);
	return 0;
}

static int
row_inst(struct build *b, sqlite3_stmt *st)
{
	char *k = dotted_key(txt(st, 0), txt(st, 1), txt(st, 2));

	strv_push(&b->v->inst_keys, k);
	opc_add(b, own_lower(b->v, txt(st, 1)), MGMT_OPS_INSTANCE, "i:", k);
	return 0;
}

static int
row_server(struct build *b, sqlite3_stmt *st)
{
	struct mgmt_view *v = b->v;
	char *k = dotted_key(txt(st, 0), txt(st, 1), NO_PART);

	strv_push(&v->server_keys, k);
	if ((v->servers = reallocarray(v->servers, v->nservers + 1,
	    sizeof(*v->servers))) == NULL)
		fatal("mgmt_view: realloc");
	v->servers[v->nservers].key = k;
	v->servers[v->nservers].ip = own_lower(v, txt(st, 1));
	strv_push(&v->down_ips, lower_dup(txt(st, 1)));
	v->nservers++;
	return 0;
}

static int
row_zone(struct build *b, sqlite3_stmt *st)
{
	char *k = dotted_key(txt(st, 0), txt(st, 1), txt(st, 2));
	struct sbuf t = SBUF_INIT;

	strv_push(&b->v->zone_keys, k);
	opc_add(b, own_lower(b->v, txt(st, 1)), MGMT_OPS_ZONE, "z:", k);
	sbuf_addf(&t, "z:%s", k);
	contrib_add(b, owns(b->v, txt(st, 1)), 2, own_sbuf(b->v, &t));
	sbuf_free(&t);
	return 0;
}

static int
row_group(struct build *b, sqlite3_stmt *st)
{
	struct bgroup *g;
	struct sbuf key = SBUF_INIT;
	const char *parts[4];

	if ((b->groups = reallocarray(b->groups, b->ngroups + 1,
	    sizeof(*b->groups))) == NULL)
		fatal("mgmt_view: realloc");
	g = &b->groups[b->ngroups++];
	memset(g, 0, sizeof(*g));
	g->id = sqlite3_column_int64(st, 0);
	g->service = owns(b->v, txt(st, 1));
	g->region = owns(b->v, txt(st, 2));
	g->zone = owns(b->v, txt(st, 3));
	g->name = owns(b->v, txt(st, 4));
	g->active = strcasecmp(txt(st, 5), "active") == 0;
	g->deleted = sqlite3_column_int(st, 6) != 0;
	parts[0] = g->service, parts[1] = g->region, parts[2] = g->zone;
	parts[3] = g->name;
	mgmt_path(&key, parts, 4);
	g->key = own_sbuf(b->v, &key);
	sbuf_free(&key);
	return 0;
}

static int
row_group_op(struct build *b, sqlite3_stmt *st)
{
	struct bgroup *g = bgroup(b, sqlite3_column_int64(st, 0));
	const char *parts[4];
	struct sbuf t = SBUF_INIT;
	char *path;

	if (g == NULL || g->deleted)
		return 0;	/* operations of unknown or deleted groups are ignored */
	parts[0] = g->service, parts[1] = g->region, parts[2] = g->zone;
	parts[3] = g->name;
	path = norm_path(parts, 4);
	sbuf_addf(&t, "g:%s", path);
	contrib_add(b, g->service, 2, own_sbuf(b->v, &t));
	if (str_blank(g->service)) {
		b->v->global_group = 1;
		b->v->global_sig = fnv(b->v->global_sig, path);
	} else {
		char *seg = service_segment(g->service);

		opc_add(b, owns(b->v, seg), MGMT_OPS_GROUP, "g:", path);
		free(seg);
	}
	strv_push(&b->v->group_paths, path);
	sbuf_free(&t);
	return 0;
}

static int
row_tags(struct build *b, sqlite3_stmt *st)
{
	struct bgroup *g = bgroup(b, sqlite3_column_int64(st, 0));
	struct sbuf t = SBUF_INIT;

	if (g == NULL)
		return 0;
	if (g->tags) {
		sbuf_add(&t, g->tags, strlen(g->tags) - 1);
		sbuf_addc(&t, ',');
	} else
		sbuf_addc(&t, '{');
	model_json_string(&t, txt(st, 1));
	sbuf_addc(&t, ':');
	model_json_string(&t, txt(st, 2));
	sbuf_addc(&t, '}');
	g->tags = own_sbuf(b->v, &t);	/* earlier versions stay owned; small */
	sbuf_free(&t);
	return 0;
}

static int
row_group_instance(struct build *b, sqlite3_stmt *st)
{
	struct bgroup *g = bgroup(b, sqlite3_column_int64(st, 0));

	if (g != NULL)
		strv_push(&g->ids, owns(b->v, txt(st, 1)));
	return 0;
}

static int
fix_weight(sqlite3_stmt *st, int i)
{
	int64_t w;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 5;
	w = sqlite3_column_int64(st, i);
	if (w < 0)
		return 5;
	return w > 10000 ? 10000 : (int)w;
}

/* Rules arrive ordered by id, links ordered by rule then link id. */
static int
row_rule_link(struct build *b, sqlite3_stmt *st)
{
	struct mgmt_view *v = b->v;
	struct mv_rule *r;
	struct mv_group *mg;
	struct bgroup *g;
	int64_t rule_id = sqlite3_column_int64(st, 0);

	if (v->nrules == 0 || b->last_rule != rule_id) {
		if ((v->rules = reallocarray(v->rules, v->nrules + 1,
		    sizeof(*v->rules))) == NULL)
			fatal("mgmt_view: realloc");
		r = &v->rules[v->nrules++];
		memset(r, 0, sizeof(*r));
		r->route_id = owns(v, txt(st, 2));
		r->strategy = owns(v, txt(st, 3));
		b->last_rule = rule_id;
		contrib_add(b, owns(v, txt(st, 1)), 0, (void *)(uintptr_t)(v->nrules - 1));
	}
	r = &v->rules[v->nrules - 1];
	if (sqlite3_column_type(st, 4) == SQLITE_NULL)
		return 0;
	g = bgroup(b, sqlite3_column_int64(st, 4));
	if (g == NULL || g->deleted || !g->active)
		return 0;
	if ((r->groups = reallocarray(r->groups, r->ngroups + 1,
	    sizeof(*r->groups))) == NULL)
		fatal("mgmt_view: realloc");
	mg = &r->groups[r->ngroups++];
	mg->key = g->key;
	mg->weight = fix_weight(st, 5);
	mg->tags = g->tags;
	mg->nids = g->ids.n;
	mg->ids = xcalloc(g->ids.n, sizeof(char *));
	if (g->ids.n)
		memcpy(mg->ids, g->ids.v, g->ids.n * sizeof(char *));
	return 0;
}

static int
row_logic(struct build *b, sqlite3_stmt *st)
{
	struct mgmt_view *v = b->v;
	struct mgmt_inst *in = xcalloc(1, sizeof(*in));
	struct sbuf j = SBUF_INIT;

	/* id, service, instance, ip, machine, metadata, port, protocol, region,
	 * zone, group, hc url, url */
	sbuf_adds(&j, "{\"groupId\":");
	model_json_string(&j, txt(st, 10));
	sbuf_adds(&j, ",\"healthCheckUrl\":");
	model_json_string(&j, txt(st, 11));
	sbuf_adds(&j, ",\"instanceId\":");
	model_json_string(&j, txt(st, 2));
	sbuf_adds(&j, ",\"ip\":");
	model_json_string(&j, txt(st, 3));
	sbuf_adds(&j, ",\"machineName\":");
	model_json_string(&j, txt(st, 4));
	sbuf_adds(&j, ",\"metadata\":");
	mgmt_metadata_json(txt(st, 5), &j);
	sbuf_addf(&j, ",\"port\":%d,\"protocol\":", sqlite3_column_int(st, 6));
	model_json_string(&j, txt(st, 7));
	sbuf_adds(&j, ",\"regionId\":");
	model_json_string(&j, txt(st, 8));
	sbuf_adds(&j, ",\"serviceId\":");
	model_json_string(&j, txt(st, 1));
	sbuf_adds(&j, ",\"status\":\"up\",\"url\":");
	model_json_string(&j, txt(st, 12));
	sbuf_adds(&j, ",\"zoneId\":");
	model_json_string(&j, txt(st, 9));
	sbuf_addc(&j, '}');
	in->service_id = owns(v, txt(st, 1));
	in->instance_id = owns(v, txt(st, 2));
	in->ip = owns(v, txt(st, 3));
	in->region_id = owns(v, txt(st, 8));
	in->zone_id = owns(v, txt(st, 9));
	in->group_id = owns(v, txt(st, 10));
	in->json = own_sbuf(v, &j);
	in->json_len = j.len;
	sbuf_free(&j);
	contrib_add(b, in->service_id, 1, in);
	return 0;
}

static void
finish_services(struct build *b)
{
	struct mgmt_view *v = b->v;
	struct mv_service *s;
	struct sbuf t = SBUF_INIT;
	size_t i, j, k;

	if (b->nc > 1)
		qsort(b->c, b->nc, sizeof(*b->c), cmp_contrib);
	v->svcs = xcalloc(b->nc, sizeof(*v->svcs));
	for (i = 0; i < b->nc; i = j) {
		for (j = i; j < b->nc && strcmp(b->c[j].svc, b->c[i].svc) == 0; j++)
			;
		s = &v->svcs[v->nsvcs++];
		s->service_id = (char *)b->c[i].svc;
		s->rules = xcalloc(j - i, sizeof(*s->rules));
		s->logic = xcalloc(j - i, sizeof(*s->logic));
		for (k = i; k < j; k++) {
			const struct contrib *c = &b->c[k];

			if (c->kind == 0) {
				struct mv_rule *r = &v->rules[(uintptr_t)c->ptr];

				if (r->ngroups == 0)
					continue;	/* §3.4 step 3 */
				if (s->canary == 0 && strcasecmp(r->route_id,
				    CANARY_RULE) == 0)
					s->canary = (int)s->nrules + 1;
				s->rules[s->nrules++] = r;
			} else if (c->kind == 1) {
				const struct mgmt_inst *in = c->ptr;

				s->logic[s->nlogic++] = *in;
				free((void *)in);
			}
		}
		sbuf_reset(&t);
		sbuf_addc(&t, '[');
		for (k = 0; k < s->nrules; k++) {
			if (k)
				sbuf_addc(&t, ',');
			render_rule(s->rules[k], 0, s, NULL, 0, &t);
		}
		sbuf_addc(&t, ']');
		s->route_rules = own_sbuf(v, &t);
		s->sig = fnv(0xcbf29ce484222325ULL, s->route_rules);
		sbuf_reset(&t);
		sbuf_addc(&t, '[');
		for (k = 0; k < s->nlogic; k++) {
			if (k)
				sbuf_addc(&t, ',');
			sbuf_add(&t, s->logic[k].json, s->logic[k].json_len);
		}
		sbuf_addc(&t, ']');
		s->logic_json = own_sbuf(v, &t);
		s->sig = fnv(s->sig, s->logic_json);
		for (k = i; k < j; k++)
			if (b->c[k].kind == 2)
				s->sig = fnv(s->sig, b->c[k].ptr);
	}
	sbuf_free(&t);
}

static int
cmp_opc(const void *a, const void *b)
{
	const struct opc *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->text, y->text);
}

static int
cmp_server(const void *a, const void *b)
{
	return strcmp(((const struct mv_server *)a)->key,
	    ((const struct mv_server *)b)->key);
}

/* Per-service down operation entries, and the server list made unique. */
static void
finish_ops(struct build *b)
{
	struct mgmt_view *v = b->v;
	struct mv_ops *e = NULL;
	size_t i, n;

	if (b->nops > 1)
		qsort(b->ops, b->nops, sizeof(*b->ops), cmp_opc);
	v->ops = xcalloc(b->nops, sizeof(*v->ops));
	v->ops_sig = fnv(0xcbf29ce484222325ULL, "");
	for (i = 0; i < b->nops; i++) {
		if (e == NULL || strcmp(e->key, b->ops[i].key) != 0) {
			e = &v->ops[v->nops++];
			e->key = b->ops[i].key;
			e->sig_iz = e->sig_g = 0xcbf29ce484222325ULL;
		}
		e->bits |= b->ops[i].bit;
		if (b->ops[i].bit == MGMT_OPS_GROUP)
			e->sig_g = fnv(e->sig_g, b->ops[i].text);
		else
			e->sig_iz = fnv(e->sig_iz, b->ops[i].text);
		v->ops_sig = fnv(fnv(v->ops_sig, b->ops[i].key), b->ops[i].text);
	}
	v->ops_sig = fnv(v->ops_sig, v->global_group ? "global" : "");
	v->ops_sig ^= v->global_sig;
	if (v->nservers > 1)
		qsort(v->servers, v->nservers, sizeof(*v->servers), cmp_server);
	for (i = 0, n = 0; i < v->nservers; i++)
		if (n == 0 || strcmp(v->servers[n - 1].key, v->servers[i].key) != 0)
			v->servers[n++] = v->servers[i];
	v->nservers = n;
	strv_sort(&v->down_ips);
}

static void
build_free(struct build *b)
{
	size_t i;

	for (i = 0; i < b->ngroups; i++)
		free(b->groups[i].ids.v);
	free(b->groups);
	free(b->c);
	free(b->ops);
}

struct mgmt_view *
mgmt_view_empty(void)
{
	struct mgmt_view *v = xcalloc(1, sizeof(*v));

	atomic_init(&v->refs, 1);
	return v;
}

struct mgmt_view *
mgmt_reader_snapshot(struct mgmt_reader *r, char *err, size_t errlen)
{
	struct build b;
	int64_t dv;
	int rc = -1;
	size_t i;

	memset(&b, 0, sizeof(b));
	b.db = r->db;
	b.v = mgmt_view_empty();
	if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(b.err, sizeof(b.err), "%s", sqlite3_errmsg(r->db));
		goto done;
	}
	dv = data_version(r);
	if (query(&b, "SELECT version FROM mgmt_version", row_version) == -1 ||
	    query(&b, "SELECT region_id, service_id, instance_id FROM instance "
	    "WHERE trim(operation) <> ''", row_inst) == -1 ||
	    query(&b, "SELECT region_id, server_id FROM server "
	    "WHERE trim(operation) <> ''", row_server) == -1 ||
	    query(&b, "SELECT region_id, service_id, zone_id FROM service_zone "
	    "WHERE trim(operation) <> ''", row_zone) == -1 ||
	    query(&b, "SELECT id, service_id, region_id, zone_id, name, status, "
	    "deleted FROM service_group ORDER BY id", row_group) == -1 ||
	    query(&b, "SELECT DISTINCT group_id FROM service_group_operation "
	    "WHERE trim(operation) <> '' ORDER BY group_id", row_group_op) == -1 ||
	    query(&b, "SELECT group_id, tag, value FROM service_group_tag "
	    "ORDER BY group_id, id", row_tags) == -1 ||
	    query(&b, "SELECT group_id, instance_id FROM service_group_instance "
	    "ORDER BY group_id, id", row_group_instance) == -1 ||
	    query(&b, "SELECT r.id, r.service_id, r.name, r.strategy, l.group_id, "
	    "l.weight FROM service_route_rule r LEFT JOIN service_route_rule_group l "
	    "ON l.route_rule_id = r.id WHERE r.deleted = 0 AND r.status = 'active' "
	    "ORDER BY r.id, l.id", row_rule_link) == -1 ||
	    query(&b, "SELECT id, service_id, instance_id, ip, machine_name, "
	    "metadata, port, protocol, region_id, zone_id, group_id, "
	    "healthy_check_url, url FROM service_instance ORDER BY id",
	    row_logic) == -1) {
		(void)sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		goto done;
	}
	(void)sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	finish_services(&b);
	finish_ops(&b);
	strv_sort(&b.v->inst_keys);
	strv_sort(&b.v->server_keys);
	strv_sort(&b.v->zone_keys);
	strv_sort(&b.v->group_paths);
	r->data_version = dv;
	rc = 0;
done:
	if (rc == -1) {
		snprintf(err, errlen, "management snapshot: %s", b.err);
		/* logic instances not yet moved into services */
		for (i = 0; i < b.nc; i++)
			if (b.c[i].kind == 1)
				free((void *)b.c[i].ptr);
		mgmt_view_unref(b.v);
		b.v = NULL;
	}
	build_free(&b);
	return b.v;
}

struct mgmt_view *
mgmt_view_ref(struct mgmt_view *v)
{
	atomic_fetch_add(&v->refs, 1);
	return v;
}

void
mgmt_view_unref(struct mgmt_view *v)
{
	size_t i;

	if (v == NULL || atomic_fetch_sub(&v->refs, 1) != 1)
		return;
	for (i = 0; i < v->nsvcs; i++) {
		free(v->svcs[i].rules);
		free(v->svcs[i].logic);
	}
	free(v->svcs);
	for (i = 0; i < v->nrules; i++) {
		size_t j;

		for (j = 0; j < v->rules[i].ngroups; j++)
			free(v->rules[i].groups[j].ids);
		free(v->rules[i].groups);
	}
	free(v->rules);
	free(v->ops);
	free(v->servers);
	strv_free(&v->down_ips);
	strv_free(&v->inst_keys);
	strv_free(&v->server_keys);
	strv_free(&v->zone_keys);
	strv_free(&v->group_paths);
	strv_free(&v->strings);
	free(v);
}

void
mgmt_view_diff(const struct mgmt_view *old, const struct mgmt_view *new_,
    void (*fn)(const char *service_id, void *arg), void *arg)
{
	size_t i = 0, j = 0, no = old ? old->nsvcs : 0, nn = new_ ? new_->nsvcs : 0;
	int c;

	while (i < no || j < nn) {
		if (i == no)
			c = 1;
		else if (j == nn)
			c = -1;
		else
			c = strcmp(old->svcs[i].service_id, new_->svcs[j].service_id);
		if (c < 0)
			fn(old->svcs[i++].service_id, arg);
		else if (c > 0)
			fn(new_->svcs[j++].service_id, arg);
		else {
			if (old->svcs[i].sig != new_->svcs[j].sig)
				fn(new_->svcs[j].service_id, arg);
			i++, j++;
		}
	}
}

void
mgmt_view_logic_down_diff(const struct mgmt_view *old,
    const struct mgmt_view *new_, void (*fn)(const char *service_id, void *arg),
    void *arg)
{
	const struct mv_service *ns, *os;
	size_t i, k;

	for (i = 0; new_ != NULL && i < new_->nsvcs; i++) {
		ns = &new_->svcs[i];
		if (ns->nlogic == 0 || (os = find_service(old, ns->service_id)) == NULL ||
		    os->sig != ns->sig || os->nlogic != ns->nlogic)
			continue;	/* none, or changed: mgmt_view_diff() tells */
		/* same signature: the same logic instances in the same order */
		for (k = 0; k < ns->nlogic; k++)
			if (mgmt_view_is_down(old, &os->logic[k]) !=
			    mgmt_view_is_down(new_, &ns->logic[k])) {
				fn(ns->service_id, arg);
				break;
			}
	}
}
