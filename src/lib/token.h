/*
 * token.h: JSON Web Tokens (RFC 7519) signed with HS256 only, from a key
 * set with key ids. Only this module includes jwt.h. libjwt 1.10.2 takes
 * the algorithm from the token and checks no claims, so both are done
 * here (shared/LIBRARIES.md, RFC 8725).
 *
 * Key file (the configured secret_file):
 *  - either one raw key: the file's bytes less one trailing newline, at
 *    least LIMIT_SECRET_MIN bytes; its key id is "0";
 *  - or a key set: a first line "library-api-keys 1", then one line per
 *    key, "KID SECRET" (KID 1-16 of [A-Za-z0-9._-], SECRET 32-512
 *    printable ASCII bytes without spaces). The last line signs; every
 *    line verifies.
 * The file must not be readable by others (mode o-rwx).
 */
#ifndef LIBAPI_TOKEN_H
#define LIBAPI_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"

#define TOKEN_KID_MAX 16

struct token_key;	/* a key set */

/* What a verified token says. */
struct token_claims {
	char	 public_id[37];
	char	 jti[37];
	char	 kid[TOKEN_KID_MAX + 1];
	int64_t	 iat;
	int64_t	 exp;
};

/*
 * Load the key set from path (format above). Returns a handle (free with
 * token_key_free, which wipes it) or NULL after logging why (missing,
 * readable by others, malformed, a key under LIMIT_SECRET_MIN bytes).
 */
struct token_key *token_key_load(const char *path);

/*
 * Reload *k from path when the file changed since it was loaded (one
 * stat per call). On a failed reload the old set stays and the failure
 * is logged once. Returns 0 when *k is usable, -1 when there is none.
 */
int token_key_refresh(struct token_key **k, const char *path);

/* Parse key file text (exposed for tests and the fuzzer); NULL if bad,
 * with a static reason in *why. */
struct token_key *token_key_parse(const char *text, size_t len,
    const char **why);

/* A one-key set from memory, key id "0" (tests); NULL when len is out of
 * LIMIT_SECRET_MIN..LIMIT_SECRET_MAX. */
struct token_key *token_key_new(const unsigned char *key, size_t len);
void token_key_free(struct token_key *k);

/*
 * Verification policy: clock leeway in seconds for exp, nbf and iat
 * (default 0 for handles from token_key_new, set by the app from the
 * configuration) and the audience (NULL: tokens carry none and one is
 * not required). audience is copied.
 */
int token_key_set_policy(struct token_key *k, int64_t leeway,
    const char *audience);

/* Key set maintenance for library-admin: add a fresh random 256-bit key
 * with the next numeric id (it becomes the signing key), remove one
 * (never the last), write the set atomically (temporary file, fsync,
 * rename; mode 0600). 0 or -1 (with a reason on stderr). */
int token_key_rotate(struct token_key *k);
int token_key_retire(struct token_key *k, const char *kid);
int token_key_save(const struct token_key *k, const char *path);
/* The key ids, oldest first, and the signing one. */
size_t token_key_count(const struct token_key *k);
const char *token_key_id(const struct token_key *k, size_t i);

/*
 * Issue a token for public_id: header kid of the signing key; claims
 * iss, aud (when set), iat, exp = iat + lifetime, jti (random).
 * Returns a malloc'd string (caller frees) or NULL.
 */
char *token_issue(const struct token_key *k, const char *issuer,
    const char *public_id, int64_t iat, int64_t lifetime);

/*
 * Verify token (len bytes): size cap; header alg exactly "HS256" and a
 * kid of the set; signature with that key; claims: exp an integer with
 * now < exp + leeway, iat an integer <= now + leeway + 1 (a token may be
 * dated to the second after a password change) and <= exp, nbf (if
 * present) an integer <= now + leeway, iss equal to issuer, aud equal to
 * the audience when one is set, jti and public_id strings of a UUID's
 * length. Fills *c and returns ERR_NONE, else ERR_TOKEN_INVALID.
 */
enum api_err token_verify_claims(const struct token_key *k,
    const char *issuer, const char *token, size_t len, int64_t now,
    struct token_claims *c);

/* 1 when t has the JWS compact shape libjwt may be handed: exactly three
 * non-empty dot-separated segments; 0 otherwise. */
int token_shape_ok(const char *t, size_t len);

/* token_verify_claims, copying only public_id into out (size 37+). */
enum api_err token_verify(const struct token_key *k, const char *issuer,
    const char *token, size_t len, int64_t now, char *out, size_t outsz);

#endif
