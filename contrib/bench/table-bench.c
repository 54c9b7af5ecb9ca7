/*
 * table-bench.c — one-core micro-benchmark of the instance table: upserts,
 * renewals and lookups per second, and the resident size of a full table.
 * Built by contrib/bench/run (build_tools) against build/release/libcommon.a:
 *
 *   table-bench [-c] [-n instances] [-d dir] [-o name,...]
 *
 * Prints "name value unit" lines (with -o, only the named measurements, for
 * quick A/B comparisons; the first fill always runs, it makes the table). -c
 * times the lookups and renewals by this thread's CPU clock instead of the
 * wall clock: on a busy machine the time the thread waits for a core is left
 * out (A/B comparisons; make bench uses the wall clock):
 *
 *   table_fill                upserts of a fresh file (its pages are new)
 *   table_rss_full            resident size of the table's mapping, full (MiB)
 *   table_pmd_full            of which mapped in 2 MiB pages (FilePmdMapped)
 *   table_rss_process         this process's resident size (table + key arrays)
 *   table_pss_full            this process's proportional set size
 *   table_upsert              upserts replacing live instances
 *   table_renew               renewals by key through table_renew_many (the
 *                             heartbeat path), batches of 100 keys in key order
 *   table_renew_random        the same, keys in random order
 *   table_renew_single        single-key table_renew, key order
 *   table_renew_single_random single-key table_renew, random order
 *   table_find                single-key table_find (copy out), key order
 *   table_find_random         single-key table_find, random order
 *   table_find_batch          table_find_many (copy out), batches of 100, key order
 *   table_find_batch_random   the same, random order
 *   table_locate              single-key table_locate (slot, gen, lease times;
 *                             no copy), key order
 *   table_locate_random       single-key table_locate, random order
 *   table_locate_batch        table_locate_many, batches of 100, key order
 *   table_locate_batch_random the same, random order
 *   table_scan                table_read_slot over every slot (cleaner, rescans)
 *
 * Keys are used the way a server has them: a batch of 100 is copied into a small
 * buffer before its clock starts, so the figures time the table, not this
 * tool's 64 MiB key array (a server's keys come from a request just parsed).
 * Random order is a fresh permutation per pass: every key once.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "table.h"

#define KEYLEN	64
#define BATCH	100
#define NSVC	5000
#define ROUNDS	3

struct bench {
	struct table	*t;
	uint32_t	 n;
	char		*keys;		/* n keys of KEYLEN bytes */
	int		*klen;
	uint32_t	*order;		/* this pass's key order */
	char		 hot[BATCH][KEYLEN];	/* the batch being timed */
	struct table_key batch[BATCH];
	struct table_rec *rec;
	struct table_loc loc[BATCH];
	int64_t		 now;
	const char	*only;		/* -o: comma-separated names, or NULL */
};

/* Whether measurement name was asked for (every one without -o). */
static int
wanted(const struct bench *b, const char *name)
{
	const char *p = b->only;
	size_t n = strlen(name);

	if (p == NULL)
		return 1;
	while ((p = strstr(p, name)) != NULL) {
		if ((p == b->only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/* Runs and prints measure(op, random_order) if asked for. */
#define MEASURE(b, name, op, rnd, unit) do {				\
	if (wanted(b, name))						\
		printf("%s %.0f %s\n", name, measure(b, op, rnd), unit);	\
} while (0)

static clockid_t measure_clock = CLOCK_MONOTONIC;	/* -c: the thread's */

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* A field of /proc/self/smaps_rollup in KiB (the whole process). */
static long
process_kib(const char *field)
{
	char line[256];
	long v = -1;
	FILE *f;

	if ((f = fopen("/proc/self/smaps_rollup", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field), NULL, 10);
	fclose(f);
	return v;
}

/* A field (Rss:, FilePmdMapped:) in KiB of the mappings of file path in
 * /proc/self/smaps: the table alone. Matched by device and inode (the mapping
 * may name the file it was created as). */
static long
mapping_kib(const char *path, const char *field)
{
	char line[1024], perms[8];
	unsigned long start, end, off, ino;
	unsigned maj, min;
	struct stat st;
	long v = 0;
	int ours = 0;
	FILE *f;

	if (stat(path, &st) == -1 || (f = fopen("/proc/self/smaps", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* a mapping's first line: "start-end perms offset dev inode path" */
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms, &off,
		    &maj, &min, &ino) == 7) {
			ours = ino == st.st_ino && makedev(maj, min) == st.st_dev;
			continue;
		}
		if (ours && strncmp(line, field, strlen(field)) == 0)
			v += strtol(line + strlen(field), NULL, 10);
	}
	fclose(f);
	return v;
}

static int
make_key(char *buf, uint32_t i)
{
	return snprintf(buf, KEYLEN, "service-%u:10.%u.%u.%u:8080", i % NSVC,
	    (i >> 16) & 255, (i >> 8) & 255, i & 255);
}

static void
shuffle(struct bench *b, int random_order)
{
	uint32_t i, j, x;

	for (i = 0; i < b->n; i++)
		b->order[i] = i;
	if (!random_order)
		return;
	for (i = b->n - 1; i > 0; i--) {
		j = (uint32_t)random() % (i + 1);
		x = b->order[i];
		b->order[i] = b->order[j];
		b->order[j] = x;
	}
}

/* Copies keys order[i, i + m) into the hot buffer. */
static void
gather(struct bench *b, uint32_t i, uint32_t m)
{
	uint32_t j, k;

	for (j = 0; j < m; j++) {
		k = b->order[i + j];
		memcpy(b->hot[j], b->keys + (size_t)k * KEYLEN, KEYLEN);
		b->batch[j].key = b->hot[j];
		b->batch[j].len = (size_t)b->klen[k];
	}
}

enum op { OP_RENEW_MANY, OP_RENEW, OP_FIND_MANY, OP_FIND, OP_LOCATE_MANY, OP_LOCATE };

/* One batch of m keys; returns how many succeeded. */
static uint32_t
run_batch(struct bench *b, enum op op, uint32_t m, int64_t now)
{
	uint32_t j, ok = 0;

	switch (op) {
	case OP_RENEW_MANY:
		return (uint32_t)table_renew_many(b->t, b->batch, m, now, ORIGIN_LOCAL,
		    NULL);
	case OP_RENEW:
		for (j = 0; j < m; j++)
			ok += table_renew(b->t, b->batch[j].key, b->batch[j].len, now,
			    ORIGIN_LOCAL) == 0;
		return ok;
	case OP_FIND_MANY:
		return (uint32_t)table_find_many(b->t, b->batch, m, b->rec, NULL, NULL);
	case OP_FIND:
		for (j = 0; j < m; j++)
			ok += (uint32_t)table_find(b->t, b->batch[j].key, b->batch[j].len,
			    b->rec);
		return ok;
	case OP_LOCATE_MANY:
		return (uint32_t)table_locate_many(b->t, b->batch, m, b->loc);
	case OP_LOCATE:
		for (j = 0; j < m; j++)
			ok += (uint32_t)table_locate(b->t, b->batch[j].key,
			    b->batch[j].len, &b->loc[j]);
		return ok;
	}
	return 0;
}

/* ROUNDS passes over every key; operations per second of time inside the table. */
static double
measure(struct bench *b, enum op op, int random_order)
{
	double spent = 0, t0;
	uint32_t i, m;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		shuffle(b, random_order);
		b->now++;
		for (i = 0; i < b->n; i += m) {
			m = b->n - i < BATCH ? b->n - i : BATCH;
			gather(b, i, m);
			t0 = clock_s(measure_clock);
			if (run_batch(b, op, m, b->now) != m) {
				fprintf(stderr, "operation %d failed at key %u\n", (int)op,
				    b->order[i]);
				exit(1);
			}
			spent += clock_s(measure_clock) - t0;
		}
	}
	return (double)b->n * ROUNDS / spent;
}

/* Upserts of every key (svc names made beforehand); upserts per second. */
static double
upsert_all(struct bench *b, char (*svc)[16], const int *svc_len, const char *json,
    size_t json_len)
{
	uint32_t i;
	double t0 = now_s();
	int rc;

	for (i = 0; i < b->n; i++)
		if ((rc = table_upsert(b->t, b->keys + (size_t)i * KEYLEN, b->klen[i],
		    svc[i % NSVC], svc_len[i % NSVC], json, json_len, b->now, 30000, 0,
		    ORIGIN_LOCAL, NULL)) != 0) {
			fprintf(stderr, "upsert %u: %s\n", i, strerror(-rc));
			exit(1);
		}
	return b->n / (now_s() - t0);
}

int
main(int argc, char *argv[])
{
	static struct bench bench;
	struct bench *b = &bench;
	static char svc[NSVC][16];
	static int svc_len[NSVC];
	const char *dir = "/tmp";
	char path[512], err[512], json[400];
	uint32_t i, found = 0;
	double t0, dt;
	int ch;

	b->n = 1000000;
	b->now = 1700000000000;
	while ((ch = getopt(argc, argv, "cn:d:o:")) != -1) {
		if (ch == 'c')
			measure_clock = CLOCK_THREAD_CPUTIME_ID;
		else if (ch == 'n')
			b->n = (uint32_t)strtoul(optarg, NULL, 10);
		else if (ch == 'd')
			dir = optarg;
		else if (ch == 'o')
			b->only = optarg;
		else {
			fprintf(stderr, "usage: table-bench [-c] [-n instances] [-d dir] "
			    "[-o name,...]\n");
			return 2;
		}
	}
	if (b->n == 0)
		return 2;
	snprintf(path, sizeof(path), "%s/table-bench.%d.table", dir, (int)getpid());
	b->keys = malloc((size_t)b->n * KEYLEN);
	b->klen = malloc((size_t)b->n * sizeof(int));
	b->order = malloc((size_t)b->n * sizeof(uint32_t));
	b->rec = malloc(sizeof(*b->rec));
	if (b->keys == NULL || b->klen == NULL || b->order == NULL || b->rec == NULL)
		return 1;
	for (i = 0; i < b->n; i++)
		b->klen[i] = make_key(b->keys + (size_t)i * KEYLEN, i);
	for (i = 0; i < NSVC; i++)
		svc_len[i] = snprintf(svc[i], sizeof(svc[i]), "SERVICE-%u", i);
	memset(json, 'j', sizeof(json));
	json[0] = '{';
	json[sizeof(json) - 1] = '}';
	srandom(1);

	if ((b->t = table_open_writer(path, b->n, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* first fill: includes providing the pages of a fresh file */
	printf("table_fill %.0f upserts/s\n",
	    upsert_all(b, svc, svc_len, json, sizeof(json)));
	if (wanted(b, "table_rss_full"))
		printf("table_rss_full %.1f MiB\n",
		    mapping_kib(path, "Rss:") / 1024.0);
	if (wanted(b, "table_pmd_full"))
		printf("table_pmd_full %.1f MiB\n",
		    mapping_kib(path, "FilePmdMapped:") / 1024.0);
	if (wanted(b, "table_rss_process"))
		printf("table_rss_process %.1f MiB\n", process_kib("Rss:") / 1024.0);
	if (wanted(b, "table_pss_full"))
		printf("table_pss_full %.1f MiB\n", process_kib("Pss:") / 1024.0);
	/* re-registrations of existing keys (fresh slot, index switch, free) */
	if (wanted(b, "table_upsert"))
		printf("table_upsert %.0f upserts/s\n",
		    upsert_all(b, svc, svc_len, json, sizeof(json)));

	MEASURE(b, "table_renew", OP_RENEW_MANY, 0, "renewals/s");
	MEASURE(b, "table_renew_random", OP_RENEW_MANY, 1, "renewals/s");
	MEASURE(b, "table_renew_single", OP_RENEW, 0, "renewals/s");
	MEASURE(b, "table_renew_single_random", OP_RENEW, 1, "renewals/s");
	MEASURE(b, "table_find", OP_FIND, 0, "lookups/s");
	MEASURE(b, "table_find_random", OP_FIND, 1, "lookups/s");
	MEASURE(b, "table_find_batch", OP_FIND_MANY, 0, "lookups/s");
	MEASURE(b, "table_find_batch_random", OP_FIND_MANY, 1, "lookups/s");
	MEASURE(b, "table_locate", OP_LOCATE, 0, "lookups/s");
	MEASURE(b, "table_locate_random", OP_LOCATE, 1, "lookups/s");
	MEASURE(b, "table_locate_batch", OP_LOCATE_MANY, 0, "lookups/s");
	MEASURE(b, "table_locate_batch_random", OP_LOCATE_MANY, 1, "lookups/s");

	/* a full linear scan, as the cleaner and readers' rescans do */
	if (wanted(b, "table_scan")) {
		t0 = now_s();
		for (i = 0; i < table_hwm(b->t); i++)
			found += table_read_slot(b->t, i, b->rec);
		dt = now_s() - t0;
		printf("table_scan %.0f slots/s\n", table_hwm(b->t) / dt);
		if (found != b->n)
			fprintf(stderr, "scan found %u of %u\n", found, b->n);
	}

	table_close(b->t);
	unlink(path);
	free(b->keys);
	free(b->klen);
	free(b->order);
	free(b->rec);
	return 0;
}
