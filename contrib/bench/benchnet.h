/*
 * benchnet.h — what the load tools of contrib/bench share: clocks, blocking and
 * non-blocking TCP, a minimal HTTP/1.1 keep-alive client, minimal client-side
 * WebSocket framing (RFC 6455: masked frames out, unmasked frames in), and the
 * ~400-byte instance every benchmark registers.
 *
 * These are load generators, not products: the framing is only what talking to our
 * own daemons needs (no fragmentation, no extensions), so that the generator costs
 * as little CPU as possible on a 2-core machine it shares with the daemon.
 */
#ifndef ARTEMIS_BENCHNET_H
#define ARTEMIS_BENCHNET_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_REGION	"sha"
#define BENCH_ZONE	"sha-z1"

int64_t	bn_now_ns(void);		/* CLOCK_MONOTONIC */
int64_t	bn_wall_ns(void);		/* CLOCK_REALTIME */
void	bn_raise_nofile(void);

/* Blocking connect to 127.0.0.1:port (TCP_NODELAY); -1 on failure. */
int	bn_connect(int port);
int	bn_set_nonblock(int fd);
int	bn_write_all(int fd, const void *p, size_t n);

/* The benchmark instance: serviceId "<svc_prefix><svc>", instanceId "inst-<id>",
 * about 400 bytes of JSON with metadata. Returns the length written. */
size_t	bn_instance_json(char *buf, size_t size, const char *svc_prefix, unsigned svc,
	    unsigned id);

/* {"instances":[ ids first..first+n-1 ]} with instance id -> service id / per_svc. */
size_t	bn_batch_json(char *buf, size_t size, const char *svc_prefix, unsigned first,
	    unsigned n, unsigned per_svc);

/* A complete POST request (keep-alive) with a JSON body. */
size_t	bn_http_post(char *buf, size_t size, const char *path, const char *body,
	    size_t body_len);

/* If buf holds a complete HTTP response, returns its total length and sets *status,
 * *body and *body_len; 0 if incomplete; -1 if malformed (no chunked support). */
long	bn_http_parse(const char *buf, size_t len, int *status, const char **body,
	    size_t *body_len);

/* Blocking request/response on a connected socket; the body is returned in a
 * static buffer (NUL-terminated). HTTP status or -1. */
int	bn_http_roundtrip(int fd, const char *req, size_t req_len, const char **body,
	    size_t *body_len);

/* Kernel receive timestamps (software, SO_TIMESTAMPNS): the moment a segment
 * reached the socket's host stack, before the reader was scheduled. On loopback
 * that is inside the sender's send(2). 0, or -1 if the option is refused. */
int	bn_rx_timestamps(int fd);

/* read(2) that also returns the kernel receive time (CLOCK_REALTIME ns) of the
 * newest segment the read consumed; *rx_ns = 0 when the kernel gave none. */
long	bn_recv_ts(int fd, void *buf, size_t len, int64_t *rx_ns);

/* bn_http_roundtrip() on a socket with bn_rx_timestamps(): *rx_ns is the kernel
 * receive time of the segment that completed the response (0 if unknown). */
int	bn_http_roundtrip_ts(int fd, const char *req, size_t req_len, const char **body,
	    size_t *body_len, int64_t *rx_ns);

/* Blocking WebSocket upgrade on fd for path; 0 when the server answered 101. */
int	bn_ws_handshake(int fd, int port, const char *path);

/* Masked client text frame header + payload into buf; returns its length. */
size_t	bn_ws_frame(char *buf, size_t size, const char *payload, size_t len);

/* One server frame at buf: returns its total length, 0 if incomplete, -1 if bad;
 * *opcode and payload pointer/length set. */
long	bn_ws_parse(const char *buf, size_t len, int *opcode, const char **payload,
	    size_t *plen);

/* Sorting and percentiles of latency samples (ns). */
void	bn_sort_i64(int64_t *v, size_t n);
int64_t	bn_pct(const int64_t *sorted, size_t n, double p);

#endif
