/*
 * http-load.c — HTTP load and checks against artemis-registryd for `make bench`.
 *
 *   http-load -p PORT [-c CONNS] [-b BATCH] [-k PER_SVC] [-s SVC_PREFIX]
 *             [-d SECONDS | -n COUNT] [-f FIRST_ID] [-o ACKFILE] [-r] register
 *	Registers new instances in batches of BATCH (ids FIRST_ID, FIRST_ID+1, ...
 *	never reused) over CONNS keep-alive connections, one request in flight on
 *	each. Prints "instances_per_s acked_instances failed_requests p50_ms p99_ms".
 *	-o writes the first id of every acknowledged batch (HTTP 200 and
 *	"failedInstances":null), one per line. -r reconnects when a connection
 *	breaks (the registryd kill test); the batch in flight then counts as not
 *	acknowledged.
 *
 *   http-load -p PORT [-b BATCH] [-k PER_SVC] [-s SVC_PREFIX] -i ACKFILE verify
 *	Heartbeats every acknowledged batch of ACKFILE; an instance the registry no
 *	longer knows comes back in failedInstances. Prints "checked_instances lost".
 *
 *   http-load -p PORT -t START_WALL_NS health
 *	Polls GET /health every millisecond; prints milliseconds from START_WALL_NS
 *	(CLOCK_REALTIME, e.g. `date +%s%N` taken just before exec) to the first 200.
 */
#include <sys/epoll.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchnet.h"

#define BUFSZ	(4 << 20)

static int	 port, nconn = 4, batch = 100, per_svc = 100, reconnect;
static const char *prefix = "reg-svc-";
static long	 seconds = 0, count = 0, first_id = 0;
static const char *ackfile, *inputfile;
static int64_t	 start_wall;

struct conn {
	int	 fd;
	char	*out;
	size_t	 out_len, out_off;
	char	*in;
	size_t	 in_len;
	long	 batch_first;	/* -1: idle */
	int64_t	 sent;
	int64_t	 retry_at;
};

static int64_t	*lat;
static size_t	 nlat, caplat;

static void
record(int64_t ns)
{
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 65536;
		if ((lat = realloc(lat, caplat * sizeof(*lat))) == NULL)
			exit(1);
	}
	lat[nlat++] = ns;
}

static int
ok_body(int status, const char *body, size_t len)
{
	return status == 200 && len >= 23 && memcmp(body, "{\"failedInstances\":null", 23) == 0;
}

/* Build the next request on c: 0 ok, -1 when the id budget is spent. */
static int
next_request(struct conn *c, long *next_first, const char *path)
{
	static char *body;
	size_t n;

	if (count > 0 && *next_first + batch > first_id + count)
		return -1;
	if (body == NULL && (body = malloc(BUFSZ)) == NULL)
		exit(1);
	n = bn_batch_json(body, BUFSZ, prefix, (unsigned)*next_first, (unsigned)batch,
	    (unsigned)per_svc);
	c->out_len = bn_http_post(c->out, BUFSZ, path, body, n);
	if (n == 0 || c->out_len == 0)
		exit(1);
	c->out_off = 0;
	c->batch_first = *next_first;
	*next_first += batch;
	c->sent = bn_now_ns();
	return 0;
}

static int
conn_open(struct conn *c, int ep, int idx)
{
	struct epoll_event ev;

	if ((c->fd = bn_connect(port)) == -1)
		return -1;
	bn_set_nonblock(c->fd);
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	ev.data.u32 = (uint32_t)idx;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->in_len = 0;
	return 0;
}

static void
conn_broken(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->batch_first = -1;	/* in flight: not acknowledged */
	c->retry_at = bn_now_ns() + 1000000;
}

/* Drive one connection: 0 fine, -1 broken, 1 finished (no more ids). */
static int
drive(struct conn *c, long *next_first, FILE *ack, long *acked, long *failed)
{
	const char *body;
	size_t blen;
	ssize_t r;
	long n;
	int status;

	for (;;) {
		if (c->batch_first == -1 && next_request(c, next_first,
		    "/api/registry/register.json") == -1)
			return 1;
		while (c->out_off < c->out_len) {
			r = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
			if (r == -1)
				return errno == EAGAIN ? 0 : -1;
			c->out_off += (size_t)r;
		}
		r = read(c->fd, c->in + c->in_len, BUFSZ - c->in_len - 1);
		if (r == 0)
			return -1;
		if (r == -1)
			return errno == EAGAIN ? 0 : -1;
		c->in_len += (size_t)r;
		if ((n = bn_http_parse(c->in, c->in_len, &status, &body, &blen)) == -1)
			return -1;
		if (n == 0)
			continue;
		record(bn_now_ns() - c->sent);
		if (ok_body(status, body, blen)) {
			*acked += batch;
			if (ack != NULL)
				fprintf(ack, "%ld\n", c->batch_first);
		} else
			(*failed)++;
		memmove(c->in, c->in + n, c->in_len - (size_t)n);
		c->in_len -= (size_t)n;
		c->batch_first = -1;
	}
}

static int
do_register(void)
{
	struct epoll_event evs[64];
	struct conn *conns;
	FILE *ack = NULL;
	long next_first = first_id, acked = 0, failed = 0;
	int64_t start, end, now;
	int ep, i, active;

	if (ackfile != NULL && (ack = fopen(ackfile, "w")) == NULL) {
		perror(ackfile);
		return 1;
	}
	if ((conns = calloc((size_t)nconn, sizeof(*conns))) == NULL ||
	    (ep = epoll_create1(0)) == -1)
		return 1;
	for (i = 0; i < nconn; i++) {
		conns[i].out = malloc(BUFSZ);
		conns[i].in = malloc(BUFSZ);
		conns[i].batch_first = -1;
		if (conns[i].out == NULL || conns[i].in == NULL)
			return 1;
		if (conn_open(&conns[i], ep, i) == -1) {
			fprintf(stderr, "http-load: cannot connect to port %d\n", port);
			return 1;
		}
	}
	start = bn_now_ns();
	end = seconds > 0 ? start + seconds * 1000000000LL : INT64_MAX;
	for (active = nconn; active > 0 && (now = bn_now_ns()) < end;) {
		int n = epoll_wait(ep, evs, 64, 1);

		for (i = 0; i < n; i++) {
			struct conn *c = &conns[evs[i].data.u32];
			int rc;

			if (c->fd == -1)
				continue;
			rc = drive(c, &next_first, ack, &acked, &failed);
			if (rc == 1) {
				close(c->fd);
				c->fd = -1;
				c->retry_at = INT64_MAX;
				active--;
			} else if (rc == -1) {
				conn_broken(c);
				if (!reconnect) {
					c->retry_at = INT64_MAX;
					active--;
				}
			}
		}
		for (i = 0; reconnect && i < nconn; i++) {
			struct conn *c = &conns[i];

			if (c->fd == -1 && c->retry_at <= now) {
				if (conn_open(c, ep, i) == -1)
					c->retry_at = now + 1000000;
				else if (drive(c, &next_first, ack, &acked, &failed) == -1)
					conn_broken(c);
			}
		}
	}
	end = bn_now_ns();
	if (ack != NULL)
		fclose(ack);
	bn_sort_i64(lat, nlat);
	printf("%.0f %ld %ld %.3f %.3f\n", (double)acked / ((double)(end - start) / 1e9),
	    acked, failed, (double)bn_pct(lat, nlat, 50) / 1e6,
	    (double)bn_pct(lat, nlat, 99) / 1e6);
	return 0;
}

static int
do_verify(void)
{
	FILE *in;
	char *body = malloc(BUFSZ), *req = malloc(BUFSZ);
	const char *resp, *p;
	size_t rlen, n;
	long first, checked = 0, lost = 0;
	int fd, status;

	if (body == NULL || req == NULL || (in = fopen(inputfile, "r")) == NULL) {
		perror(inputfile);
		return 1;
	}
	if ((fd = bn_connect(port)) == -1)
		return 1;
	while (fscanf(in, "%ld", &first) == 1) {
		n = bn_batch_json(body, BUFSZ, prefix, (unsigned)first, (unsigned)batch,
		    (unsigned)per_svc);
		n = bn_http_post(req, BUFSZ, "/api/registry/heartbeat.json", body, n);
		status = bn_http_roundtrip(fd, req, n, &resp, &rlen);
		checked += batch;
		if (ok_body(status, resp, rlen))
			continue;
		if (status != 200) {
			lost += batch;
			continue;
		}
		for (p = resp; (p = strstr(p, "\"errorCode\":\"data-not-found\"")) != NULL; p++)
			lost++;
	}
	fclose(in);
	printf("%ld %ld\n", checked, lost);
	return 0;
}

static int
do_health(void)
{
	static const char req[] = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	struct timespec ms = { 0, 1000000 };
	const char *body;
	size_t blen;
	int64_t deadline = bn_now_ns() + 60 * 1000000000LL;
	int fd;

	while (bn_now_ns() < deadline) {
		if ((fd = bn_connect(port)) != -1) {
			int st = bn_http_roundtrip(fd, req, sizeof(req) - 1, &body, &blen);

			close(fd);
			if (st == 200) {
				printf("%.1f\n", (double)(bn_wall_ns() - start_wall) / 1e6);
				return 0;
			}
		}
		nanosleep(&ms, NULL);
	}
	printf("timeout\n");
	return 1;
}

int
main(int argc, char *argv[])
{
	int ch;

	while ((ch = getopt(argc, argv, "p:c:b:k:s:d:n:f:o:ri:t:")) != -1) {
		switch (ch) {
		case 'p': port = atoi(optarg); break;
		case 'c': nconn = atoi(optarg); break;
		case 'b': batch = atoi(optarg); break;
		case 'k': per_svc = atoi(optarg); break;
		case 's': prefix = optarg; break;
		case 'd': seconds = atol(optarg); break;
		case 'n': count = atol(optarg); break;
		case 'f': first_id = atol(optarg); break;
		case 'o': ackfile = optarg; break;
		case 'r': reconnect = 1; break;
		case 'i': inputfile = optarg; break;
		case 't': start_wall = atoll(optarg); break;
		default: return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || port <= 0 || nconn < 1 || nconn > 1000 || batch < 1 || per_svc < 1) {
		fprintf(stderr, "usage: see the comment at the top of http-load.c\n");
		return 2;
	}
	bn_raise_nofile();
	if (strcmp(argv[0], "register") == 0)
		return do_register();
	if (strcmp(argv[0], "verify") == 0 && inputfile != NULL)
		return do_verify();
	if (strcmp(argv[0], "health") == 0)
		return do_health();
	fprintf(stderr, "http-load: unknown mode %s\n", argv[0]);
	return 2;
}
