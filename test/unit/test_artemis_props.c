/* test_artemis_props.c — java.util.Properties syntax (cmd/artemis/props.c). */
#include <string.h>

#include "../../cmd/artemis/props.h"
#include "tap.h"

static const char *
val(const struct props *p, const char *key)
{
	const struct prop *e = props_get(p, key);

	return e ? e->value : NULL;
}

static int
same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int
main(void)
{
	static const char text[] =
	    "# comment \\\n"
	    "! bang comment\r\n"
	    "a=1\n"
	    "b : 2\r"
	    "c 3\n"
	    "  d\t=\t  spaced  \n"
	    "e = one,\\\n"
	    "     two,\\\r\n"
	    "   three\n"
	    "f\\:g\\=h = x\n"
	    "u=\\u0041\\u00e9\\uD83D\\uDE00\n"
	    "esc=\\t\\n\\q\n"
	    "twobs=ends\\\\\n"
	    "next=after\n"
	    "empty=\n"
	    "lonely\n"
	    "a=last wins\n"
	    "latin=\xe9\n";
	struct props p;
	char err[256];

	ok(props_parse(&p, "t", text, sizeof(text) - 1, err, sizeof(err)) == 0,
	    "parses (%s)", err);
	ok(same(val(&p, "a"), "last wins"), "last duplicate wins");
	ok(props_get(&p, "a")->line == 17, "line of the winning entry (%d)",
	    props_get(&p, "a")->line);
	ok(same(val(&p, "b"), "2"), "':' separator, CR line end");
	ok(same(val(&p, "c"), "3"), "white space separator");
	ok(same(val(&p, "d"), "spaced  "), "leading space dropped, trailing kept");
	ok(same(val(&p, "e"), "one,two,three"), "continuations drop leading space");
	ok(props_get(&p, "e")->line == 7, "continued entry keeps its first line");
	ok(same(val(&p, "f:g=h"), "x"), "escaped separators in a key");
	ok(same(val(&p, "u"), "A\xc3\xa9\xf0\x9f\x98\x80"), "\\u escapes and a "
	    "surrogate pair as UTF-8");
	ok(same(val(&p, "esc"), "\t\nq"), "escapes \\t \\n and \\q = q");
	ok(same(val(&p, "twobs"), "ends\\"), "an even number of backslashes does not "
	    "continue");
	ok(same(val(&p, "next"), "after"), "the line after it is its own");
	ok(same(val(&p, "empty"), ""), "empty value");
	ok(same(val(&p, "lonely"), ""), "key alone");
	ok(same(val(&p, "latin"), "\xc3\xa9"), "ISO-8859-1 byte becomes UTF-8");
	ok(props_get(&p, "#") == NULL && props_get(&p, "!") == NULL,
	    "comments are not keys");
	props_free(&p);

	ok(props_parse(&p, "bad.properties", "x=1\ny=\\u12\n", 11, err,
	    sizeof(err)) == -1 && strcmp(err, "bad.properties:2: malformed \\uxxxx "
	    "encoding") == 0, "malformed \\u escape: file:line (%s)", err);
	props_free(&p);
	ok(props_parse(&p, "k", "k\\u00zz=1", 9, err, sizeof(err)) == -1,
	    "malformed \\u escape in a key");
	props_free(&p);
	return done_testing();
}
