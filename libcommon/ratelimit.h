/*
 * ratelimit.h — caravan's rate limiter (spec/core-contract.md §6.8): per limiter and
 * per identity, a server-global sliding window of 10 s made of 1-second wall-clock
 * buckets. A call increments the identity's counter; if the window sum exceeds the
 * limit the increment is undone (rejected calls do not count) and the call is
 * refused. Thread-safe.
 */
#ifndef ARTEMIS_RATELIMIT_H
#define ARTEMIS_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/* default_limit per 10 s (0 = limiter disabled); map "identity:limit,..." overrides
 * per identity (a 0 or unparsable entry means the default). */
struct ratelimit *ratelimit_new(int64_t default_limit, const char *map);
void		  ratelimit_free(struct ratelimit *);
/* 1 allowed, 0 limited. */
int		  ratelimit_allow(struct ratelimit *, const char *identity, int64_t now_ms);

/* The sliding-window counter itself (also used by the lease safe-checker, §6.5):
 * window_s one-second buckets aligned to wall-clock seconds. Not thread-safe. */
struct window_counter {
	int64_t	 second[301];	/* epoch second of each bucket */
	int64_t	 count[301];
	int	 nbuckets;
};
void	window_init(struct window_counter *, int nbuckets);
void	window_add(struct window_counter *, int64_t now_ms, int64_t n);
int64_t	window_sum(struct window_counter *, int64_t now_ms);
/* The nbuckets - 1 complete seconds before the current one (a steady rate gives a
 * steady count, unlike window_sum, which drops as every new second starts). */
int64_t	window_sum_complete(struct window_counter *, int64_t now_ms);

#endif
