/*
 * test_table.c — the shared instance table: basic operations, journal, recovery
 * after a cut-short writer, concurrent readers (separate processes) and renewal
 * threads, a SIGKILLed writer, and refusal of foreign files. Attach modes (clean,
 * between operations, layout-1, -2 and -3 migrations), a writer killed at every
 * step of every operation and repaired from its intent, and a repair killed in
 * turn.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sbuf.h"
#include "table.h"
#include "tap.h"

#define TTL		30000
#define NKEYS		2000
#define RUN_MS		2000

static char dir[64];
static char err[512];

static void
path_in_dir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* ------------------------------------------------------------ self-checking JSON */

static uint32_t
fnv32(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
}

/* {"key":"<key>","n":<n>,"pad":"<n-dependent>","sum":<fnv of all before ,"sum">} */
static size_t
make_json(char *buf, size_t cap, const char *key, long n)
{
	size_t len, pad = (size_t)(n % 251) + 10;
	int r;

	r = snprintf(buf, cap, "{\"key\":\"%s\",\"n\":%ld,\"pad\":\"", key, n);
	len = (size_t)r;
	if (pad > cap - len - 40)
		pad = cap - len - 40;
	memset(buf + len, 'a' + (int)(n % 26), pad);
	len += pad;
	buf[len++] = '"';
	r = snprintf(buf + len, cap - len, ",\"sum\":%u}", fnv32(buf, len));
	return len + (size_t)r;
}

/* 1 if rec is one whole version written by make_json for its own key. */
static int
rec_consistent(const struct table_rec *r)
{
	char want[TABLE_SLOT_DATA];
	const char *p;
	unsigned long sum;

	if (strlen(r->key) != r->key_len || strlen(r->json) != r->json_len ||
	    strlen(r->service_id) != r->svc_len)
		return 0;
	if (strncasecmp(r->key, r->service_id, r->svc_len) != 0 ||
	    r->key[r->svc_len] != ':')
		return 0;
	snprintf(want, sizeof(want), "{\"key\":\"%s\",", r->key);
	if (strncmp(r->json, want, strlen(want)) != 0)
		return 0;
	if ((p = strstr(r->json, ",\"sum\":")) == NULL)
		return 0;
	sum = strtoul(p + 7, NULL, 10);
	return sum == fnv32(r->json, (size_t)(p - r->json));
}

static long
rec_n(const struct table_rec *r)
{
	const char *p = strstr(r->json, "\"n\":");

	return p != NULL ? strtol(p + 4, NULL, 10) : -1;
}

static void
key_of(char *buf, size_t len, char *svc, size_t svclen, int i)
{
	snprintf(svc, svclen, "SVC-%d", i % 37);
	snprintf(buf, len, "svc-%d:inst-%d", i % 37, i);
}

/*
 * Like make_json, about want bytes long (never more): a record whose tail is in
 * the slot's extension.
 */
static size_t
make_long_json(char *buf, size_t cap, const char *key, long n, size_t want)
{
	size_t len, pad;
	int r;

	r = snprintf(buf, cap, "{\"key\":\"%s\",\"n\":%ld,\"pad\":\"", key, n);
	len = (size_t)r;
	pad = want > len + 20 ? want - len - 19 : 1;	/* '"' + ,"sum":N} <= 19 */
	if (pad > cap - len - 40)
		pad = cap - len - 40;
	memset(buf + len, 'a' + (int)(n % 26), pad);
	len += pad;
	buf[len++] = '"';
	r = snprintf(buf + len, cap - len, ",\"sum\":%u}", fnv32(buf, len));
	return len + (size_t)r;
}

/* Every fourth key's records are long: 590 to 4039 bytes in all, around and far
 * beyond the end of the slot's primary area, in its extension and overflow. */
static int
put(struct table *t, int i, long n, int64_t now, uint8_t origin, uint64_t *seq)
{
	char key[64], svc[32], json[TABLE_SLOT_DATA + 64];
	size_t jl, kl, vl;

	key_of(key, sizeof(key), svc, sizeof(svc), i);
	kl = strlen(key);
	vl = strlen(svc);
	if (i % 4 == 0)
		jl = make_long_json(json, sizeof(json), key, n,
		    590 + (size_t)(n * 37 % 3450) - kl - vl);
	else
		jl = make_json(json, 512, key, n);
	return table_upsert(t, key, kl, svc, vl, json, jl, now, TTL, 0, origin, seq);
}

static int
renew_key(struct table *t, const char *key, size_t len, int64_t now)
{
	return table_renew(t, key, len, now, ORIGIN_LOCAL);
}

static int
find_i(struct table *t, int i, struct table_rec *r)
{
	char key[64], svc[32];

	key_of(key, sizeof(key), svc, sizeof(svc), i);
	return table_find(t, key, strlen(key), r);
}

static int
renew_i(struct table *t, int i, int64_t now, uint8_t origin)
{
	char key[64], svc[32];

	key_of(key, sizeof(key), svc, sizeof(svc), i);
	return table_renew(t, key, strlen(key), now, origin);
}

static int
evict_i(struct table *t, int i, int64_t now, uint8_t origin)
{
	char key[64], svc[32];

	key_of(key, sizeof(key), svc, sizeof(svc), i);
	return table_evict(t, key, strlen(key), now, origin);
}

static int
jget(struct table *t, uint64_t seq, int kind, int origin, uint32_t slot)
{
	struct table_journal_rec j;

	if (table_journal_get(t, seq, &j) != 0)
		return 0;
	return atomic_load(&j.seq) == seq && j.kind == kind && j.origin == origin &&
	    j.slot == slot;
}

/* ------------------------------------------------------------ basic */

/* 1 if the bytes of want (of a total-byte record whose JSON starts at byte 8)
 * are where they belong: in the extension from byte 608, the overflow from 992. */
static int
tails_right(struct table *t, uint32_t slot, const char *json, size_t total)
{
	const char *ext = table_slot_ext(t, slot), *ovf = table_slot_ovf(t, slot);
	size_t in_ext;

	if (total <= TABLE_SLOT_PRIMARY)
		return 1;
	in_ext = (total < TABLE_EXT_END ? total : TABLE_EXT_END) - TABLE_SLOT_PRIMARY;
	if (ext == NULL || memcmp(ext, json + (TABLE_SLOT_PRIMARY - 8), in_ext) != 0)
		return 0;
	return total <= TABLE_EXT_END || (ovf != NULL &&
	    memcmp(ovf, json + (TABLE_EXT_END - 8), total - TABLE_EXT_END) == 0);
}

/* Records around the ends of the primary area and extension, whose tails are in
 * the extension and overflow. */
static void
test_extension_sizes(struct table *t, int64_t now)
{
	static const size_t total[] = { TABLE_SLOT_PRIMARY - 1, TABLE_SLOT_PRIMARY,
	    TABLE_SLOT_PRIMARY + 1, TABLE_EXT_END - 1, TABLE_EXT_END,
	    TABLE_EXT_END + 1, 3500, TABLE_SLOT_DATA - 1, TABLE_SLOT_DATA };
	static char json[TABLE_SLOT_DATA + 1], key[TABLE_SLOT_DATA + 1];
	struct table_rec r;
	size_t i, k, jl, kl;
	int good;

	ok(TABLE_SLOT_DATA == 4064 && TABLE_SLOT_PRIMARY == 608 &&
	    TABLE_EXT_END == 992, "4064-byte records: 608 in the slot, 384 in the "
	    "extension, 3072 in the overflow");
	for (i = 0; i < sizeof(total) / sizeof(total[0]); i++) {
		jl = total[i] - 5 - 3;	/* key "ext:N", serviceId "ext" */
		for (k = 0; k < jl; k++)
			json[k] = (char)('a' + (k + i) % 26);
		snprintf(key, sizeof(key), "ext:%zu", i);
		good = table_upsert(t, key, 5, "ext", 3, json, jl, now, TTL, 0,
		    ORIGIN_LOCAL, NULL) == 0 && table_find(t, key, 5, &r) == 1 &&
		    r.json_len == jl && memcmp(r.json, json, jl) == 0 &&
		    r.json[jl] == '\0' && strcmp(r.service_id, "ext") == 0;
		good = good && tails_right(t, r.slot, json, total[i]);
		ok(good, "a %zu-byte record read back whole (tail in the %s)",
		    total[i], total[i] > TABLE_EXT_END ? "overflow" :
		    total[i] > TABLE_SLOT_PRIMARY ? "extension" : "slot");
		if (good && (total[i] == TABLE_SLOT_PRIMARY + 1 ||
		    total[i] == TABLE_SLOT_DATA)) {
			ok(table_read_slot(t, r.slot, &r) == 1 && r.json_len == jl &&
			    memcmp(r.json, json, jl) == 0, "read by slot too");
		}
		if (table_find(t, key, 5, &r) == 1)	/* room for the next */
			table_remove(t, r.slot, r.gen, ORIGIN_LOCAL);
	}
	ok(table_upsert(t, "ext:x", 5, "ext", 3, json, TABLE_SLOT_DATA - 7, now, TTL,
	    0, ORIGIN_LOCAL, NULL) == -E2BIG, "a 4065-byte record: -E2BIG");
	/* a key that itself crosses into the extension, and the overflow */
	for (kl = TABLE_SLOT_PRIMARY - 2; kl <= TABLE_EXT_END + 40;
	    kl += kl < TABLE_SLOT_PRIMARY + 40 ? 21 : kl < TABLE_EXT_END - 2 ?
	    TABLE_EXT_END - 2 - kl : 21) {
		memset(key, 'K', kl);
		key[0] = 'L';
		key[kl - 1] = (char)('0' + kl % 10);
		good = table_upsert(t, key, kl, "svc", 3, "{}", 2, now, TTL, 0,
		    ORIGIN_LOCAL, NULL) == 0 && table_find(t, key, kl, &r) == 1 &&
		    r.key_len == kl && memcmp(r.key, key, kl) == 0 &&
		    strcmp(r.json, "{}") == 0 && renew_key(t, key, kl, now + 1) == 0;
		key[kl - 2] = 'x';	/* differs in its last part only */
		good = good && table_find(t, key, kl, &r) == 0;
		key[kl - 2] = 'K';
		ok(good, "a %zu-byte key: found, renewed, not confused", kl);
		ok(table_find(t, key, kl, &r) == 1 &&
		    table_remove(t, r.slot, r.gen, ORIGIN_LOCAL) == 0, "and removed");
	}
}

static void
test_basic(void)
{
	struct table_rec r;
	struct table_journal_rec j;
	struct table *t, *rd;
	char path[128], big[TABLE_SLOT_DATA + 8];
	uint64_t seq = 0, cs;
	uint32_t s1, s2, g2;
	int64_t now = 1700000000000;
	int i, rc;

	path_in_dir(path, sizeof(path), "basic.table");
	t = table_open_writer(path, 8, err, sizeof(err));
	ok(t != NULL, "create writer table (%s)", t ? "" : err);
	if (t == NULL)
		return;
	ok(table_capacity(t) == 8 && table_live(t) == 0 && table_change_seq(t) == 0,
	    "fresh table: capacity 8, empty, sequence 0");
	ok(table_header(t)->journal_size == 4096 && table_header(t)->index_size == 1024,
	    "journal 4096 records, index 1024 entries");
	ok(table_header(t)->writer_pid == getpid(), "writer_pid set");
	ok(table_open_writer(path, 8, err, sizeof(err)) == NULL &&
	    strstr(err, "in use by another writer") != NULL,
	    "second writer refused: %s", err);

	ok(put(t, 1, 100, now, ORIGIN_LOCAL, &seq) == 0 && seq == 1, "upsert 1 -> seq 1");
	ok(find_i(t, 1, &r) == 1 && rec_consistent(&r) && rec_n(&r) == 100,
	    "find 1 returns a consistent copy");
	ok(strcmp(r.service_id, "SVC-1") == 0 && strcmp(r.key, "svc-1:inst-1") == 0,
	    "key and raw serviceId kept");
	ok(r.creation_ms == now && r.renewal_ms == now && r.local_renewal_ms == now &&
	    r.eviction_ms == 0 && r.ttl_ms == TTL && r.origin == ORIGIN_LOCAL &&
	    r.gen == 1, "fresh lease");
	s1 = r.slot;
	ok(find_i(t, 2, &r) == 0, "unknown key not found");

	ok(renew_i(t, 1, now + 10, ORIGIN_LOCAL) == 0, "renew");
	ok(find_i(t, 1, &r) == 1 && r.renewal_ms == now + 10 &&
	    r.local_renewal_ms == now + 10, "renewal stored");
	ok(renew_i(t, 1, now + 5, ORIGIN_LOCAL) == 0 && find_i(t, 1, &r) == 1 &&
	    r.renewal_ms == now + 10, "an older renewal does not lower renewal_ms");
	ok(renew_i(t, 1, now + 20, ORIGIN_PEER) == 0 && find_i(t, 1, &r) == 1 &&
	    r.renewal_ms == now + 20 && r.local_renewal_ms == now + 10,
	    "peer renewal leaves local_renewal_ms");
	ok(renew_i(t, 2, now, ORIGIN_LOCAL) == -ENOENT, "renew unknown: -ENOENT");
	ok(renew_i(t, 1, now + 20 + TTL, ORIGIN_LOCAL) == 0, "renew at the ttl edge");
	ok(renew_i(t, 1, now + 20 + 2 * TTL + 1, ORIGIN_LOCAL) == -ENOENT,
	    "renew after renewal+ttl: -ENOENT");
	ok(renew_i(t, 1, now + 20 + 3 * TTL, ORIGIN_LOCAL) == -ENOENT,
	    "an expired lease stays expired");
	ok(table_change_seq(t) == 1, "renewals are not journalled");

	/* re-registration writes a fresh slot */
	ok(put(t, 1, 101, now + 100, ORIGIN_PEER, &seq) == 0 && seq == 2, "re-register");
	ok(find_i(t, 1, &r) == 1 && r.slot != s1 && rec_n(&r) == 101 &&
	    r.renewal_ms == now + 100 && r.creation_ms == now + 100 &&
	    r.origin == ORIGIN_PEER, "re-registration: new slot, fresh lease");
	s2 = r.slot;
	g2 = r.gen;
	ok(table_read_slot(t, s1, &r) == 0, "old slot freed");
	ok(table_journal_get(t, 2, &j) == 0 && j.kind == TC_UPSERT &&
	    j.origin == ORIGIN_PEER && j.slot == s2 && j.gen == g2 &&
	    j.old_slot == s1 + 1, "journal: TC_UPSERT with old_slot");
	ok(table_live(t) == 1, "live 1");

	/* evict */
	ok(put(t, 2, 200, now, ORIGIN_LOCAL, NULL) == 0, "upsert 2");
	ok(evict_i(t, 2, now + 1, ORIGIN_LOCAL) == 0, "evict 2");
	ok(find_i(t, 2, &r) == 1 && r.eviction_ms == now + 1, "evicted lease visible");
	ok(renew_i(t, 2, now + 2, ORIGIN_LOCAL) == -ENOENT, "renew evicted: -ENOENT");
	ok(jget(t, 4, TC_EVICT, ORIGIN_LOCAL, r.slot), "journal: TC_EVICT");
	cs = table_change_seq(t);
	ok(evict_i(t, 2, now + 3, ORIGIN_LOCAL) == 0 && table_change_seq(t) == cs,
	    "evict again: no new record");
	ok(evict_i(t, 3, now, ORIGIN_LOCAL) == -ENOENT, "evict unknown: -ENOENT");

	/* remove */
	ok(table_remove(t, r.slot, r.gen + 1, ORIGIN_LOCAL) == -ENOENT,
	    "remove with a stale gen: -ENOENT");
	ok(table_remove(t, r.slot, r.gen, ORIGIN_PEER) == 0, "remove 2");
	ok(find_i(t, 2, &r) == 0 && table_live(t) == 1, "removed");
	ok(jget(t, 5, TC_DELETE, ORIGIN_PEER, r.slot), "journal: TC_DELETE");
	ok(table_remove(t, r.slot, r.gen, ORIGIN_LOCAL) == -ENOENT, "remove twice: -ENOENT");

	/* sizes */
	memset(big, 'x', sizeof(big));
	ok(table_upsert(t, "k:big", 5, "k", 1, big, TABLE_SLOT_DATA - 5, now, TTL, 0,
	    ORIGIN_LOCAL, NULL) == -E2BIG, "one byte too many: -E2BIG");
	ok(table_upsert(t, "k:big", 5, "k", 1, big, TABLE_SLOT_DATA, now, TTL, 0,
	    ORIGIN_LOCAL, NULL) == -E2BIG, "4064-byte json: -E2BIG");
	ok(table_upsert(t, "k:big", 5, "k", 1, big, TABLE_SLOT_DATA - 6, now, TTL,
	    TABLE_F_LEGACY, ORIGIN_LOCAL, NULL) == 0, "exact fit accepted");
	ok(table_find(t, "k:big", 5, &r) == 1 && r.json_len == TABLE_SLOT_DATA - 6 &&
	    r.json[r.json_len] == '\0' && r.flags == TABLE_F_LEGACY,
	    "exact fit read back whole, flags kept");
	test_extension_sizes(t, now);

	/* capacity */
	for (i = 10, rc = 0; table_live(t) < 8 && rc == 0; i++)
		rc = put(t, i, i, now, ORIGIN_LOCAL, NULL);
	ok(rc == 0 && table_live(t) == 8, "filled to capacity");
	ok(put(t, 99, 1, now, ORIGIN_LOCAL, NULL) == -ENOSPC, "new key at capacity: -ENOSPC");
	ok(put(t, 10, 2, now, ORIGIN_LOCAL, NULL) == 0 && put(t, 1, 3, now,
	    ORIGIN_LOCAL, NULL) == 0, "re-registration at capacity still works");
	ok(table_hwm(t) <= 9, "hwm within capacity + 1 (%u)", table_hwm(t));

	/* the journal, start to end */
	cs = table_change_seq(t);
	for (seq = 1, rc = 1; seq <= cs; seq++)
		if (table_journal_get(t, seq, &j) != 0 || atomic_load(&j.seq) != seq)
			rc = 0;
	ok(rc, "journal gap-free 1..%llu", (unsigned long long)cs);
	ok(table_journal_get(t, cs + 1, &j) == 1, "next record: not yet written");
	ok(table_journal_get(t, 0, &j) == -1, "sequence 0 never valid");

	/* rearm */
	table_rearm_all(t, now + 999999);
	ok(find_i(t, 10, &r) == 1 && r.renewal_ms == now + 999999 &&
	    find_i(t, 1, &r) == 1 && r.renewal_ms == now + 999999, "rearm_all");

	/* a reader sees the same table and cannot write */
	rd = table_open_reader(path, err, sizeof(err));
	ok(rd != NULL, "reader opens (%s)", rd ? "" : err);
	if (rd != NULL) {
		ok(find_i(rd, 10, &r) == 1 && rec_consistent(&r), "reader finds 10");
		ok(table_change_seq(rd) == cs && table_live(rd) == 8, "reader header");
		ok(renew_i(rd, 10, now, ORIGIN_LOCAL) == -EROFS && put(rd, 50, 1, now,
		    ORIGIN_LOCAL, NULL) == -EROFS, "reader cannot write");
		ok(table_replaced(rd) == 0, "not replaced");
		table_close(rd);
	}

	/* overrun: more changes than the ring holds */
	for (i = 0; i < 5000; i++)
		if (put(t, 10, i, now, ORIGIN_LOCAL, NULL) != 0)
			break;
	cs = table_change_seq(t);
	ok(i == 5000, "5000 re-registrations");
	ok(table_journal_get(t, 1, &j) == -1, "overrun detected for seq 1");
	ok(table_journal_get(t, cs - 4096, &j) == -1, "overrun just outside the ring");
	ok(table_journal_get(t, cs - 4095, &j) == 0 && table_journal_get(t, cs, &j) == 0,
	    "the last 4096 records readable");
	ok(table_live(t) == 8, "live unchanged by replacements");
	table_close(t);
}

/* ------------------------------------------------------------ batch renewals */

static void
test_renew_many(void)
{
	struct table_key ks[40];
	struct table_rec r;
	struct table *t;
	char path[128], kb[40][64], sb[32];
	int64_t now = 5000;
	int res[40], i, good = 1;

	path_in_dir(path, sizeof(path), "many.table");
	if ((t = table_open_writer(path, 64, err, sizeof(err))) == NULL) {
		ok(0, "open: %s", err);
		return;
	}
	for (i = 0; i < 40; i++) {
		key_of(kb[i], sizeof(kb[i]), sb, sizeof(sb), i % 4);
		ks[i].key = kb[i];
		ks[i].len = strlen(kb[i]);
	}
	ks[5].len = 0;
	put(t, 1, 1, now, ORIGIN_LOCAL, NULL);
	put(t, 2, 1, now, ORIGIN_LOCAL, NULL);
	put(t, 3, 1, now, ORIGIN_LOCAL, NULL);
	evict_i(t, 3, now, ORIGIN_LOCAL);
	/* keys 0 (unknown) and 3 (evicted) fail, 1 and 2 renew; slot 5 is empty */
	ok(table_renew_many(t, ks, 40, now + 7, ORIGIN_PEER, res) == 19,
	    "renew_many: 19 of 40 renewed");
	for (i = 0; i < 40; i++)
		if (res[i] != ((i % 4 == 1 || i % 4 == 2) && i != 5 ? 0 : -ENOENT))
			good = 0;
	ok(good, "renew_many: per-key results");
	ok(find_i(t, 2, &r) == 1 && r.renewal_ms == now + 7 && r.local_renewal_ms == now,
	    "renew_many: renewal stored, peer origin leaves local renewal");
	ok(table_renew_many(t, ks, 40, now + 7 + TTL, ORIGIN_LOCAL, NULL) == 19,
	    "renew_many: at the ttl edge");
	ok(table_renew_many(t, ks, 40, now + 7 + 3 * TTL, ORIGIN_LOCAL, res) == 0 &&
	    res[1] == -ENOENT, "renew_many: expired leases refused");
	table_close(t);
}

/* ------------------------------------------------------------ model check */

/* Random operations against a plain array; catches probe and deletion bugs. */
static void
test_model(void)
{
	enum { N = 1500, CAP = 1000, OPS = 60000 };
	static long model[N];
	struct table_rec r;
	struct table *t;
	char path[128];
	uint32_t live = 0;
	int i, k, rc, bad = 0, badop = 0;

	path_in_dir(path, sizeof(path), "model.table");
	if ((t = table_open_writer(path, CAP, err, sizeof(err))) == NULL) {
		ok(0, "open model table: %s", err);
		return;
	}
	for (k = 0; k < N; k++)
		model[k] = -1;
	srandom(7);
	for (i = 0; i < OPS; i++) {
		k = (int)(random() % N);
		if (random() % 3 != 0) {
			rc = put(t, k, i, 1000, ORIGIN_LOCAL, NULL);
			if (rc == 0) {
				live += model[k] < 0;
				model[k] = i;
			} else if (rc != -ENOSPC || model[k] >= 0 || live < CAP)
				badop++;
		} else if (find_i(t, k, &r) == 1) {
			if (table_remove(t, r.slot, r.gen, ORIGIN_LOCAL) != 0)
				badop++;
			model[k] = -1;
			live--;
		}
		if (i % 10000 == 9999)
			for (k = 0; k < N; k++) {
				rc = find_i(t, k, &r);
				if (model[k] < 0 ? rc != 0 : rc != 1 || rec_n(&r) != model[k])
					bad++;
			}
	}
	ok(badop == 0, "model: every operation answered as expected");
	ok(bad == 0, "model: find agrees with the model (%d mismatches)", bad);
	ok(table_live(t) == live, "model: live %u == %u", table_live(t), live);
	table_close(t);
	/* and again after re-attach (index verified, not rebuilt) */
	t = table_open_writer(path, CAP, err, sizeof(err));
	for (k = 0, bad = 0; t != NULL && k < N; k++) {
		rc = find_i(t, k, &r);
		if (model[k] < 0 ? rc != 0 : rc != 1 || rec_n(&r) != model[k])
			bad++;
	}
	ok(t != NULL && bad == 0 && table_live(t) == live,
	    "model: re-attached table keeps every write");
	table_close(t);
}

/* ------------------------------------------------------------ recovery */

/*
 * The tampering below makes states no single cut-short operation leaves; the
 * writer then "dies" with an intent this build does not understand, so the next
 * attach falls back to the full recovery, the passes over every slot.
 */
static void
close_unknown_intent(struct table *t)
{
	atomic_store(&table_header(t)->intent.op, 99);
	table_close(t);
}

static struct table *
open_full(const char *path, uint32_t cap)
{
	struct table *t = table_open_writer(path, cap, err, sizeof(err));

	if (t != NULL && table_attach_mode(t) != TABLE_ATTACH_FULL) {
		printf("# attach mode %d, not full\n", (int)table_attach_mode(t));
		table_close(t);
		return NULL;
	}
	return t;
}

static void
test_recovery(void)
{
	struct table_journal_rec j;
	struct table_rec r;
	struct table_slot *sl;
	struct table *t;
	char path[128];
	uint32_t sa, sb;
	uint64_t cs;

	path_in_dir(path, sizeof(path), "recover.table");
	if ((t = table_open_writer(path, 64, err, sizeof(err))) == NULL) {
		ok(0, "open: %s", err);
		return;
	}
	put(t, 1, 1, 1000, ORIGIN_LOCAL, NULL);
	put(t, 2, 2, 1000, ORIGIN_LOCAL, NULL);
	put(t, 3, 3, 1000, ORIGIN_LOCAL, NULL);
	find_i(t, 2, &r);
	sb = r.slot;
	table_remove(t, r.slot, r.gen, ORIGIN_LOCAL);
	/* a dead writer left a fresh slot half-written (odd sequence) */
	sl = (struct table_slot *)table_slot_at(t, sb);
	atomic_fetch_add(&sl->seq, 1);
	sl->state = SLOT_LIVE;
	close_unknown_intent(t);

	t = table_open_reader(path, err, sizeof(err));
	ok(t != NULL && table_read_slot(t, sb, &r) == 0 && find_i(t, 1, &r) == 1,
	    "reader: a slot a dead writer left odd reads as free");
	table_close(t);
	t = open_full(path, 64);
	ok(t != NULL, "re-attach after a half-written slot (%s)", t ? "" : err);
	if (t == NULL)
		return;
	ok(find_i(t, 2, &r) == 0 && table_read_slot(t, sb, &r) == 0,
	    "half-written slot discarded");
	ok(find_i(t, 1, &r) == 1 && find_i(t, 3, &r) == 1 && table_live(t) == 2,
	    "other slots kept, live recounted");
	cs = table_change_seq(t);
	ok(jget(t, cs, TC_DELETE, ORIGIN_LOCAL, sb), "discarded slot journalled as delete");
	ok(table_slot_at(t, sb)->seq % 2 == 0 && table_header(t)->index_seq % 2 == 0,
	    "sequence even again, index untouched");

	/* the writer died with the index half-changed */
	atomic_fetch_add(&table_header(t)->index_seq, 1);
	table_close(t);
	t = table_open_reader(path, err, sizeof(err));
	ok(t != NULL && find_i(t, 3, &r) == 1 && rec_n(&r) == 3,
	    "reader finds a key by scanning while no writer can finish the index");
	table_close(t);
	t = open_full(path, 64);
	ok(t != NULL, "re-attach after a torn index");
	if (t == NULL)
		return;
	ok(table_header(t)->index_seq % 2 == 0 && find_i(t, 1, &r) == 1 &&
	    find_i(t, 3, &r) == 1 && table_live(t) == 2, "index rebuilt");

	/* the old slot of a replacement still live (died before freeing it) */
	find_i(t, 1, &r);
	sa = r.slot;
	put(t, 1, 11, 2000, ORIGIN_LOCAL, NULL);
	sl = (struct table_slot *)table_slot_at(t, sa);
	sl->state = SLOT_LIVE;
	close_unknown_intent(t);
	t = open_full(path, 64);
	ok(t != NULL, "re-attach after a cut-short replacement");
	if (t == NULL)
		return;
	ok(table_read_slot(t, sa, &r) == 0 && find_i(t, 1, &r) == 1 && rec_n(&r) == 11 &&
	    table_live(t) == 2, "stale slot freed, new version kept");
	cs = table_change_seq(t);
	ok(jget(t, cs, TC_DELETE, ORIGIN_LOCAL, sa), "stale slot journalled");

	/* same, but the index is also torn: the later change wins */
	put(t, 1, 12, 3000, ORIGIN_LOCAL, NULL);
	sl = (struct table_slot *)table_slot_at(t, r.slot);
	sl->state = SLOT_LIVE;
	atomic_fetch_add(&table_header(t)->index_seq, 1);
	close_unknown_intent(t);
	t = open_full(path, 64);
	ok(t != NULL && find_i(t, 1, &r) == 1 && rec_n(&r) == 12 && table_live(t) == 2,
	    "rebuild keeps the newer of two slots with one key");
	if (t == NULL)
		return;

	/* a change that reached the slots and its record but not change_seq */
	cs = table_change_seq(t);
	put(t, 4, 4, 1000, ORIGIN_PEER, NULL);
	atomic_fetch_sub(&table_header(t)->change_seq, 1);
	close_unknown_intent(t);
	t = open_full(path, 64);
	ok(t != NULL && table_change_seq(t) == cs + 1 &&
	    table_journal_get(t, cs + 1, &j) == 0 && j.kind == TC_UPSERT &&
	    j.origin == ORIGIN_PEER,
	    "a written but unpublished record is published");
	if (t == NULL)
		return;

	/* a change that reached the slots but not the journal (stamp = next seq) */
	find_i(t, 4, &r);
	cs = table_change_seq(t);
	atomic_store(&((struct table_slot *)table_slot_at(t, r.slot))->stamp,
	    (uint32_t)(cs + 1));
	close_unknown_intent(t);
	t = open_full(path, 64);
	ok(t != NULL && table_change_seq(t) == cs + 1 &&
	    jget(t, cs + 1, TC_UPSERT, ORIGIN_LOCAL, r.slot),
	    "an unjournalled change is journalled at attach");
	table_close(t);
}

/* ------------------------------------------------------------ attach modes */

/*
 * Index entries that do not point to a distinct live slot, read from the file
 * as table.h lays it out (the index follows the journal, 4 KiB aligned).
 */
static int
index_bad_entries(struct table *t, const char *path)
{
	struct table_header *h = table_header(t);
	size_t off = (4096 + (size_t)h->journal_size * 32 + 4095) & ~(size_t)4095;
	uint64_t *ix;
	uint32_t i, s, n = 0;
	char *seen;
	int fd, bad = 0;

	ix = calloc(h->index_size, sizeof(*ix));
	seen = calloc(h->capacity + 1, 1);
	fd = open(path, O_RDONLY);
	if (ix == NULL || seen == NULL || fd == -1 || pread(fd, ix, h->index_size * 8,
	    (off_t)off) != (ssize_t)(h->index_size * 8))
		bad = 1;
	for (i = 0; !bad && i < h->index_size; i++) {
		if (ix[i] == 0)
			continue;
		s = (uint32_t)ix[i] - 1;
		n++;
		if (s > h->capacity || seen[s]++ || table_slot_at(t, s)->state != SLOT_LIVE)
			bad++;
	}
	if (n != table_live(t))
		bad++;
	if (fd != -1)
		close(fd);
	free(ix);
	free(seen);
	return bad;
}

/*
 * 1 if the table is whole: every live slot consistent and found at its slot by
 * its key, every index entry naming a distinct live slot, live counted right,
 * the journal gap-free from 1, and exactly capacity - live new keys fit (the
 * free slots were all found again).
 */
static int
table_whole(struct table *t, const char *t_path, const char *what)
{
	static int fresh = 100000;	/* keys never used before */
	struct table_journal_rec j;
	struct table_rec r, f;
	uint32_t i, live = 0, added = 0;
	uint64_t s, cs = table_change_seq(t);
	int bad = 0;

	for (i = 0; i < table_hwm(t); i++) {
		if (table_read_slot(t, i, &r) != 1)
			continue;
		live++;
		if (!rec_consistent(&r) || table_find(t, r.key, r.key_len, &f) != 1 ||
		    f.slot != i)
			bad++;
	}
	for (s = 1; s <= cs; s++)
		if (table_journal_get(t, s, &j) != 0)
			bad += 100;
	if (live != table_live(t))
		bad += 1000;
	bad += 100000 * index_bad_entries(t, t_path);
	while (put(t, fresh++, 1, 1000, ORIGIN_LOCAL, NULL) == 0)
		added++;
	if (added + live != table_capacity(t) || table_hwm(t) > table_capacity(t) + 1)
		bad += 10000;
	if (bad)
		printf("# %s: bad %d (live %u, counted %u, added %u, hwm %u)\n", what, bad,
		    table_live(t), live, added, table_hwm(t));
	return bad == 0;
}

static void
test_attach_modes(void)
{
	struct table_rec r;
	struct table *t;
	char path[128];
	uint32_t i, hwm;
	int k, status, good;
	pid_t pid;

	path_in_dir(path, sizeof(path), "modes.table");
	t = table_open_writer(path, 64, err, sizeof(err));
	ok(t != NULL && table_attach_mode(t) == TABLE_ATTACH_CREATED, "created");
	if (t == NULL)
		return;
	for (k = 0; k < 64; k++)
		put(t, k, k, 1000, ORIGIN_LOCAL, NULL);
	/* free slots scattered below hwm, found again by the lazy scan */
	for (k = 0; k < 64; k += 3)
		if (find_i(t, k, &r) == 1)
			table_remove(t, r.slot, r.gen, ORIGIN_LOCAL);
	hwm = table_hwm(t);
	table_close(t);

	t = table_open_writer(path, 64, err, sizeof(err));
	ok(t != NULL && table_attach_mode(t) == TABLE_ATTACH_CLEAN &&
	    table_header(t)->clean == 0, "clean close: nothing to recover, flag cleared");
	if (t == NULL)
		return;
	for (k = 0, good = 1; k < 64; k++)
		if (find_i(t, k, &r) != (k % 3 != 0) || (r.slot >= hwm))
			good = 0;
	ok(good && table_live(t) == 42, "clean re-attach keeps every write (live 42)");
	for (i = 0, good = 1; i < hwm; i++)
		if ((table_lease_at(t, i)->creation_ms == 0) !=
		    (table_slot_at(t, i)->state != SLOT_LIVE))
			good = 0;
	ok(good, "a lease's creation_ms is 0 exactly when its slot is free");
	ok(table_whole(t, path, "clean") && table_hwm(t) <= hwm + 1,
	    "the free slots below hwm are reused before hwm grows (hwm %u)",
	    table_hwm(t));
	table_close(t);

	/* a writer that dies between operations */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		t = table_open_writer(path, 64, err, sizeof(err));
		if (t == NULL || find_i(t, 5, &r) != 1 ||
		    table_remove(t, r.slot, r.gen, ORIGIN_LOCAL) != 0)
			_exit(1);
		raise(SIGKILL);
	}
	waitpid(pid, &status, 0);
	t = table_open_writer(path, 64, err, sizeof(err));
	ok(WIFSIGNALED(status) && t != NULL &&
	    table_attach_mode(t) == TABLE_ATTACH_BETWEEN && find_i(t, 5, &r) == 0 &&
	    table_live(t) == 63, "killed between operations: nothing to recover");
	if (t == NULL)
		return;
	ok(table_whole(t, path, "between"), "and the table is whole");
	/* a full table re-attached clean: live == hwm, no scan needed */
	table_close(t);
	t = table_open_writer(path, 64, err, sizeof(err));
	ok(t != NULL && table_live(t) == 64 && put(t, 2, 2, 1000, ORIGIN_LOCAL,
	    NULL) == 0 && put(t, 4, 2, 1000, ORIGIN_LOCAL, NULL) == 0 &&
	    put(t, 1, 2, 1000, ORIGIN_LOCAL, NULL) == 0 && table_live(t) == 64 &&
	    put(t, 999, 1, 1000, ORIGIN_LOCAL, NULL) == -ENOSPC,
	    "full table after a clean close: re-registrations use the spare slot");
	table_close(t);

}

/* ------------------------------------------------------------ migration */

/* A slot of layouts 1 and 2 (1 KiB, no extension), as those builds wrote it;
 * layout 3 kept its first 640 bytes in the slot, the next 384 in its extension. */
struct old_slot {
	_Atomic uint32_t seq;
	uint32_t	 state;
	uint32_t	 gen;
	uint32_t	 hash;
	uint32_t	 ttl_ms;
	uint8_t		 flags;
	uint8_t		 origin;
	uint16_t	 key_len;
	uint16_t	 svc_len;
	uint16_t	 json_len;
	_Atomic uint32_t stamp;
	char		 data[992];
};

#define OLD_CAP		64
#define OLD_LIVE	40

static size_t
old_align(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

/* The JSON of old instance k, version n; every fifth is longer than a layout-3
 * slot's primary area (its tail was in the extension there). */
static size_t
old_json(char *buf, size_t cap, int k, long n)
{
	char key[64], svc[32];
	size_t len;

	key_of(key, sizeof(key), svc, sizeof(svc), k);
	if (k % 5 != 0)
		return make_json(buf, cap, key, n);
	len = (size_t)snprintf(buf, cap, "{\"key\":\"%s\",\"n\":%ld,\"pad\":\"", key, n);
	memset(buf + len, 'a' + k % 26, 880 - len);
	len = 880;
	buf[len++] = '"';
	return len + (size_t)snprintf(buf + len, cap - len, ",\"sum\":%u}",
	    fnv32(buf, len));
}

/* An old file being written: where its slots, extensions and leases are. */
struct old_w {
	uint32_t		 version;
	unsigned char		*slots;
	unsigned char		*ext;		/* layout 3 */
	struct table_lease	*leases;
};

#define OLD3_SLOT	640
#define OLD3_EXT	384

/* Slot i of the old file: its header, the same in every layout. */
static _Atomic uint32_t *
old_seq(struct old_w *w, int i)
{
	return (_Atomic uint32_t *)(void *)(w->slots + (size_t)i *
	    (w->version < 3 ? sizeof(struct old_slot) : OLD3_SLOT));
}

/* Stores sl as slot i, split as layout w->version kept it. */
static void
old_store(struct old_w *w, int i, const struct old_slot *sl)
{
	if (w->version < 3) {
		memcpy(w->slots + (size_t)i * sizeof(*sl), sl, sizeof(*sl));
		return;
	}
	memcpy(w->slots + (size_t)i * OLD3_SLOT, sl, OLD3_SLOT);
	memcpy(w->ext + (size_t)i * OLD3_EXT, (const char *)sl + OLD3_SLOT, OLD3_EXT);
}

static void
old_put(struct old_w *w, int i, int k, long n, uint32_t stamp)
{
	struct old_slot slot, *sl = &slot;
	struct table_lease *l = &w->leases[i];
	char key[64], svc[32], json[1000];
	size_t kl, vl, jl;

	memset(sl, 0, sizeof(*sl));
	key_of(key, sizeof(key), svc, sizeof(svc), k);
	kl = strlen(key);
	vl = strlen(svc);
	jl = old_json(json, sizeof(json), k, n);
	atomic_store(&sl->seq, 2);
	sl->state = SLOT_LIVE;
	sl->gen = 1;
	sl->ttl_ms = TTL + (uint32_t)k;
	sl->flags = k % 3 == 0 ? TABLE_F_LEGACY : 0;
	sl->origin = k % 2 ? ORIGIN_LOCAL : ORIGIN_PEER;
	sl->key_len = (uint16_t)kl;
	sl->svc_len = (uint16_t)vl;
	sl->json_len = (uint16_t)jl;
	atomic_store(&sl->stamp, stamp);
	memcpy(sl->data, key, kl);
	memcpy(sl->data + kl, svc, vl);
	memcpy(sl->data + kl + vl, json, jl);
	l->creation_ms = 1000 + k;
	atomic_store(&l->renewal_ms, 2000 + k);
	atomic_store(&l->local_renewal_ms, k % 2 ? 3000 + k : 0);
	atomic_store(&l->eviction_ms, k % 7 == 0 ? 4000 + k : 0);
	old_store(w, i, sl);
}

/*
 * Writes a layout-1, -2 or -3 file the way those builds laid it out: instances
 * 0..39 (key 3 replaced by a newer slot whose writer died before freeing the
 * old one, key 4 shadowed by an older duplicate), a free slot, a half-written
 * one, and (layout 2) the slot of a remove cut short. The index is left empty:
 * the migration goes by the slots.
 */
static int
old_table(const char *path, uint32_t version)
{
	struct table_header *h;
	struct old_w w = { .version = version };
	size_t joff = 4096, ioff, loff, soff, eoff, total;
	uint32_t nslots = OLD_CAP + 1, jsize = 4096, isize = 1024;
	unsigned char *b;
	int fd, k;

	ioff = old_align(joff + (size_t)jsize * 32);
	loff = old_align(ioff + (size_t)isize * 8);
	soff = old_align(loff + (size_t)nslots * 32);
	if (version < 3) {
		eoff = total = old_align(soff + (size_t)nslots * 1024);
	} else {
		eoff = old_align(soff + (size_t)nslots * OLD3_SLOT);
		total = old_align(eoff + (size_t)nslots * OLD3_EXT);
	}
	(void)unlink(path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644)) == -1)
		return -1;
	if (ftruncate(fd, (off_t)total) == -1 || (b = mmap(NULL, total,
	    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		close(fd);
		return -1;
	}
	close(fd);
	h = (struct table_header *)b;
	w.leases = (struct table_lease *)(b + loff);
	w.slots = b + soff;
	w.ext = b + eoff;
	for (k = 0; k < OLD_LIVE; k++)
		old_put(&w, k, k, k, (uint32_t)k + 1);
	w.leases[40].creation_ms = 77;			/* free (layout 1 style) */
	old_put(&w, 41, 100, 1, 50);
	atomic_store(old_seq(&w, 41), 3);		/* half-written */
	old_put(&w, 42, 3, 333, 1000);			/* newer version of 3 */
	old_put(&w, 43, 4, 444, 0);			/* older version of 4 */
	old_put(&w, 44, 200, 1, 60);
	if (version >= 2) {		/* a remove of slot 44 cut short */
		h->intent.slot = 44;
		h->intent.gen = 1;
		h->intent.seq = 61;
		atomic_store(&h->intent.op, INTENT_REMOVE);
	}
	h->layout_version = version;
	h->capacity = OLD_CAP;
	h->journal_size = jsize;
	h->index_size = isize;
	atomic_store(&h->change_seq, 60);
	atomic_store(&h->hwm, 45);
	atomic_store(&h->live, 43);
	h->reg.started_ms = 12345;
	h->magic = TABLE_MAGIC;
	return munmap(b, total);
}

/* 1 if old instance k came through with all it had. */
static int
migrated_right(struct table *t, int k, long n)
{
	struct table_rec r;
	char key[64], svc[32], json[1000];
	size_t jl;

	key_of(key, sizeof(key), svc, sizeof(svc), k);
	jl = old_json(json, sizeof(json), k, n);
	return find_i(t, k, &r) == 1 && r.json_len == jl &&
	    memcmp(r.json, json, jl) == 0 && strcmp(r.service_id, svc) == 0 &&
	    r.ttl_ms == TTL + (uint32_t)k &&
	    r.flags == (k % 3 == 0 ? TABLE_F_LEGACY : 0) &&
	    r.origin == (k % 2 ? ORIGIN_LOCAL : ORIGIN_PEER) &&
	    r.creation_ms == 1000 + k && r.renewal_ms == 2000 + k &&
	    r.local_renewal_ms == (k % 2 ? 3000 + k : 0) &&
	    r.eviction_ms == (k % 7 == 0 ? 4000 + k : 0);
}

static void
test_migration(uint32_t version)
{
	struct table *t, *rd;
	char path[128], name[32], tmp[160];
	int k, good, live = OLD_LIVE + (version < 2);
	struct stat st;
	ino_t old_ino;

	snprintf(name, sizeof(name), "layout%u.table", version);
	path_in_dir(path, sizeof(path), name);
	if (old_table(path, version) == -1 || stat(path, &st) == -1) {
		ok(0, "layout-%u file written", version);
		return;
	}
	old_ino = st.st_ino;
	ok(table_open_reader(path, err, sizeof(err)) == NULL &&
	    strstr(err, "migrates") != NULL, "a reader refuses layout %u: %s", version,
	    err);
	t = table_open_writer(path, 16, err, sizeof(err));
	ok(t != NULL && table_attach_mode(t) == TABLE_ATTACH_MIGRATED &&
	    table_header(t)->layout_version == TABLE_LAYOUT_VERSION &&
	    table_capacity(t) == OLD_CAP, "the writer migrates layout %u: %s", version,
	    t == NULL ? err : "");
	if (t == NULL)
		return;
	ok(stat(path, &st) == 0 && st.st_ino != old_ino, "a new file, renamed over");
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	ok(access(tmp, F_OK) == -1, "no temporary file left");
	ok((int)table_live(t) == live, "%d instances migrated (%u)", live, table_live(t));
	for (k = 0, good = 1; k < OLD_LIVE; k++)
		if (!migrated_right(t, k, k == 3 ? 333 : k))
			good = 0 * printf("# instance %d\n", k);
	ok(good, "every instance and lease survived (the newer of two versions)");
	ok(migrated_right(t, 200, 1) == (version < 2),
	    "the slot of a remove cut short is %s", version < 2 ? "kept" : "left out");
	ok(!migrated_right(t, 100, 1), "a half-written slot is left out");
	ok(table_header(t)->reg.started_ms == 12345, "registry status kept");
	ok(table_whole(t, path, "migrated"), "the migrated table is whole, takes new "
	    "registrations up to its capacity");
	table_close(t);
	rd = table_open_reader(path, err, sizeof(err));
	t = table_open_writer(path, 16, err, sizeof(err));
	ok(rd != NULL && t != NULL && table_attach_mode(t) == TABLE_ATTACH_CLEAN &&
	    migrated_right(rd, 7, 7) && migrated_right(rd, 10, 10),
	    "re-attached clean; a reader reads it");
	table_close(t);
	table_close(rd);
}

/* ------------------------------------------------------------ intent repair */

static enum table_step kill_step;
static int kill_skip;		/* occurrences of kill_step to let pass */

static void
kill_at_step(enum table_step st)
{
	if (st == kill_step && kill_skip-- == 0)
		raise(SIGKILL);
}

enum op { OP_NEW, OP_REPLACE, OP_REMOVE, OP_EVICT };

/* Child: attach, arm the hook, run one operation on key 7; killed at the step. */
static int
doomed_writer(const char *path, enum op op, enum table_step step)
{
	struct table_rec r;
	struct table *t;

	if ((t = table_open_writer(path, 16, err, sizeof(err))) == NULL)
		return 40;
	if (op != OP_NEW && find_i(t, 7, &r) != 1)
		return 41;
	kill_step = step;
	table_step_hook = kill_at_step;
	switch (op) {
	case OP_NEW:
	case OP_REPLACE:
		(void)put(t, 7, 2, 2000, ORIGIN_PEER, NULL);
		break;
	case OP_REMOVE:
		(void)table_remove(t, r.slot, r.gen, ORIGIN_PEER);
		break;
	case OP_EVICT:
		(void)evict_i(t, 7, 2000, ORIGIN_PEER);
		break;
	}
	return 42;	/* the step never came */
}

/* Keys 1..6 (and 7 unless the operation adds it) in a clean table. */
static int
intent_setup(const char *path, enum op op, uint64_t *cs, uint32_t *slot7)
{
	struct table_rec r;
	struct table *t;
	int k;

	unlink(path);
	if ((t = table_open_writer(path, 16, err, sizeof(err))) == NULL)
		return -1;
	for (k = 1; k <= 7; k++)
		if (k != 7 || op != OP_NEW)
			put(t, k, 1, 1000, ORIGIN_LOCAL, NULL);
	if (find_i(t, 3, &r) == 1)	/* a free slot below hwm to write into */
		table_remove(t, r.slot, r.gen, ORIGIN_LOCAL);
	*slot7 = find_i(t, 7, &r) == 1 ? r.slot : UINT32_MAX;
	*cs = table_change_seq(t);
	table_close(t);
	return 0;
}

/* Kills the writer at step in the middle of op; 1 if it died there. */
static int
kill_during(const char *path, enum op op, enum table_step step)
{
	int status;
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return 0;
	if (pid == 0)
		_exit(doomed_writer(path, op, step));
	if (waitpid(pid, &status, 0) == -1)
		return 0;
	if (!WIFSIGNALED(status))
		printf("# writer exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

struct intent_case {
	enum op		 op;
	enum table_step	 step;
	int		 done;		/* the operation's effect survives */
	int		 record;	/* kind of record cs + 1, 0 = none */
	enum table_attach mode;
	const char	*name;
};

static const struct intent_case intent_cases[] = {
	{ OP_NEW, STEP_INTENT, 0, 0, TABLE_ATTACH_INTENT, "new: intent only" },
	{ OP_NEW, STEP_FILL, 0, TC_DELETE, TABLE_ATTACH_INTENT, "new: slot half-written" },
	{ OP_NEW, STEP_FILLED, 0, TC_DELETE, TABLE_ATTACH_INTENT, "new: slot not indexed" },
	{ OP_NEW, STEP_INDEX, 0, TC_DELETE, TABLE_ATTACH_INTENT, "new: index odd" },
	{ OP_NEW, STEP_INDEXED, 1, TC_UPSERT, TABLE_ATTACH_INTENT, "new: indexed" },
	{ OP_NEW, STEP_RELEASED, 1, TC_UPSERT, TABLE_ATTACH_INTENT, "new: counted" },
	{ OP_NEW, STEP_JOURNAL, 1, TC_UPSERT, TABLE_ATTACH_INTENT, "new: record unpublished" },
	{ OP_NEW, STEP_JOURNALLED, 1, TC_UPSERT, TABLE_ATTACH_INTENT, "new: intent left" },
	{ OP_REPLACE, STEP_INTENT, 0, 0, TABLE_ATTACH_INTENT, "replace: intent only" },
	{ OP_REPLACE, STEP_FILL, 0, TC_DELETE, TABLE_ATTACH_INTENT, "replace: slot half-written" },
	{ OP_REPLACE, STEP_FILLED, 0, TC_DELETE, TABLE_ATTACH_INTENT, "replace: not indexed" },
	{ OP_REPLACE, STEP_INDEX, 0, TC_DELETE, TABLE_ATTACH_INTENT, "replace: index odd" },
	{ OP_REPLACE, STEP_INDEXED, 1, TC_UPSERT, TABLE_ATTACH_INTENT, "replace: old slot live" },
	{ OP_REPLACE, STEP_RELEASE, 1, TC_UPSERT, TABLE_ATTACH_INTENT, "replace: old slot odd" },
	{ OP_REPLACE, STEP_RELEASED, 1, TC_UPSERT, TABLE_ATTACH_INTENT, "replace: old slot freed" },
	{ OP_REPLACE, STEP_JOURNAL, 1, TC_UPSERT, TABLE_ATTACH_INTENT, "replace: record unpublished" },
	{ OP_REPLACE, STEP_JOURNALLED, 1, TC_UPSERT, TABLE_ATTACH_INTENT, "replace: intent left" },
	{ OP_REMOVE, STEP_INTENT, 1, TC_DELETE, TABLE_ATTACH_INTENT, "remove: intent only" },
	{ OP_REMOVE, STEP_INDEX, 1, TC_DELETE, TABLE_ATTACH_INTENT, "remove: index odd" },
	{ OP_REMOVE, STEP_INDEXED, 1, TC_DELETE, TABLE_ATTACH_INTENT, "remove: unindexed" },
	{ OP_REMOVE, STEP_RELEASE, 1, TC_DELETE, TABLE_ATTACH_INTENT, "remove: slot odd" },
	{ OP_REMOVE, STEP_RELEASED, 1, TC_DELETE, TABLE_ATTACH_INTENT, "remove: slot freed" },
	{ OP_REMOVE, STEP_JOURNAL, 1, TC_DELETE, TABLE_ATTACH_INTENT, "remove: record unpublished" },
	{ OP_REMOVE, STEP_JOURNALLED, 1, TC_DELETE, TABLE_ATTACH_INTENT, "remove: intent left" },
	{ OP_EVICT, STEP_INTENT, 0, 0, TABLE_ATTACH_INTENT, "evict: intent only" },
	{ OP_EVICT, STEP_EVICTED, 1, TC_EVICT, TABLE_ATTACH_INTENT, "evict: lease marked" },
	{ OP_EVICT, STEP_JOURNAL, 1, TC_EVICT, TABLE_ATTACH_INTENT, "evict: record unpublished" },
	{ OP_EVICT, STEP_JOURNALLED, 1, TC_EVICT, TABLE_ATTACH_INTENT, "evict: intent left" },
};

/* What key 7 must look like after the repair of c. */
static int
key7_right(struct table *t, const struct intent_case *c, uint32_t slot7)
{
	struct table_rec r;
	int found = find_i(t, 7, &r);

	switch (c->op) {
	case OP_NEW:
		return c->done ? found == 1 && rec_n(&r) == 2 && table_live(t) == 6 :
		    found == 0 && table_live(t) == 5;
	case OP_REPLACE:
		return found == 1 && table_live(t) == 6 && (c->done ?
		    rec_n(&r) == 2 && r.slot != slot7 && table_read_slot(t, slot7, &r) == 0 :
		    rec_n(&r) == 1 && r.slot == slot7);
	case OP_REMOVE:
		return c->done ? found == 0 && table_live(t) == 5 &&
		    table_read_slot(t, slot7, &r) == 0 :
		    found == 1 && r.slot == slot7 && table_live(t) == 6;
	case OP_EVICT:
		return found == 1 && table_live(t) == 6 &&
		    (c->done ? r.eviction_ms == 2000 : r.eviction_ms == 0);
	}
	return 0;
}

static void
test_intent_repair(void)
{
	const struct intent_case *c;
	struct table_journal_rec j;
	struct table *t;
	char path[128];
	uint64_t cs, want;
	uint32_t slot7;
	size_t i;
	int rec_ok;

	path_in_dir(path, sizeof(path), "intent.table");
	for (i = 0; i < sizeof(intent_cases) / sizeof(intent_cases[0]); i++) {
		c = &intent_cases[i];
		if (intent_setup(path, c->op, &cs, &slot7) == -1 ||
		    !kill_during(path, c->op, c->step)) {
			ok(0, "%s: writer killed at the step", c->name);
			continue;
		}
		t = table_open_writer(path, 16, err, sizeof(err));
		if (t == NULL) {
			ok(0, "%s: re-attach: %s", c->name, err);
			continue;
		}
		want = cs + (c->record != 0);
		if (c->record == 0)
			rec_ok = table_change_seq(t) == cs;
		else
			rec_ok = table_change_seq(t) == want &&
			    table_journal_get(t, want, &j) == 0 && j.kind == c->record &&
			    j.origin == (c->record == TC_DELETE && !c->done ?
			    ORIGIN_LOCAL : ORIGIN_PEER);
		ok(table_attach_mode(t) == c->mode && key7_right(t, c, slot7) && rec_ok &&
		    table_header(t)->intent.op == INTENT_NONE &&
		    table_header(t)->index_seq % 2 == 0,
		    "killed in %s: %s (mode %d, change_seq %llu of %llu)", c->name,
		    c->done ? "finished" : "undone", (int)table_attach_mode(t),
		    (unsigned long long)table_change_seq(t), (unsigned long long)cs);
		ok(table_whole(t, path, c->name), "%s: table whole after the repair", c->name);
		table_close(t);
	}
}

/* The home index position of key i (from its slot's stored hash). */
static uint32_t
home_of(struct table *t, int i)
{
	struct table_rec r;

	if (find_i(t, i, &r) != 1)
		return UINT32_MAX;
	return table_slot_at(t, r.slot)->hash & (table_header(t)->index_size - 1);
}

/*
 * A remove killed in the middle of its backward shift: keys 7, a and b share one
 * home, so removing 7 moves a back, then b; killed after the first move, the
 * index holds a twice. The intent names the cluster to repair.
 */
static void
test_torn_shift(void)
{
	struct table_rec r;
	struct table *t;
	char path[128];
	uint32_t h7, slot7;
	int k, a = -1, b = -1, status, good, kill_after;
	pid_t pid;

	path_in_dir(path, sizeof(path), "shift.table");
	for (kill_after = 0; kill_after < 2; kill_after++) {
		unlink(path);
		if ((t = table_open_writer(path, 16, err, sizeof(err))) == NULL)
			return;
		put(t, 7, 1, 1000, ORIGIN_LOCAL, NULL);
		h7 = home_of(t, 7);
		/* two more keys with 7's home (1 in 1024 keys has it) */
		for (k = 1000, a = b = -1; k < 400000 && b < 0; k++) {
			if (put(t, k, 1, 1000, ORIGIN_LOCAL, NULL) != 0)
				break;
			if (home_of(t, k) == h7 && a < 0)
				a = k;
			else if (home_of(t, k) == h7)
				b = k;
			else if (find_i(t, k, &r) == 1)
				table_remove(t, r.slot, r.gen, ORIGIN_LOCAL);
		}
		slot7 = find_i(t, 7, &r) == 1 ? r.slot : UINT32_MAX;
		table_close(t);
		if (b < 0) {
			ok(0, "no keys sharing a home found");
			return;
		}
		fflush(stdout);
		if ((pid = fork()) == 0) {
			t = table_open_writer(path, 16, err, sizeof(err));
			if (t == NULL || find_i(t, 7, &r) != 1)
				_exit(1);
			/* after the first move (index: a a b) or the second (a b b) */
			kill_step = STEP_SHIFT;
			kill_skip = kill_after;
			table_step_hook = kill_at_step;
			(void)table_remove(t, r.slot, r.gen, ORIGIN_PEER);
			_exit(2);
		}
		waitpid(pid, &status, 0);
		t = table_open_writer(path, 16, err, sizeof(err));
		good = t != NULL && WIFSIGNALED(status) &&
		    table_attach_mode(t) == TABLE_ATTACH_INTENT && find_i(t, 7, &r) == 0 &&
		    table_read_slot(t, slot7, &r) == 0 && find_i(t, a, &r) == 1 &&
		    find_i(t, b, &r) == 1 && table_live(t) == 2;
		ok(good, "remove killed after move %d of its shift: keys %d and %d kept, "
		    "7 gone", kill_after + 1, a, b);
		ok(t != NULL && table_whole(t, path, "torn shift"), "and the table is whole");
		table_close(t);
	}
}

/* A repair cut short by another crash is repeated with the same outcome. */
static void
test_repair_crash(void)
{
	static const struct { enum op op; enum table_step first, second; int done; }
	    cases[] = {
		{ OP_NEW, STEP_FILLED, STEP_RELEASE, 0 },	/* undo: freeing */
		{ OP_NEW, STEP_FILLED, STEP_JOURNAL, 0 },	/* undo: record */
		{ OP_NEW, STEP_FILLED, STEP_JOURNALLED, 0 },	/* undo: intent */
		{ OP_REPLACE, STEP_INDEXED, STEP_RELEASE, 1 },	/* finish: freeing */
		{ OP_REPLACE, STEP_INDEXED, STEP_JOURNAL, 1 },	/* finish: record */
		{ OP_REMOVE, STEP_INTENT, STEP_RELEASE, 1 },	/* finish: freeing */
		{ OP_REMOVE, STEP_INTENT, STEP_JOURNAL, 1 },
	};
	struct intent_case c;
	struct table *t;
	char path[128];
	uint64_t cs;
	uint32_t slot7;
	size_t i;
	int status;
	pid_t pid;

	path_in_dir(path, sizeof(path), "rerepair.table");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.op = cases[i].op;
		c.done = cases[i].done;
		c.name = "repair";
		if (intent_setup(path, c.op, &cs, &slot7) == -1 ||
		    !kill_during(path, c.op, cases[i].first)) {
			ok(0, "repair crash %zu: first kill", i);
			continue;
		}
		fflush(stdout);
		if ((pid = fork()) == 0) {	/* dies in the middle of the repair */
			kill_step = cases[i].second;
			table_step_hook = kill_at_step;
			(void)table_open_writer(path, 16, err, sizeof(err));
			_exit(43);
		}
		waitpid(pid, &status, 0);
		t = table_open_writer(path, 16, err, sizeof(err));
		ok(WIFSIGNALED(status) && t != NULL && key7_right(t, &c, slot7) &&
		    table_header(t)->intent.op == INTENT_NONE &&
		    table_whole(t, path, "repair crash"),
		    "repair %zu killed at step %d, then repeated: %s and whole", i,
		    (int)cases[i].second, c.done ? "finished" : "undone");
		table_close(t);
	}
}

/* ------------------------------------------------------------ refusals */

static void
test_refusals(void)
{
	struct table *t;
	char path[128], buf[8192], want[128];
	uint32_t v = TABLE_LAYOUT_VERSION + 1;
	struct stat st;
	int fd;
	size_t i;

	path_in_dir(path, sizeof(path), "missing.table");
	ok(table_open_reader(path, err, sizeof(err)) == NULL && strstr(err, "cannot open"),
	    "reader of a missing table: %s", err);

	path_in_dir(path, sizeof(path), "version.table");
	t = table_open_writer(path, 16, err, sizeof(err));
	table_close(t);
	fd = open(path, O_WRONLY);
	ok(fd != -1 && pwrite(fd, &v, sizeof(v), offsetof(struct table_header,
	    layout_version)) == sizeof(v), "layout version bumped on disk");
	close(fd);
	snprintf(want, sizeof(want), "layout version %u but this build reads layout "
	    "version %d", v, TABLE_LAYOUT_VERSION);
	ok(table_open_reader(path, err, sizeof(err)) == NULL && strstr(err, want),
	    "reader refuses another layout: %s", err);
	ok(table_open_writer(path, 16, err, sizeof(err)) == NULL && strstr(err, want),
	    "writer refuses another layout");

	path_in_dir(path, sizeof(path), "garbage.table");
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 3);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ok(fd != -1 && write(fd, buf, sizeof(buf)) == sizeof(buf), "garbage file written");
	close(fd);
	ok(table_open_reader(path, err, sizeof(err)) == NULL &&
	    strstr(err, "not an instance table"), "reader refuses garbage: %s", err);
	ok(table_open_writer(path, 16, err, sizeof(err)) == NULL &&
	    strstr(err, "not an instance table"), "writer refuses garbage");
	ok(stat(path, &st) == 0 && st.st_size == sizeof(buf), "garbage file left alone");

	path_in_dir(path, sizeof(path), "empty.table");
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	close(fd);
	ok(table_open_writer(path, 16, err, sizeof(err)) == NULL, "empty file refused");

	path_in_dir(path, sizeof(path), "short.table");
	t = table_open_writer(path, 16, err, sizeof(err));
	table_close(t);
	ok(truncate(path, 8192) == 0 && table_open_reader(path, err, sizeof(err)) == NULL &&
	    strstr(err, "truncated"), "truncated table refused: %s", err);

	path_in_dir(path, sizeof(path), "cap.table");
	t = table_open_writer(path, 16, err, sizeof(err));
	table_close(t);
	t = table_open_writer(path, 32, err, sizeof(err));
	ok(t != NULL && table_capacity(t) == 16, "existing capacity wins on re-attach");
	table_close(t);
	t = table_open_writer(path, 0, err, sizeof(err));
	ok(t != NULL && table_capacity(t) == 16, "capacity 0 ignored when attaching");
	table_close(t);
	path_in_dir(path, sizeof(path), "zero.table");
	ok(table_open_writer(path, 0, err, sizeof(err)) == NULL && strstr(err, "capacity"),
	    "capacity 0 refused at creation: %s", err);
}

/* ------------------------------------------------------------ concurrency */

static atomic_int stop_renewers;
static atomic_int renew_errors;
static atomic_long renewals;

#define PINNED	(NKEYS + 1)

static int64_t
mono_now(void)
{
	return mono_ms() + 1000000;
}

static void *
renewer(void *arg)
{
	struct table *t = arg;
	unsigned seed = (unsigned)(uintptr_t)&seed;
	int rc;

	while (!atomic_load(&stop_renewers)) {
		rc = renew_i(t, (int)(rand_r(&seed) % NKEYS), mono_now(), ORIGIN_LOCAL);
		if (rc != 0 && rc != -ENOENT)
			atomic_fetch_add(&renew_errors, 1);
		/* the pinned key is re-registered all the time but never absent */
		if (renew_i(t, PINNED, mono_now(), ORIGIN_LOCAL) != 0)
			atomic_fetch_add(&renew_errors, 1);
		atomic_fetch_add(&renewals, 2);
	}
	return NULL;
}

static int
writer_main(const char *path)
{
	struct table_rec r;
	struct table *t;
	pthread_t th[2];
	int64_t end;
	long n = 0;
	int k, op, rc, bad = 0, i;

	if ((t = table_open_writer(path, 4096, err, sizeof(err))) == NULL)
		return 10;
	/* the parent registered PINNED; renewers rely on it from the start */
	for (i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, renewer, t) != 0)
			return 12;
	srandom((unsigned)getpid());
	end = mono_ms() + RUN_MS;
	while (mono_ms() < end) {
		for (i = 0; i < 100; i++) {
			k = (int)(random() % NKEYS);
			op = (int)(random() % 10);
			/* origin follows the parity of the sequence so readers can
			 * check every record they copy */
			uint8_t origin = (table_change_seq(t) + 1) % 2 ? ORIGIN_LOCAL :
			    ORIGIN_PEER;
			if (op < 6) {
				rc = put(t, k, n++, mono_now(), origin, NULL);
				bad += rc != 0;
			} else if (op == 6) {
				rc = evict_i(t, k, mono_now(), origin);
				bad += rc != 0 && rc != -ENOENT;
			} else if (op == 7) {
				if (find_i(t, k, &r) == 1)
					bad += table_remove(t, r.slot, r.gen, origin) != 0;
			} else if (op == 8) {
				rc = put(t, PINNED, n++, mono_now(), origin, NULL);
				bad += rc != 0;
			} else {
				rc = renew_i(t, k, mono_now(), ORIGIN_PEER);
				bad += rc != 0 && rc != -ENOENT;
			}
		}
		table_writer_beat(t);
	}
	atomic_store(&stop_renewers, 1);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	table_close(t);
	if (bad)
		return 13;
	if (atomic_load(&renew_errors))
		return 14;
	if (atomic_load(&renewals) < 1000)
		return 15;
	return 0;
}

static int
reader_main(const char *path)
{
	struct table_journal_rec j;
	struct table_rec r;
	struct table *t;
	uint64_t next, got = 0, overruns = 0;
	unsigned seed = (unsigned)getpid();
	int64_t end;
	long slots_seen = 0, found = 0, long_seen = 0;
	int i, rc, k;

	if ((t = table_open_reader(path, err, sizeof(err))) == NULL)
		return 20;
	next = table_change_seq(t) + 1;
	end = mono_ms() + RUN_MS + 200;
	while (mono_ms() < end) {
		for (i = 0; i < 200; i++) {
			if (table_read_slot(t, rand_r(&seed) % (table_hwm(t) + 1), &r) == 1) {
				if (!rec_consistent(&r))
					return 21;
				slots_seen++;
				/* its tail copied from the extension */
				long_seen += r.key_len + r.svc_len + r.json_len >
				    TABLE_SLOT_PRIMARY;
			}
			k = (int)(rand_r(&seed) % NKEYS);
			if (find_i(t, k, &r) == 1) {
				char key[64], svc[32];

				key_of(key, sizeof(key), svc, sizeof(svc), k);
				if (strcmp(r.key, key) != 0 || !rec_consistent(&r))
					return 22;
				found++;
			}
			if (find_i(t, PINNED, &r) != 1 || !rec_consistent(&r))
				return 23;
			while ((rc = table_journal_get(t, next, &j)) == 0) {
				if (atomic_load(&j.seq) != next || j.kind < TC_UPSERT ||
				    j.kind > TC_EVICT || j.slot >= table_capacity(t) + 1) {
					printf("# bad record at %llu: seq %llu kind %d slot %u\n",
					    (unsigned long long)next,
					    (unsigned long long)atomic_load(&j.seq), j.kind, j.slot);
					fflush(stdout);
					return 24;
				}
				if (j.origin != (next % 2 ? ORIGIN_LOCAL : ORIGIN_PEER)) {
					printf("# seq %llu kind %d origin %d slot %u\n",
					    (unsigned long long)next, j.kind, j.origin, j.slot);
					fflush(stdout);
					return 27;
				}
				next++;
				got++;
			}
			if (rc == -1) {
				overruns++;
				next = table_change_seq(t) + 1;
			} else if (next > table_change_seq(t) + 1)
				return 25;
		}
	}
	table_close(t);
	printf("# reader %d: %ld slots (%ld long), %ld finds, %llu records, "
	    "%llu overruns\n", (int)getpid(), slots_seen, long_seen, found,
	    (unsigned long long)got, (unsigned long long)overruns);
	fflush(stdout);
	if (long_seen == 0)
		return 28;
	return slots_seen > 0 && found > 0 && got > 0 ? 0 : 26;
}

static void
test_concurrency(void)
{
	enum { READERS = 3 };
	pid_t pids[READERS + 1];
	struct table *t;
	char path[128];
	int i, status;

	path_in_dir(path, sizeof(path), "conc.table");
	if ((t = table_open_writer(path, 4096, err, sizeof(err))) == NULL) {
		ok(0, "create: %s", err);
		return;
	}
	/* readers count on the pinned key from their first lookup */
	ok(put(t, PINNED, 0, mono_now(), ORIGIN_LOCAL, NULL) == 0, "pinned key registered");
	table_close(t);
	fflush(stdout);
	for (i = 0; i <= READERS; i++) {
		if ((pids[i] = fork()) == -1) {
			ok(0, "fork");
			return;
		}
		if (pids[i] == 0)
			_exit(i == 0 ? writer_main(path) : reader_main(path));
	}
	for (i = 0; i <= READERS; i++) {
		if (waitpid(pids[i], &status, 0) == -1)
			status = -1;
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "%s %d exits 0 (status %d)", i == 0 ? "writer" : "reader", i,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	t = table_open_reader(path, err, sizeof(err));
	ok(t != NULL && table_header(t)->writer_pid == 0, "clean writer exit recorded");
	table_close(t);
}

/* ------------------------------------------------------------ crash */

struct ack {
	int32_t	i;	/* operation number */
	int32_t	key;	/* key index; upsert wrote json n = i, or removed if op */
	int32_t	removed;
};

static int
crash_writer(const char *path, int fd)
{
	struct table_rec r;
	struct table *t;
	struct ack a[64];
	char key[64], svc[32], json[512];
	size_t jl;
	int32_t i;
	int n = 0, w;

	if ((t = table_open_writer(path, 8192, err, sizeof(err))) == NULL)
		return 30;
	/* acknowledge in batches so the kill mostly lands between writes of the
	 * table, not in write(2) */
	for (i = 0;; i++) {
		a[n].i = i;
		a[n].key = i % 5000;
		a[n].removed = i % 11 == 0;
		if (a[n].removed) {
			if (find_i(t, a[n].key, &r) != 1)
				continue;
			if (table_remove(t, r.slot, r.gen, ORIGIN_LOCAL) != 0)
				return 31;
		} else {
			/* build once, write several times: most of the time goes to
			 * the table, so the kill often lands in the middle of a write */
			key_of(key, sizeof(key), svc, sizeof(svc), a[n].key);
			jl = make_json(json, sizeof(json), key, i);
			for (w = 0; w < 8; w++)
				if (table_upsert(t, key, strlen(key), svc, strlen(svc),
				    json, jl, 1000 + i, TTL, 0, ORIGIN_LOCAL, NULL) != 0)
					return 32;
		}
		if (++n == 64) {
			if (write(fd, a, sizeof(a)) != sizeof(a))
				return 33;
			n = 0;
		}
	}
}

static void
crash_round(const char *path, long *model, int round)
{
	struct table_rec r;
	struct table *t;
	struct ack a[256];
	struct timespec ts = { 0, 0 };
	ssize_t got;
	size_t j;
	int p[2], status, k, bad = 0, count = 0;
	int32_t last = -1;
	uint32_t i, live = 0;
	uint64_t cs, s;
	char *seen;
	pid_t pid;
	long acks = 0, kill_at = 3000 + round * 1009;

	if (pipe(p) == -1 || (pid = fork()) == -1) {
		ok(0, "pipe/fork");
		return;
	}
	if (pid == 0) {
		close(p[0]);
		_exit(crash_writer(path, p[1]));
	}
	close(p[1]);
	/* batches are written whole (64 * 12 bytes < PIPE_BUF) */
	while ((got = read(p[0], a, sizeof(a))) > 0) {
		for (j = 0; j < (size_t)got / sizeof(a[0]); j++) {
			model[a[j].key] = a[j].removed ? -1 : a[j].i;
			last = a[j].i;
			if (++acks != kill_at)
				continue;
			/* let the writer run on (a pipe write wakes us on its CPU,
			 * which would otherwise always kill it in write(2)) */
			ts.tv_nsec = 100000 + round * 70000;
			nanosleep(&ts, NULL);
			kill(pid, SIGKILL);
		}
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "crash %d: writer killed after %ld acknowledged writes", round, acks);

	t = table_open_writer(path, 8192, err, sizeof(err));
	ok(t != NULL, "crash %d: re-attach (%s)", round, t ? "" : err);
	if (t == NULL)
		return;
	for (k = 0; k < 5000; k++) {
		int rc = find_i(t, k, &r);

		/* operations after the last acknowledged one (one unacknowledged
		 * batch of 64, plus skipped removals) may or may not have landed:
		 * their keys are not checked */
		int uncertain = (k - (last + 1) % 5000 + 5000) % 5000 < 128;

		if (!uncertain && (model[k] >= 0 ? rc != 1 || rec_n(&r) != model[k] :
		    rc != 0)) {
			if (bad++ < 5)
				printf("# key %d: acknowledged %ld, found %d n %ld "
				    "(last ack %d)\n", k, model[k], rc,
				    rc == 1 ? rec_n(&r) : -1, last);
		}
		if (rc == 1)
			count++;
		/* what an uncertain key ended as is what the next round starts
		 * from: an unacknowledged write that landed now stays */
		if (uncertain)
			model[k] = rc == 1 ? rec_n(&r) : -1;
	}
	ok(bad == 0, "crash %d: every acknowledged write is present (%d bad)", round, bad);
	if ((seen = calloc(5000, 1)) == NULL)
		return;
	for (i = 0, bad = 0; i < table_hwm(t); i++) {
		if (table_read_slot(t, i, &r) != 1)
			continue;
		live++;
		k = atoi(strstr(r.key, "inst-") + 5);
		if (!rec_consistent(&r) || k < 0 || k >= 5000 || seen[k]++)
			bad++;
		else if (find_i(t, k, &r) != 1 || r.slot != i)
			bad++;
	}
	free(seen);
	ok(bad == 0 && live == table_live(t) && (int)live == count,
	    "crash %d: table validates (%u live, %d found, %d bad)", round, live, count, bad);
	cs = table_change_seq(t);
	for (s = cs > 8191 ? cs - 8191 : 1, bad = 0; s <= cs; s++) {
		struct table_journal_rec jr;

		if (table_journal_get(t, s, &jr) != 0)
			bad++;
	}
	ok(bad == 0, "crash %d: journal ring gap-free after recovery", round);
	table_close(t);
}

static void
test_crash(void)
{
	static long model[5000];
	char path[128];
	int k, round;

	path_in_dir(path, sizeof(path), "crash.table");
	for (k = 0; k < 5000; k++)
		model[k] = -1;
	for (round = 0; round < 8; round++)
		crash_round(path, model, round);
}

/* ------------------------------------------------------------ main */

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
	signal(SIGPIPE, SIG_IGN);
	log_init("test_table", 0);
	snprintf(dir, sizeof(dir), "/tmp/test_table.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_basic();
	test_renew_many();
	test_model();
	test_recovery();
	test_attach_modes();
	test_migration(3);
	test_migration(2);
	test_migration(1);
	test_intent_repair();
	test_repair_crash();
	test_torn_shift();
	test_refusals();
	test_concurrency();
	test_crash();
	cleanup();
	return done_testing();
}
