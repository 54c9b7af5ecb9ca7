/*
 * ratelimit.c — caravan's sliding-window rate limiter (spec/core-contract.md §6.8)
 * and the one-second-bucket window counter it shares with the lease safe-checker.
 *
 * Identities are a handful of constants per limiter (register, heartbeat, ...), so
 * each limiter keeps a small fixed array of windows behind one mutex.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ratelimit.h"

#define RL_IDENTITIES	16	/* distinct identities per limiter */
#define RL_IDLEN	64	/* longest identity */
#define RL_BUCKETS	10	/* 10 s window of 1 s buckets */

struct rl_slot {
	char			identity[RL_IDLEN];
	int64_t			limit;
	int			used;
	struct window_counter	w;
};

struct ratelimit {
	pthread_mutex_t	lock;
	int64_t		default_limit;
	struct rl_slot	slot[RL_IDENTITIES];
	int		warned;
};

/* ------------------------------------------------------------------ window */

#define NBUCKETS_MAX	((int)(sizeof(((struct window_counter *)0)->count) / sizeof(int64_t)))

static int64_t
epoch_second(int64_t now_ms)
{
	/* floor division: bucket boundaries are wall-clock seconds */
	return now_ms >= 0 ? now_ms / 1000 : -((-now_ms + 999) / 1000);
}

void
window_init(struct window_counter *w, int nbuckets)
{
	int i;

	if (nbuckets < 1)
		nbuckets = 1;
	if (nbuckets > NBUCKETS_MAX)
		nbuckets = NBUCKETS_MAX;
	w->nbuckets = nbuckets;
	for (i = 0; i < NBUCKETS_MAX; i++) {
		w->second[i] = INT64_MIN;	/* matches no second */
		w->count[i] = 0;
	}
}

void
window_add(struct window_counter *w, int64_t now_ms, int64_t n)
{
	int64_t sec = epoch_second(now_ms);
	int64_t i = sec % w->nbuckets;

	if (i < 0)
		i += w->nbuckets;
	if (w->second[i] != sec) {	/* bucket last used nbuckets or more seconds ago */
		w->second[i] = sec;
		w->count[i] = 0;
	}
	w->count[i] += n;
}

/* The current (partial) second plus the previous nbuckets - 1 seconds. */
int64_t
window_sum(struct window_counter *w, int64_t now_ms)
{
	int64_t sec = epoch_second(now_ms), sum = 0;
	int i;

	for (i = 0; i < w->nbuckets; i++)
		if (w->second[i] <= sec && w->second[i] > sec - w->nbuckets)
			sum += w->count[i];
	return sum;
}

/* The nbuckets - 1 complete seconds before the current one: a count that does not
 * drop each time a new second starts. */
int64_t
window_sum_complete(struct window_counter *w, int64_t now_ms)
{
	int64_t sec = epoch_second(now_ms), sum = 0;
	int i;

	for (i = 0; i < w->nbuckets; i++)
		if (w->second[i] < sec && w->second[i] > sec - w->nbuckets)
			sum += w->count[i];
	return sum;
}

/* ------------------------------------------------------------------ limiter */

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static struct rl_slot *
slot_add(struct ratelimit *rl, const char *id, size_t n)
{
	int i;

	if (n == 0 || n >= RL_IDLEN)
		return NULL;
	for (i = 0; i < RL_IDENTITIES; i++) {
		struct rl_slot *s = &rl->slot[i];

		if (s->used && strlen(s->identity) == n && memcmp(s->identity, id, n) == 0)
			return s;
		if (!s->used) {
			memcpy(s->identity, id, n);
			s->identity[n] = '\0';
			s->limit = rl->default_limit;
			s->used = 1;
			window_init(&s->w, RL_BUCKETS);
			return s;
		}
	}
	return NULL;
}

/* "identity:limit,...": each entry's limit replaces the default unless 0 or bad. */
static void
parse_map(struct ratelimit *rl, const char *map)
{
	const char *p = map, *e, *colon, *id, *num;
	size_t n, idn, numn;
	struct rl_slot *s;
	char buf[32], *end;
	long long v;

	while (p != NULL && *p != '\0') {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		colon = memchr(p, ':', n);
		if (colon != NULL) {
			id = p;
			idn = (size_t)(colon - p);
			num = colon + 1;
			numn = n - idn - 1;
			trim(&id, &idn);
			trim(&num, &numn);
			if (numn > 0 && numn < sizeof(buf)) {
				memcpy(buf, num, numn);
				buf[numn] = '\0';
				v = strtoll(buf, &end, 10);
				if (*end == '\0' && v > 0 &&
				    (s = slot_add(rl, id, idn)) != NULL)
					s->limit = v;
			}
		}
		p = e ? e + 1 : NULL;
	}
}

struct ratelimit *
ratelimit_new(int64_t default_limit, const char *map)
{
	struct ratelimit *rl;

	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		fatal("ratelimit_new");
	if (pthread_mutex_init(&rl->lock, NULL) != 0)
		fatalx("ratelimit_new: mutex");
	rl->default_limit = default_limit;
	if (map != NULL)
		parse_map(rl, map);
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

int
ratelimit_allow(struct ratelimit *rl, const char *identity, int64_t now_ms)
{
	struct rl_slot *s;
	int allowed = 1;

	if (rl == NULL || rl->default_limit <= 0)
		return 1;		/* disabled */
	pthread_mutex_lock(&rl->lock);
	if ((s = slot_add(rl, identity, strlen(identity))) == NULL) {
		if (!rl->warned)
			log_warnx("ratelimit: no room for identity \"%.64s\"; "
			    "not limited", identity);
		rl->warned = 1;
	} else {
		window_add(&s->w, now_ms, 1);
		if (window_sum(&s->w, now_ms) > s->limit) {
			window_add(&s->w, now_ms, -1);	/* rejected calls do not count */
			allowed = 0;
		}
	}
	pthread_mutex_unlock(&rl->lock);
	return allowed;
}
