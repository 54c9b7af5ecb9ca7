/* config.c — see config.h. One table lists every key; parsing is table-driven. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

enum key_type { K_STR, K_LIST, K_PATH, K_DUR, K_SIZE, K_BOOL, K_INT, K_I64, K_U32, K_LISTEN };

struct key {
	const char	*section;
	const char	*name;
	enum key_type	 type;
	size_t		 off;
	size_t		 size;		/* for strings */
	int		 required;
	int64_t		 min, max;	/* for numbers and durations (ms) */
};

#define OFF(f)		offsetof(struct config, f)
#define STR(s, k, f, r)	{ s, k, K_STR, OFF(f), sizeof(((struct config *)0)->f), r, 0, 0 }
#define LST(s, k, f)	{ s, k, K_LIST, OFF(f), sizeof(((struct config *)0)->f), 0, 0, 0 }
#define PTH(s, k, f, r)	{ s, k, K_PATH, OFF(f), sizeof(((struct config *)0)->f), r, 0, 0 }
#define NUM(s, k, t, f, lo, hi)	{ s, k, t, OFF(f), 0, 0, lo, hi }

static const struct key keys[] = {
	STR("node", "region", region, 1),
	STR("node", "zone", zone, 1),
	PTH("node", "state-dir", state_dir, 0),
	STR("node", "registry-url", registry_url, 0),
	STR("node", "discovery-url", discovery_url, 0),
	STR("node", "management-url", management_url, 0),
	STR("node", "base-path", base_path, 0),
	NUM("node", "max-body", K_SIZE, max_body, 1024, 1 << 30),
	NUM("node", "max-decoded-body", K_SIZE, max_decoded_body, 1024, 1 << 30),
	NUM("node", "http-threads", K_INT, http_threads, 1, 256),

	NUM("registryd", "listen", K_LISTEN, registryd_listen, 0, 0),
	NUM("registryd", "allow-from-other-zone", K_BOOL, registry_allow_other_zone, 0, 1),
	NUM("registryd", "max-instances-per-request", K_INT, max_instances_per_request, 1, 1000000),
	NUM("registryd", "heartbeat-cache", K_SIZE, heartbeat_cache, 0, (int64_t)1 << 40),
	NUM("registryd", "ws-session-ttl", K_DUR, ws_session_ttl_ms, 1000, 86400000),
	NUM("registryd", "ws-check-interval", K_DUR, ws_check_interval_ms, 100, 3600000),
	LST("registryd", "ws-blacklist", heartbeat_ws_blacklist),
	NUM("registryd", "ws-max-connections", K_INT, ws_max_connections, 1, 1000000),
	NUM("registryd", "ws-max-message", K_SIZE, ws_max_message, 1024, 64 << 20),

	NUM("discoveryd", "listen", K_LISTEN, discoveryd_listen, 0, 0),
	NUM("discoveryd", "allow-from-other-zone", K_BOOL, discovery_allow_other_zone, 0, 1),
	NUM("discoveryd", "cache-init-delay", K_DUR, cache_init_delay_ms, 0, 300000),
	NUM("discoveryd", "cache-refresh-interval", K_DUR, cache_refresh_interval_ms, 100, 300000),
	NUM("discoveryd", "cache-count", K_INT, cache_count, 1, 10),
	LST("discoveryd", "ws-blacklist", discovery_ws_blacklist),
	LST("discoveryd", "all-ws-blacklist", discoveries_ws_blacklist),
	NUM("discoveryd", "max-lookup-configs", K_INT, max_lookup_configs, 1, 1000000),
	NUM("discoveryd", "mgmt-reconcile-interval", K_DUR, mgmt_reconcile_interval_ms, 100, 3600000),

	NUM("mgmtd", "listen", K_LISTEN, mgmtd_listen, 0, 0),
	PTH("mgmtd", "database", database, 0),
	NUM("mgmtd", "db-sync-wait", K_DUR, db_sync_wait_ms, 0, 60000),

	NUM("replicator", "listen", K_LISTEN, replicator_listen, 0, 0),
	NUM("replicator", "status-update-interval", K_DUR, status_update_interval_ms, 100, 600000),

	NUM("table", "capacity", K_U32, capacity, 16, 16000000),

	NUM("lease", "ttl", K_DUR, ttl_ms, 1000, 604800000),
	NUM("lease", "legacy-ttl", K_DUR, legacy_ttl_ms, 1000, 604800000),
	NUM("lease", "clean-interval", K_DUR, clean_interval_ms, 10, 60000),
	NUM("lease", "safe-check", K_BOOL, safe_check_enabled, 0, 1),
	NUM("lease", "safe-time-window", K_DUR, safe_time_window_ms, 1000, 300000),
	NUM("lease", "safe-percentage", K_INT, safe_percentage, 1, 100),
	NUM("lease", "safe-max-count-threshold", K_INT, safe_max_count_threshold, 0, 1000000),
	NUM("lease", "safe-max-count-reset", K_DUR, safe_max_count_reset_ms, 1000, 86400000),
	NUM("lease", "safe-max-hold", K_DUR, safe_max_hold_ms, 0, 604800000),

	NUM("ratelimit", "registry", K_I64, rl_registry, 0, 100000000),
	LST("ratelimit", "registry-map", rl_registry_map),
	NUM("ratelimit", "replication", K_I64, rl_replication, 0, 1000000000),
	LST("ratelimit", "replication-map", rl_replication_map),
	NUM("ratelimit", "cluster", K_I64, rl_cluster, 0, 100000000),
	LST("ratelimit", "cluster-map", rl_cluster_map),
	NUM("ratelimit", "status", K_I64, rl_status, 0, 100000000),
	LST("ratelimit", "status-map", rl_status_map),
	NUM("ratelimit", "management-group", K_I64, rl_management_group, 0, 100000000),

	NUM("cluster", "force-up", K_BOOL, force_up, 0, 1),
	LST("cluster", "peers", peers),
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

struct parse_state {
	struct config	*c;
	char		*err;
	size_t		 errlen;
	int		 failed;
	char		 seen[NKEYS];
};

/* Half the CPUs: each daemon has its own pool, the WebSocket loop and the other
 * daemons need cores too, and more runnable threads than cores turns into
 * millisecond tail latencies (measured: p99 0.3 ms with 1 thread, 3-4 ms with 4 on
 * a 2-core box, at the same throughput). */
static int
default_http_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 2)
		return 1;
	return n / 2 > 64 ? 64 : (int)(n / 2);
}

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	strlcpy(c->state_dir, "./run", sizeof(c->state_dir));
	c->max_body = 8 << 20;
	c->max_decoded_body = 32 << 20;
	c->http_threads = default_http_threads();
	c->max_instances_per_request = 5000;
	c->heartbeat_cache = 64 << 20;
	c->ws_session_ttl_ms = 360000;
	c->ws_check_interval_ms = 1000;
	c->ws_max_connections = 20000;
	c->ws_max_message = 1 << 20;
	c->cache_init_delay_ms = 60000;
	c->cache_refresh_interval_ms = 30000;
	c->cache_count = 3;
	c->max_lookup_configs = 10000;
	c->mgmt_reconcile_interval_ms = 1000;
	strlcpy(c->database, "management.db", sizeof(c->database));
	c->db_sync_wait_ms = 0;
	c->status_update_interval_ms = 5000;
	c->capacity = 1000000;
	c->ttl_ms = 20000;
	c->legacy_ttl_ms = 90000;
	c->clean_interval_ms = 1000;
	c->safe_check_enabled = 1;
	c->safe_time_window_ms = 12000;
	c->safe_percentage = 85;
	c->safe_max_count_threshold = 50;
	c->safe_max_count_reset_ms = 600000;
	c->safe_max_hold_ms = 600000;
	c->rl_registry = 100000;
	c->rl_replication = 1000000;
	c->rl_cluster = 10000;
	c->rl_status = 30;
	strlcpy(c->rl_status_map, "get-leases:10", sizeof(c->rl_status_map));
	c->rl_management_group = 30;
	c->force_up = 1;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
config_parse_duration(const char *s, int64_t *ms)
{
	char *end;
	long long v;
	int64_t mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno != 0 || v < 0)
		return -1;
	if (strcmp(end, "") == 0 || strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0)
		mult = 3600000;
	else
		return -1;
	if (v > INT64_MAX / mult)
		return -1;
	*ms = v * mult;
	return 0;
}

int
config_parse_size(const char *s, size_t *bytes)
{
	char *end;
	unsigned long long v;
	unsigned long long mult = 1;

	errno = 0;
	if (*s == '-')
		return -1;
	v = strtoull(s, &end, 10);
	if (end == s || errno != 0)
		return -1;
	if (*end == '\0')
		mult = 1;
	else if (strcasecmp(end, "k") == 0)
		mult = 1024;
	else if (strcasecmp(end, "m") == 0)
		mult = 1024 * 1024;
	else if (strcasecmp(end, "g") == 0)
		mult = 1024ULL * 1024 * 1024;
	else
		return -1;
	if (v > SIZE_MAX / mult)
		return -1;
	*bytes = (size_t)(v * mult);
	return 0;
}

int
config_parse_bool(const char *s, int *b)
{
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 ||
	    strcmp(s, "1") == 0 || strcasecmp(s, "on") == 0)
		*b = 1;
	else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 ||
	    strcmp(s, "0") == 0 || strcasecmp(s, "off") == 0)
		*b = 0;
	else
		return -1;
	return 0;
}

int
config_parse_listen(const char *s, struct listen_addr *l)
{
	const char *colon = strrchr(s, ':');
	const char *errstr = NULL;
	size_t hl;

	if (colon == NULL)
		return -1;
	hl = colon - s;
	if (hl == 0 || hl >= sizeof(l->host))
		return -1;
	memcpy(l->host, s, hl);
	l->host[hl] = '\0';
	l->port = (int)strtonum(colon + 1, 1, 65535, &errstr);
	if (errstr != NULL)
		return -1;
	l->set = 1;
	return 0;
}

static int
set_value(struct config *c, const struct key *k, const char *v, int append, char *why,
    size_t wl)
{
	char *p = (char *)c + k->off;
	int64_t n;
	size_t sz;
	const char *errstr = NULL;

	switch (k->type) {
	case K_LIST:
		/* a repeated key (also an indented continuation line, which inih
		 * hands over as the same key again) appends: inih reads at most 200
		 * bytes a line, and peer lists get longer than that */
		if (append && strlcat(p, v, k->size) >= k->size) {
			snprintf(why, wl, "value too long (max %zu bytes)", k->size - 1);
			return -1;
		}
		if (append)
			return 0;
		/* FALLTHROUGH */
	case K_STR:
	case K_PATH:
		if (strlcpy(p, v, k->size) >= k->size) {
			snprintf(why, wl, "value too long (max %zu bytes)", k->size - 1);
			return -1;
		}
		return 0;
	case K_DUR:
		if (config_parse_duration(v, &n) == -1) {
			snprintf(why, wl, "bad duration '%.64s' (use e.g. 500ms, 20s, 5m)", v);
			return -1;
		}
		break;
	case K_SIZE:
		if (config_parse_size(v, &sz) == -1) {
			snprintf(why, wl, "bad size '%.64s' (use e.g. 512k, 8m)", v);
			return -1;
		}
		if ((int64_t)sz < k->min || (int64_t)sz > k->max) {
			snprintf(why, wl, "size '%.64s' out of range", v);
			return -1;
		}
		*(size_t *)p = sz;
		return 0;
	case K_BOOL:
		if (config_parse_bool(v, (int *)p) == -1) {
			snprintf(why, wl, "bad boolean '%.64s' (use true or false)", v);
			return -1;
		}
		return 0;
	case K_INT:
	case K_I64:
	case K_U32:
		n = strtonum(v, k->min, k->max, &errstr);
		if (errstr != NULL) {
			snprintf(why, wl, "number '%.64s' is %s (range %lld..%lld)", v,
			    errstr, (long long)k->min, (long long)k->max);
			return -1;
		}
		if (k->type == K_INT)
			*(int *)p = (int)n;
		else if (k->type == K_U32)
			*(uint32_t *)p = (uint32_t)n;
		else
			*(int64_t *)p = n;
		return 0;
	case K_LISTEN:
		if (config_parse_listen(v, (struct listen_addr *)p) == -1) {
			snprintf(why, wl, "bad listen address '%.64s' (use HOST:PORT)", v);
			return -1;
		}
		return 0;
	}
	/* durations */
	if (n < k->min || n > k->max) {
		snprintf(why, wl, "duration '%.64s' out of range (%lldms..%lldms)", v,
		    (long long)k->min, (long long)k->max);
		return -1;
	}
	*(int64_t *)p = n;
	return 0;
}

static int
known_section(const char *s)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, s) == 0)
			return 1;
	return 0;
}

/* [node] base-path: the servlet context path the Java server ran under (§1.1).
 * Kept as "/seg[/seg...]" without a trailing '/'; "" or "/" mean none. */
static int
check_base_path(char *p, char *why, size_t wl)
{
	size_t n = strlen(p), i;

	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	if (n == 0)
		return 0;
	if (p[0] != '/') {
		snprintf(why, wl, "must start with '/'");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (strchr("?#;%\\", p[i]) != NULL || isspace((unsigned char)p[i]) ||
		    (p[i] == '/' && p[i + 1] == '/')) {
			snprintf(why, wl, "not a plain path: %s", p);
			return -1;
		}
	}
	return 0;
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;
	char why[512], vbuf[CONFIG_LIST + 64];
	size_t i;

	if (ps->failed)
		return 1;
	if (name == NULL)	/* section header alone (INI_CALL_HANDLER_ON_NEW_SECTION) */
		return 1;
	if (!known_section(section)) {
		snprintf(ps->err, ps->errlen, "unknown section [%s]", section);
		ps->failed = 1;
		return 0;
	}
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) || strcmp(keys[i].name, name))
			continue;
		strlcpy(vbuf, value ? value : "", sizeof(vbuf));
		if (set_value(ps->c, &keys[i], trim(vbuf), ps->seen[i], why,
		    sizeof(why)) == -1 || (keys[i].off == OFF(base_path) &&
		    check_base_path(ps->c->base_path, why, sizeof(why)) == -1)) {
			snprintf(ps->err, ps->errlen, "[%s] %s: %s", section, name, why);
			ps->failed = 1;
			return 0;
		}
		ps->seen[i] = 1;
		return 1;
	}
	snprintf(ps->err, ps->errlen, "unknown key '%s' in section [%s]", name, section);
	ps->failed = 1;
	return 0;
}

static int
resolve_paths(struct config *c, char *why, size_t wl)
{
	char buf[PATH_MAX];

	if (c->database[0] != '/') {
		if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", c->state_dir,
		    c->database) >= sizeof(buf)) {
			snprintf(why, wl, "[mgmtd] database: path too long");
			return -1;
		}
		strlcpy(c->database, buf, sizeof(c->database));
	}
	return 0;
}

int
config_load(struct config *c, const char *file, char *err, size_t errlen)
{
	struct parse_state ps;
	char msg[1024];
	FILE *fp;
	int line;
	size_t i;

	config_defaults(c);
	strlcpy(c->file, file, sizeof(c->file));
	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	ps.err = msg;
	ps.errlen = sizeof(msg);
	if ((fp = fopen(file, "r")) == NULL) {
		snprintf(err, errlen, "%s:0: cannot open: %s", file, strerror(errno));
		return -1;
	}
	line = ini_parse_file(fp, on_key, &ps);
	fclose(fp);
	if (line != 0) {
		if (!ps.failed)
			snprintf(msg, sizeof(msg), "syntax error");
		snprintf(err, errlen, "%s:%d: %s", file, line, msg);
		return -1;
	}
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].required && !ps.seen[i]) {
			snprintf(err, errlen, "%s:0: missing required key '%s' in section [%s]",
			    file, keys[i].name, keys[i].section);
			return -1;
		}
	}
	if (resolve_paths(c, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s:0: %s", file, msg);
		return -1;
	}
	return 0;
}

int
config_list_contains(const char *list, const char *ip)
{
	const char *p = list, *e;
	size_t n = strlen(ip);

	while (*p) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		e = p;
		while (*e && *e != ',' && !isspace((unsigned char)*e))
			e++;
		if ((size_t)(e - p) == n && n > 0 && strncasecmp(p, ip, n) == 0)
			return 1;
		p = e;
	}
	return 0;
}

int
config_state_path(const struct config *c, const char *name, char *out, size_t len)
{
	if ((size_t)snprintf(out, len, "%s/%s", c->state_dir, name) >= len)
		return -1;
	return 0;
}

static void __attribute__((noreturn))
usage(const char *progname, int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: %s [-hnv] [-f file]\n"
	    "  -f file  configuration file (default %s)\n"
	    "  -n       check the configuration and exit\n"
	    "  -v       more logging (repeatable)\n"
	    "  -h       this help\n", progname, CONFIG_DEFAULT_PATH);
	exit(code);
}

void
config_daemon_main(int argc, char **argv, const char *progname, struct config *c)
{
	const char *file = CONFIG_DEFAULT_PATH;
	char err[2048];
	int ch, check = 0, verbose = 0;

	while ((ch = getopt(argc, argv, "f:hnv")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(progname, 0);
		default:
			usage(progname, 2);
		}
	}
	if (optind != argc)
		usage(progname, 2);
	log_init(progname, verbose);
	if (config_load(c, file, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	if (check) {
		printf("configuration OK\n");
		exit(0);
	}
}
