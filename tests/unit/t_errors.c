/*
 * t_errors.c: unit tests for errors.c: the error table is full (one row
 * per enum value with the status its comment promises and a stable,
 * unique code) and status lines exist for every status the table uses,
 * including 403 wrong_password and 429 too_many_attempts (RFC 6585).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "tap.h"

/* The statuses errors.h documents next to each value. */
static const int want_status[ERR__MAX] = {
	[ERR_NONE] = 200,
	[ERR_BAD_REQUEST] = 400,
	[ERR_BAD_JSON] = 400,
	[ERR_INVALID_FIELD] = 400,
	[ERR_UNKNOWN_FIELD] = 400,
	[ERR_BAD_QUERY] = 400,
	[ERR_LOGIN_FAILED] = 401,
	[ERR_TOKEN_MISSING] = 401,
	[ERR_TOKEN_INVALID] = 401,
	[ERR_FORBIDDEN] = 403,
	[ERR_WRONG_PASSWORD] = 403,
	[ERR_NOT_FOUND] = 404,
	[ERR_AUTHOR_NOT_FOUND] = 404,
	[ERR_METHOD] = 405,
	[ERR_NAME_TAKEN] = 409,
	[ERR_AUTHOR_CONFLICT] = 409,
	[ERR_TOO_LARGE] = 413,
	[ERR_MEDIA_TYPE] = 415,
	[ERR_TOO_MANY_ATTEMPTS] = 429,
	[ERR_INTERNAL] = 500,
	[ERR_MISCONFIGURED] = 500,
	[ERR_UNAVAILABLE] = 503,
	[ERR_STORAGE] = 503,
};

/* A stable code is lower-case snake case: it is an API contract. */
static int
is_snake(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return 0;
	return 1;
}

static void
test_table(void)
{
	int	 e, f, unique = 1;

	for (e = 0; e < ERR__MAX; e++) {
		const struct err_info *ei = err_info((enum api_err)e);

		ok(ei != NULL, "err_info(%d) has a row", e);
		if (ei == NULL)
			continue;
		if (e == ERR_NONE)
			ok(ei->status >= 200 && ei->status < 300,
			    "ERR_NONE maps to a 2xx status (%d)", ei->status);
		else
			ok(ei->status >= 400 && ei->status <= 599,
			    "err %d (%s) status %d is in 400..599", e,
			    ei->code ? ei->code : "NULL", ei->status);
		is_int(ei->status, want_status[e], "err %d (%s) has the "
		    "documented status", e, ei->code ? ei->code : "NULL");
		ok(ei->code != NULL && is_snake(ei->code),
		    "err %d code \"%s\" is non-empty snake_case", e,
		    ei->code ? ei->code : "NULL");
		ok(ei->message != NULL && ei->message[0] != '\0',
		    "err %d has a non-empty default message", e);
		/* RFC 9110 section 10.2.3: a 503 says when to come back. */
		if (ei->status == 503)
			ok(ei->retry_after > 0, "err %d (%s): 503 with a "
			    "Retry-After", e, ei->code);
		else
			ok(ei->retry_after == 0, "err %d (%s): no Retry-After "
			    "on a %d", e, ei->code, ei->status);
		ok(strcmp(err_status_line(ei->status), "500 Internal Server "
		    "Error") != 0 || ei->status == 500,
		    "status %d of err %d has its own status line", ei->status,
		    e);
	}
	for (e = 0; e < ERR__MAX; e++)
		for (f = e + 1; f < ERR__MAX; f++)
			if (strcmp(err_info((enum api_err)e)->code,
			    err_info((enum api_err)f)->code) == 0) {
				diag("errors %d and %d share code %s", e, f,
				    err_info((enum api_err)e)->code);
				unique = 0;
			}
	ok(unique, "error codes are unique");

	/* Codes clients rely on (seed compatibility). */
	is_str(err_info(ERR_TOO_LARGE)->code, "body_too_large",
	    "413 code is body_too_large");
	is_str(err_info(ERR_METHOD)->code, "method_not_allowed",
	    "405 code is method_not_allowed");
	is_str(err_info(ERR_INTERNAL)->code, "internal_error",
	    "500 code is internal_error");
	is_str(err_info(ERR_WRONG_PASSWORD)->code, "wrong_password",
	    "403 old-password code is wrong_password");
	is_str(err_info(ERR_TOO_MANY_ATTEMPTS)->code, "too_many_attempts",
	    "429 code is too_many_attempts");
	is_str(err_info(ERR_FORBIDDEN)->code, "forbidden",
	    "the admin 403 keeps its own code (forbidden)");
	is_str(err_info(ERR_LOGIN_FAILED)->message, "could not verify",
	    "401 login message is \"could not verify\"");

	/* Out of range falls back to a 500 row instead of reading past. */
	is_int(err_info(ERR__MAX)->status, 500,
	    "err_info(ERR__MAX) falls back to a 500 row");
	is_int(err_info((enum api_err)-1)->status, 500,
	    "err_info(-1) falls back to a 500 row");
}

static void
test_status_lines(void)
{
	static const struct {
		int		 status;
		const char	*line;
	} known[] = {
		{ 200, "200 OK" },
		{ 201, "201 Created" },
		{ 400, "400 Bad Request" },
		{ 401, "401 Unauthorized" },
		{ 403, "403 Forbidden" },
		{ 404, "404 Not Found" },
		{ 405, "405 Method Not Allowed" },
		{ 409, "409 Conflict" },
		{ 413, "413 Content Too Large" },	/* RFC 9110 15.5.14 */
		{ 415, "415 Unsupported Media Type" },
		{ 429, "429 Too Many Requests" },	/* RFC 6585 4 */
		{ 500, "500 Internal Server Error" },
		{ 503, "503 Service Unavailable" },
	};
	static const int unknown[] = { 0, -1, 418, 999, 2000, -2147483647 };
	size_t	 i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		is_str(err_status_line(known[i].status), known[i].line,
		    "status line for %d", known[i].status);
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		is_str(err_status_line(unknown[i]), "500 Internal Server Error",
		    "unknown status %d gives the 500 line", unknown[i]);
}

int
main(void)
{
	test_table();
	test_status_lines();
	return done_testing();
}
