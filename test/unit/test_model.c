/* test_model.c — golden tests of the wire model codec (libcommon/model.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "model.h"
#include "tap.h"

#define INSTANCE_A "{\"groupId\":null,\"healthCheckUrl\":\"http://10.32.20.15:8080/checkhealth.json\",\"instanceId\":\"10.32.20.15:8080\",\"ip\":\"10.32.20.15\",\"machineName\":\"app-host-015\",\"metadata\":{\"appid\":\"100001\"},\"port\":8080,\"protocol\":\"http\",\"regionId\":\"sha\",\"serviceId\":\"framework.soa.testservice\",\"status\":\"up\",\"url\":\"http://10.32.20.15:8080/testservice/\",\"zoneId\":\"sha-z1\"}"

#define SUCCESS "{\"errorCode\":\"success\",\"message\":\"\",\"status\":\"success\"}"

/* Decode one instance from text; 0 ok, -1 refused (err filled). */
static int
decode(const char *text, struct instance *in, char *err, size_t errlen)
{
	struct json_object *o;
	int is_null, rc;

	memset(in, 0, sizeof(*in));
	if ((o = model_parse(text, strlen(text), err, errlen)) == NULL)
		return -1;
	rc = instance_from_json(o, in, &is_null, err, errlen);
	json_object_put(o);
	return rc;
}

/* Decode and re-encode; returns a malloc'ed string or NULL. */
static char *
roundtrip(const char *text)
{
	struct instance in;
	struct sbuf b = SBUF_INIT;
	char err[256];

	if (decode(text, &in, err, sizeof(err)) == -1)
		return NULL;
	instance_to_json(&in, &b);
	instance_free(&in);
	return sbuf_steal(&b, NULL);
}

static int
roundtrip_is(const char *in, const char *want)
{
	char *got = roundtrip(in);
	int same = got != NULL && strcmp(got, want) == 0;

	if (!same)
		printf("# in:   %s\n# want: %s\n# got:  %s\n", in, want, got ? got : "(refused)");
	free(got);
	return same;
}

static int
refused(const char *text)
{
	struct instance in;
	char err[256] = "";
	int rc = decode(text, &in, err, sizeof(err));

	if (rc == 0)
		instance_free(&in);
	return rc == -1 && err[0] != '\0';
}

static void
test_fixtures(void)
{
	FILE *f = fopen("test/fixtures/model/instances.txt", "r");
	char *line = NULL, *input = NULL;
	size_t cap = 0;
	ssize_t n;
	int count = 0;

	ok(f != NULL, "fixtures file opens");
	if (f == NULL)
		return;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[0] == '#')
			continue;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (input == NULL) {
			input = strdup(line);
			continue;
		}
		ok(roundtrip_is(input, line), "fixture %d round-trips byte for byte", ++count);
		free(input);
		input = NULL;
	}
	ok(count >= 10, "fixtures: %d instances checked", count);
	free(input);
	free(line);
	fclose(f);
}

static void
test_golden(void)
{
	struct instance in;
	struct sbuf b = SBUF_INIT, d = SBUF_INIT;
	struct response_status partial = { EC_PARTIAL_FAIL, "", ST_PARTIAL_FAIL };
	struct service_json sv;
	char err[256];

	ok(roundtrip_is(INSTANCE_A, INSTANCE_A), "INSTANCE_A round-trips");

	/* §3.5 change */
	ok(decode(INSTANCE_A, &in, err, sizeof(err)) == 0, "INSTANCE_A decodes");
	instance_to_json(&in, &d);
	change_to_json(&b, 1718000123456LL, CHANGE_NEW, d.s, d.len);
	ok(strcmp(b.s, "{\"changeTime\":1718000123456,\"changeType\":\"new\",\"instance\":"
	    INSTANCE_A "}") == 0, "§3.5 InstanceChange: %s", b.s);
	sbuf_reset(&b);
	instance_display(&in, &b);
	ok(strcmp(b.s, "sha/sha-z1/framework.soa.testservice/10.32.20.15:8080") == 0,
	    "§3.1 display: %s", b.s);
	sbuf_reset(&b);

	/* §5.4 lookup response, assembled */
	memset(&sv, 0, sizeof(sv));
	sbuf_reset(&b);
	sbuf_adds(&b, "{\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, &b);
	sbuf_adds(&b, ",\"services\":[");
	{
		struct sbuf arr = SBUF_INIT;

		sbuf_addc(&arr, '[');
		sbuf_add(&arr, d.s, d.len);
		sbuf_addc(&arr, ']');
		sv.service_id = "framework.soa.testservice";
		sv.instances = arr.s;
		sv.logic_instances = "[]";
		sv.route_rules = "[]";
		service_to_json(&sv, &b);
		sbuf_free(&arr);
	}
	sbuf_adds(&b, "]}");
	ok(strcmp(b.s, "{\"responseStatus\":" SUCCESS ",\"services\":[{\"instances\":["
	    INSTANCE_A "],\"logicInstances\":[],\"metadata\":null,\"routeRules\":[],"
	    "\"serviceId\":\"framework.soa.testservice\"}]}") == 0, "§5.4 lookup response");
	instance_free(&in);

	/* §5.5 unknown service placeholder */
	sbuf_reset(&b);
	memset(&sv, 0, sizeof(sv));
	sv.service_id = "x";
	service_to_json(&sv, &b);
	ok(strcmp(b.s, "{\"instances\":null,\"logicInstances\":null,\"metadata\":null,"
	    "\"routeRules\":null,\"serviceId\":\"x\"}") == 0, "service placeholder");

	/* §3.7 and §6.8 */
	sbuf_reset(&b);
	response_status_to_json(&RS_SUCCESS, &b);
	ok(strcmp(b.s, SUCCESS) == 0, "§3.7 success status");
	sbuf_reset(&b);
	response_status_fail(&b, EC_RATE_LIMITED, MSG_RATE_LIMITED);
	ok(strcmp(b.s, "{\"errorCode\":\"rate-limited\",\"message\":\"Request is rate "
	    "limited.\",\"status\":\"fail\"}") == 0, "§6.8 rate limited: %s", b.s);
	sbuf_reset(&b);
	response_status_fail(&b, EC_INTERNAL, NULL);
	ok(strcmp(b.s, "{\"errorCode\":\"internal-service-error\",\"message\":null,"
	    "\"status\":\"fail\"}") == 0, "null message: %s", b.s);

	/* java-exchanges #8: heartbeat with an unknown instance, assembled */
	sbuf_reset(&b);
	sbuf_reset(&d);
	ok(decode("{\"regionId\":\"SHA\",\"zoneId\":\"sha-z1\",\"serviceId\":\"demo.service\","
	    "\"instanceId\":\"never-registered\",\"machineName\":\"host-never-registered\","
	    "\"ip\":\"127.0.0.1\",\"port\":9999,\"protocol\":\"http\",\"url\":"
	    "\"http://127.0.0.1:9999/never-registered\",\"healthCheckUrl\":"
	    "\"http://127.0.0.1:9999/never-registered/health\",\"status\":\"up\","
	    "\"metadata\":{\"k\":\"v\"}}", &in, err, sizeof(err)) == 0, "#8 decodes");
	instance_display(&in, &d);
	sbuf_adds(&b, "{\"failedInstances\":[{\"errorCode\":\"data-not-found\",\"errorMessage\":");
	sbuf_adds(&d, ": " MSG_NOT_EXISTING);
	model_json_string(&b, d.s);
	sbuf_adds(&b, ",\"instance\":");
	instance_to_json(&in, &b);
	sbuf_adds(&b, "}],\"responseStatus\":");
	response_status_to_json(&partial, &b);
	sbuf_addc(&b, '}');
	ok(strcmp(b.s, "{\"failedInstances\":[{\"errorCode\":\"data-not-found\",\"errorMessage\":\"sha/sha-z1/demo.service/never-registered: Instance is not exising! Need re-register.\",\"instance\":{\"groupId\":null,\"healthCheckUrl\":\"http://127.0.0.1:9999/never-registered/health\",\"instanceId\":\"never-registered\",\"ip\":\"127.0.0.1\",\"machineName\":\"host-never-registered\",\"metadata\":{\"k\":\"v\"},\"port\":9999,\"protocol\":\"http\",\"regionId\":\"SHA\",\"serviceId\":\"demo.service\",\"status\":\"up\",\"url\":\"http://127.0.0.1:9999/never-registered\",\"zoneId\":\"sha-z1\"}}],\"responseStatus\":{\"errorCode\":\"partial_fail\",\"message\":\"\",\"status\":\"partial_fail\"}}") == 0,
	    "java-exchanges #8 heartbeat response byte for byte");
	instance_free(&in);

	/* java-exchanges #9: display with a null instanceId */
	sbuf_reset(&d);
	ok(decode("{\"regionId\":\"SHA\",\"zoneId\":\"sha-z1\",\"serviceId\":\"demo.service\"}",
	    &in, err, sizeof(err)) == 0, "#9 decodes");
	instance_display(&in, &d);
	ok(strcmp(d.s, "sha/sha-z1/demo.service/null") == 0, "#9 display: %s", d.s);
	instance_free(&in);

	sbuf_free(&b);
	sbuf_free(&d);
}

static void
test_reload(void)
{
	struct sbuf b = SBUF_INIT;

	reload_instance_json(&b, "svc.a");
	ok(strcmp(b.s, "{\"groupId\":null,\"healthCheckUrl\":null,\"instanceId\":\"reload\","
	    "\"ip\":\"0.0.0.0\",\"machineName\":null,\"metadata\":null,\"port\":0,"
	    "\"protocol\":null,\"regionId\":null,\"serviceId\":\"svc.a\",\"status\":null,"
	    "\"url\":\"http://svc.a/reload\",\"zoneId\":null}") == 0, "reload instance: %s",
	    b.s);
	sbuf_free(&b);
}

static void
test_case_and_unknown(void)
{
	struct instance in;
	struct sbuf b = SBUF_INIT;
	char err[256];

	ok(roundtrip_is("{\"SERVICEID\":\"S\",\"InstanceId\":\"i\",\"PORT\":1,\"MetaData\":"
	    "{\"K\":\"V\"},\"unknown\":{\"deep\":[1,2,{}]},\"zoneid\":\"z\"}",
	    "{\"groupId\":null,\"healthCheckUrl\":null,\"instanceId\":\"i\",\"ip\":null,"
	    "\"machineName\":null,\"metadata\":{\"K\":\"V\"},\"port\":1,\"protocol\":null,"
	    "\"regionId\":null,\"serviceId\":\"S\",\"status\":null,\"url\":null,"
	    "\"zoneId\":\"z\"}"), "case-insensitive names, unknown fields ignored");
	ok(decode("{\"serviceId\":\"a\",\"ServiceID\":\"b\"}", &in, err, sizeof(err)) == 0 &&
	    strcmp(in.service_id, "b") == 0, "last duplicate (any case) wins");
	instance_free(&in);
	ok(decode("{\"metadata\":{\"a\":\"1\",\"b\":null,\"c\":2}}", &in, err,
	    sizeof(err)) == 0 && in.nmetadata == 3 && in.metadata[1].value == NULL &&
	    strcmp(in.metadata[2].value, "2") == 0, "metadata null values kept, coerced");
	instance_free(&in);
	ok(decode("{\"metadata\":null}", &in, err, sizeof(err)) == 0 && !in.has_metadata,
	    "metadata null");
	instance_free(&in);
	ok(decode("{\"metadata\":{}}", &in, err, sizeof(err)) == 0 && in.has_metadata &&
	    in.nmetadata == 0, "metadata empty");
	instance_to_json(&in, &b);
	ok(strstr(b.s, "\"metadata\":{},") != NULL, "empty metadata encodes {}");
	instance_free(&in);
	sbuf_free(&b);

	{
		struct json_object *o = model_parse("{\"a\":1,\"A\":2}", 13, err, sizeof(err));
		int present = 0;

		ok(o != NULL && json_object_get_int(model_get(o, "a", &present)) == 2 &&
		    present, "model_get: last case-insensitive match");
		ok(model_get(o, "b", &present) == NULL && !present, "model_get: absent");
		json_object_put(o);
		o = model_parse("{\"v\":null}", 10, err, sizeof(err));
		ok(model_get(o, "V", &present) == NULL && present, "model_get: null present");
		json_object_put(o);
	}
}

static int
string_coerces(const char *json_value, const char *want)
{
	char text[256];
	struct instance in;
	char err[256];
	int good;

	snprintf(text, sizeof(text), "{\"status\":%s}", json_value);
	if (decode(text, &in, err, sizeof(err)) == -1)
		return want == NULL;
	good = want == NULL ? 0 : in.status != NULL && strcmp(in.status, want) == 0;
	if (want != NULL && !good)
		printf("# %s -> %s\n", json_value, in.status ? in.status : "NULL");
	instance_free(&in);
	return good;
}

static int
port_is(const char *json_value, int want, int refuse)
{
	char text[256];
	struct instance in;
	char err[256];
	int good;

	snprintf(text, sizeof(text), "{\"port\":%s}", json_value);
	if (decode(text, &in, err, sizeof(err)) == -1)
		return refuse;
	good = !refuse && in.port == want;
	instance_free(&in);
	return good;
}

static void
test_coercions(void)
{
	struct instance in;
	char err[256];

	ok(string_coerces("\"x\"", "x"), "string field: string");
	ok(string_coerces("12", "12"), "string field: int -> \"12\"");
	ok(string_coerces("-7", "-7"), "string field: negative int");
	ok(string_coerces("1.5", "1.5"), "string field: double -> \"1.5\"");
	ok(string_coerces("1.5E3", "1.5E3"), "string field: double keeps its token text");
	ok(string_coerces("true", "true"), "string field: true");
	ok(string_coerces("false", "false"), "string field: false");
	ok(string_coerces("{}", NULL), "string field: object refused");
	ok(string_coerces("[\"a\"]", NULL), "string field: array refused");
	ok(decode("{\"status\":null}", &in, err, sizeof(err)) == 0 && in.status == NULL,
	    "string field: null -> NULL");
	instance_free(&in);

	ok(port_is("8080", 8080, 0), "port: int");
	ok(port_is("\"8080\"", 8080, 0), "port: numeric string");
	ok(port_is("\" 80 \"", 80, 0), "port: string trimmed");
	ok(port_is("\"\"", 0, 0), "port: empty string -> 0");
	ok(port_is("null", 0, 0), "port: null -> 0");
	ok(port_is("80.9", 80, 0), "port: double truncated");
	ok(port_is("-1", -1, 0), "port: negative");
	ok(port_is("true", 0, 1), "port: boolean refused");
	ok(port_is("\"http\"", 0, 1), "port: non-numeric string refused");
	ok(port_is("\"1.5\"", 0, 1), "port: fractional string refused");
	ok(port_is("2147483648", 0, 1), "port: int overflow refused");
	ok(port_is("\"2147483648\"", 0, 1), "port: string overflow refused");
	ok(port_is("2147483647", 2147483647, 0), "port: INT_MAX");
	ok(port_is("1e10", 0, 1), "port: double out of range refused");
	ok(port_is("{}", 0, 1), "port: object refused");
	ok(port_is("[1]", 0, 1), "port: array refused");

	ok(refused("{\"metadata\":\"x\"}"), "metadata: string refused");
	ok(refused("{\"metadata\":[]}"), "metadata: array refused");
	ok(refused("{\"metadata\":{\"a\":{}}}"), "metadata: object value refused");
	ok(refused("[]"), "instance: array refused");
	{
		struct json_object *o = model_parse("{\"v\":\"17\",\"w\":true}", 19, err,
		    sizeof(err));
		int64_t v = 0;
		char *s = NULL;

		ok(model_get_int64(o, "V", &v, err, sizeof(err)) == 0 && v == 17,
		    "model_get_int64 numeric string");
		ok(model_get_int64(o, "w", &v, err, sizeof(err)) == -1,
		    "model_get_int64 boolean refused");
		ok(model_get_int64(o, "missing", &v, err, sizeof(err)) == 0 && v == 0,
		    "model_get_int64 absent -> 0");
		ok(model_get_string(o, "W", &s, err, sizeof(err)) == 0 && s != NULL &&
		    strcmp(s, "true") == 0, "model_get_string boolean");
		free(s);
		json_object_put(o);
	}
	{
		struct json_object *o = model_parse("null", 4, err, sizeof(err));
		int is_null = 0;

		ok(o == NULL && err[0] != '\0', "model_parse: null body refused");
		ok(instance_from_json(NULL, &in, &is_null, err, sizeof(err)) == 0 &&
		    is_null, "instance_from_json: null element");
	}
}

static int
escapes_to(const char *raw, const char *want)
{
	struct sbuf b = SBUF_INIT;
	int good;

	model_json_string(&b, raw);
	good = strcmp(b.s, want) == 0;
	if (!good)
		printf("# want %s got %s\n", want, b.s);
	sbuf_free(&b);
	return good;
}

static void
test_escapes(void)
{
	char all[33];
	int i;

	ok(escapes_to("a\"b\\c", "\"a\\\"b\\\\c\""), "quote and backslash escaped");
	ok(escapes_to("a/b", "\"a/b\""), "slash raw");
	ok(escapes_to("\b\t\n\f\r", "\"\\b\\t\\n\\f\\r\""), "short forms");
	ok(escapes_to("\x01\x1f\x0b", "\"\\u0001\\u001F\\u000B\""), "\\u00XX upper-case hex");
	ok(escapes_to("\x7f", "\"\x7f\""), "DEL raw");
	ok(escapes_to("h\xc3\xa9 \xe4\xb8\xad", "\"h\xc3\xa9 \xe4\xb8\xad\""), "UTF-8 raw");
	ok(escapes_to(NULL, "null"), "NULL -> null");
	ok(escapes_to("", "\"\""), "empty string");
	for (i = 1; i < 32; i++)
		all[i - 1] = (char)i;
	all[31] = '\0';
	ok(escapes_to(all, "\"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n"
	    "\\u000B\\f\\r\\u000E\\u000F\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016"
	    "\\u0017\\u0018\\u0019\\u001A\\u001B\\u001C\\u001D\\u001E\\u001F\""),
	    "every control character");
	{
		struct sbuf b = SBUF_INIT;

		model_json_stringn(&b, "a\0b", 3);
		ok(strcmp(b.s, "\"a\\u0000b\"") == 0 && b.len == 10, "NUL escaped");
		sbuf_free(&b);
	}
	/* decode escapes, re-encode */
	ok(roundtrip_is("{\"status\":\"\\u0001\\/\\u00e9\\t\\\"\"}",
	    "{\"groupId\":null,\"healthCheckUrl\":null,\"instanceId\":null,\"ip\":null,"
	    "\"machineName\":null,\"metadata\":null,\"port\":0,\"protocol\":null,"
	    "\"regionId\":null,\"serviceId\":null,\"status\":\"\\u0001/\xc3\xa9\\t\\\"\","
	    "\"url\":null,\"zoneId\":null}"), "decoded escapes re-encode the Jackson way");
}

/* Jackson 2.9 reads the first value of a body and never looks past it. */
static void
test_trailing(void)
{
	static const char *after[] = {
		"{\"serviceId\":\"s\"} x", "{\"serviceId\":\"s\"}{}",
		"{\"serviceId\":\"s\"} X 'q' .", "{\"serviceId\":\"s\"}\t\x01\xff",
		"{\"serviceId\":\"s\"}NaN",
	};
	struct json_object *o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		o = model_parse(after[i], strlen(after[i]), err, sizeof(err));
		ok(o != NULL && err[0] == '\0' && json_object_object_length(o) == 1,
		    "text after the first object ignored: %s (%s)", after[i], err);
		json_object_put(o);
	}
	o = model_parse("[1] }", 5, err, sizeof(err));
	ok(o != NULL && json_object_array_length(o) == 1, "after an array too");
	json_object_put(o);
	ok(refused("{\"serviceId\":X} "), "a refused byte inside the value still refuses");
	ok(refused("{\"serviceId\":\"s\" x}"), "garbage inside the value refused");
	ok(refused("{\"port\":1.} x"), "a bad fraction inside refused");
	o = model_parse("1 x", 3, err, sizeof(err));
	ok(o == NULL && err[0] != '\0', "a root scalar with text after it refused");
	o = model_parse("nullX", 5, err, sizeof(err));
	ok(o == NULL && err[0] != '\0', "nullX refused (%s)", err);
	o = model_parse("{\"a\":1", 6, err, sizeof(err));
	ok(o == NULL && err[0] != '\0',
	    "truncated object still refused (%s)", err);
}

static void
test_refusals(void)
{
	char big[MODEL_MAX_STRING + 64], bomb[256], err[256];
	struct sbuf b = SBUF_INIT;
	struct json_object *o;
	int i;

	test_trailing();
	ok(refused("{'serviceId':'x'}"), "single quotes refused");
	ok(refused("{\"port\":NaN}"), "NaN refused");
	ok(refused("{\"port\":-Infinity}"), "Infinity refused");
	ok(refused("{\"port\":1.}"), "fraction without digits refused");
	ok(refused("{\"a\":1,}"), "trailing comma refused");
	ok(refused("/*c*/{}"), "comment refused");
	ok(refused("{\"status\":\"a\tb\"}"), "raw control character refused");
	ok(refused("{\"status\":\"\xff\"}"), "invalid UTF-8 refused");
	ok(refused("{\"status\":\"a"), "truncated refused");
	ok(refused("{\"status\":\"\\u0000\"}"), "embedded NUL refused");
	ok(refused(""), "empty body refused");
	o = model_parse_flags("{\"status\":\"a\tb\"}", 16, MODEL_PARSE_ALLOW_CONTROL, err,
	    sizeof(err));
	ok(o != NULL, "raw control character tolerated with ALLOW_CONTROL");
	json_object_put(o);
	o = model_parse_flags("null", 4, MODEL_PARSE_ALLOW_NULL, err, sizeof(err));
	ok(o == NULL && err[0] == '\0', "null literal with ALLOW_NULL");
	ok(roundtrip_is("{\"status\":\"UP\",\"port\":1E2}",
	    "{\"groupId\":null,\"healthCheckUrl\":null,\"instanceId\":null,\"ip\":null,"
	    "\"machineName\":null,\"metadata\":null,\"port\":100,\"protocol\":null,"
	    "\"regionId\":null,\"serviceId\":null,\"status\":\"UP\",\"url\":null,"
	    "\"zoneId\":null}"), "upper case inside strings and exponent E accepted");

	/* depth */
	bomb[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(bomb, "[");
	for (i = 0; i < 40; i++)
		strcat(bomb, "]");
	ok(model_parse(bomb, strlen(bomb), err, sizeof(err)) == NULL, "depth bomb refused");
	bomb[0] = '\0';
	for (i = 0; i < 20; i++)
		strcat(bomb, "[");
	for (i = 0; i < 20; i++)
		strcat(bomb, "]");
	o = model_parse(bomb, strlen(bomb), err, sizeof(err));
	ok(o != NULL, "depth 20 accepted");
	json_object_put(o);

	/* sizes */
	memset(big, 'x', sizeof(big));
	sbuf_adds(&b, "{\"status\":\"");
	sbuf_add(&b, big, MODEL_MAX_STRING);
	sbuf_adds(&b, "\"}");
	{
		char *got = roundtrip(b.s);

		ok(got != NULL, "string of MODEL_MAX_STRING accepted");
		free(got);
	}
	sbuf_reset(&b);
	sbuf_adds(&b, "{\"status\":\"");
	sbuf_add(&b, big, MODEL_MAX_STRING + 1);
	sbuf_adds(&b, "\"}");
	ok(refused(b.s), "oversize string refused");
	sbuf_reset(&b);
	sbuf_adds(&b, "{\"metadata\":{\"");
	sbuf_add(&b, big, MODEL_MAX_STRING + 1);
	sbuf_adds(&b, "\":\"v\"}}");
	ok(refused(b.s), "oversize metadata key refused");
	sbuf_reset(&b);
	sbuf_adds(&b, "{\"metadata\":{");
	for (i = 0; i <= MODEL_MAX_METADATA; i++)
		sbuf_addf(&b, "%s\"k%d\":\"v\"", i ? "," : "", i);
	sbuf_adds(&b, "}}");
	ok(refused(b.s), "metadata over MODEL_MAX_METADATA refused");
	sbuf_free(&b);
}

static void
test_keys_display(void)
{
	struct instance in;
	struct sbuf b = SBUF_INIT;
	char err[256];

	ok(decode("{\"regionId\":\"SHA\",\"zoneId\":\"Z1\",\"serviceId\":\"Svc.A\","
	    "\"groupId\":\"G1\",\"instanceId\":\"I-1\"}", &in, err, sizeof(err)) == 0,
	    "decodes");
	instance_key(&in, &b);
	ok(b.len == 13 && memcmp(b.s, "sha\x1f" "svc.a\x1f" "i-1", 13) == 0, "key lower-cased");
	sbuf_reset(&b);
	instance_display(&in, &b);
	ok(strcmp(b.s, "sha/z1/svc.a/g1/i-1") == 0, "display with group: %s", b.s);
	instance_set_string(&in, &in.group_id, " \t");
	sbuf_reset(&b);
	instance_display(&in, &b);
	ok(strcmp(b.s, "sha/z1/svc.a/i-1") == 0, "display with blank group: %s", b.s);
	instance_free(&in);

	ok(str_blank(NULL) && str_blank("") && str_blank(" \t\r\n\x0b\x0c\x1c") &&
	    str_blank("\xe3\x80\x80") && !str_blank(" a ") && !str_blank("\xc2\xa0"),
	    "str_blank follows Java whitespace");
	sbuf_free(&b);
}

/* Decoded strings share one block: replacing, hand-set and freeing must mix
 * (ASan checks the frees), and pass one must refuse what the old per-field decoder
 * refused, in the same order. */
/* A capital sigma that ends a word lowers to the final sigma. Each pair is
 * what Java 17's String.toLowerCase(Locale.ROOT) returned: words as its
 * BreakIterator cuts them (mid-word '-', '.', '_', quotes; digits; marks and
 * format characters; kanji and kana apart). The same rule agreed with Java on
 * 70,000 random strings of such characters when it was written. */
static void
test_lower_final_sigma(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "\xce\x9f\xce\x94\xce\x9f\xce\xa3", "\xce\xbf\xce\xb4\xce\xbf\xcf\x82" },
		{ "\xce\xa3\xce\x91", "\xcf\x83\xce\xb1" },
		{ "\xce\xa3", "\xcf\x83" },
		{ "\xce\x91\xce\xa3 \xce\x92\xce\xa3", "\xce\xb1\xcf\x82 \xce\xb2\xcf\x82" },
		{ "\xce\x91\xce\xa3.\xce\x92", "\xce\xb1\xcf\x83.\xce\xb2" },
		{ "\xce\x91\xce\xa3.", "\xce\xb1\xcf\x82." },
		{ "\xce\x91\xce\xa3.1", "\xce\xb1\xcf\x82.1" },
		{ "\xce\x91.\xce\xa3", "\xce\xb1.\xcf\x82" },
		{ "\xce\x91:\xce\xa3", "\xce\xb1:\xcf\x83" },
		{ "\xce\x91 \xce\xa3", "\xce\xb1 \xcf\x83" },
		{ "\xce\x91\xce\xa3" "1", "\xce\xb1\xcf\x82" "1" },
		{ "\xce\x91" "1\xce\xa3", "\xce\xb1" "1\xcf\x82" },
		{ "1\xce\xa3", "1\xcf\x83" },
		{ "_\xce\xa3", "_\xcf\x83" },
		{ "\xce\x91_\xce\xa3", "\xce\xb1_\xcf\x82" },
		{ "\xce\x91\xce\xa3_", "\xce\xb1\xcf\x82_" },
		{ "\xce\x91\xce\xa3_\xce\x92", "\xce\xb1\xcf\x83_\xce\xb2" },
		{ "\xce\x91\xce\xa3\xcc\x81", "\xce\xb1\xcf\x82\xcc\x81" },
		{ "\xce\x91\xcc\x81\xce\xa3", "\xce\xb1\xcc\x81\xcf\x82" },
		{ "\xce\x91\xce\xa3\xce\xa3", "\xce\xb1\xcf\x83\xcf\x82" },
		{ "svc.\xce\x91\xce\xa3", "svc.\xce\xb1\xcf\x82" },
		{ "\xce\x91\xce\xa3-b", "\xce\xb1\xcf\x83-b" },
		{ "\xce\x91\xce\xa3'b", "\xce\xb1\xcf\x83'b" },
		{ "\xce\x91'\xce\xa3", "\xce\xb1'\xcf\x82" },
		{ "\xce\x91\xce\xa3,\xce\x92", "\xce\xb1\xcf\x82,\xce\xb2" },
		{ "\xce\x91\xce\xa3/b", "\xce\xb1\xcf\x82/b" },
		{ "x\xce\xa3y", "x\xcf\x83y" },
		{ "\xce\x91\xce\xa3\xc2\xb7\xce\x92", "\xce\xb1\xcf\x82\xc2\xb7\xce\xb2" },
		{ "\xce\x86\xce\xa3", "\xce\xac\xcf\x82" },
		{ "\xce\x91\xce\xa3\xcc\x88\xce\x92", "\xce\xb1\xcf\x83\xcc\x88\xce\xb2" },
		{ "\xe6\xbc\xa2\xce\xa3", "\xe6\xbc\xa2\xcf\x83" },
		{ "\xce\x91\xce\xa3\xe6\xbc\xa2", "\xce\xb1\xcf\x82\xe6\xbc\xa2" },
		{ "\xce\xa3\xce\xa3", "\xcf\x83\xcf\x82" },
		{ "\xce\x91\xce\xa3" "2.3", "\xce\xb1\xcf\x82" "2.3" },
		{ "\xce\x91\xce\xa3 \xce\xa3", "\xce\xb1\xcf\x82 \xcf\x83" },
		{ "\xd9\xab\xe3\x81\x82\xe6\xbc\xa2.\xca\xb0:\xd9\xa3\xce\xa3", "\xd9\xab\xe3\x81\x82\xe6\xbc\xa2.\xca\xb0:\xd9\xa3\xcf\x83" },
		{ "\xe3\x81\x82\xe2\x81\xa0\xcc\x88\xe2\x85\xa3\xce\xa3" "9/", "\xe3\x81\x82\xe2\x81\xa0\xcc\x88\xe2\x85\xb3\xcf\x82" "9/" },
		{ "__\xe2\x85\xa3:\xce\xa3", "__\xe2\x85\xb3:\xcf\x83" },
		{ "\xe3\x82\xa2\x22\xc2\xaa\xe6\xbc\xa2\xc7\x85\x22\xca\xb0 \xe0\xa4\x83.\xce\xa3", "\xe3\x82\xa2\x22\xc2\xaa\xe6\xbc\xa2\xc7\x86\x22\xca\xb0 \xe0\xa4\x83.\xcf\x83" },
		{ "\xca\xb0-\xe2\x85\xa3\xc2\xb2#\xcc\x81\xe3\x81\x82\xce\xa3", "\xca\xb0-\xe2\x85\xb3\xc2\xb2#\xcc\x81\xe3\x81\x82\xcf\x83" },
		{ "\xe0\xa4\x83\xe2\x81\xa0\xc7\x85\xce\xa3\xcf\x82_x\xc3\xa9% ", "\xe0\xa4\x83\xe2\x81\xa0\xc7\x86\xcf\x83\xcf\x82_x\xc3\xa9% " },
		{ "\xc2\xad\xc3\xa9\xce\xa3\xc3\xa9%,_\xc7\x85\xe2\x81\xa0\xe3\x82\xa2", "\xc2\xad\xc3\xa9\xcf\x83\xc3\xa9%,_\xc7\x86\xe2\x81\xa0\xe3\x82\xa2" },
		{ "\xca\xb0\xce\xa3", "\xca\xb0\xcf\x82" },
		{ ", .\xcc\x81\xd9\xa3\xe2\x80\xa7\xce\xa3", ", .\xcc\x81\xd9\xa3\xe2\x80\xa7\xcf\x83" },
		{ "\xca\xb0 \xe2\x85\xa3\xce\xa3#\x22:\xcc\x81", "\xca\xb0 \xe2\x85\xb3\xcf\x82#\x22:\xcc\x81" },
		{ "$%%\xc3\xa9\xe2\x81\xa0\xe2\x80\xa7\xcf\x82\xe0\xa4\x83\xe0\xa4\x83 \xce\xa3", "$%%\xc3\xa9\xe2\x81\xa0\xe2\x80\xa7\xcf\x82\xe0\xa4\x83\xe0\xa4\x83 \xcf\x83" },
		{ "\xc3\xa9\xcf\x82$#/\xce\xa3", "\xc3\xa9\xcf\x82$#/\xcf\x83" },
		{ "'\xc7\x85\xe0\xa4\x83\xe6\xbc\xa2\xd9\xab-\xce\xa3", "'\xc7\x86\xe0\xa4\x83\xe6\xbc\xa2\xd9\xab-\xcf\x83" },
		{ "\xd9\xa3:x0 \xce\x91\xe3\x81\x82\xe3\x81\x82\xce\xa3", "\xd9\xa3:x0 \xce\xb1\xe3\x81\x82\xe3\x81\x82\xcf\x83" },
		{ "#\xcc\x88\xcc\x81\xe0\xa4\x83\x22.\xce\xa3\xce\x91", "#\xcc\x88\xcc\x81\xe0\xa4\x83\x22.\xcf\x83\xce\xb1" },
		{ "\xce\xa3 \x22", "\xcf\x83 \x22" },
		{ "\xc2\xad\xe3\x81\x82/\xe2\x85\xa3 \xce\xa3", "\xc2\xad\xe3\x81\x82/\xe2\x85\xb3 \xcf\x83" },
		{ "\xce\xa3 %", "\xcf\x83 %" },
		{ "\xce\xa3" "0\xce\xa3\xca\xb0\xe0\xa4\x83\xcc\x81", "\xcf\x83" "0\xcf\x83\xca\xb0\xe0\xa4\x83\xcc\x81" },
		{ "'\xca\xb0\xe2\x80\xa7\xd9\xab\xe3\x82\xa2\xce\xa3", "'\xca\xb0\xe2\x80\xa7\xd9\xab\xe3\x82\xa2\xcf\x83" },
		{ "\xce\xa3\xe0\xa4\x83\xc2\xaa\xcc\x88\xc2\xad", "\xcf\x83\xe0\xa4\x83\xc2\xaa\xcc\x88\xc2\xad" },
		{ "\x22\xd0\x96\xce\x91" "0\xc2\xad\xd0\x96" "0\xcf\x82\xce\xa3", "\x22\xd0\xb6\xce\xb1" "0\xc2\xad\xd0\xb6" "0\xcf\x82\xcf\x82" },
		{ "-\xe2\x85\xa3\xce\xa3", "-\xe2\x85\xb3\xcf\x82" },
		{ "_\xc3\xa9\xe3\x82\xa2\x22\xd9\xab\xc2\xb2\xe3\x81\x82\xce\xa3 #", "_\xc3\xa9\xe3\x82\xa2\x22\xd9\xab\xc2\xb2\xe3\x81\x82\xcf\x83 #" },
		{ "\xe2\x85\xa3x#%Y\xc3\xa9\xcc\x81\xe2\x85\xa3\xce\xa3", "\xe2\x85\xb3x#%y\xc3\xa9\xcc\x81\xe2\x85\xb3\xcf\x82" },
	};
	struct sbuf b = SBUF_INIT;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sbuf_reset(&b);
		model_add_lower(&b, cases[i].in);
		if (strcmp(b.s, cases[i].want) != 0) {
			fprintf(stderr, "# case %zu: got %s want %s\n", i, b.s, cases[i].want);
			bad++;
		}
	}
	ok(bad == 0, "final sigma as Java: %d of %zu cases differ", bad,
	    sizeof(cases) / sizeof(cases[0]));
	sbuf_free(&b);
}

/* Java's toLowerCase is not ASCII-only: identity keys and display strings follow it. */
static void
test_lower_unicode(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "\xc3\x89X-\xc3\x84", "\xc3\xa9x-\xc3\xa4" },		/* ÉX-Ä */
		{ "\xce\xa3\xce\x91", "\xcf\x83\xce\xb1" },		/* ΣΑ */
		{ "\xd0\x9c\xd0\xbe", "\xd0\xbc\xd0\xbe" },		/* Мо */
		{ "\xc4\xb0", "i\xcc\x87" },				/* İ */
		{ "\xe2\x84\xaa" "elvin", "kelvin" },				/* K (Kelvin) */
		{ "A\xff" "B\xc3", "a\xff" "b\xc3" },		/* not UTF-8: bytes kept */
		{ "\xf0\x90\x90\x80", "\xf0\x90\x90\xa8" },		/* Deseret */
		{ "plain-ASCII", "plain-ascii" },
	};
	struct instance a, b;
	struct sbuf ka = SBUF_INIT, kb = SBUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sbuf_reset(&ka);
		model_add_lower(&ka, cases[i].in);
		ok(ka.len == strlen(cases[i].want) &&
		    memcmp(ka.s, cases[i].want, ka.len) == 0, "lower-case of case %zu", i);
	}
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.region_id = "SHA";
	a.zone_id = "Z";
	a.service_id = "svc";
	a.instance_id = "\xc3\x89X-\xc3\x84";
	b = a;
	b.region_id = "sha";
	b.instance_id = "\xc3\xa9x-\xc3\xa4";
	sbuf_reset(&ka);
	instance_key(&a, &ka);
	instance_key(&b, &kb);
	ok(ka.len == kb.len && memcmp(ka.s, kb.s, ka.len) == 0,
	    "instances differing in the case of a non-ASCII letter are one instance");
	sbuf_reset(&ka);
	instance_display(&a, &ka);
	ok(strcmp(ka.s, "sha/z/svc/\xc3\xa9x-\xc3\xa4") == 0, "display lower-cases it: %s",
	    ka.s);
	sbuf_free(&ka);
	sbuf_free(&kb);
}

static void
test_ownership(void)
{
	struct instance in;
	char err[256];
	size_t i;

	ok(decode("{\"status\":\"up\",\"url\":\"http://a\",\"port\":\"8\",\"metadata\":"
	    "{\"k1\":\"v1\",\"k2\":null,\"k3\":true}}", &in, err, sizeof(err)) == 0,
	    "ownership: decodes");
	ok(in.block != NULL && in.port == 8 && in.nmetadata == 3 &&
	    strcmp(in.metadata[2].value, "true") == 0, "ownership: fields decoded");
	instance_set_string(&in, &in.status, "down");
	instance_set_string(&in, &in.metadata[0].value, "v1'");
	instance_set_string(&in, &in.url, NULL);
	in.zone_id = strdup("hand-set");
	ok(strcmp(in.status, "down") == 0 && strcmp(in.metadata[0].value, "v1'") == 0 &&
	    in.url == NULL && strcmp(in.metadata[0].key, "k1") == 0,
	    "ownership: replaced fields");
	if ((in.metadata = reallocarray(in.metadata, in.nmetadata + 1,
	    sizeof(*in.metadata))) == NULL)
		abort();
	in.metadata[in.nmetadata].key = strdup("added");
	in.metadata[in.nmetadata].value = NULL;
	in.nmetadata++;
	instance_free(&in);
	ok(in.block == NULL && in.status == NULL && in.metadata == NULL,
	    "ownership: instance_free clears");

	ok(decode("{\"serviceId\":\"a\",\"SERVICEID\":[],\"serviceid\":\"b\"}", &in,
	    err, sizeof(err)) == -1 && strstr(err, "serviceId") != NULL,
	    "an earlier bad duplicate still refuses: %s", err);
	ok(in.block == NULL && in.service_id == NULL, "refusal leaves a clean instance");
	ok(decode("{\"metadata\":{\"a\":{}},\"MetaData\":{\"b\":\"1\"}}", &in, err,
	    sizeof(err)) == -1, "an earlier bad metadata still refuses");
	ok(decode("{\"metadata\":{\"a\":\"1\"},\"port\":\"x\",\"status\":{}}", &in, err,
	    sizeof(err)) == -1 && strstr(err, "port") != NULL,
	    "first refusal in key order reported: %s", err);
	ok(decode("{\"metadata\":{\"a\":\"1\"},\"METADATA\":null}", &in, err,
	    sizeof(err)) == 0 && !in.has_metadata && in.metadata == NULL,
	    "later null metadata replaces");
	instance_free(&in);
	ok(decode("{\"status\":1.5e0,\"ip\":false,\"port\":2.9}", &in, err,
	    sizeof(err)) == 0 && strcmp(in.ip, "false") == 0 && in.port == 2 &&
	    in.status != NULL, "scalar coercions land in the block: %s", in.status);
	instance_free(&in);
	{
		/* many metadata entries: the block is sized from pass one */
		struct sbuf t = SBUF_INIT;

		sbuf_adds(&t, "{\"metadata\":{");
		for (i = 0; i < MODEL_MAX_METADATA; i++)
			sbuf_addf(&t, "%s\"key%zu\":\"%0200zu\"", i ? "," : "", i, i);
		sbuf_adds(&t, "},\"url\":\"u\"}");
		ok(decode(t.s, &in, err, sizeof(err)) == 0 &&
		    in.nmetadata == MODEL_MAX_METADATA &&
		    strcmp(in.metadata[MODEL_MAX_METADATA - 1].key, "key255") == 0 &&
		    strlen(in.metadata[MODEL_MAX_METADATA - 1].value) == 200 &&
		    strcmp(in.url, "u") == 0, "256 metadata entries");
		instance_free(&in);
		sbuf_free(&t);
	}
}

/* instance_to_json sizes its output up front: the worst case (every byte
 * escaped as \u00XX, null metadata keys and values) must fit and match the
 * piecewise encoding. */
static void
test_encode_worst_case(void)
{
	char ctl[33];
	struct kv kv[3] = { { NULL, NULL }, { (char *)"k", ctl }, { ctl, NULL } };
	struct instance in;
	struct sbuf b = SBUF_INIT, want = SBUF_INIT;
	int i;

	for (i = 0; i < 32; i++)
		ctl[i] = (char)(i == 0 ? 0x1f : i);
	ctl[32] = '\0';
	memset(&in, 0, sizeof(in));
	in.group_id = in.health_check_url = in.instance_id = in.ip = ctl;
	in.machine_name = in.protocol = in.region_id = in.service_id = ctl;
	in.status = in.url = in.zone_id = ctl;
	in.metadata = kv;
	in.nmetadata = 3;
	in.has_metadata = 1;
	in.port = INT_MIN;
	instance_to_json(&in, &b);
	sbuf_adds(&want, "{\"groupId\":");
	model_json_string(&want, ctl);
	sbuf_adds(&want, ",\"healthCheckUrl\":");
	model_json_string(&want, ctl);
	sbuf_adds(&want, ",\"instanceId\":");
	model_json_string(&want, ctl);
	sbuf_adds(&want, ",\"ip\":");
	model_json_string(&want, ctl);
	sbuf_adds(&want, ",\"machineName\":");
	model_json_string(&want, ctl);
	sbuf_adds(&want, ",\"metadata\":{\"null\":null,\"k\":");
	model_json_string(&want, ctl);
	sbuf_addc(&want, ',');
	model_json_string(&want, ctl);
	sbuf_adds(&want, ":null},\"port\":-2147483648,\"protocol\":");
	model_json_string(&want, ctl);
	sbuf_adds(&want, ",\"regionId\":");
	model_json_string(&want, ctl);
	sbuf_adds(&want, ",\"serviceId\":");
	model_json_string(&want, ctl);
	sbuf_adds(&want, ",\"status\":");
	model_json_string(&want, ctl);
	sbuf_adds(&want, ",\"url\":");
	model_json_string(&want, ctl);
	sbuf_adds(&want, ",\"zoneId\":");
	model_json_string(&want, ctl);
	sbuf_addc(&want, '}');
	ok(b.len == want.len && strcmp(b.s, want.s) == 0 && strlen(b.s) == b.len,
	    "worst-case escaping: %zu bytes", b.len);
	ok(strstr(b.s, "\"\\u001F\\u0001\\u0002") != NULL, "control bytes as \\u00XX");

	memset(&in, 0, sizeof(in));	/* all null, into a buffer already holding text */
	sbuf_reset(&b);
	sbuf_adds(&b, "x");
	instance_to_json(&in, &b);
	ok(strcmp(b.s, "x{\"groupId\":null,\"healthCheckUrl\":null,\"instanceId\":null,"
	    "\"ip\":null,\"machineName\":null,\"metadata\":null,\"port\":0,"
	    "\"protocol\":null,\"regionId\":null,\"serviceId\":null,\"status\":null,"
	    "\"url\":null,\"zoneId\":null}") == 0, "all null, appended");
	sbuf_free(&b);
	sbuf_free(&want);
}

static void
test_discovery_config(void)
{
	struct json_object *o;
	struct discovery_config dc;
	char err[256];
	int is_null;
	const char *t = "{\"discoveryData\":{\"appid\":\"1\"},\"regionId\":null,"
	    "\"SERVICEID\":\"framework.soa.testservice\",\"zoneId\":5}";

	o = model_parse(t, strlen(t), err, sizeof(err));
	ok(o != NULL && discovery_config_from_json(o, &dc, &is_null, err,
	    sizeof(err)) == 0, "discovery config decodes");
	ok(dc.service_id && strcmp(dc.service_id, "framework.soa.testservice") == 0 &&
	    dc.region_id == NULL && strcmp(dc.zone_id, "5") == 0 &&
	    dc.has_discovery_data && dc.ndiscovery_data == 1, "discovery config fields");
	discovery_config_free(&dc);
	json_object_put(o);
	o = model_parse("{\"serviceId\":[]}", 16, err, sizeof(err));
	ok(discovery_config_from_json(o, &dc, &is_null, err, sizeof(err)) == -1,
	    "discovery config: array serviceId refused");
	json_object_put(o);
}

static double
secs(struct timespec a, struct timespec b)
{
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* Rough throughput, printed as TAP comments (real numbers come from make bench). */
/* err of decoding text, or "" if it decodes. */
static const char *
decode_err(const char *text)
{
	static char err[256];
	struct instance in;

	err[0] = '\0';
	if (decode(text, &in, err, sizeof(err)) == 0) {
		instance_free(&in);
		err[0] = '\0';
	}
	return err;
}

/* metadata of n entries "k<i>":"v<i>" (every third null, every fifth a number). */
static void
add_metadata(struct sbuf *t, int n)
{
	int i;

	sbuf_adds(t, "\"metadata\":{");
	for (i = 0; i < n; i++) {
		if (i % 3 == 2)
			sbuf_addf(t, "%s\"k%d\":null", i ? "," : "", i);
		else if (i % 5 == 4)
			sbuf_addf(t, "%s\"k%d\":%d", i ? "," : "", i, i);
		else
			sbuf_addf(t, "%s\"k%d\":\"v%d\"", i ? "," : "", i, i);
	}
	sbuf_addc(t, '}');
}

static int
metadata_decodes(int n)
{
	struct sbuf t = SBUF_INIT;
	struct instance in;
	char err[256], want[32];
	int i, good;

	sbuf_adds(&t, "{\"serviceId\":\"svc\",");
	add_metadata(&t, n);
	sbuf_adds(&t, ",\"url\":\"http://u\"}");
	good = decode(t.s, &in, err, sizeof(err)) == 0 && in.has_metadata &&
	    in.nmetadata == (size_t)n && strcmp(in.url, "http://u") == 0;
	for (i = 0; good && i < n; i++) {
		snprintf(want, sizeof(want), "k%d", i);
		good = strcmp(in.metadata[i].key, want) == 0;
		if (i % 3 == 2)
			good = good && in.metadata[i].value == NULL;
		else {
			snprintf(want, sizeof(want), i % 5 == 4 ? "%d" : "v%d", i);
			good = good && strcmp(in.metadata[i].value, want) == 0;
		}
	}
	if (good)
		instance_free(&in);
	sbuf_free(&t);
	return good;
}

/*
 * instance_from_json() first decodes without looking for NULs string by string
 * and counts the NULs of its block; refusals, duplicates and NULs take a second,
 * exact pass. Both must give what one exact pass gives.
 */
static void
test_decode_paths(void)
{
	struct sbuf t = SBUF_INIT;
	struct instance in;
	char err[256];
	int i;

	ok(strcmp(decode_err("{\"regionId\":\"sha\",\"zoneId\":\"sha-z1\",\"serviceId\":"
	    "\"a-long-enough-service\",\"status\":\"up\\u0000\",\"url\":\"http://x/y\"}"),
	    "status: NUL character in string") == 0, "NUL in a field, long block");
	ok(strcmp(decode_err("{\"url\":\"http://x/y\",\"ip\":\"\\u0000\"}"),
	    "ip: NUL character in string") == 0, "NUL at the end of the block");
	ok(strcmp(decode_err("{\"status\":\"a\\u0000\",\"port\":\"x\"}"),
	    "status: NUL character in string") == 0, "NUL reported before a later refusal");
	ok(strcmp(decode_err("{\"port\":\"x\",\"status\":\"a\\u0000\"}"),
	    "port: not a valid integer value") == 0, "an earlier refusal before a NUL");
	ok(strcmp(decode_err("{\"status\":\"a\\u0000b\",\"STATUS\":\"up\"}"),
	    "status: NUL character in string") == 0, "NUL in a replaced duplicate refused");
	ok(strcmp(decode_err("{\"status\":\"up\",\"Status\":\"\\u0000\"}"),
	    "status: NUL character in string") == 0, "NUL in the last duplicate refused");
	ok(strcmp(decode_err("{\"metadata\":{\"a\":\"1\",\"b\":\"x\\u0000\"},\"url\":\"u\"}"),
	    "metadata: NUL character in string") == 0, "NUL in a metadata value");
	sbuf_adds(&t, "{");
	add_metadata(&t, 20);
	sbuf_adds(&t, ",\"metadata2\":1,\"METADATA\":{\"a\":\"\\u0000\"}}");
	ok(strcmp(decode_err(t.s), "metadata: NUL character in string") == 0,
	    "NUL in a later metadata");
	sbuf_reset(&t);
	sbuf_adds(&t, "{");
	add_metadata(&t, 20);
	t.len--;
	sbuf_adds(&t, ",\"z\":\"\\u0000\"}}");
	ok(strcmp(decode_err(t.s), "metadata: NUL character in string") == 0,
	    "NUL in the 21st metadata value");
	for (i = 0; i <= 40; i += i < 20 ? 1 : 20)
		if (!metadata_decodes(i))
			break;
	ok(i > 40, "metadata of 0..20 and 40 entries decode in order (%d)", i);

	ok(decode("{\"gr\":\"x\",\"groupid\":\"g\",\"GROUPID2\":\"y\",\"zoneI\":\"z\","
	    "\"\":\"e\",\"u\":\"u\",\"uRl\":\"a\",\"u\\u0052L\":\"b\",\"url \":\"c\"}", &in,
	    err, sizeof(err)) == 0 && strcmp(in.group_id, "g") == 0 &&
	    in.zone_id == NULL && strcmp(in.url, "b") == 0,
	    "only whole names match, in any case");
	instance_free(&in);
	ok(decode("{\"ip\":\"1\",\"IP\":\"2\",\"Ip\":\"3\",\"port\":1,\"PORT\":2}", &in, err,
	    sizeof(err)) == 0 && strcmp(in.ip, "3") == 0 && in.port == 2 &&
	    in.block_len == 2, "duplicates: the last wins, one string in the block");
	instance_free(&in);
	ok(decode("{\"status\":\"\",\"ip\":\"\",\"url\":null,\"protocol\":7}", &in, err,
	    sizeof(err)) == 0 && strcmp(in.status, "") == 0 && strcmp(in.ip, "") == 0 &&
	    in.url == NULL && strcmp(in.protocol, "7") == 0, "empty, null and coerced");
	instance_free(&in);
	sbuf_free(&t);
}

/* model_parse_flags() of pre + n 'a's + post: "" if it parses, else its err. */
static const char *
parse_padded(int n, const char *pre, const char *post, int flags, const char *want)
{
	static char err[256];
	struct sbuf t = SBUF_INIT;
	struct json_object *o, *v;

	sbuf_adds(&t, pre);
	while (n-- > 0)
		sbuf_addc(&t, 'a');
	sbuf_adds(&t, post);
	err[0] = '\0';
	o = model_parse_flags(t.s, t.len, flags, err, sizeof(err));
	if (o != NULL && want != NULL && (!json_object_object_get_ex(o, "k", &v) ||
	    strcmp(json_object_get_string(v), want) != 0))
		snprintf(err, sizeof(err), "value %s", json_object_get_string(v));
	json_object_put(o);
	sbuf_free(&t);
	return err;
}

/*
 * The pre-pass takes 64 bytes at a time and the rest padded: every refusal and
 * every escape must be seen wherever it falls against those blocks.
 */
static void
test_prescan_blocks(void)
{
	char want[256];
	int n, bad[9] = { 0 };

	for (n = 0; n <= 150; n++) {
		bad[0] += strcmp(parse_padded(n, "{\"k\":\"", "\",\"v\":NaN}", 0, NULL),
		    "unexpected character") != 0;
		bad[1] += strcmp(parse_padded(n, "{\"k\":\"", "\",\"v\":1.}", 0, NULL),
		    "fraction without digits") != 0;
		bad[2] += strcmp(parse_padded(n, "{\"v\":1.5,\"w\":1E2,\"k\":\"", "\"}", 0,
		    NULL), "") != 0;
		bad[3] += strcmp(parse_padded(n, "{\"k\":\"", "\t\"}", 0, NULL),
		    "illegal unquoted control character in string") != 0;
		bad[4] += strcmp(parse_padded(n, "{\"k\":\"", "\t\"}",
		    MODEL_PARSE_ALLOW_CONTROL, NULL), "") != 0;
		bad[5] += parse_padded(n, "{\"k\":\"", "\xff\"}", 0, NULL)[0] == '\0';
		snprintf(want, sizeof(want), "%.*s\"'QX.\\{AB", n,
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaa");
		bad[6] += strcmp(parse_padded(n, "{\"k\":\"", "\\\"'QX.\\\\{\\u0041B\"}", 0,
		    want), "") != 0;
		bad[7] += strcmp(parse_padded(n, "{\"k\":\"", "\\\"\",\"v\":TRUE}", 0, NULL),
		    "unexpected character") != 0;
		bad[8] += strcmp(parse_padded(n, "{\"k\":\"", "\\\\\",'v':1}", 0, NULL),
		    "unexpected character") != 0;
	}
	ok(bad[0] == 0, "NaN after a string of 0..150 bytes refused (%d wrong)", bad[0]);
	ok(bad[1] == 0, "\"1.\" refused at any offset (%d wrong)", bad[1]);
	ok(bad[2] == 0, "1.5 and 1E2 accepted at any offset (%d wrong)", bad[2]);
	ok(bad[3] == 0, "raw control character refused at any offset (%d wrong)", bad[3]);
	ok(bad[4] == 0, "... tolerated with ALLOW_CONTROL (%d wrong)", bad[4]);
	ok(bad[5] == 0, "invalid UTF-8 noticed at any offset (%d wrong)", bad[5]);
	ok(bad[6] == 0, "escapes and specials inside strings at any offset (%d wrong)",
	    bad[6]);
	ok(bad[7] == 0, "an escaped quote does not end a string (%d wrong)", bad[7]);
	ok(bad[8] == 0, "an escaped backslash does not escape the quote (%d wrong)",
	    bad[8]);
}

static void
test_speed(void)
{
	struct timespec t0, t1;
	struct instance in;
	struct sbuf b = SBUF_INIT;
	char err[256];
	int i, n = 20000;

	ok(decode(INSTANCE_A, &in, err, sizeof(err)) == 0, "speed: decodes");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		sbuf_reset(&b);
		instance_to_json(&in, &b);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# encode: %.0f instances/s\n", n / secs(t0, t1));
	instance_free(&in);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		decode(INSTANCE_A, &in, err, sizeof(err));
		instance_free(&in);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# decode: %.0f instances/s\n", n / secs(t0, t1));
	sbuf_free(&b);
}

/* model_get_bool: Jackson 2.9's boolean coercions (session 6 transport audit). */
static int
bool_is(const char *json, int want_rc, int want_present, int want)
{
	char body[128], err[256];
	struct json_object *o;
	int rc, b = -1, present = -1;

	snprintf(body, sizeof(body), "{\"b\":%s}", json);
	if ((o = model_parse(body, strlen(body), err, sizeof(err))) == NULL)
		return 0;
	rc = model_get_bool(o, "B", &b, &present, err, sizeof(err));
	json_object_put(o);
	if (rc != want_rc)
		return 0;
	return rc == -1 || (present == want_present && b == want);
}

static void
test_bools(void)
{
	ok(bool_is("true", 0, 1, 1) && bool_is("false", 0, 1, 0), "bool: literals");
	ok(bool_is("null", 0, 0, 0), "bool: null is no value");
	ok(bool_is("0", 0, 1, 0) && bool_is("-3", 0, 1, 1) &&
	    bool_is("99999999999999999999", 0, 1, 1), "bool: integers, 0 is false");
	ok(bool_is("\"true\"", 0, 1, 1) && bool_is("\"True\"", 0, 1, 1) &&
	    bool_is("\"false\"", 0, 1, 0) && bool_is("\"False\"", 0, 1, 0),
	    "bool: the four strings Jackson knows");
	ok(bool_is("\" \\ttrue \"", 0, 1, 1), "bool: strings trimmed as String.trim()");
	ok(bool_is("\"\"", 0, 0, 0) && bool_is("\" null\"", 0, 0, 0),
	    "bool: \"\" and \"null\" are no value");
	ok(bool_is("\"TRUE\"", -1, 0, 0) && bool_is("\"fAlse\"", -1, 0, 0) &&
	    bool_is("\"1\"", -1, 0, 0) && bool_is("\"yes\"", -1, 0, 0),
	    "bool: other strings refused");
	ok(bool_is("1.5", -1, 0, 0) && bool_is("[]", -1, 0, 0) && bool_is("{}", -1, 0, 0),
	    "bool: floats, arrays, objects refused");
}

int
main(void)
{
	test_fixtures();
	test_golden();
	test_reload();
	test_case_and_unknown();
	test_coercions();
	test_bools();
	test_escapes();
	test_refusals();
	test_prescan_blocks();
	test_keys_display();
	test_lower_unicode();
	test_lower_final_sigma();
	test_ownership();
	test_decode_paths();
	test_encode_worst_case();
	test_discovery_config();
	test_speed();
	return done_testing();
}
