/*
 * forward.c — outbound replication (§9.4): one thread follows the instance
 * table's change journal and scans the leases, and queues tasks for every peer
 * that can currently serve registry.
 *
 *  - TC_UPSERT of origin local (a client's register): register task with the
 *    slot's instance JSON.
 *  - TC_EVICT of origin local (a client's unregister): unregister task with the
 *    instance JSON, read from the slot (registryd keeps it as a tombstone for a
 *    TTL after the unregister) or, if the slot was already reused (a register of
 *    the same instance, or a full table took it), from a small cache of the JSON
 *    of recent upserts (direct-mapped by slot number, checked by generation).
 *  - TC_DELETE (expiry, cleaning) is not replicated: every node expires leases
 *    itself. Changes of origin peer are never forwarded (no loops).
 *  - Heartbeats are not journalled: every second the lease array is scanned for
 *    local_renewal_ms (a renewal by a client of this node) newer than the last
 *    scan; those instances are sent as heartbeat tasks, which the peer batches
 *    by 250 and upserts when unknown. A peer that just became able to serve
 *    gets this way every lease a client of this node renewed within its TTL
 *    and since registryd started (full resync); leases only re-armed by a
 *    registryd restart are not sent, so a node back from an outage brings
 *    back nothing its peers dropped meanwhile (their live clients heartbeat
 *    again within an interval and are sent then).
 *  - The full resync also sends an unregister for every tombstone (an instance
 *    unregistered within its TTL, send_tombstones): what the peer missed while
 *    it was away, or while this replicator was not running (it starts at the
 *    journal's end), reaches it now, not when its lease expires there.
 *
 * Falling behind the journal ring re-sends the instances whose slot stamp is
 * newer than the cursor: local registrations as registers, tombstones as
 * unregisters; a replaced table file re-sends every local instance and
 * tombstone. A registryd restart keeps the file and its journal (the new writer
 * journals what its predecessor cut short), so the cursor simply goes on.
 *
 * Not exact, on purpose: peers also get the heartbeats, and the expiry of a
 * lease nobody renews repairs the rest within a TTL. An unregister older than a
 * TTL is not sent again (its tombstone is gone; the peer has expired the lease
 * by then, unless its protection holds it), nor one whose tombstone a register
 * took because the table was full. A tombstone is sent whatever node the
 * unregister came from (the table keeps the origin of the registration only),
 * so a peer may get it twice, which changes nothing. An instance unregistered
 * here and registered again on a peer before the peer came back to us (or before
 * this replicator restarted) can be evicted there by the late unregister: its
 * client's next heartbeat gets data-not-found and registers it again.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "replicator.h"
#include "table.h"

#define FOLLOW_TICK_MS		20
#define FOLLOW_BATCH		65536	/* journal records per pass */
#define REPLACED_CHECK_MS	500
#define OPEN_RETRY_MS		100
#define JSON_CACHE		4096	/* recent upserts, for unregisters of reused slots */

struct cached {
	uint32_t	 slot;
	uint32_t	 gen;
	char		*key;
	size_t		 key_len;
	char		*json;
	size_t		 json_len;
};

struct follower {
	struct replicator	*r;
	struct table		*t;
	char			 path[PATH_MAX];
	struct bus_sub		*bus;
	uint64_t		 cursor;	/* last journal sequence handled */
	int64_t			 last_scan;	/* epoch ms of the last lease scan start */
	int64_t			 next_scan;	/* mono ms */
	int64_t			 next_replaced_check;
	struct table_rec	*rec;
	struct cached		 cache[JSON_CACHE];
	int			 serve[CLUSTER_MAX_PEERS];
	int			 full[CLUSTER_MAX_PEERS];
};

static struct follower follower;

/* ---------------------------------------------------------------- queueing */

static void
serving_peers(struct follower *f, int take_full)
{
	struct replicator *r = f->r;
	size_t i;

	for (i = 0; i < r->npeers; i++) {
		struct peer *p = &r->peers[i];

		f->serve[i] = peer_can_serve_registry(p);
		f->full[i] = 0;
		if (!take_full)
			continue;
		pthread_mutex_lock(&p->lock);
		if (f->serve[i] && p->full_resync) {
			f->full[i] = 1;
			p->full_resync = 0;
			log_info("peer %s can serve registry: sending every live local lease",
			    p->url);
		}
		pthread_mutex_unlock(&p->lock);
	}
}

static void
queue_to_serving(struct follower *f, enum task_kind kind, const char *key, size_t key_len,
    const char *json, size_t json_len)
{
	size_t i;

	serving_peers(f, 0);
	for (i = 0; i < f->r->npeers; i++)
		if (f->serve[i])
			sender_enqueue(&f->r->peers[i], kind, key, key_len, json, json_len);
}

static void
cache_put(struct follower *f, const struct table_rec *rec)
{
	struct cached *c = &f->cache[rec->slot % JSON_CACHE];

	free(c->key);
	free(c->json);
	c->slot = rec->slot;
	c->gen = rec->gen;
	c->key = xmemdup(rec->key, rec->key_len);
	c->key_len = rec->key_len;
	c->json = xmemdup(rec->json, rec->json_len);
	c->json_len = rec->json_len;
}

static void
cache_clear(struct follower *f)
{
	size_t i;

	for (i = 0; i < JSON_CACHE; i++) {
		free(f->cache[i].key);
		free(f->cache[i].json);
	}
	memset(f->cache, 0, sizeof(f->cache));
}

/* ---------------------------------------------------------------- journal */

static void
on_record(struct follower *f, const struct table_journal_rec *jr)
{
	struct replicator *r = f->r;
	struct table_rec *rec = f->rec;
	const struct cached *c;
	int live;

	atomic_fetch_add(&r->journal_records, 1);
	if (jr->origin != ORIGIN_LOCAL) {
		if (jr->kind != TC_DELETE)
			atomic_fetch_add(&r->skipped_peer_origin, 1);
		return;
	}
	live = table_read_slot(f->t, jr->slot, rec) == 1 && rec->gen == jr->gen;
	switch (jr->kind) {
	case TC_UPSERT:
		if (!live)
			return;		/* replaced or removed since: a later record says so */
		cache_put(f, rec);
		queue_to_serving(f, TASK_REGISTER, rec->key, rec->key_len, rec->json,
		    rec->json_len);
		break;
	case TC_EVICT:
		if (live) {
			queue_to_serving(f, TASK_UNREGISTER, rec->key, rec->key_len, rec->json,
			    rec->json_len);
			return;
		}
		c = &f->cache[jr->slot % JSON_CACHE];
		if (c->json != NULL && c->slot == jr->slot && c->gen == jr->gen)
			queue_to_serving(f, TASK_UNREGISTER, c->key, c->key_len, c->json,
			    c->json_len);
		else
			atomic_fetch_add(&r->unregister_lost, 1);
		break;
	default:
		break;		/* expiry and cleaning are every node's own business */
	}
}

/* Re-send local instances changed after the cursor (all of them if everything). */
static void
resync(struct follower *f, int everything)
{
	struct table_rec *rec = f->rec;
	const struct table_slot *sl;
	uint32_t slot, hwm = table_hwm(f->t), stamp;
	uint64_t upto = table_change_seq(f->t);
	int64_t now = now_ms();

	atomic_fetch_add(&f->r->resyncs, 1);
	for (slot = 0; slot < hwm; slot++) {
		if ((sl = table_slot_at(f->t, slot)) == NULL)
			break;
		stamp = atomic_load_explicit(&sl->stamp, memory_order_relaxed);
		if (!everything && (int32_t)(stamp - (uint32_t)f->cursor) <= 0)
			continue;
		if (table_read_slot(f->t, slot, rec) != 1)
			continue;
		if (rec->eviction_ms != 0) {	/* a tombstone (see send_tombstones) */
			if (rec->eviction_ms + (int64_t)rec->ttl_ms > now)
				queue_to_serving(f, TASK_UNREGISTER, rec->key,
				    rec->key_len, rec->json, rec->json_len);
			continue;
		}
		if (rec->origin != ORIGIN_LOCAL)
			continue;
		cache_put(f, rec);
		queue_to_serving(f, TASK_REGISTER, rec->key, rec->key_len, rec->json,
		    rec->json_len);
	}
	f->cursor = upto;
}

static void
follow(struct follower *f)
{
	struct table_journal_rec jr;
	uint64_t cur = table_change_seq(f->t);
	size_t n = 0;
	int rc;

	if (cur < f->cursor) {	/* cannot happen with one file; be safe */
		log_warnx("journal went back from %llu to %llu, resyncing",
		    (unsigned long long)f->cursor, (unsigned long long)cur);
		resync(f, 1);
		return;
	}
	while (f->cursor < cur && n++ < FOLLOW_BATCH) {
		rc = table_journal_get(f->t, f->cursor + 1, &jr);
		if (rc == 1)
			break;		/* announced, not written yet */
		if (rc == -1) {
			log_info("fell behind the journal at %llu, resyncing",
			    (unsigned long long)(f->cursor + 1));
			resync(f, 0);
			break;
		}
		on_record(f, &jr);
		f->cursor++;
	}
	atomic_store(&f->r->journal_seq, f->cursor);
}

/* ---------------------------------------------------------------- leases */

/*
 * A peer that just became able to serve may have missed unregisters: it was
 * down or unreachable when they were forwarded, or this replicator was not
 * running then (it starts at the journal's end). registryd keeps every
 * unregistered slot for one TTL after its eviction (a tombstone, lease.c): send
 * the peer an unregister for each. Every tombstone, whichever node the
 * unregister came from (the table keeps the origin of the registration, not of
 * the unregister): an unregister of an instance the peer no longer holds, or
 * holds evicted, is a success there and changes nothing.
 */
static size_t
send_tombstones(struct follower *f, int64_t now)
{
	struct replicator *r = f->r;
	struct table_rec *rec = f->rec;
	struct table_lease *l;
	const struct table_slot *sl;
	uint32_t slot, hwm = table_hwm(f->t);
	int64_t e;
	size_t i, n = 0;

	for (slot = 0; slot < hwm; slot++) {
		if ((l = table_lease_at(f->t, slot)) == NULL ||
		    (sl = table_slot_at(f->t, slot)) == NULL)
			break;
		e = atomic_load_explicit(&l->eviction_ms, memory_order_relaxed);
		if (e == 0 || e + (int64_t)sl->ttl_ms <= now)
			continue;	/* live, or a tombstone past its TTL */
		if (table_read_slot(f->t, slot, rec) != 1 || rec->eviction_ms == 0)
			continue;	/* removed or registered again meanwhile */
		for (i = 0; i < r->npeers; i++)
			if (f->full[i])
				sender_enqueue(&r->peers[i], TASK_UNREGISTER, rec->key,
				    rec->key_len, rec->json, rec->json_len);
		n++;
	}
	return n;
}

static void
heartbeat_scan(struct follower *f)
{
	struct replicator *r = f->r;
	struct table_rec *rec = f->rec;
	struct table_lease *l;
	uint32_t slot, hwm = table_hwm(f->t);
	int64_t start = now_ms(), lr, started;
	size_t i, tombs = 0;
	int any_serve = 0, any_full = 0, recent;

	serving_peers(f, 1);
	for (i = 0; i < r->npeers; i++) {
		any_serve |= f->serve[i];
		any_full |= f->full[i];
	}
	/* first the unregisters: the instances that left (a tombstone and a live
	 * lease never share a key, so the order is only for batching) */
	if (any_full)
		tombs = send_tombstones(f, start);
	/* registryd's start: leases no client renewed since were only re-armed */
	started = atomic_load(&table_header(f->t)->reg.started_ms);
	for (slot = 0; any_serve && slot < hwm; slot++) {
		if ((l = table_lease_at(f->t, slot)) == NULL)
			break;
		lr = atomic_load_explicit(&l->local_renewal_ms, memory_order_relaxed);
		if (lr == 0)
			continue;	/* never renewed by a client of this node */
		recent = lr > f->last_scan;
		/* a full resync is judged by the client's renewal, not by
		 * renewal_ms: a restarted registryd re-arms every lease it finds,
		 * and a lease whose client left while this node was down must
		 * not be pushed back to peers that have already dropped it. A
		 * live client renews within its interval and is sent as recent */
		if (!recent && (!any_full || lr < started))
			continue;
		if (table_read_slot(f->t, slot, rec) != 1 || rec->eviction_ms != 0 ||
		    lr + (int64_t)rec->ttl_ms < start)
			continue;
		for (i = 0; i < r->npeers; i++)
			if (f->serve[i] && (recent || f->full[i]))
				sender_enqueue(&r->peers[i], TASK_HEARTBEAT, rec->key,
				    rec->key_len, rec->json, rec->json_len);
	}
	for (i = 0; i < r->npeers; i++)
		if (f->full[i]) {
			atomic_fetch_add(&r->peers[i].full_resyncs, 1);
			atomic_fetch_add(&r->peers[i].tombstones_sent, tombs);
			if (tombs > 0)
				log_info("peer %s: the %zu unregisters of the last TTL "
				    "sent again", r->peers[i].url, tombs);
		}
	f->last_scan = start;
}

/* ---------------------------------------------------------------- the thread */

static int
open_table(struct follower *f)
{
	char err[512];
	int warned = 0;

	while ((f->t = table_open_reader(f->path, err, sizeof(err))) == NULL) {
		if (!warned++)
			log_info("waiting for the instance table: %s", err);
		if (replicator_sleep(f->r, OPEN_RETRY_MS))
			return -1;
	}
	return 0;
}

static void
check_replaced(struct follower *f)
{
	struct table *t, *old = f->t;
	char err[512];

	if (mono_ms() < f->next_replaced_check)
		return;
	f->next_replaced_check = mono_ms() + REPLACED_CHECK_MS;
	if (!table_replaced(f->t))
		return;
	if ((t = table_open_reader(f->path, err, sizeof(err))) == NULL)
		return;
	log_info("the table file was replaced: re-sending every local instance");
	f->t = t;
	table_close(old);
	cache_clear(f);
	resync(f, 1);
}

static void *
forwarder(void *arg)
{
	struct follower *f = arg;
	struct bus_hint h;
	struct pollfd pfd;

	if (open_table(f) == -1)
		return NULL;
	f->cursor = table_change_seq(f->t);
	f->last_scan = now_ms();
	f->bus = bus_sub_open(f->r->cfg.state_dir, BUS_REGISTRY);
	while (!atomic_load(&f->r->stopping)) {
		if (f->bus) {
			pfd.fd = bus_sub_fd(f->bus);
			pfd.events = POLLIN;
			(void)poll(&pfd, 1, FOLLOW_TICK_MS);
			while (bus_sub_recv(f->bus, &h) == 1)
				;	/* a hint only wakes us: the journal is the truth */
		} else if (replicator_sleep(f->r, FOLLOW_TICK_MS))
			break;
		check_replaced(f);
		follow(f);
		if (mono_ms() >= f->next_scan) {
			f->next_scan = mono_ms() + HEARTBEAT_SCAN_MS;
			heartbeat_scan(f);
		}
	}
	bus_sub_close(f->bus);
	cache_clear(f);
	return NULL;
}

void
forward_start(struct replicator *r)
{
	struct follower *f = &follower;

	f->r = r;
	if (config_state_path(&r->cfg, TABLE_FILE, f->path, sizeof(f->path)) == -1)
		fatalx("state directory path too long");
	if ((f->rec = malloc(sizeof(*f->rec))) == NULL)
		fatal("forward_start");
	if (pthread_create(&r->forwarder, NULL, forwarder, f) != 0)
		fatalx("cannot start the journal follower");
}

void
forward_join(struct replicator *r)
{
	pthread_join(r->forwarder, NULL);
	free(follower.rec);
	follower.rec = NULL;
	if (follower.t)
		table_close(follower.t);
	follower.t = NULL;
}
