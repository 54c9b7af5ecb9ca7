/*
 * lease.c — the lease cleaner (§6.3) and mass-expiry protection (§6.5).
 *
 * The cleaner wakes every [lease] clean-interval, walks the dense lease array of
 * the table (never on the request path) and removes evicted leases always, and
 * expired ones only while the safe-checker says "safe". Each removal journals a
 * delete, which discoveryd turns into a push.
 *
 * The safe-checker is Java's LeaseUpdateSafeChecker (renewals counted in 1-s
 * buckets over the window; unsafe below percentage-threshold of the peak once the
 * peak reaches max-count-threshold), with two exits Java lacks, because Java can
 * latch "unsafe" forever after a legitimate shrink:
 *  - when the cleaner removes unregistered (evicted) leases, the peak is scaled down
 *    by the share of instances that left: their heartbeats stopped for a reason;
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
	uint32_t	evicted[2];
	uint32_t	expired[2];
	uint32_t	held[2];
	uint32_t	live[2];
};

enum verdict { KEEP, EVICTED, EXPIRED, HELD };

static enum verdict
judge(const struct table_slot *sl, struct table_lease *l, int64_t now, const int safe[2])
{
	int m = (sl->flags & TABLE_F_LEGACY) ? LEASE_LEGACY : LEASE_NORMAL;

	if (atomic_load_explicit(&l->eviction_ms, memory_order_relaxed) != 0)
		return EVICTED;
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
	int m;

	memset(cc, 0, sizeof(*cc));
	for (slot = 0; slot < hwm; slot++) {
		sl = table_slot_at(d->table, slot);
		if (sl->state != SLOT_LIVE)
			continue;
		l = table_lease_at(d->table, slot);
		if ((v = judge(sl, l, now, safe)) == EVICTED || v == EXPIRED) {
			/* decide again under the writer lock: a register may have
			 * replaced the slot since the unlocked look */
			pthread_mutex_lock(&d->write_lock);
			v = sl->state == SLOT_LIVE ? judge(sl, l, now, safe) : KEEP;
			if (v == EVICTED || v == EXPIRED)
				(void)table_remove(d->table, slot, sl->gen, ORIGIN_LOCAL);
			pthread_mutex_unlock(&d->write_lock);
		}
		m = (sl->flags & TABLE_F_LEGACY) ? LEASE_LEGACY : LEASE_NORMAL;
		switch (v) {
		case EVICTED:
			cc->evicted[m]++;
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

	pthread_mutex_lock(&d->safe_lock);
	for (m = 0; m < 2; m++) {
		decay_peak(d, m, cc.evicted[m], cc.live[m] + cc.held[m]);
		safe_check(d, m, now);
		publish_status(d, m);
		atomic_store(&rs->held_expired[m], cc.held[m]);
	}
	pthread_mutex_unlock(&d->safe_lock);
	if (cc.evicted[0] + cc.evicted[1] + cc.expired[0] + cc.expired[1] > 0)
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

void
lease_metrics(struct sbuf *out, void *arg)
{
	struct registryd *d = arg;
	struct table_registry_status *rs = &table_header(d->table)->reg;
	int m;

	plan_metrics(d, out);
	sbuf_adds(out, "# HELP artemis_table_instances Live instances in the table.\n"
	    "# TYPE artemis_table_instances gauge\n");
	sbuf_addf(out, "artemis_table_instances %u\n", table_live(d->table));
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
