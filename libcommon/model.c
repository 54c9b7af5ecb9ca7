/*
 * model.c — the wire model and its JSON codec (see model.h).
 *
 * Decoding: json-c parses, a short pre-pass refuses what json-c tolerates even in
 * strict mode but Jackson does not (single quotes, NaN/Infinity, "1.", raw control
 * characters in strings), then values are bound with Jackson 2.9's coercions, an
 * Instance's strings copied into one block.
 * Encoding: a small writer straight into an sbuf, sized up front, keys in Java
 * String.compareTo order.
 *
 * Where a decode's time goes (json-bench decode: the 433-byte instance parsed,
 * bound, freed; json-c 0.16; perf cycles, glibc / mimalloc): json-c's tokenizer
 * 39 / 46 %; json-c building the tree 21 / 20 % (each key strdup'ed twice, hashed
 * and looked up for a duplicate; past 10 keys an object rehashes into a 1280-byte
 * table, a large request that makes glibc consolidate its fast bins, every
 * instance); malloc and free, nearly all for json-c's ~60 allocations, 22 / 17 %;
 * memcpy 4 %; ours 11 % (the pre-pass 3 %, binding and freeing the instance 8 %).
 * In a 100-instance body glibc's share grows to 33 % (consolidation), ours is 8 %.
 * See contrib/bench/json-bench.c.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>
#include <wctype.h>

#include <json-c/json.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "log.h"
#include "model.h"

const struct response_status RS_SUCCESS = { EC_SUCCESS, "", ST_SUCCESS };

static void
seterr(char *err, size_t errlen, const char *fmt, const char *arg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, fmt, arg);
}

/* ------------------------------------------------------------------ parsing */

/*
 * Refuse inputs json-c accepts in strict mode although they are not JSON:
 * single-quoted strings, NaN/Infinity (any upper-case letter other than the 'E' of
 * an exponent outside strings), a fraction point without digits, and raw control
 * characters inside strings (Jackson on HTTP refuses them; the WebSocket mapper
 * tolerates them, hence MODEL_PARSE_ALLOW_CONTROL).
 *
 * The same pass notes whether the body has any byte >= 0x80: json-c validates
 * UTF-8 with a call per input byte (15 % of a parse), which an all-ASCII body
 * (every heartbeat in practice) cannot fail, so parse_with() asks for it only when
 * a non-ASCII byte is present.
 */

struct scan {
	int	in_string;
	int	high;		/* a byte >= 0x80 seen */
	size_t	bad;		/* where a refusal was found */
};

/*
 * Byte by byte, from p[i] until stop (<= len) in state *sc; returns the index
 * reached (past stop when an escape at stop - 1 took the byte after it), or
 * (size_t)-1 with err set to refuse. The reference for prescan_block().
 */
static size_t
prescan_bytes(const unsigned char *p, size_t i, size_t stop, size_t len, int flags,
    struct scan *sc, char *err, size_t errlen)
{
	unsigned char c;

	while (i < stop) {
		c = p[i++];
		if (c >= 0x80)
			sc->high = 1;
		else if (sc->in_string) {
			if (c == '"')
				sc->in_string = 0;
			else if (c == '\\') {
				if (i < len && p[i] >= 0x80)
					sc->high = 1;
				i++;	/* the escaped byte is json-c's to judge */
			} else if (c < 0x20 && !(flags & MODEL_PARSE_ALLOW_CONTROL)) {
				seterr(err, errlen, "%s",
				    "illegal unquoted control character in string");
				sc->bad = i - 1;
				return (size_t)-1;
			}
		} else if (c == '"')
			sc->in_string = 1;
		else if (c == '\'' || (c >= 'A' && c <= 'Z' && c != 'E')) {
			seterr(err, errlen, "%s", "unexpected character");
			sc->bad = i - 1;
			return (size_t)-1;
		} else if (c == '.' && (i >= len || p[i] < '0' || p[i] > '9')) {
			seterr(err, errlen, "%s", "fraction without digits");
			sc->bad = i - 1;
			return (size_t)-1;
		}
	}
	return i;
}

#ifdef __SSE2__
/* x with each bit replaced by the XOR of it and all lower bits. */
static inline uint64_t
prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

/*
 * The 64 bytes at p in state *sc, 16 at a time with SSE2, as bit masks: quotes,
 * what is refused or needs a closer look inside a string (a backslash; a
 * control byte unless allowed), and outside one ('\'', '.', A-Z but E). With
 * no backslash inside a string, the bits inside strings are the prefix XOR of
 * the quotes. Returns 1 with *sc advanced when nothing needs a closer look,
 * else 0 (prescan_bytes() then takes the block; the first backslash inside a
 * string is always seen, as the masks before it are exact).
 */
static int
prescan_block(const unsigned char *p, int flags, struct scan *sc)
{
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	const __m128i ctl_max = _mm_set1_epi8(0x1f), apos = _mm_set1_epi8('\'');
	const __m128i dot = _mm_set1_epi8('.'), upper_e = _mm_set1_epi8('E');
	const __m128i before_a = _mm_set1_epi8('A' - 1), after_z = _mm_set1_epi8('Z' + 1);
	const __m128i ctl_on = (flags & MODEL_PARSE_ALLOW_CONTROL) ?
	    _mm_setzero_si128() : _mm_set1_epi8(-1);
	__m128i v, in_bad, out_bad, high = _mm_setzero_si128();
	uint64_t q = 0, ib = 0, ob = 0, inside;
	int j;

	for (j = 0; j < 4; j++) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * j));
		high = _mm_or_si128(high, v);
		in_bad = _mm_or_si128(_mm_cmpeq_epi8(v, bslash), _mm_and_si128(ctl_on,
		    _mm_cmpeq_epi8(_mm_min_epu8(v, ctl_max), v)));
		out_bad = _mm_andnot_si128(_mm_cmpeq_epi8(v, upper_e), _mm_and_si128(
		    _mm_cmpgt_epi8(v, before_a), _mm_cmplt_epi8(v, after_z)));
		out_bad = _mm_or_si128(out_bad, _mm_or_si128(_mm_cmpeq_epi8(v, apos),
		    _mm_cmpeq_epi8(v, dot)));
		q |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) <<
		    (16 * j);
		ib |= (uint64_t)(unsigned)_mm_movemask_epi8(in_bad) << (16 * j);
		ob |= (uint64_t)(unsigned)_mm_movemask_epi8(out_bad) << (16 * j);
	}
	inside = prefix_xor(q) ^ (sc->in_string ? ~(uint64_t)0 : 0);
	if ((ib & inside) != 0 || (ob & ~inside) != 0)
		return 0;
	if (_mm_movemask_epi8(high) != 0)
		sc->high = 1;
	sc->in_string = (int)(inside >> 63);
	return 1;
}
#endif

/*
 * Returns -1 (err set, *bad the offset of the refused byte) to refuse, else 1 if
 * a byte >= 0x80 was seen, else 0. A refusal also says whether a byte >= 0x80
 * came before it.
 */
static int
prescan(const char *body, size_t len, int flags, size_t *bad, int *high_before,
    char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)body;
	struct scan sc = { 0, 0, 0 };
	size_t i = 0;

#ifdef __SSE2__
	unsigned char tail[64];

	while (i + 64 <= len) {
		if (prescan_block(p + i, flags, &sc)) {
			i += 64;
			continue;
		}
		if ((i = prescan_bytes(p, i, i + 64, len, flags, &sc, err,
		    errlen)) == (size_t)-1)
			goto refused;
	}
	if (i < len) {
		/* the rest padded with spaces, harmless in and out of strings */
		memcpy(tail, p + i, len - i);
		memset(tail + (len - i), ' ', sizeof(tail) - (len - i));
		if (prescan_block(tail, flags, &sc))
			i = len;
	}
#endif
	if (prescan_bytes(p, i, len, len, flags, &sc, err, errlen) == (size_t)-1)
		goto refused;
	return sc.high;
refused:
	*bad = sc.bad;
	*high_before = sc.high;
	return -1;
}

/*
 * One tokener per thread, reset between documents: creating one costs three
 * allocations and a tenth of the parse time of an instance.
 */
static pthread_key_t	tok_key;
static pthread_once_t	tok_once = PTHREAD_ONCE_INIT;
static __thread struct json_tokener *tok_cached;

static void
tok_destroy(void *p)
{
	json_tokener_free(p);
}

static void
tok_key_init(void)
{
	if (pthread_key_create(&tok_key, tok_destroy) != 0)
		fatalx("pthread_key_create");
}

/*
 * json-c 0.16 wraps every json_tokener_parse_ex() in a "C" LC_NUMERIC locale of
 * its own: duplocale() of the thread's locale (under glibc's global locale lock
 * when that is the process locale), newlocale(), freelocale(): ~5 % of an
 * instance's parse, and a lock all parsing threads share. glibc returns its
 * static C locale object from all three without building or locking anything
 * when the thread already uses that object, so a parsing thread is switched to
 * it once -- only while the process locale is "C" anyway (no program here calls
 * setlocale(3)), which makes the switch invisible to everything else.
 */
static void
thread_use_c_locale(void)
{
	const char *cur;
	locale_t c;

	if (uselocale((locale_t)0) != LC_GLOBAL_LOCALE)
		return;		/* the thread chose a locale: leave it */
	if ((cur = setlocale(LC_ALL, NULL)) == NULL || strcmp(cur, "C") != 0)
		return;
	if ((c = newlocale(LC_ALL_MASK, "C", (locale_t)0)) == (locale_t)0)
		return;		/* costs speed only */
	uselocale(c);
}

static struct json_tokener *
tok_get(void)
{
	if (tok_cached == NULL) {
		if (pthread_once(&tok_once, tok_key_init) != 0)
			fatalx("pthread_once");
		thread_use_c_locale();
		if ((tok_cached = json_tokener_new_ex(MODEL_MAX_DEPTH)) == NULL)
			fatal("json_tokener_new_ex");
		if (pthread_setspecific(tok_key, tok_cached) != 0)
			fatalx("pthread_setspecific");
	} else
		json_tokener_reset(tok_cached);
	return tok_cached;
}

/* A tokener keeps its largest string buffer: drop it after a big document. */
static void
tok_release_if_big(size_t len)
{
	if (len > 256 * 1024 && tok_cached != NULL) {
		json_tokener_free(tok_cached);
		tok_cached = NULL;
		if (pthread_setspecific(tok_key, NULL) != 0)
			fatalx("pthread_setspecific");
	}
}

static int
is_container(struct json_object *o)
{
	return json_object_is_type(o, json_type_object) ||
	    json_object_is_type(o, json_type_array);
}

static struct json_object *
parse_with(struct json_tokener *tok, const char *body, size_t len, int flags,
    int non_ascii, char *err, size_t errlen)
{
	struct json_object *o;
	enum json_tokener_error jerr;

	/* trailing text: see is_container() below */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS |
	    (non_ascii ? JSON_TOKENER_VALIDATE_UTF8 : 0));
	o = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue && json_tokener_get_parse_end(tok) == len) {
		/* A top-level literal or number needs to see the end of input. */
		o = json_tokener_parse_ex(tok, "", 1);
		if ((jerr = json_tokener_get_error(tok)) == json_tokener_success) {
			if (o == NULL && !(flags & MODEL_PARSE_ALLOW_NULL))
				seterr(err, errlen, "%s", "request body is null");
			return o;
		}
	}
	if (o == NULL && jerr == json_tokener_success &&
	    json_tokener_get_parse_end(tok) == len) {	/* the literal null */
		if (!(flags & MODEL_PARSE_ALLOW_NULL))
			seterr(err, errlen, "%s", "request body is null");
		return NULL;
	}
	if (jerr == json_tokener_success && is_container(o))
		return o;	/* Jackson reads one value and never looks past it */
	if (jerr != json_tokener_success || json_tokener_get_parse_end(tok) != len) {
		if (jerr == json_tokener_continue)
			seterr(err, errlen, "%s", "unexpected end of input");
		else if (jerr == json_tokener_success)
			seterr(err, errlen, "%s", "trailing data");
		else
			seterr(err, errlen, "%s", json_tokener_error_desc(jerr));
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/*
 * The pre-pass refused the byte at bad. Jackson (2.9, FAIL_ON_TRAILING_TOKENS
 * off) reads the first value and stops, so the refusal only counts when that
 * byte is part of it: an object or array that closes before it is the answer.
 * A scalar there keeps the refusal (Jackson wants a delimiter after a root
 * scalar, and no request body is one).
 */
static struct json_object *
after_refusal(const char *body, size_t bad, int flags, int high, char *err,
    size_t errlen)
{
	char why[128];
	struct json_object *o = NULL;

	strlcpy(why, err != NULL && errlen > 0 ? err : "", sizeof(why));
	if (bad > 0)
		o = parse_with(tok_get(), body, bad, flags, high, NULL, 0);
	tok_release_if_big(bad);
	if (o != NULL && is_container(o)) {
		if (err != NULL && errlen > 0)
			err[0] = '\0';
		return o;
	}
	json_object_put(o);
	seterr(err, errlen, "%s", why);
	return NULL;
}

struct json_object *
model_parse_flags(const char *body, size_t len, int flags, char *err, size_t errlen)
{
	struct json_object *o;
	size_t bad = 0;
	int non_ascii, high = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	/* A UTF-8 byte order mark is skipped, as Jackson's byte-source bootstrapper
	 * skips it in every HTTP body (Spring hands it the body's bytes). */
	if (body != NULL && len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0) {
		body += 3;
		len -= 3;
	}
	if (body == NULL || len == 0 || len > INT_MAX) {
		seterr(err, errlen, "%s", "empty or oversized body");
		return NULL;
	}
	if ((non_ascii = prescan(body, len, flags, &bad, &high, err, errlen)) == -1)
		return after_refusal(body, bad, flags, high, err, errlen);
	o = parse_with(tok_get(), body, len, flags, non_ascii, err, errlen);
	tok_release_if_big(len);
	return o;
}

struct json_object *
model_parse(const char *body, size_t len, char *err, size_t errlen)
{
	return model_parse_flags(body, len, 0, err, errlen);
}

/* ------------------------------------------------------------------ coercions */

struct json_object *
model_get(struct json_object *obj, const char *name, int *present)
{
	struct json_object *found = NULL;
	int seen = 0;

	if (obj != NULL && json_object_is_type(obj, json_type_object)) {
		json_object_object_foreach(obj, k, v) {
			if (strcasecmp(k, name) == 0) {
				found = v;
				seen = 1;
			}
		}
	}
	if (present != NULL)
		*present = seen;
	return found;
}

/* Jackson StringDeserializer: strings as they are, other scalars as their token
 * text, null as null (*s = NULL), containers refused. *s stays valid as long as v.
 * A string with a NUL inside is refused when check_nul is set; instance_from_json()
 * clears it and finds such strings in one pass over its block instead.
 *
 * json_object_get_string_len() is 0 for anything but a non-empty string, so a
 * non-empty string, the common case, costs two calls into json-c instead of three. */
static int
string_text(struct json_object *v, const char *name, const char **s, size_t *n,
    int check_nul, char *err, size_t errlen)
{
	int len;

	*s = NULL;
	*n = 0;
	if (v == NULL)
		return 0;
	if ((len = json_object_get_string_len(v)) > 0) {
		*s = json_object_get_string(v);
		*n = (size_t)len;
		if (check_nul && memchr(*s, '\0', *n) != NULL) {
			seterr(err, errlen, "%s: NUL character in string", name);
			return -1;
		}
	} else switch (json_object_get_type(v)) {
	case json_type_string:		/* "" */
		*s = json_object_get_string(v);
		break;
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		*s = json_object_get_string(v);
		*n = strlen(*s);
		break;
	default:
		seterr(err, errlen, "%s: cannot deserialize a String out of an "
		    "object or array", name);
		return -1;
	}
	if (*n > MODEL_MAX_STRING) {
		seterr(err, errlen, "%s: string too long", name);
		return -1;
	}
	return 0;
}

static int
coerce_string(struct json_object *v, const char *name, char **out, char *err,
    size_t errlen)
{
	const char *s;
	size_t n;

	*out = NULL;
	if (string_text(v, name, &s, &n, 1, err, errlen) == -1)
		return -1;
	if (s != NULL && (*out = strndup(s, n)) == NULL)
		fatal("coerce_string");
	return 0;
}

/* String.trim() of the text s[0..*n) in place; whether Jackson then reads it as
 * no value (empty or "null"). */
static int
text_trim_is_null(const char **s, size_t *n)
{
	while (*n > 0 && (unsigned char)**s <= ' ')
		(*s)++, (*n)--;
	while (*n > 0 && (unsigned char)(*s)[*n - 1] <= ' ')
		(*n)--;
	return *n == 0 || (*n == 4 && memcmp(*s, "null", 4) == 0);
}

/* Long.parseLong on a trimmed string: optional sign, then decimal digits only. */
static int
parse_long_text(const char *s, size_t n, int64_t *out)
{
	char buf[32];
	char *end;
	long long v;

	if (text_trim_is_null(&s, &n)) {
		*out = 0;		/* Jackson: empty or textual null -> 0 */
		return 0;
	}
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!isdigit((unsigned char)buf[buf[0] == '-' || buf[0] == '+' ? 1 : 0]))
		return -1;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Jackson _parseIntPrimitive/_parseLongPrimitive with default features. */
static int
coerce_int64(struct json_object *v, const char *name, int64_t min, int64_t max,
    int64_t *out, char *err, size_t errlen)
{
	double d;
	int64_t i = 0;

	*out = 0;
	if (v == NULL)
		return 0;
	switch (json_object_get_type(v)) {
	case json_type_int:
		i = json_object_get_int64(v);
		/* json-c keeps 2^63.. as uint64 (and saturates beyond 2^64), where
		 * get_int64 saturates: Jackson's "out of range of long" */
		if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX) {
			seterr(err, errlen, "%s: numeric value out of range", name);
			return -1;
		}
		break;
	case json_type_double:	/* ACCEPT_FLOAT_AS_INT: truncate, range-checked */
		d = json_object_get_double(v);
		if (!isfinite(d) || d < (double)min || d > (double)max) {
			seterr(err, errlen, "%s: numeric value out of range", name);
			return -1;
		}
		i = (int64_t)d;
		break;
	case json_type_string:
		if (parse_long_text(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), &i) == -1) {
			seterr(err, errlen, "%s: not a valid integer value", name);
			return -1;
		}
		break;
	default:
		seterr(err, errlen, "%s: cannot deserialize a number out of this "
		    "token", name);
		return -1;
	}
	if (i < min || i > max) {
		seterr(err, errlen, "%s: numeric value out of range", name);
		return -1;
	}
	*out = i;
	return 0;
}

int
model_get_string(struct json_object *obj, const char *name, char **out, char *err,
    size_t errlen)
{
	return coerce_string(model_get(obj, name, NULL), name, out, err, errlen);
}

int
model_get_int64(struct json_object *obj, const char *name, int64_t *out, char *err,
    size_t errlen)
{
	return coerce_int64(model_get(obj, name, NULL), name, INT64_MIN, INT64_MAX, out,
	    err, errlen);
}

/*
 * Jackson 2.9's boolean coercion (_parseBoolean / _parseBooleanPrimitive, default
 * features): true/false; an integer is false when 0, else true; a string is
 * trimmed as String.trim() does and then only "true", "True", "false" and
 * "False" are booleans, while "" and "null" are no value (the wrapper Boolean
 * stays null, the primitive 0). Anything else is refused.
 */
int
model_get_bool(struct json_object *obj, const char *name, int *out, int *present,
    char *err, size_t errlen)
{
	struct json_object *v = model_get(obj, name, NULL);
	const char *s;
	size_t n;

	*out = 0;
	*present = 0;
	if (v == NULL)
		return 0;
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		*out = json_object_get_boolean(v);
		break;
	case json_type_int:
		*out = json_object_get_int64(v) != 0;
		break;
	case json_type_string:
		s = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
		if (text_trim_is_null(&s, &n))
			return 0;
		if (n == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "True", 4) == 0))
			*out = 1;
		else if (n == 5 && (memcmp(s, "false", 5) == 0 ||
		    memcmp(s, "False", 5) == 0))
			*out = 0;
		else {
			seterr(err, errlen, "%s: only \"true\" or \"false\" "
			    "recognized", name);
			return -1;
		}
		break;
	default:
		seterr(err, errlen, "%s: cannot deserialize a boolean out of this "
		    "token", name);
		return -1;
	}
	*present = 1;
	return 0;
}

static void
kv_free(struct kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

/* A Map<String,String>: null -> absent, object -> entries in input order. */
static int
decode_string_map(struct json_object *v, const char *name, struct kv **out,
    size_t *nout, int *has, char *err, size_t errlen)
{
	struct kv *kv;
	size_t n = 0, cap;

	*out = NULL;
	*nout = 0;
	*has = 0;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		seterr(err, errlen, "%s: expected an object", name);
		return -1;
	}
	cap = (size_t)json_object_object_length(v);
	if (cap > MODEL_MAX_METADATA) {
		seterr(err, errlen, "%s: too many entries", name);
		return -1;
	}
	if ((kv = calloc(cap ? cap : 1, sizeof(*kv))) == NULL)
		fatal("decode_string_map");
	json_object_object_foreach(v, k, val) {
		size_t klen = strlen(k);

		if (n == cap)
			break;
		if (klen > MODEL_MAX_STRING) {
			seterr(err, errlen, "%s: key too long", name);
			goto fail;
		}
		if (coerce_string(val, name, &kv[n].value, err, errlen) == -1)
			goto fail;
		if ((kv[n].key = strdup(k)) == NULL)
			fatal("decode_string_map");
		n++;
	}
	*out = kv;
	*nout = n;
	*has = 1;
	return 0;
fail:
	kv_free(kv, n);
	return -1;
}

/* ------------------------------------------------------------------ Instance */

enum ifield {
	F_GROUP, F_HEALTH, F_INSTANCE, F_IP, F_MACHINE, F_METADATA, F_PORT,
	F_PROTOCOL, F_REGION, F_SERVICE, F_STATUS, F_URL, F_ZONE, F_NONE
};

static const char *const ifield_name[] = {
	"groupId", "healthCheckUrl", "instanceId", "ip", "machineName", "metadata",
	"port", "protocol", "regionId", "serviceId", "status", "url", "zoneId"
};

/* The same, lower-cased, for key_is(). */
static const char *const ifield_lname[] = {
	"groupid", "healthcheckurl", "instanceid", "ip", "machinename", "metadata",
	"port", "protocol", "regionid", "serviceid", "status", "url", "zoneid"
};

/*
 * strcasecmp(k, lname) == 0 for a name of lower-case letters only, inline: a
 * library call per key was a sixth of instance_from_json(). For a lower-case
 * letter c, (x | 0x20) == c holds exactly for x == c and x == c - 0x20, its
 * upper case, as in the C locale strcasecmp() compared in.
 */
static inline int
key_is(const char *k, const char *lname)
{
	while (*lname != '\0')
		if ((*k++ | 0x20) != *lname++)
			return 0;
	return *k == '\0';
}

/*
 * The field a key may name, by a hash of its first two letters folded to lower
 * case (unique for the thirteen names), plus one; 0: no field. One table load
 * and one comparison per key, not thirteen (a switch here was a jump table, an
 * indirect branch per key).
 */
#define IFIELD_HASH(c0, c1)	(((unsigned)(c0) * 2 + ((unsigned)(c1) >> 2)) & 31)

static const unsigned char ifield_by_hash[32] = {
	[IFIELD_HASH('g', 'r')] = F_GROUP + 1,
	[IFIELD_HASH('h', 'e')] = F_HEALTH + 1,
	[IFIELD_HASH('i', 'n')] = F_INSTANCE + 1,
	[IFIELD_HASH('i', 'p')] = F_IP + 1,
	[IFIELD_HASH('m', 'a')] = F_MACHINE + 1,
	[IFIELD_HASH('m', 'e')] = F_METADATA + 1,
	[IFIELD_HASH('p', 'o')] = F_PORT + 1,
	[IFIELD_HASH('p', 'r')] = F_PROTOCOL + 1,
	[IFIELD_HASH('r', 'e')] = F_REGION + 1,
	[IFIELD_HASH('s', 'e')] = F_SERVICE + 1,
	[IFIELD_HASH('s', 't')] = F_STATUS + 1,
	[IFIELD_HASH('u', 'r')] = F_URL + 1,
	[IFIELD_HASH('z', 'o')] = F_ZONE + 1,
};

static enum ifield
ifield_of(const char *k)
{
	unsigned f;

	if (k[0] == '\0')
		return F_NONE;
	f = ifield_by_hash[IFIELD_HASH(k[0] | 0x20, k[1] | 0x20)];
	if (f == 0 || !key_is(k, ifield_lname[f - 1]))
		return F_NONE;
	return (enum ifield)(f - 1);
}

/* Where each string field lives in struct instance; 0 for the others. */
static const size_t ifield_off[F_NONE] = {
	[F_GROUP] = offsetof(struct instance, group_id),
	[F_HEALTH] = offsetof(struct instance, health_check_url),
	[F_INSTANCE] = offsetof(struct instance, instance_id),
	[F_IP] = offsetof(struct instance, ip),
	[F_MACHINE] = offsetof(struct instance, machine_name),
	[F_PROTOCOL] = offsetof(struct instance, protocol),
	[F_REGION] = offsetof(struct instance, region_id),
	[F_SERVICE] = offsetof(struct instance, service_id),
	[F_STATUS] = offsetof(struct instance, status),
	[F_URL] = offsetof(struct instance, url),
	[F_ZONE] = offsetof(struct instance, zone_id),
};

/* The member of string field f (not F_METADATA nor F_PORT). */
static inline char **
istring(struct instance *in, enum ifield f)
{
	return (char **)(void *)((char *)in + ifield_off[f]);
}

/* 1 if p lies in the block of strings instance_from_json() allocated. */
static int
in_block(const struct instance *in, const char *p)
{
	uintptr_t b = (uintptr_t)in->block, q = (uintptr_t)p;

	return in->block != NULL && q >= b && q < b + in->block_len;
}

static void
free_unless_in_block(const struct instance *in, char *p)
{
	if (p != NULL && !in_block(in, p))
		free(p);
}

void
instance_free(struct instance *in)
{
	size_t i;
	int f;

	if (in == NULL)
		return;
	for (f = 0; f < F_NONE; f++)
		if (f != F_METADATA && f != F_PORT)
			free_unless_in_block(in, *istring(in, (enum ifield)f));
	for (i = 0; i < in->nmetadata; i++) {
		free_unless_in_block(in, in->metadata[i].key);
		free_unless_in_block(in, in->metadata[i].value);
	}
	free(in->metadata);
	free(in->block);
	memset(in, 0, sizeof(*in));
}

void
instance_set_string(struct instance *in, char **field, const char *value)
{
	free_unless_in_block(in, *field);
	*field = NULL;
	if (value != NULL && (*field = strdup(value)) == NULL)
		fatal("instance_set_string");
}

/*
 * Metadata entries pass one has checked, kept for pass two when there are few
 * (there are a handful in practice): asking json-c for each text again cost
 * four library calls per entry.
 */
#define MD_CACHE	16

struct mdentry {
	const char	*k, *v;		/* v NULL: JSON null */
	size_t		 kn, vn;
};

/*
 * What pass one of instance_from_json() found: per string field its final text
 * (a later duplicate replaces an earlier one), and the final metadata object.
 */
struct idecode {
	const char		*s[F_NONE];
	size_t			 n[F_NONE];
	struct json_object	*metadata;	/* NULL: absent or null */
	size_t			 nmetadata;
	size_t			 size;		/* bytes of the block */
	unsigned		 seen;		/* 1 << field, for duplicates */
	int			 exact;		/* see instance_from_json() */
	struct mdentry		*md;		/* [MD_CACHE], used if nmetadata fits */
};

/*
 * Check a metadata map the way decode_string_map() would; its bytes in the
 * block into *size, its entries into d->md while they fit.
 */
static int
metadata_check(struct json_object *v, struct idecode *d, size_t *size, char *err,
    size_t errlen)
{
	const char *s;
	size_t n, i = 0;
	int len, vlen;

	if (!json_object_is_type(v, json_type_object)) {
		seterr(err, errlen, "%s", "metadata: expected an object");
		return -1;
	}
	if ((len = json_object_object_length(v)) > MODEL_MAX_METADATA) {
		seterr(err, errlen, "%s", "metadata: too many entries");
		return -1;
	}
	d->nmetadata = (size_t)len;
	*size = 0;
	json_object_object_foreach(v, k, val) {
		size_t klen = strlen(k);

		if (klen > MODEL_MAX_STRING) {
			seterr(err, errlen, "%s", "metadata: key too long");
			return -1;
		}
		if (!d->exact && (vlen = json_object_get_string_len(val)) > 0 &&
		    vlen <= MODEL_MAX_STRING) {
			s = json_object_get_string(val);	/* string_text() inline */
			n = (size_t)vlen;
		} else if (string_text(val, "metadata", &s, &n, d->exact, err,
		    errlen) == -1)
			return -1;
		*size += klen + 1 + (s != NULL ? n + 1 : 0);
		if (i < MD_CACHE) {
			d->md[i].k = k;
			d->md[i].kn = klen;
			d->md[i].v = s;
			d->md[i].vn = n;
		}
		i++;
	}
	return 0;
}

/*
 * Pass one: coerce and check every known key in input order (so the first
 * refusal is the one Jackson reports), remember the final value of each.
 * 0: done; -1: refused (err set); 1: not exact and a known key came twice, so
 * a replaced value went unchecked for NULs: start again exactly.
 */
static int
idecode_scan(struct json_object *o, struct instance *out, struct idecode *d,
    char *err, size_t errlen)
{
	enum ifield f;
	int64_t port;
	size_t msize = 0, sz;
	int len;

	json_object_object_foreach(o, k, v) {
		if ((f = ifield_of(k)) == F_NONE)
			continue;
		if (!d->exact) {
			if (d->seen & (1u << f))
				return 1;
			d->seen |= 1u << f;
		}
		if (f == F_PORT) {
			if (coerce_int64(v, "port", INT_MIN, INT_MAX, &port, err,
			    errlen) == -1)
				return -1;
			out->port = (int)port;
		} else if (f == F_METADATA) {
			d->metadata = NULL;
			d->nmetadata = 0;
			msize = 0;
			out->has_metadata = 0;
			if (v == NULL)
				continue;
			if (metadata_check(v, d, &sz, err, errlen) == -1)
				return -1;
			d->metadata = v;
			msize = sz;
			out->has_metadata = 1;
		} else if (!d->exact && (len = json_object_get_string_len(v)) > 0 &&
		    len <= MODEL_MAX_STRING) {
			d->s[f] = json_object_get_string(v);	/* string_text() inline */
			d->n[f] = (size_t)len;
		} else if (string_text(v, ifield_name[f], &d->s[f], &d->n[f], d->exact,
		    err, errlen) == -1)
			return -1;
	}
	for (f = 0; f < F_NONE; f++)
		if (d->s[f] != NULL)
			d->size += d->n[f] + 1;
	d->size += msize;
	return 0;
}

static char *
block_add(char **at, const char *s, size_t n)
{
	char *p = *at;

	memcpy(p, s, n);
	p[n] = '\0';
	*at = p + n + 1;
	return p;
}

/*
 * Pass two: one allocation for all strings, one for the metadata array.
 * Returns how many strings the block holds (one NUL terminator each).
 */
static size_t
idecode_copy(const struct idecode *d, struct instance *out)
{
	const struct mdentry *e;
	const char *s;
	char *at;
	size_t n, i = 0, nstrings = 0;
	int f;

	if (d->size > 0) {
		if ((out->block = malloc(d->size)) == NULL)
			fatal("instance_from_json");
		out->block_len = d->size;
	}
	at = out->block;
	for (f = 0; f < F_NONE; f++)
		if (d->s[f] != NULL) {
			*istring(out, (enum ifield)f) = block_add(&at, d->s[f], d->n[f]);
			nstrings++;
		}
	if (d->metadata == NULL)
		return nstrings;
	if ((out->metadata = calloc(d->nmetadata ? d->nmetadata : 1,
	    sizeof(*out->metadata))) == NULL)
		fatal("instance_from_json");
	out->nmetadata = d->nmetadata;
	if (d->nmetadata <= MD_CACHE) {
		for (i = 0; i < d->nmetadata; i++) {
			e = &d->md[i];
			out->metadata[i].key = block_add(&at, e->k, e->kn);
			if (e->v != NULL)
				out->metadata[i].value = block_add(&at, e->v, e->vn);
			nstrings += e->v != NULL ? 2 : 1;
		}
		return nstrings;
	}
	json_object_object_foreach(d->metadata, k, val) {
		if (i == d->nmetadata)
			break;
		out->metadata[i].key = block_add(&at, k, strlen(k));
		nstrings++;
		if (string_text(val, "metadata", &s, &n, 0, NULL, 0) == 0 && s != NULL) {
			out->metadata[i].value = block_add(&at, s, n);
			nstrings++;
		}
		i++;
	}
	out->nmetadata = i;
	return nstrings;
}

/* The number of NUL bytes in p[0..n). */
static size_t
count_nul(const char *p, size_t n)
{
	size_t i = 0, count = 0;
#ifdef __SSE2__
	/* Each lane of acc counts down by one per NUL seen, for at most 255
	 * vectors; _mm_sad_epu8 then sums the lanes' negated counts. */
	const __m128i zero = _mm_setzero_si128();
	__m128i acc, sum;
	size_t j;

	while (i + 16 <= n) {
		acc = zero;
		for (j = 0; j < 255 && i + 16 <= n; j++, i += 16)
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(zero,
			    _mm_loadu_si128((const __m128i *)(const void *)(p + i))));
		sum = _mm_sad_epu8(acc, zero);
		count += (size_t)_mm_cvtsi128_si32(sum) +
		    (size_t)_mm_extract_epi16(sum, 4);
	}
#endif
	for (; i < n; i++)
		count += p[i] == '\0';
	return count;
}

/* One attempt on a zeroed *out: 0 decoded, -1 refused, 1 try again exactly;
 * *out is left zeroed unless 0. */
static int
idecode_try(struct json_object *o, struct instance *out, int exact, char *err,
    size_t errlen)
{
	struct mdentry md[MD_CACHE];
	struct idecode d;
	size_t nstrings;
	int rc, f;

	for (f = 0; f < F_NONE; f++)	/* d.n[f] counts only where d.s[f] is set */
		d.s[f] = NULL;
	d.metadata = NULL;
	d.nmetadata = d.size = 0;
	d.seen = 0;
	d.exact = exact;
	d.md = md;
	if ((rc = idecode_scan(o, out, &d, err, errlen)) != 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	nstrings = idecode_copy(&d, out);
	if (!exact && count_nul(out->block, out->block_len) != nstrings) {
		instance_free(out);
		return 1;	/* a string with a NUL inside */
	}
	return 0;
}

/*
 * Two passes so that an instance costs two allocations (its strings, its
 * metadata array) instead of one per field and metadata entry: with json-c's own
 * ~70 allocations per instance glibc's per-size caches overflow, and the
 * per-field copies cost as much again in malloc's slow paths as they did alone.
 *
 * The first attempt does not look for NULs in each string (a library call per
 * string, a sixth of the time) but counts the NULs of the finished block once.
 * A refusal, a known key given twice or a NUL inside a string (all rare) starts
 * a second, exact attempt that checks each string as it is met, so the refusal
 * reported is always the first in key order, as Jackson's would be.
 */
int
instance_from_json(struct json_object *o, struct instance *out, int *is_null,
    char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	*is_null = 0;
	if (o == NULL) {
		*is_null = 1;
		return 0;
	}
	if (!json_object_is_type(o, json_type_object)) {
		seterr(err, errlen, "%s", "instance: expected an object");
		return -1;
	}
	if (idecode_try(o, out, 0, err, errlen) == 0)
		return 0;
	memset(out, 0, sizeof(*out));
	return idecode_try(o, out, 1, err, errlen) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ encoding */

/* 0: copy raw; otherwise the character after the backslash ('u' = \u00XX). */
static const char json_esc[256] = {
	['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
	[0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u',
	[0x05] = 'u', [0x06] = 'u', [0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u',
	[0x0f] = 'u', [0x10] = 'u', [0x11] = 'u', [0x12] = 'u', [0x13] = 'u',
	[0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u', [0x18] = 'u',
	[0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u',
	[0x1e] = 'u', [0x1f] = 'u', ['"'] = '"', ['\\'] = '\\',
};

/* Worst case of a string literal: every byte as \u00XX, plus the quotes. */
#define JSON_STRING_MAX(n)	(6 * (n) + 2)
/* ... or of put_string_or_null() */
#define JSON_STRING_OR_NULL_MAX(s, n)	((s) == NULL ? 4 : JSON_STRING_MAX(n))

/*
 * Write s as a JSON string literal at d (room for JSON_STRING_MAX(n) bytes);
 * returns the end. Runs of bytes that need no escape (nearly all of them) are
 * found by a table lookup per byte and copied with one memcpy.
 */
static char *
put_string(char *d, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;
	unsigned char c;

	*d++ = '"';
	for (;;) {
		run = i;
		while (i < n && json_esc[p[i]] == 0)
			i++;
		memcpy(d, p + run, i - run);
		d += i - run;
		if (i == n)
			break;
		c = p[i++];
		*d++ = '\\';
		*d++ = json_esc[c];
		if (json_esc[c] == 'u') {
			*d++ = '0';
			*d++ = '0';
			*d++ = hex[c >> 4];
			*d++ = hex[c & 0xf];
		}
	}
	*d++ = '"';
	return d;
}

static char *
put_lit(char *d, const char *lit, size_t n)
{
	memcpy(d, lit, n);
	return d + n;
}

/* A string member or null; n is its length (ignored for NULL). */
static char *
put_string_or_null(char *d, const char *s, size_t n)
{
	return s == NULL ? put_lit(d, "null", 4) : put_string(d, s, n);
}

/* Decimal int64 without snprintf. */
static char *
put_i64(char *d, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return put_lit(d, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* Reserve room for `room` bytes and return where writing starts. */
static char *
out_begin(struct sbuf *out, size_t room)
{
	sbuf_reserve(out, room);
	return out->s + out->len;
}

/* Commit what was written up to end (NUL-terminated like every sbuf). */
static void
out_end(struct sbuf *out, char *end)
{
	out->len = (size_t)(end - out->s);
	out->s[out->len] = '\0';
}

void
model_json_stringn(struct sbuf *out, const char *s, size_t n)
{
	out_end(out, put_string(out_begin(out, JSON_STRING_MAX(n)), s, n));
}

void
model_json_string(struct sbuf *out, const char *s)
{
	if (s == NULL)
		sbuf_add(out, "null", 4);
	else
		model_json_stringn(out, s, strlen(s));
}

#define KEY(out, lit)	sbuf_add((out), lit, sizeof(lit) - 1)
#define PUT(d, lit)	put_lit((d), lit, sizeof(lit) - 1)

/* The string members of an Instance in wire (key) order, with their lengths. */
struct istrings {
	const char	*s[11];
	size_t		 n[11];
};

static size_t
istrings_get(const struct instance *in, struct istrings *v)
{
	size_t i, room = 0;

	v->s[0] = in->group_id;
	v->s[1] = in->health_check_url;
	v->s[2] = in->instance_id;
	v->s[3] = in->ip;
	v->s[4] = in->machine_name;
	v->s[5] = in->protocol;
	v->s[6] = in->region_id;
	v->s[7] = in->service_id;
	v->s[8] = in->status;
	v->s[9] = in->url;
	v->s[10] = in->zone_id;
	for (i = 0; i < 11; i++) {
		v->n[i] = v->s[i] != NULL ? strlen(v->s[i]) : 0;
		room += JSON_STRING_OR_NULL_MAX(v->s[i], v->n[i]);
	}
	return room;
}

static size_t
metadata_room(const struct kv *kv, size_t n)
{
	size_t i, room = 2;

	for (i = 0; i < n; i++)
		room += 2 + JSON_STRING_MAX(kv[i].key ? strlen(kv[i].key) : 4) +
		    JSON_STRING_OR_NULL_MAX(kv[i].value,
		    kv[i].value ? strlen(kv[i].value) : 0);
	return room;
}

static char *
put_metadata(char *d, const struct kv *kv, size_t n)
{
	size_t i;

	*d++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*d++ = ',';
		if (kv[i].key != NULL)
			d = put_string(d, kv[i].key, strlen(kv[i].key));
		else
			d = PUT(d, "\"null\"");
		*d++ = ':';
		d = put_string_or_null(d, kv[i].value,
		    kv[i].value ? strlen(kv[i].value) : 0);
	}
	*d++ = '}';
	return d;
}

/*
 * Room for an Instance beyond its strings and metadata: keys and punctuation
 * (149 bytes), "null" metadata (4), the port (11 at most).
 */
#define INSTANCE_FRAME	(149 + 4 + 11)

/*
 * The table stores exactly this output, and discoveryd's instjson.c reads
 * top-level values of it in place (falling back to json-c for anything else):
 * keep the shape (compact, keys in this order, every key present, nulls
 * written) or update that reader; test_artemis-discoveryd_fields fails if the
 * fast path stops matching.
 */
void
instance_to_json(const struct instance *in, struct sbuf *out)
{
	struct istrings v;
	size_t room;
	char *d, *start;

	room = INSTANCE_FRAME + istrings_get(in, &v);
	if (in->has_metadata)
		room += metadata_room(in->metadata, in->nmetadata);
	d = start = out_begin(out, room);
	d = PUT(d, "{\"groupId\":");
	d = put_string_or_null(d, v.s[0], v.n[0]);
	d = PUT(d, ",\"healthCheckUrl\":");
	d = put_string_or_null(d, v.s[1], v.n[1]);
	d = PUT(d, ",\"instanceId\":");
	d = put_string_or_null(d, v.s[2], v.n[2]);
	d = PUT(d, ",\"ip\":");
	d = put_string_or_null(d, v.s[3], v.n[3]);
	d = PUT(d, ",\"machineName\":");
	d = put_string_or_null(d, v.s[4], v.n[4]);
	d = PUT(d, ",\"metadata\":");
	if (in->has_metadata)
		d = put_metadata(d, in->metadata, in->nmetadata);
	else
		d = PUT(d, "null");
	d = PUT(d, ",\"port\":");
	d = put_i64(d, in->port);
	d = PUT(d, ",\"protocol\":");
	d = put_string_or_null(d, v.s[5], v.n[5]);
	d = PUT(d, ",\"regionId\":");
	d = put_string_or_null(d, v.s[6], v.n[6]);
	d = PUT(d, ",\"serviceId\":");
	d = put_string_or_null(d, v.s[7], v.n[7]);
	d = PUT(d, ",\"status\":");
	d = put_string_or_null(d, v.s[8], v.n[8]);
	d = PUT(d, ",\"url\":");
	d = put_string_or_null(d, v.s[9], v.n[9]);
	d = PUT(d, ",\"zoneId\":");
	d = put_string_or_null(d, v.s[10], v.n[10]);
	*d++ = '}';
	if ((size_t)(d - start) > room)		/* the sizing above is wrong */
		fatalx("instance_to_json: wrote %zu bytes into %zu",
		    (size_t)(d - start), room);
	out_end(out, d);
}

/* ------------------------------------------------------------------ keys, display */

static locale_t		utf8_locale;
static pthread_once_t	utf8_once = PTHREAD_ONCE_INIT;

static void
utf8_locale_init(void)
{
	/* glibc's C.UTF-8 carries Unicode's simple case mappings */
	if ((utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) ==
	    (locale_t)0)
		log_warn("newlocale(C.UTF-8): non-ASCII letters keep their case in keys");
}

/* Appends s[0..n) with A-Z lowered; with stop_high, stops before the first byte
 * >= 0x80. Returns how many bytes it took. */
static size_t
add_lower_ascii(struct sbuf *out, const char *s, size_t n, int stop_high)
{
	size_t i;
	char *d;

	sbuf_reserve(out, n);
	d = out->s + out->len;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 && stop_high)
			break;
		d[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	out->len += i;
	out->s[out->len] = '\0';
	return i;
}

/*
 * Java lowers a capital sigma to the final form U+03C2 when it ends a word: a
 * cased letter precedes it and none follows it within its word, words being
 * what the JDK's own word BreakIterator finds (ConditionalSpecialCasing). Its
 * rules, checked against Java 17 here: a word is letters and digits (kanji and
 * kana apart), joined across one mid-word character between two letters (a
 * dash, '.', '_', an apostrophe or a double quote, U+00AD, U+2027) or one of
 * ".,'\"" between two digits; format characters are transparent, combining
 * marks too except that a mid-word character carrying one does not join;
 * anything else (':', '/', a space, U+2019, ...) ends the word.
 */
enum jclass { J_OTHER, J_LETTER, J_DIGIT, J_MARK, J_FORMAT, J_MIDWORD, J_MIDNUM,
	J_MIDBOTH };

/* Unicode's format characters (Cf) but U+00AD, a mid-word character to Java */
static int
is_format(wchar_t c)
{
	return (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x206f) || c == 0xfeff ||
	    (c >= 0xfff9 && c <= 0xfffb) || (c >= 0x600 && c <= 0x605) || c == 0x61c ||
	    c == 0x6dd || c == 0x70f || c == 0x180e;
}

static int
is_dash(wchar_t c)
{
	return c == '-' || c == 0x58a || c == 0x5be || c == 0x1400 || c == 0x1806 ||
	    (c >= 0x2010 && c <= 0x2015) || c == 0x2e17 || c == 0x2e1a || c == 0x2e3a ||
	    c == 0x2e3b || c == 0x2e40 || c == 0x301c || c == 0x3030 || c == 0x30a0 ||
	    c == 0xfe31 || c == 0xfe32 || c == 0xfe58 || c == 0xfe63 || c == 0xff0d;
}

static int
is_kanji_kana(wchar_t c)
{
	return c == 0x3005 || (c >= 0x4e00 && c <= 0x9fa5) || (c >= 0xf900 && c <= 0xfa2d) ||
	    (c >= 0x3041 && c <= 0x309e) || (c >= 0x30a1 && c <= 0x30fe);
}

/* Numbers: decimal digits beyond ASCII (glibc files them under alpha) and
 * those that are not decimal (No, Nl): [:N:] to Java's rules */
static int
is_other_number(wchar_t c)
{
	static const uint16_t zeros[] = {	/* BMP runs of ten Nd digits */
		0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66,
		0xce6, 0xd66, 0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0,
		0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50,
		0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
	};
	size_t i;

	for (i = 0; i < sizeof(zeros) / sizeof(zeros[0]); i++)
		if (c >= zeros[i] && c <= zeros[i] + 9)
			return 1;
	return c == 0xb2 || c == 0xb3 || c == 0xb9 || (c >= 0xbc && c <= 0xbe) ||
	    c == 0x2070 || (c >= 0x2074 && c <= 0x2079) || (c >= 0x2080 && c <= 0x2089) ||
	    (c >= 0x2150 && c <= 0x2189) || (c >= 0x2460 && c <= 0x249b) ||
	    (c >= 0x24ea && c <= 0x24ff) || (c >= 0x2776 && c <= 0x2793) || c == 0x3007 ||
	    (c >= 0x3021 && c <= 0x3029) || (c >= 0x3038 && c <= 0x303a) ||
	    (c >= 0x3192 && c <= 0x3195) || (c >= 0x3220 && c <= 0x3229) ||
	    (c >= 0x3248 && c <= 0x324f) || (c >= 0x3251 && c <= 0x325f) ||
	    (c >= 0x3280 && c <= 0x3289) || (c >= 0x32b1 && c <= 0x32bf);
}

static enum jclass
jclass_of(wchar_t c)
{
	if (c == '.' || c == '\'' || c == '"')
		return J_MIDBOTH;
	if (c == ',' || c == 0x66b)
		return J_MIDNUM;
	if (c == '_' || c == 0xad || c == 0x2027 || is_dash(c))
		return J_MIDWORD;
	if (is_other_number(c))
		return J_DIGIT;
	if (iswalpha((wint_t)c))
		return is_kanji_kana(c) ? J_OTHER : J_LETTER;
	if (iswalnum((wint_t)c) || iswdigit((wint_t)c))
		return J_DIGIT;
	if (is_format(c))
		return J_FORMAT;
	if (c > 0x7f && wcwidth(c) == 0)
		return J_MARK;		/* combining marks */
	return J_OTHER;
}

/* Java's isCased: an upper, lower or title case letter, or one of its list of
 * Other_Lowercase/Other_Uppercase ranges (which has not U+00AA, U+00BA). */
static int
is_cased(wchar_t c)
{
	if (c == 0xaa || c == 0xba)
		return 0;
	return iswupper((wint_t)c) || iswlower((wint_t)c) ||
	    towlower((wint_t)c) != (wint_t)c || towupper((wint_t)c) != (wint_t)c ||
	    (c >= 0x2b0 && c <= 0x2b8) || c == 0x2c0 || c == 0x2c1 ||
	    (c >= 0x2e0 && c <= 0x2e4) || c == 0x345 || c == 0x37a ||
	    (c >= 0x1d2c && c <= 0x1d61) || (c >= 0x2160 && c <= 0x217f) ||
	    (c >= 0x24b6 && c <= 0x24e9);
}

/* Is there a cased letter in the word of w[at], from at on in direction dir? */
static int
cased_in_word(const wchar_t *w, long n, long at, int dir)
{
	enum jclass prev = J_LETTER, c, next;
	long j = at + dir, k;
	int marked = 0;		/* dir < 0: a mark follows w[j] */

	while (j >= 0 && j < n) {
		if ((c = jclass_of(w[j])) == J_MARK || c == J_FORMAT) {
			marked |= c == J_MARK;
			j += dir;
			continue;
		}
		if (c == J_LETTER || c == J_DIGIT) {
			if (is_cased(w[j]))
				return 1;
			prev = c;
			marked = 0;
			j += dir;
			continue;
		}
		/* a mid-word character joins only with nothing attached to it,
		 * what precedes it may carry marks */
		if (c == J_OTHER || (dir < 0 && marked))
			return 0;
		for (k = j + dir; k >= 0 && k < n; k += dir) {
			next = jclass_of(w[k]);
			if (next != J_FORMAT && (dir > 0 || next != J_MARK))
				break;
		}
		next = k >= 0 && k < n ? jclass_of(w[k]) : J_OTHER;
		if (next != prev || (next == J_LETTER && c == J_MIDNUM) ||
		    (next == J_DIGIT && c == J_MIDWORD) || (next != J_LETTER && next != J_DIGIT))
			return 0;
		j = k;
	}
	return 0;
}

static int
final_sigma(const wchar_t *w, long n, long i)
{
	return cased_in_word(w, n, i, -1) && !cased_in_word(w, n, i, 1);
}

/* Decode s (a byte that is not UTF-8 as U+FFFD, as Java's decoder reads it)
 * and say whether the sigma starting at byte off ends a word. */
static int
sigma_is_final(const char *s, size_t n, size_t off)
{
	wchar_t stackbuf[256], *w = stackbuf;
	mbstate_t st;
	size_t k, i = 0;
	long nw = 0, at = -1;
	int fin;

	if (n > sizeof(stackbuf) / sizeof(stackbuf[0]) &&
	    (w = reallocarray(NULL, n, sizeof(*w))) == NULL)
		return 0;
	while (i < n) {
		memset(&st, 0, sizeof(st));
		k = mbrtowc(&w[nw], s + i, n - i, &st);
		if (k == 0 || k == (size_t)-1 || k == (size_t)-2) {
			w[nw++] = 0xfffd;
			i++;
			continue;
		}
		if (i == off)
			at = nw;
		nw++;
		i += k;
	}
	fin = at >= 0 && final_sigma(w, nw, at);
	if (w != stackbuf)
		free(w);
	return fin;
}

/*
 * Text with a byte >= 0x80, code point by code point from byte start of
 * s[0..n): Unicode's simple lower case, U+0130 as Java's two-code-point
 * "i\u0307", a capital sigma that ends a word as the final sigma (the one
 * context rule of Java's root locale); a byte that is not UTF-8 passes unchanged.
 */
static void
add_lower_utf8(struct sbuf *out, const char *s, size_t n, size_t start)
{
	char mb[MB_LEN_MAX];
	mbstate_t st;
	locale_t old;
	wchar_t wc;
	size_t k, m, i = start;

	old = uselocale(utf8_locale);
	while (i < n) {
		memset(&st, 0, sizeof(st));
		k = mbrtowc(&wc, s + i, n - i, &st);
		if (k == 0 || k == (size_t)-1 || k == (size_t)-2) {
			(void)add_lower_ascii(out, s + i, 1, 0);
			i++;
			continue;
		}
		memset(&st, 0, sizeof(st));
		if (wc == 0x130)
			sbuf_add(out, "i\xcc\x87", 3);
		else if (wc == 0x3a3)
			sbuf_add(out, sigma_is_final(s, n, i) ? "\xcf\x82" : "\xcf\x83", 2);
		else if ((m = wcrtomb(mb, (wchar_t)towlower((wint_t)wc), &st)) !=
		    (size_t)-1)
			sbuf_add(out, mb, m);
		else
			sbuf_add(out, s + i, k);
		i += k;
	}
	uselocale(old);
}

/* Java's String.toLowerCase (ROOT locale) of s appended to out. */
void
model_add_lower(struct sbuf *out, const char *s)
{
	model_add_lowern(out, s, strlen(s));
}

void
model_add_lowern(struct sbuf *out, const char *s, size_t n)
{
	size_t i;

	if ((i = add_lower_ascii(out, s, n, 1)) == n)
		return;
	pthread_once(&utf8_once, utf8_locale_init);
	if (utf8_locale == (locale_t)0)
		(void)add_lower_ascii(out, s + i, n - i, 0);
	else
		add_lower_utf8(out, s, n, i);
}

void
instance_key(const struct instance *in, struct sbuf *out)
{
	model_add_lower(out, in->region_id ? in->region_id : "");
	sbuf_addc(out, '\x1f');
	model_add_lower(out, in->service_id ? in->service_id : "");
	sbuf_addc(out, '\x1f');
	model_add_lower(out, in->instance_id ? in->instance_id : "");
}

void
instance_display(const struct instance *in, struct sbuf *out)
{
	model_add_lower(out, in->region_id ? in->region_id : "null");
	sbuf_addc(out, '/');
	model_add_lower(out, in->zone_id ? in->zone_id : "null");
	sbuf_addc(out, '/');
	model_add_lower(out, in->service_id ? in->service_id : "null");
	if (!str_blank(in->group_id)) {
		sbuf_addc(out, '/');
		model_add_lower(out, in->group_id);
	}
	sbuf_addc(out, '/');
	model_add_lower(out, in->instance_id ? in->instance_id : "null");
}

/* Length of the Java whitespace character (Character.isWhitespace) at s, or 0. */
static size_t
java_space(const unsigned char *s)
{
	if ((s[0] >= 0x09 && s[0] <= 0x0d) || (s[0] >= 0x1c && s[0] <= 0x20))
		return 1;
	if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)		/* U+1680 */
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x80 &&			/* U+2000..200A */
	    ((s[2] >= 0x80 && s[2] <= 0x8a && s[2] != 0x87) ||	/* not U+2007 */
	    s[2] == 0xa8 || s[2] == 0xa9))			/* U+2028/2029 */
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)		/* U+205F */
		return 3;
	if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)		/* U+3000 */
		return 3;
	return 0;
}

int
str_blank(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (p == NULL)
		return 1;
	while (*p != '\0') {
		if ((n = java_space(p)) == 0)
			return 0;
		p += n;
	}
	return 1;
}

/* ------------------------------------------------------------------ ResponseStatus */

void
response_status_to_json(const struct response_status *rs, struct sbuf *out)
{
	KEY(out, "{\"errorCode\":");
	model_json_string(out, rs->error_code);
	KEY(out, ",\"message\":");
	model_json_string(out, rs->message);
	KEY(out, ",\"status\":");
	model_json_string(out, rs->status);
	sbuf_addc(out, '}');
}

void
response_status_fail(struct sbuf *out, const char *error_code, const char *message)
{
	struct response_status rs = { error_code, message, ST_FAIL };

	response_status_to_json(&rs, out);
}

/* ------------------------------------------------------------------ InstanceChange */

void
change_to_json(struct sbuf *out, int64_t change_time, const char *type,
    const char *instance_json, size_t instance_len)
{
	KEY(out, "{\"changeTime\":");
	sbuf_addi64(out, change_time);
	KEY(out, ",\"changeType\":");
	model_json_string(out, type);
	KEY(out, ",\"instance\":");
	if (instance_json == NULL)
		KEY(out, "null");
	else
		sbuf_add(out, instance_json, instance_len);
	sbuf_addc(out, '}');
}

void
reload_instance_json(struct sbuf *out, const char *service_id)
{
	struct instance in;
	struct sbuf url = SBUF_INIT;

	memset(&in, 0, sizeof(in));
	sbuf_adds(&url, "http://");
	sbuf_adds(&url, service_id ? service_id : "null");
	sbuf_adds(&url, "/reload");
	in.instance_id = (char *)"reload";
	in.ip = (char *)"0.0.0.0";
	in.url = url.s;
	in.service_id = (char *)service_id;
	instance_to_json(&in, out);
	sbuf_free(&url);
}

/* ------------------------------------------------------------------ DiscoveryConfig */

void
discovery_config_free(struct discovery_config *dc)
{
	if (dc == NULL)
		return;
	free(dc->service_id);
	free(dc->region_id);
	free(dc->zone_id);
	kv_free(dc->discovery_data, dc->ndiscovery_data);
	memset(dc, 0, sizeof(*dc));
}

int
discovery_config_from_json(struct json_object *o, struct discovery_config *out,
    int *is_null, char *err, size_t errlen)
{
	char **sp;

	memset(out, 0, sizeof(*out));
	*is_null = 0;
	if (o == NULL) {
		*is_null = 1;
		return 0;
	}
	/* Jackson binds a JSON string through DiscoveryConfig(String serviceId),
	 * the public one-String constructor it picks as a from-String creator */
	if (json_object_is_type(o, json_type_string)) {
		if (coerce_string(o, "discoveryConfig", &out->service_id, err,
		    errlen) == -1)
			goto fail;
		return 0;
	}
	if (!json_object_is_type(o, json_type_object)) {
		seterr(err, errlen, "%s", "discoveryConfig: expected an object");
		return -1;
	}
	json_object_object_foreach(o, k, v) {
		const char *name;

		sp = NULL;
		if (strcasecmp(k, "serviceId") == 0)
			sp = &out->service_id, name = "serviceId";
		else if (strcasecmp(k, "regionId") == 0)
			sp = &out->region_id, name = "regionId";
		else if (strcasecmp(k, "zoneId") == 0)
			sp = &out->zone_id, name = "zoneId";
		else if (strcasecmp(k, "discoveryData") == 0) {
			kv_free(out->discovery_data, out->ndiscovery_data);
			if (decode_string_map(v, "discoveryData",
			    &out->discovery_data, &out->ndiscovery_data,
			    &out->has_discovery_data, err, errlen) == -1)
				goto fail;
			continue;
		} else
			continue;
		free(*sp);
		if (coerce_string(v, name, sp, err, errlen) == -1)
			goto fail;
	}
	return 0;
fail:
	discovery_config_free(out);
	return -1;
}

/* ------------------------------------------------------------------ Service */

static void
add_raw_or_null(struct sbuf *out, const char *json)
{
	if (json == NULL)
		KEY(out, "null");
	else
		sbuf_adds(out, json);
}

void
service_to_json(const struct service_json *sv, struct sbuf *out)
{
	KEY(out, "{\"instances\":");
	add_raw_or_null(out, sv->instances);
	KEY(out, ",\"logicInstances\":");
	add_raw_or_null(out, sv->logic_instances);
	KEY(out, ",\"metadata\":");
	add_raw_or_null(out, sv->metadata);
	KEY(out, ",\"routeRules\":");
	add_raw_or_null(out, sv->route_rules);
	KEY(out, ",\"serviceId\":");
	model_json_string(out, sv->service_id);
	sbuf_addc(out, '}');
}
