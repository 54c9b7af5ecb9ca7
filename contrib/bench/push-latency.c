/*
 * push-latency.c — WebSocket push latency of artemis-discoveryd.
 *
 *   push-latency DISC_PORT REG_PORT SUBSCRIBERS ROUNDS [GAP_MS]
 *
 * SUBSCRIBERS sessions on ws://127.0.0.1:DISC_PORT/ws/discovery/instance-change all
 * subscribe to service "push-svc-00000". Each round registers one new instance of
 * that service at registryd (POST register.json on REG_PORT, blocking) and times,
 * from the register.json response, the InstanceChange frame naming that instance
 * at every subscriber (epoll, one thread, batches of 1,024 events, one read per
 * event, no allocation per frame). Subscription has no acknowledgement, so
 * warm-up registrations run until one frame reached every session.
 *
 * Rounds follow each other at once, or GAP_MS apart. It matters on loopback:
 * a receiving kernel ACKs at once (quickack) the first 16 segments of a
 * connection and any segment after a gap longer than its RTO (>= 200 ms), and
 * delays its ACKs otherwise; on loopback an immediate ACK is made and taken in
 * by the sender's own send(2), ~40 % more work per frame there. So back-to-back
 * rounds first warm up STEADY_ROUNDS more changes (every connection then delays
 * its ACKs, as a subscriber getting changes in a row does); with a gap of 300 ms
 * every change finds idle connections, as a change of a quiet service does.
 *
 * Two clocks, each alike at both ends:
 *  - kernel: the software receive timestamp (SO_TIMESTAMPNS) of the response's
 *    last segment to that of the segment that completed the frame: the moment
 *    each reached the client's host stack. On loopback that is taken inside the
 *    sender's send(2), so this client's own wait for a core on a shared machine
 *    is not counted: this is the frame "at the subscriber";
 *  - read: when this program had read the response to when it had read the
 *    frame (what a single-threaded client on the same cores observes).
 * registryd tells discoveryd before it answers, so on a busy machine a frame can
 * reach the subscriber before the response reaches the client: such samples are
 * negative and kept.
 * Prints one line:
 *
 *   kp50_ms kp99_ms kmax_ms rp50_ms rp99_ms rmax_ms samples missed first_ms spread_ms
 *
 * first_ms and spread_ms say where the time goes (kernel clock, medians over the
 * rounds): the first subscriber's frame (the server's path from registryd's
 * response to its first send) and the last's minus the first's (the fan-out).
 *
 * "missed" counts (round, subscriber) pairs with no frame within 2 s; samples
 * without a kernel timestamp are reported on stderr (none expected).
 */
#include <sys/epoll.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchnet.h"

#define RDBUF	(256 * 1024)	/* one read buffer shared by every session */
#define BATCH	1024		/* epoll events per wait */
#define STEADY_ROUNDS	20	/* > the 16 quick ACKs a new connection gets */

/* A session keeps bytes only when a read ended inside a frame (rare: the
 * server writes each frame with one send). */
struct sub {
	int	 fd;
	char	*carry;
	size_t	 carry_len;
	int	 got;		/* saw the marker of the current round */
};

/* The current round: its start on both clocks and where samples go (NULL
 * during warm-up). */
struct round {
	int64_t	 t0_read;	/* CLOCK_MONOTONIC, response read */
	int64_t	 t0_kern;	/* CLOCK_REALTIME, response's kernel arrival */
	int64_t	*lat_read, *lat_kern;
	size_t	 nread, nkern, nots;
	int64_t	 first, last;	/* this round's earliest and latest, kernel clock */
};

static struct sub *subs;
static int	 nsubs, ep, pending;	/* live sessions without the marker yet */
static int	 ended_close, ended_eof, ended_err, close_code;	/* sessions lost */
static char	 rdbuf[RDBUF];

static void
sub_mark(struct sub *s, struct round *rd, int64_t rx_ns)
{
	int64_t l;

	s->got = 1;
	pending--;
	if (rd->lat_read == NULL)
		return;
	rd->lat_read[rd->nread++] = bn_now_ns() - rd->t0_read;
	if (rx_ns == 0 || rd->t0_kern == 0) {
		rd->nots++;
		return;
	}
	l = rx_ns - rd->t0_kern;
	rd->lat_kern[rd->nkern++] = l;
	if (rd->first == 0 || l < rd->first)
		rd->first = l;
	if (l > rd->last)
		rd->last = l;
}

/* Parse the frames in buf; keep a partial one. */
static int
sub_parse(struct sub *s, const char *buf, size_t len, const char *marker, size_t mlen,
    struct round *rd, int64_t rx_ns)
{
	const char *payload;
	size_t plen, used = 0;
	long n;
	int op;

	while ((n = bn_ws_parse(buf + used, len - used, &op, &payload, &plen)) > 0) {
		used += (size_t)n;
		if (op == 0x8) {
			close_code = plen >= 2 ? (unsigned char)payload[0] << 8 |
			    (unsigned char)payload[1] : 0;
			ended_close++;
			return -1;
		}
		if (op != 0x1)
			continue;
		if (!s->got && memmem(payload, plen, marker, mlen) != NULL)
			sub_mark(s, rd, rx_ns);
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

/* Read what is there (edge-triggered: until a read comes back short). A frame
 * is stamped with the kernel arrival of the newest segment of its read (the one
 * that completed it, or later: never earlier than the truth). */
static int
sub_read(struct sub *s, const char *marker, size_t mlen, struct round *rd)
{
	int64_t rx_ns;
	size_t have;
	long r;

	for (;;) {
		have = 0;
		if (s->carry_len > 0) {
			if (s->carry_len > RDBUF / 2)
				return -1;	/* no frame of ours is that big */
			memcpy(rdbuf, s->carry, s->carry_len);
			have = s->carry_len;
		}
		r = bn_recv_ts(s->fd, rdbuf + have, RDBUF - have, &rx_ns);
		if (r == 0) {
			ended_eof++;
			return -1;
		}
		if (r == -1 && errno == EAGAIN)
			return 0;
		if (r == -1) {
			ended_err++;
			return -1;
		}
		if (sub_parse(s, rdbuf, have + (size_t)r, marker, mlen, rd, rx_ns) == -1)
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

/* Register instance id; the round starts when the response is in. */
static int
register_one(int fd, unsigned id, struct round *rd)
{
	char body[2048], req[4096];
	const char *resp;
	size_t n, rlen;
	int st;

	n = bn_batch_json(body, sizeof(body), "push-svc-", id, 1, 1000000000u);
	n = bn_http_post(req, sizeof(req), "/api/registry/register.json", body, n);
	st = bn_http_roundtrip_ts(fd, req, n, &resp, &rlen, &rd->t0_kern);
	rd->t0_read = bn_now_ns();
	return st == 200 ? 0 : -1;
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
collect(const char *marker, struct round *rd, int64_t deadline)
{
	static struct epoll_event evs[BATCH];
	size_t mlen = strlen(marker);
	int i, n;

	while (pending > 0 && bn_now_ns() < deadline) {
		n = epoll_wait(ep, evs, BATCH, 10);
		for (i = 0; i < n; i++) {
			struct sub *s = &subs[evs[i].data.u32];

			if (s->fd != -1 && sub_read(s, marker, mlen, rd) == -1)
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
	struct round rd, warm;
	int64_t *firsts, *spreads;
	int dport, rport, rounds, rfd, i, r, missed = 0, pend = 0, gap_ms = 0;
	unsigned id = 900000000u;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: push-latency DISC_PORT REG_PORT SUBSCRIBERS ROUNDS "
		    "[GAP_MS]\n");
		return 2;
	}
	if (argc == 6)
		gap_ms = atoi(argv[5]);
	dport = atoi(argv[1]);
	rport = atoi(argv[2]);
	nsubs = atoi(argv[3]);
	rounds = atoi(argv[4]);
	if (nsubs < 1 || rounds < 1)
		return 2;
	bn_raise_nofile();
	subs = calloc((size_t)nsubs, sizeof(*subs));
	memset(&rd, 0, sizeof(rd));
	memset(&warm, 0, sizeof(warm));
	rd.lat_read = calloc((size_t)nsubs * (size_t)rounds, sizeof(*rd.lat_read));
	rd.lat_kern = calloc((size_t)nsubs * (size_t)rounds, sizeof(*rd.lat_kern));
	firsts = calloc((size_t)rounds, sizeof(*firsts));
	spreads = calloc((size_t)rounds, sizeof(*spreads));
	if (subs == NULL || rd.lat_read == NULL || rd.lat_kern == NULL || firsts == NULL ||
	    spreads == NULL ||
	    (ep = epoll_create1(0)) == -1)
		return 1;
	size_t flen = bn_ws_frame(frame, sizeof(frame), cfg, sizeof(cfg) - 1);
	for (i = 0; i < nsubs; i++) {
		struct sub *s = &subs[i];

		if ((s->fd = bn_connect(dport)) == -1 ||
		    bn_ws_handshake(s->fd, dport, "/ws/discovery/instance-change") == -1 ||
		    bn_write_all(s->fd, frame, flen) == -1 || bn_rx_timestamps(s->fd) == -1) {
			fprintf(stderr, "push-latency: subscriber %d failed\n", i);
			return 1;
		}
		bn_set_nonblock(s->fd);
		ev.events = EPOLLIN | EPOLLET;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) == -1)
			return 1;
	}
	if ((rfd = bn_connect(rport)) == -1 || bn_rx_timestamps(rfd) == -1)
		return 1;

	/* Warm-up: until one registration's frame reached every session (at most
	 * 10 tries of 2 s). Frames of a session arrive in order, so the server has
	 * then finished every earlier fan-out: the first round starts from quiet,
	 * not behind a backlog the warm-up piled up. */
	for (r = 0; r < 10; r++) {
		round_begin();
		snprintf(marker, sizeof(marker), "inst-%08u", id);
		if (register_one(rfd, id++, &warm) == -1)
			return 1;
		if ((pend = collect(marker, &warm, bn_now_ns() + 2000000000LL)) == 0)
			break;
	}
	if (pend > 0)
		fprintf(stderr, "push-latency: %d of %d sessions never got a frame\n", pend,
		    nsubs);
	/* back to back: past the connections' quick ACKs (see the header) */
	for (r = 0; gap_ms == 0 && r < STEADY_ROUNDS; r++) {
		round_begin();
		snprintf(marker, sizeof(marker), "inst-%08u", id);
		if (register_one(rfd, id++, &warm) == -1)
			return 1;
		(void)collect(marker, &warm, bn_now_ns() + 2000000000LL);
	}

	for (r = 0; r < rounds; r++) {
		if (gap_ms > 0) {
			struct timespec ts = { gap_ms / 1000, (long)(gap_ms % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
				;
		}
		round_begin();
		snprintf(marker, sizeof(marker), "inst-%08u", id);
		if (register_one(rfd, id++, &rd) == -1)
			return 1;
		rd.first = rd.last = 0;
		missed += collect(marker, &rd, rd.t0_read + 2000000000LL);
		firsts[r] = rd.first;
		spreads[r] = rd.last - rd.first;
	}
	if (ended_close + ended_eof + ended_err > 0)
		fprintf(stderr, "push-latency: %d sessions lost: %d closed by the server "
		    "(last code %d), %d EOF, %d errors\n", ended_close + ended_eof + ended_err,
		    ended_close, close_code, ended_eof, ended_err);
	if (rd.nots > 0)
		fprintf(stderr, "push-latency: %zu of %zu frames without a kernel timestamp\n",
		    rd.nots, rd.nread);
	bn_sort_i64(rd.lat_kern, rd.nkern);
	bn_sort_i64(rd.lat_read, rd.nread);
	bn_sort_i64(firsts, (size_t)rounds);
	bn_sort_i64(spreads, (size_t)rounds);
	printf("%.3f %.3f %.3f %.3f %.3f %.3f %zu %d %.3f %.3f\n",
	    (double)bn_pct(rd.lat_kern, rd.nkern, 50) / 1e6,
	    (double)bn_pct(rd.lat_kern, rd.nkern, 99) / 1e6,
	    rd.nkern ? (double)rd.lat_kern[rd.nkern - 1] / 1e6 : 0.0,
	    (double)bn_pct(rd.lat_read, rd.nread, 50) / 1e6,
	    (double)bn_pct(rd.lat_read, rd.nread, 99) / 1e6,
	    rd.nread ? (double)rd.lat_read[rd.nread - 1] / 1e6 : 0.0, rd.nread, missed,
	    (double)bn_pct(firsts, (size_t)rounds, 50) / 1e6,
	    (double)bn_pct(spreads, (size_t)rounds, 50) / 1e6);
	return 0;
}
