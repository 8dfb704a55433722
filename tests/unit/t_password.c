/*
 * t_password.c: unit tests for password.c: yescrypt hashes ("$y$"),
 * fresh salts, verification of right and wrong passwords and of
 * malformed hashes, NUL bytes refused, and the per-process dummy hash.
 * Each hash at the default cost takes tens of milliseconds: few here.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "password.h"
#include "tap.h"

#define PW "correct horse battery"

int
main(void)
{
	char		 h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
	char		 cut[PASSWORD_HASH_MAX], alt[PASSWORD_HASH_MAX];
	char		 low[PASSWORD_HASH_MAX], longer[PASSWORD_HASH_MAX + 2];
	const char	*d1, *d2;
	char		 d1copy[PASSWORD_HASH_MAX];
	size_t		 n;

	/* Hashing: yescrypt, salted afresh each time. */
	memset(h1, 0, sizeof(h1));
	is_int(password_hash(PW, strlen(PW), PASSWORD_COST_DEFAULT, h1), 0,
	    "hash at the default cost");
	ok(strncmp(h1, "$y$", 3) == 0, "hash starts with $y$ (%s)", h1);
	n = strlen(h1);
	ok(n > 20 && n < PASSWORD_HASH_MAX, "hash length %zu is sane", n);
	ok(strstr(h1, PW) == NULL, "hash does not contain the password");
	memset(h2, 0, sizeof(h2));
	is_int(password_hash(PW, strlen(PW), PASSWORD_COST_DEFAULT, h2), 0,
	    "second hash of the same password");
	ok(strcmp(h1, h2) != 0, "two hashes of one password differ (salt)");

	/* Verification. */
	is_int(password_verify(PW, strlen(PW), h1), 1, "right password");
	is_int(password_verify(PW, strlen(PW), h2), 1,
	    "right password, other salt");
	is_int(password_verify("correct horse battery!", 22, h1), 0,
	    "password with an extra byte");
	is_int(password_verify("correct horse batter", 20, h1), 0,
	    "password one byte short");
	is_int(password_verify("Correct horse battery", 21, h1), 0,
	    "password differing in case");
	is_int(password_verify("", 0, h1), 0, "empty password");

	/* Malformed hashes never verify. */
	memcpy(cut, h1, n + 1);
	cut[n - 1] = '\0';
	is_int(password_verify(PW, strlen(PW), cut), 0,
	    "hash missing its last character");
	memcpy(cut, h1, n + 1);
	cut[n / 2] = '\0';
	is_int(password_verify(PW, strlen(PW), cut), 0, "hash cut in half");
	memcpy(alt, h1, n + 1);
	alt[n - 1] = alt[n - 1] == 'a' ? 'b' : 'a';
	is_int(password_verify(PW, strlen(PW), alt), 0,
	    "hash with its last character changed");
	snprintf(longer, sizeof(longer), "%sx", h1);
	is_int(password_verify(PW, strlen(PW), longer), 0,
	    "hash with a character appended");
	is_int(password_verify(PW, strlen(PW), "*0"), 0, "garbage hash \"*0\"");
	is_int(password_verify(PW, strlen(PW), "*"), 0, "garbage hash \"*\"");
	is_int(password_verify(PW, strlen(PW), ""), 0, "empty hash");
	is_int(password_verify(PW, strlen(PW), "$y$"), 0, "prefix-only hash");
	is_int(password_verify(PW, strlen(PW), "not a hash"), 0,
	    "text hash");
	is_int(password_verify(PW, strlen(PW), NULL), 0, "NULL hash");
	is_int(password_verify("", 0, ""), 0, "empty password, empty hash");

	/* NUL bytes: refused, never silently truncated. */
	is_int(password_hash("correct\0horse", 13, PASSWORD_COST_DEFAULT, alt),
	    -1, "hash refuses a NUL inside the password");
	is_int(password_verify("correct horse battery\0x", 23, h1), 0,
	    "verify refuses a NUL inside the password (prefix matches)");

	/* An explicit cost: 1 is cheap and valid, 12 is out of range. */
	is_int(password_hash(PW, strlen(PW), 1, low), 0, "hash at cost 1");
	ok(strncmp(low, "$y$", 3) == 0 && strcmp(low, h1) != 0,
	    "cost 1 hash is yescrypt and differs");
	is_int(password_verify(PW, strlen(PW), low), 1,
	    "cost 1 hash verifies");
	is_int(password_hash(PW, strlen(PW), 12, alt), -1,
	    "hash refuses cost 12");

	/*
	 * Long passwords: the API takes up to LIMIT_PASSWORD_MAX (1024)
	 * bytes; libxcrypt alone refuses 512 or more. Every byte counts.
	 */
	{
		static const size_t	 lens[] = { 511, 512, LIMIT_PASSWORD_MAX };
		char			 pw[LIMIT_PASSWORD_MAX + 1];
		size_t			 i, k;

		for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			size_t	 L = lens[k];

			for (i = 0; i < L; i++)
				pw[i] = (char)('a' + i % 26);
			pw[L] = '\0';
			if (!is_int(password_hash(pw, L, 1, alt), 0,
			    "hash a %zu-byte password", L))
				continue;
			is_int(password_verify(pw, L, alt), 1,
			    "%zu-byte password verifies", L);
			pw[L - 1] = '#';
			is_int(password_verify(pw, L, alt), 0,
			    "%zu-byte password with its last byte changed "
			    "does not", L);
			pw[L - 1] = (char)('a' + (L - 1) % 26);
			pw[0] = '#';
			is_int(password_verify(pw, L, alt), 0,
			    "%zu-byte password with its first byte changed "
			    "does not", L);
		}
		memset(pw, 'x', LIMIT_PASSWORD_MAX);
		pw[LIMIT_PASSWORD_MAX] = '\0';
		is_int(password_hash(pw, LIMIT_PASSWORD_MAX, 1, alt), 0,
		    "hash 1024 x");
		pw[LIMIT_PASSWORD_MAX - 1] = '\0';
		is_int(password_verify(pw, LIMIT_PASSWORD_MAX - 1, alt), 0,
		    "its 1023-byte prefix does not verify");
	}

	/* Dummy hash: made once, stable, matches nothing. */
	d1 = password_dummy_hash(PASSWORD_COST_DEFAULT);
	ok(d1 != NULL, "dummy hash exists");
	if (d1 == NULL)
		return done_testing();
	ok(strncmp(d1, "$y$", 3) == 0, "dummy hash is a yescrypt setting "
	    "(%s)", d1);
	snprintf(d1copy, sizeof(d1copy), "%s", d1);
	d2 = password_dummy_hash(PASSWORD_COST_DEFAULT);
	ok(d2 == d1 && strcmp(d2, d1copy) == 0,
	    "dummy hash is the same on the second call");
	is_int(password_verify(PW, strlen(PW), d1), 0,
	    "dummy hash does not verify a password");
	is_int(password_verify("", 0, d1), 0,
	    "dummy hash does not verify the empty password");
	ok(strcmp(password_dummy_hash(PASSWORD_COST_DEFAULT), d1copy) == 0,
	    "dummy hash unchanged after verifications");
	return done_testing();
}
