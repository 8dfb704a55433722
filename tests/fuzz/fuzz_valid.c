/*
 * fuzz_valid.c: valid_object() and valid_json_lex(), the parser of every
 * JSON request body (valid.h). The first byte picks the field table (even:
 * POST /register, odd: the author body of POST/PUT /authors); the rest is
 * the body, passed as an exact-size buffer with no terminator, since the
 * contract is (body, len).
 *
 * Checked beyond memory safety: on success the object is a JSON object,
 * every required field is present, every present string is as long as
 * its field allows (code points for TEXT, bytes for SECRET) with no NUL,
 * and the lexical pass alone accepts the body too; on failure nothing is
 * returned and the error is one valid.h lists.
 */
#include "config.h"

#include <json-c/json.h>

#include "limits.h"
#include "util.h"
#include "valid.h"
#include "fuzz.h"

/* As cgi-bin/register.c declares it (keep in step). */
static const struct field register_fields[] = {
	{ "name", FIELD_TEXT, 1, LIMIT_NAME_CP, 1 },
	{ "password", FIELD_SECRET, LIMIT_PASSWORD_MIN, LIMIT_PASSWORD_MAX, 1 },
};

/* As cgi-bin/authors.c declares it (keep in step). */
static const struct field author_fields[] = {
	{ "name", FIELD_TEXT, 1, LIMIT_NAME_CP, 1 },
	{ "book", FIELD_TEXT, 1, LIMIT_BOOK_CP, 1 },
	{ "country", FIELD_TEXT, 1, LIMIT_COUNTRY_CP, 1 },
	{ "booker_prize", FIELD_BOOL, 0, 0, 0 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void
check_success(const struct field *f, size_t n, json_object *obj,
    const struct field_value *v, const char *body, size_t len)
{
	size_t	 i, ncp;

	FUZZ_CHECK(obj != NULL);
	FUZZ_CHECK(json_object_is_type(obj, json_type_object));
	FUZZ_CHECK(valid_json_lex(body, len) == ERR_NONE);
	for (i = 0; i < n; i++) {
		if (f[i].required)
			FUZZ_CHECK(v[i].present);
		if (!v[i].present || f[i].type == FIELD_BOOL)
			continue;
		FUZZ_CHECK(v[i].str != NULL);
		FUZZ_CHECK(memchr(v[i].str, '\0', v[i].len) == NULL);
		FUZZ_CHECK(v[i].str[v[i].len] == '\0');
		if (f[i].type == FIELD_SECRET) {
			FUZZ_CHECK(v[i].len >= f[i].min && v[i].len <= f[i].max);
			continue;
		}
		FUZZ_CHECK(util_utf8_check((const unsigned char *)v[i].str,
		    v[i].len, &ncp) == 0);
		FUZZ_CHECK(ncp >= f[i].min && ncp <= f[i].max);
		FUZZ_CHECK(v[i].len <= LIMIT_TEXT_BYTES(f[i].max));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct field_value	 v[8];
	const struct field	*f;
	json_object		*obj = (json_object *)&obj; /* must be reset */
	const char		*why = NULL;
	char			*body;
	size_t			 n, len, i;
	enum api_err		 e, lx;

	if (size == 0)
		return 0;
	if (data[0] % 2 == 0) {
		f = register_fields;
		n = NELEM(register_fields);
	} else {
		f = author_fields;
		n = NELEM(author_fields);
	}
	len = size - 1;
	body = fuzz_memdup(data + 1, len);

	lx = valid_json_lex(body, len);
	FUZZ_CHECK(lx == ERR_NONE || lx == ERR_BAD_JSON);

	memset(v, 0xa5, sizeof(v));
	e = valid_object(body, len, f, n, &obj, v, &why);
	if (e == ERR_NONE) {
		check_success(f, n, obj, v, body, len);
		json_object_put(obj);
	} else {
		FUZZ_CHECK(e == ERR_BAD_JSON || e == ERR_UNKNOWN_FIELD ||
		    e == ERR_INVALID_FIELD);
		FUZZ_CHECK(obj == NULL);
		for (i = 0; i < n; i++)
			FUZZ_CHECK(!v[i].present);
		if (why != NULL)
			FUZZ_CHECK(strlen(why) < 1024);
	}
	free(body);
	return 0;
}
