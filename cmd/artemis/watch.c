/*
 * watch.c — `artemis watch [SERVICE...]`: subscribe to instance changes over the
 * discovery WebSocket and print one InstanceChange JSON per line. A small client:
 * plain socket, HTTP upgrade by hand (checking Sec-WebSocket-Accept with libmd's
 * SHA-1), framing by wslay's client API. It reconnects on its own and re-sends
 * its subscriptions, as the Java client does. Only a failure to connect the
 * first time ends it (EXIT_CONNECT).
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <errno.h>
#include <json.h>
#include <netdb.h>
#include <poll.h>
#include <sha1.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "api.h"

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WATCH_MAX_HDR	8192
#define WATCH_PING_MS	15000

struct watch {
	struct cli	*cli;
	int		 fd;
	char		 pending[WATCH_MAX_HDR];	/* bytes read past the headers */
	size_t		 npending, off;
	int		 closed;
};

static volatile sig_atomic_t watch_stop;

static void
watch_signal(int signo)
{
	(void)signo;
	watch_stop = 1;
}

static void
base64(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3, out += 4) {
		v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];
		out[0] = tab[v >> 18];
		out[1] = tab[(v >> 12) & 63];
		out[2] = tab[(v >> 6) & 63];
		out[3] = tab[v & 63];
	}
	if (i < n) {
		v = in[i] << 16 | (i + 1 < n ? in[i + 1] << 8 : 0);
		out[0] = tab[v >> 18];
		out[1] = tab[(v >> 12) & 63];
		out[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[3] = '=';
		out += 4;
	}
	*out = '\0';
}

/* http://host:port/prefix -> host, port, prefix (no trailing '/'). */
static int
split_url(const char *url, char *host, size_t hl, char *port, size_t pl, char *prefix,
    size_t xl)
{
	const char *p, *slash, *colon;
	size_t n;

	if (strncmp(url, "http://", 7) != 0)
		return -1;	/* wss would need TLS: use a local daemon */
	p = url + 7;
	slash = p + strcspn(p, "/");
	colon = memchr(p, ':', slash - p);
	n = (size_t)((colon ? colon : slash) - p);
	if (n == 0 || n >= hl)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	snprintf(port, pl, "%.*s", colon ? (int)(slash - colon - 1) : 2,
	    colon ? colon + 1 : "80");
	snprintf(prefix, xl, "%s", slash);
	n = strlen(prefix);
	while (n > 0 && prefix[n - 1] == '/')
		prefix[--n] = '\0';
	return 0;
}

static int
dial(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The upgrade. Returns 0 and leaves bytes after the headers in w->pending. */
static int
handshake(struct watch *w, const char *host, const char *port, const char *path,
    char *why, size_t wl)
{
	unsigned char nonce[16], digest[SHA1_DIGEST_LENGTH];
	char key[32], expect[32], req[1024], buf[WATCH_MAX_HDR + 1], *end, *acc;
	SHA1_CTX sha;
	size_t len = 0;
	ssize_t r;

	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
		snprintf(why, wl, "getrandom: %s", strerror(errno));
		return -1;
	}
	base64(nonce, sizeof(nonce), key);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%s\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", path, host, port, key);
	if (write_all(w->fd, req, strlen(req)) == -1) {
		snprintf(why, wl, "write: %s", strerror(errno));
		return -1;
	}
	while ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
		if (len == WATCH_MAX_HDR ||
		    (r = read(w->fd, buf + len, WATCH_MAX_HDR - len)) <= 0) {
			snprintf(why, wl, "no handshake answer");
			return -1;
		}
		len += (size_t)r;
	}
	buf[len] = '\0';
	*end = '\0';
	if (strncmp(buf, "HTTP/1.1 101", 12) != 0) {
		snprintf(why, wl, "upgrade refused: %.*s", (int)strcspn(buf, "\r"), buf);
		return -1;
	}
	SHA1Init(&sha);
	SHA1Update(&sha, (const uint8_t *)key, strlen(key));
	SHA1Update(&sha, (const uint8_t *)WS_GUID, strlen(WS_GUID));
	SHA1Final(digest, &sha);
	base64(digest, sizeof(digest), expect);
	if ((acc = strcasestr(buf, "\r\nSec-WebSocket-Accept:")) == NULL ||
	    strncmp(acc + 23 + strspn(acc + 23, " \t"), expect, strlen(expect)) != 0) {
		snprintf(why, wl, "bad Sec-WebSocket-Accept");
		return -1;
	}
	w->npending = len - (size_t)(end + 4 - buf);
	memcpy(w->pending, end + 4, w->npending);
	w->off = 0;
	return 0;
}

static ssize_t
ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *arg)
{
	struct watch *w = arg;
	ssize_t r;

	(void)flags;
	if (w->off < w->npending) {
		r = (ssize_t)(w->npending - w->off < len ? w->npending - w->off : len);
		memcpy(buf, w->pending + w->off, (size_t)r);
		w->off += (size_t)r;
		return r;
	}
	while ((r = recv(w->fd, buf, len, MSG_DONTWAIT)) == -1 && errno == EINTR)
		;
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
	else if (r <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return r < 0 ? -1 : r;
}

static ssize_t
ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
    void *arg)
{
	struct watch *w = arg;
	ssize_t r;

	(void)flags;
	while ((r = send(w->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL)) == -1 &&
	    errno == EINTR)
		;
	if (r == -1) {
		wslay_event_set_error(ctx, errno == EAGAIN || errno == EWOULDBLOCK ?
		    WSLAY_ERR_WOULDBLOCK : WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return r;
}

static int
ws_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *arg)
{
	(void)ctx;
	(void)arg;
	return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

static void
ws_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *m,
    void *arg)
{
	(void)ctx;
	(void)arg;
	if (m->opcode != WSLAY_TEXT_FRAME)
		return;
	fwrite(m->msg, 1, m->msg_length, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

static void
subscribe(wslay_event_context_ptr ctx, const char *service)
{
	struct json_object *o = json_object_new_object();
	struct wslay_event_msg msg;
	const char *s;

	json_object_object_add(o, "discoveryData", NULL);
	json_object_object_add(o, "regionId", NULL);
	api_add_str(o, "serviceId", service);
	json_object_object_add(o, "zoneId", NULL);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	msg.opcode = WSLAY_TEXT_FRAME;
	msg.msg = (const uint8_t *)s;
	msg.msg_length = strlen(s);
	wslay_event_queue_msg(ctx, &msg);	/* copies the message */
	json_object_put(o);
}

/* One session: until the connection ends (returns) or a signal (watch_stop). */
static void
session(struct watch *w, char **services, int n)
{
	struct wslay_event_callbacks cb = { ws_recv, ws_send, ws_genmask, NULL, NULL,
	    NULL, ws_message };
	wslay_event_context_ptr ctx;
	struct pollfd pfd;
	int64_t next_ping = mono_ms() + WATCH_PING_MS;
	int i;

	if (wslay_event_context_client_init(&ctx, &cb, w) != 0)
		return;
	wslay_event_config_set_max_recv_msg_length(ctx, 1 << 20);
	for (i = 0; i < n; i++)
		subscribe(ctx, services[i]);
	/* bytes that came with the handshake answer */
	if (w->npending > 0 && wslay_event_recv(ctx) != 0)
		goto out;
	while (!watch_stop && (wslay_event_want_read(ctx) || wslay_event_want_write(ctx))) {
		pfd.fd = w->fd;
		pfd.events = (wslay_event_want_read(ctx) ? POLLIN : 0) |
		    (wslay_event_want_write(ctx) ? POLLOUT : 0);
		pfd.revents = 0;
		if (poll(&pfd, 1, 1000) == -1 && errno != EINTR)
			break;
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) && wslay_event_recv(ctx) != 0)
			break;
		if (mono_ms() >= next_ping) {
			struct wslay_event_msg ping = { WSLAY_PING, NULL, 0 };

			wslay_event_queue_msg(ctx, &ping);
			next_ping = mono_ms() + WATCH_PING_MS;
		}
		if (wslay_event_want_write(ctx) && wslay_event_send(ctx) != 0)
			break;
	}
out:
	wslay_event_context_free(ctx);
}

int
cmd_watch(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	struct sigaction sa;
	struct watch w;
	char base[512], host[256], port[16], prefix[256], path[512], why[256];
	int ch, first = 1, backoff = 500;

	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1)
		cli_common_opt(cli, cmd, ch);
	argc -= optind;
	argv += optind;
	if (cli_base_url(cli, "discovery", base, sizeof(base)) == NULL)
		return EXIT_FAIL;
	if (split_url(base, host, sizeof(host), port, sizeof(port), prefix,
	    sizeof(prefix)) == -1) {
		cli_err(cli, "cannot watch %s: only http:// URLs", base);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "%s/ws/discovery/%s", prefix,
	    argc ? "instance-change" : "all-instance-change");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!watch_stop) {
		memset(&w, 0, sizeof(w));
		w.cli = cli;
		if ((w.fd = dial(host, port)) == -1)
			snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		else if (handshake(&w, host, port, path, why, sizeof(why)) == 0) {
			if (cli->verbose)
				cli_err(cli, "watching %s%s", base, path);
			first = 0;
			backoff = 500;
			session(&w, argv, argc);
			close(w.fd);
			if (!watch_stop)
				cli_err(cli, "connection to %s closed; reconnecting", base);
			continue;
		}
		if (w.fd != -1)
			close(w.fd);
		if (first) {
			cli_err(cli, "cannot reach the discovery daemon at %s: %s", base, why);
			return EXIT_CONNECT;
		}
		cli_err(cli, "%s: %s; retrying in %dms", base, why, backoff);
		usleep((useconds_t)backoff * 1000);
		if (backoff < 30000)
			backoff *= 2;
	}
	return 0;
}
