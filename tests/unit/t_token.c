/*
 * t_token.c: unit tests for token.c: HS256 JSON Web Tokens (RFC 7519).
 * Issue/verify round trip and the claims issued; every check token.c
 * adds to libjwt 1.10.2 (shared/LIBRARIES.md): algorithm pinned to
 * "HS256" exactly (none, HS384, HS512 and "hs256" forgeries), exp/iat
 * windows, iss, claim JSON types, the size cap before libjwt; and key
 * files (at least LIMIT_SECRET_MIN bytes after one trailing newline).
 *
 * Forged tokens are built here: base64url by hand, and HMACs over
 * arbitrary header text with libjwt's exported (undeclared) HMAC
 * signer, so that a forgery fails for the reason under test and not for
 * a bad signature (a control token made the same way must verify).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jwt.h>
#include <json-c/json.h>

#include "limits.h"
#include "token.h"
#include "tap.h"

/* Exported by libjwt 1.10.2 (jwt-openssl.c), not declared in jwt.h. */
int jwt_sign_sha_hmac(jwt_t *jwt, char **out, unsigned int *len,
    const char *str);

#define KEY	"0123456789abcdef0123456789abcdef"	/* 32 bytes */
#define KEY2	"fedcba9876543210fedcba9876543210"
#define ISS	"library-api"
#define PID	"0f8fad5b-d9cb-469f-a165-70867728950e"
#define JTI	"7c9e6679-7425-40de-944b-e07fc1f90ae7"
#define T	INT64_C(1700000000)
#define LIFE	INT64_C(1800)
#define HDR256	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static struct token_key *key;

/* base64url without padding (RFC 7515 section 2). malloc'd. */
static char *
b64url(const void *p, size_t len)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char	*in = p;
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
	} else if (len - i == 2) {
		*o++ = tab[in[i] >> 2];
		*o++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = tab[(in[i + 1] & 15) << 2];
	}
	*o = '\0';
	return out;
}

/* Decode len chars of base64url; malloc'd, NUL-terminated, or NULL. */
static char *
b64url_decode(const char *s, size_t len)
{
	char		*out = malloc(len * 3 / 4 + 4), *o = out;
	unsigned	 acc = 0;
	int		 bits = 0;
	size_t		 i;

	if (out == NULL)
		abort();
	for (i = 0; i < len; i++) {
		int	 c = (unsigned char)s[i], v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)((acc >> bits) & 0xff);
		}
	}
	*o = '\0';
	return out;
}

/* HMAC of text with KEY under alg, base64url. malloc'd. */
static char *
hmac(jwt_alg_t alg, const char *text)
{
	jwt_t		*j = NULL;
	char		*raw = NULL, *s;
	unsigned int	 len = 0;

	if (jwt_new(&j) != 0 || jwt_set_alg(j, alg,
	    (const unsigned char *)KEY, 32) != 0 ||
	    jwt_sign_sha_hmac(j, &raw, &len, text) != 0)
		abort();
	s = b64url(raw, len);
	free(raw);
	jwt_free(j);
	return s;
}

/*
 * header.payload.signature from JSON texts; sigalg JWT_ALG_NONE gives
 * an empty signature, JWT_ALG_INVAL a garbage one. malloc'd.
 */
static char *
forge(const char *header, const char *payload, jwt_alg_t sigalg)
{
	char	*h = b64url(header, strlen(header));
	char	*p = b64url(payload, strlen(payload));
	char	*input, *sig, *tok;

	input = malloc(strlen(h) + strlen(p) + 2);
	sprintf(input, "%s.%s", h, p);
	if (sigalg == JWT_ALG_NONE)
		sig = strdup("");
	else if (sigalg == JWT_ALG_INVAL)
		sig = strdup("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	else
		sig = hmac(sigalg, input);
	tok = malloc(strlen(input) + strlen(sig) + 2);
	sprintf(tok, "%s.%s", input, sig);
	free(input);
	free(sig);
	free(h);
	free(p);
	return tok;
}

/* A payload with the usual claims, T-based; extra is appended inside. */
static char *
claims(const char *extra)
{
	static char	 buf[8192];

	snprintf(buf, sizeof(buf), "{\"public_id\":\"%s\",\"iss\":\"%s\","
	    "\"jti\":\"%s\",\"iat\":%lld,\"exp\":%lld%s%s}", PID, ISS, JTI,
	    (long long)T, (long long)(T + LIFE), extra ? "," : "",
	    extra ? extra : "");
	return buf;
}

static enum api_err
verify_at(const struct token_key *k, const char *tok, int64_t now)
{
	char	 out[64];

	return token_verify(k, ISS, tok, strlen(tok), now, out, sizeof(out));
}

/* Verify a forged token at T; it must give want. */
static void
forged(const char *name, const char *header, const char *payload,
    jwt_alg_t sigalg, enum api_err want)
{
	char	*tok = forge(header, payload, sigalg);

	is_int(verify_at(key, tok, T), want, "forged %s: %s", name,
	    want == ERR_NONE ? "accepted" : "ERR_TOKEN_INVALID");
	free(tok);
}

static void
test_roundtrip(void)
{
	char		 out[64], *tok, *seg, *dot1, *dot2;
	json_object	*o, *v;

	tok = token_issue(key, ISS, PID, T, LIFE);
	ok(tok != NULL, "issue a token");
	if (tok == NULL)
		return;
	dot1 = strchr(tok, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	ok(dot1 && dot2 && strchr(dot2 + 1, '.') == NULL && dot2[1] != '\0',
	    "three non-empty segments");
	if (dot1 == NULL || dot2 == NULL) {
		free(tok);
		return;
	}
	seg = b64url_decode(tok, (size_t)(dot1 - tok));
	o = seg ? json_tokener_parse(seg) : NULL;
	ok(o != NULL && json_object_object_get_ex(o, "alg", &v) &&
	    strcmp(json_object_get_string(v), "HS256") == 0,
	    "header alg is HS256 (%s)", seg ? seg : "undecodable");
	json_object_put(o);
	free(seg);
	seg = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	o = seg ? json_tokener_parse(seg) : NULL;
	ok(o != NULL, "payload is JSON (%s)", seg ? seg : "undecodable");
	if (o != NULL) {
		ok(json_object_object_get_ex(o, "public_id", &v) &&
		    strcmp(json_object_get_string(v), PID) == 0,
		    "claim public_id");
		ok(json_object_object_get_ex(o, "iss", &v) &&
		    strcmp(json_object_get_string(v), ISS) == 0, "claim iss");
		ok(json_object_object_get_ex(o, "iat", &v) &&
		    json_object_is_type(v, json_type_int) &&
		    json_object_get_int64(v) == T, "claim iat = now (integer)");
		ok(json_object_object_get_ex(o, "exp", &v) &&
		    json_object_is_type(v, json_type_int) &&
		    json_object_get_int64(v) == T + LIFE,
		    "claim exp = now + lifetime (integer)");
		ok(json_object_object_get_ex(o, "jti", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    json_object_get_string_len(v) == 36, "claim jti (UUID)");
		json_object_put(o);
	}
	free(seg);

	memset(out, 'Z', sizeof(out));
	is_int(token_verify(key, ISS, tok, strlen(tok), T, out, sizeof(out)),
	    ERR_NONE, "verify at issue time");
	is_str(out, PID, "public_id copied out, NUL-terminated");
	is_int(token_verify(key, ISS, tok, strlen(tok), T, out, 37), ERR_NONE,
	    "outsz 37 is enough");
	is_int(token_verify(key, ISS, tok, strlen(tok), T, out, 36),
	    ERR_TOKEN_INVALID, "outsz 36 is refused");

	/* exp: valid while exp > now. */
	is_int(verify_at(key, tok, T + LIFE - 1), ERR_NONE,
	    "verify one second before exp");
	is_int(verify_at(key, tok, T + LIFE), ERR_TOKEN_INVALID,
	    "verify at exp == now: expired");
	is_int(verify_at(key, tok, T + LIFE + 1), ERR_TOKEN_INVALID,
	    "verify after exp: expired");
	/* iat: at most 30 seconds in the future (clock skew). */
	is_int(verify_at(key, tok, T - 10), ERR_NONE, "iat 10 s ahead: ok");
	is_int(verify_at(key, tok, T - 30), ERR_NONE, "iat 30 s ahead: ok");
	is_int(verify_at(key, tok, T - 31), ERR_TOKEN_INVALID,
	    "iat 31 s ahead: refused");

	/* Key and issuer. */
	{
		struct token_key *k2 = token_key_new(
		    (const unsigned char *)KEY2, 32);

		is_int(verify_at(k2, tok, T), ERR_TOKEN_INVALID, "wrong key");
		token_key_free(k2);
	}
	is_int(verify_at(NULL, tok, T), ERR_TOKEN_INVALID, "NULL key");
	is_int(token_verify(key, "other", tok, strlen(tok), T, out,
	    sizeof(out)), ERR_TOKEN_INVALID, "wrong issuer");
	is_int(token_verify(key, "library", tok, strlen(tok), T, out,
	    sizeof(out)), ERR_TOKEN_INVALID, "issuer prefix");
	is_int(token_verify(key, "library-api2", tok, strlen(tok), T, out,
	    sizeof(out)), ERR_TOKEN_INVALID, "longer issuer");

	/* The bytes given. */
	is_int(token_verify(key, ISS, tok, strlen(tok) - 1, T, out,
	    sizeof(out)), ERR_TOKEN_INVALID, "len one short");
	is_int(token_verify(key, ISS, tok, 0, T, out, sizeof(out)),
	    ERR_TOKEN_INVALID, "len 0");
	is_int(token_verify(key, ISS, NULL, 10, T, out, sizeof(out)),
	    ERR_TOKEN_INVALID, "NULL token");
	{
		size_t	 n = strlen(tok);
		char	*t2 = malloc(n + 8);

		memcpy(t2, tok, n);
		memcpy(t2 + n, "\0xyz", 4);
		is_int(token_verify(key, ISS, t2, n + 4, T, out, sizeof(out)),
		    ERR_TOKEN_INVALID, "NUL and bytes after the token");
		memcpy(t2, tok, n + 1);
		t2[n - 1] = t2[n - 1] == 'A' ? 'B' : 'A';
		is_int(verify_at(key, t2, T), ERR_TOKEN_INVALID,
		    "signature's last character changed");
		memcpy(t2, tok, n + 1);
		t2[dot2 - tok + 1] = '\0';
		is_int(verify_at(key, t2, T), ERR_TOKEN_INVALID,
		    "signature removed (\"h.p.\")");
		t2[dot2 - tok] = '\0';
		is_int(verify_at(key, t2, T), ERR_TOKEN_INVALID,
		    "two segments (\"h.p\")");
		snprintf(t2, n + 8, "%s.x", tok);
		is_int(verify_at(key, t2, T), ERR_TOKEN_INVALID,
		    "four segments");
		free(t2);
	}

	/* Payload swapped, signature kept. */
	{
		char	*p, *t2;
		const char *evil = "{\"public_id\":\"00000000-0000-4000-8000-"
		    "000000000000\",\"iss\":\"library-api\",\"jti\":\"x\","
		    "\"iat\":1700000000,\"exp\":1700001800}";

		p = b64url(evil, strlen(evil));
		t2 = malloc(strlen(tok) + strlen(p) + 2);
		sprintf(t2, "%.*s.%s%s", (int)(dot1 - tok), tok, p, dot2);
		is_int(verify_at(key, t2, T), ERR_TOKEN_INVALID,
		    "tampered payload with the original signature");
		free(t2);
		free(p);
	}
	free(tok);
}

/* Headers and claims a valid HMAC does not make acceptable. */
static void
test_forgeries(void)
{
	jwt_t	*j;
	char	*tok, buf[256];
	jwt_alg_t algs[] = { JWT_ALG_HS384, JWT_ALG_HS512 };
	const char *algn[] = { "HS384", "HS512" };
	size_t	 i;

	/* Controls: the forging machinery makes tokens that verify. */
	forged("control HS256", HDR256, claims(NULL), JWT_ALG_HS256,
	    ERR_NONE);
	forged("control HS256 without typ", "{\"alg\":\"HS256\"}",
	    claims(NULL), JWT_ALG_HS256, ERR_NONE);

	/* Algorithm: exactly "HS256". */
	forged("alg \"hs256\" (HS256 signature)",
	    "{\"alg\":\"hs256\",\"typ\":\"JWT\"}", claims(NULL),
	    JWT_ALG_HS256, ERR_TOKEN_INVALID);
	forged("alg \"Hs256\" (HS256 signature)",
	    "{\"alg\":\"Hs256\",\"typ\":\"JWT\"}", claims(NULL),
	    JWT_ALG_HS256, ERR_TOKEN_INVALID);
	forged("alg \"none\", empty signature",
	    "{\"alg\":\"none\",\"typ\":\"JWT\"}", claims(NULL), JWT_ALG_NONE,
	    ERR_TOKEN_INVALID);
	forged("alg \"none\", no typ", "{\"alg\":\"none\"}", claims(NULL),
	    JWT_ALG_NONE, ERR_TOKEN_INVALID);
	forged("alg \"None\"", "{\"alg\":\"None\",\"typ\":\"JWT\"}",
	    claims(NULL), JWT_ALG_NONE, ERR_TOKEN_INVALID);
	forged("alg \"NONE\"", "{\"alg\":\"NONE\",\"typ\":\"JWT\"}",
	    claims(NULL), JWT_ALG_NONE, ERR_TOKEN_INVALID);
	forged("alg \"none\" with an HS256 signature",
	    "{\"alg\":\"none\",\"typ\":\"JWT\"}", claims(NULL), JWT_ALG_HS256,
	    ERR_TOKEN_INVALID);
	forged("alg missing", "{\"typ\":\"JWT\"}", claims(NULL),
	    JWT_ALG_HS256, ERR_TOKEN_INVALID);
	forged("alg \"HS384\" header", "{\"alg\":\"HS384\",\"typ\":\"JWT\"}",
	    claims(NULL), JWT_ALG_HS384, ERR_TOKEN_INVALID);
	forged("alg \"HS512\" header", "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
	    claims(NULL), JWT_ALG_HS512, ERR_TOKEN_INVALID);
	forged("garbage signature", HDR256, claims(NULL), JWT_ALG_INVAL,
	    ERR_TOKEN_INVALID);

	/* HS384/HS512 tokens made by libjwt itself with our key. */
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		j = NULL;
		tok = NULL;
		if (jwt_new(&j) == 0 && jwt_add_grant(j, "public_id", PID) ==
		    0 && jwt_add_grant(j, "iss", ISS) == 0 &&
		    jwt_add_grant(j, "jti", JTI) == 0 &&
		    jwt_add_grant_int(j, "iat", (long)T) == 0 &&
		    jwt_add_grant_int(j, "exp", (long)(T + LIFE)) == 0 &&
		    jwt_set_alg(j, algs[i], (const unsigned char *)KEY, 32) ==
		    0)
			tok = jwt_encode_str(j);
		ok(tok != NULL, "libjwt made an %s token", algn[i]);
		if (tok != NULL)
			is_int(verify_at(key, tok, T), ERR_TOKEN_INVALID,
			    "libjwt %s token with our key is refused",
			    algn[i]);
		free(tok);
		jwt_free(j);
	}

	/* Claims: present, of the right JSON type. */
	snprintf(buf, sizeof(buf), "{\"public_id\":\"%s\",\"iss\":\"%s\","
	    "\"jti\":\"%s\",\"iat\":%lld,\"exp\":\"%lld\"}", PID, ISS, JTI,
	    (long long)T, (long long)(T + LIFE));
	forged("exp as a string", HDR256, buf, JWT_ALG_HS256,
	    ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"public_id\":\"%s\",\"iss\":\"%s\","
	    "\"jti\":\"%s\",\"iat\":%lld,\"exp\":%lld.0}", PID, ISS, JTI,
	    (long long)T, (long long)(T + LIFE));
	forged("exp as a float", HDR256, buf, JWT_ALG_HS256,
	    ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"public_id\":\"%s\",\"iss\":\"%s\","
	    "\"jti\":\"%s\",\"iat\":%lld,\"exp\":100000000000000000000000}",
	    PID, ISS, JTI, (long long)T);
	forged("exp beyond int64", HDR256, buf, JWT_ALG_HS256,
	    ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"public_id\":\"%s\",\"iss\":\"%s\","
	    "\"jti\":\"%s\",\"iat\":%lld}", PID, ISS, JTI, (long long)T);
	forged("exp missing", HDR256, buf, JWT_ALG_HS256, ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"public_id\":\"%s\",\"iss\":\"%s\","
	    "\"jti\":\"%s\",\"exp\":%lld}", PID, ISS, JTI,
	    (long long)(T + LIFE));
	forged("iat missing", HDR256, buf, JWT_ALG_HS256, ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"public_id\":\"%s\",\"iss\":\"%s\","
	    "\"jti\":\"%s\",\"iat\":\"%lld\",\"exp\":%lld}", PID, ISS, JTI,
	    (long long)T, (long long)(T + LIFE));
	forged("iat as a string", HDR256, buf, JWT_ALG_HS256,
	    ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"public_id\":\"%s\",\"iss\":\"%s\","
	    "\"jti\":\"%s\",\"iat\":%lld,\"exp\":%lld}", PID, ISS, JTI,
	    (long long)(T + 10), (long long)(T + 5));
	forged("iat after exp", HDR256, buf, JWT_ALG_HS256,
	    ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"public_id\":\"%s\",\"jti\":\"%s\","
	    "\"iat\":%lld,\"exp\":%lld}", PID, JTI, (long long)T,
	    (long long)(T + LIFE));
	forged("iss missing", HDR256, buf, JWT_ALG_HS256, ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"public_id\":\"%s\",\"iss\":1,"
	    "\"jti\":\"%s\",\"iat\":%lld,\"exp\":%lld}", PID, JTI,
	    (long long)T, (long long)(T + LIFE));
	forged("iss a number", HDR256, buf, JWT_ALG_HS256, ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"iss\":\"%s\",\"jti\":\"%s\","
	    "\"iat\":%lld,\"exp\":%lld}", ISS, JTI, (long long)T,
	    (long long)(T + LIFE));
	forged("public_id missing", HDR256, buf, JWT_ALG_HS256,
	    ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"public_id\":\"%.35s\",\"iss\":\"%s\","
	    "\"jti\":\"%s\",\"iat\":%lld,\"exp\":%lld}", PID, ISS, JTI,
	    (long long)T, (long long)(T + LIFE));
	forged("public_id of 35 characters", HDR256, buf, JWT_ALG_HS256,
	    ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"public_id\":12345,\"iss\":\"%s\","
	    "\"jti\":\"%s\",\"iat\":%lld,\"exp\":%lld}", ISS, JTI,
	    (long long)T, (long long)(T + LIFE));
	forged("public_id a number", HDR256, buf, JWT_ALG_HS256,
	    ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"public_id\":\"%s\",\"iss\":\"%s\","
	    "\"iat\":%lld,\"exp\":%lld}", PID, ISS, (long long)T,
	    (long long)(T + LIFE));
	forged("jti missing", HDR256, buf, JWT_ALG_HS256, ERR_TOKEN_INVALID);
	snprintf(buf, sizeof(buf), "{\"public_id\":\"%s\",\"iss\":\"%s\","
	    "\"jti\":\"\",\"iat\":%lld,\"exp\":%lld}", PID, ISS, (long long)T,
	    (long long)(T + LIFE));
	forged("jti empty", HDR256, buf, JWT_ALG_HS256, ERR_TOKEN_INVALID);
	forged("payload not an object", HDR256, "[1,2,3]", JWT_ALG_HS256,
	    ERR_TOKEN_INVALID);
}

/* The size cap: LIMIT_TOKEN_MAX bytes verify, one more does not. */
static void
test_size_cap(void)
{
	char	*pad, *tok = NULL, extra[LIMIT_TOKEN_MAX + 64];
	size_t	 n, want;
	int	 found;

	for (want = LIMIT_TOKEN_MAX; want <= LIMIT_TOKEN_MAX + 1; want++) {
		found = 0;
		for (n = 2000; n < LIMIT_TOKEN_MAX && !found; n++) {
			pad = malloc(n + 1);
			memset(pad, 'x', n);
			pad[n] = '\0';
			snprintf(extra, sizeof(extra), "\"pad\":\"%s\"", pad);
			free(pad);
			tok = forge(HDR256, claims(extra), JWT_ALG_HS256);
			if (strlen(tok) == want)
				found = 1;
			else {
				free(tok);
				tok = NULL;
			}
		}
		if (!found) {
			skip(1, "no padding gives a token of %zu bytes", want);
			continue;
		}
		is_int(verify_at(key, tok, T), want <= LIMIT_TOKEN_MAX ?
		    ERR_NONE : ERR_TOKEN_INVALID, "valid token of %zu bytes %s",
		    want, want <= LIMIT_TOKEN_MAX ? "accepted" : "refused");
		free(tok);
	}
}

/* Write len bytes to a fresh temporary file; path in path[]. */
static int
temp_file(char *path, size_t pathsz, const char *data, size_t len)
{
	const char	*tmp = getenv("TMPDIR");
	int		 fd;

	snprintf(path, pathsz, "%s/t_token.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) == -1)
		return -1;
	if (len > 0 && write(fd, data, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* Load a key file holding data; is the result usable as KEY? */
static void
key_file(const char *name, const char *data, size_t len, int loads,
    int is_key)
{
	char			 path[4096], *tok;
	struct token_key	*k;

	if (temp_file(path, sizeof(path), data, len) == -1) {
		skip(1, "temporary file: %s", strerror(errno));
		return;
	}
	k = token_key_load(path);
	unlink(path);
	ok((k != NULL) == loads, "key file %s: %s", name,
	    loads ? "loads" : "refused");
	if (k != NULL && loads) {
		tok = token_issue(key, ISS, PID, T, LIFE);
		is_int(verify_at(k, tok, T), is_key ? ERR_NONE :
		    ERR_TOKEN_INVALID, "key file %s: %s the 32-byte key", name,
		    is_key ? "is" : "is not");
		free(tok);
	}
	token_key_free(k);
}

static void
test_keys(void)
{
	char			 buf[LIMIT_SECRET_MAX + 2], path[4096];
	struct token_key	*k;

	ok(token_key_new(NULL, 32) == NULL, "key_new NULL");
	ok(token_key_new((const unsigned char *)KEY, 31) == NULL,
	    "key_new 31 bytes refused");
	k = token_key_new((const unsigned char *)KEY, 32);
	ok(k != NULL, "key_new 32 bytes");
	token_key_free(k);
	token_key_free(NULL);

	key_file("of 32 bytes", KEY, 32, 1, 1);
	key_file("of 32 bytes and a newline", KEY "\n", 33, 1, 1);
	key_file("of 31 bytes", KEY, 31, 0, 0);
	key_file("of 31 bytes and a newline", "0123456789abcdef0123456789abcde"
	    "\n", 32, 0, 0);
	key_file("that is empty", "", 0, 0, 0);
	key_file("that is one newline", "\n", 1, 0, 0);
	key_file("of 32 bytes and two newlines (one kept)", KEY "\n\n", 34,
	    1, 0);
	key_file("of 32 bytes and CRLF (CR kept)", KEY "\r\n", 34, 1, 0);
	memset(buf, 'k', sizeof(buf));
	key_file("of LIMIT_SECRET_MAX bytes", buf, LIMIT_SECRET_MAX, 1, 0);
	key_file("of LIMIT_SECRET_MAX + 1 bytes", buf, LIMIT_SECRET_MAX + 1,
	    0, 0);

	if (temp_file(path, sizeof(path), "", 0) == 0) {
		unlink(path);
		ok(token_key_load(path) == NULL, "key file missing");
	}
	ok(token_key_load("") == NULL, "key path \"\"");
	ok(token_key_load(NULL) == NULL, "key path NULL");
	ok(token_key_load("/") == NULL, "key path is a directory");
}

int
main(void)
{
	key = token_key_new((const unsigned char *)KEY, 32);
	if (!ok(key != NULL, "test key"))
		return done_testing();
	test_roundtrip();
	test_forgeries();
	test_size_cap();
	test_keys();
	token_key_free(key);
	return done_testing();
}
