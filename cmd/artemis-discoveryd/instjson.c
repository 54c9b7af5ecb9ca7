/*
 * instjson.c — the top-level values of an instance's JSON found without parsing
 * it, when the text is exactly what libcommon/model.c instance_to_json() writes.
 *
 * The table only ever holds that canonical encoding: compact, every key present
 * in Java's alphabetical order, null written as null, metadata a flat object of
 * strings (or null), the port a plain integer. A string literal there can hold no
 * raw '"', so its end is the next '"'. Text in any other shape, or with an escape
 * or a NUL byte anywhere, is refused (-1) and the caller parses it with json-c:
 * whatever this accepts, json-c reads as the same values (test_artemis-
 * discoveryd_fields.c checks both ways on random instances).
 *
 * Management needs an instance's ip for every server operation, and the
 * follower hashes every instance's ip once (at load: all of them). For a
 * 430-byte instance this takes ~0.12 µs, json-c ~2-3.7 µs. What remains is one
 * step per key and value (~1,300 instructions); a quote bitmap of the whole
 * text first did not make it faster.
 */
#include <string.h>

#include "discoveryd.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define PORT_DIGITS_MAX	18	/* always inside int64 for json-c */

/*
 * Each step takes the text at p and returns where it ends, or NULL; inlined,
 * so p stays in a register and each key is a few compares of constants.
 */
static inline const char *
lit(const char *p, const char *end, const char *s, size_t n)
{
	if (p == NULL || (size_t)(end - p) < n || memcmp(p, s, n) != 0)
		return NULL;
	return p + n;
}

#define LIT(p, s)	lit((p), end, (s), sizeof(s) - 1)

/*
 * The first '"', '\\' or NUL at or after p, or end: where a string literal
 * without escapes ends. 16 bytes a step with SSE2.
 */
static inline const char *
string_stop(const char *p, const char *end)
{
#if defined(__SSE2__)
	__m128i x;
	int m;

	for (; end - p >= 16; p += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)p);
		m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
		    _mm_cmpeq_epi8(x, _mm_setzero_si128())));
		if (m != 0)
			return p + __builtin_ctz((unsigned)m);
	}
#endif
	for (; p < end; p++)
		if (*p == '"' || *p == '\\' || *p == '\0')
			return p;
	return end;
}

/* A string literal with no escape and no NUL in it. */
static inline const char *
string_val(const char *p, const char *end, struct ij_value *v)
{
	const char *q;

	if (p == NULL || p == end || *p != '"')
		return NULL;
	q = string_stop(p + 1, end);
	if (q == end || *q != '"')
		return NULL;
	v->s = p + 1;
	v->n = (size_t)(q - v->s);
	v->kind = IJ_STRING;
	return q + 1;
}

static inline const char *
null_val(const char *p, const char *end, struct ij_value *v)
{
	if ((p = LIT(p, "null")) != NULL) {
		v->s = NULL;
		v->n = 0;
		v->kind = IJ_NULL;
	}
	return p;
}

static inline const char *
string_or_null(const char *p, const char *end, struct ij_value *v)
{
	if (p != NULL && p < end && *p == 'n')
		return null_val(p, end, v);
	return string_val(p, end, v);
}

/* null, or {} / {"k":v,...} with string keys and string-or-null values */
static const char *
metadata_val(const char *p, const char *end, struct ij_value *v)
{
	struct ij_value k, e;
	const char *start = p;

	if (p != NULL && p < end && *p == 'n')
		return null_val(p, end, v);
	if ((p = LIT(p, "{")) == NULL)
		return NULL;
	if (p < end && *p == '}')
		p++;
	else
		for (;;) {
			p = string_val(p, end, &k);
			p = string_or_null(LIT(p, ":"), end, &e);
			if (p == NULL || p == end)
				return NULL;
			if (*p++ == '}')
				break;
			if (p[-1] != ',')
				return NULL;
		}
	v->s = start;
	v->n = (size_t)(p - start);
	v->kind = IJ_OTHER;
	return p;
}

/* -?[1-9][0-9]* or 0, short enough for any int64 */
static const char *
port_val(const char *p, const char *end, struct ij_value *v)
{
	const char *start = p;
	size_t n = 0;

	if (p == NULL)
		return NULL;
	if (p < end && *p == '-')
		p++;
	while (p + n < end && p[n] >= '0' && p[n] <= '9')
		n++;
	if (n == 0 || n > PORT_DIGITS_MAX || (n > 1 && p[0] == '0'))
		return NULL;
	v->s = start;
	v->n = (size_t)(p + n - start);
	v->kind = IJ_OTHER;
	return p + n;
}

/* instance_to_json()'s keys and values, in its order */
#define STR(key, i)	(p = string_or_null(LIT(p, key), end, &out[i]))

int
instance_json_split(const char *json, size_t len, struct ij_value out[IJ_NKEYS])
{
	const char *p = json, *end = json + len;

	if (json == NULL)
		return -1;
	STR("{\"groupId\":", IJ_GROUP_ID);
	STR(",\"healthCheckUrl\":", IJ_HEALTH_CHECK_URL);
	STR(",\"instanceId\":", IJ_INSTANCE_ID);
	STR(",\"ip\":", IJ_IP);
	STR(",\"machineName\":", IJ_MACHINE_NAME);
	p = metadata_val(LIT(p, ",\"metadata\":"), end, &out[IJ_METADATA]);
	p = port_val(LIT(p, ",\"port\":"), end, &out[IJ_PORT]);
	STR(",\"protocol\":", IJ_PROTOCOL);
	STR(",\"regionId\":", IJ_REGION_ID);
	STR(",\"serviceId\":", IJ_SERVICE_ID);
	STR(",\"status\":", IJ_STATUS);
	STR(",\"url\":", IJ_URL);
	STR(",\"zoneId\":", IJ_ZONE_ID);
	return p != NULL && p + 1 == end && *p == '}' ? 0 : -1;
}
