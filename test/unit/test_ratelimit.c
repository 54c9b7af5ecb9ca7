/* test_ratelimit.c — the sliding-window limiter with synthetic clocks. */
#include <string.h>

#include "ratelimit.h"
#include "tap.h"

#define T0	1718000000000LL		/* a whole second */

static int
allow_n(struct ratelimit *rl, const char *id, int64_t now, int n)
{
	int i, allowed = 0;

	for (i = 0; i < n; i++)
		allowed += ratelimit_allow(rl, id, now);
	return allowed;
}

static void
test_window(void)
{
	struct window_counter w;
	int i;

	window_init(&w, 10);
	ok(window_sum(&w, T0) == 0, "empty window sums to 0");
	window_add(&w, T0, 3);
	window_add(&w, T0 + 999, 2);
	ok(window_sum(&w, T0 + 500) == 5, "same second accumulates");
	window_add(&w, T0 + 1000, 1);
	ok(window_sum(&w, T0 + 1000) == 6, "next second adds a bucket");
	ok(window_sum(&w, T0 + 9999) == 6, "still inside 10 s");
	ok(window_sum(&w, T0 + 10000) == 1, "first second slid out");
	ok(window_sum(&w, T0 + 11000) == 0, "all slid out");
	window_add(&w, T0 + 20000, 4);
	ok(window_sum(&w, T0 + 20000) == 4, "stale bucket reused from zero");
	ok(window_sum(&w, T0 + 19000) == 0, "a future bucket is not counted in the past");

	/* complete seconds only: a steady rate gives a steady count */
	window_init(&w, 3);
	window_add(&w, T0, 10);
	window_add(&w, T0 + 1000, 10);
	ok(window_sum_complete(&w, T0 + 1000) == 10, "current second not counted");
	window_add(&w, T0 + 1500, 5);
	ok(window_sum_complete(&w, T0 + 1999) == 10, "partial second still not counted");
	ok(window_sum_complete(&w, T0 + 2000) == 25, "two complete seconds");
	window_add(&w, T0 + 2000, 7);
	ok(window_sum_complete(&w, T0 + 2500) == 25, "third bucket is the current one");
	ok(window_sum_complete(&w, T0 + 3000) == 22, "oldest complete second slid out");

	window_init(&w, 12);
	for (i = 0; i < 30; i++)
		window_add(&w, T0 + i * 1000LL, 1);
	ok(window_sum(&w, T0 + 29000) == 12, "12-bucket window keeps 12 seconds");
	window_init(&w, 1000);
	ok(w.nbuckets == 301, "nbuckets clamped to 301");
	window_init(&w, 0);
	ok(w.nbuckets == 1, "nbuckets at least 1");
}

static void
test_limit(void)
{
	struct ratelimit *rl = ratelimit_new(5, NULL);

	ok(allow_n(rl, "register", T0, 5) == 5, "5 of 5 allowed");
	ok(!ratelimit_allow(rl, "register", T0), "6th refused");
	ok(allow_n(rl, "register", T0 + 100, 10) == 0, "refused calls do not count but stay refused");
	ok(allow_n(rl, "heartbeat", T0, 5) == 5, "identities are independent");
	ok(allow_n(rl, "register", T0 + 9999, 1) == 0, "still refused at 9.999 s");
	ok(allow_n(rl, "register", T0 + 10000, 10) == 5, "window slid: 5 more allowed");
	ratelimit_free(rl);

	/* rejected calls not counted: spread calls so the window stays just at the limit */
	rl = ratelimit_new(3, NULL);
	ok(allow_n(rl, "x", T0, 2) == 2, "2 at t0");
	ok(allow_n(rl, "x", T0 + 5000, 5) == 1, "1 more at t5, 4 refused");
	ok(allow_n(rl, "x", T0 + 10000, 5) == 2, "t10: t0's 2 slid out, refused ones never counted");
	ratelimit_free(rl);
}

static void
test_map(void)
{
	struct ratelimit *rl = ratelimit_new(30, " get-leases : 10 ,get-config:0,bad:x,:5,"
	    "get-cluster:2");

	ok(allow_n(rl, "get-leases", T0, 20) == 10, "map override 10");
	ok(allow_n(rl, "get-config", T0, 40) == 30, "0 in map = default");
	ok(allow_n(rl, "bad", T0, 40) == 30, "unparsable entry = default");
	ok(allow_n(rl, "get-cluster", T0, 5) == 2, "last entry parsed");
	ok(allow_n(rl, "other", T0, 40) == 30, "unknown identity = default");
	ratelimit_free(rl);

	rl = ratelimit_new(0, "a:1");
	ok(allow_n(rl, "a", T0, 100) == 100, "default 0 = disabled");
	ratelimit_free(rl);
	ok(ratelimit_allow(NULL, "a", T0), "NULL limiter allows");
}

int
main(void)
{
	test_window();
	test_limit();
	test_map();
	return done_testing();
}
