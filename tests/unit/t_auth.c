/*
 * t_auth.c: unit tests for auth.c: HTTP Basic credentials (RFC 7617,
 * strict RFC 4648 section 4 base64 with padding, decoded size cap) and
 * picking the token out of a request (RFC 6750 Bearer first, then
 * x-access-tokens; one value, base64url characters, size cap).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "limits.h"
#include "tap.h"

/* Standard base64 with padding, for inputs too long to hard-code. */
static char *
b64(const unsigned char *in, size_t len)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char			*out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t			 i;

	if (out == NULL)
		abort();
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = tab[in[i] >> 2];
		*o++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*o++ = tab[in[i + 2] & 63];
	}
	if (len - i == 1) {
		*o++ = tab[in[i] >> 2];
		*o++ = tab[(in[i] & 3) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		*o++ = tab[in[i] >> 2];
		*o++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = tab[(in[i + 1] & 15) << 2];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* Parse header; expect success with the given user and password. */
static void
basic_ok(const char *header, const char *user, size_t ulen,
    const char *pass, size_t plen, const char *name)
{
	struct basic_cred	 c;
	int			 rc;

	rc = auth_basic_parse(header, &c);
	if (!is_int(rc, 0, "basic %s: accepted", name))
		return;
	is_mem(c.user, c.user_len, user, ulen, "basic %s: user", name);
	is_mem(c.pass, c.pass_len, pass, plen, "basic %s: password", name);
	ok(c.user[c.user_len] == '\0' && c.pass[c.pass_len] == '\0',
	    "basic %s: both parts NUL-terminated", name);
}

static void
basic_bad(const char *header, const char *name)
{
	struct basic_cred	 c;

	is_int(auth_basic_parse(header, &c), -1, "basic %s: refused", name);
}

static void
test_basic(void)
{
	char	*enc, *hdr;
	unsigned char *raw;
	size_t	 n;
	static const size_t sizes[] = { LIMIT_BASIC_DECODED - 2,
	    LIMIT_BASIC_DECODED - 1, LIMIT_BASIC_DECODED };

	/* The test's own encoder agrees with base64(1). */
	enc = b64((const unsigned char *)"user:pass", 9);
	is_str(enc, "dXNlcjpwYXNz", "test encoder: user:pass");
	free(enc);
	enc = b64((const unsigned char *)"ab:c", 4);
	is_str(enc, "YWI6Yw==", "test encoder: two pad bytes");
	free(enc);
	enc = b64((const unsigned char *)"abc:d", 5);
	is_str(enc, "YWJjOmQ=", "test encoder: one pad byte");
	free(enc);

	basic_ok("Basic dXNlcjpwYXNz", "user", 4, "pass", 4, "user:pass");
	basic_ok("Basic YWxpY2U6c2VjcmV0", "alice", 5, "secret", 6,
	    "alice:secret");
	basic_ok("basic dXNlcjpwYXNz", "user", 4, "pass", 4,
	    "lower-case scheme");
	basic_ok("BASIC dXNlcjpwYXNz", "user", 4, "pass", 4,
	    "upper-case scheme");
	basic_ok("Basic   dXNlcjpwYXNz", "user", 4, "pass", 4,
	    "several spaces after the scheme");
	basic_ok("Basic dXNlcjpwYXNz  ", "user", 4, "pass", 4,
	    "trailing spaces");
	basic_ok("Basic dXNlcjpwYTpzczp3b3Jk", "user", 4, "pa:ss:word", 10,
	    "password with colons (split at the first)");
	basic_ok("Basic OnB3", "", 0, "pw", 2, "empty user \":pw\"");
	basic_ok("Basic dXNlcjo=", "user", 4, "", 0, "empty password");
	basic_ok("Basic Og==", "", 0, "", 0, "just \":\"");
	basic_ok("Basic YWI6Yw==", "ab", 2, "c", 1, "two pad bytes");
	basic_ok("Basic YWJjOmQ=", "abc", 3, "d", 1, "one pad byte");
	basic_ok("Basic dXNlcjpwYXNzIHdvcmQ=", "user", 4, "pass word", 9,
	    "space inside the password");
	basic_ok("Basic w7w6w7E=", "\xc3\xbc", 2, "\xc3\xb1", 2,
	    "UTF-8 user and password");
	basic_ok("Basic Pj4+Oj8/Pw==", ">>>", 3, "???", 3,
	    "'+' and '/' in the encoding");

	basic_bad(NULL, "NULL header");
	basic_bad("", "empty header");
	basic_bad("Basic", "scheme only");
	basic_bad("Basic ", "scheme and space only");
	basic_bad("Basicdxxx", "no space after the scheme");
	basic_bad("BasicdXNlcjpwYXNz", "no space before the credentials");
	basic_bad("Bearer dXNlcjpwYXNz", "Bearer scheme");
	basic_bad("Digest dXNlcjpwYXNz", "Digest scheme");
	basic_bad("Basi dXNlcjpwYXNz", "truncated scheme");
	basic_bad(" Basic dXNlcjpwYXNz", "leading space");
	basic_bad("Basic bm9jb2xvbg==", "no colon");
	basic_bad("Basic dXMAZXI6cHc=", "NUL inside the user");
	basic_bad("Basic dXNlcjpwYQBzcw==", "NUL inside the password");
	basic_bad("Basic dXNl*jpwYXNz", "'*' in the encoding");
	basic_bad("Basic dXNl-jpwYXNz", "base64url '-' in the encoding");
	basic_bad("Basic dXNl_jpwYXNz", "base64url '_' in the encoding");
	basic_bad("Basic dXNlcjpw YXNz", "space inside the encoding");
	basic_bad("Basic dXNlcjpw\tYXNz", "TAB inside the encoding");
	basic_bad("Basic dXNlcjpwYX\xc3\xa9", "non-ASCII byte (length 12)");
	basic_bad("Basic dXNlcjpwYXNz=", "extra '=' (length 13)");
	basic_bad("Basic dXNlcjpwYXNz==", "two extra '=' (length 14)");
	basic_bad("Basic dXNlcjpwYXNz====", "a group of '='");
	basic_bad("Basic YWI6Yw", "padding left out (length 6)");
	basic_bad("Basic YWI6Yw=", "one '=' short (length 7)");
	basic_bad("Basic YWI6Y===", "three '='");
	basic_bad("Basic YW=6Yw==", "'=' in the middle");
	basic_bad("Basic =WI6Yw==", "'=' first");
	basic_bad("Basic YWI6Yw==YTpi", "data after the padding");
	basic_bad("Basic dXNlcjpwYXN", "length 11");
	basic_bad("Basic dXNlcjpwYX", "length 10");
	basic_bad("Basic dXNlcjpwY", "length 9");

	/* Decoded size: up to LIMIT_BASIC_DECODED bytes, not one more. */
	raw = malloc(LIMIT_BASIC_DECODED + 2);
	for (n = 0; n < sizeof(sizes) / sizeof(sizes[0]); n++) {
		memset(raw, 'p', sizes[n]);
		memcpy(raw, "u:", 2);
		enc = b64(raw, sizes[n]);
		hdr = malloc(strlen(enc) + 7);
		sprintf(hdr, "Basic %s", enc);
		basic_ok(hdr, "u", 1, (const char *)raw + 2, sizes[n] - 2,
		    sizes[n] == LIMIT_BASIC_DECODED ? "decoded exactly "
		    "LIMIT_BASIC_DECODED bytes" : sizes[n] ==
		    LIMIT_BASIC_DECODED - 1 ? "decoded LIMIT_BASIC_DECODED - 1 "
		    "bytes" : "decoded LIMIT_BASIC_DECODED - 2 bytes");
		free(hdr);
		free(enc);
	}
	memset(raw, 'p', LIMIT_BASIC_DECODED + 1);
	memcpy(raw, "u:", 2);
	enc = b64(raw, LIMIT_BASIC_DECODED + 1);
	hdr = malloc(strlen(enc) + 7);
	sprintf(hdr, "Basic %s", enc);
	basic_bad(hdr, "decoded LIMIT_BASIC_DECODED + 1 bytes");
	free(hdr);
	free(enc);
	free(raw);
	hdr = malloc(LIMIT_HEADER_MAX + 16);
	memcpy(hdr, "Basic ", 6);
	memset(hdr + 6, 'A', LIMIT_HEADER_MAX);
	hdr[6 + LIMIT_HEADER_MAX] = '\0';
	basic_bad(hdr, "8 KiB of base64");
	free(hdr);
}

static void
req_init(struct request *r, const char *authorization,
    const char *access_token)
{
	memset(r, 0, sizeof(*r));
	r->method = METHOD_GET;
	r->path = (char *)"/users";
	r->query = (char *)"";
	r->authorization = (char *)authorization;
	r->access_token = (char *)access_token;
}

/* auth_token_from expecting a token. */
static void
token_ok(const char *authz, const char *xat, const char *want,
    const char *name)
{
	struct request	 r;
	const char	*tok = NULL;
	size_t		 len = 0;
	enum api_err	 e;

	req_init(&r, authz, xat);
	e = auth_token_from(&r, &tok, &len);
	if (!is_int(e, ERR_NONE, "token %s: found", name))
		return;
	is_mem(tok, len, want, strlen(want), "token %s: value", name);
}

static void
token_err(const char *authz, const char *xat, enum api_err want,
    const char *name)
{
	struct request	 r;
	const char	*tok = (const char *)&r;
	size_t		 len = 99;
	enum api_err	 e;

	req_init(&r, authz, xat);
	e = auth_token_from(&r, &tok, &len);
	is_int(e, want, "token %s: %s", name, want == ERR_TOKEN_MISSING ?
	    "ERR_TOKEN_MISSING" : "ERR_TOKEN_INVALID");
	ok(tok == NULL, "token %s: *tok is NULL", name);
}

static void
test_token_from(void)
{
	char	*big;

	token_ok("Bearer aaa.bbb.ccc", NULL, "aaa.bbb.ccc", "Bearer");
	token_ok(NULL, "aaa.bbb.ccc", "aaa.bbb.ccc", "x-access-tokens");
	token_ok("Bearer aaa.bbb.ccc", "xxx.yyy.zzz", "aaa.bbb.ccc",
	    "Bearer preferred over x-access-tokens");
	token_ok("bearer aaa.bbb.ccc", NULL, "aaa.bbb.ccc",
	    "lower-case bearer");
	token_ok("BEARER aaa.bbb.ccc", NULL, "aaa.bbb.ccc",
	    "upper-case BEARER");
	token_ok("Bearer   aaa.bbb.ccc  ", NULL, "aaa.bbb.ccc",
	    "spaces around the token");
	token_ok("Bearer eyJ-_09.eyJ_-AZ.sig-_", NULL, "eyJ-_09.eyJ_-AZ.sig-_",
	    "base64url alphabet");
	token_ok("Basic dXNlcjpwYXNz", "xxx.yyy.zzz", "xxx.yyy.zzz",
	    "other scheme falls back to x-access-tokens");
	token_ok("Bearerx aaa.bbb.ccc", "xxx.yyy.zzz", "xxx.yyy.zzz",
	    "\"Bearerx\" is not Bearer");
	token_ok("Bearer", "xxx.yyy.zzz", "xxx.yyy.zzz",
	    "\"Bearer\" without a token falls back");

	token_err(NULL, NULL, ERR_TOKEN_MISSING, "neither header");
	token_err("Bearer aaa.bbb.ccc, Bearer ddd.eee.fff", NULL,
	    ERR_TOKEN_INVALID, "merged Authorization headers");
	token_err(NULL, "aaa.bbb.ccc, ddd.eee.fff", ERR_TOKEN_INVALID,
	    "merged x-access-tokens headers");
	token_err("Bearer aaa.bbb.ccc,ddd.eee.fff", NULL, ERR_TOKEN_INVALID,
	    "comma without space");
	token_err("Bearer aaa bbb", NULL, ERR_TOKEN_INVALID,
	    "space inside the token");
	token_err("Bearer aaa.bbb.ccc=", NULL, ERR_TOKEN_INVALID,
	    "padding '=' in the token");
	token_err("Bearer aaa+bbb/ccc", NULL, ERR_TOKEN_INVALID,
	    "'+' and '/' in the token");
	token_err("Bearer \"aaa.bbb.ccc\"", NULL, ERR_TOKEN_INVALID,
	    "quoted token");
	token_err(NULL, "aaa.bbb.ccc\xc3\xa9", ERR_TOKEN_INVALID,
	    "non-ASCII byte");

	/* LIMIT_TOKEN_MAX bytes is a token; one more is refused. */
	big = malloc(LIMIT_TOKEN_MAX + 16);
	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'a', LIMIT_TOKEN_MAX);
	big[7 + LIMIT_TOKEN_MAX] = '\0';
	{
		struct request	 r;
		const char	*tok;
		size_t		 len;

		req_init(&r, big, NULL);
		ok(auth_token_from(&r, &tok, &len) == ERR_NONE &&
		    len == LIMIT_TOKEN_MAX, "token of LIMIT_TOKEN_MAX bytes");
	}
	big[7 + LIMIT_TOKEN_MAX] = 'a';
	big[8 + LIMIT_TOKEN_MAX] = '\0';
	token_err(big, NULL, ERR_TOKEN_INVALID,
	    "Bearer token over LIMIT_TOKEN_MAX");
	token_err(NULL, big + 7, ERR_TOKEN_INVALID,
	    "x-access-tokens over LIMIT_TOKEN_MAX");
	free(big);
}

int
main(void)
{
	test_basic();
	test_token_from();
	return done_testing();
}
