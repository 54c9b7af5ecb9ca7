/*
 * http.c — HTTP server glue over libmicrohttpd: routing, body decoding, CORS,
 * response compression, /health, /metrics and the WebSocket handshake.
 *
 * One access-handler state machine per request (struct req):
 *   first call     header checks (OPTIONS, route, method, 415, 413 by length);
 *                  an error is answered at once and MHD closes the connection
 *                  without reading the rest of the body;
 *   upload calls   body accumulated up to max_body; beyond it MHD 0.9.75 cannot
 *                  answer mid-body, so up to DISCARD_MAX more bytes are read and
 *                  dropped, then 413 (past that the connection is just closed);
 *   last call      decode Content-Encoding, run the handler, queue the response.
 * Metrics are plain atomics indexed by route and status slot: no lock on the
 * request path.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sha1.h>
#include <zlib.h>

#include "http.h"
#include "log.h"
#include "ws.h"

#define JSON_TYPE	"application/json;charset=UTF-8"
#define TEXT_TYPE	"text/plain;charset=UTF-8"
#define GZIP_MIN	1024		/* ziplet's threshold */
#define GZIP_LEVEL_FAST	1		/* per-request compression: cheap */
#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define DRAIN_MS	5000		/* wait for requests in flight at stop */
#define DISCARD_MAX	(1u << 20)	/* body bytes read past max_body before 413 */

/* Status slots for the request counters; anything else counts as "other". */
static const int metric_codes[] = {
	101, 200, 204, 400, 403, 404, 405, 413, 415, 426, 429, 500, 503
};
#define NCODES		(sizeof(metric_codes) / sizeof(metric_codes[0]) + 1)

/* Latency bucket upper bounds, seconds. */
static const double metric_buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5
};
#define NBUCKETS	(sizeof(metric_buckets) / sizeof(metric_buckets[0]))

struct route_stats {
	_Atomic uint64_t	codes[NCODES];
	_Atomic uint64_t	buckets[NBUCKETS];	/* not cumulative; summed at scrape */
	_Atomic uint64_t	count;
	_Atomic uint64_t	sum_us;
};

/* Built-in pseudo routes after the daemon's own, for metrics. */
enum { R_HEALTH, R_METRICS, R_WS, R_OPTIONS, R_UNMATCHED, R_NBUILTIN };
static const char *builtin_names[R_NBUILTIN] = {
	"/health", "/metrics", "websocket", "OPTIONS", "unmatched"
};

struct http_server {
	struct MHD_Daemon	*mhd;
	int			 lfd;
	int			 port;
	size_t			 max_body;
	size_t			 max_decoded;
	char			 base_path[CONFIG_STR];	/* "" or "/ctx" */
	struct http_route	*routes;
	size_t			 nroutes;
	struct route_stats	*stats;		/* nroutes + R_NBUILTIN */
	struct ws_server	*ws;
	_Atomic long		 inflight;

	pthread_mutex_t		 metrics_mtx;
	void			(*metrics_fn)(struct sbuf *, void *);
	void			*metrics_arg;
};

struct req {
	struct http_server	*srv;
	int64_t			 t0_us;
	int			 route;		/* index into stats */
	int			 ws_ep;
	int			 has_body;
	int			 started;	/* header checks done */
	int			 answered;	/* a response was queued early */
	int			 upgraded;	/* handed to ws.c */
	int			 too_big;	/* body over max_body: discarding */
	size_t			 discarded;
	struct sbuf		 body;
	char			 ip[INET6_ADDRSTRLEN];
};

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------------ metrics */

static size_t
code_slot(int status)
{
	size_t i;

	for (i = 0; i < NCODES - 1; i++)
		if (metric_codes[i] == status)
			return i;
	return NCODES - 1;
}

static void
metrics_record(struct http_server *s, int route, int status, int64_t t0_us)
{
	struct route_stats *st = &s->stats[route];
	int64_t us = mono_us() - t0_us;
	double secs;
	size_t i;

	if (us < 0)
		us = 0;
	secs = (double)us / 1e6;
	atomic_fetch_add_explicit(&st->codes[code_slot(status)], 1, memory_order_relaxed);
	for (i = 0; i < NBUCKETS; i++)
		if (secs <= metric_buckets[i])
			break;
	if (i < NBUCKETS)
		atomic_fetch_add_explicit(&st->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&st->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&st->sum_us, (uint64_t)us, memory_order_relaxed);
}

static const char *
route_label(struct http_server *s, size_t i)
{
	if (i < s->nroutes)
		return s->routes[i].metric_name ? s->routes[i].metric_name
		    : s->routes[i].path;
	return builtin_names[i - s->nroutes];
}

static void
metrics_render(struct http_server *s, struct sbuf *out)
{
	size_t i, j, n = s->nroutes + R_NBUILTIN;
	uint64_t v, cum;

	sbuf_adds(out, "# HELP artemis_http_requests_total HTTP requests by route and status.\n"
	    "# TYPE artemis_http_requests_total counter\n");
	for (i = 0; i < n; i++) {
		for (j = 0; j < NCODES; j++) {
			v = atomic_load_explicit(&s->stats[i].codes[j], memory_order_relaxed);
			if (v == 0)
				continue;
			if (j < NCODES - 1)
				sbuf_addf(out, "artemis_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
				    route_label(s, i), metric_codes[j], (unsigned long long)v);
			else
				sbuf_addf(out, "artemis_http_requests_total{route=\"%s\",code=\"other\"} %llu\n",
				    route_label(s, i), (unsigned long long)v);
		}
	}
	sbuf_adds(out, "# HELP artemis_http_request_duration_seconds Time to answer, by route.\n"
	    "# TYPE artemis_http_request_duration_seconds histogram\n");
	for (i = 0; i < n; i++) {
		struct route_stats *st = &s->stats[i];
		uint64_t count = atomic_load_explicit(&st->count, memory_order_relaxed);

		if (count == 0)
			continue;
		for (cum = 0, j = 0; j < NBUCKETS; j++) {
			cum += atomic_load_explicit(&st->buckets[j], memory_order_relaxed);
			sbuf_addf(out, "artemis_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
			    route_label(s, i), metric_buckets[j], (unsigned long long)cum);
		}
		sbuf_addf(out, "artemis_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
		    route_label(s, i), (unsigned long long)count);
		sbuf_addf(out, "artemis_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
		    route_label(s, i),
		    (double)atomic_load_explicit(&st->sum_us, memory_order_relaxed) / 1e6);
		sbuf_addf(out, "artemis_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
		    route_label(s, i), (unsigned long long)count);
	}
	pthread_mutex_lock(&s->metrics_mtx);
	if (s->metrics_fn != NULL)
		s->metrics_fn(out, s->metrics_arg);
	pthread_mutex_unlock(&s->metrics_mtx);
}

void
http_server_set_metrics(struct http_server *s, void (*fn)(struct sbuf *, void *), void *arg)
{
	pthread_mutex_lock(&s->metrics_mtx);
	s->metrics_fn = fn;
	s->metrics_arg = arg;
	pthread_mutex_unlock(&s->metrics_mtx);
}

/* ------------------------------------------------------------------ zlib */

static int
inflate_all(z_stream *z, int wbits, const void *in, size_t inlen, size_t max,
    struct sbuf *out)
{
	size_t produced = 0;
	int rc;

	if (inflateInit2(z, wbits) != Z_OK)
		return -1;
	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = (uInt)inlen;
	for (;;) {
		size_t room;

		sbuf_reserve(out, 16384);
		room = out->cap - out->len - 1;
		z->next_out = (Bytef *)out->s + out->len;
		z->avail_out = (uInt)room;
		rc = inflate(z, Z_NO_FLUSH);
		produced += room - z->avail_out;
		out->len += room - z->avail_out;
		out->s[out->len] = '\0';
		if (produced > max) {
			inflateEnd(z);
			return -2;
		}
		if (rc == Z_STREAM_END) {
			/* Another gzip member may follow (concatenated gzip). */
			if (z->avail_in > 0 && wbits == 15 + 32) {
				if (inflateReset(z) != Z_OK)
					break;
				continue;
			}
			inflateEnd(z);
			return 0;
		}
		if (rc == Z_BUF_ERROR && z->avail_in == 0)
			break;		/* truncated */
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			break;
	}
	inflateEnd(z);
	return -1;
}

static int
strcasecmp_null(const char *a, const char *b)
{
	return a == NULL ? -1 : strcasecmp(a, b);
}

/* A request Content-Encoding ziplet inflates (gzip, x-gzip, deflate). */
static int
decoded_coding(const char *enc)
{
	return strcasecmp_null(enc, "gzip") == 0 || strcasecmp_null(enc, "x-gzip") == 0 ||
	    strcasecmp_null(enc, "deflate") == 0;
}

int
http_decode_body(const char *enc, const void *in, size_t inlen, size_t max,
    struct sbuf *out)
{
	const unsigned char *p = in;
	z_stream z;
	int wbits;

	sbuf_reserve(out, 1);
	if (inlen == 0)
		return 0;
	/* ziplet decodes gzip, x-gzip, deflate, and compress / x-compress as a zip
	 * stream with no entry read (an empty body); any other coding is passed
	 * through untouched, so the body is read as it is */
	if (strcasecmp_null(enc, "compress") == 0 || strcasecmp_null(enc, "x-compress") == 0)
		return -1;
	if (!decoded_coding(enc)) {
		if (inlen > max)
			return -2;
		sbuf_add(out, in, inlen);
		return 0;
	}
	if (inlen > UINT32_MAX)
		return -2;
	memset(&z, 0, sizeof(z));
	if (strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0)
		wbits = 15 + 32;	/* gzip or zlib, auto-detected */
	else if (strcasecmp(enc, "deflate") == 0) {
		/* HTTP "deflate" is zlib-wrapped; some senders use raw deflate. */
		if (inlen >= 2 && (p[0] & 0x0f) == 8 && ((p[0] << 8) | p[1]) % 31 == 0)
			wbits = 15;
		else
			wbits = -15;
	} else
		return -1;	/* not reached: decoded_coding() */
	return inflate_all(&z, wbits, in, inlen, max, out);
}

static struct rbuf *
gzip_level(const void *in, size_t len, int level)
{
	struct rbuf *r;
	z_stream z;
	uLong bound;
	char *buf;

	memset(&z, 0, sizeof(z));
	if (len > UINT32_MAX / 2)
		return NULL;
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	bound = deflateBound(&z, (uLong)len);
	if ((buf = malloc(bound)) == NULL)
		fatal("http_gzip");
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(buf);
		return NULL;
	}
	r = rbuf_new(buf, z.total_out);
	deflateEnd(&z);
	free(buf);
	return r;
}

struct rbuf *
http_gzip(const void *in, size_t len)
{
	return gzip_level(in, len, Z_DEFAULT_COMPRESSION);
}

/* ------------------------------------------------------------------ helpers */

struct query_iter {
	const char	*name;
	void		(*fn)(const char *, void *);
	void		*arg;
	int		 n;
};

struct query_first {
	const char	*name;
	const char	*value;
};

/* Names are case-sensitive (Spring's @RequestParam; MHD's own lookup ignores
 * case) and a name without '=' has the value "" (Tomcat). */
static enum MHD_Result
query_first_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query_first *qf = cls;

	(void)kind;
	if (key == NULL || strcmp(key, qf->name) != 0)
		return MHD_YES;
	qf->value = value != NULL ? value : "";
	return MHD_NO;
}

const char *
http_query(struct http_request *r, const char *name)
{
	struct query_first qf = { name, NULL };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_first_cb, &qf);
	return qf.value;
}

struct query_join {
	struct sbuf	*out;
	int		 n;
};

static void
query_join_cb(const char *value, void *arg)
{
	struct query_join *qj = arg;

	if (qj->n++ > 0)
		sbuf_addc(qj->out, ',');
	sbuf_adds(qj->out, value);
}

int
http_query_join(struct http_request *r, const char *name, struct sbuf *out)
{
	struct query_join qj = { out, 0 };

	sbuf_reset(out);
	http_query_each(r, name, query_join_cb, &qj);
	if (qj.n > 0) {		/* out->s is a C string even for "" */
		sbuf_reserve(out, 1);
		out->s[out->len] = '\0';
	}
	return qj.n > 0;
}

static enum MHD_Result
query_each_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query_iter *qi = cls;

	(void)kind;
	if (key != NULL && strcmp(key, qi->name) == 0) {
		qi->n++;
		if (qi->fn != NULL)
			qi->fn(value ? value : "", qi->arg);
	}
	return MHD_YES;
}

int
http_query_each(struct http_request *r, const char *name,
    void (*fn)(const char *, void *), void *arg)
{
	struct query_iter qi = { name, fn, arg, 0 };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_each_cb, &qi);
	return qi.n;
}

const char *
http_header(struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static void	stream_drop(struct http_stream *);

int
http_add_header(struct http_response *resp, const char *name, const char *value)
{
	if (resp->nheaders >= HTTP_MAX_HEADERS)
		return -1;
	resp->headers[resp->nheaders].name = name;
	resp->headers[resp->nheaders].value = value;
	resp->nheaders++;
	return 0;
}

void
http_error(struct http_response *resp, int status, const char *message)
{
	resp->status = status;
	resp->content_type = TEXT_TYPE;
	rbuf_unref(resp->shared);
	rbuf_unref(resp->shared_gz);
	resp->shared = resp->shared_gz = NULL;
	stream_drop(&resp->stream);
	sbuf_reset(&resp->body);
	if (message != NULL) {
		sbuf_adds(&resp->body, message);
		sbuf_addc(&resp->body, '\n');
	}
}

/* Does a comma-separated header value contain token (case-insensitive)? With
 * q=0 the token is refused. */
static int
has_token(const char *list, const char *token)
{
	size_t tlen = strlen(token);
	const char *p = list, *e;

	if (list == NULL)
		return 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		e = p;
		while (*e != '\0' && *e != ',' && *e != ';' && *e != ' ' && *e != '\t')
			e++;
		if ((size_t)(e - p) == tlen && strncasecmp(p, token, tlen) == 0) {
			const char *q = e, *end = strchr(e, ',');

			if (end == NULL)
				end = e + strlen(e);
			while ((q = strcasestr(q, "q=")) != NULL && q < end) {
				q += 2;
				return !(strtod(q, NULL) == 0.0);
			}
			return 1;
		}
		p = e;
		while (*p != '\0' && *p != ',')
			p++;
	}
	return 0;
}

static int
accepts_gzip(struct MHD_Connection *c)
{
	return has_token(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT_ENCODING), "gzip");
}

static void
remote_ip(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	strlcpy(buf, "-", len);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    buf, len);
	else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf, len);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, buf, len);
	}
}

static void
add_cors(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	MHD_add_response_header(r, "Access-Control-Expose-Headers", "*");
	MHD_add_response_header(r, "Access-Control-Allow-Credentials", "true");
}

static void
free_rbuf_cb(void *cls)
{
	rbuf_unref(cls);
}

/* Queue r (consumed) with status, record metrics. */
static enum MHD_Result
send_response(struct MHD_Connection *c, struct req *rq, int status,
    struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	add_cors(r);
	/* Java's ziplet filter says Vary: Accept-Encoding on every answer (101 and
	 * error pages included): a cache must not hand a gzip variant to a client
	 * that did not ask for one, whichever variant it saw first. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	rq->answered = 1;
	metrics_record(rq->srv, rq->route, status, rq->t0_us);
	return ret;
}

static struct MHD_Response *
text_response(const char *type, const char *body)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r != NULL && type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return r;
}

/* An error decided before or while reading the body. */
static enum MHD_Result
send_error(struct MHD_Connection *c, struct req *rq, int status, const char *msg)
{
	struct MHD_Response *r;
	char buf[256];

	snprintf(buf, sizeof(buf), "%s\n", msg);
	r = text_response(TEXT_TYPE, buf);
	return send_response(c, rq, status, r);
}

/* ------------------------------------------------------------------ responses */

static void
stream_drop(struct http_stream *st)
{
	if (st->read != NULL && st->done != NULL)
		st->done(st->arg);
	memset(st, 0, sizeof(*st));
}

static ssize_t
stream_read_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *st = cls;
	ssize_t n;

	if (pos >= st->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if ((n = st->read(st->arg, pos, buf, max)) <= 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n;
}

static void
stream_free_cb(void *cls)
{
	struct http_stream *st = cls;

	stream_drop(st);
	free(st);
}

/* A callback response over the handler's stream (which it takes over). */
static struct MHD_Response *
stream_response(struct http_stream *in)
{
	struct MHD_Response *r;
	struct http_stream *st;

	if ((st = malloc(sizeof(*st))) == NULL) {
		stream_drop(in);
		return NULL;
	}
	*st = *in;
	memset(in, 0, sizeof(*in));
	if ((r = MHD_create_response_from_callback(st->len, 64 * 1024,
	    stream_read_cb, st, stream_free_cb)) == NULL)
		stream_free_cb(st);
	return r;
}

static enum MHD_Result
send_handler_response(struct MHD_Connection *c, struct req *rq,
    struct http_response *resp)
{
	struct MHD_Response *r;
	struct rbuf *use;
	int gz = 0, status = resp->status ? resp->status : 200;
	uint64_t plain_len = resp->shared != NULL ? resp->shared->len :
	    resp->stream.read != NULL ? resp->stream.len : resp->body.len;

	/* ziplet's rule for every body, prepared gzip included: compressed only
	 * from GZIP_MIN bytes on, smaller ones go out as they are */
	if (resp->shared_gz != NULL && plain_len < GZIP_MIN) {
		rbuf_unref(resp->shared_gz);
		resp->shared_gz = NULL;
	}
	if (resp->stream.read != NULL && !(resp->shared_gz != NULL &&
	    accepts_gzip(c))) {
		rbuf_unref(resp->shared);
		rbuf_unref(resp->shared_gz);
		resp->shared = resp->shared_gz = NULL;
		r = stream_response(&resp->stream);
	} else if (resp->shared != NULL || resp->stream.read != NULL) {
		stream_drop(&resp->stream);
		if (resp->shared_gz != NULL && accepts_gzip(c)) {
			use = resp->shared_gz;
			rbuf_unref(resp->shared);
			gz = 1;
		} else {
			use = resp->shared;
			rbuf_unref(resp->shared_gz);
		}
		resp->shared = resp->shared_gz = NULL;
		r = MHD_create_response_from_buffer_with_free_callback_cls(use->len,
		    use->data, free_rbuf_cb, use);
		if (r == NULL)
			rbuf_unref(use);
	} else if (resp->body.len >= GZIP_MIN && accepts_gzip(c) &&
	    (use = gzip_level(resp->body.s, resp->body.len, GZIP_LEVEL_FAST)) != NULL) {
		rbuf_unref(resp->shared_gz);
		resp->shared_gz = NULL;
		gz = 1;
		r = MHD_create_response_from_buffer_with_free_callback_cls(use->len,
		    use->data, free_rbuf_cb, use);
		if (r == NULL)
			rbuf_unref(use);
	} else {
		size_t len;
		char *p;

		rbuf_unref(resp->shared_gz);
		resp->shared_gz = NULL;
		if (resp->body.len == 0)
			r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		else {
			p = sbuf_steal(&resp->body, &len);
			r = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
			if (r == NULL)
				free(p);
		}
	}
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    resp->content_type ? resp->content_type : JSON_TYPE);
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	for (size_t i = 0; i < resp->nheaders && i < HTTP_MAX_HEADERS; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	return send_response(c, rq, status, r);
}

static enum MHD_Result
send_options(struct MHD_Connection *c, struct req *rq)
{
	struct MHD_Response *r;
	const char *v;

	if ((r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)) == NULL)
		return MHD_NO;
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Method");
	if (v != NULL)
		MHD_add_response_header(r, "Access-Control-Allow-Methods", v);
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Headers");
	if (v != NULL)
		MHD_add_response_header(r, "Access-Control-Allow-Headers", v);
	MHD_add_response_header(r, "Access-Control-Max-Age", "3600");
	return send_response(c, rq, 200, r);
}

static enum MHD_Result
send_builtin(struct MHD_Connection *c, struct req *rq, int which)
{
	struct sbuf out = SBUF_INIT;
	struct MHD_Response *r;
	size_t len;
	char *p;

	if (which == R_HEALTH)
		return send_response(c, rq, 200, text_response(TEXT_TYPE, "ok\n"));
	metrics_render(rq->srv, &out);
	p = sbuf_steal(&out, &len);
	if ((r = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(p);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; version=0.0.4; charset=utf-8");
	return send_response(c, rq, 200, r);
}

/*
 * The methods the route was declared with, as Spring lists a mapping's methods
 * in a 405 ("Allow: POST"): HEAD (implied by GET) and OPTIONS (answered for
 * every path by the CORS layer) are not named, as in Java.
 */
static void
allow_header(unsigned methods, char *buf, size_t len)
{
	static const struct { unsigned bit; const char *name; } m[] = {
		{ HTTP_GET, "GET" }, { HTTP_POST, "POST" },
		{ HTTP_PUT, "PUT" }, { HTTP_DELETE, "DELETE" },
	};
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if ((methods & m[i].bit) == 0)
			continue;
		if (buf[0] != '\0')
			strlcat(buf, ", ", len);
		strlcat(buf, m[i].name, len);
	}
}

static enum MHD_Result
send_405(struct MHD_Connection *c, struct req *rq, unsigned methods)
{
	struct MHD_Response *r;
	char allow[64];

	allow_header(methods, allow, sizeof(allow));
	r = text_response(TEXT_TYPE, "Request method not supported\n");
	if (r != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	return send_response(c, rq, 405, r);
}

/* ------------------------------------------------------------------ websocket */

static void
base64(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*out++ = tab[v >> 18 & 63];
		*out++ = tab[v >> 12 & 63];
		*out++ = tab[v >> 6 & 63];
		*out++ = tab[v & 63];
	}
	if (i < len) {
		v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
		*out++ = tab[v >> 18 & 63];
		*out++ = tab[v >> 12 & 63];
		*out++ = i + 1 < len ? tab[v >> 6 & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

/* Sec-WebSocket-Accept = base64(SHA1(key + GUID)), RFC 6455 §4.2.2. */
static void
ws_accept_key(const char *key, char out[29])
{
	unsigned char digest[SHA1_DIGEST_LENGTH];
	SHA1_CTX ctx;

	SHA1Init(&ctx);
	SHA1Update(&ctx, (const uint8_t *)key, strlen(key));
	SHA1Update(&ctx, (const uint8_t *)WS_GUID, strlen(WS_GUID));
	SHA1Final(digest, &ctx);
	base64(digest, sizeof(digest), out);
}

static void
upgrade_cb(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra,
    size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct http_server *s = cls;
	struct req *rq = con_cls;

	(void)c;
	ws_server_adopt(s->ws, rq->ws_ep, sock, extra, extra_len, urh, rq->ip);
	/* The session lives on in ws.c: no longer a request in flight (only
	 * now, so http_server_stop() sees it adopted before detaching ws). */
	rq->upgraded = 1;
	atomic_fetch_sub(&s->inflight, 1);
}

static enum MHD_Result
ws_handshake(struct MHD_Connection *c, struct req *rq, const char *method)
{
	struct http_server *s = rq->srv;
	struct MHD_Response *r;
	const char *up, *conn, *ver, *key;
	char accept[29];
	int rc;

	rq->route = (int)(s->nroutes + R_WS);
	if (strcmp(method, "GET") != 0)
		return send_405(c, rq, HTTP_GET);
	up = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_UPGRADE);
	conn = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION);
	ver = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Version");
	key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Key");
	if (up == NULL || strcasecmp(up, "websocket") != 0)
		return send_error(c, rq, 400, "Can \"Upgrade\" only to \"WebSocket\".");
	if (!has_token(conn, "upgrade"))
		return send_error(c, rq, 400, "\"Connection\" must be \"upgrade\".");
	if (ver == NULL || strcmp(ver, "13") != 0) {
		r = text_response(TEXT_TYPE, "Unsupported WebSocket version\n");
		if (r != NULL)
			MHD_add_response_header(r, "Sec-WebSocket-Version", "13");
		return send_response(c, rq, 426, r);
	}
	if (key == NULL || *key == '\0' || strlen(key) > 64)
		return send_error(c, rq, 400, "Missing Sec-WebSocket-Key");
	if ((rc = ws_server_admit(s->ws, rq->ws_ep, rq->ip)) != 0)
		return send_error(c, rq, rc, rc == 403 ? "Forbidden" : "Too many sessions");
	ws_accept_key(key, accept);
	if ((r = MHD_create_response_for_upgrade(upgrade_cb, s)) == NULL)
		return MHD_NO;
	/* MHD adds "Connection: Upgrade" itself. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket");
	MHD_add_response_header(r, "Sec-WebSocket-Accept", accept);
	return send_response(c, rq, 101, r);
}

/* ------------------------------------------------------------------ dispatch */

static int
method_bit(const char *m)
{
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return HTTP_GET;
	if (strcmp(m, "POST") == 0)
		return HTTP_POST;
	if (strcmp(m, "PUT") == 0)
		return HTTP_PUT;
	if (strcmp(m, "DELETE") == 0)
		return HTTP_DELETE;
	return 0;
}

/* application/json with optional parameters, case-insensitive. */
static int
is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, "application/json", n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static int
find_route(struct http_server *s, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < s->nroutes; i++)
		if (strncmp(s->routes[i].path, path, len) == 0 &&
		    s->routes[i].path[len] == '\0')
			return (int)i;
	return -1;
}

/*
 * The path as matched, as Tomcat and Spring see it (§1.1, §1.2): path parameters
 * (";jsessionid=...") dropped, "//" collapsed, the context path ([node] base-path)
 * stripped when the path starts with it, one trailing '/' stripped (except for
 * "/"). A path without the context path is served too, so /health and the tools
 * keep working whatever the context path is.
 */
static void
match_path(const struct http_server *s, const char *url, char *buf, size_t len)
{
	size_t n = 0, bl = strlen(s->base_path);
	const char *p;

	for (p = url; *p != '\0' && n + 1 < len; p++) {
		if (*p == ';') {	/* up to the next segment */
			while (p[1] != '\0' && p[1] != '/')
				p++;
			continue;
		}
		if (*p == '/' && n > 0 && buf[n - 1] == '/')
			continue;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	if (bl > 0 && strncmp(buf, s->base_path, bl) == 0 &&
	    (buf[bl] == '/' || buf[bl] == '\0')) {
		memmove(buf, buf + bl, n - bl + 1);
		n -= bl;
		if (n == 0) {
			buf[n++] = '/';
			buf[n] = '\0';
		}
	}
	if (n > 1 && buf[n - 1] == '/')
		buf[n - 1] = '\0';
}

/* First call: everything decidable from the request line and headers. Returns
 * MHD_YES with rq->answered clear to go on reading the body. */
static enum MHD_Result
on_headers(struct MHD_Connection *c, struct req *rq, const char *url, const char *method)
{
	struct http_server *s = rq->srv;
	const char *v;
	char path[1024];
	int bit, i;

	rq->started = 1;
	remote_ip(c, rq->ip, sizeof(rq->ip));
	rq->route = (int)(s->nroutes + R_UNMATCHED);
	if (strcmp(method, "OPTIONS") == 0) {
		rq->route = (int)(s->nroutes + R_OPTIONS);
		return send_options(c, rq);
	}
	if (strlen(url) >= sizeof(path))
		return send_error(c, rq, 404, "Not Found");
	match_path(s, url, path, sizeof(path));
	bit = method_bit(method);
	if (s->ws != NULL && (rq->ws_ep = ws_server_match(s->ws, path)) >= 0)
		return ws_handshake(c, rq, method);
	if ((i = find_route(s, path, strlen(path))) < 0) {
		if (strcmp(path, "/health") == 0 || strcmp(path, "/metrics") == 0) {
			rq->route = (int)(s->nroutes + (path[1] == 'h' ? R_HEALTH : R_METRICS));
			if (bit != HTTP_GET)
				return send_405(c, rq, HTTP_GET);
			return send_builtin(c, rq, path[1] == 'h' ? R_HEALTH : R_METRICS);
		}
		return send_error(c, rq, 404, "Not Found");
	}
	rq->route = i;
	if ((bit & (int)s->routes[i].methods) == 0)
		return send_405(c, rq, s->routes[i].methods);
	if (bit == HTTP_POST && (s->routes[i].flags & HTTP_JSON) &&
	    !is_json_type(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE)))
		return send_error(c, rq, 415, "Content type not supported");
	if ((v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH)) != NULL) {
		rq->has_body = 1;
		if (strtoull(v, NULL, 10) > s->max_body)
			return send_error(c, rq, 413, "Request body too large");
	}
	if ((v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING)) != NULL && strcasestr(v, "chunked"))
		rq->has_body = 1;
	return MHD_YES;
}

/* Last call: decode the body, run the handler. */
static enum MHD_Result
on_complete(struct MHD_Connection *c, struct req *rq, const char *url, const char *method)
{
	struct http_server *s = rq->srv;
	struct http_response resp;
	struct http_request req;
	struct sbuf dec = SBUF_INIT;
	const struct http_route *rt = &s->routes[rq->route];
	enum MHD_Result ret;
	char path[1024];
	int rc;

	rc = http_decode_body(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_ENCODING), rq->body.s ? rq->body.s : "",
	    rq->body.len, s->max_decoded, &dec);
	sbuf_free(&rq->body);
	if (rc != 0) {
		sbuf_free(&dec);
		if (rc == -2)
			return send_error(c, rq, 413, "Decoded request body too large");
		return send_error(c, rq, 400, "Malformed request body encoding");
	}
	match_path(s, url, path, sizeof(path));
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.method_bit = method_bit(method);
	req.path = path;
	req.body = dec.s;
	req.body_len = dec.len;
	req.has_body = rq->has_body || dec.len > 0;
	req.remote_ip = rq->ip;
	req.route_arg = rt->arg;
	req.conn = c;
	memset(&resp, 0, sizeof(resp));
	resp.status = 200;
	rt->fn(&req, &resp);
	sbuf_free(&dec);
	ret = send_handler_response(c, rq, &resp);
	sbuf_free(&resp.body);
	rbuf_unref(resp.shared);
	rbuf_unref(resp.shared_gz);
	stream_drop(&resp.stream);
	return ret;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct http_server *s = cls;
	struct req *rq = *con_cls;

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rq->srv = s;
		rq->t0_us = mono_us();
		rq->ws_ep = -1;
		atomic_fetch_add(&s->inflight, 1);
		*con_cls = rq;
		return on_headers(c, rq, url, method);
	}
	if (rq->answered) {
		/* Answered early (error): drop whatever body still arrives. */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* MHD 0.9.75 cannot answer in the middle of a body: past max_body
		 * the rest is discarded (bounded) and 413 is answered at its end. */
		if (rq->too_big || rq->body.len + *upload_size > s->max_body) {
			if (!rq->too_big)
				sbuf_free(&rq->body);
			rq->too_big = 1;
			rq->discarded += *upload_size;
			*upload_size = 0;
			return rq->discarded > DISCARD_MAX + s->max_body ? MHD_NO : MHD_YES;
		}
		sbuf_add(&rq->body, upload, *upload_size);
		rq->has_body = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return send_error(c, rq, 413, "Request body too large");
	return on_complete(c, rq, url, method);
}

static void
completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct req *rq = *con_cls;

	(void)c;
	(void)toe;
	if (rq == NULL)
		return;
	if (!rq->upgraded)
		atomic_fetch_sub(&s->inflight, 1);
	sbuf_free(&rq->body);
	free(rq);
	*con_cls = NULL;
}

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	log_warnx("http: %s", buf);
}

/* ------------------------------------------------------------------ lifecycle */

static int
listen_socket(const struct listen_addr *addr, int *port_out)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char portstr[16];
	const char *host;
	int fd = -1, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	host = addr->host[0] && strcmp(addr->host, "*") != 0 ? addr->host : NULL;
	snprintf(portstr, sizeof(portstr), "%d", addr->port);
	if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		log_warnx("listen %s:%d: %s", addr->host, addr->port, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
			log_warn("SO_REUSEADDR");
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
			break;
		log_warn("listen %s:%d", addr->host, addr->port);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		*port_out = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* Upgraded WebSocket sessions hold descriptors for hours: allow many. */
static unsigned
connection_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur < 256)
		return 128;
	if (rl.rlim_cur > 1100000)
		return 1000000;
	return (unsigned)(rl.rlim_cur - 100);
}

struct http_server *
http_server_start(const struct config *c, const struct listen_addr *addr,
    const struct http_route *routes, size_t nroutes, struct ws_server *ws)
{
	struct http_server *s;
	unsigned threads = c->http_threads > 0 ? (unsigned)c->http_threads : 1;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("http_server_start");
	s->lfd = -1;
	s->max_body = c->max_body;
	s->max_decoded = c->max_decoded_body ? c->max_decoded_body : c->max_body;
	strlcpy(s->base_path, c->base_path, sizeof(s->base_path));
	s->nroutes = nroutes;
	if ((s->routes = calloc(nroutes + 1, sizeof(*routes))) == NULL ||
	    (s->stats = calloc(nroutes + R_NBUILTIN, sizeof(*s->stats))) == NULL)
		fatal("http_server_start");
	if (nroutes > 0)
		memcpy(s->routes, routes, nroutes * sizeof(*routes));
	pthread_mutex_init(&s->metrics_mtx, NULL);
	if ((s->lfd = listen_socket(addr, &s->port)) == -1)
		goto fail;
	/* a pool of one is no pool: MHD warns about size 0, so leave the option out */
	struct MHD_OptionItem pool[] = {
		{ threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
		    (intptr_t)threads, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};

	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ITC | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG,
	    0, NULL, NULL, access_cb, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->lfd,
	    MHD_OPTION_ARRAY, pool,
	    MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s,
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		log_warnx("cannot start HTTP server on %s:%d", addr->host, addr->port);
		goto fail;
	}
	if (ws != NULL)
		s->ws = ws_server_hold(ws);
	log_info("listening on %s:%d", addr->host[0] ? addr->host : "*", s->port);
	return s;
fail:
	if (s->lfd != -1)
		close(s->lfd);
	pthread_mutex_destroy(&s->metrics_mtx);
	free(s->routes);
	free(s->stats);
	free(s);
	return NULL;
}

int
http_server_port(struct http_server *s)
{
	return s->port;
}

void
http_server_stop(struct http_server *s)
{
	struct timespec ts = { 0, 10 * 1000000 };
	int i;

	if (s == NULL)
		return;
	/* No new connections; requests in flight may finish (bounded wait). */
	MHD_quiesce_daemon(s->mhd);
	for (i = 0; i < DRAIN_MS / 10 && atomic_load(&s->inflight) > 0; i++)
		nanosleep(&ts, NULL);
	/* Upgraded sockets belong to MHD: close them before MHD goes away, and
	 * keep ws alive until no MHD thread can call into it. */
	if (s->ws != NULL)
		ws_server_detach(s->ws);
	MHD_stop_daemon(s->mhd);
	if (s->ws != NULL)
		ws_server_release(s->ws);
	close(s->lfd);
	pthread_mutex_destroy(&s->metrics_mtx);
	free(s->routes);
	free(s->stats);
	free(s);
}

/* ------------------------------------------------------------------ signals */

void
http_block_signals(void)
{
	sigset_t set;

	/* MHD sends with MSG_NOSIGNAL, but a stray SIGPIPE must never kill us. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		fatalx("pthread_sigmask");
}

int
http_wait_for_signal(int timeout_ms)
{
	struct timespec ts;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	for (;;) {
		if (timeout_ms < 0)
			sig = sigwaitinfo(&set, NULL);
		else {
			ts.tv_sec = timeout_ms / 1000;
			ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
			sig = sigtimedwait(&set, NULL, &ts);
		}
		if (sig > 0)
			return sig;
		if (errno == EAGAIN)
			return 0;
		if (errno != EINTR)
			fatal("sigtimedwait");
	}
}
