/*
 * convert.c — resolve Java configuration keys the way caravan does
 * (core-contract §11.1) and write artemis.conf.
 *
 * Sources, highest priority first: system properties (-D), artemis-<env>.properties,
 * artemis.properties; the two files are IP-cascaded (key.<localIP> before key). A
 * blank value is "not set" and falls through, also from key.<IP> to key. Numbers:
 * unparsable = unset; 0 = the default; then clamped to the Java range. Every key
 * with a home in artemis.conf is written with its Java value (or the Java default
 * when unset), so the C daemons behave as the Java server configured by the same
 * files would, whatever the C defaults are. Keys without a home are reported.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <libgen.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "convert.h"

struct found {
	const struct props	*src;
	const struct prop	*p;
	char			 raw[1024];	/* trimmed value */
};

static const char *const sections[] = {
	"node", "registryd", "discoveryd", "mgmtd", "replicator", "lease",
	"ratelimit", "cluster",
};

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void
trim_into(const char *v, char *out, size_t len)
{
	const char *e;
	size_t n;

	/* Java String.trim(): everything <= ' ' at both ends */
	while (*v && (unsigned char)*v <= ' ')
		v++;
	e = v + strlen(v);
	while (e > v && (unsigned char)e[-1] <= ' ')
		e--;
	n = (size_t)(e - v);
	if (n >= len)
		n = len - 1;
	memmove(out, v, n);	/* out may be v */
	out[n] = '\0';
}

static int
take(const struct props *src, const char *key, struct found *f)
{
	const struct prop *p = props_get(src, key);

	if (p == NULL)
		return 0;
	trim_into(p->value, f->raw, sizeof(f->raw));
	if (f->raw[0] == '\0')
		return 0;	/* blank = not set: fall through */
	f->src = src;
	f->p = p;
	return 1;
}

/* Cascaded lookup in one file source: key.<ip>, then key. */
static int
take_cascaded(const struct convert *c, const struct props *src, const char *key,
    struct found *f)
{
	char k[512];

	if (c->ip[0] && (size_t)snprintf(k, sizeof(k), "%s.%s", key, c->ip) < sizeof(k) &&
	    take(src, k, f))
		return 1;
	return take(src, key, f);
}

static int
lookup(const struct convert *c, const struct jkey *k, struct found *f)
{
	char name[512];

	memset(f, 0, sizeof(*f));
	if (k->flags & F_LOCALIP) {
		if (c->ip[0] == '\0')
			return 0;
		snprintf(name, sizeof(name), "%s.%s", k->name, c->ip);
	} else
		strlcpy(name, k->name, sizeof(name));
	if (take(&c->sys, name, f))
		return 1;
	if (k->flags & F_DEPLOY)
		return take(&c->appenv, name, f) || take(&c->app, name, f);
	return take_cascaded(c, &c->env, name, f) || take_cascaded(c, &c->main, name, f);
}

static void
report(struct convert *c, const struct found *f, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
report(struct convert *c, const struct found *f, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (f && f->p && f->src == &c->sys)
		fprintf(c->report, "-D %s: ", key);
	else if (f && f->p)
		fprintf(c->report, "%s:%d: %s: ", f->src->file, f->p->line, key);
	else
		fprintf(c->report, "%s: ", key);
	va_start(ap, fmt);
	vfprintf(c->report, fmt, ap);
	va_end(ap);
	fputc('\n', c->report);
	c->warnings++;
}

static int
parse_long(const char *s, int64_t *v)
{
	char *end;
	long long n;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*end != '\0' || errno != 0)
		return -1;
	*v = n;
	return 0;
}

/* The corrected number: 0 means the default, then clamp, then floor. */
static int64_t
correct(const struct jkey *k, int64_t v)
{
	if (v == 0)
		v = k->def;
	if (v < k->min)
		v = k->min;
	if (v > k->max)
		v = k->max;
	if (k->flags & F_FLOOR1000)
		v -= v % 1000;
	return v;
}

/* A number key's value; *set tells whether a source gave it. */
static int64_t
number(struct convert *c, const struct jkey *k, struct found *f, int *set)
{
	int64_t v, r;

	*set = lookup(c, k, f);
	if (!*set)
		return correct(k, 0);
	if (parse_long(f->raw, &v) == -1) {
		report(c, f, k->name, "'%s' is not a number; Java uses the default",
		    f->raw);
		*set = 0;
		return correct(k, 0);
	}
	r = correct(k, v);
	if (r != v && c->verbose)
		report(c, f, k->name, "%" PRId64 " corrected to %" PRId64
		    " (0 = default, range %" PRId64 "..%" PRId64 ")", v, r, k->min,
		    k->max);
	return r;
}

static int
boolean(struct convert *c, const struct jkey *k, struct found *f, int *set)
{
	*set = lookup(c, k, f);
	if (!*set)
		return (int)k->def;
	return strcasecmp(f->raw, "true") == 0;
}

void
convert_fmt_ms(int64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%" PRId64 "h", ms / 3600000);
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, len, "%" PRId64 "m", ms / 60000);
	else if (ms != 0 && ms % 1000 == 0)
		snprintf(buf, len, "%" PRId64 "s", ms / 1000);
	else
		snprintf(buf, len, "%" PRId64 "ms", ms);
}

/* Split s at sep into trimmed, non-blank items; calls fn for each. */
static void
each_item(const char *s, char sep, void (*fn)(const char *, void *), void *arg)
{
	char item[1024];
	const char *e;
	size_t n;

	while (*s) {
		e = strchr(s, sep);
		n = e ? (size_t)(e - s) : strlen(s);
		if (n < sizeof(item)) {
			memcpy(item, s, n);
			item[n] = '\0';
			trim_into(item, item, sizeof(item));
			if (item[0])
				fn(item, arg);
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
}

static void
join_item(const char *item, void *arg)
{
	struct sbuf *b = arg;

	if (b->len)
		sbuf_addc(b, ',');
	sbuf_adds(b, item);
}

struct map_ctx {
	struct sbuf	*out;
	const struct jkey *rate;	/* the limiter's default-rate-limit key */
	int64_t		 def;		/* its resolved value */
	int		 bad;
};

static void
map_item(const char *item, void *arg)
{
	struct map_ctx *m = arg;
	char k[256], v[256];
	const char *colon = strchr(item, ':');
	int64_t n;

	if (colon == NULL || (size_t)(colon - item) >= sizeof(k))
		return;
	memcpy(k, item, colon - item);
	k[colon - item] = '\0';
	trim_into(k, k, sizeof(k));
	trim_into(colon + 1, v, sizeof(v));
	if (k[0] == '\0' || v[0] == '\0')
		return;		/* blank key or value: pair dropped */
	if (parse_long(v, &n) == -1) {
		m->bad = 1;
		return;
	}
	if (n == 0)
		n = m->def;
	if (m->rate) {
		if (n < m->rate->min)
			n = m->rate->min;
		if (n > m->rate->max)
			n = m->rate->max;
	}
	if (m->out->len)
		sbuf_addc(m->out, ',');
	sbuf_addf(m->out, "%s:%" PRId64, k, n);
}

struct nodes_ctx {
	struct convert	*c;
	struct sbuf	*out;
	const char	*zone;		/* local zone */
	char		 self[128];	/* "<ip>:<port>" the local node's URL contains */
	struct sbuf	*dropped;
};

static void
nodes_group(const char *group, void *arg)
{
	struct nodes_ctx *n = arg;
	struct sbuf urls = SBUF_INIT, kept = SBUF_INIT;
	const char *colon = strchr(group, ':'), *u, *e;
	char zone[256], url[1024];
	size_t zl, ul;

	if (colon == NULL || (zl = (size_t)(colon - group)) >= sizeof(zone))
		return;
	memcpy(zone, group, zl);
	zone[zl] = '\0';
	trim_into(zone, zone, sizeof(zone));
	if (zone[0] == '\0')
		return;
	each_item(colon + 1, ',', join_item, &urls);
	/* Java: the local node is the local-zone URL containing <ip>:<app.port>;
	 * it is this node, not a peer. */
	for (u = urls.s; u && *u; u = e ? e + 1 : u + ul) {
		e = strchr(u, ',');
		ul = e ? (size_t)(e - u) : strlen(u);
		if (ul >= sizeof(url))
			continue;
		memcpy(url, u, ul);
		url[ul] = '\0';
		if (n->self[0] && strcasecmp(zone, n->zone) == 0 &&
		    strstr(url, n->self) != NULL) {
			join_item(url, n->dropped);
		} else
			join_item(url, &kept);
		if (e == NULL)
			break;
	}
	if (kept.len) {
		if (n->out->len)
			sbuf_addc(n->out, ';');
		sbuf_addf(n->out, "%s:%s", zone, kept.s);
	}
	sbuf_free(&urls);
	sbuf_free(&kept);
}

/* inih reads lines of at most 200 bytes: comments are cut to fit. */
#define INI_LINE_MAX	199

static void
emit_comment(struct convert *c, struct sbuf *out, const struct jkey *k,
    const struct found *f, int set, const char *extra)
{
	struct sbuf line = SBUF_INIT;

	if (set && f->src == &c->sys)
		sbuf_addf(&line, "; %s = %s (-D)%s", k->name, f->raw, extra);
	else if (set)
		sbuf_addf(&line, "; %s = %s (%s:%d)%s", k->name, f->raw,
		    base(f->src->file), f->p->line, extra);
	else
		sbuf_addf(&line, "; %s: unset, Java default%s", k->name, extra);
	if (line.len > INI_LINE_MAX) {
		line.len = INI_LINE_MAX - 3;
		sbuf_adds(&line, "...");
	}
	sbuf_addf(out, "%s\n", line.s);
	sbuf_free(&line);
}

struct emit_state {
	const struct jkey *rate;	/* last rate-limit key, for its map */
	int64_t		 rate_value;
	char		 zone[256];
	int64_t		 port;
};

/* One mapped key: comment line with its source, then key = value. */
static void
emit_key(struct convert *c, struct sbuf *out, size_t i, struct emit_state *es)
{
	const struct jkey *k = &jkeys[i];
	const struct jkey *aux = (i > 0 && (jkeys[i - 1].flags & F_AUX)) ?
	    &jkeys[i - 1] : NULL;
	const char *dot = strchr(k->home, '.');
	struct sbuf v = SBUF_INIT, dropped = SBUF_INIT;
	struct found f, fa;
	char buf[64], extra[256] = "";
	int set = 0, on = 1, aset = 0;
	int64_t n;

	if (aux)
		on = boolean(c, aux, &fa, &aset);
	switch (k->type) {
	case J_INT:
	case J_MS:
		n = number(c, k, &f, &set);
		if (k->flags & F_RATE) {
			es->rate = k;
			es->rate_value = n;
		}
		if (!on) {
			n = 0;
			snprintf(extra, sizeof(extra), "; %s is false: 0 = off",
			    aux->name);
		}
		if (k->type == J_MS)
			convert_fmt_ms(n, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "%" PRId64, n);
		sbuf_adds(&v, buf);
		break;
	case J_BOOL:
		sbuf_adds(&v, boolean(c, k, &f, &set) ? "true" : "false");
		break;
	case J_LIST:
		if ((set = lookup(c, k, &f)) && on)
			each_item(f.raw, ',', join_item, &v);
		if (!on)
			snprintf(extra, sizeof(extra), "; %s is false: no blacklist",
			    aux->name);
		break;
	case J_MAP:
		if ((set = lookup(c, k, &f))) {
			struct map_ctx m = { &v, es->rate, es->rate_value, 0 };

			each_item(f.raw, ',', map_item, &m);
			if (m.bad) {
				report(c, &f, k->name, "'%s' is not a map of numbers; "
				    "Java ignores it", f.raw);
				sbuf_reset(&v);
			}
		}
		break;
	case J_NODES:
		if ((set = lookup(c, k, &f))) {
			struct nodes_ctx nc = { c, &v, es->zone, "", &dropped };

			if (c->ip[0] && es->port == 80)
				strlcpy(nc.self, c->ip, sizeof(nc.self));
			else if (c->ip[0])
				snprintf(nc.self, sizeof(nc.self), "%s:%" PRId64, c->ip,
				    es->port);
			each_item(f.raw, ';', nodes_group, &nc);
			if (dropped.len)
				snprintf(extra, sizeof(extra), "; this node (%s) is "
				    "not its own peer", dropped.s);
		}
		break;
	case J_STR:
		if ((set = lookup(c, k, &f)))
			sbuf_adds(&v, f.raw);
		break;
	}
	if (aux && aset && !on)
		emit_comment(c, out, aux, &fa, 1, "");
	emit_comment(c, out, k, &f, set, extra);
	if (strlen(dot + 1) + 3 + v.len > INI_LINE_MAX)
		report(c, set ? &f : NULL, k->name, "value longer than an artemis.conf "
		    "line can hold (%d bytes); written anyway", INI_LINE_MAX);
	if (v.len)
		sbuf_addf(out, "%s = %s\n", dot + 1, v.s);
	else
		sbuf_addf(out, "%s =\n", dot + 1);
	sbuf_free(&v);
	sbuf_free(&dropped);
}

static const struct jkey *
jkey_named(const char *name)
{
	size_t i;

	for (i = 0; i < njkeys; i++)
		if (strcmp(jkeys[i].name, name) == 0)
			return &jkeys[i];
	return NULL;
}

/* app.path, the servlet context path (Tomcat: "" or "/" for the root), as
 * [node] base-path "/seg[/seg...]" into path ("" for none). */
static void
emit_base_path(struct convert *c, struct sbuf *out, char *path, size_t len)
{
	const struct jkey *k = jkey_named("app.path");
	struct found f;
	size_t n;

	path[0] = '\0';
	if (!lookup(c, k, &f))
		return;
	if ((size_t)snprintf(path, len, "%s%s", f.raw[0] == '/' ? "" : "/", f.raw) >= len) {
		path[0] = '\0';
		return;
	}
	for (n = strlen(path); n > 0 && path[n - 1] == '/'; n--)
		path[n - 1] = '\0';
	if (path[0] == '\0')
		return;		/* the root */
	emit_comment(c, out, k, &f, 1, "");
	sbuf_addf(out, "base-path = %s\n", path);
}

static void
emit_node(struct convert *c, struct sbuf *out, struct emit_state *es)
{
	static const char *const which[] = { "registry", "discovery", "management" };
	const char *names[2] = { "region.id", "zone.id" };
	const char *ckeys[2] = { "region", "zone" };
	const char *fallback[2] = { "local", "local-z1" };
	const char *host = c->ip[0] ? c->ip : "127.0.0.1";
	char path[1100];	/* a found value and its leading '/' */
	struct found f;
	int set, i;

	for (i = 0; i < 2; i++) {
		const struct jkey *k = jkey_named(names[i]);

		if ((set = lookup(c, k, &f))) {
			emit_comment(c, out, k, &f, 1, "");
			sbuf_addf(out, "%s = %s\n", ckeys[i], f.raw);
			if (i == 1)
				strlcpy(es->zone, f.raw, sizeof(es->zone));
		} else {
			report(c, NULL, k->name, "not set (give --app app.properties or "
			    "-D %s=...); writing %s = %s", k->name, ckeys[i], fallback[i]);
			sbuf_addf(out, "; %s: not set; the Java server would not start\n"
			    "%s = %s\n", k->name, ckeys[i], fallback[i]);
		}
	}
	es->port = number(c, jkey_named("app.port"), &f, &set);
	sbuf_addf(out, "state-dir = %s\n", c->state_dir);
	emit_base_path(c, out, path, sizeof(path));
	sbuf_addf(out, "; advertised URLs: this host (%s), one port per daemon from "
	    "app.port = %" PRId64 "%s\n", host, es->port,
	    path[0] ? ", the context path included" : "");
	for (i = 0; i < 3; i++)
		sbuf_addf(out, "%s-url = http://%s:%" PRId64 "%s%s\n", which[i], host,
		    es->port + i, path, path[0] ? "/" : "");
}

/* Which known key an entry of a source is; NULL if unknown. *other_ip is set
 * when it is the IP-cascaded variant for another host. */
static const struct jkey *
classify(const struct convert *c, const char *key, int *other_ip, const char **ip)
{
	const struct jkey *k;
	size_t i, n;

	*other_ip = 0;
	*ip = NULL;
	if ((k = jkey_named(key)) != NULL)
		return k;
	for (i = 0; i < njkeys; i++) {
		n = strlen(jkeys[i].name);
		if (strncmp(key, jkeys[i].name, n) != 0 || key[n] != '.')
			continue;
		if (strspn(key + n + 1, "0123456789.") != strlen(key + n + 1))
			continue;	/* not an IPv4 suffix */
		*ip = key + n + 1;
		*other_ip = strcmp(*ip, c->ip) != 0;
		return &jkeys[i];
	}
	return NULL;
}

static void
report_source(struct convert *c, const struct props *src)
{
	const struct jkey *k;
	const char *ip;
	struct found f;
	size_t i;
	int other;

	for (i = 0; i < src->n; i++) {
		const struct prop *p = &src->v[i];

		f.src = src;
		f.p = p;
		trim_into(p->value, f.raw, sizeof(f.raw));
		if ((k = classify(c, p->key, &other, &ip)) == NULL) {
			report(c, &f, p->key, "unknown key; ignored");
			continue;
		}
		if (f.raw[0] == '\0')
			continue;	/* blank: unset */
		if (other) {
			report(c, &f, p->key, "for host %s, not this one (%s); ignored",
			    ip, c->ip[0] ? c->ip : "no --ip");
			continue;
		}
		if (ip == NULL && (k->flags & F_LOCALIP)) {
			report(c, &f, p->key, "read only with this node's IP appended "
			    "(%s.<ip>); ignored", k->name);
			continue;
		}
		if (k->flags & F_DEAD)
			report(c, &f, p->key, "dead key: the Java server never reads it%s;"
			    " ignored", (k->flags & F_TYPO) ?
			    " (typo of 'replication')" : "");
		else if (k->home == NULL && !(k->flags & (F_QUIET | F_AUX)) &&
		    strcmp(k->name, "app.port") != 0)
			report(c, &f, p->key, "not mapped: %s", k->why);
	}
}

void
convert_run(struct convert *c, struct sbuf *out)
{
	struct emit_state es;
	size_t s, i;
	const char *dot;
	const struct props *srcs[] = { &c->main, &c->env, &c->app, &c->appenv };

	memset(&es, 0, sizeof(es));
	sbuf_addf(out, "; artemis.conf(5) written by `artemis config convert` from %s",
	    base(c->main.file));
	if (c->env.file[0])
		sbuf_addf(out, ", %s", base(c->env.file));
	if (c->app.file[0])
		sbuf_addf(out, ", %s", base(c->app.file));
	if (c->appenv.file[0])
		sbuf_addf(out, ", %s", base(c->appenv.file));
	sbuf_addf(out, "\n; local IP for IP-suffixed keys: %s\n"
	    "; Each key below carries the Java value (or the Java default when unset);\n"
	    "; Java keys without a C equivalent were reported on stderr.\n",
	    c->ip[0] ? c->ip : "none");
	for (s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		sbuf_addf(out, "\n[%s]\n", sections[s]);
		if (s == 0) {
			emit_node(c, out, &es);
			continue;
		}
		if (s <= 4)
			sbuf_addf(out, "listen = 0.0.0.0:%" PRId64 "\n", es.port + s - 1);
		if (strcmp(sections[s], "mgmtd") == 0)
			sbuf_adds(out, "database = management.db\n");
		for (i = 0; i < njkeys; i++) {
			if (jkeys[i].home == NULL || (jkeys[i].flags & F_DEPLOY))
				continue;
			dot = strchr(jkeys[i].home, '.');
			if (strlen(sections[s]) != (size_t)(dot - jkeys[i].home) ||
			    strncmp(jkeys[i].home, sections[s], dot - jkeys[i].home) != 0)
				continue;
			emit_key(c, out, i, &es);
		}
	}
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++)
		report_source(c, srcs[i]);
}

int
convert_local_ip(char *buf, size_t len)
{
	struct ifaddrs *ifa, *i;
	const struct sockaddr_in *sin;
	uint32_t a;
	int best = -1, score;

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		sin = (const struct sockaddr_in *)i->ifa_addr;
		a = ntohl(sin->sin_addr.s_addr);
		/* site-local (RFC 1918) first, as the Java detection prefers */
		score = ((a >> 24) == 10 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8);
		if (score > best) {
			best = score;
			inet_ntop(AF_INET, &sin->sin_addr, buf, len);
		}
	}
	freeifaddrs(ifa);
	return best >= 0 ? 0 : -1;
}
