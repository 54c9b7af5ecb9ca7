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
 * daemon holds each instance about once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
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

struct finst {
	RB_ENTRY(finst)	 by_key;
	RB_ENTRY(finst)	 by_svc;
	struct fsvc	*svc;
	uint32_t	 slot;
	uint32_t	 gen;
	int		 seen;
	char		*key;
	char		*own;		/* our copy of the JSON until it is rendered */
	const char	*json;		/* own, or inside svc->r->body */
	size_t		 len;
};

struct fsvc {
	RB_ENTRY(fsvc)	 entry;
	char		*id;
	RB_HEAD(sinsts, finst) insts;
	size_t		 n;
	struct rendered	*r;
	int		 dirty;
	struct fsvc	*next_dirty;
};

static int
finst_cmp(struct finst *a, struct finst *b)
{
	return strcmp(a->key, b->key);
}

static int
fsvc_cmp(struct fsvc *a, struct fsvc *b)
{
	return strcmp(a->id, b->id);
}

RB_HEAD(keys, finst);
RB_GENERATE_LOCAL(keys, finst, by_key, finst_cmp);
RB_GENERATE_LOCAL(sinsts, finst, by_svc, finst_cmp);
RB_HEAD(svcs, fsvc);
RB_GENERATE_LOCAL(svcs, fsvc, entry, fsvc_cmp);

struct pending {
	char		*service_id;
	const char	*type;
	char		*json;
	size_t		 len;
};

static struct keys	 keys = RB_INITIALIZER(&keys);
static struct svcs	 svcs = RB_INITIALIZER(&svcs);
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
static size_t		 npend, pendcap;
static struct bus_sub	*bus;

/* scratch arrays for rendering */
static struct filter_inst *fbuf;
static struct finst	**frefs;
static size_t		 fcap;

static char *
xstrndup(const char *s, size_t n)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL)
		fatal("follower");
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void
queue_push(const char *service_id, const char *type, const char *json, size_t len)
{
	if (env->ws == NULL)
		return;		/* initial scan: nobody can be subscribed yet */
	/* §6.9: "new" of an instance management holds down is not published */
	if (strcmp(type, CHANGE_NEW) == 0 && mgmt_is_down(json, len))
		return;
	if (npend == pendcap) {
		pendcap = pendcap ? pendcap * 2 : 256;
		if ((pend = reallocarray(pend, pendcap, sizeof(*pend))) == NULL)
			fatal("queue_push");
	}
	pend[npend].service_id = strdup(service_id);
	pend[npend].type = type;
	pend[npend].json = xstrndup(json, len);
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
svc_get(const char *id)
{
	struct fsvc key, *s;

	key.id = (char *)id;
	if ((s = RB_FIND(svcs, &svcs, &key)) != NULL)
		return s;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->id = strdup(id)) == NULL)
		fatal("svc_get");
	RB_INIT(&s->insts);
	RB_INSERT(svcs, &svcs, s);
	return s;
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
	RB_REMOVE(keys, &keys, f);
	free(f->own);
	free(f->key);
	free(f);
}

static void
inst_set_json(struct finst *f, const struct table_rec *rec)
{
	free(f->own);
	f->own = xstrndup(rec->json, rec->json_len);
	f->json = f->own;
	f->len = rec->json_len;
}

/* Bring our view of one slot in line with the table. In sweep mode (rescan) an
 * instance that left the slot is only detached: the sweep deletes it unless it
 * shows up in another slot. */
static void
reconcile(uint32_t slot, int sweep)
{
	struct table_rec rec;
	struct finst *cur, *f, key;
	int live, changed;

	if (slot >= slotcap)
		return;
	live = table_read_slot(env->table, slot, &rec);
	cur = slotmap[slot];
	if (cur != NULL) {
		if (live && cur->gen == rec.gen && strcmp(cur->key, rec.key) == 0) {
			cur->seen = 1;
			return;
		}
		slotmap[slot] = NULL;
		if (!sweep && (!live || strcmp(cur->key, rec.key) != 0))
			inst_remove(cur);
	}
	if (!live)
		return;
	key.key = (char *)rec.key;
	if ((f = RB_FIND(keys, &keys, &key)) != NULL) {
		if (f->slot < slotcap && slotmap[f->slot] == f)
			slotmap[f->slot] = NULL;
		changed = !replace_mode || f->len != rec.json_len ||
		    memcmp(f->json, rec.json, rec.json_len) != 0;
		if (strcmp(f->svc->id, rec.service_id) != 0) {
			inst_detach(f);
			inst_attach(f, svc_get(rec.service_id));
		} else if (changed)
			mark_dirty(f->svc);
		if (changed)
			inst_set_json(f, &rec);
	} else {
		if ((f = calloc(1, sizeof(*f))) == NULL)
			fatal("reconcile");
		f->key = xstrndup(rec.key, rec.key_len);
		inst_set_json(f, &rec);
		RB_INSERT(keys, &keys, f);
		inst_attach(f, svc_get(rec.service_id));
		changed = 1;
	}
	f->slot = slot;
	f->gen = rec.gen;
	f->seen = 1;
	slotmap[slot] = f;
	if (changed)
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
	default:	/* TC_EVICT: still visible until cleaned (§6.3) */
		reconcile(jr->slot, 0);
		break;
	}
}

static void
rescan(void)
{
	struct finst *f, *next;
	uint64_t seq;
	uint32_t i, hwm;
	int32_t pid;

	seq = table_change_seq(env->table);
	RB_FOREACH(f, keys, &keys)
		f->seen = 0;
	hwm = table_hwm(env->table);
	if (hwm > slotcap)
		hwm = slotcap;
	for (i = 0; i < hwm; i++)
		reconcile(i, 1);
	RB_FOREACH_SAFE(f, keys, &keys, next)
		if (!f->seen)
			inst_remove(f);
	last_seq = seq;
	if ((pid = atomic_load(&table_header(env->table)->writer_pid)) != 0)
		writer_pid = pid;
	log_debug("rescan: %u slots, %u live, at seq %llu", hwm,
	    table_live(env->table), (unsigned long long)seq);
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
grow_scratch(size_t n)
{
	if (n <= fcap)
		return;
	fcap = n;
	if ((fbuf = reallocarray(fbuf, fcap, sizeof(*fbuf))) == NULL ||
	    (frefs = reallocarray(frefs, fcap, sizeof(*frefs))) == NULL)
		fatal("grow_scratch");
}

static void
render(struct fsvc *s)
{
	struct filter_service fs;
	struct rendered *r, *old;
	struct finst *f;
	size_t i, k, n = 0;

	grow_scratch(s->n);
	RB_FOREACH(f, sinsts, &s->insts) {
		fbuf[n].key = f->key;
		fbuf[n].json = f->json;
		fbuf[n].len = f->len;
		frefs[n++] = f;
	}
	filter_service_init(&fs, s->id, fbuf, n);
	filter_run(&fs);
	r = rendered_build(&fs);
	/* Point kept instances into the new body; hidden ones keep a copy. */
	for (i = 0, k = 0; i < n; i++) {
		f = frefs[i];
		if (fbuf[i].keep) {
			f->json = r->body->data + r->inst[k++].off;
			free(f->own);
			f->own = NULL;
		} else if (f->own == NULL) {
			f->own = xstrndup(f->json, f->len);
			f->json = f->own;
		}
	}
	filter_service_free(&fs);
	old = s->r;
	s->r = r;
	cache_put(s->id, rendered_ref(r));
	rendered_unref(old);
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
		RB_REMOVE(svcs, &svcs, s);
		free(s->id);
		free(s);
	}
}

void
follower_foreach_instance(void (*fn)(const char *, const char *, size_t, void *),
    void *arg)
{
	struct finst *f;

	RB_FOREACH(f, keys, &keys)
		fn(f->svc->id, f->json, f->len, arg);
}

/* Management changed: run every service through the filter chain again. */
void
follower_refilter_all(void)
{
	struct fsvc *s;

	RB_FOREACH(s, svcs, &svcs)
		mark_dirty(s);
	render_dirty();
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
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&sync_lock);
	while (atomic_load(&applied_seq) < want &&
	    pthread_cond_timedwait(&sync_cond, &sync_lock, &ts) == 0)
		;
	pthread_mutex_unlock(&sync_lock);
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

void
follower_pass(void)
{
	struct table_journal_rec jr;
	uint64_t cur;
	int32_t pid;
	int n = 0, rc;

	check_replaced();
	pid = atomic_load(&table_header(env->table)->writer_pid);
	if (pid != 0 && pid != writer_pid) {	/* 0: stopped cleanly, not back yet */
		log_info("registryd (pid %d) attached, rescanning the table", (int)pid);
		rescan_wanted = 1;
	}
	if (rescan_wanted) {
		rescan_wanted = 0;
		rescan();
	}
	cur = table_change_seq(env->table);
	if (cur < last_seq) {
		log_warnx("change sequence went back (%llu < %llu), rescanning",
		    (unsigned long long)cur, (unsigned long long)last_seq);
		rescan();
	}
	while (last_seq < cur && n++ < FOLLOW_BATCH) {
		rc = table_journal_get(env->table, last_seq + 1, &jr);
		if (rc == 1)
			break;		/* announced but not written yet */
		if (rc == -1) {
			log_info("fell behind the journal at %llu, rescanning",
			    (unsigned long long)(last_seq + 1));
			rescan();
			break;
		}
		apply(&jr);
		last_seq++;
	}
	render_dirty();
	flush_pushes();
	publish_applied();
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
	rescan();
	render_dirty();
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
