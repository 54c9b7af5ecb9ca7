/*
 * test_artemis-discoveryd_warmrace.c — the initial load of artemis-discoveryd
 * while a writer re-registers (each time into a fresh slot), removes and adds
 * instances: once the journal is replayed, every service renders exactly the
 * instances the table holds, each once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
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
static atomic_int		 stop;
static atomic_long		 writes;

#define NSVC	50
#define NINST	200		/* per service */

static void
reg(int svc, int inst, int round)
{
	char key[128], id[32], s[32], json[512];

	snprintf(s, sizeof(s), "svc.%02d", svc);
	snprintf(id, sizeof(id), "i-%04d", inst);
	snprintf(key, sizeof(key), "sha\x1f%s\x1f%s", s, id);
	snprintf(json, sizeof(json), "{\"instanceId\":\"%s\",\"round\":%d,"
	    "\"serviceId\":\"%s\",\"status\":\"up\"}", id, round, s);
	if (table_upsert(w, key, strlen(key), s, strlen(s), json, strlen(json),
	    now_ms(), 60000, 0, ORIGIN_LOCAL, NULL) != 0)
		fatalx("upsert %s/%s", s, id);
}

static void
unreg(int svc, int inst)
{
	char key[128];
	struct table_rec rec;

	snprintf(key, sizeof(key), "sha\x1fsvc.%02d\x1fi-%04d", svc, inst);
	if (table_find(w, key, strlen(key), &rec) == 1)
		table_remove(w, rec.slot, rec.gen, ORIGIN_LOCAL);
}

/* Churn: re-register, remove, add back, spread over every service. */
static void *
writer(void *arg)
{
	unsigned seed = 7;
	int round = 1, svc, inst;

	(void)arg;
	while (!atomic_load(&stop)) {
		svc = (int)(rand_r(&seed) % NSVC);
		inst = (int)(rand_r(&seed) % NINST);
		switch (rand_r(&seed) % 3) {
		case 0:
			unreg(svc, inst);
			break;
		default:
			reg(svc, inst, round++);
			break;
		}
		atomic_fetch_add(&writes, 1);
	}
	return NULL;
}

/* Every live slot's JSON is in its service's rendering, and each rendering
 * holds as many instances as the table has live slots for it. */
static int
matches_table(void)
{
	struct table_rec rec;
	struct rendered *r;
	size_t want[NSVC];
	uint32_t i;
	int k, good = 1;
	char s[32];

	memset(want, 0, sizeof(want));
	for (i = 0; i < table_hwm(d.table); i++) {
		if (!table_read_slot(d.table, i, &rec))
			continue;
		k = atoi(rec.service_id + 4);
		want[k]++;
		r = cache_get(rec.service_id);
		if (r == NULL || memmem(r->body->data, r->body->len, rec.json,
		    rec.json_len) == NULL) {
			printf("# %s: missing %s\n", rec.service_id, rec.json);
			good = 0;
		}
		rendered_unref(r);
	}
	for (k = 0; k < NSVC; k++) {
		snprintf(s, sizeof(s), "svc.%02d", k);
		r = cache_get(s);
		if ((r != NULL ? r->ninst : 0) != want[k]) {
			printf("# %s: %zu instances, the table has %zu\n", s,
			    r != NULL ? r->ninst : 0, want[k]);
			good = 0;
		}
		rendered_unref(r);
	}
	return good;
}

int
main(void)
{
	static struct config cfg;
	char dir[] = "/tmp/test-discoveryd-warmrace.XXXXXX", path[512], err[256];
	pthread_t t;
	long before;
	int i, k;

	log_init("test", 0);
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	snprintf(path, sizeof(path), "%s/%s", dir, TABLE_FILE);
	config_defaults(&cfg);
	strlcpy(cfg.region, "sha", sizeof(cfg.region));
	strlcpy(cfg.zone, "sha-z1", sizeof(cfg.zone));
	d.cfg = &cfg;
	if ((w = table_open_writer(path, 2 * NSVC * NINST, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((d.table = table_open_reader(path, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	strlcpy(d.table_path, path, sizeof(d.table_path));
	cache_init();
	for (i = 0; i < NINST; i++)
		for (k = 0; k < NSVC; k++)
			reg(k, i, 0);

	if ((errno = pthread_create(&t, NULL, writer, NULL)) != 0)
		fatal("pthread_create");
	while (atomic_load(&writes) < 100)	/* the writer is going */
		usleep(100);
	before = atomic_load(&writes);
	follower_init();
	atomic_store(&stop, 1);
	if ((errno = pthread_join(t, NULL)) != 0)
		fatal("pthread_join");
	ok(atomic_load(&writes) > before, "the writer wrote during the load (%ld)",
	    atomic_load(&writes) - before);
	for (i = 0; i < 100 && follower_seq() != table_change_seq(d.table); i++)
		follower_pass();
	ok(follower_seq() == table_change_seq(d.table), "caught up to change_seq");
	ok(matches_table(), "every service renders what the table holds");

	cache_clear();
	table_close(d.table);
	table_close(w);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
