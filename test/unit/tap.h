/* tap.h — minimal TAP output for unit tests: ok(cond, fmt...), done_testing(). */
#ifndef ARTEMIS_TAP_H
#define ARTEMIS_TAP_H
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do {						\
	int ok_ = !!(cond);						\
	printf("%s %d - ", ok_ ? "ok" : "not ok", ++tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!ok_) {							\
		tap_failed++;						\
		printf("#   at %s:%d\n", __FILE__, __LINE__);		\
	}								\
	fflush(stdout);							\
} while (0)

static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
#endif
