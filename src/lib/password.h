/*
 * password.h: password hashing with libxcrypt's yescrypt ("$y$") and
 * constant-time verification. Only this module includes crypt.h.
 */
#ifndef LIBAPI_PASSWORD_H
#define LIBAPI_PASSWORD_H

#include <stddef.h>

#define PASSWORD_HASH_MAX 384	/* bytes, NUL included (CRYPT_OUTPUT_SIZE) */
#define PASSWORD_COST_DEFAULT 0	/* 0: libxcrypt's default yescrypt cost */

/*
 * Hash pw (pwlen bytes of valid UTF-8, no NUL inside, pw[pwlen] == '\0') with a fresh salt at cost (0 for
 * libxcrypt's default, else 1..11). Writes the hash into out. 0 or -1.
 */
int password_hash(const char *pw, size_t pwlen, unsigned long cost,
    char out[PASSWORD_HASH_MAX]);

/*
 * pw as for password_hash. 1 when pw matches hash, 0 otherwise (also for a malformed hash). The
 * final comparison is constant-time.
 */
int password_verify(const char *pw, size_t pwlen, const char *hash);

/*
 * What an unknown user's password is checked against, so that such a
 * login costs one hash at cost like a real one and never matches: a
 * yescrypt setting made once per process (no hashing). NULL on failure.
 */
const char *password_dummy_hash(unsigned long cost);

#endif
