/*
 * http.h — HTTP server glue over libmicrohttpd (internal thread pool, epoll).
 *
 * What every daemon gets for free, so handlers only see decoded requests:
 *  - a route table matched on the exact path (a trailing '/' is tolerated, §1.2);
 *    unknown path -> 404, method not in the route's mask -> 405;
 *  - POST routes flagged HTTP_JSON require Content-Type application/json
 *    (parameters allowed) -> else 415;
 *  - request bodies bounded by config max_body (413), decoded from Content-Encoding
 *    gzip / x-gzip / deflate / identity with zlib, bounded by max_decoded_body
 *    (413; corrupt data -> 400); the handler sees the decoded NUL-terminated body;
 *  - CORS headers of §1.4 on every response; OPTIONS on any path answered directly;
 *  - HEAD on a GET route behaves like GET without body;
 *  - GET /health (200 "ok" once serving) and GET /metrics (Prometheus text: request
 *    counters by route and status, latency histograms per route, plus whatever the
 *    daemon adds with http_server_set_metrics());
 *  - response gzip for bodies >= 1 KiB when the request accepts gzip (optional in
 *    the contract; saves bandwidth on services.json), or a pre-compressed rbuf;
 *  - WebSocket upgrades on paths registered with a ws_server (ws.h).
 * Response Content-Type defaults to "application/json;charset=UTF-8".
 */
#ifndef ARTEMIS_HTTP_H
#define ARTEMIS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "sbuf.h"

#define HTTP_GET	0x01
#define HTTP_POST	0x02
#define HTTP_PUT	0x04
#define HTTP_DELETE	0x08

#define HTTP_MAX_HEADERS	4	/* extra headers a handler may add */

/* route flags */
#define HTTP_JSON	0x01	/* POST must carry Content-Type application/json */

struct http_request {
	const char	*method;
	int		 method_bit;	/* HTTP_GET etc.; HEAD counts as HTTP_GET */
	const char	*path;		/* as matched (no query, no trailing '/') */
	const char	*body;		/* decoded, NUL-terminated; "" when none */
	size_t		 body_len;
	int		 has_body;	/* the request carried a (possibly empty) body */
	const char	*remote_ip;
	void		*route_arg;
	void		*conn;		/* struct MHD_Connection * */
};

/* A body produced piece by piece on a server thread (answers assembled from
 * shared pieces, too large to copy whole per request): read fills buf with up to
 * max bytes from pos on and returns how many (>= 1), or -1 on error; done is
 * called exactly once when the response is finished or dropped. */
struct http_stream {
	uint64_t	  len;
	ssize_t		(*read)(void *arg, uint64_t pos, char *buf, size_t max);
	void		(*done)(void *arg);
	void		 *arg;
};

struct http_response {
	int		 status;	/* default 200 */
	struct sbuf	 body;		/* handler writes here ... */
	struct rbuf	*shared;	/* ... or hands over a reference (takes ownership) */
	struct rbuf	*shared_gz;	/* optional gzip of shared, used if accepted */
	const char	*content_type;	/* default application/json;charset=UTF-8 */
	/* ... or a stream (takes ownership; shared_gz, if set, is sent instead
	 * when the client accepts gzip). */
	struct http_stream stream;
	/* extra response headers (http_add_header); MHD copies them when sending */
	struct {
		const char	*name;
		const char	*value;
	}		 headers[HTTP_MAX_HEADERS];
	size_t		 nheaders;
};

typedef void (*http_handler)(struct http_request *, struct http_response *);

struct http_route {
	const char	*path;
	unsigned	 methods;	/* HTTP_GET | HTTP_POST ... */
	unsigned	 flags;		/* HTTP_JSON */
	http_handler	 fn;
	void		*arg;
	const char	*metric_name;	/* label in /metrics; defaults to path */
};

struct http_server;
struct ws_server;

/* Start listening on addr with the given routes (copied). ws may be NULL. */
struct http_server *http_server_start(const struct config *c, const struct listen_addr *addr,
		    const struct http_route *routes, size_t nroutes, struct ws_server *ws);
/* Stop accepting, finish requests in flight (bounded wait), close the WebSocket
 * sessions of ws (1001), close. Either order with ws_server_stop() is safe. */
void		 http_server_stop(struct http_server *);
/* The port actually bound (useful when the listen port was 0). */
int		 http_server_port(struct http_server *);

/* Extra lines for /metrics, rendered at scrape time (called from a server thread). */
void		 http_server_set_metrics(struct http_server *,
		    void (*fn)(struct sbuf *out, void *arg), void *arg);

/* Query parameter (first occurrence) or NULL. Names match case-sensitively, as
 * Spring's; a name without '=' has the value "" (Tomcat). */
const char	*http_query(struct http_request *, const char *name);
/* A query parameter bound to a Java String as Spring binds it: every occurrence,
 * joined with ','. 1 and the value in out->s if present, else 0. */
int		 http_query_join(struct http_request *, const char *name,
		    struct sbuf *out);
/* Every occurrence of a query parameter, in order. Returns the count. */
int		 http_query_each(struct http_request *, const char *name,
		    void (*fn)(const char *value, void *arg), void *arg);
const char	*http_header(struct http_request *, const char *name);

/* Add a response header; name and value must live until the handler returns.
 * 0 ok, -1 when HTTP_MAX_HEADERS are set already. */
int		 http_add_header(struct http_response *, const char *name,
		    const char *value);
/* Plain-text error body with a status (400 malformed JSON, 404, ...). */
void		 http_error(struct http_response *, int status, const char *message);

/* zlib helpers, exported for tests and for pre-compressing shared responses. */
/* Decode body per Content-Encoding as ziplet does: gzip, x-gzip and deflate are
 * inflated, compress/x-compress are -1, anything else (NULL, identity, unknown)
 * is copied. 0 ok, -1 corrupt, -2 decoded size over max. */
int		 http_decode_body(const char *encoding, const void *in, size_t inlen,
		    size_t max, struct sbuf *out);
struct rbuf	*http_gzip(const void *in, size_t len);

/* Block SIGPIPE, SIGTERM and SIGINT in the calling thread (call first in main, so
 * every thread inherits the mask), then http_wait_for_signal() returns the signal
 * number when SIGTERM or SIGINT arrives, or 0 after timeout_ms (<0: forever). */
void		 http_block_signals(void);
int		 http_wait_for_signal(int timeout_ms);

#endif
