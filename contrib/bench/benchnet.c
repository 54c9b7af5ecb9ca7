/*
 * benchnet.c — shared pieces of the contrib/bench load tools (see benchnet.h).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "benchnet.h"

int64_t
bn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
bn_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
bn_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
bn_connect(int port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int
bn_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
bn_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

size_t
bn_instance_json(char *buf, size_t size, const char *svc_prefix, unsigned svc, unsigned id)
{
	unsigned a = (id >> 8) & 0xff, b = id & 0xff;
	int n;

	n = snprintf(buf, size,
	    "{\"regionId\":\"" BENCH_REGION "\",\"zoneId\":\"" BENCH_ZONE "\","
	    "\"serviceId\":\"%s%05u\",\"instanceId\":\"inst-%08u\","
	    "\"groupId\":\"default\",\"machineName\":\"host-%08u\","
	    "\"ip\":\"10.1.%u.%u\",\"port\":8080,\"protocol\":\"http\",\"status\":\"up\","
	    "\"url\":\"http://10.1.%u.%u:8080/api/v1/service-endpoint\","
	    "\"healthCheckUrl\":\"http://10.1.%u.%u:8080/health\","
	    "\"metadata\":{\"idc\":\"sha-aws-1\",\"version\":\"1.5.16-SNAPSHOT\","
	    "\"weight\":\"100\",\"owner\":\"team-benchmark\",\"build\":\"20240101.1234\"}}",
	    svc_prefix, svc, id, id, a, b, a, b, a, b);
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

size_t
bn_batch_json(char *buf, size_t size, const char *svc_prefix, unsigned first, unsigned n,
    unsigned per_svc)
{
	size_t len = 0, w;
	unsigned i;

	if (size < 32)
		return 0;
	len = (size_t)snprintf(buf, size, "{\"instances\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf[len++] = ',';
		w = bn_instance_json(buf + len, size - len - 3, svc_prefix,
		    (first + i) / per_svc, first + i);
		if (w == 0)
			return 0;
		len += w;
	}
	buf[len++] = ']';
	buf[len++] = '}';
	buf[len] = '\0';
	return len;
}

size_t
bn_http_post(char *buf, size_t size, const char *path, const char *body, size_t body_len)
{
	int n;

	n = snprintf(buf, size, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", path, body_len);
	if (n < 0 || (size_t)n + body_len >= size)
		return 0;
	memcpy(buf + n, body, body_len);
	return (size_t)n + body_len;
}

long
bn_http_parse(const char *buf, size_t len, int *status, const char **body, size_t *body_len)
{
	const char *end, *p;
	size_t hlen, clen = 0;

	if ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL)
		return 0;
	hlen = (size_t)(end - buf) + 4;
	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
		return -1;
	*status = atoi(buf + 9);
	for (p = buf; p < end; p++) {
		if ((*p == '\n') && strncasecmp(p + 1, "content-length:", 15) == 0) {
			clen = strtoul(p + 16, NULL, 10);
			break;
		}
	}
	if (len < hlen + clen)
		return 0;
	*body = buf + hlen;
	*body_len = clen;
	return (long)(hlen + clen);
}

int
bn_http_roundtrip(int fd, const char *req, size_t req_len, const char **body,
    size_t *body_len)
{
	static char *buf;
	static size_t cap;
	size_t len = 0;
	ssize_t r;
	long n;
	int status;

	if (bn_write_all(fd, req, req_len) == -1)
		return -1;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((buf = realloc(buf, cap)) == NULL)
				return -1;
		}
		if ((r = read(fd, buf + len, cap - len - 1)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			return -1;
		}
		len += (size_t)r;
		if ((n = bn_http_parse(buf, len, &status, body, body_len)) == -1)
			return -1;
		if (n > 0) {
			buf[n] = '\0';
			return status;
		}
	}
}

int
bn_rx_timestamps(int fd)
{
	int one = 1;

	return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
}

long
bn_recv_ts(int fd, void *buf, size_t len, int64_t *rx_ns)
{
	union {
		char		 b[CMSG_SPACE(sizeof(struct timespec)) * 2];
		struct cmsghdr	 align;
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr m;
	struct cmsghdr *c;
	struct timespec ts;
	ssize_t r;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.b;
	m.msg_controllen = sizeof(ctl.b);
	*rx_ns = 0;
	if ((r = recvmsg(fd, &m, 0)) <= 0)
		return r;
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(ts))) {
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			*rx_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
	}
	return r;
}

int
bn_http_roundtrip_ts(int fd, const char *req, size_t req_len, const char **body,
    size_t *body_len, int64_t *rx_ns)
{
	static char *buf;
	static size_t cap;
	size_t len = 0;
	int64_t ts;
	long r, n;
	int status;

	*rx_ns = 0;
	if (bn_write_all(fd, req, req_len) == -1)
		return -1;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((buf = realloc(buf, cap)) == NULL)
				return -1;
		}
		if ((r = bn_recv_ts(fd, buf + len, cap - len - 1, &ts)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			return -1;
		}
		len += (size_t)r;
		if (ts != 0)
			*rx_ns = ts;
		if ((n = bn_http_parse(buf, len, &status, body, body_len)) == -1)
			return -1;
		if (n > 0) {
			buf[n] = '\0';
			return status;
		}
	}
}

int
bn_ws_handshake(int fd, int port, const char *path)
{
	char req[512], resp[4096];
	size_t len = 0;
	ssize_t r;
	int n;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", path, port);
	if (n < 0 || (size_t)n >= sizeof(req) || bn_write_all(fd, req, (size_t)n) == -1)
		return -1;
	/* Read byte-wise up to the end of the headers: the server may send a frame
	 * right after the 101 and that must stay in the socket for the caller. */
	while (len < sizeof(resp) - 1) {
		if ((r = read(fd, resp + len, 1)) <= 0)
			return -1;
		len++;
		if (len >= 4 && memcmp(resp + len - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	resp[len] = '\0';
	return strncmp(resp, "HTTP/1.1 101", 12) == 0 ? 0 : -1;
}

size_t
bn_ws_frame(char *buf, size_t size, const char *payload, size_t len)
{
	static const unsigned char mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t h = 0, i;

	if (size < len + 14)
		return 0;
	buf[h++] = (char)0x81;				/* FIN, text */
	if (len < 126)
		buf[h++] = (char)(0x80 | len);
	else if (len < 65536) {
		buf[h++] = (char)(0x80 | 126);
		buf[h++] = (char)(len >> 8);
		buf[h++] = (char)len;
	} else {
		buf[h++] = (char)(0x80 | 127);
		for (i = 0; i < 8; i++)
			buf[h++] = (char)((uint64_t)len >> (56 - 8 * i));
	}
	memcpy(buf + h, mask, 4);
	h += 4;
	for (i = 0; i < len; i++)
		buf[h + i] = (char)(payload[i] ^ mask[i & 3]);
	return h + len;
}

long
bn_ws_parse(const char *buf, size_t len, int *opcode, const char **payload, size_t *plen)
{
	const unsigned char *u = (const unsigned char *)buf;
	size_t h = 2, n, i;

	if (len < 2)
		return 0;
	if (u[1] & 0x80)		/* servers never mask */
		return -1;
	n = u[1] & 0x7f;
	if (n == 126) {
		if (len < 4)
			return 0;
		n = (size_t)u[2] << 8 | u[3];
		h = 4;
	} else if (n == 127) {
		if (len < 10)
			return 0;
		for (n = 0, i = 0; i < 8; i++)
			n = n << 8 | u[2 + i];
		h = 10;
	}
	if (len < h + n)
		return 0;
	*opcode = u[0] & 0x0f;
	*payload = buf + h;
	*plen = n;
	return (long)(h + n);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

void
bn_sort_i64(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
}

int64_t
bn_pct(const int64_t *sorted, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}
