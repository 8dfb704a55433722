/*
 * fuzz_basic.c: the credential headers (auth.h). The whole input, as a C
 * string, is an Authorization header value for auth_basic_parse() (HTTP
 * Basic, RFC 7617). Then auth_token_from() gets a request whose
 * Authorization header is the input up to the first newline and whose
 * x-access-tokens header is the rest (an empty part is an absent header,
 * as request_from() leaves it).
 *
 * Checked beyond memory safety: a parsed credential is "user:pass" with
 * no colon in the user, no NUL in either part, both NUL-terminated inside
 * the buffer, at most LIMIT_BASIC_DECODED bytes; a token is a non-empty
 * run of base64url characters and dots inside one of the two headers, at
 * most LIMIT_TOKEN_MAX bytes.
 */
#include "config.h"

#include "auth.h"
#include "limits.h"
#include "request.h"
#include "fuzz.h"

static void
check_basic(const struct basic_cred *c)
{
	const char	*end = c->buf + sizeof(c->buf);

	FUZZ_CHECK(c->user == c->buf);
	FUZZ_CHECK(c->pass == c->user + c->user_len + 1);
	FUZZ_CHECK(c->pass + c->pass_len < end);
	FUZZ_CHECK(c->user[c->user_len] == '\0');
	FUZZ_CHECK(c->pass[c->pass_len] == '\0');
	FUZZ_CHECK(strlen(c->user) == c->user_len);
	FUZZ_CHECK(strlen(c->pass) == c->pass_len);
	FUZZ_CHECK(memchr(c->user, ':', c->user_len) == NULL);
	FUZZ_CHECK(c->user_len + 1 + c->pass_len <= LIMIT_BASIC_DECODED);
}

static int
inside(const char *p, size_t len, const char *s)
{
	return s != NULL && p >= s && p + len <= s + strlen(s);
}

static void
check_token(const struct request *req, const char *tok, size_t len)
{
	size_t	 i;

	FUZZ_CHECK(tok != NULL);
	FUZZ_CHECK(len > 0 && len <= LIMIT_TOKEN_MAX);
	FUZZ_CHECK(inside(tok, len, req->authorization) ||
	    inside(tok, len, req->access_token));
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tok[i];

		FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct basic_cred	 cred;
	struct request		 req;
	const uint8_t		*nl;
	const char		*tok = NULL;
	char			*header;
	size_t			 alen, tlen = 0;
	enum api_err		 e;

	header = fuzz_strndup(data, size);
	if (auth_basic_parse(header, &cred) == 0)
		check_basic(&cred);
	free(header);

	memset(&req, 0, sizeof(req));
	nl = size > 0 ? memchr(data, '\n', size) : NULL;
	alen = nl != NULL ? (size_t)(nl - data) : size;
	if (alen > 0)
		req.authorization = fuzz_strndup(data, alen);
	if (nl != NULL && size - alen - 1 > 0)
		req.access_token = fuzz_strndup(nl + 1, size - alen - 1);
	e = auth_token_from(&req, &tok, &tlen);
	if (e == ERR_NONE)
		check_token(&req, tok, tlen);
	else {
		FUZZ_CHECK(e == ERR_TOKEN_MISSING || e == ERR_TOKEN_INVALID);
		FUZZ_CHECK(tok == NULL);
	}
	free(req.authorization);
	free(req.access_token);
	return 0;
}
