/*
 * props.c — java.util.Properties.load() syntax: ISO-8859-1 bytes with \uXXXX
 * escapes; '#'/'!' comment lines; key ends at the first unescaped '=', ':' or
 * white space; a line ending in an odd number of backslashes continues on the
 * next one (whose leading white space is dropped); \t \n \r \f escapes, any other
 * escaped character stands for itself. The one malformation Java refuses is a bad
 * \uXXXX, and so do we (with file:line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "props.h"
#include "sbuf.h"

static int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\f';
}

/* Append a code point as UTF-8. */
static void
add_utf8(struct sbuf *b, unsigned cp)
{
	if (cp < 0x80)
		sbuf_addc(b, (char)cp);
	else if (cp < 0x800) {
		sbuf_addc(b, (char)(0xc0 | cp >> 6));
		sbuf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sbuf_addc(b, (char)(0xe0 | cp >> 12));
		sbuf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sbuf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		sbuf_addc(b, (char)(0xf0 | cp >> 18));
		sbuf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		sbuf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sbuf_addc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

static int
hex4(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Decode escapes of s[0..n) into out; a UTF-16 surrogate pair of two \u escapes
 * becomes one code point. -1 on a malformed \u escape. */
static int
unescape(const char *s, size_t n, struct sbuf *out)
{
	size_t i = 0;
	unsigned cp, lo;

	sbuf_reset(out);
	sbuf_reserve(out, n + 1);
	while (i < n) {
		unsigned char c = (unsigned char)s[i++];

		if (c != '\\') {
			add_utf8(out, c);	/* ISO-8859-1: byte = code point */
			continue;
		}
		if (i == n)
			break;	/* a lone trailing backslash is dropped, as in Java */
		c = (unsigned char)s[i++];
		switch (c) {
		case 't': sbuf_addc(out, '\t'); break;
		case 'n': sbuf_addc(out, '\n'); break;
		case 'r': sbuf_addc(out, '\r'); break;
		case 'f': sbuf_addc(out, '\f'); break;
		case 'u':
			if (hex4(s + i, n - i, &cp) == -1)
				return -1;
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= n && s[i] == '\\' &&
			    s[i + 1] == 'u' && hex4(s + i + 2, n - i - 2, &lo) == 0 &&
			    lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			}
			add_utf8(out, cp);
			break;
		default:
			add_utf8(out, c);
		}
	}
	if (out->s == NULL)
		sbuf_reserve(out, 1);
	return 0;
}

void
props_add(struct props *p, const char *key, const char *value, int line)
{
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 64;

		if ((p->v = reallocarray(p->v, ncap, sizeof(*p->v))) == NULL)
			fatal("props");
		p->cap = ncap;
	}
	if ((p->v[p->n].key = strdup(key)) == NULL ||
	    (p->v[p->n].value = strdup(value)) == NULL)
		fatal("props");
	p->v[p->n].line = line;
	p->n++;
}

/* Split one logical line (continuations already joined) into key and value. */
static int
parse_logical(struct props *p, const char *s, size_t n, int line, struct sbuf *k,
    struct sbuf *v)
{
	size_t i = 0, kend;
	int esc = 0;

	while (i < n && is_ws(s[i]))
		i++;
	if (i == n)
		return 0;
	kend = i;
	while (kend < n) {
		char c = s[kend];

		if (esc)
			esc = 0;
		else if (c == '\\')
			esc = 1;
		else if (c == '=' || c == ':' || is_ws(c))
			break;
		kend++;
	}
	if (unescape(s + i, kend - i, k) == -1)
		return -1;
	i = kend;
	while (i < n && is_ws(s[i]))
		i++;
	if (i < n && (s[i] == '=' || s[i] == ':')) {
		i++;
		while (i < n && is_ws(s[i]))
			i++;
	}
	if (unescape(s + i, n - i, v) == -1)
		return -1;
	if (p->n >= PROPS_MAX_ENTRIES)
		return -2;
	props_add(p, k->s, v->s, line);
	return 0;
}

int
props_parse(struct props *p, const char *name, const char *buf, size_t len, char *err,
    size_t errlen)
{
	struct sbuf logical = SBUF_INIT, k = SBUF_INIT, v = SBUF_INIT;
	size_t i = 0, s, e, bs;
	int line = 1, start_line, cont, rc = 0, r;

	memset(p, 0, sizeof(*p));
	strlcpy(p->file, name, sizeof(p->file));
	while (i < len && rc == 0) {
		sbuf_reset(&logical);
		start_line = line;
		cont = 0;
		for (;;) {
			/* one physical line: [s, e) */
			s = i;
			while (s < len && (is_ws(buf[s]) || (cont && buf[s] == '\0')))
				s++;
			e = s;
			while (e < len && buf[e] != '\n' && buf[e] != '\r')
				e++;
			i = e;
			if (i < len && buf[i] == '\r')
				i++;
			if (i < len && buf[i] == '\n' && (i == e || buf[i - 1] == '\r'))
				i++;
			/* comment lines never continue */
			if (!cont && s < e && (buf[s] == '#' || buf[s] == '!')) {
				line++;
				break;
			}
			for (bs = 0; bs < e - s && buf[e - 1 - bs] == '\\'; bs++)
				;
			sbuf_add(&logical, buf + s, (bs & 1) ? e - s - 1 : e - s);
			line++;
			if (!(bs & 1) || i >= len)
				break;
			cont = 1;
		}
		if (logical.len == 0)
			continue;
		r = parse_logical(p, logical.s, logical.len, start_line, &k, &v);
		if (r == -1) {
			snprintf(err, errlen, "%s:%d: malformed \\uxxxx encoding", name,
			    start_line);
			rc = -1;
		} else if (r == -2) {
			snprintf(err, errlen, "%s:%d: more than %d entries", name,
			    start_line, PROPS_MAX_ENTRIES);
			rc = -1;
		}
	}
	sbuf_free(&logical);
	sbuf_free(&k);
	sbuf_free(&v);
	return rc;
}

int
props_load(struct props *p, const char *path, char *err, size_t errlen)
{
	FILE *fp;
	char *buf;
	size_t n;
	int rc;

	memset(p, 0, sizeof(*p));
	strlcpy(p->file, path, sizeof(p->file));
	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s:0: cannot open: %m", path);
		return -1;
	}
	if ((buf = malloc(PROPS_MAX_FILE + 1)) == NULL)
		fatal("props_load");
	n = fread(buf, 1, PROPS_MAX_FILE + 1, fp);
	if (ferror(fp)) {
		snprintf(err, errlen, "%s:0: read error: %m", path);
		rc = -1;
	} else if (n > PROPS_MAX_FILE) {
		snprintf(err, errlen, "%s:0: larger than %d bytes", path, PROPS_MAX_FILE);
		rc = -1;
	} else
		rc = props_parse(p, path, buf, n, err, errlen);
	free(buf);
	fclose(fp);
	return rc;
}

const struct prop *
props_get(const struct props *p, const char *key)
{
	size_t i;

	for (i = p->n; i > 0; i--)
		if (strcmp(p->v[i - 1].key, key) == 0)
			return &p->v[i - 1];
	return NULL;
}

void
props_free(struct props *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free(p->v[i].value);
	}
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}
