/*
 * test_table_batch.c — the batch operations of the instance table
 * (table_renew_many, table_find_many, table_locate_many: software pipelines
 * whose prefetch stages only guess) give exactly the answers of the single-key
 * operations, at every batch size around the pipeline's depth, for keys short
 * and long, present, absent, evicted, expired and malformed; table_locate
 * finds what table_find finds, where table_find finds it; and a writer backs
 * slots with disk blocks before it uses them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "table.h"
#include "tap.h"

#define CAP	3000
#define NKEYS	4000	/* keys of the test: the first PRESENT are stored */
#define PRESENT	2500
#define TTL	30000
#define KEYMAX	300

static char dir[64];
static char err[512];
static char keys[NKEYS][KEYMAX];
static size_t klen[NKEYS];

static void
path_in_dir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Key i: lengths from 1 to 250 bytes, so keys end in the slot's first line, its
 * second, or further (the pipeline prefetches one or two lines). */
static void
make_keys(void)
{
	size_t i, j, len;
	int n;

	for (i = 0; i < NKEYS; i++) {
		n = snprintf(keys[i], KEYMAX, "%zu:", i);	/* unique prefix */
		len = 1 + (i * 7919) % 250;
		if (len < (size_t)n)
			len = (size_t)n;
		for (j = (size_t)n; j < len; j++)
			keys[i][j] = (char)('a' + (i + j * 13) % 26);
		klen[i] = len;
	}
}

static struct table *
fill(const char *name, int64_t now)
{
	char path[128], json[TABLE_SLOT_DATA];
	struct table *t;
	size_t i;
	int jl;

	path_in_dir(path, sizeof(path), name);
	if ((t = table_open_writer(path, CAP, err, sizeof(err))) == NULL)
		return NULL;
	for (i = 0; i < PRESENT; i++) {
		/* every fourth record's tail is in the slot's extension,
		 * every sixteenth's in its overflow */
		jl = snprintf(json, sizeof(json), "{\"i\":%zu,\"pad\":\"%0*d\"}", i,
		    i % 4 == 1 ? (int)(TABLE_SLOT_PRIMARY - 80 + i % 300 - klen[i]) :
		    i % 16 == 3 ? (int)(1200 + i % 2500 - klen[i]) : 1, 0);
		/* every third key expires long before the others */
		if (table_upsert(t, keys[i], klen[i], "SVC", 3, json, (size_t)jl,
		    i % 3 == 2 ? now - 10 * TTL : now, TTL, 0, ORIGIN_LOCAL, NULL) != 0)
			return NULL;
	}
	for (i = 0; i < PRESENT; i += 11)
		table_evict(t, keys[i], klen[i], now, ORIGIN_LOCAL);
	return t;
}

/* n keys picked pseudo-randomly from every kind, with malformed ones mixed in. */
static void
pick(struct table_key *ks, size_t n, unsigned seed)
{
	static const char big[TABLE_SLOT_DATA + 2];
	size_t i, k;

	for (i = 0; i < n; i++) {
		k = (size_t)(seed + i * 2654435761U) % NKEYS;
		ks[i].key = keys[k];
		ks[i].len = klen[k];
		if ((seed + i) % 97 == 5)
			ks[i].len = 0;
		else if ((seed + i) % 89 == 7) {
			ks[i].key = big;
			ks[i].len = sizeof(big);
		}
	}
}

static void
test_renew_many_matches(void)
{
	static const size_t sizes[] = { 0, 1, 2, 7, 8, 9, 16, 23, 24, 25, 31, 32, 33,
	    40, 63, 64, 65, 100, 257, 1000 };
	struct table_key ks[1000];
	int res[1000], want;
	int64_t now = 1000000;
	struct table *t;
	size_t s, i, n, renewed, count;
	int good = 1, counted = 1, kinds[3] = { 0, 0, 0 };

	if ((t = fill("renew.table", now)) == NULL) {
		ok(0, "fill: %s", err);
		return;
	}
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		n = sizes[s];
		pick(ks, n, (unsigned)s * 31);
		now++;
		renewed = table_renew_many(t, ks, n, now, ORIGIN_LOCAL, res);
		/* the same keys one by one, at the same time: renewing again at
		 * an unchanged now changes nothing, so the answers must agree */
		for (i = 0, count = 0; i < n; i++) {
			want = table_renew(t, ks[i].key, ks[i].len, now, ORIGIN_LOCAL);
			if (res[i] != want)
				good = 0;
			count += res[i] == 0;
			kinds[res[i] == 0 ? 0 : res[i] == -ENOENT ? 1 : 2]++;
		}
		if (count != renewed)
			counted = 0;
	}
	ok(good, "renew_many: every answer equals table_renew's, batch sizes 0-1000");
	ok(counted, "renew_many: the count is the number of zero results");
	ok(kinds[0] > 500 && kinds[1] > 500 && kinds[2] == 0,
	    "renew_many: renewed %d, refused %d (absent, evicted, expired, malformed)",
	    kinds[0], kinds[1]);
	ok(table_renew_many(t, ks, 0, now, ORIGIN_LOCAL, NULL) == 0,
	    "renew_many: an empty batch");
	table_close(t);
}

struct found {
	struct table	*t;
	size_t		 calls;
	size_t		 last;
	int		 in_order;
	int		 same;
	const struct table_key *ks;
};

static void
on_found(void *arg, size_t i, const struct table_rec *rec)
{
	struct found *f = arg;
	struct table_rec *one = malloc(sizeof(*one));

	if (f->calls > 0 && i <= f->last)
		f->in_order = 0;
	f->last = i;
	f->calls++;
	if (one == NULL || table_find(f->t, f->ks[i].key, f->ks[i].len, one) != 1 ||
	    one->slot != rec->slot || one->gen != rec->gen ||
	    one->key_len != f->ks[i].len ||
	    memcmp(rec->key, f->ks[i].key, f->ks[i].len) != 0 ||
	    rec->key[rec->key_len] != '\0' || rec->json_len != one->json_len ||
	    strcmp(rec->json, one->json) != 0 || strcmp(rec->service_id, "SVC") != 0)
		f->same = 0;
	free(one);
}

static void
find_many_on(struct table *t, const char *who)
{
	static const size_t sizes[] = { 1, 8, 31, 32, 33, 100, 1000 };
	struct table_key ks[1000];
	struct table_rec *rec = malloc(sizeof(*rec)), *one = malloc(sizeof(*one));
	struct found f;
	size_t s, i, n, hits, want;
	int good = 1;

	if (rec == NULL || one == NULL) {
		ok(0, "malloc");
		return;
	}
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		n = sizes[s];
		pick(ks, n, (unsigned)s * 17 + 3);
		memset(&f, 0, sizeof(f));
		f.t = t;
		f.ks = ks;
		f.in_order = f.same = 1;
		hits = table_find_many(t, ks, n, rec, on_found, &f);
		for (i = 0, want = 0; i < n; i++)
			want += (size_t)table_find(t, ks[i].key, ks[i].len, one);
		if (hits != want || f.calls != want || !f.in_order || !f.same ||
		    table_find_many(t, ks, n, rec, NULL, NULL) != want)
			good = 0;
	}
	ok(good, "find_many (%s): the keys table_find finds, in order, same copies",
	    who);
	free(rec);
	free(one);
}

static void
test_find_many_matches(void)
{
	char path[128];
	struct table *t, *rd;

	if ((t = fill("find.table", 1000000)) == NULL) {
		ok(0, "fill: %s", err);
		return;
	}
	find_many_on(t, "writer");
	path_in_dir(path, sizeof(path), "find.table");
	if ((rd = table_open_reader(path, err, sizeof(err))) == NULL)
		ok(0, "reader: %s", err);
	else {
		find_many_on(rd, "reader");
		table_close(rd);
	}
	table_close(t);
}

/* 1 if loc says where rec is, with rec's lease and ttl. */
static int
loc_is_rec(const struct table_loc *loc, const struct table_rec *rec)
{
	return loc->slot == rec->slot && loc->gen == rec->gen &&
	    loc->ttl_ms == rec->ttl_ms && loc->flags == rec->flags &&
	    loc->origin == rec->origin && loc->creation_ms == rec->creation_ms &&
	    loc->renewal_ms == rec->renewal_ms && loc->eviction_ms == rec->eviction_ms;
}

/* table_locate and table_locate_many against table_find, key by key. */
static void
locate_on(struct table *t, const char *who, int64_t now)
{
	static const size_t sizes[] = { 0, 1, 2, 7, 8, 9, 16, 23, 24, 25, 31, 32, 33,
	    40, 63, 64, 65, 100, 257, 1000 };
	static struct table_loc locs[1001];
	struct table_key ks[1000];
	struct table_rec *rec = malloc(sizeof(*rec));
	struct table_loc one, untouched;
	size_t s, i, n, hits, want;
	int single = 1, batch = 1, counted = 1, bounded = 1;
	int present = 0, absent = 0, evicted = 0, expired = 0;

	if (rec == NULL) {
		ok(0, "malloc");
		return;
	}
	memset(&untouched, 0x5a, sizeof(untouched));
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		n = sizes[s];
		pick(ks, n, (unsigned)s * 13 + 5);
		locs[n].slot = 12345;	/* past the batch: must stay */
		hits = table_locate_many(t, ks, n, locs);
		if (locs[n].slot != 12345)
			bounded = 0;
		for (i = 0, want = 0; i < n; i++) {
			one = untouched;
			if (table_find(t, ks[i].key, ks[i].len, rec) == 1) {
				want++;
				present++;
				evicted += rec->eviction_ms != 0;
				expired += now > rec->renewal_ms + (int64_t)rec->ttl_ms;
				if (table_locate(t, ks[i].key, ks[i].len, &one) != 1 ||
				    !loc_is_rec(&one, rec))
					single = 0;
				if (!loc_is_rec(&locs[i], rec))
					batch = 0;
			} else {
				absent++;
				if (table_locate(t, ks[i].key, ks[i].len, &one) != 0 ||
				    memcmp(&one, &untouched, sizeof(one)) != 0)
					single = 0;
				if (locs[i].slot != TABLE_LOC_NONE)
					batch = 0;
			}
		}
		if (hits != want)
			counted = 0;
	}
	ok(single, "locate (%s): present where table_find finds, same slot, gen, "
	    "ttl and lease; absent leaves out untouched", who);
	ok(batch, "locate_many (%s): every answer equals table_find's, batch sizes "
	    "0-1000", who);
	ok(counted && bounded, "locate_many (%s): the count is the keys present, "
	    "nothing written past n", who);
	ok(present > 500 && absent > 500 && evicted > 20 && expired > 100,
	    "locate (%s): present %d (evicted %d, expired %d), absent %d", who,
	    present, evicted, expired, absent);
	free(rec);
}

static void
test_locate_matches(void)
{
	char path[128];
	struct table *rd, *t;
	struct table_rec *rec = malloc(sizeof(*rec));
	struct table_loc loc;

	path_in_dir(path, sizeof(path), "locate.table");
	if (rec == NULL || (t = fill("locate.table", 1000000)) == NULL) {
		ok(0, "fill: %s", err);
		free(rec);
		return;
	}
	locate_on(t, "writer", 1000000);
	if ((rd = table_open_reader(path, err, sizeof(err))) == NULL)
		ok(0, "reader: %s", err);
	else {
		locate_on(rd, "reader", 1000000);
		/* removed by the cleaner: gone for both */
		ok(table_locate(rd, keys[3], klen[3], &loc) == 1 &&
		    table_remove(t, loc.slot, loc.gen, ORIGIN_LOCAL) == 0 &&
		    table_locate(rd, keys[3], klen[3], &loc) == 0 &&
		    table_find(rd, keys[3], klen[3], rec) == 0,
		    "locate: a removed instance is absent, as for table_find");
		/* re-registered: a fresh slot, located there */
		ok(table_locate(t, keys[4], klen[4], &loc) == 1 &&
		    table_upsert(t, keys[4], klen[4], "SVC", 3, "{}", 2, 1000001, TTL, 0,
		    ORIGIN_PEER, NULL) == 0 &&
		    table_find(rd, keys[4], klen[4], rec) == 1 &&
		    rec->slot != loc.slot &&
		    table_locate(rd, keys[4], klen[4], &loc) == 1 &&
		    loc_is_rec(&loc, rec) && loc.origin == ORIGIN_PEER &&
		    loc.creation_ms == 1000001 && loc.eviction_ms == 0,
		    "locate: a re-registration is located in its fresh slot");
		table_close(rd);
	}
	table_close(t);
	free(rec);
}

/* Keys longer than the slot's primary area: compared in its extension and
 * overflow too. */
static void
test_locate_long_keys(void)
{
	static const size_t lens[] = { 600, 607, 608, 609, 640, 700, 900, 989, 991,
	    992, 993, 1500, 4000 };
	enum { NLONG = sizeof(lens) / sizeof(lens[0]) };
	static char lk[2 * NLONG][TABLE_SLOT_DATA];
	struct table_key ks[2 * NLONG * 5];
	struct table_loc locs[2 * NLONG * 5];
	struct table_rec *rec = malloc(sizeof(*rec));
	struct table_loc loc;
	struct table *t, *rd = NULL;
	char path[128];
	size_t i, n, hits;
	int good = 1, stored = 1, r;

	path_in_dir(path, sizeof(path), "long.table");
	if (rec == NULL || (t = table_open_writer(path, 100, err, sizeof(err))) == NULL) {
		ok(0, "open: %s", err);
		free(rec);
		return;
	}
	/* pairs: the same bytes in the primary area, a different last byte (in
	 * the extension past 608, the overflow past 992); only the first of each
	 * pair is stored */
	for (i = 0; i < NLONG; i++) {
		memset(lk[2 * i], 'k', lens[i]);
		snprintf(lk[2 * i], 8, "%zu:", i);
		lk[2 * i][strlen(lk[2 * i])] = 'k';
		memcpy(lk[2 * i + 1], lk[2 * i], lens[i]);
		lk[2 * i + 1][lens[i] - 1] = 'x';
		if (table_upsert(t, lk[2 * i], lens[i], "S", 1, "{}", 2, 1000, TTL, 0,
		    ORIGIN_LOCAL, NULL) != 0)
			stored = 0;
	}
	ok(stored, "long keys of 600-4000 bytes stored");
	if ((rd = table_open_reader(path, err, sizeof(err))) == NULL)
		ok(0, "reader: %s", err);
	for (r = 0; r < 2; r++) {
		struct table *on = r == 0 ? t : rd;

		if (on == NULL)
			continue;
		for (i = 0; i < 2 * NLONG; i++) {
			int f = table_find(on, lk[i], lens[i / 2], rec);
			int l = table_locate(on, lk[i], lens[i / 2], &loc);

			if (f != (i % 2 == 0) || l != f || (f && !loc_is_rec(&loc, rec)))
				good = 0;
		}
		/* batches across the pipeline's depth, every key five times */
		for (n = 0; n < 2 * NLONG * 5; n++) {
			ks[n].key = lk[(n * 7) % (2 * NLONG)];
			ks[n].len = lens[((n * 7) % (2 * NLONG)) / 2];
		}
		for (n = 1; n <= 2 * NLONG * 5; n += 7) {
			hits = table_locate_many(on, ks, n, locs);
			for (i = 0; i < n; i++) {
				if (table_find(on, ks[i].key, ks[i].len, rec) == 1) {
					if (!loc_is_rec(&locs[i], rec))
						good = 0;
					hits--;
				} else if (locs[i].slot != TABLE_LOC_NONE)
					good = 0;
			}
			if (hits != 0)
				good = 0;
		}
	}
	ok(good, "locate, locate_many: long keys found as by table_find, writer and "
	    "reader; a key differing only in its extension or overflow is absent");
	if (rd != NULL)
		table_close(rd);
	table_close(t);
	free(rec);
}

static void
test_renew_many_reader(void)
{
	char path[128];
	struct table_key k = { keys[1], 0 };
	struct table *rd;
	int res[1] = { 0 };

	k.len = klen[1];
	path_in_dir(path, sizeof(path), "find.table");
	if ((rd = table_open_reader(path, err, sizeof(err))) == NULL) {
		ok(0, "reader: %s", err);
		return;
	}
	ok(table_renew_many(rd, &k, 1, 2000000, ORIGIN_LOCAL, res) == 0 &&
	    res[0] == -EROFS, "renew_many: refused on a reader");
	table_close(rd);
}

/* 1 if this directory's file system can fallocate. */
static int
can_fallocate(void)
{
	char path[128];
	int fd, r;

	path_in_dir(path, sizeof(path), "probe");
	if ((fd = open(path, O_RDWR | O_CREAT, 0600)) == -1)
		return 0;
	r = fallocate(fd, 0, 0, 4096) == 0;
	close(fd);
	unlink(path);
	return r;
}

/* A fresh table has disk blocks for its metadata and for the slots the writer
 * is about to use (table.h, CREATION): a full disk fails cleanly, not with a
 * SIGBUS at the first store to a hole. */
static void
test_backing(void)
{
	char path[128];
	struct table *t;
	static char json[TABLE_SLOT_DATA - 2];
	struct stat st;
	off_t before;

	if (!can_fallocate()) {
		ok(1, "backing: skipped, no fallocate on this file system");
		return;
	}
	path_in_dir(path, sizeof(path), "backed.table");
	if ((t = table_open_writer(path, 100000, err, sizeof(err))) == NULL ||
	    stat(path, &st) == -1) {
		ok(0, "open: %s", err);
		return;
	}
	before = (off_t)st.st_blocks * 512;
	/* header + journal + index + leases of 100,000 slots: over 6 MiB */
	ok(before > 6 * 1024 * 1024, "creation backs the metadata (%lld bytes)",
	    (long long)before);
	ok(table_upsert(t, "k", 1, "s", 1, "{}", 2, 1, TTL, 0, ORIGIN_LOCAL, NULL) == 0 &&
	    stat(path, &st) == 0 &&
	    (off_t)st.st_blocks * 512 >= before + 4096 * TABLE_SLOT_SIZE,
	    "the first upsert backs a chunk of slots (%lld bytes)",
	    (long long)st.st_blocks * 512);
	ok((off_t)st.st_blocks * 512 < st.st_size, "the rest stays sparse");
	before = (off_t)st.st_blocks * 512;
	memset(json, 'j', sizeof(json));
	ok(table_upsert(t, "k", 1, "s", 1, json, TABLE_SLOT_PRIMARY - 2, 2, TTL, 0,
	    ORIGIN_LOCAL, NULL) == 0 && stat(path, &st) == 0 &&
	    (off_t)st.st_blocks * 512 == before,
	    "a record that fits the primary area reserves no extension");
	ok(table_upsert(t, "k", 1, "s", 1, json, TABLE_EXT_END - 2, 3, TTL, 0,
	    ORIGIN_LOCAL, NULL) == 0 && stat(path, &st) == 0 &&
	    (off_t)st.st_blocks * 512 >= before + 12288 &&
	    (off_t)st.st_blocks * 512 < before + 2 * 12288,
	    "a 992-byte record reserves one chunk of extensions (%lld bytes more), "
	    "no overflow", (long long)(st.st_blocks * 512 - before));
	before = (off_t)st.st_blocks * 512;
	ok(table_upsert(t, "k", 1, "s", 1, json, sizeof(json), 4, TTL, 0,
	    ORIGIN_LOCAL, NULL) == 0 && stat(path, &st) == 0 &&
	    (off_t)st.st_blocks * 512 >= before + 12288 &&
	    (off_t)st.st_blocks * 512 < before + 2 * 12288,
	    "a 4064-byte record reserves one chunk of overflows (%lld bytes more)",
	    (long long)(st.st_blocks * 512 - before));
	table_close(t);
}

static void
cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

int
main(void)
{
	log_init("test_table_batch", 0);
	snprintf(dir, sizeof(dir), "/tmp/test_table_batch.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	make_keys();
	test_renew_many_matches();
	test_find_many_matches();
	test_renew_many_reader();
	test_locate_matches();
	test_locate_long_keys();
	test_backing();
	cleanup();
	return done_testing();
}
