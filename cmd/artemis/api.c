/*
 * api.c — one request to a daemon, and what its answer means for the exit code:
 * no answer = EXIT_CONNECT (naming the URL), HTTP error or non-JSON =
 * EXIT_FAIL, responseStatus fail = EXIT_FAIL (data-not-found = EXIT_NOTFOUND),
 * with the server's message on stderr.
 */
#include <json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "httpc.h"

#define API_TIMEOUT_MS	10000

const char *
api_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL ||
	    json_object_get_type(v) == json_type_null)
		return NULL;
	return json_object_get_string(v);
}

struct json_object *
api_get(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

int
api_status_code(struct cli *cli, struct json_object *resp)
{
	struct json_object *rs = api_get(resp, "responseStatus");
	const char *status = api_str(rs, "status"), *code = api_str(rs, "errorCode");
	const char *msg = api_str(rs, "message");

	if (rs == NULL || status == NULL) {
		cli_err(cli, "the answer has no responseStatus");
		return EXIT_FAIL;
	}
	if (strcmp(status, "success") == 0)
		return 0;
	cli_err(cli, "server says %s: %s%s%s", status, code ? code : "?",
	    msg && *msg ? ": " : "", msg && *msg ? msg : "");
	if (code && strcmp(code, "data-not-found") == 0)
		return EXIT_NOTFOUND;
	return EXIT_FAIL;
}

int
api_request(struct cli *cli, const char *which, const char *path,
    struct json_object *req, struct json_object **resp)
{
	struct httpc_result res;
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	char base[512];
	const char *body;
	size_t len;
	int rc;

	*resp = NULL;
	if (cli_base_url(cli, which, base, sizeof(base)) == NULL)
		return EXIT_FAIL;
	memset(&res, 0, sizeof(res));
	if (req) {
		body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE);
		len = strlen(body);
		rc = httpc_post_json(base, path, body, len, 0, API_TIMEOUT_MS, &res);
	} else
		rc = httpc_get(base, path, API_TIMEOUT_MS, &res);
	if (rc == -1 || res.status == 0) {
		cli_err(cli, "cannot reach the %s daemon at %s: %s", which, base,
		    res.error[0] ? res.error : "no answer");
		httpc_result_free(&res);
		return EXIT_CONNECT;
	}
	if (res.status != 200) {
		cli_err(cli, "%s%s: HTTP %ld", base, path, res.status);
		httpc_result_free(&res);
		return res.status == 404 ? EXIT_NOTFOUND : EXIT_FAIL;
	}
	tok = json_tokener_new_ex(64);
	if (tok == NULL) {
		httpc_result_free(&res);
		return EXIT_FAIL;
	}
	*resp = json_tokener_parse_ex(tok, res.body.s ? res.body.s : "",
	    (int)res.body.len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	httpc_result_free(&res);
	if (*resp == NULL || jerr != json_tokener_success) {
		cli_err(cli, "%s%s: the answer is not JSON", base, path);
		json_object_put(*resp);
		*resp = NULL;
		return EXIT_FAIL;
	}
	return 0;
}

int
api_call(struct cli *cli, const char *which, const char *path,
    struct json_object *req, struct json_object **resp)
{
	int rc;

	if ((rc = api_request(cli, which, path, req, resp)) != 0)
		return rc;
	if ((rc = api_status_code(cli, *resp)) != 0) {
		json_object_put(*resp);
		*resp = NULL;
	}
	return rc;
}

void
api_print_json(struct cli *cli, struct json_object *o)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= isatty(STDOUT_FILENO) ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN;
	(void)cli;
	printf("%s\n", o ? json_object_to_json_string_ext(o, flags) : "null");
}

void
api_add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

const char *
api_region(struct cli *cli, const char *given)
{
	if (given)
		return given;
	if (cli_config(cli, 0) == -1 || cli->conf.region[0] == '\0')
		return NULL;
	return cli->conf.region;
}

const char *
api_zone(struct cli *cli, const char *given)
{
	if (given)
		return given;
	if (cli_config(cli, 0) == -1 || cli->conf.zone[0] == '\0')
		return NULL;
	return cli->conf.zone;
}

void
api_urlencode(struct sbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_.~", c))
			sbuf_addc(b, (char)c);
		else {
			sbuf_addc(b, '%');
			sbuf_addc(b, hex[c >> 4]);
			sbuf_addc(b, hex[c & 15]);
		}
	}
}
