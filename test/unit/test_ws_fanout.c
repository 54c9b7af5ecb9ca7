/* test_ws_fanout.c — one frame to many sessions through ws_fanout_*() with the
 * sender threads forced on (ARTEMIS_WS_SENDERS=3, ARTEMIS_WS_FANOUT_MIN=16, so
 * the pool runs whatever the CPU count): every session gets every frame whole
 * and in order (batches of fan-outs back to back, small and 64 KiB frames,
 * recipients staged twice or by endpoint), the sender threads did send (and
 * start before the last recipient is added, kept off the loop thread's CPU), and a
 * session that never reads is closed with 1008 by the outbound bound while the
 * others keep getting each frame. */
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "sbuf.h"
#include "sockutil.h"
#include "tap.h"
#include "ws.h"

#define NSESS		150	/* phase 1 sessions */
#define NKEEP		20	/* phase 2 sessions, the slow one included */
#define BATCHES		4
#define PER_BATCH	25
#define BIG		(64 * 1024)
#define SLOW_ROUNDS	400	/* 25 MiB to the slow session at most */

static struct ws_server *srv;
static int evfd;
static _Atomic int opened, closed, batch_len, big_only, fanouts_done;
static _Atomic int seq_next;
static _Atomic long took_sum;
static _Atomic int last_took;
static _Atomic int probe_early, sent_early;	/* sends before ws_fanout_end()? */
static int fds[NSESS];				/* the clients' sockets */

/* ------------------------------------------------------------------ client */

/* The sender threads ("ws-sender") may run on every CPU of the process but
 * the one ws_fanout_kept_off() names. */
static void
check_kept_off(void)
{
	cpu_set_t all, mine;
	struct dirent *de;
	char path[300], comm[32];
	FILE *f;
	DIR *d;
	int cpu = ws_fanout_kept_off(srv), senders = 0, bad = 0;

	if (sched_getaffinity(0, sizeof(all), &all) == -1 || CPU_COUNT(&all) < 2) {
		ok(cpu == -1, "one CPU: the sender threads are kept off none (%d)", cpu);
		return;
	}
	ok(cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &all),
	    "the sender threads are kept off a CPU of ours (%d)", cpu);
	if (cpu < 0 || cpu >= CPU_SETSIZE || (d = opendir("/proc/self/task")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) != NULL && strcmp(comm, "ws-sender\n") == 0) {
			senders++;
			if (sched_getaffinity(atoi(de->d_name), sizeof(mine), &mine) == -1 ||
			    CPU_ISSET(cpu, &mine) || CPU_COUNT(&mine) != CPU_COUNT(&all) - 1)
				bad++;
		}
		fclose(f);
	}
	closedir(d);
	ok(senders == 2 && bad == 0, "each of the %d sender threads may run on every "
	    "other CPU and not on %d (%d wrong)", senders, cpu, bad);
}

static int
ws_open(int port)
{
	static const char req[] = "GET /ws/fan HTTP/1.1\r\nHost: localhost\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
	char head[1024];
	size_t n = 0;
	int fd;

	if ((fd = tcp_connect(port)) == -1)
		return -1;
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		goto fail;
	while (n + 1 < sizeof(head) && read_n(fd, head + n, 1, 3000) == 0)
		if (++n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
			break;
	head[n] = '\0';
	if (strncmp(head, "HTTP/1.1 101", 12) == 0)
		return fd;
fail:
	close(fd);
	return -1;
}

/* Next server frame into buf (up to cap bytes of payload): its opcode and
 * length, or -1. */
static int
recv_frame(int fd, char *buf, size_t cap, size_t *len, int ms)
{
	unsigned char h[8];
	uint64_t n;
	int i, op;

	if (read_n(fd, h, 2, ms) == -1 || (h[1] & 0x80))
		return -1;
	op = h[0] & 0x0f;
	n = h[1] & 0x7f;
	if (n == 126) {
		if (read_n(fd, h, 2, ms) == -1)
			return -1;
		n = (uint64_t)h[0] << 8 | h[1];
	} else if (n == 127) {
		if (read_n(fd, h, 8, ms) == -1)
			return -1;
		for (n = 0, i = 0; i < 8; i++)
			n = n << 8 | h[i];
	}
	if (n > cap || read_n(fd, buf, (size_t)n, ms) == -1)
		return -1;
	*len = (size_t)n;
	return op;
}

/* The payload of frame seq: "%08d:" then one letter up to its length. */
static size_t
frame_len(int seq)
{
	if (atomic_load(&big_only) || seq % 6 == 5)
		return BIG;
	return 20 + (size_t)(seq * 7919 % 3000);
}

static void
frame_fill(char *buf, int seq, size_t len)
{
	char num[16];

	memset(buf, 'a' + seq % 26, len);
	snprintf(num, sizeof(num), "%08d:", seq);
	memcpy(buf, num, 9);
}

/* The next frame at fd is frame seq, whole. */
static int
frame_ok(int fd, int seq, char *buf, char *want, int ms)
{
	size_t len, wlen = frame_len(seq);

	if (recv_frame(fd, buf, BIG, &len, ms) != 1 || len != wlen)
		return 0;
	frame_fill(want, seq, wlen);
	return memcmp(buf, want, len) == 0;
}

/* ------------------------------------------------------------------ server side */

static void
on_open(struct ws_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	atomic_fetch_add(&opened, 1);
}

static void
on_close(struct ws_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	atomic_fetch_add(&closed, 1);
}

static void
stage_twice(struct ws_conn *c, void *arg)
{
	(void)arg;
	ws_fanout_add(srv, c);
	ws_fanout_add(srv, c);		/* staged once all the same */
}

/* Inside a fan-out, before its end: wait (2 s at most) for the frame to reach
 * a client socket, which the sender threads may write as soon as enough
 * recipients are added. */
static void
wait_arrival(void)
{
	struct pollfd p[NSESS];
	int i;

	for (i = 0; i < NSESS; i++) {
		p[i].fd = fds[i];
		p[i].events = POLLIN;
		p[i].revents = 0;
	}
	atomic_store(&sent_early, poll(p, NSESS, 2000) > 0);
}

/* A batch of fan-outs back to back: later frames queue behind earlier ones
 * wherever a socket filled up. */
static void
on_evfd(void *arg)
{
	static char buf[BIG];
	struct rbuf *f;
	uint64_t v;
	size_t len, took;
	int i, seq;

	(void)arg;
	if (read(evfd, &v, sizeof(v)) != sizeof(v))
		return;
	for (i = 0; i < atomic_load(&batch_len); i++) {
		seq = atomic_fetch_add(&seq_next, 1);
		len = frame_len(seq);
		frame_fill(buf, seq, len);
		if ((f = ws_frame_text(buf, len)) == NULL)
			break;
		ws_fanout_begin(srv, f);
		rbuf_unref(f);		/* the fan-out holds its own reference */
		if (seq % 2)
			ws_foreach(srv, 0, stage_twice, NULL);
		else
			ws_fanout_add_endpoint(srv, -1);
		if (atomic_load(&probe_early))
			wait_arrival();
		took = ws_fanout_end(srv);
		atomic_fetch_add(&took_sum, (long)took);
		atomic_store(&last_took, (int)took);
	}
	atomic_fetch_add(&fanouts_done, 1);
}

static int
trigger(int n)
{
	uint64_t one = 1;
	int before = atomic_load(&fanouts_done);

	atomic_store(&batch_len, n);
	if (write(evfd, &one, sizeof(one)) != sizeof(one))
		return -1;
	return wait_for(&fanouts_done, before + 1, 5000) ? 0 : -1;
}

int
main(void)
{
	struct ws_endpoint eps[] = {
		{ "/ws/fan", NULL, on_open, NULL, on_close, NULL },
	};
	struct listen_addr la = { "127.0.0.1", 0, 1 };
	static char buf[BIG], want[BIG];
	struct http_server *h;
	struct config cfg;
	int port, i, b, k, seq, good, nfd, slow, code, rounds, refused, whole, bad, first;
	int64_t t0, worst = 0;
	size_t len;

	log_init("test_ws_fanout", 0);
	http_block_signals();
	setenv("ARTEMIS_WS_SENDERS", "3", 1);
	setenv("ARTEMIS_WS_FANOUT_MIN", "16", 1);
	config_defaults(&cfg);
	cfg.http_threads = 2;
	cfg.ws_max_connections = NSESS + 10;
	cfg.ws_session_ttl_ms = 600000;
	srv = ws_server_start(&cfg, eps, 1);
	h = http_server_start(&cfg, &la, NULL, 0, srv);
	ok(srv != NULL && h != NULL, "server started");
	port = http_server_port(h);
	evfd = eventfd(0, EFD_NONBLOCK);
	ok(ws_loop_add_fd(srv, evfd, on_evfd, NULL) == 0, "fan-out hook");

	for (nfd = 0; nfd < NSESS && (fds[nfd] = ws_open(port)) != -1; nfd++)
		;
	ok(nfd == NSESS && wait_for(&opened, NSESS, 5000), "%d sessions open", nfd);

	/* Phase 1: batches of fan-outs, read after each batch (so sockets fill
	 * and frames queue), every session checked frame by frame. */
	good = 1;
	seq = 0;
	for (b = 0; b < BATCHES && good; b++) {
		good = trigger(PER_BATCH) == 0;
		for (i = 0; i < NSESS && good; i++)
			for (k = 0; k < PER_BATCH && good; k++)
				if (!(good = frame_ok(fds[i], seq + k, buf, want, 3000)))
					fprintf(stderr, "# session %d: frame %d wrong or missing\n",
					    i, seq + k);
		seq += PER_BATCH;
	}
	ok(good, "%d sessions got all %d frames whole and in order", NSESS, seq);
	ok(atomic_load(&took_sum) == (long)NSESS * seq, "every fan-out reached every session "
	    "(%ld of %ld)", atomic_load(&took_sum), (long)NSESS * seq);
	for (i = 0, bad = 0; i < NSESS; i++) {
		struct pollfd p = { fds[i], POLLIN, 0 };

		bad += poll(&p, 1, 0) != 0;
	}
	ok(bad == 0, "no frame twice (%d sessions with more)", bad);
	ok(ws_fanout_helped(srv) > 0, "the sender threads wrote %llu of the frames",
	    (unsigned long long)ws_fanout_helped(srv));
	check_kept_off();

	/* The sender threads start on the recipients added so far: a fan-out
	 * held open after its adds is already being sent. */
	atomic_store(&probe_early, 1);
	good = trigger(1) == 0;
	atomic_store(&probe_early, 0);
	ok(good && atomic_load(&sent_early), "frames went out before ws_fanout_end()");
	for (i = 0; i < NSESS && good; i++)
		if (!(good = frame_ok(fds[i], seq, buf, want, 3000)))
			fprintf(stderr, "# session %d: frame %d wrong or missing\n", i, seq);
	ok(good, "and every session got that frame once");
	seq++;

	/* Phase 2: NKEEP sessions (still above the threshold), session 0 a new
	 * one (its receive buffer never grew) that never reads. 64 KiB frames,
	 * one fan-out per round, the others read each round's frame at once,
	 * until the slow one is refused. */
	close(fds[0]);
	for (i = NKEEP; i < NSESS; i++)
		close(fds[i]);
	ok(wait_for(&closed, NSESS - NKEEP + 1, 5000), "down to %d sessions", NKEEP - 1);
	ok((fds[0] = ws_open(port)) != -1 && wait_for(&opened, NSESS + 1, 5000),
	    "a new session that will not read");
	for (i = 0; i < 200 && ws_count(srv, -1) != NKEEP; i++)
		usleep(5000);
	atomic_store(&big_only, 1);
	slow = fds[0];
	first = seq;
	good = 1;
	refused = 0;
	for (rounds = 0; rounds < SLOW_ROUNDS && good && !refused; rounds++) {
		t0 = mono_ms();
		good = trigger(1) == 0;
		refused = atomic_load(&last_took) == NKEEP - 1;
		for (i = 1; i < NKEEP && good; i++)
			good = frame_ok(fds[i], seq, buf, want, 2000);
		if (mono_ms() - t0 > worst)
			worst = mono_ms() - t0;
		seq++;
	}
	ok(good, "the readers got all %d frames of the slow phase in order (slowest round "
	    "%lld ms)", rounds, (long long)worst);
	ok(refused, "the slow session was refused after %d frames of 64 KiB", rounds - 1);

	/* The slow reader wakes up: whole frames in order, then the 1008 close. */
	whole = 1;
	code = -1;
	for (k = 0;; k++) {
		int op = recv_frame(slow, buf, BIG, &len, 3000);

		if (op == 8) {
			code = len >= 2 ? ((unsigned char)buf[0] << 8 | (unsigned char)buf[1]) : 0;
			break;
		}
		if (op != 1)
			break;
		frame_fill(want, first + k, BIG);
		whole &= len == BIG && memcmp(buf, want, len) == 0;
	}
	ok(code == 1008 && whole && k >= 1 && k < rounds,
	    "slow session: %d whole frames in order, then close %d", k, code);
	/* What the kernel took arrived; the close went ahead of what was still
	 * queued, which is what the bound (4 MiB) held. */
	ok(rounds - 1 - k >= (4 << 20) / BIG - 2 && rounds - 1 - k <= (4 << 20) / BIG,
	    "%d frames (%d KiB) were queued in the session when it was refused",
	    rounds - 1 - k, (rounds - 1 - k) * (BIG >> 10));

	/* the others are still served */
	trigger(1);
	for (i = 1, good = 1; i < NKEEP && good; i++)
		good = frame_ok(fds[i], seq, buf, want, 2000);
	ok(good && atomic_load(&last_took) == NKEEP - 1, "the others still get frames (%d)",
	    atomic_load(&last_took));
	for (i = 0; i < NKEEP; i++)
		close(fds[i]);

	http_server_stop(h);
	ws_server_stop(srv);
	close(evfd);
	return done_testing();
}
