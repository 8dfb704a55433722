/*
 * valid.c: strict JSON object input (see valid.h). json-c parses; the
 * lexical pass here adds what json-c 0.16 lets through even with
 * JSON_TOKENER_STRICT (shared/LIBRARIES.md): raw control characters in
 * strings, \u0000, lone surrogate escapes, single-quoted keys, and
 * duplicate keys (json-c keeps the last one silently). Keys are decoded
 * by json-c too, so "name\u0000x" cannot pose as "name". json-c is given
 * the values as an array and each key alone as a string, never an object
 * with its keys (see values_text): that way a failed allocation is an
 * error, not a crash or a value cut short.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "util.h"
#include "valid.h"

#define MAX_KEYS 16	/* top-level members looked at; more is an error */

struct span {
	size_t	 off, len;	/* raw bytes between the quotes */
};

static int
hexval(const char *s, size_t avail, unsigned *out)
{
	unsigned	 v = 0;
	size_t		 i;

	if (avail < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * One pass over the text. Fails on what json-c would let through; on
 * success, the top-level keys' raw spans are in keys[0..*nkeys).
 */
static enum api_err
lex(const char *b, size_t len, struct span *keys, size_t *nkeys,
    const char **why)
{
	size_t	 i, depth = 0, key_start = 0;
	int	 in_str = 0, in_key = 0, expect_key = 0;

	*nkeys = 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b[i];

		if (in_str) {
			if (c == '\\') {
				unsigned cp, lo;

				if (i + 1 >= len)
					return ERR_BAD_JSON;
				if (b[i + 1] != 'u') {
					i++;
					continue;
				}
				if (hexval(b + i + 2, len - i - 2, &cp) == -1)
					return ERR_BAD_JSON;
				i += 5;
				if (cp == 0) {
					*why = "\\u0000 is not allowed";
					return ERR_BAD_JSON;
				}
				if (cp >= 0xdc00 && cp <= 0xdfff) {
					*why = "lone surrogate escape";
					return ERR_BAD_JSON;
				}
				if (cp >= 0xd800 && cp <= 0xdbff) {
					/* RFC 8259 section 7: a pair or nothing. */
					if (i + 2 >= len || b[i + 1] != '\\' ||
					    b[i + 2] != 'u' ||
					    hexval(b + i + 3, len - i - 3,
					    &lo) == -1 ||
					    lo < 0xdc00 || lo > 0xdfff) {
						*why = "lone surrogate escape";
						return ERR_BAD_JSON;
					}
					i += 6;
				}
			} else if (c == '"') {
				in_str = 0;
				if (in_key) {
					if (*nkeys == MAX_KEYS)
						return ERR_UNKNOWN_FIELD;
					keys[*nkeys].off = key_start;
					keys[*nkeys].len = i - key_start;
					(*nkeys)++;
					in_key = 0;
				}
			} else if (c < 0x20) {
				*why = "control character in a string";
				return ERR_BAD_JSON;	/* must be escaped */
			}
			continue;
		}
		if (is_ws((char)c))
			continue;
		if (depth == 0 && c != '{')
			return ERR_BAD_JSON;	/* top level must be an object */
		if (depth == 1 && expect_key && c != '"' && c != '}')
			return ERR_BAD_JSON;	/* e.g. a single-quoted key */
		switch (c) {
		case '"':
			in_str = 1;
			if (depth == 1 && expect_key) {
				in_key = 1;
				key_start = i + 1;
			}
			expect_key = 0;
			break;
		case '{':
		case '[':
			if (++depth > LIMIT_JSON_DEPTH) {
				*why = "nested too deeply";
				return ERR_BAD_JSON;
			}
			expect_key = depth == 1;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return ERR_BAD_JSON;
			depth--;
			expect_key = 0;
			break;
		case ',':
			expect_key = depth == 1;
			break;
		default:
			/*
			 * Outside strings JSON has only numbers and the words
			 * true, false, null: this refuses NaN, Infinity and
			 * single quotes, which json-c accepts even when strict.
			 */
			if (!((c >= '0' && c <= '9') || c == '-' || c == '+' ||
			    c == '.' || c == ':' ||
			    (c != 0 && strchr("truefalsnE", c) != NULL)))
				return ERR_BAD_JSON;
			expect_key = 0;
			break;
		}
	}
	if (in_str || depth != 0)
		return ERR_BAD_JSON;
	return ERR_NONE;
}

enum api_err
valid_json_lex(const char *body, size_t len)
{
	struct span	 keys[MAX_KEYS];
	size_t		 n;
	const char	*why = NULL;
	enum api_err	 e = lex(body, len, keys, &n, &why);

	return e == ERR_UNKNOWN_FIELD ? ERR_BAD_JSON : e;
}

/*
 * A strict tokener whose buffer already holds len bytes. json-c 0.16
 * does not check that this buffer grew: a string it could not grow it
 * for would lose bytes (a name cut short, not an error). NULL when out
 * of memory. tok->pb is published (and deprecated) in 0.16's header;
 * there is no other way to size it.
 */
static struct json_tokener *
tokener_for(size_t len)
{
	struct json_tokener	*tok;

	/* json-c refuses depth >= max_depth - 1: allow exactly LIMIT_JSON_DEPTH. */
	if ((tok = json_tokener_new_ex(LIMIT_JSON_DEPTH + 1)) == NULL)
		return NULL;
	if (printbuf_memset(tok->pb, 0, 0, (int)len + 8) == -1) {
		json_tokener_free(tok);
		return NULL;
	}
	printbuf_reset(tok->pb);
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	return tok;
}

/*
 * The copy of the text json-c parses: the top-level object as the array
 * of its values in order (keys[i]'s value is element i), each key and
 * its colon blanked, each nested object (no field takes one) an array
 * of blanks. json-c 0.16 does not check the copy it makes of a key and
 * crashes when that allocation fails, so it is never given one. Closers
 * must match their openers, as json-c would have required.
 */
static enum api_err
values_text(char *t, size_t len, const struct span *keys, size_t nkeys)
{
	char	 open[LIMIT_JSON_DEPTH + 1];
	size_t	 i, k, depth = 0, nest = 0;
	int	 in_str = 0;

	for (k = 0; k < nkeys; k++) {
		memset(t + keys[k].off - 1, ' ', keys[k].len + 2);
		for (i = keys[k].off + keys[k].len + 1; i < len &&
		    is_ws(t[i]); i++)
			;
		if (i == len || t[i] != ':')
			return ERR_BAD_JSON;
		t[i] = ' ';
	}
	for (i = 0; i < len; i++) {
		char c = t[i];

		if (in_str) {
			if (nest)
				t[i] = ' ';
			if (c == '\\' && i + 1 < len) {
				if (nest)
					t[i + 1] = ' ';
				i++;
			} else if (c == '"')
				in_str = 0;
			continue;
		}
		switch (c) {
		case '"':
			in_str = 1;
			break;
		case '{':
		case '[':
			if (depth == LIMIT_JSON_DEPTH)
				return ERR_BAD_JSON;
			open[depth++] = c;
			if (c == '{' && (depth == 1 || (depth > 1 && !nest))) {
				t[i] = '[';
				if (depth > 1)
					nest = depth;
				continue;
			}
			break;
		case '}':
		case ']':
			if (depth == 0 || (open[depth - 1] == '{') != (c == '}'))
				return ERR_BAD_JSON;
			if (c == '}' && (depth == 1 || depth == nest))
				t[i] = ']';
			if (depth == nest) {
				nest = 0;
				depth--;
				continue;
			}
			depth--;
			break;
		default:
			break;
		}
		if (nest)
			t[i] = ' ';
	}
	return ERR_NONE;
}

/*
 * Parse the whole text strictly with json-c into the array of the
 * top-level values (see values_text). ERR_NONE with *out, ERR_BAD_JSON,
 * or ERR_INTERNAL when memory ran out: json-c 0.16 has no error code for
 * that, but the failed allocation left errno at ENOMEM.
 */
static enum api_err
parse_values(const char *body, size_t len, const struct span *keys,
    size_t nkeys, json_object **out)
{
	struct json_tokener	*tok;
	json_object		*obj;
	char			*t;
	size_t			 end;
	enum api_err		 e;

	*out = NULL;
	if (len == 0 || len > LIMIT_BODY_MAX)
		return ERR_BAD_JSON;
	if ((t = malloc(len + 1)) == NULL)
		return ERR_INTERNAL;
	memcpy(t, body, len);
	t[len] = '\0';
	if ((e = values_text(t, len, keys, nkeys)) != ERR_NONE) {
		free(t);
		return e;
	}
	if ((tok = tokener_for(len)) == NULL) {
		free(t);
		return ERR_INTERNAL;
	}
	errno = 0;
	obj = json_tokener_parse_ex(tok, t, (int)len);
	end = json_tokener_get_parse_end(tok);
	e = ERR_NONE;
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success)
		e = ERR_BAD_JSON;
	else {
		while (end < len && is_ws(t[end]))
			end++;
		if (end != len || !json_object_is_type(obj, json_type_array) ||
		    json_object_array_length(obj) != nkeys)
			e = ERR_BAD_JSON;
	}
	if (e != ERR_NONE && errno == ENOMEM)
		e = ERR_INTERNAL;	/* e.g. a value json-c could not add */
	json_tokener_free(tok);
	free(t);
	if (e != ERR_NONE)
		json_object_put(obj);
	else
		*out = obj;
	return e;
}

/*
 * Decode one raw key span with json-c; the index of the field it names,
 * -1 if none, -2 when out of memory.
 */
static int
key_index(const char *body, const struct span *sp, const struct field *f,
    size_t n)
{
	struct json_tokener	*tok;
	char			 buf[LIMIT_CONF_LINE];
	json_object		*s;
	const char		*k;
	size_t			 klen, i;
	int			 found = -1;

	if (sp->len + 2 >= sizeof(buf))
		return -1;
	buf[0] = '"';
	memcpy(buf + 1, body + sp->off, sp->len);
	buf[sp->len + 1] = '"';
	buf[sp->len + 2] = '\0';
	if ((tok = tokener_for(sp->len + 2)) == NULL)
		return -2;
	errno = 0;
	s = json_tokener_parse_ex(tok, buf, (int)sp->len + 2);
	json_tokener_free(tok);
	if (s == NULL)
		return errno == ENOMEM ? -2 : -1;
	if (json_object_is_type(s, json_type_string)) {
		k = json_object_get_string(s);
		klen = (size_t)json_object_get_string_len(s);
		for (i = 0; i < n; i++)
			if (strlen(f[i].name) == klen &&
			    memcmp(f[i].name, k, klen) == 0)
				found = (int)i;
	}
	json_object_put(s);
	return found;
}

/* Unicode white space (Zs and the like) and invisible format characters:
 * a text made only of these looks empty. */
static int
is_space_cp(uint32_t cp)
{
	return cp == ' ' || cp == 0xa0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200d) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x202f || cp == 0x205f || cp == 0x2060 || cp == 0x3000 ||
	    cp == 0xfeff;
}

/*
 * C0 and C1 controls, DEL, and the invisible formatting characters that
 * let one name pass for another: soft hyphen, zero-width space and
 * non-joiner, bidirectional marks, embeddings, overrides and isolates,
 * word joiner and invisible operators, byte order mark. (The zero-width
 * joiner and variation selectors stay: emoji sequences need them.)
 */
static int
is_control_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xad ||
	    cp == 0x61c || cp == 0x200b || cp == 0x200c || cp == 0x200e ||
	    cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0xfeff;
}

/* Text already checked as UTF-8: blank (only spaces), with controls? */
static void
scan_text(const char *s, size_t len, int *blank, int *control)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0;

	*blank = 1;
	*control = 0;
	while (i < len) {
		uint32_t cp = util_utf8_next(u, len, &i);

		if (is_control_cp(cp))
			*control = 1;
		else if (!is_space_cp(cp))
			*blank = 0;
	}
}

static char detail_buf[160];	/* one request at a time per process */

static const char *detail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static const char *
detail(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(detail_buf, sizeof(detail_buf), fmt, ap);
	va_end(ap);
	return detail_buf;
}

enum api_err
valid_string(const struct field *f, const char *s, size_t len,
    const char **why)
{
	size_t	 ncp;
	int	 blank, control;

	if (memchr(s, '\0', len) != NULL) {
		*why = detail("%s must not contain NUL", f->name);
		return ERR_INVALID_FIELD;
	}
	if (util_utf8_check((const unsigned char *)s, len, &ncp) == -1) {
		*why = detail("%s must be valid UTF-8", f->name);
		return ERR_INVALID_FIELD;
	}
	if (f->type == FIELD_SECRET) {
		if (len < f->min || len > f->max) {
			*why = detail("%s must be %zu-%zu bytes", f->name,
			    f->min, f->max);
			return ERR_INVALID_FIELD;
		}
		return ERR_NONE;
	}
	scan_text(s, len, &blank, &control);
	if (ncp < f->min || ncp > f->max || blank) {
		*why = detail("%s must be %zu-%zu characters, not blank",
		    f->name, f->min, f->max);
		return ERR_INVALID_FIELD;
	}
	if (control) {
		*why = detail("%s must not contain control or invisible "
		    "formatting characters",
		    f->name);
		return ERR_INVALID_FIELD;
	}
	return ERR_NONE;
}

/* Check one present value against its field. */
static enum api_err
check_value(const struct field *f, json_object *v, struct field_value *out,
    const char **why)
{
	switch (f->type) {
	case FIELD_BOOL:
		if (!json_object_is_type(v, json_type_boolean)) {
			*why = detail("%s must be true or false", f->name);
			return ERR_INVALID_FIELD;
		}
		out->boolean = json_object_get_boolean(v);
		break;
	case FIELD_TEXT:
	case FIELD_SECRET:
		if (!json_object_is_type(v, json_type_string)) {
			*why = detail("%s must be a string", f->name);
			return ERR_INVALID_FIELD;
		}
		out->str = json_object_get_string(v);
		out->len = (size_t)json_object_get_string_len(v);
		if (valid_string(f, out->str, out->len, why) != ERR_NONE)
			return ERR_INVALID_FIELD;
		break;
	default:
		return ERR_INTERNAL;
	}
	out->present = 1;
	return ERR_NONE;
}

enum api_err
valid_object(const char *body, size_t len, const struct field *fields,
    size_t n, json_object **objp, struct field_value *values,
    const char **why)
{
	struct span	 keys[MAX_KEYS];
	size_t		 nkeys, i;
	unsigned	 seen = 0;
	json_object	*obj = NULL, *o, *vals[8];
	enum api_err	 e;

	*objp = NULL;
	*why = NULL;
	memset(values, 0, n * sizeof(*values));
	if (body == NULL || len == 0) {
		*why = "a JSON object body is required";
		return ERR_BAD_JSON;
	}
	if (util_utf8_check((const unsigned char *)body, len, NULL) == -1) {
		*why = "body is not valid UTF-8";
		return ERR_BAD_JSON;
	}
	if ((e = lex(body, len, keys, &nkeys, why)) != ERR_NONE) {
		if (e == ERR_UNKNOWN_FIELD)
			*why = "too many fields";
		return e;
	}
	if ((e = parse_values(body, len, keys, nkeys, &obj)) != ERR_NONE)
		return e;
	/* Every key exactly once, and only known keys. */
	memset(vals, 0, sizeof(vals));
	for (i = 0; i < nkeys; i++) {
		int k = key_index(body, &keys[i], fields, n);

		if (k == -2) {
			e = ERR_INTERNAL;
			goto out;
		}
		if (k < 0) {
			e = ERR_UNKNOWN_FIELD;
			*why = "unknown field";
			goto out;
		}
		if (seen & (1u << k)) {
			e = ERR_BAD_JSON;
			*why = "duplicate key";
			goto out;
		}
		seen |= 1u << k;
		vals[k] = json_object_array_get_idx(obj, i);
	}
	for (i = 0; i < n; i++) {
		if (!(seen & (1u << i))) {
			if (fields[i].required) {
				e = ERR_INVALID_FIELD;
				*why = detail("%s is required", fields[i].name);
				goto out;
			}
			continue;
		}
		if ((e = check_value(&fields[i], vals[i], &values[i], why)) !=
		    ERR_NONE)
			goto out;
	}
	/* The values by name, as callers know them; values[] point into
	 * them, and they stay alive after the array goes. */
	if ((o = json_object_new_object()) == NULL) {
		e = ERR_INTERNAL;
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((seen & (1u << i)) && json_object_object_add_ex(o,
		    fields[i].name, json_object_get(vals[i]),
		    JSON_C_OBJECT_ADD_KEY_IS_NEW) != 0) {
			json_object_put(vals[i]);
			json_object_put(o);
			e = ERR_INTERNAL;
			goto out;
		}
	*objp = o;
	e = ERR_NONE;
out:
	if (obj != NULL)
		json_object_put(obj);
	if (e != ERR_NONE)
		memset(values, 0, n * sizeof(*values));
	return e;
}
