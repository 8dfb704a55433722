/*
 * fuzz_token.c: token_verify(), the JWT check on every authenticated
 * request (token.h; RFC 7519, RFC 7515, RFC 8725 through libjwt 1.10.2),
 * against a fixed key (key id "0", from token_key_new()), issuer
 * "library-api" and a fixed clock, so that the seeds stay valid.
 *
 * The input is one of:
 *  - token bytes, as sent in x-access-tokens or "Authorization: Bearer".
 *    Verified twice: with the key's default policy (no leeway, no
 *    audience), and through token_verify_claims() with the policy the
 *    app sets from its configuration (FUZZ_LEEWAY, FUZZ_AUDIENCE).
 *  - "claims mode", when the first byte is '{' (never the first byte of
 *    a token: base64url has no '{'): a JSON object of claims, optionally
 *    followed by a newline and a JSON object of extra header members.
 *    The target signs them with the key through libjwt (HS256, kid "0"
 *    unless the header names another) and verifies the result as above.
 *    A mutated token fails at the signature; this mode lets the fuzzer
 *    reach every claim check behind it (types, ranges, clock arithmetic).
 *
 * Seeds (corpus/token/): issued-* from token_issue() at FUZZ_NOW - 60
 * (lifetime 1800), which verify; forged-* from forge_tokens.py (alg none,
 * HS384/HS512, "hs256", unknown kid, expired, iat in the future, exp as a
 * string, wrong issuer or audience, short jti, duplicate members, bad
 * signature...); claims-* for claims mode.
 *
 * Checked beyond memory safety: success copies a 36-byte public_id and
 * its NUL into out and writes nothing past it; token_verify_claims()
 * success means what token.h says of the claims (exp after now less the
 * leeway, iat not after exp nor after now plus the leeway and 1, the
 * key id "0"); failure is ERR_TOKEN_INVALID (ERR_INTERNAL when out of
 * memory) with out untouched and the claims zeroed. The fuzz target, not
 * src/lib, includes jwt.h: it needs libjwt only to sign claims mode.
 */
#include "config.h"

#include <jwt.h>

#include "token.h"
#include "fuzz.h"

#define FUZZ_KEY	"fuzz_token: a fixed 32+ byte HMAC key, not a secret"
#define FUZZ_ISSUER	"library-api"
#define FUZZ_AUDIENCE	"library-api-clients"
#define FUZZ_LEEWAY	30			/* seconds */
#define FUZZ_NOW	INT64_C(1700000000)	/* 2023-11-14T22:13:20Z */

static struct token_key *key_plain, *key_policy;

static void
free_keys(void)
{
	token_key_free(key_plain);
	token_key_free(key_policy);
	key_plain = key_policy = NULL;
}

static void
init_keys(void)
{
	key_plain = token_key_new((const unsigned char *)FUZZ_KEY,
	    sizeof(FUZZ_KEY) - 1);
	key_policy = token_key_new((const unsigned char *)FUZZ_KEY,
	    sizeof(FUZZ_KEY) - 1);
	FUZZ_CHECK(key_plain != NULL && key_policy != NULL);
	FUZZ_CHECK(token_key_set_policy(key_policy, FUZZ_LEEWAY,
	    FUZZ_AUDIENCE) == 0);
	atexit(free_keys);
}

static int
zeroed(const void *p, size_t n)
{
	const unsigned char	*b = p;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void
verify(const char *tok, size_t len)
{
	struct token_claims	 c;
	char			 out[64];
	size_t			 i;
	enum api_err		 e;

	memset(out, 'X', sizeof(out));
	e = token_verify(key_plain, FUZZ_ISSUER, tok, len, FUZZ_NOW, out, 37);
	if (e == ERR_NONE)
		FUZZ_CHECK(strlen(out) == 36);
	else {
		FUZZ_CHECK(e == ERR_TOKEN_INVALID || e == ERR_INTERNAL);
		for (i = 0; i < 37; i++)
			FUZZ_CHECK(out[i] == 'X');
	}
	for (i = 37; i < sizeof(out); i++)
		FUZZ_CHECK(out[i] == 'X');

	memset(&c, 0xa5, sizeof(c));
	e = token_verify_claims(key_policy, FUZZ_ISSUER, tok, len, FUZZ_NOW,
	    &c);
	if (e == ERR_NONE) {
		FUZZ_CHECK(strnlen(c.public_id, sizeof(c.public_id)) == 36);
		FUZZ_CHECK(strnlen(c.jti, sizeof(c.jti)) == 36);
		FUZZ_CHECK(strcmp(c.kid, "0") == 0);
		FUZZ_CHECK(c.exp > FUZZ_NOW - FUZZ_LEEWAY);
		FUZZ_CHECK(c.iat <= c.exp);
		FUZZ_CHECK(c.iat <= FUZZ_NOW + FUZZ_LEEWAY + 1);
	} else {
		FUZZ_CHECK(e == ERR_TOKEN_INVALID || e == ERR_INTERNAL);
		FUZZ_CHECK(zeroed(&c, sizeof(c)));
	}
}

/* Claims mode: sign "CLAIMS[\nHEADER]" with the key; NULL if not JSON. */
static char *
sign_claims(const uint8_t *data, size_t size)
{
	jwt_t		*jwt = NULL;
	char		*text, *nl, *tok = NULL;

	text = fuzz_strndup(data, size);
	if ((nl = strchr(text, '\n')) != NULL)
		*nl++ = '\0';
	if (jwt_new(&jwt) != 0)
		goto out;
	if (jwt_add_grants_json(jwt, text) != 0)
		goto out;
	if (nl != NULL && nl[0] != '\0' && jwt_add_headers_json(jwt, nl) != 0)
		goto out;
	if (jwt_get_header(jwt, "kid") == NULL &&
	    jwt_add_header(jwt, "kid", "0") != 0)
		goto out;
	if (jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)FUZZ_KEY,
	    (int)(sizeof(FUZZ_KEY) - 1)) != 0)
		goto out;
	tok = jwt_encode_str(jwt);
out:
	jwt_free(jwt);
	free(text);
	return tok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*tok;

	if (key_plain == NULL)
		init_keys();
	if (size > 0 && data[0] == '{') {
		if ((tok = sign_claims(data, size)) != NULL) {
			verify(tok, strlen(tok));
			free(tok);
		}
		return 0;
	}
	tok = fuzz_memdup(data, size);
	verify(tok, size);
	free(tok);
	return 0;
}
