/* log.c — see log.h. One write(2) per line so concurrent threads do not interleave. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "artemis";
static int log_level;

void
log_init(const char *progname, int verbosity)
{
	log_prog = progname;
	log_level = verbosity;
}

int
log_verbosity(void)
{
	return log_level;
}

static void
vlog(const char *tag, int with_errno, const char *fmt, va_list ap)
{
	char line[2048];
	int saved = errno, n;
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: %s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000, log_prog, tag);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	if (with_errno) {
		n += snprintf(line + n, sizeof(line) - n, ": %s", strerror(saved));
		if ((size_t)n >= sizeof(line) - 1)
			n = sizeof(line) - 2;
	}
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
	errno = saved;
}

#define LOGFN(name, tag, err, min)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
	if (log_level < (min))					\
		return;						\
	va_start(ap, fmt);					\
	vlog(tag, err, fmt, ap);				\
	va_end(ap);						\
}
LOGFN(log_warn, "warning: ", 1, 0)
LOGFN(log_warnx, "warning: ", 0, 0)
LOGFN(log_info, "", 0, 0)
LOGFN(log_debug, "debug: ", 0, 1)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal: ", 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal: ", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
