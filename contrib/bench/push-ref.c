/*
 * push-ref.c — the reference for the push rows of make bench: the least a
 * server must do to push one change to N WebSocket subscribers on this machine.
 *
 *   push-ref WS_PORT HTTP_PORT [SENDERS]
 *
 * It speaks just enough for push-latency: a WebSocket upgrade on WS_PORT (any
 * path; the 101 carries no Sec-WebSocket-Accept, which push-latency does not
 * check), whose client frames it reads and discards, and POST on HTTP_PORT
 * (keep-alive, Content-Length bodies). Each POST is one change: it answers 200
 * at once, then writes one text frame naming the body's "inst-NNNNNNNN" (the
 * body itself, ~450 bytes, as big as discoveryd's InstanceChange for it) to
 * every subscriber with one send(2) each, split over SENDERS threads (default:
 * online CPUs, at most 4, the loop thread included; discoveryd's default) that
 * claim chunks of 16 from one atomic cursor. No JSON, no table, no sorting of
 * sessions, no queues: a frame a full socket refuses is counted and dropped.
 *
 * push-latency's figures against it are the machine's floor for a fan-out over
 * loopback TCP (where each send(2) also does the subscriber's receive work), so
 * discoveryd's push rows can be read as a ratio to it.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchnet.h"

#define MAX_CONNS	65536
#define INBUF		8192
#define CHUNK		16
#define MAX_SENDERS	4

enum kind { LISTEN_WS, LISTEN_HTTP, WS_HANDSHAKE, WS_OPEN, HTTP_CONN };

struct conn {
	int		 fd;
	enum kind	 kind;
	char		*in;
	size_t		 len;
};

/* The fan-out job the loop thread shares with the helpers. */
static struct {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 work, done;
	uint64_t	 gen;
	int		 active;
	const char	*data;
	size_t		 len;
	atomic_size_t	 next;
	size_t		 n;
} job = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
    PTHREAD_COND_INITIALIZER, 0, 0, NULL, 0, 0, 0 };

static int		*subs;		/* fds of open WebSocket sessions */
static size_t		 nsubs;
static atomic_size_t	 refused;

static void
share(void)
{
	size_t i, end;

	for (;;) {
		i = atomic_fetch_add(&job.next, CHUNK);
		if (i >= job.n)
			return;
		end = i + CHUNK < job.n ? i + CHUNK : job.n;
		for (; i < end; i++)
			if (send(subs[i], job.data, job.len, MSG_DONTWAIT | MSG_NOSIGNAL) !=
			    (ssize_t)job.len)
				atomic_fetch_add(&refused, 1);
	}
}

static void *
helper(void *arg)
{
	uint64_t seen = 0;

	(void)arg;
	pthread_mutex_lock(&job.mtx);
	for (;;) {
		while (job.gen == seen)
			pthread_cond_wait(&job.work, &job.mtx);
		seen = job.gen;
		job.active++;
		pthread_mutex_unlock(&job.mtx);
		share();
		pthread_mutex_lock(&job.mtx);
		if (--job.active == 0)
			pthread_cond_signal(&job.done);
	}
	return NULL;
}

static void
fan_out(const char *frame, size_t len)
{
	pthread_mutex_lock(&job.mtx);
	job.data = frame;
	job.len = len;
	job.n = nsubs;
	atomic_store(&job.next, 0);
	job.gen++;
	pthread_cond_broadcast(&job.work);
	pthread_mutex_unlock(&job.mtx);
	share();
	pthread_mutex_lock(&job.mtx);
	while (job.active > 0)
		pthread_cond_wait(&job.done, &job.mtx);
	pthread_mutex_unlock(&job.mtx);
}

static int
listen_on(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(fd, 4096) == -1 ||
	    bn_set_nonblock(fd) == -1)
		return -1;
	return fd;
}

static int
watch(int ep, int fd, enum kind kind)
{
	struct epoll_event ev;
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (kind != LISTEN_WS && kind != LISTEN_HTTP && (c->in = malloc(INBUF)) == NULL)) {
		free(c);
		return -1;
	}
	c->fd = fd;
	c->kind = kind;
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void
drop(int ep, struct conn *c)
{
	size_t i;

	(void)epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	for (i = 0; c->kind == WS_OPEN && i < nsubs; i++)
		if (subs[i] == c->fd) {
			subs[i] = subs[--nsubs];
			break;
		}
	close(c->fd);
	free(c->in);
	free(c);
}

/* A complete POST in c->in: answer it, then push its change. */
static long
http_request(struct conn *c)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 2\r\n\r\n{}";
	static char frame[INBUF + 16];
	const char *hdr_end, *cl;
	size_t hlen, blen, flen;

	if ((hdr_end = memmem(c->in, c->len, "\r\n\r\n", 4)) == NULL)
		return 0;
	hlen = (size_t)(hdr_end - c->in) + 4;
	cl = memmem(c->in, hlen, "Content-Length:", 15);
	blen = cl != NULL ? strtoul(cl + 15, NULL, 10) : 0;
	if (blen > INBUF - hlen)
		return -1;
	if (c->len < hlen + blen)
		return 0;
	if (bn_write_all(c->fd, ok, sizeof(ok) - 1) == -1)
		return -1;
	frame[0] = (char)0x81;
	if (blen < 126) {
		frame[1] = (char)blen;
		flen = 2;
	} else {
		frame[1] = 126;
		frame[2] = (char)(blen >> 8);
		frame[3] = (char)(blen & 0xff);
		flen = 4;
	}
	memcpy(frame + flen, c->in + hlen, blen);
	fan_out(frame, flen + blen);
	return (long)(hlen + blen);
}

static int
ws_handshake(struct conn *c)
{
	static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n";

	if (memmem(c->in, c->len, "\r\n\r\n", 4) == NULL)
		return 0;
	if (nsubs == MAX_CONNS || bn_write_all(c->fd, resp, sizeof(resp) - 1) == -1)
		return -1;
	c->kind = WS_OPEN;
	c->len = 0;		/* the subscription that may follow is not read */
	subs[nsubs++] = c->fd;
	return 0;
}

/* Read what the peer sent; -1 when the connection is to be dropped. */
static int
readable(struct conn *c)
{
	ssize_t r;
	long used;

	if (c->len == INBUF)
		return -1;
	if ((r = read(c->fd, c->in + c->len, INBUF - c->len)) <= 0)
		return r == -1 && errno == EAGAIN ? 0 : -1;
	if (c->kind == WS_OPEN) {
		c->len = 0;
		return 0;
	}
	c->len += (size_t)r;
	if (c->kind == WS_HANDSHAKE)
		return ws_handshake(c);
	while ((used = http_request(c)) > 0) {
		memmove(c->in, c->in + used, c->len - (size_t)used);
		c->len -= (size_t)used;
	}
	return (int)used;
}

static void
accept_all(int ep, struct conn *l)
{
	int fd, one = 1;

	while ((fd = accept(l->fd, NULL, NULL)) != -1) {
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 ||
		    bn_set_nonblock(fd) == -1 ||
		    watch(ep, fd, l->kind == LISTEN_WS ? WS_HANDSHAKE : HTTP_CONN) == -1)
			close(fd);
	}
}

int
main(int argc, char *argv[])
{
	struct epoll_event evs[256];
	pthread_t th;
	long senders;
	int ep, wfd, hfd, i, n;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: push-ref WS_PORT HTTP_PORT [SENDERS]\n");
		return 2;
	}
	senders = argc == 4 ? atol(argv[3]) : sysconf(_SC_NPROCESSORS_ONLN);
	if (senders < 1)
		senders = 1;
	if (senders > MAX_SENDERS)
		senders = MAX_SENDERS;
	signal(SIGPIPE, SIG_IGN);
	bn_raise_nofile();
	if ((subs = calloc(MAX_CONNS, sizeof(*subs))) == NULL ||
	    (ep = epoll_create1(0)) == -1 ||
	    (wfd = listen_on(atoi(argv[1]))) == -1 || (hfd = listen_on(atoi(argv[2]))) == -1 ||
	    watch(ep, wfd, LISTEN_WS) == -1 || watch(ep, hfd, LISTEN_HTTP) == -1) {
		perror("push-ref");
		return 1;
	}
	for (i = 1; i < senders; i++)
		if (pthread_create(&th, NULL, helper, NULL) != 0 || pthread_detach(th) != 0) {
			fprintf(stderr, "push-ref: cannot start a sender thread\n");
			return 1;
		}
	for (;;) {
		if ((n = epoll_wait(ep, evs, 256, -1)) == -1 && errno != EINTR) {
			perror("push-ref: epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->kind == LISTEN_WS || c->kind == LISTEN_HTTP)
				accept_all(ep, c);
			else if (readable(c) == -1)
				drop(ep, c);
		}
		if (atomic_load(&refused) > 0) {
			fprintf(stderr, "push-ref: %zu frames refused by full sockets\n",
			    atomic_exchange(&refused, 0));
		}
	}
}
