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
	struct crypt_data	*cd;
	int			 rc = -1;

	if (memchr(pw, '\0', pwlen) != NULL || strlen(pw) != pwlen)
		return -1;
	if ((cd = crypt_area()) == NULL)
		return -1;
	/* NULL random bytes: libxcrypt reads the OS random source itself. */
	if (crypt_gensalt_rn("$y$", cost, NULL, 0, salt, sizeof(salt)) ==
	    NULL) {
		log_error(__func__, "crypt_gensalt_rn: %s", strerror(errno));
		return -1;
	}
	if (crypt_rn(pw, salt, cd, sizeof(*cd)) == NULL ||
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
	return rc;
}

int
password_verify(const char *pw, size_t pwlen, const char *hash)
{
	struct crypt_data	*cd;
	int			 ok = 0;

	if (hash == NULL || memchr(pw, '\0', pwlen) != NULL ||
	    strlen(pw) != pwlen)
		return 0;
	if ((cd = crypt_area()) == NULL)
		return 0;
	if (crypt_rn(pw, hash, cd, sizeof(*cd)) != NULL &&
	    cd->output[0] != '*')
		ok = util_ct_equal(cd->output, strlen(cd->output), hash,
		    strlen(hash));
	util_wipe(cd, sizeof(*cd));
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
