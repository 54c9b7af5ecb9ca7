/*
 * httpc.c — libcurl client for the CLI and the replicator (see httpc.h).
 *
 * Each thread keeps one easy handle, reset between calls, so connections to the same
 * peer are reused (the replicator sends a steady stream of small requests). Bodies
 * are gzip-compressed the way caravan's executeGzippedJson does; responses are
 * decoded by libcurl and bounded in size.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <zlib.h>

#include "httpc.h"
#include "log.h"

#define HTTPC_MAX_RESPONSE	(64u * 1024 * 1024)	/* bytes, decoded */
#define HTTPC_CONNECT_MAX_MS	1000L
#define HTTPC_MAX_HEADERS	(16u * 1024)		/* bytes kept of response headers */

_Static_assert(sizeof(((struct httpc_result *)0)->error) >= CURL_ERROR_SIZE,
    "httpc_result.error must hold a libcurl error buffer");

static pthread_once_t	global_once = PTHREAD_ONCE_INIT;
static pthread_key_t	handle_key;
static __thread CURL	*handle_cached;
static int		global_ok;

static void
handle_destroy(void *h)
{
	curl_easy_cleanup(h);
}

static void
global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
		log_warnx("httpc: curl_global_init failed");
		return;
	}
	if (pthread_key_create(&handle_key, handle_destroy) != 0) {
		log_warnx("httpc: pthread_key_create failed");
		return;
	}
	global_ok = 1;
}

static CURL *
handle_get(void)
{
	if (pthread_once(&global_once, global_init) != 0 || !global_ok)
		return NULL;
	if (handle_cached == NULL) {
		if ((handle_cached = curl_easy_init()) == NULL)
			return NULL;
		if (pthread_setspecific(handle_key, handle_cached) != 0) {
			curl_easy_cleanup(handle_cached);
			handle_cached = NULL;
			return NULL;
		}
	} else
		curl_easy_reset(handle_cached);	/* keeps the connection cache */
	return handle_cached;
}

/* base + "/" + path, with exactly one '/' at the joint. */
static void
join_url(struct sbuf *url, const char *base, const char *path)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	sbuf_add(url, base, n);
	if (path == NULL || *path == '\0')
		return;
	while (*path == '/')
		path++;
	sbuf_addc(url, '/');
	sbuf_adds(url, path);
}

/* gzip (RFC 1952) of p into out; -1 on zlib failure. */
static int
gzip_body(const char *p, size_t len, struct sbuf *out)
{
	z_stream zs;
	uLong bound;
	int rv;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&zs, (uLong)len) + 32;	/* gzip header and trailer */
	sbuf_reset(out);
	sbuf_reserve(out, bound);
	zs.next_in = (Bytef *)(uintptr_t)p;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out->s;
	zs.avail_out = (uInt)bound;
	rv = deflate(&zs, Z_FINISH);
	if (rv != Z_STREAM_END) {
		deflateEnd(&zs);
		return -1;
	}
	out->len = zs.total_out;
	out->s[out->len] = '\0';
	deflateEnd(&zs);
	return 0;
}

struct sink {
	struct sbuf	*body;
	int		 overflow;
};

static size_t
on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *k = arg;
	size_t n = size * nmemb;

	if (k->body->len + n > HTTPC_MAX_RESPONSE) {
		k->overflow = 1;
		return 0;	/* aborts the transfer */
	}
	sbuf_add(k->body, p, n);
	return n;
}

/* The final response's headers (libcurl parsed them), as many as fit. */
static void
keep_headers(CURL *c, struct sbuf *out)
{
	struct curl_header *h, *prev = NULL;
	size_t nl, vl;

	while ((h = curl_easy_nextheader(c, CURLH_HEADER, -1, prev)) != NULL) {
		prev = h;
		nl = strlen(h->name);
		vl = strlen(h->value);
		if (out->len + nl + vl + 2 > HTTPC_MAX_HEADERS)
			continue;
		sbuf_add(out, h->name, nl + 1);
		sbuf_add(out, h->value, vl + 1);
	}
}

static int
perform(const char *base, const char *path, const char *json, size_t len, int gzip,
    long timeout_ms, struct httpc_result *res)
{
	struct sbuf url = SBUF_INIT, gz = SBUF_INIT;
	struct curl_slist *hdrs = NULL, *h;
	struct sink sink;
	CURL *c;
	CURLcode cc;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if ((c = handle_get()) == NULL) {
		snprintf(res->error, sizeof(res->error), "libcurl unavailable");
		return -1;
	}
	join_url(&url, base, path);
	sink.body = &res->body;
	sink.overflow = 0;
	if (timeout_ms <= 0)
		timeout_ms = 10000;

	curl_easy_setopt(c, CURLOPT_URL, url.s);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms < HTTPC_CONNECT_MAX_MS ? timeout_ms : HTTPC_CONNECT_MAX_MS);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, res->error);

	if ((h = curl_slist_append(hdrs, "Accept: application/json")) == NULL)
		goto out;
	hdrs = h;
	if (json != NULL) {
		if (gzip) {
			if (gzip_body(json, len, &gz) == -1) {
				snprintf(res->error, sizeof(res->error), "gzip failed");
				goto out;
			}
			json = gz.s;
			len = gz.len;
			if ((h = curl_slist_append(hdrs, "Content-Encoding: gzip")) == NULL)
				goto out;
			hdrs = h;
		}
		if ((h = curl_slist_append(hdrs, "Content-Type: application/json")) == NULL ||
		    (hdrs = h, h = curl_slist_append(hdrs, "Expect:")) == NULL)
			goto out;
		hdrs = h;
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		if (sink.overflow)
			snprintf(res->error, sizeof(res->error),
			    "response larger than %u bytes", HTTPC_MAX_RESPONSE);
		else if (res->error[0] == '\0')
			snprintf(res->error, sizeof(res->error), "%s",
			    curl_easy_strerror(cc));
		res->status = 0;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	sbuf_reserve(&res->body, 0);	/* body.s is a string even when empty */
	keep_headers(c, &res->headers);
	rc = 0;
out:
	/* the handle outlives this call: drop pointers into our stack and buffers */
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hdrs);
	sbuf_free(&gz);
	sbuf_free(&url);
	if (rc == -1 && res->error[0] == '\0')
		snprintf(res->error, sizeof(res->error), "request failed");
	return rc;
}

int
httpc_post_json(const char *base, const char *path, const char *json, size_t len,
    int gzip, long timeout_ms, struct httpc_result *res)
{
	return perform(base, path, json, len, gzip, timeout_ms, res);
}

int
httpc_get(const char *base, const char *path, long timeout_ms, struct httpc_result *res)
{
	return perform(base, path, NULL, 0, 0, timeout_ms, res);
}

void
httpc_result_free(struct httpc_result *res)
{
	if (res == NULL)
		return;
	sbuf_free(&res->body);
	sbuf_free(&res->headers);
	res->status = 0;
	res->error[0] = '\0';
}

const char *
httpc_header(const struct httpc_result *res, const char *name)
{
	const char *p = res->headers.s, *end = p + res->headers.len, *value;

	while (p != NULL && p < end) {
		value = p + strlen(p) + 1;
		if (value >= end)
			break;
		if (strcasecmp(p, name) == 0)
			return value;
		p = value + strlen(value) + 1;
	}
	return NULL;
}
