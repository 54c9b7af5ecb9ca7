/*
 * push-latency.c — WebSocket push latency of artemis-discoveryd.
 *
 *   push-latency DISC_PORT REG_PORT SUBSCRIBERS ROUNDS
 *
 * SUBSCRIBERS sessions on ws://127.0.0.1:DISC_PORT/ws/discovery/instance-change all
 * subscribe to service "push-svc-00000". Each round registers one new instance of
 * that service at registryd (POST register.json on REG_PORT, blocking) and, from
 * the moment its response has been read, times the arrival of the InstanceChange
 * frame naming that instance at every subscriber (epoll, one thread, batches of
 * 1,024 events, one read per event, no allocation per frame). Subscription has
 * no acknowledgement, so warm-up registrations run until one frame reached every
 * session. Prints one line:
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

#define RDBUF	(256 * 1024)	/* one read buffer shared by every session */
#define BATCH	1024		/* epoll events per wait */

/* A session keeps bytes only when a read ended inside a frame (rare: the
 * server writes each frame with one send). */
struct sub {
	int	 fd;
	char	*carry;
	size_t	 carry_len;
	int	 got;		/* saw the marker of the current round */
};

static struct sub *subs;
static int	 nsubs, ep, pending;	/* live sessions without the marker yet */
static char	 rdbuf[RDBUF];

static void
sub_mark(struct sub *s, int64_t t0, int64_t *lat, size_t *nlat)
{
	s->got = 1;
	pending--;
	if (lat != NULL)
		lat[(*nlat)++] = bn_now_ns() - t0;
}

/* Parse the frames in buf; keep a partial one. */
static int
sub_parse(struct sub *s, const char *buf, size_t len, const char *marker, size_t mlen,
    int64_t t0, int64_t *lat, size_t *nlat)
{
	const char *payload;
	size_t plen, used = 0;
	long n;
	int op;

	while ((n = bn_ws_parse(buf + used, len - used, &op, &payload, &plen)) > 0) {
		used += (size_t)n;
		if (op != 0x1)
			continue;
		if (!s->got && memmem(payload, plen, marker, mlen) != NULL)
			sub_mark(s, t0, lat, nlat);
	}
	if (n == -1)
		return -1;
	if (used < len) {
		char *p;

		if ((p = malloc(len - used)) == NULL)
			return -1;
		memcpy(p, buf + used, len - used);
		free(s->carry);
		s->carry = p;
		s->carry_len = len - used;
	} else if (s->carry != NULL) {
		free(s->carry);
		s->carry = NULL;
		s->carry_len = 0;
	}
	return 0;
}

/* Read what is there (edge-triggered: until a read comes back short). */
static int
sub_read(struct sub *s, const char *marker, size_t mlen, int64_t t0, int64_t *lat,
    size_t *nlat)
{
	size_t have;
	ssize_t r;

	for (;;) {
		have = 0;
		if (s->carry_len > 0) {
			if (s->carry_len > RDBUF / 2)
				return -1;	/* no frame of ours is that big */
			memcpy(rdbuf, s->carry, s->carry_len);
			have = s->carry_len;
		}
		r = read(s->fd, rdbuf + have, RDBUF - have);
		if (r == 0)
			return -1;
		if (r == -1)
			return errno == EAGAIN ? 0 : -1;
		if (sub_parse(s, rdbuf, have + (size_t)r, marker, mlen, t0, lat, nlat) == -1)
			return -1;
		if ((size_t)r < RDBUF - have)
			return 0;
	}
}

static void
sub_drop(struct sub *s)
{
	if (!s->got)
		pending--;
	close(s->fd);
	s->fd = -1;
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

/* Arm a round: every live session waits for the round's marker. */
static void
round_begin(void)
{
	int i;

	for (pending = 0, i = 0; i < nsubs; i++) {
		subs[i].got = subs[i].fd == -1;
		pending += !subs[i].got;
	}
}

/* Wait until every session got the marker or the deadline passed; missed count. */
static int
collect(const char *marker, int64_t t0, int64_t deadline, int64_t *lat, size_t *nlat)
{
	static struct epoll_event evs[BATCH];
	size_t mlen = strlen(marker);
	int i, n;

	while (pending > 0 && bn_now_ns() < deadline) {
		n = epoll_wait(ep, evs, BATCH, 10);
		for (i = 0; i < n; i++) {
			struct sub *s = &subs[evs[i].data.u32];

			if (s->fd != -1 && sub_read(s, marker, mlen, t0, lat, nlat) == -1)
				sub_drop(s);
		}
	}
	return pending;
}

int
main(int argc, char *argv[])
{
	struct epoll_event ev;
	static const char cfg[] = "{\"serviceId\":\"push-svc-00000\",\"regionId\":\""
	    BENCH_REGION "\",\"zoneId\":\"" BENCH_ZONE "\"}";
	char frame[256], marker[32];
	int64_t *lat, t0;
	size_t nlat = 0;
	int dport, rport, rounds, rfd, i, r, missed = 0, pend = 0;
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
	if (subs == NULL || lat == NULL || (ep = epoll_create1(0)) == -1)
		return 1;
	size_t flen = bn_ws_frame(frame, sizeof(frame), cfg, sizeof(cfg) - 1);
	for (i = 0; i < nsubs; i++) {
		struct sub *s = &subs[i];

		if ((s->fd = bn_connect(dport)) == -1 ||
		    bn_ws_handshake(s->fd, dport, "/ws/discovery/instance-change") == -1 ||
		    bn_write_all(s->fd, frame, flen) == -1) {
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

	/* Warm-up: until one registration's frame reached every session (at most
	 * 10 tries of 2 s). Frames of a session arrive in order, so the server has
	 * then finished every earlier fan-out: the first round starts from quiet,
	 * not behind a backlog the warm-up piled up. */
	for (r = 0; r < 10; r++) {
		round_begin();
		snprintf(marker, sizeof(marker), "inst-%08u", id);
		if (register_one(rfd, id++) == -1)
			return 1;
		if ((pend = collect(marker, 0, bn_now_ns() + 2000000000LL, NULL, NULL)) == 0)
			break;
	}
	if (pend > 0)
		fprintf(stderr, "push-latency: %d of %d sessions never got a frame\n", pend,
		    nsubs);

	for (r = 0; r < rounds; r++) {
		round_begin();
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
