/*
 * valid.h: strict JSON input. A body is accepted only when it is valid
 * UTF-8 (strict), one JSON object and nothing after it, with no comments,
 * no raw control characters in strings, no \u0000, no lone surrogates,
 * no duplicate or unknown keys, and every field of the declared type and
 * size. json-c does the parsing; the checks it lacks are here
 * (shared/LIBRARIES.md).
 */
#ifndef LIBAPI_VALID_H
#define LIBAPI_VALID_H

#include <stddef.h>
#include <json-c/json.h>
#include "errors.h"

enum field_type {
	FIELD_TEXT,	/* string: UTF-8, min..max code points, not blank */
	FIELD_SECRET,	/* string: min..max bytes, no NUL */
	FIELD_BOOL,	/* JSON true/false */
	FIELD__MAX
};

struct field {
	const char	*name;
	enum field_type	 type;
	size_t		 min, max;	/* code points (TEXT) or bytes (SECRET) */
	int		 required;
};

/* One validated value, pointing into the parsed object. */
struct field_value {
	int		 present;
	const char	*str;	/* TEXT, SECRET */
	size_t		 len;	/* bytes */
	int		 boolean; /* BOOL */
};

/*
 * Parse and validate body against fields[0..n). On success returns
 * ERR_NONE, *obj holds the parsed object (caller releases with
 * json_object_put) and values[i] describes fields[i]. On failure returns
 * ERR_BAD_JSON, ERR_UNKNOWN_FIELD, ERR_INVALID_FIELD or (out of memory)
 * ERR_INTERNAL, *obj is NULL and
 * *detail points to a static message (may name the field) or is NULL
 * when the error's default message fits.
 * n is at most 8.
 */
enum api_err valid_object(const char *body, size_t len,
    const struct field *fields, size_t n, json_object **obj,
    struct field_value *values, const char **detail);

/*
 * Check one string value (TEXT or SECRET field rules). ERR_NONE, or
 * ERR_INVALID_FIELD with a static message in *why. Used for JSON fields
 * and by library-admin for names and passwords typed in.
 */
enum api_err valid_string(const struct field *f, const char *s, size_t len,
    const char **why);

/*
 * The lexical checks alone (control characters, \u escapes, top-level
 * keys): exposed for unit tests and the fuzzer. Returns ERR_NONE or
 * ERR_BAD_JSON.
 */
enum api_err valid_json_lex(const char *body, size_t len);

#endif
