/*
 * fuzz_config.c: config_parse(), the reader of the "key = value"
 * configuration file (conf.h). The file is trusted less than the code:
 * it may be edited by hand or by a package tool, and its errors are
 * echoed into the log. The input is the file's text, passed as an
 * exact-size buffer with no terminator (the contract is (text, len)).
 *
 * Checked beyond memory safety: success leaves every setting inside its
 * range conf.c states (non-empty paths, issuer and audience 1-100
 * printable ASCII, lifetime 1..LIMIT_LIFETIME_MAX and leeway 0-300
 * seconds, password cost 0-11, login failures 1-1000000, login window
 * 1-86400 seconds); failure leaves a NUL-terminated message inside err
 * that names the line and contains no control characters (it goes to
 * the log as it is, and STYLE.md has logged data escaped).
 */
#include "config.h"

#include <stddef.h>	/* conf.h uses size_t without including it */

#include "conf.h"
#include "limits.h"
#include "fuzz.h"

/* 1-100 printable ASCII characters, no space (issuer, audience). */
static int
name_ok(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n < 1 || n > 100)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

static void
check_settings(const struct config *cfg)
{
	const char	*iss = config_issuer(cfg), *aud = config_audience(cfg);

	FUZZ_CHECK(config_db_path(cfg) != NULL &&
	    config_db_path(cfg)[0] != '\0');
	FUZZ_CHECK(config_secret_file(cfg) != NULL &&
	    config_secret_file(cfg)[0] != '\0');
	FUZZ_CHECK(iss != NULL && name_ok(iss));
	FUZZ_CHECK(aud == NULL || name_ok(aud));
	FUZZ_CHECK(config_token_lifetime(cfg) >= LIMIT_LIFETIME_MIN &&
	    config_token_lifetime(cfg) <= LIMIT_LIFETIME_MAX);
	FUZZ_CHECK(config_password_cost(cfg) <= 11);
	FUZZ_CHECK(config_clock_leeway(cfg) >= 0 &&
	    config_clock_leeway(cfg) <= 300);
	FUZZ_CHECK(config_login_max_failures(cfg) >= 1 &&
	    config_login_max_failures(cfg) <= 1000000);
	FUZZ_CHECK(config_login_max_failures_addr(cfg) >= 1 &&
	    config_login_max_failures_addr(cfg) <= 1000000);
	FUZZ_CHECK(config_login_window(cfg) >= 1 &&
	    config_login_window(cfg) <= 86400);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cfg;
	char		 err[256 + 1];
	char		*text;
	size_t		 i, n;

	if ((cfg = config_new_defaults()) == NULL)
		return 0;
	check_settings(cfg);
	text = fuzz_memdup(data, size);
	memset(err, 'X', sizeof(err));
	if (config_parse(cfg, text, size, err, sizeof(err) - 1) == 0) {
		check_settings(cfg);
		FUZZ_CHECK(err[sizeof(err) - 1] == 'X');
	} else {
		n = strnlen(err, sizeof(err) - 1);
		FUZZ_CHECK(n < sizeof(err) - 1);
		FUZZ_CHECK(strncmp(err, "line ", 5) == 0);
		for (i = 0; i < n; i++)
			FUZZ_CHECK((unsigned char)err[i] >= 0x20 &&
			    (unsigned char)err[i] != 0x7f);
		FUZZ_CHECK(err[sizeof(err) - 1] == 'X');
		/* Whatever failed, the settings are still usable. */
		check_settings(cfg);
	}
	free(text);
	config_free(cfg);
	return 0;
}
