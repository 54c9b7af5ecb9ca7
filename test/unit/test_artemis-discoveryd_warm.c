/*
 * test_artemis-discoveryd_warm.c — the initial load (warm start) of
 * artemis-discoveryd: every service rendered exactly as the table holds it,
 * answers completed in place or re-rendered when the filter chain hides an
 * instance or adds more than the room left, and instances that change or go
 * between the scan and the reading of their JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cmd/artemis-discoveryd/discoveryd.h"
#include "log.h"
#include "model.h"
#include "table.h"
#include "tap.h"

static struct discoveryd	 d;
struct discoveryd		*env = &d;
static struct table		*w;

#define NSVC	40
#define NINST	60		/* per service */

static char *
inst_json(const char *svc, const char *id, const char *status, int pad)
{
	static char buf[8][1024];
	static int n;
	char *b = buf[n++ % 8];

	/* pad: instances of different lengths */
	snprintf(b, 1024, "{\"groupId\":null,\"instanceId\":\"%s\",\"ip\":\"10.0.0.1\","
	    "\"metadata\":{\"pad\":\"%.*s\"},\"port\":8080,\"serviceId\":\"%s\","
	    "\"status\":\"%s\",\"url\":\"http://10.0.0.1/%s\"}", id, pad % 97,
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxx", svc, status, id);
	return b;
}

static void
make_key(char *key, size_t len, const char *svc, const char *id)
{
	char *k;

	snprintf(key, len, "sha\x1f%s\x1f%s", svc, id);
	for (k = key; *k; k++)
		if (*k >= 'A' && *k <= 'Z')
			*k += 'a' - 'A';
}

static void
reg(const char *svc, const char *id, const char *status, int pad)
{
	char key[256];
	const char *j = inst_json(svc, id, status, pad);

	make_key(key, sizeof(key), svc, id);
	if (table_upsert(w, key, strlen(key), svc, strlen(svc), j, strlen(j), now_ms(),
	    20000, 0, ORIGIN_LOCAL, NULL) != 0)
		fatalx("upsert %s/%s", svc, id);
}

static void
unreg(const char *svc, const char *id)
{
	char key[256];
	struct table_rec rec;

	make_key(key, sizeof(key), svc, id);
	if (table_find(w, key, strlen(key), &rec) != 1)
		fatalx("find %s/%s", svc, id);
	table_remove(w, rec.slot, rec.gen, ORIGIN_LOCAL);
}

/* What the lookup answer of svc must be: instances i-0000.. in key order but
 * skip (and "down" for changed), with the given routeRules. */
static void
expected(struct sbuf *out, const char *svc, int skip, int changed,
    const char *rules)
{
	char id[32];
	int i, n = 0;

	sbuf_adds(out, "{\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, out);
	sbuf_adds(out, ",\"services\":[{\"instances\":[");
	for (i = 0; i < NINST; i++) {
		if (i == skip)
			continue;
		snprintf(id, sizeof(id), "i-%04d", i);
		if (n++ > 0)
			sbuf_addc(out, ',');
		sbuf_adds(out, inst_json(svc, id, i == changed ? "down" : "up", i));
	}
	sbuf_adds(out, "],\"logicInstances\":[],\"metadata\":null,\"routeRules\":");
	sbuf_adds(out, rules);
	sbuf_adds(out, ",\"serviceId\":\"");
	sbuf_adds(out, svc);
	sbuf_adds(out, "\"}]}");
}

/* The rendering of svc is exactly the expected answer, and its index points
 * at each instance. */
static int
renders(const char *svc, int skip, int changed, const char *rules)
{
	struct sbuf want = SBUF_INIT;
	struct rendered *r = cache_get(svc);
	size_t k;
	int good;

	expected(&want, svc, skip, changed, rules);
	good = r != NULL && r->body->len == want.len &&
	    memcmp(r->body->data, want.s, want.len) == 0 &&
	    r->body->data[r->body->len] == '\0' &&
	    r->ninst == (size_t)(NINST - (skip >= 0)) &&
	    r->svc_off + r->svc_len + 2 == r->body->len &&
	    r->body->data[r->svc_off] == '{';
	for (k = 0; good && k < r->ninst; k++)
		good = r->body->data[r->inst[k].off] == '{' &&
		    r->body->data[r->inst[k].off + r->inst[k].len] ==
		    (k + 1 < r->ninst ? ',' : ']') &&
		    (k == 0 || strcmp(r->inst[k - 1].key, r->inst[k].key) < 0);
	for (k = 0; !good && r != NULL && k < want.len && k < r->body->len &&
	    r->body->data[k] == want.s[k]; k++)
		;
	if (!good)
		printf("# %s: %zu bytes, want %zu, first difference at %zu: %.80s\n",
		    svc, r != NULL ? r->body->len : 0, want.len, k,
		    r != NULL ? r->body->data + k : "(none)");
	rendered_unref(r);
	sbuf_free(&want);
	return good;
}

/* Instances in the rendering of svc, -1 if it has none. */
static long
ninst_of(const char *svc)
{
	struct rendered *r = cache_get(svc);
	long n = r != NULL ? (long)r->ninst : -1;

	rendered_unref(r);
	return n;
}

static char	 long_rules[4096];

/* The chain: hides i-0001 of svc.hide, gives svc.rules long route rules. */
static void
test_filter(struct filter_service *fs, void *arg)
{
	const char *hide = "\"instanceId\":\"i-0001\"";
	size_t i;

	(void)arg;
	if (strcmp(fs->service_id, "svc.hide") == 0) {
		for (i = 0; i < fs->ninst; i++)
			if (memmem(fs->inst[i].json, fs->inst[i].len, hide,
			    strlen(hide)) != NULL)
				fs->inst[i].keep = 0;
	} else if (strcmp(fs->service_id, "svc.rules") == 0) {
		sbuf_reset(&fs->route_rules);
		sbuf_adds(&fs->route_rules, long_rules);
	}
}

/* Between layout and reading: one instance re-registered (new slot, new
 * length), two unregistered, one of them a service's only instance. */
static void
meanwhile(void)
{
	reg("svc.05", "i-0007", "down", 7);
	unreg("svc.06", "i-0003");
	unreg("solo", "i-0000");
}

int
main(void)
{
	static struct config cfg;
	char dir[] = "/tmp/test-discoveryd-warm.XXXXXX", path[512], err[256], id[32];
	char svc[32];
	int i, k, good;

	log_init("test", 0);
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	snprintf(path, sizeof(path), "%s/%s", dir, TABLE_FILE);
	config_defaults(&cfg);
	strlcpy(cfg.region, "sha", sizeof(cfg.region));
	strlcpy(cfg.zone, "sha-z1", sizeof(cfg.zone));
	d.cfg = &cfg;
	if ((w = table_open_writer(path, 4096, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((d.table = table_open_reader(path, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	strlcpy(d.table_path, path, sizeof(d.table_path));
	cache_init();

	memset(long_rules, 0, sizeof(long_rules));
	strlcpy(long_rules, "[{\"routeRuleId\":\"", sizeof(long_rules));
	memset(long_rules + strlen(long_rules), 'r', 2000);
	strlcat(long_rules, "\"}]", sizeof(long_rules));
	filter_register("test", test_filter, NULL);

	/* services interleaved in the slots, instances in reverse key order */
	for (i = NINST - 1; i >= 0; i--) {
		snprintf(id, sizeof(id), "i-%04d", i);
		for (k = 0; k < NSVC; k++) {
			snprintf(svc, sizeof(svc), "svc.%02d", k);
			reg(svc, id, "up", i);
		}
		reg("svc.hide", id, "up", i);
		reg("svc.rules", id, "up", i);
	}
	reg("solo", "i-0000", "up", 0);
	follower_load_hook = meanwhile;
	follower_init();
	follower_load_hook = NULL;

	for (k = 0, good = 1; k < NSVC; k++) {
		snprintf(svc, sizeof(svc), "svc.%02d", k);
		if (k != 5 && k != 6)
			good &= renders(svc, -1, -1, "[]");
	}
	ok(good, "%d services rendered in place, byte for byte", NSVC - 2);
	ok(renders("svc.05", -1, 7, "[]"),
	    "an instance re-registered meanwhile is read through the index");
	ok(renders("svc.06", 3, -1, "[]"), "an instance removed meanwhile is left out");
	ok(ninst_of("solo") == -1, "a service emptied meanwhile is gone");
	ok(renders("svc.hide", 1, -1, "[]"), "an instance the chain hides is left out");
	ok(renders("svc.rules", -1, -1, long_rules),
	    "route rules longer than the room left: rendered anew");

	/* the journal replay after the load changes nothing more */
	follower_pass();
	ok(follower_seq() == table_change_seq(d.table), "caught up to change_seq");
	ok(renders("svc.05", -1, 7, "[]") && renders("svc.06", 3, -1, "[]") &&
	    renders("svc.00", -1, -1, "[]") && ninst_of("solo") == -1,
	    "the same after the journal replay");

	/* and it follows from there */
	reg("svc.00", "i-0002", "down", 2);
	unreg("svc.hide", "i-0000");
	follower_pass();
	ok(renders("svc.00", -1, 2, "[]"), "a later change re-renders");
	ok(ninst_of("svc.hide") == NINST - 2, "a later removal re-renders");

	cache_clear();
	table_close(d.table);
	table_close(w);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
