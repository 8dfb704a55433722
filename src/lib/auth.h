/*
 * auth.h: credentials out of request headers: HTTP Basic (RFC 7617) for
 * login, and the token from "x-access-tokens" or "Authorization: Bearer"
 * (RFC 6750) for everything else.
 */
#ifndef LIBAPI_AUTH_H
#define LIBAPI_AUTH_H

#include <stddef.h>
#include "errors.h"
#include "request.h"

struct basic_cred {
	char	*user;		/* points into buf */
	size_t	 user_len;
	char	*pass;		/* points into buf */
	size_t	 pass_len;
	char	 buf[4096 + 4];	/* decoded "user:pass", NUL-terminated parts */
};

/*
 * Parse an Authorization header value of scheme Basic (case-insensitive
 * scheme, strict base64 with padding). Returns 0 and fills cred, or -1
 * for any other scheme or malformed value. The user part is everything
 * before the first colon; the password may contain colons.
 */
int auth_basic_parse(const char *header, struct basic_cred *cred);

/*
 * The token sent with req: Authorization "Bearer <t>" first, then
 * x-access-tokens (an Authorization header of another scheme is not a
 * token and is passed over). Returns ERR_NONE with *tok and *len set,
 * ERR_TOKEN_MISSING when there is none, ERR_TOKEN_INVALID when the value
 * is not token-shaped (several merged values, foreign bytes, over the
 * size cap).
 */
enum api_err auth_token_from(const struct request *req, const char **tok,
    size_t *len);

#endif
