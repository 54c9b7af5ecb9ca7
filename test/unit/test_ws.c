/* test_ws.c — WebSocket sessions through http.c + ws.c with a tiny raw-socket
 * client: handshake, echo, fragments, ping/pong, 1003, 1009, 1008, TTL 1000,
 * HTTP errors on misuse, blacklist 403, full 503, loop fd/timer hooks, stop. */
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "sockutil.h"
#include "tap.h"
#include "ws.h"

#define KEY	"dGhlIHNhbXBsZSBub25jZQ=="
#define ACCEPT	"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="	/* RFC 6455 §1.3 */

static _Atomic int opened, closed, ticks, pushes_ok, pushes_failed;
static _Atomic uint64_t newest;	/* id of the session opened last */
static int push_mode;		/* what the eventfd handler does */
static int backlog_frames;	/* push_mode 2: numbered frames to push */
static _Atomic long fanout_refs = -1;	/* push_mode 3: shared frame refs after */

#define BACKLOG_SIZE	(32 * 1024)
static int evfd;
static struct ws_server *ws_a;

/* ------------------------------------------------------------------ client */

struct hs {
	int	 fd;
	int	 status;
	char	 head[2048];
};

/* Send the handshake (plus optional trailing bytes) and read the response head. */
static void
handshake(struct hs *h, int port, const char *method, const char *path, const char *hdrs,
    const void *tail, size_t tail_len)
{
	char req[2048];
	size_t n = 0;
	int len;

	memset(h, 0, sizeof(*h));
	if ((h->fd = tcp_connect(port)) == -1)
		return;
	len = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n",
	    method, path, hdrs);
	if (tail_len > 0 && (size_t)len + tail_len < sizeof(req)) {
		memcpy(req + len, tail, tail_len);
		len += (int)tail_len;
	}
	if (write(h->fd, req, (size_t)len) != len)
		return;
	/* Read byte by byte up to the blank line: frames may follow. */
	while (n + 1 < sizeof(h->head)) {
		if (read_n(h->fd, h->head + n, 1, 3000) == -1)
			break;
		n++;
		if (n >= 4 && memcmp(h->head + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	h->head[n] = '\0';
	sscanf(h->head, "HTTP/1.1 %d", &h->status);
}

static const char *
head_value(struct hs *h, const char *name, char *buf, size_t len)
{
	const char *p = h->head;
	size_t n = strlen(name);

	buf[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			if (e == NULL || (size_t)(e - v) >= len)
				return buf;
			memcpy(buf, v, (size_t)(e - v));
			buf[e - v] = '\0';
			return buf;
		}
	}
	return buf;
}

#define STD_HDRS "Upgrade: websocket\r\nConnection: Upgrade\r\n" \
	"Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n"

static int
ws_open(int port, const char *path)
{
	struct hs h;

	handshake(&h, port, "GET", path, STD_HDRS, NULL, 0);
	if (h.status != 101) {
		if (h.fd != -1)
			close(h.fd);
		return -1;
	}
	return h.fd;
}

/* A masked client frame. */
static size_t
frame(unsigned char *out, int fin, int opcode, const void *p, size_t len)
{
	unsigned char mask[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t i, n = 0;

	out[n++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
	if (len < 126)
		out[n++] = (unsigned char)(0x80 | len);
	else if (len < 65536) {
		out[n++] = 0x80 | 126;
		out[n++] = (unsigned char)(len >> 8);
		out[n++] = (unsigned char)len;
	} else {
		out[n++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			out[n++] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	}
	memcpy(out + n, mask, 4);
	n += 4;
	for (i = 0; i < len; i++)
		out[n + i] = ((const unsigned char *)p)[i] ^ mask[i % 4];
	return n + len;
}

static int
send_frame(int fd, int fin, int opcode, const void *p, size_t len)
{
	unsigned char *buf = malloc(len + 14);
	size_t n = frame(buf, fin, opcode, p, len);
	int rc = write(fd, buf, n) == (ssize_t)n ? 0 : -1;

	free(buf);
	return rc;
}

/* Next server frame: opcode, payload into *out (malloc'ed, NUL-terminated). */
static int
recv_frame(int fd, int *opcode, char **out, size_t *len, int ms)
{
	unsigned char h[10];
	uint64_t n;
	int i;

	*out = NULL;
	if (read_n(fd, h, 2, ms) == -1)
		return -1;
	*opcode = h[0] & 0x0f;
	n = h[1] & 0x7f;
	if (h[1] & 0x80)
		return -1;	/* servers never mask */
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
	if (n > (64u << 20))
		return -1;
	*out = malloc(n + 1);
	if (read_n(fd, *out, n, ms) == -1) {
		free(*out);
		*out = NULL;
		return -1;
	}
	(*out)[n] = '\0';
	*len = n;
	return 0;
}

/* Read frames until a close frame; returns its code, or -1. Skips texts. */
static int
expect_close(int fd, int ms)
{
	char *p;
	size_t len;
	int op, code = -1;

	while (recv_frame(fd, &op, &p, &len, ms) == 0) {
		if (op == 8) {
			code = len >= 2 ? ((unsigned char)p[0] << 8 | (unsigned char)p[1]) : 0;
			free(p);
			return code;
		}
		free(p);
	}
	return code;
}

/* After a close frame the server closes the TCP connection. */
static int
sees_eof(int fd, int ms)
{
	char c;

	return wait_readable(fd, ms) && read(fd, &c, 1) <= 0;
}

static int
wait_count(struct ws_server *s, size_t want, int ms)
{
	struct timespec ts = { 0, 5 * 1000000 };
	int i;

	for (i = 0; i < ms / 5 && ws_count(s, -1) != want; i++)
		nanosleep(&ts, NULL);
	return ws_count(s, -1) == want;
}

/* Field (0-based) of a /proc file of numbers, or -1. */
static long
proc_long(const char *path, int field)
{
	FILE *f;
	long v[3] = { -1, -1, -1 };

	if (field < 0 || field > 2 || (f = fopen(path, "r")) == NULL)
		return -1;
	if (fscanf(f, "%ld %ld %ld", &v[0], &v[1], &v[2]) != 3)
		v[field] = -1;
	fclose(f);
	return v[field];
}

/* ------------------------------------------------------------------ server side */

static void
on_open(struct ws_conn *c, void *arg)
{
	(void)arg;
	ws_conn_set_data(c, (void *)(uintptr_t)ws_conn_id(c));
	atomic_store(&newest, ws_conn_id(c));
	atomic_fetch_add(&opened, 1);
}

/* Fairness probe: messages of the flooding session read so far, and that
 * count when the other session's probe was read. */
static _Atomic int flood_read, probe_at = -1, gate_closed;
static int gate_fd, gate_pipe[2];

static void
on_text(struct ws_conn *c, const char *msg, size_t len, void *arg)
{
	(void)arg;
	if (msg[len] != '\0' || (uintptr_t)ws_conn_data(c) != ws_conn_id(c))
		ws_close(c, 1011, "bad");
	if (msg[0] == 'F')
		atomic_fetch_add(&flood_read, 1);
	else if (strcmp(msg, "probe") == 0)
		atomic_store(&probe_at, atomic_load(&flood_read));
	ws_send_text(c, msg, len);
}

/* Holds the loop thread until main writes to gate_pipe: input piles up. */
static void
on_gate(void *arg)
{
	struct pollfd p = { 0, POLLIN, 0 };
	uint64_t v;
	char ch;

	(void)arg;
	if (read(gate_fd, &v, sizeof(v)) != sizeof(v))
		return;
	p.fd = gate_pipe[0];
	atomic_store(&gate_closed, 1);
	if (poll(&p, 1, 5000) == 1 && read(gate_pipe[0], &ch, 1) == 1)
		atomic_store(&gate_closed, 0);
}

static void
on_close(struct ws_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	atomic_fetch_add(&closed, 1);
}

static void
push_one(struct ws_conn *c, void *arg)
{
	static char big[64 * 1024];
	int i;

	(void)arg;
	if (push_mode == 0) {
		if (ws_send_text(c, "push", 4) == 0)
			atomic_fetch_add(&pushes_ok, 1);
		return;
	}
	if (push_mode == 2) {		/* to the newest session only */
		static char buf[BACKLOG_SIZE];
		char num[16];
		struct rbuf *f;

		if (ws_conn_id(c) != atomic_load(&newest))
			return;
		memset(buf, 'b', sizeof(buf));
		for (i = 0; i < backlog_frames; i++) {
			snprintf(num, sizeof(num), "%05d:", i % 100000);
			memcpy(buf, num, 6);
			if ((f = ws_frame_text(buf, sizeof(buf))) == NULL ||
			    ws_send_frame(c, f) == -1) {
				rbuf_unref(f);
				atomic_fetch_add(&pushes_failed, 1);
				return;
			}
			rbuf_unref(f);
			atomic_fetch_add(&pushes_ok, 1);
		}
		return;
	}
	memset(big, 'p', sizeof(big));
	for (i = 0; i < 400; i++) {
		if (ws_send_text(c, big, sizeof(big)) == 0)
			atomic_fetch_add(&pushes_ok, 1);
		else {
			atomic_fetch_add(&pushes_failed, 1);
			break;
		}
	}
}

static void
send_shared(struct ws_conn *c, void *arg)
{
	if (ws_send_frame(c, arg) == 0)
		atomic_fetch_add(&pushes_ok, 1);
}

static void
on_evfd(void *arg)
{
	struct rbuf *f;
	uint64_t v;

	(void)arg;
	if (read(evfd, &v, sizeof(v)) != sizeof(v))
		return;
	if (push_mode == 3) {
		/* one frame for every session, as discoveryd pushes a change */
		if ((f = ws_frame_text("fan-out", 7)) == NULL)
			return;
		ws_foreach(ws_a, 0, send_shared, f);
		atomic_store(&fanout_refs, atomic_load(&f->refs));
		rbuf_unref(f);
		return;
	}
	ws_foreach(ws_a, 0, push_one, NULL);
}

/* The frame is the exact RFC 6455 bytes: FIN+text, unmasked length, payload. */
static int
frame_is(struct rbuf *f, const unsigned char *hdr, size_t hlen, const char *p, size_t plen)
{
	return f != NULL && f->len == hlen + plen && memcmp(f->data, hdr, hlen) == 0 &&
	    memcmp(f->data + hlen, p, plen) == 0;
}

static void
test_frame_encoding(void)
{
	static const unsigned char h0[] = { 0x81, 0x00 };
	static const unsigned char h5[] = { 0x81, 0x05 };
	static const unsigned char h200[] = { 0x81, 126, 0x00, 0xc8 };
	static const unsigned char h70k[] = { 0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70 };
	static char big[70000];
	struct rbuf *f;

	memset(big, 'z', sizeof(big));
	f = ws_frame_text("", 0);
	ok(frame_is(f, h0, sizeof(h0), "", 0), "empty text frame");
	rbuf_unref(f);
	f = ws_frame_text("hello", 5);
	ok(frame_is(f, h5, sizeof(h5), "hello", 5), "5-byte frame: 7-bit length");
	rbuf_unref(f);
	f = ws_frame_text(big, 200);
	ok(frame_is(f, h200, sizeof(h200), big, 200), "200-byte frame: 16-bit length");
	rbuf_unref(f);
	f = ws_frame_text(big, sizeof(big));
	ok(frame_is(f, h70k, sizeof(h70k), big, sizeof(big)), "70,000-byte frame: 64-bit length");
	rbuf_unref(f);
}

static void
on_tick(void *arg)
{
	(void)arg;
	atomic_fetch_add(&ticks, 1);
}

int
main(void)
{
	struct ws_endpoint eps[] = {
		{ "/ws/echo", NULL, on_open, on_text, on_close, NULL },
		{ "/ws/black", "10.0.0.1, 127.0.0.1", on_open, on_text, on_close, NULL },
	};
	struct listen_addr la = { "127.0.0.1", 0, 1 };
	struct http_server *ha, *hb;
	struct ws_server *wb;
	struct config cfg;
	struct hs h;
	char v[256], *p, big[5000];
	unsigned char pkt[64];
	size_t len, n;
	int port_a, port_b, fd, fd2, fd3, op;
	int64_t t0;

	log_init("test_ws", 0);
	http_block_signals();
	test_frame_encoding();
	config_defaults(&cfg);
	cfg.http_threads = 2;
	cfg.ws_max_message = 4096;
	cfg.ws_session_ttl_ms = 60000;
	cfg.ws_check_interval_ms = 100;
	cfg.ws_max_connections = 100;
	ws_a = ws_server_start(&cfg, eps, 2);
	ha = http_server_start(&cfg, &la, NULL, 0, ws_a);
	ok(ws_a != NULL && ha != NULL, "server A started");
	port_a = http_server_port(ha);
	evfd = eventfd(0, EFD_NONBLOCK);
	ok(ws_loop_add_fd(ws_a, evfd, on_evfd, NULL) == 0, "ws_loop_add_fd");
	gate_fd = eventfd(0, EFD_NONBLOCK);
	ok(pipe(gate_pipe) == 0 && ws_loop_add_fd(ws_a, gate_fd, on_gate, NULL) == 0,
	    "gate fd hook");
	ok(ws_loop_add_timer(ws_a, 20, on_tick, NULL) == 0, "ws_loop_add_timer");
	ok(wait_for(&ticks, 3, 2000), "timer runs");

	/* handshake */
	handshake(&h, port_a, "GET", "/ws/echo/", STD_HDRS
	    "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate\r\n",
	    NULL, 0);
	ok(h.status == 101, "101 Switching Protocols (%d)", h.status);
	ok(strcmp(head_value(&h, "Sec-WebSocket-Accept", v, sizeof(v)), ACCEPT) == 0,
	    "accept key %s", v);
	ok(strcasecmp(head_value(&h, "Upgrade", v, sizeof(v)), "websocket") == 0, "Upgrade");
	ok(strcasecmp(head_value(&h, "Connection", v, sizeof(v)), "upgrade") == 0,
	    "Connection: %s", v);
	ok(head_value(&h, "Sec-WebSocket-Protocol", v, sizeof(v))[0] == '\0', "no subprotocol");
	ok(head_value(&h, "Sec-WebSocket-Extensions", v, sizeof(v))[0] == '\0', "no extensions");
	fd = h.fd;
	ok(wait_for(&opened, 1, 2000), "on_open");

	/* echo, fragments, ping */
	send_frame(fd, 1, 1, "hello", 5);
	ok(recv_frame(fd, &op, &p, &len, 2000) == 0 && op == 1 && strcmp(p, "hello") == 0,
	    "echo");
	free(p);
	send_frame(fd, 0, 1, "hel", 3);
	send_frame(fd, 1, 9, "mid", 3);		/* ping between fragments */
	send_frame(fd, 1, 0, "lo!", 3);
	ok(recv_frame(fd, &op, &p, &len, 2000) == 0 && op == 10 && strcmp(p, "mid") == 0,
	    "pong inside a fragmented message");
	free(p);
	ok(recv_frame(fd, &op, &p, &len, 2000) == 0 && op == 1 && strcmp(p, "hello!") == 0,
	    "fragments reassembled");
	free(p);
	send_frame(fd, 1, 9, "", 0);
	ok(recv_frame(fd, &op, &p, &len, 2000) == 0 && op == 10 && len == 0, "empty pong");
	free(p);
	send_frame(fd, 1, 10, "x", 1);		/* unsolicited pong: ignored */
	send_frame(fd, 1, 9, "abc", 3);
	ok(recv_frame(fd, &op, &p, &len, 2000) == 0 && op == 10 && strcmp(p, "abc") == 0,
	    "pong abc after an unsolicited pong");
	free(p);
	ok(ws_count(ws_a, 0) == 1 && ws_count(ws_a, -1) == 1, "ws_count");

	/* push from another thread through the loop's fd hook */
	{
		uint64_t one64 = 1;

		push_mode = 0;
		ok(write(evfd, &one64, sizeof(one64)) == sizeof(one64), "wake eventfd");
		ok(recv_frame(fd, &op, &p, &len, 2000) == 0 && op == 1 && strcmp(p, "push") == 0,
		    "push via ws_loop_add_fd + ws_foreach");
		free(p);
	}

	/* one encoded frame fanned out: written straight to both sockets, so no
	 * session keeps a reference */
	n = (size_t)atomic_load(&opened);
	fd2 = ws_open(port_a, "/ws/echo");
	ok(wait_for(&opened, (int)n + 1, 2000), "second session adopted");
	{
		uint64_t one64 = 1;
		int i;

		push_mode = 3;
		atomic_store(&pushes_ok, 0);
		ok(write(evfd, &one64, sizeof(one64)) == sizeof(one64), "wake for a fan-out");
		ok(recv_frame(fd, &op, &p, &len, 2000) == 0 && op == 1 &&
		    strcmp(p, "fan-out") == 0, "fan-out frame at session 1");
		free(p);
		ok(recv_frame(fd2, &op, &p, &len, 2000) == 0 && op == 1 &&
		    strcmp(p, "fan-out") == 0, "fan-out frame at session 2");
		free(p);
		for (i = 0; i < 400 && atomic_load(&fanout_refs) < 0; i++)
			usleep(5000);
		ok(atomic_load(&pushes_ok) == 2 && atomic_load(&fanout_refs) == 1,
		    "sent to both, nobody queued a reference (refs %ld)",
		    atomic_load(&fanout_refs));
		push_mode = 0;
	}
	close(fd2);

	/* a backlog: what the kernel does not take is queued; a ping meanwhile is
	 * answered at the next frame boundary, ahead of the queue, and every frame
	 * arrives whole and in order */
	n = (size_t)atomic_load(&opened);
	fd2 = ws_open(port_a, "/ws/echo");
	ok(wait_for(&opened, (int)n + 1, 2000), "backlog session adopted");
	{
		uint64_t one64 = 1;
		long kbuf = proc_long("/proc/sys/net/ipv4/tcp_wmem", 2) +
		    proc_long("/proc/sys/net/ipv4/tcp_rmem", 1);
		int texts = 0, in_order = 1, pong_at = -1;
		char want[16];

		backlog_frames = (int)((kbuf + (2 << 20)) / BACKLOG_SIZE);
		push_mode = 2;
		atomic_store(&pushes_ok, 0);
		atomic_store(&pushes_failed, 0);
		ok(write(evfd, &one64, sizeof(one64)) == sizeof(one64), "wake for a backlog");
		ok(wait_for(&pushes_ok, backlog_frames, 3000) &&
		    atomic_load(&pushes_failed) == 0, "%d frames of 32 KiB accepted",
		    backlog_frames);
		send_frame(fd2, 1, 9, "during-backlog", 14);
		while (texts < backlog_frames && recv_frame(fd2, &op, &p, &len, 2000) == 0) {
			if (op == 10 && strcmp(p, "during-backlog") == 0 && pong_at < 0)
				pong_at = texts;
			else if (op == 1) {
				snprintf(want, sizeof(want), "%05d:", texts % 100000);
				in_order &= len == BACKLOG_SIZE && memcmp(p, want, 6) == 0 &&
				    p[len - 1] == 'b';
				texts++;
			} else
				in_order = 0;
			free(p);
		}
		ok(texts == backlog_frames && in_order, "%d frames whole and in order",
		    texts);
		ok(pong_at >= 0 && pong_at < backlog_frames,
		    "pong ahead of the queued frames (after %d of %d)", pong_at,
		    backlog_frames);
		push_mode = 0;
	}
	close(fd2);

	/* fairness: a session with a lot of input waiting gets one turn (64 KiB),
	 * then the others run, even though its replies go out at once */
	n = (size_t)atomic_load(&opened);
	fd2 = ws_open(port_a, "/ws/echo");
	ok(wait_for(&opened, (int)n + 1, 2000), "flooding session adopted");
	{
		static char msg[1024];
		uint64_t one64 = 1;
		int i, sent = 0, echoed = 0;

		memset(msg, 'F', sizeof(msg));
		ok(write(gate_fd, &one64, sizeof(one64)) == sizeof(one64) &&
		    wait_for(&gate_closed, 1, 2000), "loop held");
		for (i = 0; i < 100; i++)
			sent += send_frame(fd2, 1, 1, msg, sizeof(msg)) == 0;
		send_frame(fd, 1, 1, "probe", 5);
		ok(write(gate_pipe[1], "x", 1) == 1, "loop released");
		ok(recv_frame(fd, &op, &p, &len, 2000) == 0 && op == 1 &&
		    strcmp(p, "probe") == 0, "probe echoed");
		free(p);
		ok(sent == 100 && atomic_load(&probe_at) >= 1 && atomic_load(&probe_at) < 100,
		    "the other session ran after %d of the 100 KiB waiting",
		    atomic_load(&probe_at));
		while (echoed < 100 && recv_frame(fd2, &op, &p, &len, 2000) == 0) {
			echoed += op == 1 && len == sizeof(msg);
			free(p);
		}
		ok(echoed == 100, "all 100 flood messages echoed (%d)", echoed);
	}
	close(fd2);

	/* client close */
	send_frame(fd, 1, 8, "\x03\xe8", 2);
	ok(expect_close(fd, 2000) == 1000, "close echoed");
	ok(sees_eof(fd, 2000), "server closes TCP");
	close(fd);
	ok(wait_for(&closed, 1, 2000), "on_close");

	/* frames in the same packet as the handshake (MHD's extra bytes) */
	n = frame(pkt, 1, 1, "early", 5);
	handshake(&h, port_a, "GET", "/ws/echo", STD_HDRS, pkt, n);
	ok(h.status == 101, "handshake with a frame behind it");
	ok(recv_frame(h.fd, &op, &p, &len, 2000) == 0 && op == 1 && strcmp(p, "early") == 0,
	    "early frame echoed");
	free(p);
	/* binary -> 1003 */
	send_frame(h.fd, 1, 2, "\x01\x02", 2);
	ok(expect_close(h.fd, 2000) == 1003, "binary -> close 1003");
	ok(sees_eof(h.fd, 2000), "closed after 1003");
	close(h.fd);

	/* oversize -> 1009 */
	fd = ws_open(port_a, "/ws/echo");
	memset(big, 'a', sizeof(big));
	send_frame(fd, 1, 1, big, 4096);
	ok(recv_frame(fd, &op, &p, &len, 2000) == 0 && op == 1 && len == 4096,
	    "message of ws_max_message accepted");
	free(p);
	send_frame(fd, 1, 1, big, sizeof(big));
	ok(expect_close(fd, 2000) == 1009, "oversize -> close 1009");
	ok(sees_eof(fd, 2000), "closed after 1009");
	close(fd);
	fd = ws_open(port_a, "/ws/echo");
	send_frame(fd, 0, 1, big, 3000);
	send_frame(fd, 1, 0, big, 3000);
	ok(expect_close(fd, 2000) == 1009, "oversize in fragments -> 1009");
	close(fd);

	/* slow consumer -> 1008: frames go straight into the socket while it takes
	 * them (the kernel's buffers), then into the session's queue up to 4 MiB;
	 * past that the session is closed. A reader that wakes up later gets every
	 * frame written so far, whole, then the 1008 close. */
	n = (size_t)atomic_load(&opened);
	fd = ws_open(port_a, "/ws/echo");
	ok(wait_for(&opened, (int)n + 1, 2000), "flood session adopted");
	{
		uint64_t one64 = 1;
		long kbuf = proc_long("/proc/sys/net/ipv4/tcp_wmem", 2) +
		    proc_long("/proc/sys/net/ipv4/tcp_rmem", 1);
		int frames = 0, code = -1;

		push_mode = 1;
		atomic_store(&pushes_ok, 0);
		ok(write(evfd, &one64, sizeof(one64)) == sizeof(one64), "wake for a flood");
		ok(wait_for(&pushes_failed, 1, 3000), "ws_send_text refuses past the bound (%d sent)",
		    atomic_load(&pushes_ok));
		ok(kbuf > 0 && atomic_load(&pushes_ok) <= 64 + kbuf / 65536 + 2,
		    "outbound queue bounded at 4 MiB past the kernel's %ld bytes (%d sent)",
		    kbuf, atomic_load(&pushes_ok));
		while (recv_frame(fd, &op, &p, &len, 2000) == 0) {
			if (op == 8) {
				code = len >= 2 ? ((unsigned char)p[0] << 8 | (unsigned char)p[1]) : 0;
				free(p);
				break;
			}
			frames += op == 1 && len == 65536 && p[0] == 'p' && p[len - 1] == 'p';
			free(p);
		}
		ok(code == 1008, "slow consumer closed with 1008 (%d)", code);
		ok(frames >= 1 && frames <= atomic_load(&pushes_ok),
		    "whole frames before the close (%d)", frames);
		push_mode = 0;
	}
	close(fd);

	/* HTTP misuse of a WebSocket path */
	handshake(&h, port_a, "GET", "/ws/echo", "", NULL, 0);
	ok(h.status == 400, "GET without Upgrade -> 400 (%d)", h.status);
	close(h.fd);
	handshake(&h, port_a, "GET", "/ws/echo", "Upgrade: websocket\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n", NULL, 0);
	ok(h.status == 400, "no Connection: upgrade -> 400 (%d)", h.status);
	close(h.fd);
	handshake(&h, port_a, "GET", "/ws/echo", "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
	    "Sec-WebSocket-Version: 13\r\n", NULL, 0);
	ok(h.status == 400, "no key -> 400 (%d)", h.status);
	close(h.fd);
	handshake(&h, port_a, "GET", "/ws/echo", "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 8\r\n", NULL, 0);
	ok(h.status == 426, "version 8 -> 426 (%d)", h.status);
	ok(strcmp(head_value(&h, "Sec-WebSocket-Version", v, sizeof(v)), "13") == 0,
	    "426 names version 13");
	close(h.fd);
	handshake(&h, port_a, "POST", "/ws/echo", "Content-Length: 0\r\n", NULL, 0);
	ok(h.status == 405, "POST -> 405 (%d)", h.status);
	close(h.fd);
	handshake(&h, port_a, "GET", "/ws/unknown", STD_HDRS, NULL, 0);
	ok(h.status == 404, "unknown ws path -> 404 (%d)", h.status);
	close(h.fd);
	handshake(&h, port_a, "GET", "/ws/black", STD_HDRS, NULL, 0);
	ok(h.status == 403, "blacklisted -> 403 (%d)", h.status);
	close(h.fd);

	/* stop A with a session open: http first, session gets 1001 */
	fd = ws_open(port_a, "/ws/echo");
	ok(fd != -1, "session before stop");
	http_server_stop(ha);
	ok(expect_close(fd, 2000) == 1001, "http_server_stop closes sessions with 1001");
	close(fd);
	ws_server_stop(ws_a);
	close(evfd);

	/* B: TTL and max connections; stop ws first */
	cfg.ws_session_ttl_ms = 600;
	cfg.ws_max_connections = 2;
	wb = ws_server_start(&cfg, eps, 1);
	hb = http_server_start(&cfg, &la, NULL, 0, wb);
	port_b = http_server_port(hb);
	t0 = mono_ms();
	fd = ws_open(port_b, "/ws/echo");
	fd2 = ws_open(port_b, "/ws/echo");
	ok(fd != -1 && fd2 != -1, "two sessions on B");
	handshake(&h, port_b, "GET", "/ws/echo", STD_HDRS, NULL, 0);
	ok(h.status == 503, "third session -> 503 (%d)", h.status);
	close(h.fd);
	ok(expect_close(fd, 3000) == 1000, "TTL close with 1000");
	ok(mono_ms() - t0 >= 600 && mono_ms() - t0 < 2000, "after the TTL (%lld ms)",
	    (long long)(mono_ms() - t0));
	ok(expect_close(fd2, 3000) == 1000, "second session TTL close");
	close(fd);
	close(fd2);
	ok(wait_count(wb, 0, 3000), "sessions gone after their close");
	n = (size_t)atomic_load(&opened);
	fd3 = ws_open(port_b, "/ws/echo");
	ok(fd3 != -1, "room again after TTL closes");
	ok(wait_for(&opened, (int)n + 1, 2000), "session adopted before the stop");
	ws_server_stop(wb);
	ok(expect_close(fd3, 2000) == 1001, "ws_server_stop closes with 1001");
	close(fd3);
	handshake(&h, port_b, "GET", "/ws/echo", STD_HDRS, NULL, 0);
	ok(h.status == 503, "after ws_server_stop: 503 (%d)", h.status);
	close(h.fd);
	http_server_stop(hb);
	return done_testing();
}
