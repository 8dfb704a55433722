/*
 * password.c: yescrypt hashing through libxcrypt (crypt_gensalt_rn with
 * the "$y$" prefix, crypt_rn) and a constant-time final comparison.
 */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "password.h"
#include "util.h"

_Static_assert(PASSWORD_HASH_MAX >= CRYPT_OUTPUT_SIZE,
    "PASSWORD_HASH_MAX must hold a crypt output");

/*
 * libxcrypt refuses passphrases of CRYPT_MAX_PASSPHRASE_SIZE (512) bytes
 * or more, and the API takes passwords up to LIMIT_PASSWORD_MAX (1024).
 * A longer passphrase is first folded below the cap with libxcrypt itself:
 * its first FOLD_CHUNK bytes are replaced by their SHA-512-crypt digest
 * under a fixed setting, until it fits, and the result is marked with a
 * leading 0xff byte. Passwords must be valid UTF-8, where 0xff never
 * occurs, so no literal password can equal a folded one. The fold is
 * deterministic, so the verifier computes the same input; shorter
 * passwords are used as they are.
 */
#define FOLD_CHUNK	384
#define FOLD_SETTING	"$6$rounds=1000$library-api$"

struct crypt_data;
static struct crypt_data *crypt_area(void);

/* Write the yescrypt input for pw into out (size CRYPT_MAX_PASSPHRASE_SIZE
 * or more); -1 on failure. */
static int
phrase_fold(const char *pw, size_t pwlen, char *out, size_t outsz)
{
	struct crypt_data	*cd;
	char			 buf[2 * 1024 + 1];
	size_t			 len = pwlen;

	if (pwlen >= sizeof(buf) || outsz < CRYPT_MAX_PASSPHRASE_SIZE ||
	    util_utf8_check((const unsigned char *)pw, pwlen, NULL) == -1)
		return -1;
	if (pwlen < CRYPT_MAX_PASSPHRASE_SIZE) {
		memcpy(out, pw, pwlen + 1);
		return 0;
	}
	memcpy(buf, pw, pwlen);
	buf[len] = '\0';
	/* One byte is kept for the mark. */
	while (len >= CRYPT_MAX_PASSPHRASE_SIZE - 1) {
		char		 chunk[FOLD_CHUNK + 1];
		const char	*digest;
		size_t		 dlen;

		if ((cd = crypt_area()) == NULL)
			return -1;
		memcpy(chunk, buf, FOLD_CHUNK);
		chunk[FOLD_CHUNK] = '\0';
		if (crypt_rn(chunk, FOLD_SETTING, cd, sizeof(*cd)) == NULL ||
		    cd->output[0] == '*') {
			util_wipe(chunk, sizeof(chunk));
			return -1;
		}
		util_wipe(chunk, sizeof(chunk));
		/* The digest is what follows the setting's last '$'. */
		digest = strrchr(cd->output, '$') + 1;
		dlen = strlen(digest);
		memmove(buf + dlen, buf + FOLD_CHUNK, len - FOLD_CHUNK + 1);
		memcpy(buf, digest, dlen);
		len = len - FOLD_CHUNK + dlen;
		util_wipe(cd, sizeof(*cd));
	}
	out[0] = (char)0xff;
	memcpy(out + 1, buf, len + 1);
	util_wipe(buf, sizeof(buf));
	return 0;
}

/* crypt_data is ~32 KiB: one per process, not on the stack. */
static struct crypt_data *
crypt_area(void)
{
	static struct crypt_data *cd;

	if (cd == NULL)
		cd = calloc(1, sizeof(*cd));
	return cd;
}

int
password_hash(const char *pw, size_t pwlen, unsigned long cost,
    char out[PASSWORD_HASH_MAX])
{
	char			 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	char			 phrase[CRYPT_MAX_PASSPHRASE_SIZE];
	struct crypt_data	*cd;
	int			 rc = -1;

	if (memchr(pw, '\0', pwlen) != NULL || strlen(pw) != pwlen)
		return -1;
	if (phrase_fold(pw, pwlen, phrase, sizeof(phrase)) == -1 ||
	    (cd = crypt_area()) == NULL)
		return -1;
	/* NULL random bytes: libxcrypt reads the OS random source itself. */
	if (crypt_gensalt_rn("$y$", cost, NULL, 0, salt, sizeof(salt)) ==
	    NULL) {
		log_error(__func__, "crypt_gensalt_rn: %s", strerror(errno));
		return -1;
	}
	if (crypt_rn(phrase, salt, cd, sizeof(*cd)) == NULL ||
	    cd->output[0] == '*') {
		log_error(__func__, "crypt_rn failed");
		goto out;
	}
	if (strlen(cd->output) >= PASSWORD_HASH_MAX)
		goto out;
	strcpy(out, cd->output);
	rc = 0;
out:
	util_wipe(cd, sizeof(*cd));
	util_wipe(phrase, sizeof(phrase));
	return rc;
}

int
password_verify(const char *pw, size_t pwlen, const char *hash)
{
	char			 phrase[CRYPT_MAX_PASSPHRASE_SIZE];
	struct crypt_data	*cd;
	int			 ok = 0;

	if (hash == NULL || memchr(pw, '\0', pwlen) != NULL ||
	    strlen(pw) != pwlen)
		return 0;
	if (phrase_fold(pw, pwlen, phrase, sizeof(phrase)) == -1 ||
	    (cd = crypt_area()) == NULL)
		return 0;
	if (crypt_rn(phrase, hash, cd, sizeof(*cd)) != NULL &&
	    cd->output[0] != '*')
		ok = util_ct_equal(cd->output, strlen(cd->output), hash,
		    strlen(hash));
	util_wipe(cd, sizeof(*cd));
	util_wipe(phrase, sizeof(phrase));
	return ok;
}

const char *
password_dummy_hash(unsigned long cost)
{
	static char	 setting[CRYPT_GENSALT_OUTPUT_SIZE];

	/*
	 * A yescrypt setting (prefix, cost and salt, no hash): crypt_rn with
	 * it costs exactly one hash at the configured cost, and its output
	 * can never equal the setting itself. Cheap to make: no hashing.
	 */
	if (setting[0] == '\0' && crypt_gensalt_rn("$y$", cost, NULL, 0,
	    setting, sizeof(setting)) == NULL) {
		log_error(__func__, "crypt_gensalt_rn: %s", strerror(errno));
		setting[0] = '\0';
		return NULL;
	}
	return setting;
}
