/*
 * follower.c — follows the instance table's change journal and keeps, per raw
 * serviceId, the instances it holds; re-renders each changed service once per pass
 * and queues one InstanceChange push per journalled new/delete.
 *
 * The journal is the truth and bus hints only wake us up: a 20 ms timer polls
 * table_change_seq (one atomic load) so a dropped hint costs at most one tick.
 * Falling behind the ring, a registryd restart (new writer pid), a bus gap or a
 * replaced table file is repaired by a rescan: every slot is reconciled with what
 * we hold, and whatever was not seen is deleted (mark and sweep).
 *
 * Instance JSON is copied from the slot once, and after the service is rendered it
 * lives only inside the rendering (finst.json points into rendered.body), so the
 * daemon holds each instance about once. The few fields management matches on are
 * parsed from it only when management could hide it, and kept until it changes.
 *
 * A management change re-renders only the services it can affect (mgmt.c says
 * which), queued and worked off in time slices so pings and pushes stay prompt.
 * For server operations each service keeps a Bloom filter of its instances'
 * ips, rebuilt with each rendering from per-instance hashes worked out once per
 * JSON (the initial load while filling): a server operation touches only the
 * services that may have an instance on the server.
 * Each instance remembers whether its last rendering hid it: a re-rendering that
 * hides it pushes "delete", one that shows it again pushes "new".
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "discoveryd.h"
#include "log.h"
#include "model.h"
#include "table.h"
#include "ws.h"

#define FOLLOW_TICK_MS		20	/* journal poll */
#define FOLLOW_BATCH		65536	/* journal records per pass, keeps pings prompt */
#define REPLACED_CHECK_MS	500	/* stat() of the table path */
#define GAP_RESCAN_MIN_MS	1000	/* at most one hint-triggered rescan per second */

struct fsvc;

/* One instance we hold. Found by key through a hash (a rescan of 1,000,000 slots
 * looks each one up: a tree of strcmp()s over keys sharing long prefixes cost
 * more than the copy of the JSON), iterated in key order per service. */
struct finst {
	RB_ENTRY(finst)	 by_svc;
	struct finst	*hnext;		/* key hash chain */
	struct fsvc	*svc;
	char		*own;		/* our copy of the JSON until it is rendered */
	const char	*json;		/* own, or inside svc->r->body */
	size_t		 len;
	uint32_t	 hash;
	uint32_t	 slot;
	uint32_t	 gen;
	uint32_t	 seen;		/* rescan epoch that last saw it */
	struct inst_fields *fields;	/* management's fields, parsed on demand */
	uint32_t	 iph;		/* mgmt_inst_ip_hash() of json, if IPH_SET */
	uint8_t		 iph_state;	/* IPH_*: iph is worked out at rendering */
	uint8_t		 hidden;	/* the last rendering left it out */
	uint8_t		 fresh;		/* changed since then: its push is queued */
	uint8_t		 bulk;		/* initial load: BULK_GONE, BULK_STALE */
	uint8_t		 bulk_dup;	/* initial load: key met in an earlier slot */
	char		 key[];
};

struct fsvc {
	struct fsvc	*hnext;		/* service hash chain */
	uint32_t	 hash;
	RB_HEAD(sinsts, finst) insts;
	size_t		 n;
	size_t		 bulk;		/* initial load: this service's place */
	struct fsvc	*alias;		/* initial load: merged into this one */
	struct rendered	*r;
	int		 dirty;
	struct fsvc	*next_dirty;
	int		 refilter;	/* REFILTER_*, 0: not queued */
	TAILQ_ENTRY(fsvc) rq;
	uint64_t	*ipset;		/* its instances' ips (discoveryd.h), as */
	uint32_t	 ipset_mask;	/* of the last rendering; bits - 1 */
	char		 id[];
};

#define IPH_UNKNOWN	0	/* not worked out since the JSON changed */
#define IPH_SET		1
#define IPH_NONE	2	/* not an object: no ip management matches */

#define REFILTER_SLICE_MS	5	/* loop time per refilter slice */

static int
finst_cmp(struct finst *a, struct finst *b)
{
	return strcmp(a->key, b->key);
}

RB_GENERATE_LOCAL(sinsts, finst, by_svc, finst_cmp);

/* Chained hash tables of instances by key and services by id; power-of-two
 * bucket arrays that double when they hold as many entries as buckets. */
struct htab {
	void	**b;
	size_t	  mask;
	size_t	  n;
};

static uint32_t
hash_str(const char *s, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

struct pending {
	char		*service_id;
	const char	*type;
	char		*json;
	size_t		 len;
};

static struct htab	 keys;		/* struct finst by key */
static struct htab	 svcs;		/* struct fsvc by id */
static uint32_t		 epoch;		/* of the current rescan */
static struct finst	**slotmap;
static uint32_t		 slotcap;
static struct fsvc	*dirty_head;
static uint64_t		 last_seq;
static int32_t		 writer_pid;
static int		 replace_mode;	/* rescan of a new file: push only real changes */
static int		 rescan_wanted;
static int64_t		 last_gap_rescan;
static int64_t		 last_replaced_check;
static struct pending	*pend;
static TAILQ_HEAD(, fsvc) refilter_q = TAILQ_HEAD_INITIALIZER(refilter_q);
static size_t		 nrefilter;
static struct {
	int		 busy;		/* work was queued since the last done */
	int64_t		 started;
	unsigned	 slices;
	size_t		 rendered;
	int64_t		 longest;	/* slice, ms */
} rf;
static void		 render_dirty(void);
static void		 drop_slot_pages(uint32_t, uint32_t);
static size_t		 npend, pendcap;
static struct bus_sub	*bus;

/* Scratch arrays for rendering, one set per rendering thread: the loop's, and
 * the initial load's two workers. */
struct scratch {
	struct filter_inst	*fbuf;
	struct finst		**frefs;
	size_t			*joff;		/* initial load: JSON offsets in json */
	size_t			 cap;
	char			*json;		/* initial load: JSON read back from slots */
	size_t			 jlen;
	size_t			 jcap;
};
static struct scratch	 loop_scratch;

/* Bucket array for at least n entries (n rounded up to a power of two). */
static void **
htab_buckets(size_t n, size_t *mask)
{
	size_t sz = 64;
	void **b;

	while (sz < n)
		sz *= 2;
	if ((b = calloc(sz, sizeof(*b))) == NULL)
		fatal("hash table of %zu buckets", sz);
	*mask = sz - 1;
	return b;
}

static struct finst *
key_find(const char *key, size_t len, uint32_t h)
{
	struct finst *f;

	if (keys.b == NULL)
		return NULL;
	for (f = keys.b[h & keys.mask]; f != NULL; f = f->hnext)
		if (f->hash == h && strncmp(f->key, key, len) == 0 &&
		    f->key[len] == '\0')
			return f;
	return NULL;
}

/* Size the key table for n instances up front (initial load: no doubling). */
static void
keys_reserve(size_t n)
{
	struct finst *f, *next, **nb;
	size_t i, mask;

	if (keys.b != NULL && n <= keys.mask + 1)
		return;
	nb = (struct finst **)htab_buckets(n, &mask);
	for (i = 0; keys.b != NULL && i <= keys.mask; i++)
		for (f = keys.b[i]; f != NULL; f = next) {
			next = f->hnext;
			f->hnext = nb[f->hash & mask];
			nb[f->hash & mask] = f;
		}
	free(keys.b);
	keys.b = (void **)nb;
	keys.mask = mask;
}

static void
key_add(struct finst *f)
{
	if (keys.b == NULL || keys.n + 1 > keys.mask + 1)
		keys_reserve(keys.b == NULL ? 64 : 2 * (keys.mask + 1));
	f->hnext = keys.b[f->hash & keys.mask];
	keys.b[f->hash & keys.mask] = f;
	keys.n++;
}

static void
key_del(struct finst *f)
{
	struct finst **pp;

	for (pp = (struct finst **)&keys.b[f->hash & keys.mask]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == f) {
			*pp = f->hnext;
			keys.n--;
			return;
		}
	fatalx("instance %s missing from the key table", f->key);
}

static struct fsvc *
svc_find_in(struct htab *t, const char *id, uint32_t h)
{
	struct fsvc *s;

	if (t->b == NULL)
		return NULL;
	for (s = t->b[h & t->mask]; s != NULL; s = s->hnext)
		if (s->hash == h && strcmp(s->id, id) == 0)
			return s;
	return NULL;
}

static void
svc_add_in(struct htab *t, struct fsvc *s)
{
	struct fsvc *o, *next, **nb;
	size_t i, mask;

	if (t->b == NULL || t->n + 1 > t->mask + 1) {
		nb = (struct fsvc **)htab_buckets(t->b == NULL ? 64 :
		    2 * (t->mask + 1), &mask);
		for (i = 0; t->b != NULL && i <= t->mask; i++)
			for (o = t->b[i]; o != NULL; o = next) {
				next = o->hnext;
				o->hnext = nb[o->hash & mask];
				nb[o->hash & mask] = o;
			}
		free(t->b);
		t->b = (void **)nb;
		t->mask = mask;
	}
	s->hnext = t->b[s->hash & t->mask];
	t->b[s->hash & t->mask] = s;
	t->n++;
}

static void
svc_del(struct fsvc *s)
{
	struct fsvc **pp;

	for (pp = (struct fsvc **)&svcs.b[s->hash & svcs.mask]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			svcs.n--;
			return;
		}
	fatalx("service %s missing from the service table", s->id);
}

/* Every service, in no particular order; fn may not remove services. */
#define SVCS_FOREACH(s, i)						\
	for ((i) = 0; svcs.b != NULL && (i) <= svcs.mask; (i)++)	\
		for ((s) = svcs.b[(i)]; (s) != NULL; (s) = (s)->hnext)

static void
queue_push(const char *service_id, const char *type, const char *json, size_t len)
{
	if (env->ws == NULL)
		return;		/* initial scan: nobody can be subscribed yet */
	if (npend == pendcap) {
		pendcap = pendcap ? pendcap * 2 : 256;
		if ((pend = reallocarray(pend, pendcap, sizeof(*pend))) == NULL)
			fatal("queue_push");
	}
	pend[npend].service_id = strdup(service_id);
	pend[npend].type = type;
	pend[npend].json = xmemdup(json, len);
	pend[npend].len = len;
	if (pend[npend].service_id == NULL)
		fatal("queue_push");
	npend++;
}

/* Pushes go out after rendering, so a client that reacts to a push with a lookup
 * already sees the change. */
static void
flush_pushes(void)
{
	size_t i;

	for (i = 0; i < npend; i++) {
		push_change(pend[i].service_id, pend[i].type, pend[i].json, pend[i].len);
		free(pend[i].service_id);
		free(pend[i].json);
	}
	npend = 0;
}

static void
mark_dirty(struct fsvc *s)
{
	if (s->dirty)
		return;
	s->dirty = 1;
	s->next_dirty = dirty_head;
	dirty_head = s;
}

static struct fsvc *
svc_get_in(struct htab *t, const char *id, size_t len)
{
	struct fsvc *s;
	uint32_t h = hash_str(id, len);

	if ((s = svc_find_in(t, id, h)) != NULL)
		return s;
	if ((s = calloc(1, sizeof(*s) + len + 1)) == NULL)
		fatal("svc_get");
	memcpy(s->id, id, len);
	s->hash = h;
	RB_INIT(&s->insts);
	svc_add_in(t, s);
	return s;
}

static struct fsvc *
svc_get(const char *id, size_t len)
{
	return svc_get_in(&svcs, id, len);
}

static void
inst_detach(struct finst *f)
{
	RB_REMOVE(sinsts, &f->svc->insts, f);
	f->svc->n--;
	mark_dirty(f->svc);
	f->svc = NULL;
}

static void
inst_attach(struct finst *f, struct fsvc *s)
{
	f->svc = s;
	RB_INSERT(sinsts, &s->insts, f);
	s->n++;
	mark_dirty(s);
}

/* Remove an instance; push "delete" with the data we held (§8.3). */
static void
inst_remove(struct finst *f)
{
	if (f->slot < slotcap && slotmap[f->slot] == f)
		slotmap[f->slot] = NULL;
	queue_push(f->svc->id, CHANGE_DELETE, f->json, f->len);
	inst_detach(f);
	key_del(f);
	mgmt_fields_free(f->fields);
	free(f->own);
	free(f);
}

static void
inst_set_json(struct finst *f, const struct table_rec *rec)
{
	free(f->own);
	f->own = xmemdup(rec->json, rec->json_len);
	f->json = f->own;
	f->len = rec->json_len;
	mgmt_fields_free(f->fields);
	f->fields = NULL;
	f->iph_state = IPH_UNKNOWN;
}

/* Bring our view of one slot in line with the table. In sweep mode (rescan) an
 * instance that left the slot is only detached: the sweep deletes it unless it
 * shows up in another slot. */
static void
reconcile(uint32_t slot, int sweep)
{
	struct table_rec rec;
	struct finst *cur, *f;
	uint32_t h;
	int live, changed;

	if (slot >= slotcap)
		return;
	/* an unregistered instance is gone at once; its slot stays a while as
	 * a tombstone for the replicator (registryd's lease.c) */
	live = table_read_slot(env->table, slot, &rec) == 1 && rec.eviction_ms == 0;
	cur = slotmap[slot];
	if (cur != NULL) {
		if (live && cur->gen == rec.gen && strcmp(cur->key, rec.key) == 0) {
			cur->seen = epoch;
			return;
		}
		slotmap[slot] = NULL;
		if (!sweep && (!live || strcmp(cur->key, rec.key) != 0))
			inst_remove(cur);
	}
	if (!live)
		return;
	h = hash_str(rec.key, rec.key_len);
	if ((f = key_find(rec.key, rec.key_len, h)) != NULL) {
		if (f->slot < slotcap && slotmap[f->slot] == f)
			slotmap[f->slot] = NULL;
		changed = !replace_mode || f->len != rec.json_len ||
		    memcmp(f->json, rec.json, rec.json_len) != 0;
		if (strcmp(f->svc->id, rec.service_id) != 0) {
			inst_detach(f);
			inst_attach(f, svc_get(rec.service_id, rec.svc_len));
		} else if (changed)
			mark_dirty(f->svc);
		if (changed)
			inst_set_json(f, &rec);
	} else {
		if ((f = calloc(1, sizeof(*f) + rec.key_len + 1)) == NULL)
			fatal("reconcile");
		memcpy(f->key, rec.key, rec.key_len + 1);
		f->hash = h;
		inst_set_json(f, &rec);
		key_add(f);
		inst_attach(f, svc_get(rec.service_id, rec.svc_len));
		changed = 1;
	}
	f->slot = slot;
	f->gen = rec.gen;
	f->seen = epoch;
	slotmap[slot] = f;
	if (!changed)
		return;
	/* the next rendering decides whether it is hidden; no second push then */
	f->fresh = 1;
	/* §6.9: "new" of an instance management holds down is not published */
	if (!mgmt_inst_down(f->svc->id, &f->fields, f->json, f->len))
		queue_push(f->svc->id, CHANGE_NEW, f->json, f->len);
}

static void
apply(const struct table_journal_rec *jr)
{
	struct finst *cur;

	switch (jr->kind) {
	case TC_DELETE:
		if (jr->slot < slotcap && (cur = slotmap[jr->slot]) != NULL &&
		    cur->gen == jr->gen)
			inst_remove(cur);
		reconcile(jr->slot, 0);
		break;
	case TC_UPSERT:
		reconcile(jr->slot, 0);
		if (jr->old_slot != 0)
			reconcile(jr->old_slot - 1, 0);
		break;
	default:	/* TC_EVICT: gone now (Java: at its cleaning; compat.md) */
		reconcile(jr->slot, 0);
		break;
	}
}

/*
 * A rescan reconciles every slot, then deletes what it did not see (mark and
 * sweep). It runs in slices of RESCAN_SLICE slots, one per follower pass, so the
 * loop thread keeps answering pings and pushing while 1,000,000 slots are read;
 * the journal is applied again from the rescan's start once it is complete.
 */
#define RESCAN_SLICE	32768

static struct {
	int		 active;
	uint32_t	 next;
	uint32_t	 hwm;
	uint64_t	 seq;
	int64_t		 started;
	unsigned	 slices;
} rs;

static void
rescan_begin(void)
{
	int32_t pid;

	rs.seq = table_change_seq(env->table);
	rs.hwm = table_hwm(env->table);
	if (rs.hwm > slotcap)
		rs.hwm = slotcap;
	rs.next = 0;
	rs.active = 1;
	rs.started = mono_ms();
	rs.slices = 0;
	epoch++;
	keys_reserve(table_live(env->table));
	if ((pid = atomic_load(&table_header(env->table)->writer_pid)) != 0)
		writer_pid = pid;
}

/* An instance the rescan did not see but the table holds was written after the
 * rescan passed its new slot (a re-registration moves it to a fresh slot): the
 * journal replay from rs.seq moves it, so it is not deleted (and re-announced). */
static int
moved_behind(const struct finst *f)
{
	struct table_loc loc;

	return table_locate(env->table, f->key, strlen(f->key), &loc) == 1 &&
	    loc.eviction_ms == 0;
}

/* Reconcile up to budget slots; 1 when the rescan is complete. */
static int
rescan_step(uint32_t budget)
{
	struct finst *f, *next;
	struct fsvc *s;
	uint32_t i, end;
	size_t b;

	end = rs.hwm - rs.next > budget ? rs.next + budget : rs.hwm;
	for (i = rs.next; i < end; i++)
		reconcile(i, 1);
	drop_slot_pages(rs.next, end);
	rs.next = end;
	rs.slices++;
	if (end < rs.hwm)
		return 0;
	SVCS_FOREACH(s, b)
		RB_FOREACH_SAFE(f, sinsts, &s->insts, next)
			if (f->seen != epoch && !moved_behind(f))
				inst_remove(f);
	last_seq = rs.seq;
	rs.active = 0;
	log_debug("rescan: %u slots, %u live, at seq %llu, %u slices in %lld ms",
	    rs.hwm, table_live(env->table), (unsigned long long)rs.seq, rs.slices,
	    (long long)(mono_ms() - rs.started));
	return 1;
}

/* A whole rescan now (a replaced table file). */
static void
rescan(void)
{
	rescan_begin();
	rescan_step(UINT32_MAX);
}

/*
 * Slot pages we have copied leave our resident set: the mapping is read-only and
 * MAP_SHARED, so MADV_DONTNEED only drops our page table entries (the page cache
 * keeps the pages for registryd) and a later read faults them back in. Without it
 * a full scan leaves the whole slot array (1 GiB for 1,000,000 instances) counted
 * in discoveryd's RSS.
 */
static void
drop_slot_pages(uint32_t from, uint32_t to)
{
	static long pagesz;
	const struct table_slot *a, *b;
	uintptr_t lo, hi, range[3][2];
	int i;

	if (pagesz == 0 && (pagesz = sysconf(_SC_PAGESIZE)) <= 0)
		pagesz = 4096;
	if (from >= to || (a = table_slot_at(env->table, from)) == NULL ||
	    (b = table_slot_at(env->table, to - 1)) == NULL)
		return;
	range[0][0] = (uintptr_t)a;
	range[0][1] = (uintptr_t)(b + 1);
	/* and the extensions and overflows, where long records keep their tails */
	range[1][0] = (uintptr_t)table_slot_ext(env->table, from);
	range[1][1] = (uintptr_t)table_slot_ext(env->table, to - 1) + TABLE_EXT_SIZE;
	range[2][0] = (uintptr_t)table_slot_ovf(env->table, from);
	range[2][1] = (uintptr_t)table_slot_ovf(env->table, to - 1) + TABLE_OVF_SIZE;
	for (i = 0; i < 3; i++) {
		lo = range[i][0] & ~(uintptr_t)(pagesz - 1);
		hi = (range[i][1] + (uintptr_t)pagesz - 1) & ~(uintptr_t)(pagesz - 1);
		if (madvise((void *)lo, hi - lo, MADV_DONTNEED) == -1)
			log_debug("madvise of slots %u-%u: %s", from, to,
			    strerror(errno));
	}
}

/*
 * The initial load (warm start): 1,000,000 instances in 10,000 services must be
 * answerable within a second of exec, and nothing is served until they are
 * (main.c). Each phase is split between two threads (the machine's two cores)
 * and reads the slots in order; each instance's JSON, the slot's canonical wire
 * JSON, is copied once, into its place in its service's answer: rendering is
 * concatenation, nothing is parsed (management parses an instance only if it
 * could hide it).
 *
 * 1. scan: one instance per live slot (key, slot, gen, service, JSON length);
 *    each thread takes half the slots and finds services in a table of its own,
 *    merged afterwards.
 * 2. layout: the instances grouped by service (a counting sort), each service's
 *    tree filled and its answer laid out with a hole of the right size for each
 *    instance (rendered_layout). Meanwhile the other thread fills the key hash
 *    table, which only the loop needs, later.
 * 3. fill: each thread reads half the slots again and copies each JSON into its
 *    hole.
 * 4. complete: the filter chain runs and each answer gets its tail in place
 *    (rendered_complete), then is published.
 *
 * The writer may change slots meanwhile: its changes are journalled after seq
 * and replayed by the first pass. Until then a key met twice (moved mid-scan)
 * keeps its first slot, and an instance whose slot changed between scan and
 * fill is read through the table's index (its service rendered the usual way),
 * or dropped if it is gone.
 */
/* finst.bulk (finst.bulk_dup is set by the key builder alone) */
#define BULK_GONE	1	/* left out of its service (gone, or a dup there) */
#define BULK_STALE	2	/* its slot changed between scan and fill */

struct bulk_part {
	struct bulk_job	*job;
	uint32_t	 from;		/* slots */
	uint32_t	 to;
	struct htab	*svcs;		/* scan: where services are found */
	struct finst	**v;		/* scan: its instances, in slot order */
	size_t		 nv;
	size_t		 vcap;
	struct scratch	 sc;
	struct finst	**gone;		/* BULK_GONE */
	size_t		 ngone;
	size_t		 gonecap;
};

struct bulk_job {
	struct finst	**v;		/* every instance, in slot order */
	size_t		  nv;
	struct finst	**by_svc;	/* grouped by service */
	struct fsvc	**svcs;
	size_t		  nsvcs;
	_Atomic size_t	  next;		/* next service to lay out or complete */
	struct finst	**dups;		/* bulk_dup, written by the key builder only */
	size_t		  ndups;
	size_t		  dupcap;
	struct fsvc	 *aliased;	/* the second part's services merged away */
	struct bulk_part  part[2];
};

static void	 grow_scratch(struct scratch *, size_t);
static void	 scratch_free(struct scratch *);
static void	 render_finish(struct fsvc *, struct filter_service *,
		    struct scratch *, struct rendered *);

/* Run fn on both parts, the second on a helper thread (or after the first). */
static void
bulk_run(struct bulk_job *j, void *(*fn)(void *))
{
	pthread_t helper;
	int threaded;

	threaded = pthread_create(&helper, NULL, fn, &j->part[1]) == 0;
	fn(&j->part[0]);
	if (!threaded)
		fn(&j->part[1]);
	else if ((errno = pthread_join(helper, NULL)) != 0)
		fatal("initial load: helper thread");
}

static void
part_keep(struct finst ***v, size_t *n, size_t *cap, struct finst *f)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		if ((*v = reallocarray(*v, *cap, sizeof(**v))) == NULL)
			fatal("initial load");
	}
	(*v)[(*n)++] = f;
}

/* 1. An instance per live slot of the part; no JSON copied. */
static void *
bulk_scan(void *arg)
{
	struct bulk_part *p = arg;
	struct table_rec rec;
	struct finst *f;
	uint32_t i;

	for (i = p->from; i < p->to; i++) {
		if (!table_read_slot(env->table, i, &rec) || rec.eviction_ms != 0)
			continue;	/* free, or an unregistered instance's tombstone */
		if ((f = calloc(1, sizeof(*f) + rec.key_len + 1)) == NULL)
			fatal("initial load");
		memcpy(f->key, rec.key, rec.key_len + 1);
		f->hash = hash_str(rec.key, rec.key_len);
		f->slot = i;
		f->gen = rec.gen;
		f->len = rec.json_len;
		f->seen = epoch;
		f->svc = svc_get_in(p->svcs, rec.service_id, rec.svc_len);
		slotmap[i] = f;
		part_keep(&p->v, &p->nv, &p->vcap, f);
	}
	return NULL;
}

/* The second part's services join the global table (or alias one there). */
static void
bulk_merge(struct bulk_job *j, struct htab *t)
{
	struct fsvc *s, *next, *g;
	size_t i;

	for (i = 0; t->b != NULL && i <= t->mask; i++)
		for (s = t->b[i]; s != NULL; s = next) {
			next = s->hnext;
			if ((g = svc_find_in(&svcs, s->id, s->hash)) != NULL) {
				s->alias = g;
				s->hnext = j->aliased;
				j->aliased = s;
			} else
				svc_add_in(&svcs, s);
		}
	free(t->b);
	memset(t, 0, sizeof(*t));
}

/* Every instance in slot order, grouped by service: s->n instances each, ending
 * at by_svc[s->bulk]. */
static void
bulk_group(struct bulk_job *j)
{
	struct fsvc *s;
	struct finst *f;
	size_t i, b, pos = 0, k;

	j->nv = j->part[0].nv + j->part[1].nv;
	if ((j->v = reallocarray(NULL, j->nv + 1, sizeof(*j->v))) == NULL ||
	    (j->by_svc = reallocarray(NULL, j->nv + 1, sizeof(*j->by_svc))) == NULL ||
	    (j->svcs = reallocarray(NULL, svcs.n + 1, sizeof(*j->svcs))) == NULL)
		fatal("initial load");
	SVCS_FOREACH(s, b)
		s->n = 0;
	for (k = 0, i = 0; k < 2; k++) {
		if (j->part[k].nv > 0)
			memcpy(j->v + i, j->part[k].v, j->part[k].nv * sizeof(*j->v));
		i += j->part[k].nv;
		free(j->part[k].v);
		j->part[k].v = NULL;
	}
	for (i = 0; i < j->nv; i++) {
		f = j->v[i];
		if (f->svc->alias != NULL)
			f->svc = f->svc->alias;
		f->svc->n++;
	}
	SVCS_FOREACH(s, b) {
		s->bulk = pos;
		pos += s->n;
		j->svcs[j->nsvcs++] = s;
	}
	for (i = 0; i < j->nv; i++)
		j->by_svc[j->v[i]->svc->bulk++] = j->v[i];
}

void	(*follower_load_hook)(void);

static struct finst *
key_find_str(const char *key, uint32_t h)
{
	struct finst *f;

	for (f = keys.b[h & keys.mask]; f != NULL; f = f->hnext)
		if (f->hash == h && strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

/* The key table, in slot order: a later slot of a key already held is a dup. */
static void
bulk_keys(struct bulk_job *j)
{
	struct finst *f;
	size_t i;

	for (i = 0; i < j->nv; i++) {
		f = j->v[i];
		if (key_find_str(f->key, f->hash) == NULL)
			key_add(f);
		else {
			f->bulk_dup = 1;
			part_keep(&j->dups, &j->ndups, &j->dupcap, f);
		}
	}
}

static void
bulk_gone(struct bulk_part *p, struct fsvc *s, struct finst *f, int attached)
{
	if (attached) {
		RB_REMOVE(sinsts, &s->insts, f);
		s->n--;
	}
	f->bulk |= BULK_GONE;
	part_keep(&p->gone, &p->ngone, &p->gonecap, f);
}

/* 2. A service's tree and the layout of its answer (in s->r until complete);
 * f->json is where the instance's JSON goes. */
static void
bulk_layout_svc(struct bulk_part *p, struct fsvc *s)
{
	struct scratch *sc = &p->sc;
	struct finst *f, **v;
	size_t i, n = s->n;

	v = p->job->by_svc + (s->bulk - n);
	s->n = 0;
	for (i = 0; i < n; i++) {
		if (RB_INSERT(sinsts, &s->insts, v[i]) == NULL)
			s->n++;
		else	/* a key met twice: the later slot is the key builder's dup */
			bulk_gone(p, s, v[i], 0);
	}
	grow_scratch(sc, s->n);
	n = 0;
	RB_FOREACH(f, sinsts, &s->insts) {
		sc->fbuf[n].key = f->key;
		sc->fbuf[n].len = f->len;
		sc->frefs[n++] = f;
	}
	s->r = rendered_layout(s->id, sc->fbuf, n);
	for (i = 0; i < n; i++)
		sc->frefs[i]->json = sc->fbuf[i].json;
}

static void *
bulk_layout(void *arg)
{
	struct bulk_part *p = arg;
	struct bulk_job *j = p->job;
	size_t i;

	if (p == &j->part[1])
		bulk_keys(j);
	while ((i = atomic_fetch_add(&j->next, 1)) < j->nsvcs)
		bulk_layout_svc(p, j->svcs[i]);
	return NULL;
}

/* 3. Each JSON into its hole, the slots read in order. */
static void *
bulk_fill(void *arg)
{
	struct bulk_part *p = arg;
	struct table_rec rec;
	struct finst *f;
	char *body;
	uint32_t i;

	for (i = p->from; i < p->to; i++) {
		if ((f = slotmap[i]) == NULL || (f->bulk & BULK_GONE))
			continue;
		if (!table_read_slot(env->table, i, &rec) || rec.gen != f->gen ||
		    rec.eviction_ms != 0 || rec.json_len != f->len ||
		    strcmp(rec.key, f->key) != 0) {
			f->bulk |= BULK_STALE;
			continue;
		}
		body = f->svc->r->body->data;
		memcpy(body + (f->json - body), rec.json, rec.json_len);
		/* the ip filter's share, while the JSON is at hand */
		f->iph_state = mgmt_inst_ip_hash(&f->fields, rec.json,
		    rec.json_len, &f->iph) == 0 ? IPH_SET : IPH_NONE;
	}
	return NULL;
}

/* An instance whose slot changed since the scan, read through the table's
 * index into the scratch JSON; -1 if it is gone. */
static int
bulk_reread(struct scratch *sc, struct finst *f, size_t *off)
{
	struct table_rec rec;

	if (table_find(env->table, f->key, strlen(f->key), &rec) != 1 ||
	    rec.eviction_ms != 0)
		return -1;
	if (sc->jcap - sc->jlen < rec.json_len) {
		sc->jcap = sc->jlen + rec.json_len + 65536;
		if ((sc->json = realloc(sc->json, sc->jcap)) == NULL)
			fatal("initial load");
	}
	memcpy(sc->json + sc->jlen, rec.json, rec.json_len);
	*off = sc->jlen;
	sc->jlen += rec.json_len;
	f->len = rec.json_len;
	f->iph_state = IPH_UNKNOWN;
	return 0;
}

/* 4. Filter, complete and publish a service (the usual rendering if one of its
 * instances changed meanwhile). */
static void
bulk_complete_svc(struct bulk_part *p, struct fsvc *s)
{
	struct scratch *sc = &p->sc;
	struct filter_service fs;
	struct rendered *layout = s->r;
	struct finst *f, *next;
	size_t i, n = 0, stale = 0;

	s->r = NULL;
	grow_scratch(sc, s->n);
	sc->jlen = 0;
	RB_FOREACH_SAFE(f, sinsts, &s->insts, next) {
		sc->joff[n] = SIZE_MAX;
		if ((f->bulk & BULK_STALE) && bulk_reread(sc, f, &sc->joff[n]) == -1) {
			bulk_gone(p, s, f, 1);
			continue;
		}
		stale += (f->bulk & BULK_STALE) != 0;
		sc->fbuf[n].key = f->key;
		sc->fbuf[n].fields = &f->fields;
		sc->frefs[n++] = f;
	}
	for (i = 0; i < n; i++) {
		f = sc->frefs[i];
		if (sc->joff[i] != SIZE_MAX)	/* the scratch may have moved */
			f->json = sc->json + sc->joff[i];
		sc->fbuf[i].json = f->json;
		sc->fbuf[i].len = f->len;
	}
	if (n == 0) {
		rendered_unref(layout);
		return;		/* emptied: removed after the threads are done */
	}
	filter_service_init(&fs, s->id, sc->fbuf, n);
	if (stale == 0) {
		render_finish(s, &fs, sc, layout);
		return;
	}
	render_finish(s, &fs, sc, NULL);	/* the layout no longer fits */
	rendered_unref(layout);
}

static void *
bulk_complete(void *arg)
{
	struct bulk_part *p = arg;
	struct bulk_job *j = p->job;
	size_t i;

	while ((i = atomic_fetch_add(&j->next, 1)) < j->nsvcs)
		bulk_complete_svc(p, j->svcs[i]);
	return NULL;
}

static void
bulk_free(struct finst *f)
{
	if (f->slot < slotcap && slotmap[f->slot] == f)
		slotmap[f->slot] = NULL;
	mgmt_fields_free(f->fields);
	free(f->own);
	free(f);
}

/* After the threads: drop the dups and the gone; their services render again
 * (or go). */
static void
bulk_drop(struct bulk_job *j)
{
	struct finst *f;
	size_t i, k, ngone = 0;

	for (i = 0; i < j->ndups; i++) {
		f = j->dups[i];
		if (f->bulk & BULK_GONE)
			continue;	/* out of its service already, freed below */
		inst_detach(f);
		bulk_free(f);
	}
	for (k = 0; k < 2; k++)
		for (i = 0; i < j->part[k].ngone; i++, ngone++) {
			f = j->part[k].gone[i];
			mark_dirty(f->svc);
			if (!f->bulk_dup)
				key_del(f);
			bulk_free(f);
		}
	if (j->ndups > 0 || ngone > 0)
		log_debug("initial load: %zu keys met twice, %zu instances left out",
		    j->ndups, ngone);
}

/* CPU time of the process (both threads), ms. */
static int64_t
cpu_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
bulk_load(void)
{
	struct bulk_job j;
	struct htab part_svcs;
	struct fsvc *s;
	uint64_t seq;
	uint32_t hwm, pid;
	int64_t t0 = mono_ms(), c0 = cpu_ms(), t1, t2, t3;
	size_t k;

	memset(&j, 0, sizeof(j));
	memset(&part_svcs, 0, sizeof(part_svcs));
	seq = table_change_seq(env->table);
	epoch++;
	hwm = table_hwm(env->table);
	if (hwm > slotcap)
		hwm = slotcap;
	keys_reserve((size_t)table_live(env->table) + 1024);
	for (k = 0; k < 2; k++)
		j.part[k].job = &j;
	j.part[0].to = j.part[1].from = hwm / 2;
	j.part[1].to = hwm;
	j.part[0].svcs = &svcs;
	j.part[1].svcs = &part_svcs;

	bulk_run(&j, bulk_scan);
	bulk_merge(&j, &part_svcs);
	bulk_group(&j);
	while ((s = j.aliased) != NULL) {
		j.aliased = s->hnext;
		free(s);
	}
	t1 = mono_ms();
	atomic_init(&j.next, 0);
	bulk_run(&j, bulk_layout);
	if (follower_load_hook != NULL)
		follower_load_hook();
	t2 = mono_ms();
	bulk_run(&j, bulk_fill);
	t3 = mono_ms();
	atomic_store(&j.next, 0);
	bulk_run(&j, bulk_complete);

	bulk_drop(&j);
	render_dirty();
	drop_slot_pages(0, hwm);
	for (k = 0; k < 2; k++) {
		scratch_free(&j.part[k].sc);
		free(j.part[k].gone);
	}
	free(j.dups);
	free(j.v);
	free(j.by_svc);
	free(j.svcs);
	last_seq = seq;
	if ((pid = (uint32_t)atomic_load(&table_header(env->table)->writer_pid)) != 0)
		writer_pid = (int32_t)pid;
	log_debug("initial load: %u slots, %zu instances, %zu services at seq %llu "
	    "in %lld ms (scan %lld, layout %lld, fill %lld, complete %lld), "
	    "%lld ms CPU", hwm, keys.n, svcs.n, (unsigned long long)seq,
	    (long long)(mono_ms() - t0), (long long)(t1 - t0), (long long)(t2 - t1),
	    (long long)(t3 - t2), (long long)(mono_ms() - t3),
	    (long long)(cpu_ms() - c0));
}

static void
slotmap_reset(void)
{
	free(slotmap);
	slotcap = table_capacity(env->table) + 1;	/* one spare slot (table.h) */
	if ((slotmap = calloc(slotcap, sizeof(*slotmap))) == NULL)
		fatal("slotmap");
}

static void
grow_scratch(struct scratch *sc, size_t n)
{
	if (n <= sc->cap)
		return;
	sc->cap = n;
	if ((sc->fbuf = reallocarray(sc->fbuf, n, sizeof(*sc->fbuf))) == NULL ||
	    (sc->frefs = reallocarray(sc->frefs, n, sizeof(*sc->frefs))) == NULL ||
	    (sc->joff = reallocarray(sc->joff, n, sizeof(*sc->joff))) == NULL)
		fatal("grow_scratch");
}

static void
scratch_free(struct scratch *sc)
{
	free(sc->fbuf);
	free(sc->frefs);
	free(sc->joff);
	free(sc->json);
	memset(sc, 0, sizeof(*sc));
}

/* The service's instances, in key order, into the scratch arrays. */
static void
render_prepare(struct fsvc *s, struct filter_service *fs, struct scratch *sc)
{
	struct finst *f;
	size_t n = 0;

	grow_scratch(sc, s->n);
	RB_FOREACH(f, sinsts, &s->insts) {
		sc->fbuf[n].key = f->key;
		sc->fbuf[n].json = f->json;
		sc->fbuf[n].len = f->len;
		sc->fbuf[n].fields = &f->fields;
		sc->frefs[n++] = f;
	}
	filter_service_init(fs, s->id, sc->fbuf, n);
}

/* An instance the chain hides now and did not before (or the reverse) is
 * pushed as gone (or back), unless it changed since: then its push is queued. */
static void
push_visibility(struct fsvc *s, struct finst *f, int hidden)
{
	if (f->fresh)
		f->fresh = 0;
	else if (hidden != f->hidden)
		queue_push(s->id, hidden ? CHANGE_DELETE : CHANGE_NEW, f->json,
		    f->len);
	f->hidden = (uint8_t)hidden;
}

/*
 * The service's ip filter from its instances as rendered (hidden ones too: a
 * server pull-in shows them again). An instance's ip hash is worked out once
 * per JSON, so a rendering after one change reads one instance; the initial
 * load reads every instance here (~0.12 s of CPU at 1 M, on its two threads).
 */
static void
ipset_build(struct fsvc *s)
{
	struct finst *f;
	uint32_t bits = 64, b;
	unsigned k;

	while (bits < (uint64_t)s->n * IPSET_BITS_PER_INST && bits < (1u << 31))
		bits *= 2;
	if (s->ipset == NULL || s->ipset_mask != bits - 1) {
		free(s->ipset);
		if ((s->ipset = calloc(bits / 64, sizeof(*s->ipset))) == NULL)
			fatal("ipset_build");
		s->ipset_mask = bits - 1;
	} else
		memset(s->ipset, 0, bits / 8);
	RB_FOREACH(f, sinsts, &s->insts) {
		if (f->iph_state == IPH_UNKNOWN)
			f->iph_state = mgmt_inst_ip_hash(&f->fields, f->json,
			    f->len, &f->iph) == 0 ? IPH_SET : IPH_NONE;
		if (f->iph_state != IPH_SET)
			continue;
		for (k = 0; k < IPSET_PROBES; k++) {
			b = ipset_bit(f->iph, k, s->ipset_mask);
			s->ipset[b / 64] |= UINT64_C(1) << (b % 64);
		}
	}
}

/* Filter and render (complete the layout the JSON was read into, if given).
 * The initial load calls it from two threads, where queue_push() does nothing:
 * nobody can be subscribed yet. */
static void
render_finish(struct fsvc *s, struct filter_service *fs, struct scratch *sc,
    struct rendered *layout)
{
	struct rendered *r, *old;
	struct finst *f;
	size_t i, k, n = fs->ninst;

	filter_run(fs);
	r = layout != NULL ? rendered_complete(layout, fs) : rendered_build(fs);
	/* Point kept instances into the new body; hidden ones keep a copy. */
	for (i = 0, k = 0; i < n; i++) {
		f = sc->frefs[i];
		push_visibility(s, f, !sc->fbuf[i].keep);
		if (sc->fbuf[i].keep) {
			f->json = r->body->data + r->inst[k++].off;
			free(f->own);
			f->own = NULL;
		} else if (f->own == NULL) {
			f->own = xmemdup(f->json, f->len);
			f->json = f->own;
		}
	}
	filter_service_free(fs);
	ipset_build(s);
	if (layout != NULL && layout != r)
		rendered_unref(layout);		/* hidden ones were copied from it */
	old = s->r;
	s->r = r;
	cache_put(s->id, rendered_ref(r));
	rendered_unref(old);
}

static void
render(struct fsvc *s)
{
	struct filter_service fs;

	render_prepare(s, &fs, &loop_scratch);
	render_finish(s, &fs, &loop_scratch, NULL);
}

static void
render_dirty(void)
{
	struct fsvc *s;

	while ((s = dirty_head) != NULL) {
		dirty_head = s->next_dirty;
		s->dirty = 0;
		if (s->n > 0) {
			render(s);
			continue;
		}
		cache_put(s->id, NULL);
		rendered_unref(s->r);
		if (s->refilter) {
			TAILQ_REMOVE(&refilter_q, s, rq);
			nrefilter--;
		}
		svc_del(s);
		free(s->ipset);
		free(s);
	}
}

static void	wake_loop(void);

/* Re-render queued services for about REFILTER_SLICE_MS; 1 when none is left. */
static int
refilter_step(void)
{
	struct filter_service fs;
	struct fsvc *s;
	int64_t start = mono_ms(), spent;
	int mode, done = 1;

	while ((s = TAILQ_FIRST(&refilter_q)) != NULL) {
		if (mono_ms() - start >= REFILTER_SLICE_MS) {
			done = 0;
			break;
		}
		TAILQ_REMOVE(&refilter_q, s, rq);
		nrefilter--;
		mode = s->refilter;
		s->refilter = 0;
		if (s->dirty || s->n == 0)
			continue;	/* render_dirty() renders it anyway */
		/* the filter first: it may have changed since the queueing */
		if (mode == REFILTER_CHECK && s->ipset != NULL &&
		    !mgmt_ipset_hit(s->ipset, s->ipset_mask))
			continue;
		render_prepare(s, &fs, &loop_scratch);
		if (mode == REFILTER_CHECK && !mgmt_refilter_check(&fs)) {
			filter_service_free(&fs);
			continue;
		}
		render_finish(s, &fs, &loop_scratch, NULL);
		rf.rendered++;
	}
	rf.slices++;
	if ((spent = mono_ms() - start) > rf.longest)
		rf.longest = spent;
	return done;
}

/* One slice, its pushes, and either the next slice soon or the end. */
static void
refilter_run(void)
{
	int done;

	if (!rf.busy)
		return;
	done = refilter_step();
	flush_pushes();
	if (!done) {
		wake_loop();
		return;
	}
	if (rf.rendered > 0 || rf.slices > 1)
		log_debug("refilter: %zu services re-rendered in %lld ms, %u slices, "
		    "longest %lld ms", rf.rendered, (long long)(mono_ms() -
		    rf.started), rf.slices, (long long)rf.longest);
	memset(&rf, 0, sizeof(rf));
	mgmt_refilter_done();
}

void
follower_refilter(int (*classify)(const char *, void *), void *arg)
{
	struct fsvc *s;
	size_t b;
	int mode;

	if (classify != NULL)
		SVCS_FOREACH(s, b) {
			if ((mode = classify(s->id, arg)) <= s->refilter)
				continue;
			/* a rendering after this pass (dirty) or none yet
			 * decides without the filter */
			if (mode == REFILTER_CHECK && !s->dirty &&
			    s->ipset != NULL &&
			    !mgmt_ipset_hit(s->ipset, s->ipset_mask))
				continue;
			if (s->refilter == 0) {
				TAILQ_INSERT_TAIL(&refilter_q, s, rq);
				nrefilter++;
			}
			s->refilter = mode;
		}
	if (!rf.busy) {
		rf.busy = 1;
		rf.started = mono_ms();
	}
	refilter_run();
}

size_t
follower_refilter_queued(void)
{
	return nrefilter;
}

static void
check_replaced(void)
{
	struct table *t;
	char err[256];
	int64_t now = mono_ms();

	if (now - last_replaced_check < REPLACED_CHECK_MS)
		return;
	last_replaced_check = now;
	if (!table_replaced(env->table))
		return;
	if ((t = table_open_reader(env->table_path, err, sizeof(err))) == NULL) {
		log_debug("table was replaced but cannot be opened yet: %s", err);
		return;
	}
	log_info("table file was replaced, reloading it");
	/* The old mapping is left in place: status handlers on other threads may
	 * still read it, and a replaced table is a rare event. */
	env->table = t;
	env->node.table = t;
	slotmap_reset();
	rs.active = 0;		/* a rescan of the old file is moot */
	replace_mode = 1;
	rescan();
	replace_mode = 0;
}

/*
 * Read-your-writes: a client that got register.json's answer and then asks for a
 * lookup must see its instance, as with the Java server. An HTTP thread that finds
 * the table ahead of what the loop has applied wakes the loop and waits (bounded)
 * until the follower caught up. Up-to-date requests pay one atomic load.
 */
static _Atomic uint64_t	 applied_seq;
static int		 wake_fd = -1;
static pthread_mutex_t	 sync_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 sync_cond;

static void
publish_applied(void)
{
	pthread_mutex_lock(&sync_lock);
	atomic_store(&applied_seq, last_seq);
	pthread_cond_broadcast(&sync_cond);
	pthread_mutex_unlock(&sync_lock);
}

void
follower_sync(int64_t timeout_ms)
{
	uint64_t want = table_change_seq(env->table), one = 1;
	struct timespec ts;

	if (atomic_load(&applied_seq) >= want || wake_fd == -1)
		return;
	if (write(wake_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("follower wake");
	mono_deadline(&ts, timeout_ms);
	pthread_mutex_lock(&sync_lock);
	while (atomic_load(&applied_seq) < want &&
	    pthread_cond_timedwait(&sync_cond, &sync_lock, &ts) == 0)
		;
	pthread_mutex_unlock(&sync_lock);
}

/* Have the loop call follower_pass() again once it served what else is ready. */
static void
wake_loop(void)
{
	uint64_t one = 1;

	if (wake_fd != -1 && write(wake_fd, &one, sizeof(one)) == -1 &&
	    errno != EAGAIN)
		log_warn("follower wake");
}

static void
on_wake(void *arg)
{
	uint64_t v;

	(void)arg;
	if (read(wake_fd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		log_warn("follower wake read");
	follower_pass();
}

/* Apply journal records up to cur (at most FOLLOW_BATCH); an overrun starts a
 * rescan. */
static void
follow_journal(uint64_t cur)
{
	struct table_journal_rec jr;
	int n = 0, rc;

	while (last_seq < cur && n++ < FOLLOW_BATCH) {
		rc = table_journal_get(env->table, last_seq + 1, &jr);
		if (rc == 1)
			break;		/* announced but not written yet */
		if (rc == -1) {
			log_info("fell behind the journal at %llu, rescanning",
			    (unsigned long long)(last_seq + 1));
			rescan_begin();
			break;
		}
		apply(&jr);
		last_seq++;
	}
}

void
follower_pass(void)
{
	uint64_t cur;
	int32_t pid;

	check_replaced();
	pid = atomic_load(&table_header(env->table)->writer_pid);
	if (pid != 0 && pid != writer_pid) {	/* 0: stopped cleanly, not back yet */
		log_info("registryd (pid %d) attached, rescanning the table", (int)pid);
		rescan_wanted = 1;
	}
	if (rescan_wanted && !rs.active) {
		rescan_wanted = 0;
		rescan_begin();
	}
	cur = table_change_seq(env->table);
	if (!rs.active && cur < last_seq) {
		log_warnx("change sequence went back (%llu < %llu), rescanning",
		    (unsigned long long)cur, (unsigned long long)last_seq);
		rescan_begin();
	}
	if (!rs.active)
		follow_journal(cur);
	/* the journal waits until a rescan is complete, then goes on from its start */
	if (rs.active && rescan_step(RESCAN_SLICE))
		follow_journal(table_change_seq(env->table));
	render_dirty();
	flush_pushes();
	publish_applied();
	refilter_run();
}

uint64_t
follower_seq(void)
{
	return last_seq;
}

int
follower_init(void)
{
	slotmap_reset();
	bulk_load();
	log_info("loaded %u instances at change sequence %llu",
	    table_live(env->table), (unsigned long long)last_seq);
	return 0;
}

static void
on_tick(void *arg)
{
	(void)arg;
	follower_pass();
	snapshot_tick();
}

static void
on_bus(void *arg)
{
	struct bus_hint h;
	int64_t now;

	(void)arg;
	while (bus_sub_recv(bus, &h) == 1) {
		now = mono_ms();
		if (h.gap && now - last_gap_rescan >= GAP_RESCAN_MIN_MS) {
			last_gap_rescan = now;
			rescan_wanted = 1;
		}
	}
	follower_pass();
}

void
follower_start(struct ws_server *ws)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sync_cond, &ca);
	pthread_condattr_destroy(&ca);
	publish_applied();
	if ((wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    ws_loop_add_fd(ws, wake_fd, on_wake, NULL) == -1)
		fatal("follower wake-up descriptor");
	if (ws_loop_add_timer(ws, FOLLOW_TICK_MS, on_tick, NULL) == -1)
		fatalx("cannot add the follower timer");
	if ((bus = bus_sub_open(env->cfg->state_dir, BUS_REGISTRY)) == NULL) {
		log_warnx("no bus subscription; following the table by polling only");
		return;
	}
	if (ws_loop_add_fd(ws, bus_sub_fd(bus), on_bus, NULL) == -1)
		log_warnx("cannot watch the bus; following the table by polling only");
}
