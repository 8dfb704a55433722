/*
 * errors.c: the error table (one row per enum api_err) and status lines.
 * Seed-compatible messages are kept where the original API had them.
 */
#include "config.h"

#include <assert.h>
#include <stddef.h>

#include "errors.h"

static const struct err_info err_table[] = {
	[ERR_NONE] = { 200, "ok", "ok" },
	[ERR_BAD_REQUEST] = { 400, "bad_request", "malformed request" },
	[ERR_BAD_JSON] = { 400, "invalid_json",
	    "body must be one JSON object" },
	[ERR_INVALID_FIELD] = { 400, "invalid_field", "invalid field" },
	[ERR_UNKNOWN_FIELD] = { 400, "unknown_field", "unknown field" },
	[ERR_BAD_QUERY] = { 400, "invalid_query",
	    "limit must be 1-1000 and offset 0-1000000000, each given once" },
	[ERR_LOGIN_FAILED] = { 401, "login_failed", "could not verify" },
	[ERR_TOKEN_MISSING] = { 401, "token_missing",
	    "a valid token is missing" },
	[ERR_TOKEN_INVALID] = { 401, "token_invalid", "token is invalid" },
	[ERR_FORBIDDEN] = { 403, "forbidden", "admin rights required" },
	[ERR_WRONG_PASSWORD] = { 403, "wrong_password",
	    "old_password is not the current password" },
	[ERR_NOT_FOUND] = { 404, "not_found", "no such resource" },
	[ERR_AUTHOR_NOT_FOUND] = { 404, "author_not_found",
	    "author does not exist" },
	[ERR_METHOD] = { 405, "method_not_allowed",
	    "method not allowed on this resource" },
	[ERR_NAME_TAKEN] = { 409, "name_taken", "user name already taken" },
	[ERR_AUTHOR_CONFLICT] = { 409, "author_exists",
	    "an author with this name or book already exists" },
	[ERR_TOO_LARGE] = { 413, "body_too_large",
	    "request body is larger than 65536 bytes" },
	[ERR_MEDIA_TYPE] = { 415, "unsupported_media_type",
	    "Content-Type must be application/json" },
	[ERR_TOO_MANY_ATTEMPTS] = { 429, "too_many_attempts",
	    "too many failed logins, retry later" },
	[ERR_INTERNAL] = { 500, "internal_error", "internal error" },
	[ERR_MISCONFIGURED] = { 500, "server_misconfigured",
	    "the server has no usable key; see its log" },
	[ERR_UNAVAILABLE] = { 503, "service_unavailable",
	    "the database is busy, retry later", 1 },
	[ERR_STORAGE] = { 503, "storage_unavailable",
	    "the database cannot be used right now, retry later", 5 },
};
static_assert(sizeof(err_table) / sizeof(err_table[0]) == ERR__MAX,
    "err_table must have one row per enum api_err");

const struct err_info *
err_info(enum api_err err)
{
	if ((unsigned)err >= ERR__MAX)
		err = ERR_INTERNAL;
	return &err_table[err];
}

static const struct {
	int		 status;
	const char	*line;
} status_lines[] = {
	{ 200, "200 OK" },
	{ 201, "201 Created" },
	{ 400, "400 Bad Request" },
	{ 401, "401 Unauthorized" },
	{ 403, "403 Forbidden" },
	{ 404, "404 Not Found" },
	{ 405, "405 Method Not Allowed" },
	{ 409, "409 Conflict" },
	{ 413, "413 Content Too Large" },
	{ 415, "415 Unsupported Media Type" },
	{ 429, "429 Too Many Requests" },
	{ 500, "500 Internal Server Error" },
	{ 503, "503 Service Unavailable" },
};

const char *
err_status_line(int status)
{
	size_t	 i;

	for (i = 0; i < sizeof(status_lines) / sizeof(status_lines[0]); i++)
		if (status_lines[i].status == status)
			return status_lines[i].line;
	return "500 Internal Server Error";
}
