/*
 * ws-heartbeat-load.c — batched WebSocket heartbeats against artemis-registryd.
 *
 *   ws-heartbeat-load PORT CONNS WINDOW SECONDS NREG BATCH
 *
 * CONNS connections to ws://127.0.0.1:PORT/ws/registry/heartbeat; each keeps up to
 * WINDOW HeartbeatRequests of BATCH instances in flight (the server answers every
 * message with one HeartbeatResponse, in order). The instances are ids [0, NREG) of
 * service "hb-svc-<id/100>" and must be registered beforehand, so every renewal is
 * a real one. Messages are built before the clock starts; the generator only
 * copies bytes. Prints one line:
 *
 *   renewals_per_s messages_per_s failed_messages p50_ms p99_ms
 *
 * (latency: message written -> its reply read). The first 0.5 s are warm-up.
 */
#include <sys/epoll.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchnet.h"

#define MAXWIN		64
#define RBUF		(1 << 20)

struct conn {
	int		 fd;
	unsigned	 next;		/* message counter */
	const char	*out;		/* frame being written */
	size_t		 out_len, out_off;
	int		 inflight;
	int64_t		 sent[MAXWIN];	/* FIFO of send times */
	int		 head;
	char		*in;
	size_t		 in_len;
};

static char	**frames;
static size_t	 *frame_len;
static unsigned	  nframes;
static int	  window;

static int64_t	*lat;
static size_t	 nlat, caplat;

static void
record(int64_t ns)
{
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 65536;
		if ((lat = realloc(lat, caplat * sizeof(*lat))) == NULL) {
			perror("realloc");
			exit(1);
		}
	}
	lat[nlat++] = ns;
}

static void
build_frames(unsigned nreg, unsigned batch)
{
	size_t cap = (size_t)batch * 600 + 64;
	char *body = malloc(cap);
	unsigned i;

	nframes = nreg / batch;
	frames = calloc(nframes, sizeof(*frames));
	frame_len = calloc(nframes, sizeof(*frame_len));
	if (body == NULL || frames == NULL || frame_len == NULL)
		exit(1);
	for (i = 0; i < nframes; i++) {
		size_t n = bn_batch_json(body, cap, "hb-svc-", i * batch, batch, 100);

		if (n == 0 || (frames[i] = malloc(n + 16)) == NULL)
			exit(1);
		frame_len[i] = bn_ws_frame(frames[i], n + 16, body, n);
	}
	free(body);
}

/* Start the next frame if the window allows and nothing is half-written. */
static int
pump_out(struct conn *c, unsigned idx)
{
	ssize_t w;

	for (;;) {
		if (c->out == NULL) {
			unsigned f;

			if (c->inflight >= window)
				return 0;
			f = (idx * 7919u + c->next++) % nframes;
			c->out = frames[f];
			c->out_len = frame_len[f];
			c->out_off = 0;
			c->sent[(c->head + c->inflight) % MAXWIN] = bn_now_ns();
			c->inflight++;
		}
		w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (w == -1)
			return errno == EAGAIN ? 0 : -1;
		c->out_off += (size_t)w;
		if (c->out_off < c->out_len)
			return 0;
		c->out = NULL;
	}
}

static int
pump_in(struct conn *c, int64_t warm_end, long *ok, long *failed)
{
	const char *payload;
	size_t plen, used;
	ssize_t r;
	long n;
	int op;

	for (;;) {
		r = read(c->fd, c->in + c->in_len, RBUF - c->in_len);
		if (r == 0)
			return -1;
		if (r == -1)
			return errno == EAGAIN ? 0 : -1;
		c->in_len += (size_t)r;
		used = 0;
		while ((n = bn_ws_parse(c->in + used, c->in_len - used, &op, &payload,
		    &plen)) > 0) {
			used += (size_t)n;
			if (op == 0x8)
				return -1;
			if (op != 0x1 || c->inflight == 0)
				continue;
			int64_t now = bn_now_ns();
			if (now >= warm_end) {
				record(now - c->sent[c->head]);
				if (plen >= 24 && memcmp(payload,
				    "{\"failedInstances\":null", 23) == 0)
					(*ok)++;
				else
					(*failed)++;
			}
			c->head = (c->head + 1) % MAXWIN;
			c->inflight--;
		}
		if (n == -1)
			return -1;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
}

int
main(int argc, char *argv[])
{
	struct epoll_event ev, evs[256];
	struct conn *conns;
	int port, nconn, secs, ep, i, alive;
	unsigned nreg, batch;
	int64_t start, warm_end, end;
	long ok = 0, failed = 0;

	if (argc != 7) {
		fprintf(stderr, "usage: ws-heartbeat-load PORT CONNS WINDOW SECONDS NREG BATCH\n");
		return 2;
	}
	port = atoi(argv[1]);
	nconn = atoi(argv[2]);
	window = atoi(argv[3]);
	secs = atoi(argv[4]);
	nreg = (unsigned)atoi(argv[5]);
	batch = (unsigned)atoi(argv[6]);
	if (nconn < 1 || window < 1 || window > MAXWIN || batch < 1 || nreg < batch) {
		fprintf(stderr, "ws-heartbeat-load: bad arguments\n");
		return 2;
	}
	bn_raise_nofile();
	build_frames(nreg, batch);
	if ((conns = calloc((size_t)nconn, sizeof(*conns))) == NULL ||
	    (ep = epoll_create1(0)) == -1)
		return 1;
	for (i = 0; i < nconn; i++) {
		struct conn *c = &conns[i];

		if ((c->fd = bn_connect(port)) == -1 ||
		    bn_ws_handshake(c->fd, port, "/ws/registry/heartbeat") == -1) {
			fprintf(stderr, "ws-heartbeat-load: connection %d failed\n", i);
			return 1;
		}
		if ((c->in = malloc(RBUF)) == NULL)
			return 1;
		bn_set_nonblock(c->fd);
		ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
			return 1;
	}
	start = bn_now_ns();
	warm_end = start + 500000000LL;
	end = warm_end + (int64_t)secs * 1000000000LL;
	alive = nconn;
	while (alive > 0 && bn_now_ns() < end) {
		int n = epoll_wait(ep, evs, 256, 100);

		for (i = 0; i < n; i++) {
			unsigned idx = evs[i].data.u32;
			struct conn *c = &conns[idx];

			if (c->fd == -1)
				continue;
			if (pump_in(c, warm_end, &ok, &failed) == -1 ||
			    pump_out(c, idx) == -1) {
				fprintf(stderr, "ws-heartbeat-load: connection %u closed\n", idx);
				close(c->fd);
				c->fd = -1;
				alive--;
			}
		}
	}
	end = bn_now_ns();
	{
		double dur = (double)(end - warm_end) / 1e9;
		double msgs = (double)(ok + failed) / dur;

		bn_sort_i64(lat, nlat);
		printf("%.0f %.0f %ld %.3f %.3f\n", (double)ok * batch / dur, msgs, failed,
		    (double)bn_pct(lat, nlat, 50) / 1e6, (double)bn_pct(lat, nlat, 99) / 1e6);
	}
	return alive == nconn ? 0 : 1;
}
