/*
 * lease.c — the lease cleaner (§6.3) and mass-expiry protection (§6.5).
 *
 * The cleaner wakes every [lease] clean-interval, walks the dense lease array of
 * the table (never on the request path) and removes expired leases while the
 * safe-checker says "safe". Each removal journals a delete, which discoveryd
 * turns into a push.
 *
 * An unregistered (evicted) lease is not removed at the next pass: its slot stays
 * as a TOMBSTONE for one TTL of that lease after its eviction_ms, then goes like
 * any other. Every reader treats an evicted slot as gone (discovery, status,
 * management views, services.json, heartbeats: data-not-found); the tombstone is
 * there for the replicator, which sends an unregister for each one to a peer that
 * becomes able to serve (it was down or unreachable, or this node's replicator
 * restarted and lost the journal records in between): an unregister reaches a
 * peer that missed it within its next poll, not a TTL later. After a TTL the peer
 * has expired the lease itself, so a tombstone never needs to live longer. A
 * register of the same key replaces the slot (table_upsert) and so revives it.
 * Tombstones take capacity: a register that finds the table full removes one
 * (lease_reclaim) and tries again, and only then is the table full.
 *
 * The safe-checker is Java's LeaseUpdateSafeChecker (renewals counted in 1-s
 * buckets over the window; unsafe below percentage-threshold of the peak once the
 * peak reaches max-count-threshold), with two exits Java lacks, because Java can
 * latch "unsafe" forever after a legitimate shrink:
 *  - when the cleaner first sees unregistered (evicted) leases, the peak is scaled
 *    down by the share of instances that left: their heartbeats stopped for a
 *    reason. Each unregister is counted once, by the pass whose interval
 *    [previous pass start, this pass start) holds its eviction_ms; not when its
 *    tombstone goes, or protection would latch for a TTL after a mass unregister;
 *  - after [lease] safe-max-hold of continuous protection the peak is reset to the
 *    current rate, so expired leases are finally cleaned.
 * Each transition is logged once.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "registryd.h"
#include "table.h"

static const char *manager_name[2] = { "instance", "legacy-instance" };

/* The cleaner's own state (one registryd per process). */
static struct {
	int64_t			 last_pass;	/* epoch ms the last pass started */
	_Atomic uint32_t	 tombstones[2];	/* seen by the last pass */
	uint32_t		 reclaim_next;	/* lease_reclaim: where to look next */
	uint64_t		 reclaim_none_seq; /* change_seq of a scan that found none */
} cleaner;

static void
publish_status(struct registryd *d, int m)
{
	struct table_registry_status *rs = &table_header(d->table)->reg;
	struct safe_checker *s = &d->safe[m];
	int64_t now = now_ms();

	atomic_store(&rs->is_safe[m], s->is_safe);
	atomic_store(&rs->safe_enabled, d->cfg.safe_check_enabled);
	atomic_store(&rs->update_count_window[m], window_sum_complete(&s->renewals, now));
	atomic_store(&rs->update_max_count[m], s->max_count);
	atomic_store(&rs->update_max_count_time[m], s->max_count_time);
	atomic_store(&rs->unsafe_since_ms[m], s->is_safe ? 0 : s->unsafe_since);
}

void
lease_count_renewals(struct registryd *d, int m, int64_t n)
{
	if (n <= 0)
		return;
	pthread_mutex_lock(&d->safe_lock);
	window_add(&d->safe[m].renewals, now_ms(), n);
	pthread_mutex_unlock(&d->safe_lock);
}

int
lease_is_safe(struct registryd *d, int m)
{
	int safe;

	pthread_mutex_lock(&d->safe_lock);
	safe = d->safe[m].is_safe || !d->cfg.safe_check_enabled;
	pthread_mutex_unlock(&d->safe_lock);
	return safe;
}

static void
set_safe(struct registryd *d, int m, int safe, int64_t now, const char *why)
{
	struct safe_checker *s = &d->safe[m];

	if (s->is_safe == safe)
		return;
	s->is_safe = safe;
	if (!safe) {
		s->unsafe_since = now;
		log_warnx("lease protection engaged (%s): renewals %lld in the window, "
		    "peak %lld; expired leases are kept", manager_name[m],
		    (long long)window_sum_complete(&s->renewals, now),
		    (long long)s->max_count);
	} else
		log_info("lease protection released (%s): %s", manager_name[m], why);
}

/* One run of the checker (§6.5 steps 1–7, then the C-only hold limit). */
static void
safe_check(struct registryd *d, int m, int64_t now)
{
	struct safe_checker *s = &d->safe[m];
	/* Java counts the current partial second too, so its count dips every time
	 * a second starts; complete seconds give a steady rate a steady count */
	int64_t c = window_sum_complete(&s->renewals, now), pct;

	if (c > s->max_count) {
		s->max_count = c;
		s->max_count_time = now;
		return;
	}
	if (s->max_count < d->cfg.safe_max_count_threshold || s->max_count <= 0)
		return;
	pct = c * 100 / s->max_count;
	if (pct < d->cfg.safe_percentage) {
		set_safe(d, m, 0, now, NULL);
		if (d->cfg.safe_max_hold_ms > 0 &&
		    now - s->unsafe_since > d->cfg.safe_max_hold_ms) {
			s->max_count = c;
			s->max_count_time = now;
			set_safe(d, m, 1, now, "maximum hold reached, peak reset");
		}
		return;
	}
	set_safe(d, m, 1, now, "renewals recovered");
	if (now - s->max_count_time > d->cfg.safe_max_count_reset_ms) {
		s->max_count = c;
		s->max_count_time = now;
	}
}

/* Unregistered instances stop renewing on purpose: take their share out of the
 * peak, and out of the renewals already counted, or the window would raise the
 * peak right back until those seconds slide out. */
static void
decay_peak(struct registryd *d, int m, uint32_t removed, uint32_t remaining)
{
	struct safe_checker *s = &d->safe[m];
	int i;

	if (removed == 0)
		return;
	s->max_count = s->max_count * remaining / (remaining + removed);
	for (i = 0; i < s->renewals.nbuckets; i++)
		s->renewals.count[i] = s->renewals.count[i] * remaining /
		    (remaining + removed);
}

struct clean_counts {
	uint32_t	evicted[2];	/* unregisters first seen by this pass */
	uint32_t	tombstones[2];	/* evicted slots kept */
	uint32_t	buried[2];	/* tombstones removed after their TTL */
	uint32_t	expired[2];
	uint32_t	held[2];
	uint32_t	live[2];
};

enum verdict { KEEP, TOMBSTONE, BURY, EXPIRED, HELD };

/* An evicted lease stays a tombstone for one TTL after its eviction (a clock
 * that went back by more than a TTL does not keep it longer either). */
static int
tombstone_over(int64_t evicted, uint32_t ttl, int64_t now)
{
	return now - evicted >= (int64_t)ttl || evicted - now > (int64_t)ttl;
}

static enum verdict
judge(const struct table_slot *sl, struct table_lease *l, int64_t now, const int safe[2])
{
	int m = (sl->flags & TABLE_F_LEGACY) ? LEASE_LEGACY : LEASE_NORMAL;
	int64_t e = atomic_load_explicit(&l->eviction_ms, memory_order_relaxed);

	if (e != 0)
		return tombstone_over(e, sl->ttl_ms, now) ? BURY : TOMBSTONE;
	if (now > atomic_load_explicit(&l->renewal_ms, memory_order_relaxed) +
	    (int64_t)sl->ttl_ms)
		return safe[m] ? EXPIRED : HELD;
	return KEEP;
}

static void
clean_pass(struct registryd *d, int64_t now, const int safe[2], struct clean_counts *cc)
{
	uint32_t slot, hwm = table_hwm(d->table);
	const struct table_slot *sl;
	struct table_lease *l;
	enum verdict v;
	int64_t e;
	int m;

	memset(cc, 0, sizeof(*cc));
	for (slot = 0; slot < hwm; slot++) {
		sl = table_slot_at(d->table, slot);
		if (sl->state != SLOT_LIVE)
			continue;
		l = table_lease_at(d->table, slot);
		if ((v = judge(sl, l, now, safe)) == BURY || v == EXPIRED) {
			/* decide again under the writer lock: a register may have
			 * replaced the slot since the unlocked look */
			pthread_mutex_lock(&d->write_lock);
			v = sl->state == SLOT_LIVE ? judge(sl, l, now, safe) : KEEP;
			if (v == BURY || v == EXPIRED)
				(void)table_remove(d->table, slot, sl->gen, ORIGIN_LOCAL);
			pthread_mutex_unlock(&d->write_lock);
		}
		m = (sl->flags & TABLE_F_LEGACY) ? LEASE_LEGACY : LEASE_NORMAL;
		switch (v) {
		case TOMBSTONE:
			cc->tombstones[m]++;
			/* first seen by this pass: counted once for the decay */
			e = atomic_load_explicit(&l->eviction_ms, memory_order_relaxed);
			if (e >= cleaner.last_pass && e < now)
				cc->evicted[m]++;
			break;
		case BURY:
			cc->buried[m]++;
			break;
		case EXPIRED:
			cc->expired[m]++;
			break;
		case HELD:
			cc->held[m]++;
			break;
		case KEEP:
			cc->live[m]++;
			break;
		}
	}
}

static void
clean_once(struct registryd *d)
{
	struct table_registry_status *rs = &table_header(d->table)->reg;
	struct clean_counts cc;
	int64_t now = now_ms();
	int safe[2], m;

	safe[0] = lease_is_safe(d, LEASE_NORMAL);
	safe[1] = lease_is_safe(d, LEASE_LEGACY);
	clean_pass(d, now, safe, &cc);
	cleaner.last_pass = now;

	pthread_mutex_lock(&d->safe_lock);
	for (m = 0; m < 2; m++) {
		decay_peak(d, m, cc.evicted[m], cc.live[m] + cc.held[m]);
		safe_check(d, m, now);
		publish_status(d, m);
		atomic_store(&rs->held_expired[m], cc.held[m]);
		atomic_store(&cleaner.tombstones[m], cc.tombstones[m]);
	}
	pthread_mutex_unlock(&d->safe_lock);
	if (cc.buried[0] + cc.buried[1] + cc.expired[0] + cc.expired[1] > 0)
		registry_publish(d);
	table_writer_beat(d->table);
}

static void *
cleaner_main(void *arg)
{
	struct registryd *d = arg;
	struct timespec ts;
	int64_t interval = d->cfg.clean_interval_ms;

	/* the safe-checker runs at least once a second, the cleaner at its interval */
	if (interval > 1000)
		interval = 1000;
	pthread_mutex_lock(&d->stop_lock);
	while (!d->stopping) {
		pthread_mutex_unlock(&d->stop_lock);
		clean_once(d);
		pthread_mutex_lock(&d->stop_lock);
		mono_deadline(&ts, interval);
		while (!d->stopping &&
		    pthread_cond_timedwait(&d->stop_cond, &d->stop_lock, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&d->stop_lock);
	return NULL;
}

void
lease_start(struct registryd *d)
{
	pthread_condattr_t ca;
	int64_t now = now_ms();
	int m;

	/* unregisters made before this start are not counted for the decay:
	 * the renewals of those instances were never counted either */
	cleaner.last_pass = now;
	for (m = 0; m < 2; m++) {
		memset(&d->safe[m], 0, sizeof(d->safe[m]));
		/* one bucket more than the window: the current, partial second is
		 * kept but not counted (see safe_check) */
		window_init(&d->safe[m].renewals,
		    (int)(d->cfg.safe_time_window_ms / 1000) + 1);
		d->safe[m].is_safe = 1;
		/* Java's checker starts by resetting its peak to 0 "now", so
		 * leases.json shows the start time, never 0, and the reset
		 * interval runs from the start */
		d->safe[m].max_count_time = now;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&d->stop_lock, NULL);
	if (pthread_create(&d->cleaner, NULL, cleaner_main, d) != 0)
		fatalx("cannot start the lease cleaner");
}

void
lease_stop(struct registryd *d)
{
	pthread_mutex_lock(&d->stop_lock);
	d->stopping = 1;
	pthread_cond_signal(&d->stop_cond);
	pthread_mutex_unlock(&d->stop_lock);
	pthread_join(d->cleaner, NULL);
}

/*
 * The table is full: remove one tombstone so a register can have its slot. The
 * peers that missed that unregister then keep the instance until its lease
 * expires, as they did before tombstones. Scans from where the last call
 * stopped; a scan that found none is not repeated until the journal moves (an
 * unregister makes a tombstone). Caller holds write_lock. 1 if one was removed.
 */
int
lease_reclaim(struct registryd *d)
{
	uint32_t i, slot, hwm = table_hwm(d->table);
	uint64_t seq = table_change_seq(d->table);
	const struct table_slot *sl;

	if (seq == cleaner.reclaim_none_seq || hwm == 0)
		return 0;
	for (i = 0; i < hwm; i++) {
		slot = (cleaner.reclaim_next + i) % hwm;
		sl = table_slot_at(d->table, slot);
		if (sl->state != SLOT_LIVE || atomic_load_explicit(
		    &table_lease_at(d->table, slot)->eviction_ms, memory_order_relaxed) == 0)
			continue;
		if (table_remove(d->table, slot, sl->gen, ORIGIN_LOCAL) != 0)
			continue;
		cleaner.reclaim_next = slot + 1;
		log_debug("table full: tombstone of slot %u removed early", slot);
		return 1;	/* the register's success publishes the change */
	}
	cleaner.reclaim_none_seq = seq;
	return 0;
}

void
lease_metrics(struct sbuf *out, void *arg)
{
	struct registryd *d = arg;
	struct table_registry_status *rs = &table_header(d->table)->reg;
	uint32_t live = table_live(d->table), dead;
	int m;

	/* the tombstones the last pass saw: only the cleaner (and lease_reclaim)
	 * removes slots, so the table has held about as many live slots since */
	dead = atomic_load(&cleaner.tombstones[0]) + atomic_load(&cleaner.tombstones[1]);
	plan_metrics(d, out);
	sbuf_adds(out, "# HELP artemis_table_instances Live instances in the table "
	    "(unregistered ones not counted).\n"
	    "# TYPE artemis_table_instances gauge\n");
	sbuf_addf(out, "artemis_table_instances %u\n", live > dead ? live - dead : 0);
	sbuf_adds(out, "# HELP artemis_table_tombstones Unregistered instances kept for "
	    "a TTL, so peers that missed the unregister get it when they come back.\n"
	    "# TYPE artemis_table_tombstones gauge\n");
	sbuf_addf(out, "artemis_table_tombstones %u\n", dead);
	sbuf_addf(out, "artemis_table_capacity %u\n", table_capacity(d->table));
	sbuf_addf(out, "artemis_table_change_seq %llu\n",
	    (unsigned long long)table_change_seq(d->table));
	sbuf_adds(out, "# HELP artemis_lease_protection_engaged 1 while expired leases "
	    "are held by mass-expiry protection.\n"
	    "# TYPE artemis_lease_protection_engaged gauge\n");
	for (m = 0; m < 2; m++) {
		sbuf_addf(out, "artemis_lease_protection_engaged{manager=\"%s\"} %d\n",
		    manager_name[m], !atomic_load(&rs->is_safe[m]));
		sbuf_addf(out, "artemis_lease_protection_since_ms{manager=\"%s\"} %lld\n",
		    manager_name[m], (long long)atomic_load(&rs->unsafe_since_ms[m]));
		sbuf_addf(out, "artemis_lease_protection_held{manager=\"%s\"} %lld\n",
		    manager_name[m], (long long)atomic_load(&rs->held_expired[m]));
		sbuf_addf(out, "artemis_lease_renewals_window{manager=\"%s\"} %lld\n",
		    manager_name[m], (long long)atomic_load(&rs->update_count_window[m]));
		sbuf_addf(out, "artemis_lease_renewals_peak{manager=\"%s\"} %lld\n",
		    manager_name[m], (long long)atomic_load(&rs->update_max_count[m]));
	}
}
