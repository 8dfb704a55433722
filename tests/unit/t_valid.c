/*
 * t_valid.c: unit tests for valid.c: strict JSON object input. Covers
 * what json-c 0.16 lets through even with JSON_TOKENER_STRICT
 * (shared/LIBRARIES.md): trailing garbage, comments, single quotes,
 * duplicate keys, "name\u0000x" keys, \u0000, raw NUL and control bytes,
 * lone surrogates, bad or overlong UTF-8, NaN/Infinity, deep nesting;
 * field rules (types, code-point and byte limits, blank, control
 * characters); and, when present, every JSONTestSuite parsing case.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "limits.h"
#include "valid.h"
#include "tap.h"

/* As cgi-bin/register.c declares it. */
static const struct field reg[] = {
	{ "name", FIELD_TEXT, 1, LIMIT_NAME_CP, 1 },
	{ "password", FIELD_SECRET, LIMIT_PASSWORD_MIN, LIMIT_PASSWORD_MAX, 1 },
};
#define NREG (sizeof(reg) / sizeof(reg[0]))

/* As cgi-bin/authors.c declares it (booker_prize optional). */
static const struct field author[] = {
	{ "name", FIELD_TEXT, 1, LIMIT_NAME_CP, 1 },
	{ "book", FIELD_TEXT, 1, LIMIT_BOOK_CP, 1 },
	{ "country", FIELD_TEXT, 1, LIMIT_COUNTRY_CP, 1 },
	{ "booker_prize", FIELD_BOOL, 0, 0, 0 },
};
#define NAUTHOR (sizeof(author) / sizeof(author[0]))

/* The same with booker_prize required. */
static const struct field author_req[] = {
	{ "name", FIELD_TEXT, 1, LIMIT_NAME_CP, 1 },
	{ "book", FIELD_TEXT, 1, LIMIT_BOOK_CP, 1 },
	{ "country", FIELD_TEXT, 1, LIMIT_COUNTRY_CP, 1 },
	{ "booker_prize", FIELD_BOOL, 0, 0, 1 },
};

static const char *
errname(enum api_err e)
{
	switch (e) {
	case ERR_NONE:
		return "ERR_NONE";
	case ERR_BAD_JSON:
		return "ERR_BAD_JSON";
	case ERR_INVALID_FIELD:
		return "ERR_INVALID_FIELD";
	case ERR_UNKNOWN_FIELD:
		return "ERR_UNKNOWN_FIELD";
	default:
		return "other";
	}
}

/*
 * Run valid_object and check the failure contract: the expected error,
 * *obj NULL. Returns 1 when both hold.
 */
static int
check_fail(const char *name, const char *body, size_t len,
    const struct field *f, size_t n, enum api_err want)
{
	struct field_value	 v[8];
	json_object		*obj = (json_object *)&obj; /* not NULL */
	const char		*why = "unset";
	enum api_err		 e;
	int			 r;

	e = valid_object(body, len, f, n, &obj, v, &why);
	r = is_int(e, want, "%s -> %s", name, errname(want));
	if (!r)
		diag("got %s, detail: %s", errname(e), why ? why : "NULL");
	if (e != ERR_NONE)
		r &= ok(obj == NULL, "%s: *obj is NULL", name);
	else if (obj != NULL)
		json_object_put(obj);
	return r;
}

#define FAIL(name, lit, f, want) \
	check_fail((name), (lit), sizeof(lit) - 1, (f), \
	    sizeof(f) / sizeof((f)[0]), (want))

/* Run valid_object expecting success; caller puts *objp. */
static int
check_ok(const char *name, const char *body, size_t len,
    const struct field *f, size_t n, struct field_value *v,
    json_object **objp)
{
	const char	*why = NULL;
	enum api_err	 e;

	e = valid_object(body, len, f, n, objp, v, &why);
	if (!is_int(e, ERR_NONE, "%s -> ERR_NONE", name)) {
		diag("got %s, detail: %s", errname(e), why ? why : "NULL");
		return 0;
	}
	return ok(*objp != NULL && json_object_is_type(*objp,
	    json_type_object), "%s: *obj is the parsed object", name);
}

/* A malloc'd string of n copies of unit. */
static char *
rep(const char *unit, size_t n)
{
	size_t	 ul = strlen(unit), i;
	char	*s = malloc(ul * n + 1);

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	return s;
}

/* A malloc'd body from a format. */
static char *
body_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
body_of(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		abort();
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* Valid bodies and the values handed back. */
static void
test_valid_bodies(void)
{
	struct field_value	 v[8];
	json_object		*obj;
	static const char	 b1[] = "{\"name\":\"alice\","
	    "\"password\":\"secret123\"}";
	static const char	 b2[] = "  \r\n\t{ \"password\" : \"secret123\" ,"
	    "\n \"name\" : \"alice\" }\n";
	static const char	 b3[] = "{\"name\":\"Hilary Mantel\","
	    "\"book\":\"Wolf Hall\",\"country\":\"UK\",\"booker_prize\":true}";
	static const char	 b4[] = "{\"name\":\"a\",\"book\":\"b\","
	    "\"country\":\"c\",\"booker_prize\":false} \n";
	static const char	 b5[] = "{\"name\":\"a\",\"book\":\"b\","
	    "\"country\":\"c\"}";
	static const char	 b6[] = "{\"name\":\"\\ud83d\\ude00 \\u00e9\","
	    "\"password\":\"p\\\"a\\\\s\\/s\\n\\tw\"}";
	static const char	 b7[] = "{\"n\\u0061me\":\"bob\","
	    "\"password\":\"12345678\"}";

	if (check_ok("register body", b1, sizeof(b1) - 1, reg, NREG, v,
	    &obj)) {
		ok(v[0].present && v[0].len == 5 &&
		    strcmp(v[0].str, "alice") == 0, "name value \"alice\"");
		ok(v[1].present && v[1].len == 9 &&
		    strcmp(v[1].str, "secret123") == 0,
		    "password value \"secret123\"");
		json_object_put(obj);
	}
	if (check_ok("register body, other order, whitespace all around",
	    b2, sizeof(b2) - 1, reg, NREG, v, &obj)) {
		is_str(v[0].str, "alice", "values follow the field table, "
		    "not the body order (name)");
		is_str(v[1].str, "secret123", "... (password)");
		json_object_put(obj);
	}
	if (check_ok("author body with booker_prize true", b3,
	    sizeof(b3) - 1, author, NAUTHOR, v, &obj)) {
		is_str(v[0].str, "Hilary Mantel", "author name");
		is_int(v[0].len, 13, "author name length");
		is_str(v[1].str, "Wolf Hall", "book");
		is_str(v[2].str, "UK", "country");
		ok(v[3].present && v[3].boolean == 1,
		    "booker_prize present and true");
		json_object_put(obj);
	}
	if (check_ok("author body with booker_prize false, trailing "
	    "newline", b4, sizeof(b4) - 1, author, NAUTHOR, v, &obj)) {
		ok(v[3].present && v[3].boolean == 0,
		    "booker_prize present and false");
		json_object_put(obj);
	}
	if (check_ok("author body without the optional booker_prize", b5,
	    sizeof(b5) - 1, author, NAUTHOR, v, &obj)) {
		ok(!v[3].present, "booker_prize not present");
		json_object_put(obj);
	}
	FAIL("author body without a required booker_prize", b5, author_req,
	    ERR_INVALID_FIELD);
	if (check_ok("escapes: surrogate pair, \\u00e9, \\\" \\\\ \\/ \\n \\t",
	    b6, sizeof(b6) - 1, reg, NREG, v, &obj)) {
		is_mem(v[0].str, v[0].len, "\xf0\x9f\x98\x80 \xc3\xa9", 7,
		    "\\ud83d\\ude00 decodes to U+1F600 in UTF-8");
		is_mem(v[1].str, v[1].len, "p\"a\\s/s\n\tw", 10,
		    "a secret may hold escaped quotes, newline and tab");
		json_object_put(obj);
	}
	if (check_ok("an escaped key \"n\\u0061me\" is the key name", b7,
	    sizeof(b7) - 1, reg, NREG, v, &obj)) {
		is_str(v[0].str, "bob", "name from the escaped key");
		json_object_put(obj);
	}
}

/* Bodies that are not one strict JSON object: ERR_BAD_JSON. */
static void
test_bad_json(void)
{
	struct field_value	 v[8];
	json_object		*obj = NULL;
	const char		*why;
	static const char	 nul_after[] = "{\"name\":\"alice\","
	    "\"password\":\"12345678\"}\0junk";
	static const char	 nul_inside[] = "{\"name\":\"al\0ice\","
	    "\"password\":\"12345678\"}";
	static const char	 nul_ws[] = "{\"name\":\"alice\",\0"
	    "\"password\":\"12345678\"}";

	ok(valid_object(NULL, 0, reg, NREG, &obj, v, &why) == ERR_BAD_JSON &&
	    obj == NULL, "NULL body -> ERR_BAD_JSON");
	FAIL("empty body", "", reg, ERR_BAD_JSON);
	FAIL("whitespace only", " \r\n\t ", reg, ERR_BAD_JSON);
	FAIL("top-level array", "[{\"name\":\"a\",\"password\":\"12345678\"}]",
	    reg, ERR_BAD_JSON);
	FAIL("top-level empty array", "[]", reg, ERR_BAD_JSON);
	FAIL("top-level string", "\"name\"", reg, ERR_BAD_JSON);
	FAIL("top-level number", "42", reg, ERR_BAD_JSON);
	FAIL("top-level null", "null", reg, ERR_BAD_JSON);
	FAIL("top-level true", "true", reg, ERR_BAD_JSON);
	FAIL("unterminated object", "{\"name\":\"alice\","
	    "\"password\":\"12345678\"", reg, ERR_BAD_JSON);
	FAIL("unterminated string", "{\"name\":\"alice", reg, ERR_BAD_JSON);
	FAIL("missing colon", "{\"name\" \"alice\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("missing comma", "{\"name\":\"alice\" "
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("trailing garbage", "{\"name\":\"alice\","
	    "\"password\":\"12345678\"}x", reg, ERR_BAD_JSON);
	FAIL("a second object", "{\"name\":\"alice\","
	    "\"password\":\"12345678\"}{}", reg, ERR_BAD_JSON);
	FAIL("a second value after whitespace", "{\"name\":\"alice\","
	    "\"password\":\"12345678\"} 1", reg, ERR_BAD_JSON);
	FAIL("trailing comma", "{\"name\":\"alice\","
	    "\"password\":\"12345678\",}", reg, ERR_BAD_JSON);
	FAIL("leading comma", "{,\"name\":\"alice\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("block comment inside", "{/* c */\"name\":\"alice\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("line comment inside", "{\"name\":\"alice\", // c\n"
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("block comment after", "{\"name\":\"alice\","
	    "\"password\":\"12345678\"}/* c */", reg, ERR_BAD_JSON);
	FAIL("line comment after", "{\"name\":\"alice\","
	    "\"password\":\"12345678\"}// c", reg, ERR_BAD_JSON);
	FAIL("single-quoted key", "{'name':\"alice\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("single-quoted value", "{\"name\":'alice',"
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("unquoted key", "{name:\"alice\",\"password\":\"12345678\"}",
	    reg, ERR_BAD_JSON);
	FAIL("duplicate key", "{\"name\":\"alice\",\"name\":\"mallory\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("duplicate key, same value", "{\"name\":\"alice\","
	    "\"name\":\"alice\",\"password\":\"12345678\"}", reg,
	    ERR_BAD_JSON);
	FAIL("duplicate key spelled with an escape", "{\"name\":\"alice\","
	    "\"n\\u0061me\":\"mallory\",\"password\":\"12345678\"}", reg,
	    ERR_BAD_JSON);
	FAIL("\"name\\u0000x\" key before name", "{\"name\\u0000x\":"
	    "\"mallory\",\"name\":\"alice\",\"password\":\"12345678\"}", reg,
	    ERR_BAD_JSON);
	FAIL("\"name\\u0000x\" key after name (would override it)",
	    "{\"name\":\"alice\",\"name\\u0000x\":\"mallory\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("\"name\\u0000x\" key alone", "{\"name\\u0000x\":\"mallory\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("\\u0000 in a value", "{\"name\":\"al\\u0000ice\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("\\u0000 in a secret", "{\"name\":\"alice\","
	    "\"password\":\"1234\\u00005678\"}", reg, ERR_BAD_JSON);
	check_fail("raw NUL byte after the object", nul_after,
	    sizeof(nul_after) - 1, reg, NREG, ERR_BAD_JSON);
	check_fail("raw NUL byte inside a string", nul_inside,
	    sizeof(nul_inside) - 1, reg, NREG, ERR_BAD_JSON);
	check_fail("raw NUL byte between members", nul_ws,
	    sizeof(nul_ws) - 1, reg, NREG, ERR_BAD_JSON);
	FAIL("raw TAB in a string", "{\"name\":\"al\tice\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("raw LF in a string", "{\"name\":\"al\nice\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("raw 0x01 in a secret", "{\"name\":\"alice\","
	    "\"password\":\"1234\x01" "5678\"}", reg, ERR_BAD_JSON);
	FAIL("raw 0x1f in a key", "{\"na\x1fme\":\"alice\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("lone high surrogate \\ud800", "{\"name\":\"a\\ud800\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("lone high surrogate at end of string", "{\"name\":\"\\ud83d\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("lone low surrogate \\udc00", "{\"name\":\"a\\udc00\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("high surrogate then \\u0041", "{\"name\":\"\\ud800\\u0041\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("high surrogate then another high", "{\"name\":"
	    "\"\\ud800\\ud800\",\"password\":\"12345678\"}", reg,
	    ERR_BAD_JSON);
	FAIL("reversed pair \\ude00\\ud83d", "{\"name\":\"\\ude00\\ud83d\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("lone surrogate in a key", "{\"\\ud800\":\"x\","
	    "\"name\":\"alice\",\"password\":\"12345678\"}", reg,
	    ERR_BAD_JSON);
	FAIL("short \\u escape", "{\"name\":\"\\u12\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("non-hex \\u escape", "{\"name\":\"\\uZZZZ\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("invalid escape \\x41", "{\"name\":\"\\x41\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("invalid escape \\'", "{\"name\":\"a\\'b\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("invalid escape \\a", "{\"name\":\"a\\ab\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("invalid UTF-8 byte FF", "{\"name\":\"a\xff\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("lone continuation byte", "{\"name\":\"a\x80\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("truncated UTF-8", "{\"name\":\"a\xe2\x82\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("overlong UTF-8 C0 AF", "{\"name\":\"a\xc0\xaf\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("overlong UTF-8 E0 80 AF", "{\"name\":\"a\xe0\x80\xaf\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("UTF-8 encoded surrogate ED A0 80", "{\"name\":\"a\xed\xa0\x80\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("UTF-8 above U+10FFFF", "{\"name\":\"a\xf4\x90\x80\x80\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("invalid UTF-8 in a secret", "{\"name\":\"alice\","
	    "\"password\":\"1234\xc0\xaf" "5678\"}", reg, ERR_BAD_JSON);
	FAIL("NaN value", "{\"name\":NaN,\"password\":\"12345678\"}", reg,
	    ERR_BAD_JSON);
	FAIL("Infinity value", "{\"name\":Infinity,"
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("-Infinity value", "{\"name\":-Infinity,"
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
	FAIL("NaN as booker_prize", "{\"name\":\"a\",\"book\":\"b\","
	    "\"country\":\"c\",\"booker_prize\":NaN}", author, ERR_BAD_JSON);
	FAIL("True (capitalised)", "{\"name\":\"a\",\"book\":\"b\","
	    "\"country\":\"c\",\"booker_prize\":True}", author, ERR_BAD_JSON);
	FAIL("tru (truncated literal)", "{\"name\":\"a\",\"book\":\"b\","
	    "\"country\":\"c\",\"booker_prize\":tru}", author, ERR_BAD_JSON);
	FAIL("UTF-8 BOM before the object", "\xef\xbb\xbf{\"name\":\"alice\","
	    "\"password\":\"12345678\"}", reg, ERR_BAD_JSON);
}

/* Nesting, key count and size caps. */
static void
test_caps(void)
{
	char	*open, *close, *b, *keys;
	size_t	 i, off;

	/* 100 levels: far past LIMIT_JSON_DEPTH. */
	open = rep("[", 99);
	close = rep("]", 99);
	b = body_of("{\"name\":%s%s,\"password\":\"12345678\"}", open, close);
	check_fail("100 levels of nesting", b, strlen(b), reg, NREG,
	    ERR_BAD_JSON);
	free(b);
	free(open);
	free(close);
	open = rep("{\"a\":", 99);
	close = rep("}", 99);
	b = body_of("%s1%s", open, close);
	check_fail("100 nested objects", b, strlen(b), reg, NREG,
	    ERR_BAD_JSON);
	free(b);
	free(open);
	free(close);

	/*
	 * LIMIT_JSON_DEPTH is the nesting the parser accepts: a body that
	 * deep is parsed (and then refused for the field's type), one level
	 * more is not JSON we take.
	 */
	open = rep("[", LIMIT_JSON_DEPTH - 1);
	close = rep("]", LIMIT_JSON_DEPTH - 1);
	b = body_of("{\"name\":%s\"a\"%s,\"password\":\"12345678\"}", open,
	    close);
	check_fail("LIMIT_JSON_DEPTH levels: parsed, name not a string", b,
	    strlen(b), reg, NREG, ERR_INVALID_FIELD);
	free(b);
	b = body_of("{\"name\":[%s\"a\"%s],\"password\":\"12345678\"}",
	    open, close);
	check_fail("LIMIT_JSON_DEPTH + 1 levels", b, strlen(b), reg, NREG,
	    ERR_BAD_JSON);
	free(b);
	free(open);
	free(close);

	/* 17 top-level keys: more than the lexer looks at. */
	keys = malloc(17 * 16 + 8);
	off = 0;
	keys[off++] = '{';
	for (i = 0; i < 17; i++)
		off += (size_t)sprintf(keys + off, "%s\"k%zu\":\"v\"",
		    i ? "," : "", i);
	keys[off++] = '}';
	keys[off] = '\0';
	check_fail("17 top-level keys", keys, off, reg, NREG,
	    ERR_UNKNOWN_FIELD);
	free(keys);
	/* 17 copies of a known key. */
	keys = rep("\"name\":\"a\",", 17);
	b = body_of("{%s\"password\":\"12345678\"}", keys);
	{
		struct field_value	 v[8];
		json_object		*obj = NULL;
		const char		*why;
		enum api_err		 e = valid_object(b, strlen(b), reg, NREG,
		    &obj, v, &why);

		ok(e != ERR_NONE && obj == NULL,
		    "17 copies of \"name\" are refused (%s)", errname(e));
		if (obj != NULL)
			json_object_put(obj);
	}
	free(b);
	free(keys);

	/* Body size: LIMIT_BODY_MAX bytes is fine, one more is not. */
	b = malloc(LIMIT_BODY_MAX + 2);
	memset(b, ' ', LIMIT_BODY_MAX + 1);
	memcpy(b, "{\"name\":\"alice\",\"password\":\"12345678\"}", 38);
	b[LIMIT_BODY_MAX + 1] = '\0';
	{
		struct field_value	 v[8];
		json_object		*obj = NULL;
		const char		*why;

		ok(valid_object(b, LIMIT_BODY_MAX, reg, NREG, &obj, v, &why) ==
		    ERR_NONE, "a body of exactly %d bytes (padded) is accepted",
		    LIMIT_BODY_MAX);
		if (obj != NULL)
			json_object_put(obj);
	}
	check_fail("a body of LIMIT_BODY_MAX + 1 bytes", b,
	    LIMIT_BODY_MAX + 1, reg, NREG, ERR_BAD_JSON);
	free(b);
}

/* Keys and field values: ERR_UNKNOWN_FIELD and ERR_INVALID_FIELD. */
static void
test_fields(void)
{
	struct field_value	 v[8];
	json_object		*obj;
	char			*s, *b;

	FAIL("unknown key", "{\"name\":\"alice\",\"password\":\"12345678\","
	    "\"admin\":true}", reg, ERR_UNKNOWN_FIELD);
	FAIL("key case matters", "{\"Name\":\"alice\","
	    "\"password\":\"12345678\"}", reg, ERR_UNKNOWN_FIELD);
	FAIL("empty key", "{\"\":\"x\",\"name\":\"alice\","
	    "\"password\":\"12345678\"}", reg, ERR_UNKNOWN_FIELD);
	FAIL("key with a trailing space", "{\"name \":\"alice\","
	    "\"password\":\"12345678\"}", reg, ERR_UNKNOWN_FIELD);
	FAIL("empty object", "{}", reg, ERR_INVALID_FIELD);
	FAIL("password missing", "{\"name\":\"alice\"}", reg,
	    ERR_INVALID_FIELD);
	FAIL("name missing", "{\"password\":\"12345678\"}", reg,
	    ERR_INVALID_FIELD);

	/* Wrong types. */
	FAIL("name is a number", "{\"name\":1,\"password\":\"12345678\"}", reg,
	    ERR_INVALID_FIELD);
	FAIL("name is true", "{\"name\":true,\"password\":\"12345678\"}", reg,
	    ERR_INVALID_FIELD);
	FAIL("name is null", "{\"name\":null,\"password\":\"12345678\"}", reg,
	    ERR_INVALID_FIELD);
	FAIL("name is an array", "{\"name\":[\"a\"],"
	    "\"password\":\"12345678\"}", reg, ERR_INVALID_FIELD);
	FAIL("name is an object", "{\"name\":{\"a\":\"b\"},"
	    "\"password\":\"12345678\"}", reg, ERR_INVALID_FIELD);
	FAIL("password is a number", "{\"name\":\"alice\","
	    "\"password\":12345678}", reg, ERR_INVALID_FIELD);
	FAIL("booker_prize 1", "{\"name\":\"a\",\"book\":\"b\","
	    "\"country\":\"c\",\"booker_prize\":1}", author,
	    ERR_INVALID_FIELD);
	FAIL("booker_prize 0", "{\"name\":\"a\",\"book\":\"b\","
	    "\"country\":\"c\",\"booker_prize\":0}", author,
	    ERR_INVALID_FIELD);
	FAIL("booker_prize \"true\"", "{\"name\":\"a\",\"book\":\"b\","
	    "\"country\":\"c\",\"booker_prize\":\"true\"}", author,
	    ERR_INVALID_FIELD);
	FAIL("booker_prize null", "{\"name\":\"a\",\"book\":\"b\","
	    "\"country\":\"c\",\"booker_prize\":null}", author,
	    ERR_INVALID_FIELD);
	FAIL("book is a bool", "{\"name\":\"a\",\"book\":false,"
	    "\"country\":\"c\"}", author, ERR_INVALID_FIELD);

	/* Text: 1..max code points, not blank, no control characters. */
	FAIL("name of 0 code points", "{\"name\":\"\","
	    "\"password\":\"12345678\"}", reg, ERR_INVALID_FIELD);
	s = rep("a", 100);
	b = body_of("{\"name\":\"%s\",\"password\":\"12345678\"}", s);
	if (check_ok("name of 100 ASCII code points", b, strlen(b), reg, NREG,
	    v, &obj)) {
		is_int(v[0].len, 100, "100 bytes");
		json_object_put(obj);
	}
	free(b);
	free(s);
	s = rep("a", 101);
	b = body_of("{\"name\":\"%s\",\"password\":\"12345678\"}", s);
	check_fail("name of 101 code points", b, strlen(b), reg, NREG,
	    ERR_INVALID_FIELD);
	free(b);
	free(s);
	s = rep("\xf0\x9f\x98\x80", 100);
	b = body_of("{\"name\":\"%s\",\"password\":\"12345678\"}", s);
	if (check_ok("name of 100 emoji (400 bytes)", b, strlen(b), reg,
	    NREG, v, &obj)) {
		is_mem(v[0].str, v[0].len, s, strlen(s),
		    "the 400 bytes come back unchanged");
		json_object_put(obj);
	}
	free(b);
	free(s);
	s = rep("\xf0\x9f\x98\x80", 101);
	b = body_of("{\"name\":\"%s\",\"password\":\"12345678\"}", s);
	check_fail("name of 101 emoji", b, strlen(b), reg, NREG,
	    ERR_INVALID_FIELD);
	free(b);
	free(s);
	s = rep("\\ud83d\\ude00", 100);
	b = body_of("{\"name\":\"%s\",\"password\":\"12345678\"}", s);
	if (check_ok("name of 100 escaped surrogate pairs", b, strlen(b), reg,
	    NREG, v, &obj)) {
		is_int(v[0].len, 400, "decoded to 400 bytes");
		json_object_put(obj);
	}
	free(b);
	free(s);
	s = rep("\xc3\xa9", 100);
	b = body_of("{\"name\":\"a\",\"book\":\"%s%s\",\"country\":\"c\"}", s,
	    s);
	if (check_ok("book of 200 two-byte code points", b, strlen(b), author,
	    NAUTHOR, v, &obj)) {
		is_int(v[1].len, 400, "400 bytes");
		json_object_put(obj);
	}
	free(b);
	b = body_of("{\"name\":\"a\",\"book\":\"%s%sx\",\"country\":\"c\"}",
	    s, s);
	check_fail("book of 201 code points", b, strlen(b), author, NAUTHOR,
	    ERR_INVALID_FIELD);
	free(b);
	b = body_of("{\"name\":\"a\",\"book\":\"b\",\"country\":\"%sx\"}", s);
	check_fail("country of 101 code points", b, strlen(b), author, NAUTHOR,
	    ERR_INVALID_FIELD);
	free(b);
	free(s);
	FAIL("blank name \"   \"", "{\"name\":\"   \","
	    "\"password\":\"12345678\"}", reg, ERR_INVALID_FIELD);
	FAIL("blank name of escaped whitespace", "{\"name\":\" \\t\\n\\r \","
	    "\"password\":\"12345678\"}", reg, ERR_INVALID_FIELD);
	FAIL("blank country", "{\"name\":\"a\",\"book\":\"b\","
	    "\"country\":\" \"}", author, ERR_INVALID_FIELD);
	FAIL("control char \\u0001 in a name", "{\"name\":\"a\\u0001b\","
	    "\"password\":\"12345678\"}", reg, ERR_INVALID_FIELD);
	FAIL("escaped newline in a name", "{\"name\":\"a\\nb\","
	    "\"password\":\"12345678\"}", reg, ERR_INVALID_FIELD);
	FAIL("escaped ESC in a book", "{\"name\":\"a\",\"book\":\"\\u001b[2J\","
	    "\"country\":\"c\"}", author, ERR_INVALID_FIELD);
	FAIL("DEL in a name", "{\"name\":\"a\\u007fb\","
	    "\"password\":\"12345678\"}", reg, ERR_INVALID_FIELD);
	FAIL("raw DEL in a name", "{\"name\":\"a\x7f" "b\","
	    "\"password\":\"12345678\"}", reg, ERR_INVALID_FIELD);

	/* Secret: 8..1024 bytes. */
	FAIL("password of 7 bytes", "{\"name\":\"alice\","
	    "\"password\":\"1234567\"}", reg, ERR_INVALID_FIELD);
	if (check_ok("password of 8 bytes", "{\"name\":\"alice\","
	    "\"password\":\"12345678\"}", 38, reg, NREG, v, &obj)) {
		is_int(v[1].len, 8, "8 bytes");
		json_object_put(obj);
	}
	if (check_ok("password of 8 bytes as 4 two-byte characters",
	    "{\"name\":\"alice\",\"password\":\"\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\"}", 38, reg, NREG, v, &obj))
		json_object_put(obj);
	FAIL("password of 6 bytes as 3 two-byte characters",
	    "{\"name\":\"alice\",\"password\":\"\xc3\xa9\xc3\xa9\xc3\xa9\"}",
	    reg, ERR_INVALID_FIELD);
	s = rep("p", 1024);
	b = body_of("{\"name\":\"alice\",\"password\":\"%s\"}", s);
	if (check_ok("password of 1024 bytes", b, strlen(b), reg, NREG, v,
	    &obj)) {
		is_int(v[1].len, 1024, "1024 bytes");
		json_object_put(obj);
	}
	free(b);
	free(s);
	s = rep("p", 1025);
	b = body_of("{\"name\":\"alice\",\"password\":\"%s\"}", s);
	check_fail("password of 1025 bytes", b, strlen(b), reg, NREG,
	    ERR_INVALID_FIELD);
	free(b);
	free(s);
	if (check_ok("password of spaces is not blank-checked",
	    "{\"name\":\"alice\",\"password\":\"        \"}", 38, reg, NREG, v,
	    &obj))
		json_object_put(obj);
}

/* valid_string directly (library-admin uses it for typed input). */
static void
test_valid_string(void)
{
	const char	*why;

	why = NULL;
	is_int(valid_string(&reg[0], "alice", 5, &why), ERR_NONE,
	    "valid_string: name alice");
	why = NULL;
	is_int(valid_string(&reg[0], "", 0, &why), ERR_INVALID_FIELD,
	    "valid_string: empty name");
	ok(why != NULL && strstr(why, "name") != NULL,
	    "valid_string: the reason names the field (%s)", why ? why : "");
	is_int(valid_string(&reg[0], "al\0ce", 5, &why), ERR_INVALID_FIELD,
	    "valid_string: NUL inside a name");
	is_int(valid_string(&reg[1], "1234\0" "5678", 9, &why),
	    ERR_INVALID_FIELD, "valid_string: NUL inside a secret");
	is_int(valid_string(&reg[0], "a\xc0\xaf", 3, &why), ERR_INVALID_FIELD,
	    "valid_string: overlong UTF-8 in a name");
	is_int(valid_string(&reg[0], "a\tb", 3, &why), ERR_INVALID_FIELD,
	    "valid_string: TAB in a name");
	is_int(valid_string(&reg[0], " \t ", 3, &why), ERR_INVALID_FIELD,
	    "valid_string: blank name");
	is_int(valid_string(&reg[1], "1234567", 7, &why), ERR_INVALID_FIELD,
	    "valid_string: 7-byte secret");
	is_int(valid_string(&reg[1], "12345678", 8, &why), ERR_NONE,
	    "valid_string: 8-byte secret");
	is_int(valid_string(&reg[1], "12345678", 7, &why), ERR_INVALID_FIELD,
	    "valid_string: only len bytes count");
}

/* valid_json_lex: the lexical pass alone. */
static void
test_lex(void)
{
	static const struct {
		const char	*name;
		const char	*s;
		size_t		 len;	/* 0: strlen */
		enum api_err	 want;
	} cases[] = {
		{ "empty object", "{}", 0, ERR_NONE },
		{ "one member", "{\"a\":1}", 0, ERR_NONE },
		{ "nested values", "{\"a\":[1,{\"b\":[true,null]}],\"c\":\"d\"}",
		    0, ERR_NONE },
		{ "escaped quote and brace in a string", "{\"a\":\"\\\"}{\"}", 0,
		    ERR_NONE },
		{ "escaped backslash before the quote", "{\"a\":\"x\\\\\"}", 0,
		    ERR_NONE },
		{ "surrogate pair", "{\"a\":\"\\ud83d\\ude00\"}", 0, ERR_NONE },
		{ "escaped backslash, then the text u0000",
		    "{\"a\":\"\\\\u0000\"}", 0, ERR_NONE },
		{ "escaped backslash, then a real \\u0000",
		    "{\"a\":\"\\\\\\u0000\"}", 0, ERR_BAD_JSON },
		{ "escaped backslash, then the text ud800",
		    "{\"a\":\"\\\\ud800\"}", 0, ERR_NONE },
		{ "inner keys do not count toward 16",
		    "{\"a\":{\"1\":1,\"2\":2,\"3\":3,\"4\":4,\"5\":5,\"6\":6,"
		    "\"7\":7,\"8\":8,\"9\":9,\"10\":0,\"11\":1,\"12\":2,"
		    "\"13\":3,\"14\":4,\"15\":5,\"16\":6,\"17\":7}}", 0,
		    ERR_NONE },
		{ "top-level array", "[1]", 0, ERR_BAD_JSON },
		{ "top-level string", "\"a\"", 0, ERR_BAD_JSON },
		{ "unterminated object", "{\"a\":1", 0, ERR_BAD_JSON },
		{ "unterminated string", "{\"a\":\"x", 0, ERR_BAD_JSON },
		{ "backslash at the end", "{\"a\":\"x\\", 0, ERR_BAD_JSON },
		{ "close without open", "}", 0, ERR_BAD_JSON },
		{ "\\u0000", "{\"a\":\"\\u0000\"}", 0, ERR_BAD_JSON },
		{ "\\u0000 in a key", "{\"a\\u0000\":1}", 0, ERR_BAD_JSON },
		{ "lone \\ud800", "{\"a\":\"\\ud800\"}", 0, ERR_BAD_JSON },
		{ "lone \\udfff", "{\"a\":\"\\udfff\"}", 0, ERR_BAD_JSON },
		{ "\\ud800 then text", "{\"a\":\"\\ud800xxxxxx\"}", 0,
		    ERR_BAD_JSON },
		{ "short \\u", "{\"a\":\"\\u00\"}", 0, ERR_BAD_JSON },
		{ "\\u cut by the end", "{\"a\":\"\\u00", 0, ERR_BAD_JSON },
		{ "raw TAB in a string", "{\"a\":\"\t\"}", 0, ERR_BAD_JSON },
		{ "raw 0x01 in a key", "{\"\x01\":1}", 0, ERR_BAD_JSON },
		{ "raw NUL after", "{\"a\":1}\0", 8, ERR_BAD_JSON },
		{ "raw NUL in a string", "{\"a\":\"\0\"}", 8, ERR_BAD_JSON },
		{ "raw 0x7f outside strings", "{\"a\":1\x7f}", 0, ERR_BAD_JSON },
		{ "single-quoted key", "{'a':1}", 0, ERR_BAD_JSON },
		{ "single-quoted value", "{\"a\":'b'}", 0, ERR_BAD_JSON },
		{ "unquoted key", "{a:1}", 0, ERR_BAD_JSON },
		{ "17 top-level keys",
		    "{\"1\":1,\"2\":2,\"3\":3,\"4\":4,\"5\":5,\"6\":6,\"7\":7,"
		    "\"8\":8,\"9\":9,\"10\":0,\"11\":1,\"12\":2,\"13\":3,"
		    "\"14\":4,\"15\":5,\"16\":6,\"17\":7}", 0, ERR_BAD_JSON },
		{ "16 top-level keys",
		    "{\"1\":1,\"2\":2,\"3\":3,\"4\":4,\"5\":5,\"6\":6,\"7\":7,"
		    "\"8\":8,\"9\":9,\"10\":0,\"11\":1,\"12\":2,\"13\":3,"
		    "\"14\":4,\"15\":5,\"16\":6}", 0, ERR_NONE },
		{ "only len bytes are read", "{}garbage", 2, ERR_NONE },
	};
	size_t	 i;
	char	*open, *close, *b;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].s);

		is_int(valid_json_lex(cases[i].s, len), cases[i].want,
		    "lex: %s -> %s", cases[i].name, errname(cases[i].want));
	}

	/* LIMIT_JSON_DEPTH levels pass the lexer, one more does not. */
	open = rep("[", LIMIT_JSON_DEPTH - 1);
	close = rep("]", LIMIT_JSON_DEPTH - 1);
	b = body_of("{\"a\":%s%s}", open, close);
	is_int(valid_json_lex(b, strlen(b)), ERR_NONE, "lex: depth %d",
	    LIMIT_JSON_DEPTH);
	free(b);
	b = body_of("{\"a\":[%s%s]}", open, close);
	is_int(valid_json_lex(b, strlen(b)), ERR_BAD_JSON, "lex: depth %d",
	    LIMIT_JSON_DEPTH + 1);
	free(b);
	free(open);
	free(close);
}

/* The directory of JSONTestSuite parsing cases, or NULL. */
static char *
suite_dir(void)
{
	const char	*shared = getenv("SHARED_DIR");
	const char	*top = getenv("top_srcdir");
	struct stat	 sb;
	char		*d;

	if (shared != NULL && shared[0] != '\0')
		d = body_of("%s/JSONTestSuite/test_parsing", shared);
	else if (top != NULL && top[0] != '\0')
		d = body_of("%s/../shared/JSONTestSuite/test_parsing", top);
	else
		d = body_of("../shared/JSONTestSuite/test_parsing");
	if (stat(d, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		free(d);
		return NULL;
	}
	return d;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	char	*buf = NULL;
	size_t	 cap = 0, n = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		size_t r;

		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((buf = realloc(buf, cap + 1)) == NULL)
				abort();
		}
		r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Every n_ case is refused; every case (y_, i_, n_) returns one of the
 * documented results with *obj set only on success. A y_ case that is
 * an object must pass the lexical checks unless it holds \u0000.
 */
static void
test_suite(void)
{
	struct dirent	**ents = NULL;
	char		 *dir = suite_dir();
	int		  n, i, others = 0, others_ok = 1, lex_ok = 1, nn = 0;

	if (dir == NULL) {
		skip(1, "JSONTestSuite not found (set SHARED_DIR)");
		return;
	}
	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0) {
		ok(0, "scandir %s: %s", dir, strerror(errno));
		free(dir);
		return;
	}
	for (i = 0; i < n; i++) {
		const char		*nm = ents[i]->d_name;
		struct field_value	 v[8];
		json_object		*obj = NULL;
		const char		*why = NULL;
		char			*path, *body;
		size_t			 len = 0, k;
		enum api_err		 e;
		int			 documented;

		if (nm[0] == '.' || nm[1] != '_' ||
		    (nm[0] != 'y' && nm[0] != 'n' && nm[0] != 'i')) {
			free(ents[i]);
			continue;
		}
		path = body_of("%s/%s", dir, nm);
		body = slurp(path, &len);
		if (body == NULL) {
			ok(0, "read %s", path);
			free(path);
			free(ents[i]);
			continue;
		}
		e = valid_object(body, len, reg, NREG, &obj, v, &why);
		documented = (e == ERR_NONE && obj != NULL) ||
		    ((e == ERR_BAD_JSON || e == ERR_UNKNOWN_FIELD ||
		    e == ERR_INVALID_FIELD) && obj == NULL);
		if (nm[0] == 'n') {
			nn++;
			ok(e != ERR_NONE && documented, "suite %s refused (%s)",
			    nm, errname(e));
		} else {
			others++;
			if (!documented) {
				diag("suite %s: result %d, obj %p", nm, (int)e,
				    (void *)obj);
				others_ok = 0;
			}
		}
		if (obj != NULL)
			json_object_put(obj);
		(void)valid_json_lex(body, len);
		for (k = 0; k < len && (body[k] == ' ' || body[k] == '\n' ||
		    body[k] == '\t' || body[k] == '\r'); k++)
			;
		if (nm[0] == 'y' && k < len && body[k] == '{' &&
		    strstr(body, "\\u0000") == NULL &&
		    valid_json_lex(body, len) != ERR_NONE) {
			diag("suite %s: valid object refused by the lexer", nm);
			lex_ok = 0;
		}
		free(body);
		free(path);
		free(ents[i]);
	}
	free(ents);
	free(dir);
	ok(nn > 0, "suite: %d n_ cases found", nn);
	ok(others > 0 && others_ok, "suite: %d y_/i_ cases give documented "
	    "results, no crash", others);
	ok(lex_ok, "suite: y_ objects pass the lexical checks");
}

int
main(void)
{
	test_valid_bodies();
	test_bad_json();
	test_caps();
	test_fields();
	test_valid_string();
	test_lex();
	test_suite();
	return done_testing();
}
