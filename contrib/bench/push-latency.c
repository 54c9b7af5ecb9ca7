/*
 * push-latency.c — WebSocket push latency of artemis-discoveryd.
 *
 *   push-latency DISC_PORT REG_PORT SUBSCRIBERS ROUNDS
 *
 * SUBSCRIBERS sessions on ws://127.0.0.1:DISC_PORT/ws/discovery/instance-change all
 * subscribe to service "push-svc-00000". Each round registers one new instance of
 * that service at registryd (POST register.json on REG_PORT, blocking) and, from
 * the moment its response has been read, times the arrival of the InstanceChange
 * frame naming that instance at every subscriber (epoll, one thread). Subscription
 * has no acknowledgement, so warm-up registrations run until every session has
 * seen a frame. Prints one line:
 *
 *   p50_ms p99_ms max_ms samples missed
 *
 * "missed" counts (round, subscriber) pairs with no frame within 2 s.
 */
#include <sys/epoll.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchnet.h"

#define INBUF	(256 * 1024)

struct sub {
	int	 fd;
	char	*in;
	size_t	 in_len;
	int	 got;		/* saw the marker of the current round */
	int	 seen_any;
};

static struct sub *subs;
static int	 nsubs, ep;

/* Read what is there; for each frame naming marker, mark the session. */
static int
sub_read(struct sub *s, const char *marker, int64_t t0, int64_t *lat, size_t *nlat)
{
	const char *payload;
	size_t plen, used;
	ssize_t r;
	long n;
	int op;

	for (;;) {
		r = read(s->fd, s->in + s->in_len, INBUF - s->in_len);
		if (r == 0)
			return -1;
		if (r == -1)
			return errno == EAGAIN ? 0 : -1;
		s->in_len += (size_t)r;
		used = 0;
		while ((n = bn_ws_parse(s->in + used, s->in_len - used, &op, &payload,
		    &plen)) > 0) {
			used += (size_t)n;
			if (op != 0x1)
				continue;
			s->seen_any = 1;
			if (!s->got && marker != NULL &&
			    memmem(payload, plen, marker, strlen(marker)) != NULL) {
				s->got = 1;
				lat[(*nlat)++] = bn_now_ns() - t0;
			}
		}
		if (n == -1)
			return -1;
		memmove(s->in, s->in + used, s->in_len - used);
		s->in_len -= used;
	}
}

static int
register_one(int fd, unsigned id)
{
	char body[2048], req[4096];
	const char *resp;
	size_t n, rlen;

	n = bn_batch_json(body, sizeof(body), "push-svc-", id, 1, 1000000000u);
	n = bn_http_post(req, sizeof(req), "/api/registry/register.json", body, n);
	return bn_http_roundtrip(fd, req, n, &resp, &rlen) == 200 ? 0 : -1;
}

/* Wait until every session got the marker or the deadline passed; missed count. */
static int
collect(const char *marker, int64_t t0, int64_t deadline, int64_t *lat, size_t *nlat)
{
	struct epoll_event evs[256];
	int i, n, pending;

	for (;;) {
		for (pending = 0, i = 0; i < nsubs; i++)
			pending += subs[i].fd != -1 && !subs[i].got;
		if (pending == 0 || bn_now_ns() >= deadline)
			return pending;
		n = epoll_wait(ep, evs, 256, 10);
		for (i = 0; i < n; i++) {
			struct sub *s = &subs[evs[i].data.u32];

			if (s->fd != -1 && sub_read(s, marker, t0, lat, nlat) == -1) {
				close(s->fd);
				s->fd = -1;
			}
		}
	}
}

int
main(int argc, char *argv[])
{
	struct epoll_event ev;
	static const char cfg[] = "{\"serviceId\":\"push-svc-00000\",\"regionId\":\""
	    BENCH_REGION "\",\"zoneId\":\"" BENCH_ZONE "\"}";
	char frame[256], marker[32];
	int64_t *lat, t0, *scratch;
	size_t nlat = 0, nscratch = 0;
	int dport, rport, rounds, rfd, i, r, missed = 0, ready;
	unsigned id = 900000000u;

	if (argc != 5) {
		fprintf(stderr, "usage: push-latency DISC_PORT REG_PORT SUBSCRIBERS ROUNDS\n");
		return 2;
	}
	dport = atoi(argv[1]);
	rport = atoi(argv[2]);
	nsubs = atoi(argv[3]);
	rounds = atoi(argv[4]);
	if (nsubs < 1 || rounds < 1)
		return 2;
	bn_raise_nofile();
	subs = calloc((size_t)nsubs, sizeof(*subs));
	lat = calloc((size_t)nsubs * (size_t)rounds, sizeof(*lat));
	scratch = calloc((size_t)nsubs, sizeof(*scratch));
	if (subs == NULL || lat == NULL || scratch == NULL || (ep = epoll_create1(0)) == -1)
		return 1;
	size_t flen = bn_ws_frame(frame, sizeof(frame), cfg, sizeof(cfg) - 1);
	for (i = 0; i < nsubs; i++) {
		struct sub *s = &subs[i];

		if ((s->fd = bn_connect(dport)) == -1 ||
		    bn_ws_handshake(s->fd, dport, "/ws/discovery/instance-change") == -1 ||
		    bn_write_all(s->fd, frame, flen) == -1 ||
		    (s->in = malloc(INBUF)) == NULL) {
			fprintf(stderr, "push-latency: subscriber %d failed\n", i);
			return 1;
		}
		bn_set_nonblock(s->fd);
		ev.events = EPOLLIN | EPOLLET;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) == -1)
			return 1;
	}
	if ((rfd = bn_connect(rport)) == -1)
		return 1;

	/* Warm-up: until every live session has seen some frame (max 10 s). */
	for (r = 0; r < 100; r++) {
		if (register_one(rfd, id++) == -1)
			return 1;
		for (i = 0; i < nsubs; i++)
			subs[i].got = subs[i].seen_any;
		nscratch = 0;
		(void)collect("", bn_now_ns(), bn_now_ns() + 100000000LL, scratch, &nscratch);
		for (ready = 0, i = 0; i < nsubs; i++)
			ready += subs[i].seen_any;
		if (ready == nsubs)
			break;
	}
	if (ready < nsubs)
		fprintf(stderr, "push-latency: only %d of %d sessions got a frame\n", ready,
		    nsubs);

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < nsubs; i++)
			subs[i].got = 0;
		snprintf(marker, sizeof(marker), "inst-%08u", id);
		if (register_one(rfd, id++) == -1)
			return 1;
		t0 = bn_now_ns();
		missed += collect(marker, t0, t0 + 2000000000LL, lat, &nlat);
	}
	bn_sort_i64(lat, nlat);
	printf("%.3f %.3f %.3f %zu %d\n", (double)bn_pct(lat, nlat, 50) / 1e6,
	    (double)bn_pct(lat, nlat, 99) / 1e6,
	    nlat ? (double)lat[nlat - 1] / 1e6 : 0.0, nlat, missed);
	return 0;
}
