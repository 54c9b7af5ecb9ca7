/*
 * sockutil.h — loopback client helpers shared by the unit tests that talk to a
 * real server socket (test_ws, test_ws_fanout). Header-only: static inline, so
 * a test that uses only some of them compiles without warnings.
 */
#ifndef ARTEMIS_TEST_SOCKUTIL_H
#define ARTEMIS_TEST_SOCKUTIL_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A connected TCP socket to 127.0.0.1:port, or -1. */
static inline int
tcp_connect(int port)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int
wait_readable(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, ms) == 1;
}

/* Read exactly n bytes, each read within ms; 0, or -1 on timeout/EOF/error. */
static inline int
read_n(int fd, void *buf, size_t n, int ms)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		if (!wait_readable(fd, ms))
			return -1;
		if ((k = read(fd, (char *)buf + got, n - got)) <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

/* Wait up to ms for *v to reach want (a counter other threads raise). */
static inline int
wait_for(_Atomic int *v, int want, int ms)
{
	struct timespec ts = { 0, 2 * 1000000 };
	int i;

	for (i = 0; i < ms / 2 && atomic_load(v) < want; i++)
		nanosleep(&ts, NULL);
	return atomic_load(v) >= want;
}

#endif
