/*
 * test_artemis-discoveryd_fields.c — instance_json_split() (values of canonical
 * instance JSON without a parse) against json-c, and management's ip of an
 * instance (mgmt_inst_ip_hash()) read in place against the same instance in text
 * only json-c reads.
 *
 * Random instances go through libcommon's instance_to_json(): the split must
 * take every one without an escape (so the key order here is the encoder's) and
 * find what json-c finds. Random edits of that text must be either refused or
 * read as json-c reads them.
 */
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/artemis-discoveryd/discoveryd.h"
#include "log.h"
#include "model.h"
#include "tap.h"

static struct discoveryd	 d;
struct discoveryd		*env = &d;

static const char *const key_names[IJ_NKEYS] = {
	"groupId", "healthCheckUrl", "instanceId", "ip", "machineName", "metadata",
	"port", "protocol", "regionId", "serviceId", "status", "url", "zoneId"
};

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* Pieces a string is made of: plain text, what needs escaping, non-ASCII. */
static const char *const pieces[] = {
	"a", "Z", "10.1.0.7", ".", "-", "ip", "\"ip\":", ",\"ip\":\"x\"", "\"", "\\",
	"/", "\n", "\x01", "\x1f", "\xc3\xa9" /* é */, "\xc3\x89" /* É */,
	"\xc4\xb0" /* İ */, "\xff", "HOST", "null", "{", "}", ",", ":", " "
};

static char *
xstrdup(const char *s)
{
	char *copy;

	if ((copy = strdup(s)) == NULL)
		fatal("strdup");
	return copy;
}

static char *
rnd_string(int plain)
{
	char buf[256];
	size_t len = 0, n;
	unsigned i, parts = rnd(6);

	buf[0] = '\0';
	for (i = 0; i < parts; i++) {
		const char *p = pieces[rnd(plain ? 6 : sizeof(pieces) /
		    sizeof(pieces[0]))];

		n = strlen(p);
		if (len + n >= sizeof(buf))
			break;
		memcpy(buf + len, p, n + 1);
		len += n;
	}
	return xstrdup(buf);
}

/* An odd ip now and then: null, "", upper case, non-ASCII, a quote. */
static char *
rnd_ip(int plain)
{
	static const char *const odd[] = {
		NULL, "", "10.1.0.0", "10.1.0.A", "HOST-A", "host-a", "\xc3\x89X",
		"\xc3\xa9x", "null", "NULL", "\xc4\xb0", "a\"b", "a\\b"
	};
	const char *o;

	if (rnd(2))
		return rnd(4) ? rnd_string(plain) : NULL;
	o = odd[rnd(sizeof(odd) / sizeof(odd[0]))];
	if (plain && o != NULL && strpbrk(o, "\"\\") != NULL)
		o = "10.2.0.1";
	return o != NULL ? xstrdup(o) : NULL;
}

static char *
maybe(int plain)
{
	return rnd(5) == 0 ? NULL : rnd_string(plain);
}

static void
rnd_instance(struct instance *in, int plain)
{
	static const char *const mkeys[] = {
		"ip", "regionId", "serviceId", "zoneId", "IP", "k", "\"ip\""
	};
	size_t i;

	memset(in, 0, sizeof(*in));
	in->group_id = maybe(plain);
	in->health_check_url = maybe(plain);
	in->instance_id = maybe(plain);
	in->ip = rnd_ip(plain);
	in->machine_name = maybe(plain);
	in->protocol = maybe(plain);
	in->region_id = maybe(plain);
	in->service_id = maybe(plain);
	in->status = maybe(plain);
	in->url = maybe(plain);
	in->zone_id = maybe(plain);
	in->port = rnd(3) == 0 ? -(int)rnd(100000) : (int)rnd(70000);
	if ((in->has_metadata = rnd(3) != 0)) {
		in->nmetadata = rnd(4);
		if (in->nmetadata > 0 &&
		    (in->metadata = calloc(in->nmetadata, sizeof(*in->metadata))) ==
		    NULL)
			fatal("calloc");
		for (i = 0; i < in->nmetadata; i++) {
			const char *k = mkeys[rnd(sizeof(mkeys) / sizeof(mkeys[0]))];

			if (plain && strchr(k, '"') != NULL)
				k = "k";
			in->metadata[i].key = xstrdup(k);
			in->metadata[i].value = rnd(4) ? rnd_ip(plain) : NULL;
		}
	}
}

static struct json_object *
jparse(const char *s, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;

	if ((tok = json_tokener_new()) == NULL)
		fatal("json_tokener_new");
	o = json_tokener_parse_ex(tok, s, (int)len);
	json_tokener_free(tok);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* What the split found equals json-c's reading of the same text. */
static int
same_as_jsonc(const char *s, size_t len, const struct ij_value *v, char *why,
    size_t whylen)
{
	struct json_object *o, *e;
	int i, good = 1;

	if ((o = jparse(s, len)) == NULL) {
		snprintf(why, whylen, "json-c refuses it");
		return 0;
	}
	for (i = 0; i < IJ_NKEYS && good; i++) {
		if (!json_object_object_get_ex(o, key_names[i], &e)) {
			snprintf(why, whylen, "%s: json-c has no such key", key_names[i]);
			good = 0;
		} else if (i == IJ_METADATA || i == IJ_PORT) {
			good = v[i].kind == (e == NULL ? IJ_NULL : IJ_OTHER);
			if (good && i == IJ_PORT)
				good = json_object_is_type(e, json_type_int) &&
				    json_object_get_int64(e) == strtoll(v[i].s, NULL, 10);
			if (!good)
				snprintf(why, whylen, "%s differs", key_names[i]);
		} else if (e == NULL || !json_object_is_type(e, json_type_string)) {
			good = v[i].kind == IJ_NULL && e == NULL;
			if (!good)
				snprintf(why, whylen, "%s: json-c null/other", key_names[i]);
		} else {
			good = v[i].kind == IJ_STRING &&
			    v[i].n == (size_t)json_object_get_string_len(e) &&
			    memcmp(v[i].s, json_object_get_string(e), v[i].n) == 0;
			if (!good)
				snprintf(why, whylen, "%s: \"%s\" vs \"%.*s\"", key_names[i],
				    json_object_get_string(e), (int)v[i].n,
				    v[i].s ? v[i].s : "");
		}
	}
	json_object_put(o);
	return good;
}

static void
test_encoder_output(void)
{
	struct instance in;
	struct ij_value v[IJ_NKEYS];
	struct sbuf b = SBUF_INIT;
	char why[512] = "";
	int i, taken = 0, wrong = 0, refused_plain = 0, plain;

	for (i = 0; i < 20000; i++) {
		plain = i % 2;
		rnd_instance(&in, plain);
		sbuf_reset(&b);
		instance_to_json(&in, &b);
		if (instance_json_split(b.s, b.len, v) == 0) {
			taken++;
			if (!same_as_jsonc(b.s, b.len, v, why, sizeof(why)) &&
			    wrong++ == 0)
				printf("# %s in %s\n", why, b.s);
		} else if (memchr(b.s, '\\', b.len) == NULL) {
			if (refused_plain++ == 0)
				printf("# refused: %s\n", b.s);
		}
		instance_free(&in);
	}
	ok(wrong == 0, "20,000 encoded instances: %d taken, all as json-c reads "
	    "them (%d differ)", taken, wrong);
	ok(refused_plain == 0 && taken > 10000, "every encoding without an "
	    "escape is taken (%d refused)", refused_plain);
	sbuf_free(&b);
}

/* One random edit of canonical text. */
static size_t
mutate(char *s, size_t len, size_t cap)
{
	static const char ins[] = "\"\\,:}{ x1-\0";
	size_t at = rnd((unsigned)len + 1), n;
	const char *ip;

	switch (rnd(6)) {
	case 0:		/* drop a byte */
		if (at < len) {
			memmove(s + at, s + at + 1, len - at - 1);
			len--;
		}
		break;
	case 1:		/* insert one */
		if (len + 1 < cap) {
			memmove(s + at + 1, s + at, len - at);
			s[at] = ins[rnd(sizeof(ins) - 1)];
			len++;
		}
		break;
	case 2:		/* overwrite one */
		if (at < len)
			s[at] = ins[rnd(sizeof(ins) - 1)];
		break;
	case 3:		/* cut */
		len = at;
		break;
	case 4:		/* a second ip before the end */
		n = strlen(",\"ip\":\"9.9.9.9\"");
		if (len > 0 && len + n < cap) {
			memmove(s + len - 1 + n, s + len - 1, 1);
			memcpy(s + len - 1, ",\"ip\":\"9.9.9.9\"", n);
			len += n;
		}
		break;
	default:	/* the ip's value gone */
		if ((ip = strstr(s, ",\"ip\":")) != NULL &&
		    (size_t)(ip - s) + 6 < len) {
			at = (size_t)(ip - s) + 6;
			memmove(s + at, s + at + 1, len - at - 1);
			len--;
		}
		break;
	}
	s[len] = '\0';
	return len;
}

static void
test_edited_text(void)
{
	struct instance in;
	struct ij_value v[IJ_NKEYS];
	struct sbuf b = SBUF_INIT;
	char buf[8192], why[512] = "";
	size_t len;
	int i, k, taken = 0, wrong = 0;

	for (i = 0; i < 20000; i++) {
		rnd_instance(&in, 1);
		sbuf_reset(&b);
		instance_to_json(&in, &b);
		instance_free(&in);
		if (b.len >= sizeof(buf) / 2)
			continue;
		memcpy(buf, b.s, b.len + 1);
		len = b.len;
		for (k = rnd(3); k >= 0; k--)
			len = mutate(buf, len, sizeof(buf) - 1);
		if (instance_json_split(buf, len, v) == -1)
			continue;
		taken++;
		if (!same_as_jsonc(buf, len, v, why, sizeof(why)) && wrong++ == 0)
			printf("# %s in %.*s\n", why, (int)len, buf);
	}
	ok(wrong == 0 && taken > 100, "20,000 edited encodings: %d taken, all as "
	    "json-c reads them (%d differ)", taken, wrong);
	sbuf_free(&b);
}

static void
test_refused(void)
{
	static const char *const bad[] = {
		"",
		"{}",
		"null",
		"{\"groupId\":null}",
		/* keys out of the encoder's order */
		"{\"groupId\":null,\"healthCheckUrl\":null,\"ip\":\"1\","
		    "\"instanceId\":null,\"machineName\":null,\"metadata\":null,"
		    "\"port\":0,\"protocol\":null,\"regionId\":null,"
		    "\"serviceId\":null,\"status\":null,\"url\":null,"
		    "\"zoneId\":null}",
		/* a space */
		"{\"groupId\": null,\"healthCheckUrl\":null,\"instanceId\":null,"
		    "\"ip\":\"1\",\"machineName\":null,\"metadata\":null,"
		    "\"port\":0,\"protocol\":null,\"regionId\":null,"
		    "\"serviceId\":null,\"status\":null,\"url\":null,"
		    "\"zoneId\":null}",
		/* an escape */
		"{\"groupId\":null,\"healthCheckUrl\":null,\"instanceId\":null,"
		    "\"ip\":\"\\u0031\",\"machineName\":null,\"metadata\":null,"
		    "\"port\":0,\"protocol\":null,\"regionId\":null,"
		    "\"serviceId\":null,\"status\":null,\"url\":null,"
		    "\"zoneId\":null}",
		/* a number for a string, a leading zero, a trailing byte */
		"{\"groupId\":null,\"healthCheckUrl\":null,\"instanceId\":null,"
		    "\"ip\":1,\"machineName\":null,\"metadata\":null,"
		    "\"port\":0,\"protocol\":null,\"regionId\":null,"
		    "\"serviceId\":null,\"status\":null,\"url\":null,"
		    "\"zoneId\":null}",
		"{\"groupId\":null,\"healthCheckUrl\":null,\"instanceId\":null,"
		    "\"ip\":\"1\",\"machineName\":null,\"metadata\":null,"
		    "\"port\":08,\"protocol\":null,\"regionId\":null,"
		    "\"serviceId\":null,\"status\":null,\"url\":null,"
		    "\"zoneId\":null}",
		"{\"groupId\":null,\"healthCheckUrl\":null,\"instanceId\":null,"
		    "\"ip\":\"1\",\"machineName\":null,\"metadata\":null,"
		    "\"port\":0,\"protocol\":null,\"regionId\":null,"
		    "\"serviceId\":null,\"status\":null,\"url\":null,"
		    "\"zoneId\":null} ",
		/* metadata that is not a flat map of strings */
		"{\"groupId\":null,\"healthCheckUrl\":null,\"instanceId\":null,"
		    "\"ip\":\"1\",\"machineName\":null,\"metadata\":{\"a\":1},"
		    "\"port\":0,\"protocol\":null,\"regionId\":null,"
		    "\"serviceId\":null,\"status\":null,\"url\":null,"
		    "\"zoneId\":null}",
	};
	static const char good[] =
	    "{\"groupId\":null,\"healthCheckUrl\":null,\"instanceId\":\"i\","
	    "\"ip\":\"10.0.0.1\",\"machineName\":null,\"metadata\":"
	    "{\"ip\":\"9.9.9.9\",\"x\":null},\"port\":-8,\"protocol\":null,"
	    "\"regionId\":\"sha\",\"serviceId\":\"s\",\"status\":\"up\","
	    "\"url\":\"\",\"zoneId\":null}";
	struct ij_value v[IJ_NKEYS];
	size_t i;
	int refused = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused += instance_json_split(bad[i], strlen(bad[i]), v) == -1;
	ok(refused == (int)(sizeof(bad) / sizeof(bad[0])),
	    "text not in the encoder's shape is refused (%d of %zu)", refused,
	    sizeof(bad) / sizeof(bad[0]));
	ok(instance_json_split(good, sizeof(good) - 1, v) == 0 &&
	    v[IJ_IP].kind == IJ_STRING && v[IJ_IP].n == 8 &&
	    memcmp(v[IJ_IP].s, "10.0.0.1", 8) == 0 &&
	    v[IJ_REGION_ID].kind == IJ_STRING && v[IJ_ZONE_ID].kind == IJ_NULL &&
	    v[IJ_URL].kind == IJ_STRING && v[IJ_URL].n == 0 &&
	    v[IJ_PORT].kind == IJ_OTHER && v[IJ_PORT].n == 2,
	    "the top-level ip, not metadata's");
	ok(instance_json_split(good, sizeof(good) - 2, v) == -1,
	    "a cut text is refused");
}

/* The same instance as text only json-c reads: spaced, keys reordered. */
static char *
other_text(const char *canon, size_t len)
{
	struct json_object *o;
	char *t;

	if ((o = jparse(canon, len)) == NULL)
		return NULL;
	t = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED));
	json_object_put(o);
	return t;
}

static void
test_ip_hash(void)
{
	struct instance in;
	struct ij_value v[IJ_NKEYS];
	struct inst_fields *slot;
	struct sbuf b = SBUF_INIT;
	char *alt;
	uint32_t h1, h2;
	int i, fast = 0, wrong = 0;

	for (i = 0; i < 5000; i++) {
		rnd_instance(&in, i % 2);
		sbuf_reset(&b);
		instance_to_json(&in, &b);
		instance_free(&in);
		fast += instance_json_split(b.s, b.len, v) == 0;
		if ((alt = other_text(b.s, b.len)) == NULL ||
		    instance_json_split(alt, strlen(alt), v) == 0)
			fatalx("json-c's text of %s", b.s);
		slot = NULL;
		if (mgmt_inst_ip_hash(NULL, b.s, b.len, &h1) != 0 ||
		    mgmt_inst_ip_hash(&slot, alt, strlen(alt), &h2) != 0 ||
		    h1 != h2 || slot == NULL) {
			if (wrong++ == 0)
				printf("# %s vs %s\n", b.s, alt);
		}
		mgmt_fields_free(slot);
		free(alt);
	}
	ok(wrong == 0 && fast > 2000, "ip of 5,000 instances read in place (%d) "
	    "or parsed: the same (%d differ)", fast, wrong);
	sbuf_free(&b);
}

static uint32_t
hash_of_ip(const char *ip)
{
	struct instance in;
	struct sbuf b = SBUF_INIT;
	uint32_t h = 0;

	memset(&in, 0, sizeof(in));
	if (ip != NULL)
		in.ip = xstrdup(ip);
	instance_to_json(&in, &b);
	if (mgmt_inst_ip_hash(NULL, b.s, b.len, &h) != 0)
		fatalx("no ip in %s", b.s);
	instance_free(&in);
	sbuf_free(&b);
	return h;
}

static void
test_ip_fold(void)
{
	uint32_t h;

	ok(hash_of_ip("HOST-A") == hash_of_ip("host-a") &&
	    hash_of_ip("10.1.0.A") == hash_of_ip("10.1.0.a"),
	    "ips fold case as management keys servers");
	ok(hash_of_ip("\xc3\x89X") == hash_of_ip("\xc3\xa9x"),
	    "non-ASCII letters fold too");
	ok(hash_of_ip(NULL) == hash_of_ip("null") &&
	    hash_of_ip("NULL") == hash_of_ip(NULL),
	    "a null ip is the server \"null\"");
	ok(hash_of_ip("") != hash_of_ip(NULL) &&
	    hash_of_ip("10.1.0.1") != hash_of_ip("10.1.0.10"),
	    "different ips hash apart");
	ok(mgmt_inst_ip_hash(NULL, "[1]", 3, &h) == -1 &&
	    mgmt_inst_ip_hash(NULL, "{\"ip\"", 5, &h) == -1,
	    "no ip when the JSON is not an object");
}

int
main(void)
{
	log_init("test", 0);
	test_encoder_output();
	test_edited_text();
	test_refused();
	test_ip_hash();
	test_ip_fold();
	return done_testing();
}
