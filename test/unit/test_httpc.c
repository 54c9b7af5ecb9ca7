/* test_httpc.c — the libcurl client against an in-process libmicrohttpd server. */
#include <string.h>

#include <microhttpd.h>
#include <zlib.h>

#include "httpc.h"
#include "sbuf.h"
#include "tap.h"

struct seen {
	char		encoding[32];
	char		ctype[64];
	char		method[8];
	struct sbuf	raw;
};

static struct seen last;

/* Gunzip a request body; -1 if it is not gzip. */
static int
gunzip(const char *p, size_t n, struct sbuf *out)
{
	z_stream zs;
	char buf[4096];
	int rv;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)(uintptr_t)p;
	zs.avail_in = (uInt)n;
	do {
		zs.next_out = (Bytef *)buf;
		zs.avail_out = sizeof(buf);
		rv = inflate(&zs, Z_NO_FLUSH);
		if (rv != Z_OK && rv != Z_STREAM_END)
			break;
		sbuf_add(out, buf, sizeof(buf) - zs.avail_out);
	} while (rv != Z_STREAM_END);
	inflateEnd(&zs);
	return rv == Z_STREAM_END ? 0 : -1;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct MHD_Response *r;
	struct sbuf body = SBUF_INIT, plain = SBUF_INIT;
	const char *v;
	unsigned code = 200;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	if (*state == NULL) {		/* headers only: wait for the body */
		*state = &last;
		sbuf_reset(&last.raw);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		sbuf_add(&last.raw, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Encoding");
	snprintf(last.encoding, sizeof(last.encoding), "%s", v ? v : "");
	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	snprintf(last.ctype, sizeof(last.ctype), "%s", v ? v : "");
	snprintf(last.method, sizeof(last.method), "%s", method);
	if (strcmp(url, "/base/echo.json") == 0) {
		if (strcmp(last.encoding, "gzip") == 0) {
			if (gunzip(last.raw.s, last.raw.len, &plain) == -1)
				sbuf_adds(&plain, "BAD GZIP");
		} else if (last.raw.len)
			sbuf_add(&plain, last.raw.s, last.raw.len);
		sbuf_adds(&body, "{\"got\":");
		sbuf_add(&body, plain.s ? plain.s : "null", plain.s ? plain.len : 4);
		sbuf_adds(&body, "}");
	} else if (strcmp(url, "/base/big.json") == 0) {
		sbuf_reserve(&body, 100000);
		memset(body.s, 'x', 100000);
		body.len = 100000;
	} else {
		code = 404;
		sbuf_adds(&body, "nope");
	}
	r = MHD_create_response_from_buffer(body.len, body.s, MHD_RESPMEM_MUST_COPY);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	sbuf_free(&body);
	sbuf_free(&plain);
	return ret;
}

int
main(void)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct httpc_result res;
	char base[64];
	const char *json = "{\"instances\":[{\"serviceId\":\"a\"}]}";

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL,
	    MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
	ok(d != NULL, "test server starts");
	if (d == NULL)
		return done_testing();
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u/base/", info->port);

	ok(httpc_post_json(base, "/echo.json", json, strlen(json), 1, 5000, &res) == 0,
	    "gzip POST answered");
	ok(res.status == 200, "status 200");
	ok(strcmp(last.encoding, "gzip") == 0, "Content-Encoding: gzip sent");
	ok(strncmp(last.ctype, "application/json", 16) == 0, "Content-Type sent");
	ok(res.body.s && strcmp(res.body.s, "{\"got\":{\"instances\":[{\"serviceId\":\"a\"}]}}") == 0,
	    "server decoded the gzip body: %s", res.body.s ? res.body.s : "(null)");
	httpc_result_free(&res);

	ok(httpc_post_json(base, "echo.json", json, strlen(json), 0, 5000, &res) == 0 &&
	    res.status == 200 && last.encoding[0] == '\0' &&
	    strstr(res.body.s, "serviceId") != NULL, "plain POST, joined without a slash");
	httpc_result_free(&res);

	ok(httpc_get(base, "/big.json", 5000, &res) == 0 && res.status == 200 &&
	    res.body.len == 100000 && strcmp(last.method, "GET") == 0, "GET of 100 kB");
	httpc_result_free(&res);

	ok(httpc_get(base, "missing.json", 5000, &res) == 0 && res.status == 404,
	    "404 is a response, not a transport error");
	httpc_result_free(&res);

	MHD_stop_daemon(d);
	ok(httpc_get(base, "echo.json", 2000, &res) == -1 && res.status == 0 &&
	    res.error[0] != '\0', "transport error reported: %s", res.error);
	httpc_result_free(&res);
	sbuf_free(&last.raw);
	return done_testing();
}
