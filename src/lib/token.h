/*
 * token.h: JSON Web Tokens (RFC 7519) signed with HS256 only. Only this
 * module includes jwt.h. libjwt 1.10.2 takes the algorithm from the
 * token and checks no claims, so both are done here (shared/LIBRARIES.md).
 */
#ifndef LIBAPI_TOKEN_H
#define LIBAPI_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"

struct token_key;

/*
 * Load the HMAC key from path: the file's bytes less one trailing
 * newline, at least LIMIT_SECRET_MIN bytes. Returns a handle (free with
 * token_key_free, which wipes it) or NULL after logging why.
 */
struct token_key *token_key_load(const char *path);

/* A key from memory (tests); NULL when len < LIMIT_SECRET_MIN. */
struct token_key *token_key_new(const unsigned char *key, size_t len);
void token_key_free(struct token_key *key);

/*
 * Issue a token for public_id with claims iss, iat=now, exp=now+lifetime,
 * jti (random). Returns a malloc'd string (caller frees) or NULL.
 */
char *token_issue(const struct token_key *key, const char *issuer,
    const char *public_id, int64_t now, int64_t lifetime);

/*
 * Verify token (len bytes): size cap, HS256 pinned (header "alg" exactly
 * "HS256"), signature, iss equal to issuer, exp an integer > now, iat an
 * integer not after now, public_id a string. On success copies
 * public_id into out (size 37+) and returns ERR_NONE; else
 * ERR_TOKEN_INVALID.
 */
enum api_err token_verify(const struct token_key *key, const char *issuer,
    const char *token, size_t len, int64_t now, char *out, size_t outsz);

#endif
