/*
 * table-bench.c — one-core micro-benchmark of the instance table: upserts,
 * renewals and lookups per second, and the resident size of a full table.
 * Not built by default:
 *
 *   make build && cc -O2 -std=c11 -D_GNU_SOURCE -Ilibcommon \
 *       contrib/bench/table-bench.c build/release/libcommon.a -o build/table-bench
 *   build/table-bench [-n instances] [-d dir]
 *
 * Prints "name value unit" lines.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sbuf.h"
#include "table.h"

#define KEYLEN	64

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Resident and proportional set size of this process in KiB. */
static long
rss_kib(const char *field)
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

static int
make_key(char *buf, uint32_t i)
{
	return snprintf(buf, KEYLEN, "service-%u:10.%u.%u.%u:8080", i % 5000,
	    (i >> 16) & 255, (i >> 8) & 255, i & 255);
}

int
main(int argc, char *argv[])
{
	struct table_rec *r;
	struct table *t;
	const char *dir = "/tmp";
	char path[512], err[512], svc[32], json[400], *keys;
	struct table_key *batch;
	uint32_t n = 1000000, i, j, found = 0;
	int ch, *klen, rounds = 5, k;
	double t0, dt;
	int64_t now = 1700000000000;

	while ((ch = getopt(argc, argv, "n:d:")) != -1) {
		if (ch == 'n')
			n = (uint32_t)strtoul(optarg, NULL, 10);
		else if (ch == 'd')
			dir = optarg;
		else {
			fprintf(stderr, "usage: table-bench [-n instances] [-d dir]\n");
			return 2;
		}
	}
	snprintf(path, sizeof(path), "%s/table-bench.%d.table", dir, (int)getpid());
	keys = malloc((size_t)n * KEYLEN);
	klen = malloc((size_t)n * sizeof(int));
	r = malloc(sizeof(*r));
	if (keys == NULL || klen == NULL || r == NULL)
		return 1;
	for (i = 0; i < n; i++)
		klen[i] = make_key(keys + (size_t)i * KEYLEN, i);
	memset(json, 'j', sizeof(json));
	json[0] = '{';
	json[sizeof(json) - 1] = '}';

	if ((t = table_open_writer(path, n, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* first fill: includes the page faults of a fresh sparse file */
	t0 = now_s();
	for (i = 0; i < n; i++) {
		k = snprintf(svc, sizeof(svc), "SERVICE-%u", i % 5000);
		if (table_upsert(t, keys + (size_t)i * KEYLEN, klen[i], svc, k, json,
		    sizeof(json), now, 30000, 0, ORIGIN_LOCAL, NULL) != 0) {
			fprintf(stderr, "upsert %u failed\n", i);
			return 1;
		}
	}
	dt = now_s() - t0;
	printf("table_fill %.0f upserts/s\n", n / dt);
	printf("table_rss_full %.1f MiB\n", rss_kib("Rss:") / 1024.0);
	printf("table_pss_full %.1f MiB\n", rss_kib("Pss:") / 1024.0);

	/* re-registrations of existing keys (fresh slot, index switch, free) */
	t0 = now_s();
	for (i = 0; i < n; i++) {
		k = snprintf(svc, sizeof(svc), "SERVICE-%u", i % 5000);
		table_upsert(t, keys + (size_t)i * KEYLEN, klen[i], svc, k, json,
		    sizeof(json), now, 30000, 0, ORIGIN_LOCAL, NULL);
	}
	dt = now_s() - t0;
	printf("table_upsert %.0f upserts/s\n", n / dt);

	/* renewals in key order (a batched heartbeat), then at random */
	t0 = now_s();
	for (k = 0; k < rounds; k++)
		for (i = 0; i < n; i++)
			if (table_renew(t, keys + (size_t)i * KEYLEN, klen[i], now + k,
			    ORIGIN_LOCAL) != 0)
				return 1;
	dt = now_s() - t0;
	printf("table_renew %.0f renewals/s\n", (double)n * rounds / dt);
	srandom(1);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		uint32_t x = (uint32_t)random() % n;

		if (table_renew(t, keys + (size_t)x * KEYLEN, klen[x], now + 10,
		    ORIGIN_LOCAL) != 0)
			return 1;
	}
	dt = now_s() - t0;
	printf("table_renew_random %.0f renewals/s\n", n / dt);

	/* the same through table_renew_many, in batches of 100 */
	batch = malloc(100 * sizeof(*batch));
	if (batch == NULL)
		return 1;
	t0 = now_s();
	for (k = 0; k < rounds; k++)
		for (i = 0; i < n; i += 100) {
			for (j = 0; j < 100 && i + j < n; j++) {
				batch[j].key = keys + (size_t)(i + j) * KEYLEN;
				batch[j].len = klen[i + j];
			}
			if (table_renew_many(t, batch, j, now + k, ORIGIN_LOCAL, NULL) != j)
				return 1;
		}
	dt = now_s() - t0;
	printf("table_renew_batch %.0f renewals/s\n", (double)n * rounds / dt);
	t0 = now_s();
	for (i = 0; i < n; i += 100) {
		for (j = 0; j < 100 && i + j < n; j++) {
			uint32_t x = (uint32_t)random() % n;

			batch[j].key = keys + (size_t)x * KEYLEN;
			batch[j].len = klen[x];
		}
		if (table_renew_many(t, batch, j, now + 10, ORIGIN_LOCAL, NULL) != j)
			return 1;
	}
	dt = now_s() - t0;
	printf("table_renew_batch_random %.0f renewals/s\n", n / dt);
	free(batch);

	/* lookups with a full copy, in key order and at random */
	t0 = now_s();
	for (i = 0; i < n; i++)
		found += table_find(t, keys + (size_t)i * KEYLEN, klen[i], r);
	dt = now_s() - t0;
	printf("table_find %.0f lookups/s\n", n / dt);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		uint32_t x = (uint32_t)random() % n;

		found += table_find(t, keys + (size_t)x * KEYLEN, klen[x], r);
	}
	dt = now_s() - t0;
	printf("table_find_random %.0f lookups/s\n", n / dt);
	if (found != 2 * n)
		fprintf(stderr, "found %u of %u\n", found, 2 * n);

	/* a full linear scan, as the cleaner and readers' rescans do */
	t0 = now_s();
	for (i = 0, found = 0; i < table_hwm(t); i++)
		found += table_read_slot(t, i, r);
	dt = now_s() - t0;
	printf("table_scan %.0f slots/s\n", table_hwm(t) / dt);

	table_close(t);
	unlink(path);
	free(keys);
	free(klen);
	free(r);
	return 0;
}
