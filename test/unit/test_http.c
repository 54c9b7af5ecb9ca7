/* test_http.c — http.c over real sockets with libcurl: routing, statuses, body
 * decoding, CORS, HEAD, /health, /metrics, response gzip, keep-alive. */
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <zlib.h>

#include "http.h"
#include "log.h"
#include "tap.h"

static int port;

struct result {
	long		code;
	struct sbuf	body;
	struct sbuf	hdrs;
	long		connects;
	int		curl_rc;
};

struct upload {
	const char	*p;
	size_t		 len;
	size_t		 off;
};

static size_t
write_cb(char *p, size_t sz, size_t n, void *arg)
{
	sbuf_add(arg, p, sz * n);
	return sz * n;
}

static size_t
read_cb(char *buf, size_t sz, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = sz * n;

	if (k > u->len - u->off)
		k = u->len - u->off;
	if (k > 1000)
		k = 1000;	/* several chunks */
	memcpy(buf, u->p + u->off, k);
	u->off += k;
	return k;
}

static CURL *keep;	/* shared handle: keep-alive */

/* body NULL = no body; chunked sends it with Transfer-Encoding: chunked. */
static void
req(struct result *r, const char *method, const char *path, const char **hdrs,
    const void *body, size_t len, int chunked, int gzip_ok)
{
	struct curl_slist *sl = NULL;
	struct upload up = { body, len, 0 };
	char url[512];
	CURL *h = keep;

	memset(r, 0, sizeof(*r));
	curl_easy_reset(h);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	if (gzip_ok)
		curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	for (; hdrs != NULL && *hdrs != NULL; hdrs++)
		sl = curl_slist_append(sl, *hdrs);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		if (chunked) {
			sl = curl_slist_append(sl, "Transfer-Encoding: chunked");
			curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
			curl_easy_setopt(h, CURLOPT_READDATA, &up);
		} else {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
		}
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
	r->curl_rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
	curl_slist_free_all(sl);
	sbuf_addc(&r->body, '\0');
	r->body.len--;
	sbuf_addc(&r->hdrs, '\0');
	r->hdrs.len--;
}

static void
res_free(struct result *r)
{
	sbuf_free(&r->body);
	sbuf_free(&r->hdrs);
}

/* Value of a response header, copied into buf ("" if absent). */
static const char *
hdr(struct result *r, const char *name, char *buf, size_t len)
{
	const char *p = r->hdrs.s;
	size_t n = strlen(name);

	buf[0] = '\0';
	while (p != NULL && *p != '\0') {
		const char *eol = strstr(p, "\r\n");

		if (eol == NULL)
			break;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			size_t k;

			while (*v == ' ')
				v++;
			k = (size_t)(eol - v);
			if (k >= len)
				k = len - 1;
			memcpy(buf, v, k);
			buf[k] = '\0';
		}
		p = eol + 2;
	}
	return buf;
}

/* ------------------------------------------------------------------ handlers */

static void
h_echo(struct http_request *rq, struct http_response *rs)
{
	sbuf_addf(&rs->body, "%d:", rq->has_body);
	sbuf_add(&rs->body, rq->body, rq->body_len);
}

static void
count_cb(const char *v, void *arg)
{
	sbuf_adds(arg, v);
	sbuf_addc(arg, ';');
}

static void
h_get(struct http_request *rq, struct http_response *rs)
{
	const char *x = http_query(rq, "x");

	sbuf_addf(&rs->body, "{\"path\":\"%s\",\"x\":\"%s\",\"all\":\"", rq->path, x ? x : "");
	http_query_each(rq, "x", count_cb, &rs->body);
	sbuf_adds(&rs->body, "\"}");
}

static void
h_big(struct http_request *rq, struct http_response *rs)
{
	int i;

	(void)rq;
	for (i = 0; i < 400; i++)
		sbuf_addf(&rs->body, "line %04d of a big response\n", i);
	rs->content_type = "text/plain";
}

static struct rbuf *shared, *shared_gz, *bigshared, *bigshared_gz;

static void
h_shared(struct http_request *rq, struct http_response *rs)
{
	(void)rq;
	rs->shared = rbuf_ref(shared);
	rs->shared_gz = rbuf_ref(shared_gz);
}

static void
h_bigshared(struct http_request *rq, struct http_response *rs)
{
	(void)rq;
	rs->shared = rbuf_ref(bigshared);
	rs->shared_gz = rbuf_ref(bigshared_gz);
}

static void
h_err(struct http_request *rq, struct http_response *rs)
{
	(void)rq;
	http_error(rs, 400, "bad thing");
}

static void
extra_metrics(struct sbuf *out, void *arg)
{
	sbuf_addf(out, "artemis_test_extra %d\n", *(int *)arg);
}

static struct sbuf
gz(const void *p, size_t len)
{
	struct rbuf *r = http_gzip(p, len);
	struct sbuf b = SBUF_INIT;

	sbuf_add(&b, r->data, r->len);
	rbuf_unref(r);
	return b;
}

static void
test_decode(void)
{
	struct sbuf out = SBUF_INIT, z;
	char big[4096], raw[256];
	z_stream zs;
	int rc;

	z = gz("hello", 5);
	ok(http_decode_body("gzip", z.s, z.len, 100, &out) == 0 && out.len == 5 &&
	    strcmp(out.s, "hello") == 0, "decode gzip");
	sbuf_reset(&out);
	ok(http_decode_body("x-gzip", z.s, z.len, 4, &out) == -2, "decode gzip over max -> -2");
	sbuf_reset(&out);
	z.s[z.len / 2] ^= 0x55;
	z.s[z.len - 5] ^= 0x55;
	ok(http_decode_body("gzip", z.s, z.len, 100, &out) == -1, "corrupt gzip -> -1");
	sbuf_reset(&out);
	ok(http_decode_body("gzip", z.s, 8, 100, &out) == -1, "truncated gzip -> -1");
	sbuf_free(&z);
	sbuf_reset(&out);
	ok(http_decode_body(NULL, "abc", 3, 100, &out) == 0 && strcmp(out.s, "abc") == 0,
	    "identity copy");
	sbuf_reset(&out);
	ok(http_decode_body("identity", "abc", 3, 2, &out) == -2, "identity over max");
	sbuf_reset(&out);
	ok(http_decode_body("br", "abc", 3, 100, &out) == 0 && strcmp(out.s, "abc") == 0,
	    "unknown coding copied (ziplet passes it through)");
	sbuf_reset(&out);
	ok(http_decode_body("x-compress", "abc", 3, 100, &out) == -1, "x-compress -> -1");
	sbuf_reset(&out);
	/* raw deflate */
	memset(big, 'a', sizeof(big));
	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (Bytef *)big;
	zs.avail_in = sizeof(big);
	zs.next_out = (Bytef *)raw;
	zs.avail_out = sizeof(raw);
	rc = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	ok(rc == Z_STREAM_END && http_decode_body("deflate", raw, zs.total_out, 8192, &out) == 0 &&
	    out.len == sizeof(big), "raw deflate");
	sbuf_reset(&out);
	/* zlib-wrapped deflate */
	{
		uLongf dl = sizeof(raw);

		compress2((Bytef *)raw, &dl, (Bytef *)big, sizeof(big), 6);
		ok(http_decode_body("deflate", raw, dl, 8192, &out) == 0 && out.len == sizeof(big),
		    "zlib deflate");
	}
	sbuf_free(&out);
}

int
main(void)
{
	struct http_route routes[] = {
		{ "/api/echo.json", HTTP_POST, HTTP_JSON, h_echo, NULL, NULL },
		{ "/api/get.json", HTTP_GET, 0, h_get, NULL, "get" },
		{ "/api/big", HTTP_GET, 0, h_big, NULL, NULL },
		{ "/api/shared.json", HTTP_GET | HTTP_POST, 0, h_shared, NULL, NULL },
		{ "/api/bigshared.json", HTTP_GET, 0, h_bigshared, NULL, NULL },
		{ "/api/err", HTTP_GET, 0, h_err, NULL, NULL },
	};
	const char *json[] = { "Content-Type: application/json", NULL };
	const char *json_cs[] = { "Content-Type: Application/JSON; charset=UTF-8", NULL };
	const char *textp[] = { "Content-Type: text/plain", NULL };
	const char *jgz[] = { "Content-Type: application/json", "Content-Encoding: gzip", NULL };
	const char *jbr[] = { "Content-Type: application/json", "Content-Encoding: br", NULL };
	const char *pre[] = { "Access-Control-Request-Method: POST",
	    "Access-Control-Request-Headers: content-type", "Origin: http://x", NULL };
	struct listen_addr la = { "127.0.0.1", 0, 1 };
	struct http_server *srv;
	struct config cfg;
	struct result r;
	struct sbuf z, bomb = SBUF_INIT;
	char h[256], *huge;
	int extra = 42;

	log_init("test_http", 0);
	http_block_signals();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_decode();

	config_defaults(&cfg);
	cfg.max_body = 64 * 1024;
	cfg.max_decoded_body = 256 * 1024;
	cfg.http_threads = 2;
	shared = rbuf_new("{\"shared\":true}", 15);
	shared_gz = http_gzip(shared->data, shared->len);
	{
		char big[1100];

		memset(big, ' ', sizeof(big));
		big[0] = '{';
		big[sizeof(big) - 1] = '}';
		bigshared = rbuf_new(big, sizeof(big));
		bigshared_gz = http_gzip(bigshared->data, bigshared->len);
	}
	srv = http_server_start(&cfg, &la, routes, sizeof(routes) / sizeof(routes[0]), NULL);
	ok(srv != NULL, "server started");
	if (srv == NULL)
		return done_testing();
	port = http_server_port(srv);
	ok(port > 0, "bound port %d", port);
	http_server_set_metrics(srv, extra_metrics, &extra);
	keep = curl_easy_init();

	req(&r, "GET", "/api/get.json?x=1&x=2", NULL, NULL, 0, 0, 0);
	ok(r.code == 200, "GET 200 (%ld)", r.code);
	ok(strcmp(hdr(&r, "Vary", h, sizeof(h)), "Accept-Encoding") == 0,
	    "Vary: Accept-Encoding on a plain answer too (Java's ziplet)");
	ok(strcmp(r.body.s, "{\"path\":\"/api/get.json\",\"x\":\"1\",\"all\":\"1;2;\"}") == 0,
	    "query params: %s", r.body.s);
	ok(strcmp(hdr(&r, "Content-Type", h, sizeof(h)), "application/json;charset=UTF-8") == 0,
	    "json content type: %s", h);
	ok(strcmp(hdr(&r, "Access-Control-Allow-Origin", h, sizeof(h)), "*") == 0, "CORS origin");
	ok(strcmp(hdr(&r, "Access-Control-Expose-Headers", h, sizeof(h)), "*") == 0, "CORS expose");
	ok(strcmp(hdr(&r, "Access-Control-Allow-Credentials", h, sizeof(h)), "true") == 0,
	    "CORS credentials");
	res_free(&r);

	req(&r, "GET", "/api/get.json/", NULL, NULL, 0, 0, 0);
	ok(r.code == 200 && strstr(r.body.s, "\"path\":\"/api/get.json\"") != NULL,
	    "trailing slash tolerated");
	ok(r.connects == 0, "keep-alive: connection reused");
	res_free(&r);

	/* Tomcat collapses "//" and drops path parameters before Spring matches */
	req(&r, "GET", "/api//get.json//;jsessionid=1", NULL, NULL, 0, 0, 0);
	ok(r.code == 200 && strstr(r.body.s, "\"path\":\"/api/get.json\"") != NULL,
	    "'//' collapsed, ';...' dropped (%ld)", r.code);
	res_free(&r);
	req(&r, "GET", "/api/get.json.x", NULL, NULL, 0, 0, 0);
	ok(r.code == 404, "another path is another path (%ld)", r.code);
	res_free(&r);
	req(&r, "GET", "/API/get.json", NULL, NULL, 0, 0, 0);
	ok(r.code == 404, "paths are case-sensitive");
	res_free(&r);

	req(&r, "POST", "/api/get.json", json, "{}", 2, 0, 0);
	ok(r.code == 405, "wrong method 405 (%ld)", r.code);
	ok(strcmp(hdr(&r, "Allow", h, sizeof(h)), "GET") == 0,
	    "Allow names the declared methods only, as Spring: %s", h);
	res_free(&r);

	req(&r, "HEAD", "/api/get.json?x=5", NULL, NULL, 0, 0, 0);
	ok(r.code == 200 && r.body.len == 0, "HEAD on GET route (%ld)", r.code);
	ok(atoi(hdr(&r, "Content-Length", h, sizeof(h))) > 0, "HEAD Content-Length %s", h);
	res_free(&r);

	req(&r, "POST", "/api/echo.json", json, "{\"a\":1}", 7, 0, 0);
	ok(r.code == 200 && strcmp(r.body.s, "1:{\"a\":1}") == 0, "POST echo: %s", r.body.s);
	res_free(&r);
	req(&r, "POST", "/api/echo.json", json_cs, "{}", 2, 0, 0);
	ok(r.code == 200, "content type with charset, any case (%ld)", r.code);
	res_free(&r);
	req(&r, "POST", "/api/echo.json", textp, "{}", 2, 0, 0);
	ok(r.code == 415, "text/plain -> 415 (%ld)", r.code);
	res_free(&r);
	{
		const char *noct[] = { "Content-Type:", NULL };

		req(&r, "POST", "/api/echo.json", noct, "{}", 2, 0, 0);
		ok(r.code == 415, "no Content-Type -> 415 (%ld)", r.code);
		res_free(&r);
	}
	/* ziplet inflates gzip/x-gzip/deflate only; other codings pass through */
	req(&r, "POST", "/api/echo.json", jbr, "{}", 2, 0, 0);
	ok(r.code == 200 && strcmp(r.body.s, "1:{}") == 0,
	    "unknown Content-Encoding: body read as it is (%ld)", r.code);
	res_free(&r);
	req(&r, "POST", "/api/shared.json", NULL, "", 0, 0, 0);
	ok(r.code == 200, "POST route without HTTP_JSON takes any type (%ld)", r.code);
	res_free(&r);

	/* gzip + chunked, the Java client's way */
	{
		const char *msg = "{\"instances\":[{\"serviceId\":\"svc\",\"instanceId\":\"i-1\"}]}";

		z = gz(msg, strlen(msg));
		req(&r, "POST", "/api/echo.json", jgz, z.s, z.len, 1, 0);
		ok(r.code == 200 && strncmp(r.body.s, "1:", 2) == 0 &&
		    strcmp(r.body.s + 2, msg) == 0, "gzip + chunked body decoded: %s", r.body.s);
		res_free(&r);
		req(&r, "POST", "/api/echo.json", jgz, z.s, z.len, 0, 0);
		ok(r.code == 200 && strcmp(r.body.s + 2, msg) == 0, "gzip with Content-Length");
		res_free(&r);
		z.s[z.len / 2] ^= 0x5a;
		z.s[z.len - 6] ^= 0x5a;
		req(&r, "POST", "/api/echo.json", jgz, z.s, z.len, 0, 0);
		ok(r.code == 400, "corrupt gzip -> 400 (%ld)", r.code);
		res_free(&r);
		sbuf_free(&z);
	}
	/* gzip bomb: 8 MiB of zeros, small on the wire, over max_decoded_body */
	huge = calloc(1, 8 << 20);
	z = gz(huge, 8 << 20);
	ok(z.len < cfg.max_body, "bomb is %zu bytes compressed", z.len);
	req(&r, "POST", "/api/echo.json", jgz, z.s, z.len, 1, 0);
	ok(r.code == 413, "gzip bomb -> 413 (%ld)", r.code);
	res_free(&r);
	sbuf_free(&z);
	/* over max_body, by Content-Length and chunked */
	memset(huge, 'x', 200 * 1024);
	req(&r, "POST", "/api/echo.json", json, huge, 200 * 1024, 0, 0);
	ok(r.code == 413, "body over max_body -> 413 (%ld, curl %d)", r.code, r.curl_rc);
	res_free(&r);
	req(&r, "POST", "/api/echo.json", json, huge, 200 * 1024, 1, 0);
	ok(r.code == 413, "chunked body over max_body -> 413 (%ld, curl %d)", r.code, r.curl_rc);
	res_free(&r);
	req(&r, "POST", "/api/echo.json", json, huge, 60 * 1024, 1, 0);
	ok(r.code == 200 && r.body.len == 60 * 1024 + 2, "chunked body under max_body (%ld)",
	    r.code);
	res_free(&r);
	free(huge);
	sbuf_free(&bomb);

	req(&r, "OPTIONS", "/api/registry/register.json", pre, NULL, 0, 0, 0);
	ok(r.code == 200 && r.body.len == 0, "OPTIONS 200 empty (%ld)", r.code);
	ok(strcmp(hdr(&r, "Access-Control-Allow-Methods", h, sizeof(h)), "POST") == 0,
	    "preflight methods: %s", h);
	ok(strcmp(hdr(&r, "Access-Control-Allow-Headers", h, sizeof(h)), "content-type") == 0,
	    "preflight headers: %s", h);
	ok(strcmp(hdr(&r, "Access-Control-Max-Age", h, sizeof(h)), "3600") == 0, "max age");
	ok(strcmp(hdr(&r, "Access-Control-Allow-Origin", h, sizeof(h)), "*") == 0,
	    "preflight origin");
	res_free(&r);
	req(&r, "OPTIONS", "/x", NULL, NULL, 0, 0, 0);
	ok(r.code == 200 && hdr(&r, "Access-Control-Allow-Methods", h, sizeof(h))[0] == '\0',
	    "OPTIONS without request headers: no Allow-Methods");
	res_free(&r);

	req(&r, "GET", "/api/big", NULL, NULL, 0, 0, 1);
	ok(r.code == 200 && r.body.len == 400 * 28, "big body decoded by curl (%zu)", r.body.len);
	ok(strcmp(hdr(&r, "Content-Encoding", h, sizeof(h)), "gzip") == 0, "gzip response");
	ok(strcmp(hdr(&r, "Vary", h, sizeof(h)), "Accept-Encoding") == 0, "Vary");
	ok(strcmp(hdr(&r, "Content-Type", h, sizeof(h)), "text/plain") == 0, "handler type");
	res_free(&r);
	req(&r, "GET", "/api/big", NULL, NULL, 0, 0, 0);
	ok(r.code == 200 && hdr(&r, "Content-Encoding", h, sizeof(h))[0] == '\0' &&
	    r.body.len == 400 * 28, "no gzip without Accept-Encoding");
	res_free(&r);
	req(&r, "GET", "/api/get.json", NULL, NULL, 0, 0, 1);
	ok(hdr(&r, "Content-Encoding", h, sizeof(h))[0] == '\0', "small body not gzipped");
	res_free(&r);
	req(&r, "GET", "/api/bigshared.json", NULL, NULL, 0, 0, 1);
	ok(r.code == 200 && r.body.len == 1100 && r.body.s[0] == '{' &&
	    strcmp(hdr(&r, "Content-Encoding", h, sizeof(h)), "gzip") == 0,
	    "shared_gz used when accepted");
	res_free(&r);
	req(&r, "GET", "/api/shared.json", NULL, NULL, 0, 0, 1);
	ok(r.code == 200 && strcmp(r.body.s, "{\"shared\":true}") == 0 &&
	    hdr(&r, "Content-Encoding", h, sizeof(h))[0] == '\0',
	    "shared_gz of a body under 1 KiB not used (ziplet's threshold)");
	ok(strcmp(hdr(&r, "Vary", h, sizeof(h)), "Accept-Encoding") == 0, "Vary on it");
	res_free(&r);
	req(&r, "GET", "/api/shared.json", NULL, NULL, 0, 0, 0);
	ok(r.code == 200 && strcmp(r.body.s, "{\"shared\":true}") == 0 &&
	    hdr(&r, "Content-Encoding", h, sizeof(h))[0] == '\0', "shared plain");
	res_free(&r);
	req(&r, "GET", "/api/err", NULL, NULL, 0, 0, 0);
	ok(r.code == 400 && strcmp(r.body.s, "bad thing\n") == 0, "http_error");
	res_free(&r);

	req(&r, "GET", "/health", NULL, NULL, 0, 0, 0);
	ok(r.code == 200 && strcmp(r.body.s, "ok\n") == 0, "/health");
	ok(strncmp(hdr(&r, "Content-Type", h, sizeof(h)), "text/plain", 10) == 0, "health type");
	res_free(&r);
	req(&r, "GET", "/metrics", NULL, NULL, 0, 0, 0);
	ok(r.code == 200, "/metrics");
	ok(strstr(r.body.s, "artemis_http_requests_total{route=\"get\",code=\"200\"} ") != NULL,
	    "request counter by route and code");
	ok(strstr(r.body.s, "artemis_http_requests_total{route=\"/api/echo.json\",code=\"415\"} 2") != NULL,
	    "415 counted");
	ok(strstr(r.body.s, "artemis_http_request_duration_seconds_bucket{route=\"get\",le=\"+Inf\"}") != NULL,
	    "latency histogram");
	ok(strstr(r.body.s, "artemis_test_extra 42\n") != NULL, "daemon metrics appended");
	res_free(&r);

	curl_easy_cleanup(keep);
	http_server_stop(srv);
	rbuf_unref(shared);
	rbuf_unref(shared_gz);
	rbuf_unref(bigshared);
	rbuf_unref(bigshared_gz);
	curl_global_cleanup();
	return done_testing();
}
