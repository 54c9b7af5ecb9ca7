/*
 * sbuf.h — growable byte strings (in the spirit of redis sds, but a plain struct),
 * and rbuf, immutable reference-counted buffers that threads share by reference
 * (discoveryd renders a service once and every request sends the same rbuf).
 *
 * sbuf_* abort via fatal() on out-of-memory: a daemon that cannot allocate a few
 * bytes cannot answer anyway, and every caller stays simple.
 */
#ifndef ARTEMIS_SBUF_H
#define ARTEMIS_SBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf {
	char	*s;	/* always NUL-terminated when cap > 0 */
	size_t	 len;
	size_t	 cap;
};

#define SBUF_INIT	{ NULL, 0, 0 }

void	sbuf_reserve(struct sbuf *b, size_t extra);
void	sbuf_add(struct sbuf *b, const void *p, size_t n);
void	sbuf_adds(struct sbuf *b, const char *s);
void	sbuf_addc(struct sbuf *b, char c);
void	sbuf_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void	sbuf_addi64(struct sbuf *b, int64_t v);
void	sbuf_reset(struct sbuf *b);		/* len = 0, keeps memory */
void	sbuf_free(struct sbuf *b);
char	*sbuf_steal(struct sbuf *b, size_t *len);	/* caller frees; b is reset */

struct rbuf {
	_Atomic long	refs;
	size_t		len;
	char		data[];	/* NUL-terminated */
};

struct rbuf	*rbuf_new(const void *p, size_t n);	/* refs = 1 */
struct rbuf	*rbuf_from_sbuf(struct sbuf *b);	/* copies; b untouched */
struct rbuf	*rbuf_ref(struct rbuf *r);
void		 rbuf_unref(struct rbuf *r);		/* NULL-safe */

/* A NUL-terminated copy of n bytes; fatal() on out-of-memory like sbuf_*. */
char	*xmemdup(const void *p, size_t n);

/* Time, here because nearly everything needs it. */
struct timespec;
int64_t	now_ms(void);		/* CLOCK_REALTIME, epoch milliseconds (wire times) */
int64_t	mono_ms(void);		/* CLOCK_MONOTONIC milliseconds (timers) */
/* CLOCK_MONOTONIC deadline ms from now, for pthread_cond_timedwait on a condition
 * variable created with pthread_condattr_setclock(CLOCK_MONOTONIC). */
void	mono_deadline(struct timespec *ts, int64_t ms);

#endif
