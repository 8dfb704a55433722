/*
 * errors.h: the one error enum. Each value maps (in errors.c) to an HTTP
 * status, a stable "error" code and a default message; response_error()
 * is the only writer of error bodies.
 */
#ifndef LIBAPI_ERRORS_H
#define LIBAPI_ERRORS_H

enum api_err {
	ERR_NONE = 0,		/* success: the handler set the response */
	ERR_BAD_REQUEST,	/* 400 malformed request (headers, length) */
	ERR_BAD_JSON,		/* 400 body is not one strict JSON object */
	ERR_INVALID_FIELD,	/* 400 missing, wrong type, out of limits */
	ERR_UNKNOWN_FIELD,	/* 400 a key that is not part of the object */
	ERR_BAD_QUERY,		/* 400 bad query string (paging) */
	ERR_LOGIN_FAILED,	/* 401 could not verify (Basic) */
	ERR_TOKEN_MISSING,	/* 401 no token sent */
	ERR_TOKEN_INVALID,	/* 401 token rejected */
	ERR_FORBIDDEN,		/* 403 not allowed for this user */
	ERR_WRONG_PASSWORD,	/* 403 old password does not match */
	ERR_NOT_FOUND,		/* 404 no such path */
	ERR_AUTHOR_NOT_FOUND,	/* 404 absent or another user's author */
	ERR_METHOD,		/* 405 method not allowed on this path */
	ERR_NAME_TAKEN,		/* 409 user name already registered */
	ERR_AUTHOR_CONFLICT,	/* 409 same name or book for this user */
	ERR_TOO_LARGE,		/* 413 body over LIMIT_BODY_MAX */
	ERR_MEDIA_TYPE,		/* 415 body is not application/json */
	ERR_TOO_MANY_ATTEMPTS,	/* 429 login throttled; Retry-After */
	ERR_INTERNAL,		/* 500 unexpected; logged where it happened */
	ERR_MISCONFIGURED,	/* 500 no usable key file; logged */
	ERR_UNAVAILABLE,	/* 503 database lock not had in busy_timeout */
	ERR_STORAGE,		/* 503 database missing, read-only, full... */
	ERR__MAX
};

struct err_info {
	int		 status;	/* HTTP status code */
	const char	*code;		/* stable "error" value */
	const char	*message;	/* default "message" value */
	long		 retry_after;	/* seconds for Retry-After; 0: none */
};

/* The table row for err (err < ERR__MAX). Never NULL. */
const struct err_info *err_info(enum api_err err);

/* "201 Created" style status line for a code; "500 Internal Server Error"
 * for codes the table does not know. */
const char *err_status_line(int status);

#endif
