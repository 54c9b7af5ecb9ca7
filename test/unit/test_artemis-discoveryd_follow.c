/*
 * test_artemis-discoveryd_follow.c — the journal follower, renderings, snapshots
 * and deltas of artemis-discoveryd against a real table file written in-process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cmd/artemis-discoveryd/discoveryd.h"
#include "log.h"
#include "table.h"
#include "tap.h"

static struct discoveryd	 d;
struct discoveryd		*env = &d;
static struct table		*w;

static char *
inst_json(const char *svc, const char *id, const char *status)
{
	static char buf[8][512];
	static int n;
	char *b = buf[n++ % 8];

	snprintf(b, 512, "{\"groupId\":null,\"healthCheckUrl\":null,\"instanceId\":\"%s\","
	    "\"ip\":\"10.0.0.1\",\"machineName\":null,\"metadata\":null,\"port\":8080,"
	    "\"protocol\":null,\"regionId\":\"sha\",\"serviceId\":\"%s\",\"status\":\"%s\","
	    "\"url\":\"http://10.0.0.1/%s\",\"zoneId\":\"sha-z1\"}", id, svc, status, id);
	return b;
}

static void
reg(const char *svc, const char *id, const char *status)
{
	char key[256], *k;
	const char *j = inst_json(svc, id, status);

	snprintf(key, sizeof(key), "sha\x1f%s\x1f%s", svc, id);
	for (k = key; *k; k++)
		if (*k >= 'A' && *k <= 'Z')
			*k += 'a' - 'A';
	if (table_upsert(w, key, strlen(key), svc, strlen(svc), j, strlen(j), now_ms(),
	    20000, 0, ORIGIN_LOCAL, NULL) != 0)
		fatalx("upsert %s/%s", svc, id);
}

static void
unreg(const char *svc, const char *id)
{
	char key[256], *k;
	struct table_rec rec;

	snprintf(key, sizeof(key), "sha\x1f%s\x1f%s", svc, id);
	for (k = key; *k; k++)
		if (*k >= 'A' && *k <= 'Z')
			*k += 'a' - 'A';
	if (table_find(w, key, strlen(key), &rec) != 1)
		fatalx("find %s/%s", svc, id);
	table_remove(w, rec.slot, rec.gen, ORIGIN_LOCAL);
}

/* The Service JSON of a rendering, as a string (caller frees), or NULL. */
static char *
service_of(const char *svc)
{
	struct rendered *r = cache_get(svc);
	char *s;

	if (r == NULL)
		return NULL;
	s = strndup(r->body->data + r->svc_off, r->svc_len);
	rendered_unref(r);
	return s;
}

static int
contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while (hay != NULL && (hay = strstr(hay, needle)) != NULL)
		n++, hay++;
	return n;
}

static struct rbuf *
refresh(void)
{
	struct rendered **v;
	size_t n = cache_collect(&v);

	snapshot_refresh(v, n, now_ms());
	return snapshot_services_body();
}

int
main(void)
{
	static struct config cfg;
	char dir[] = "/tmp/test-discoveryd.XXXXXX", path[512], expect[2048], err[256];
	struct rbuf *b, *delta;
	char *s;
	int64_t v1, v2;
	int i;

	log_init("test", 0);
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	snprintf(path, sizeof(path), "%s/%s", dir, TABLE_FILE);
	config_defaults(&cfg);
	strlcpy(cfg.region, "sha", sizeof(cfg.region));
	strlcpy(cfg.zone, "sha-z1", sizeof(cfg.zone));
	cfg.cache_count = 3;
	d.cfg = &cfg;
	if ((w = table_open_writer(path, 64, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((d.table = table_open_reader(path, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	strlcpy(d.table_path, path, sizeof(d.table_path));
	cache_init();

	/* warm start: everything in the table before the first answer */
	reg("svc.a", "i-2", "up");
	reg("svc.a", "i-1", "up");
	reg("Svc.B", "i-1", "up");
	follower_init();
	s = service_of("svc.a");
	snprintf(expect, sizeof(expect), "{\"instances\":[%s,%s],\"logicInstances\":[],"
	    "\"metadata\":null,\"routeRules\":[],\"serviceId\":\"svc.a\"}",
	    inst_json("svc.a", "i-1", "up"), inst_json("svc.a", "i-2", "up"));
	ok(s != NULL && strcmp(s, expect) == 0, "initial scan renders svc.a sorted: %s", s);
	free(s);
	ok(contains(s = service_of("Svc.B"), "\"serviceId\":\"Svc.B\""), "raw-case service");
	free(s);
	ok(service_of("svc.b") == NULL, "service ids are case-sensitive");
	ok(service_of("svc.none") == NULL, "unknown service has no rendering");

	/* follow: re-registration replaces, removal deletes */
	reg("svc.a", "i-1", "down");
	follower_pass();
	s = service_of("svc.a");
	ok(contains(s, inst_json("svc.a", "i-1", "down")) && count(s, "instanceId") == 2,
	    "re-registration replaces the instance");
	free(s);
	unreg("Svc.B", "i-1");
	follower_pass();
	ok(service_of("Svc.B") == NULL, "last instance removed: service gone");

	/* snapshots and deltas */
	b = refresh();
	ok(b != NULL && contains(b->data, "\"services\":[{") &&
	    !contains(b->data, "Svc.B"), "first snapshot lists svc.a only");
	v1 = 0;
	if (b != NULL && (s = strstr(b->data, "\"version\":")) != NULL)
		v1 = strtoll(s + 10, NULL, 10);
	rbuf_unref(b);
	ok(v1 > 0, "version is epoch ms: %lld", (long long)v1);
	ok(snapshot_delta(v1) == NULL, "newest version has no delta");

	reg("svc.a", "i-3", "up");
	reg("svc.a", "i-1", "starting");	/* attribute change: not in the delta */
	unreg("svc.a", "i-2");
	reg("svc.c", "i-1", "up");
	follower_pass();
	usleep(2000);
	b = refresh();
	v2 = 0;
	if (b != NULL && (s = strstr(b->data, "\"version\":")) != NULL)
		v2 = strtoll(s + 10, NULL, 10);
	rbuf_unref(b);
	ok(v2 > v1, "second version %lld > %lld", (long long)v2, (long long)v1);
	delta = snapshot_delta(v1);
	ok(delta != NULL, "delta from the previous version");
	if (delta != NULL) {
		ok(count(delta->data, "\"changeType\":\"new\"") == 2 &&
		    count(delta->data, "\"changeType\":\"delete\"") == 1,
		    "delta has 2 new, 1 delete: %s", delta->data);
		ok(contains(delta->data, "\"svc.c\":[{\"changeTime\":"),
		    "new service keyed by its id");
		ok(contains(delta->data, inst_json("svc.a", "i-2", "up")),
		    "delete carries the old instance");
		ok(!contains(delta->data, "starting"), "attribute changes are not reported");
		snprintf(expect, sizeof(expect), ",\"responseStatus\":{\"errorCode\":"
		    "\"success\",\"message\":\"\",\"status\":\"success\"},\"version\":%lld}",
		    (long long)v2);
		ok(contains(delta->data, expect), "delta answer tagged with the newest version");
		rbuf_unref(delta);
	}
	/* cache-count 3: the fourth refresh evicts v1 */
	rbuf_unref(refresh());
	delta = snapshot_delta(v1);
	ok(delta != NULL && contains(delta->data, "\"delta\":{\"svc"), "v1 delta recomputed");
	rbuf_unref(delta);
	rbuf_unref(refresh());
	ok(snapshot_delta(v1) == NULL, "oldest snapshot evicted after cache-count");
	delta = snapshot_delta(v2);
	ok(delta != NULL && contains(delta->data, "\"delta\":{}"),
	    "no change: empty delta map");
	rbuf_unref(delta);

	/* falling behind the journal ring: rescan repairs */
	for (i = 0; i < 5000; i++) {
		reg("svc.churn", "x", "up");
		unreg("svc.churn", "x");
	}
	reg("svc.d", "i-1", "up");
	unreg("svc.c", "i-1");
	follower_pass();
	ok(service_of("svc.churn") == NULL, "churned service absent after rescan");
	ok(contains(s = service_of("svc.d"), "\"serviceId\":\"svc.d\""),
	    "change after overrun seen");
	free(s);
	ok(service_of("svc.c") == NULL, "delete after overrun seen");
	ok(follower_seq() == table_change_seq(d.table), "caught up to change_seq");

	snapshot_clear();
	cache_clear();
	table_close(d.table);
	table_close(w);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
