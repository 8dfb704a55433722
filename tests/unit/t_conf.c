/*
 * t_conf.c: unit tests for conf.c: the "key = value" format (comments,
 * blank lines, trimming, unknown keys, value ranges, line cap) and
 * config_load's file and LIBRARY_* environment overrides; the token
 * lifecycle and login throttling keys (audience, clock_leeway 0-300
 * default 30, login_max_failures and login_max_failures_per_address
 * 1-1000000 defaults 5 and 50, login_window 1-86400 default 300);
 * config_find_near and config_load_from (the Apache drop-in's file beside
 * or above the program: nearest first, 4 levels at most, refused when
 * others may write it or it is not a regular file).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "conf.h"
#include "limits.h"
#include "tap.h"

#ifndef LIBRARY_DB_DEFAULT
#error "LIBRARY_DB_DEFAULT comes from AM_CPPFLAGS"
#endif

static const char *const env_names[] = {
	"LIBRARY_CONF", "LIBRARY_DB", "LIBRARY_SECRET_FILE",
	"LIBRARY_TOKEN_LIFETIME", "LIBRARY_PASSWORD_COST", "LIBRARY_ISSUER",
	"LIBRARY_AUDIENCE", "LIBRARY_CLOCK_LEEWAY",
	"LIBRARY_LOGIN_MAX_FAILURES",
	"LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS", "LIBRARY_LOGIN_WINDOW",
	"LIBRARY_BUSY_TIMEOUT", "LIBRARY_SYNCHRONOUS", "LIBRARY_WORKERS",
};

static void
clear_env(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
}

/* Parse text into a fresh default configuration; returns the rc. */
static int
parse(const char *text, size_t len, struct config **cfgp, char *err,
    size_t errsz)
{
	*cfgp = config_new_defaults();
	if (*cfgp == NULL)
		return -2;
	err[0] = '\0';
	return config_parse(*cfgp, text, len, err, errsz);
}

static void
test_defaults(void)
{
	struct config	*cfg = config_new_defaults();

	ok(cfg != NULL, "new_defaults");
	if (cfg == NULL)
		return;
	is_str(config_db_path(cfg), LIBRARY_DB_DEFAULT, "default database");
	is_str(config_secret_file(cfg), LIBRARY_SECRET_DEFAULT,
	    "default secret_file");
	is_str(config_issuer(cfg), "library-api", "default issuer");
	is_int(config_token_lifetime(cfg), LIMIT_LIFETIME_DEFAULT,
	    "default token_lifetime");
	is_int(config_password_cost(cfg), 0, "default password_cost");
	ok(config_audience(cfg) == NULL, "default audience: none (NULL)");
	is_int(config_clock_leeway(cfg), 30, "default clock_leeway 30");
	is_int(config_login_max_failures(cfg), 5,
	    "default login_max_failures 5");
	is_int(config_login_max_failures_addr(cfg), 50,
	    "default login_max_failures_per_address 50");
	is_int(config_login_window(cfg), 300, "default login_window 300");
	is_int(config_busy_timeout(cfg), 5000, "default busy_timeout 5000");
	is_int(config_synchronous(cfg), CONFIG_SYNC_FULL,
	    "default synchronous full");
	is_int(config_workers(cfg), 0, "default workers 0");
	config_free(cfg);
	config_free(NULL);
	ok(1, "config_free(NULL) is harmless");
}

/* Good text: every key, with the format's whitespace rules. */
static void
test_parse_good(void)
{
	struct config	*cfg;
	char		 err[256];
	const char	*text =
	    "database = /srv/lib/library.db\n"
	    "secret_file=/srv/lib/secret\n"
	    "token_lifetime = 3600\n"
	    "password_cost = 5\n"
	    "issuer = my-issuer\n";
	const char	*spaced =
	    "# a comment line\n"
	    "\n"
	    "   \n"
	    "\t\n"
	    "   # an indented comment = with equals\n"
	    "  database\t=\t/path with spaces/x.db  \r\n"
	    "issuer= iss  \r\n"
	    "token_lifetime   =1\n"
	    "password_cost = 11";		/* last line without newline */

	is_int(parse(text, strlen(text), &cfg, err, sizeof(err)), 0,
	    "parse: all five keys");
	is_str(config_db_path(cfg), "/srv/lib/library.db", "database set");
	is_str(config_secret_file(cfg), "/srv/lib/secret",
	    "secret_file set (no spaces around =)");
	is_int(config_token_lifetime(cfg), 3600, "token_lifetime set");
	is_int(config_password_cost(cfg), 5, "password_cost set");
	is_str(config_issuer(cfg), "my-issuer", "issuer set");
	config_free(cfg);

	is_int(parse(spaced, strlen(spaced), &cfg, err, sizeof(err)), 0,
	    "parse: comments, blank lines, tabs, CRLF, no final newline");
	if (err[0] != '\0')
		diag("err: %s", err);
	is_str(config_db_path(cfg), "/path with spaces/x.db",
	    "value trimmed at both ends, inner spaces kept");
	is_str(config_issuer(cfg), "iss", "CR before LF trimmed");
	is_int(config_token_lifetime(cfg), LIMIT_LIFETIME_MIN,
	    "token_lifetime minimum 1 accepted");
	is_int(config_password_cost(cfg), 11,
	    "password_cost 11 on a last line without newline");
	is_str(config_secret_file(cfg), LIBRARY_SECRET_DEFAULT,
	    "keys not given keep their defaults");
	config_free(cfg);

	is_int(parse("", 0, &cfg, err, sizeof(err)), 0, "parse: empty text");
	config_free(cfg);
	text = "token_lifetime = 2592000\npassword_cost = 0\n";
	is_int(parse(text, strlen(text), &cfg, err, sizeof(err)), 0, "parse: token_lifetime maximum, "
	    "password_cost 0");
	is_int(config_token_lifetime(cfg), LIMIT_LIFETIME_MAX,
	    "token_lifetime 2592000 accepted");
	config_free(cfg);

	/* The token lifecycle and throttling keys, at their minimums... */
	text = "audience = a\n"
	    "clock_leeway = 0\n"
	    "login_max_failures = 1\n"
	    "login_max_failures_per_address = 1\n"
	    "login_window = 1\n"
	    "busy_timeout = 0\n"
	    "synchronous = normal\n"
	    "workers = 0\n";
	is_int(parse(text, strlen(text), &cfg, err, sizeof(err)), 0,
	    "parse: audience, clock_leeway, login_* at their minimums");
	is_int(config_busy_timeout(cfg), 0, "busy_timeout 0 accepted");
	is_int(config_synchronous(cfg), CONFIG_SYNC_NORMAL,
	    "synchronous normal accepted");
	is_int(config_workers(cfg), 0, "workers 0 accepted");
	if (err[0] != '\0')
		diag("err: %s", err);
	is_str(config_audience(cfg), "a", "audience of 1 character");
	is_int(config_clock_leeway(cfg), 0, "clock_leeway 0 accepted");
	is_int(config_login_max_failures(cfg), 1,
	    "login_max_failures 1 accepted");
	is_int(config_login_max_failures_addr(cfg), 1,
	    "login_max_failures_per_address 1 accepted");
	is_int(config_login_window(cfg), 1, "login_window 1 accepted");
	ok(strcmp(config_issuer(cfg), "library-api") == 0,
	    "audience does not touch issuer");
	config_free(cfg);
	/* ... and their maximums. */
	text = "audience = https://api.example/library?x=1\n"
	    "clock_leeway = 300\n"
	    "login_max_failures = 1000000\n"
	    "login_max_failures_per_address = 1000000\n"
	    "login_window = 86400\n"
	    "busy_timeout = 600000\n"
	    "synchronous = extra\n"
	    "workers = 64\n";
	is_int(parse(text, strlen(text), &cfg, err, sizeof(err)), 0,
	    "parse: audience, clock_leeway, login_* at their maximums");
	is_int(config_busy_timeout(cfg), 600000,
	    "busy_timeout 600000 accepted");
	is_int(config_synchronous(cfg), CONFIG_SYNC_EXTRA,
	    "synchronous extra accepted");
	is_int(config_workers(cfg), 64, "workers 64 accepted");
	if (err[0] != '\0')
		diag("err: %s", err);
	is_str(config_audience(cfg), "https://api.example/library?x=1",
	    "audience with URL punctuation");
	is_int(config_clock_leeway(cfg), 300, "clock_leeway 300 accepted");
	is_int(config_login_max_failures(cfg), 1000000,
	    "login_max_failures 1000000 accepted");
	is_int(config_login_max_failures_addr(cfg), 1000000,
	    "login_max_failures_per_address 1000000 accepted");
	is_int(config_login_window(cfg), 86400, "login_window 86400 accepted");
	config_free(cfg);
	/* The two failure limits are separate settings. */
	text = "login_max_failures_per_address = 7\n";
	is_int(parse(text, strlen(text), &cfg, err, sizeof(err)), 0,
	    "parse: only login_max_failures_per_address");
	is_int(config_login_max_failures_addr(cfg), 7,
	    "login_max_failures_per_address 7");
	is_int(config_login_max_failures(cfg), 5,
	    "login_max_failures keeps its default 5");
	config_free(cfg);
	text = "login_max_failures = 9\n";
	is_int(parse(text, strlen(text), &cfg, err, sizeof(err)), 0,
	    "parse: only login_max_failures");
	is_int(config_login_max_failures(cfg), 9, "login_max_failures 9");
	is_int(config_login_max_failures_addr(cfg), 50,
	    "login_max_failures_per_address keeps its default 50");
	config_free(cfg);
}

/* Bad text: each case fails with an error naming the line. */
static const struct {
	const char	*name;
	const char	*text;
	const char	*in_err;	/* substring expected in err */
} bad_cases[] = {
	{ "unknown key", "colour = blue\n", "line 1" },
	{ "unknown key named", "colour = blue\n", "colour" },
	{ "unknown key on line 3", "# c\n\ncolour = blue\n", "line 3" },
	{ "key case matters", "Database = /x\n", "line 1" },
	{ "missing '='", "database /x.db\n", "line 1" },
	{ "missing '=' line 2", "issuer = a\ndatabase\n", "line 2" },
	{ "empty key", "= value\n", "line 1" },
	{ "empty value", "database =\n", "line 1" },
	{ "empty value, spaces", "database =   \n", "line 1" },
	{ "token_lifetime 0", "token_lifetime = 0\n", "token_lifetime" },
	{ "token_lifetime -1", "token_lifetime = -1\n", "token_lifetime" },
	{ "token_lifetime 2592001", "token_lifetime = 2592001\n",
	    "token_lifetime" },
	{ "token_lifetime abc", "token_lifetime = abc\n", "token_lifetime" },
	{ "token_lifetime +5", "token_lifetime = +5\n", "token_lifetime" },
	{ "token_lifetime 05", "token_lifetime = 05\n", "token_lifetime" },
	{ "token_lifetime 1 2", "token_lifetime = 1 2\n", "token_lifetime" },
	{ "token_lifetime 1800s", "token_lifetime = 1800s\n",
	    "token_lifetime" },
	{ "token_lifetime huge",
	    "token_lifetime = 99999999999999999999\n", "token_lifetime" },
	{ "password_cost 12", "password_cost = 12\n", "password_cost" },
	{ "password_cost -1", "password_cost = -1\n", "password_cost" },
	{ "password_cost x", "password_cost = x\n", "password_cost" },
	{ "issuer with a space", "issuer = my issuer\n", "issuer" },
	{ "issuer with a control char", "issuer = a\x01z\n", "issuer" },
	{ "issuer non-ASCII", "issuer = \xc3\xa9\n", "issuer" },
	{ "audience with a space", "audience = my api\n", "audience" },
	{ "audience with a control char", "audience = a\x01z\n", "audience" },
	{ "audience non-ASCII", "audience = \xc3\xa9\n", "audience" },
	{ "audience empty", "audience =\n", "line 1" },
	{ "clock_leeway -1", "clock_leeway = -1\n", "clock_leeway" },
	{ "clock_leeway 301", "clock_leeway = 301\n", "clock_leeway" },
	{ "clock_leeway abc", "clock_leeway = abc\n", "clock_leeway" },
	{ "clock_leeway 30s", "clock_leeway = 30s\n", "clock_leeway" },
	{ "clock_leeway 030", "clock_leeway = 030\n", "clock_leeway" },
	{ "login_max_failures 0", "login_max_failures = 0\n",
	    "login_max_failures" },
	{ "login_max_failures 1000001", "login_max_failures = 1000001\n",
	    "login_max_failures" },
	{ "login_max_failures -5", "login_max_failures = -5\n",
	    "login_max_failures" },
	{ "login_max_failures_per_address 0",
	    "login_max_failures_per_address = 0\n",
	    "login_max_failures" },
	{ "login_max_failures_per_address 1000001",
	    "login_max_failures_per_address = 1000001\n",
	    "login_max_failures" },
	{ "login_max_failures_per_address x",
	    "login_max_failures_per_address = x\n", "login_max_failures" },
	{ "login_window 0", "login_window = 0\n", "login_window" },
	{ "login_window 86401", "login_window = 86401\n", "login_window" },
	{ "login_window 5m", "login_window = 5m\n", "login_window" },
	{ "busy_timeout -1", "busy_timeout = -1\n", "busy_timeout" },
	{ "busy_timeout 600001", "busy_timeout = 600001\n", "busy_timeout" },
	{ "busy_timeout 5s", "busy_timeout = 5s\n", "busy_timeout" },
	{ "synchronous off", "synchronous = off\n", "synchronous" },
	{ "synchronous FULL", "synchronous = FULL\n", "synchronous" },
	{ "synchronous 2", "synchronous = 2\n", "synchronous" },
	{ "synchronous empty", "synchronous =\n", "synchronous" },
	{ "workers -1", "workers = -1\n", "workers" },
	{ "workers 65", "workers = 65\n", "workers" },
	{ "login_max_failures_per_addr (no such key)",
	    "login_max_failures_per_addr = 5\n", "unknown key" },
	{ "clock_leeway on line 2", "audience = x\nclock_leeway = 301\n",
	    "line 2" },
};

static void
test_parse_bad(void)
{
	struct config	*cfg;
	char		 err[256], line[LIMIT_CONF_LINE + 64], issuer[160];
	size_t		 i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		int rc = parse(bad_cases[i].text, strlen(bad_cases[i].text),
		    &cfg, err, sizeof(err));

		is_int(rc, -1, "parse rejects: %s", bad_cases[i].name);
		ok(strstr(err, bad_cases[i].in_err) != NULL,
		    "error for %s mentions \"%s\" (err: %s)",
		    bad_cases[i].name, bad_cases[i].in_err, err);
		config_free(cfg);
	}

	/* A NUL byte inside a value (the length covers it). */
	is_int(parse("database = /a\0b\n", 16, &cfg, err, sizeof(err)), -1,
	    "parse rejects a NUL byte inside a value");
	config_free(cfg);

	/* Issuer: 100 printable characters at most. */
	memset(issuer, 'i', sizeof(issuer));
	memcpy(issuer, "issuer = ", 9);
	issuer[9 + 100] = '\n';
	is_int(parse(issuer, 9 + 100 + 1, &cfg, err, sizeof(err)), 0,
	    "parse: issuer of 100 characters");
	config_free(cfg);
	issuer[9 + 100] = 'i';
	issuer[9 + 101] = '\n';
	is_int(parse(issuer, 9 + 101 + 1, &cfg, err, sizeof(err)), -1,
	    "parse rejects an issuer of 101 characters");
	config_free(cfg);

	/* Audience: the same 100-character cap. */
	memset(issuer, 'a', sizeof(issuer));
	memcpy(issuer, "audience = ", 11);
	issuer[11 + 100] = '\n';
	is_int(parse(issuer, 11 + 100 + 1, &cfg, err, sizeof(err)), 0,
	    "parse: audience of 100 characters");
	ok(cfg != NULL && config_audience(cfg) != NULL &&
	    strlen(config_audience(cfg)) == 100, "... kept whole");
	config_free(cfg);
	issuer[11 + 100] = 'a';
	issuer[11 + 101] = '\n';
	is_int(parse(issuer, 11 + 101 + 1, &cfg, err, sizeof(err)), -1,
	    "parse rejects an audience of 101 characters");
	config_free(cfg);

	/* Line cap: LIMIT_CONF_LINE bytes is fine, one more is not, even
	 * for a comment. */
	memset(line, '#', sizeof(line));
	line[LIMIT_CONF_LINE] = '\n';
	is_int(parse(line, LIMIT_CONF_LINE + 1, &cfg, err, sizeof(err)), 0,
	    "parse: a comment line of exactly %d bytes", LIMIT_CONF_LINE);
	config_free(cfg);
	memset(line, '#', sizeof(line));
	line[LIMIT_CONF_LINE + 1] = '\n';
	is_int(parse(line, LIMIT_CONF_LINE + 2, &cfg, err, sizeof(err)), -1,
	    "parse rejects a line of %d bytes", LIMIT_CONF_LINE + 1);
	ok(strstr(err, "line 1") != NULL, "overlong line error names line 1 "
	    "(err: %s)", err);
	config_free(cfg);
	memset(line, '/', sizeof(line));
	memcpy(line, "database = ", 11);
	is_int(parse(line, LIMIT_CONF_LINE, &cfg, err, sizeof(err)), 0,
	    "parse: a database line of exactly %d bytes, no newline",
	    LIMIT_CONF_LINE);
	ok(cfg != NULL && strlen(config_db_path(cfg)) == LIMIT_CONF_LINE - 11,
	    "the long database path is kept whole");
	config_free(cfg);

	/* A tiny error buffer is truncated, never overrun. */
	memset(err, 'Z', sizeof(err));
	cfg = config_new_defaults();
	is_int(config_parse(cfg, "colour = blue\n", 14, err, 8), -1,
	    "parse with an 8-byte error buffer fails");
	ok(memchr(err, '\0', 8) != NULL && err[8] == 'Z',
	    "the error message stays within its 8 bytes");
	config_free(cfg);
}

/* Write text to a fresh temporary file; path in path[]. 0 or -1. */
static int
write_temp(char *path, size_t pathsz, const char *text, size_t len)
{
	const char	*tmp = getenv("TMPDIR");
	int		 fd;

	snprintf(path, pathsz, "%s/t_conf.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) == -1)
		return -1;
	if (len > 0 && write(fd, text, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

static void
test_load(void)
{
	struct config	*cfg;
	char		 path[4096], bad[4096], big[4096], *buf;
	const char	*text = "database = /from/file.db\n"
	    "token_lifetime = 600\n"
	    "issuer = file-issuer\n";

	clear_env();
	if (write_temp(path, sizeof(path), text, strlen(text)) == -1) {
		skip(1, "cannot write a temporary file: %s", strerror(errno));
		return;
	}

	/* The file named by LIBRARY_CONF. */
	setenv("LIBRARY_CONF", path, 1);
	cfg = config_load();
	ok(cfg != NULL, "load: LIBRARY_CONF file");
	if (cfg != NULL) {
		is_str(config_db_path(cfg), "/from/file.db",
		    "load: database from the file");
		is_int(config_token_lifetime(cfg), 600,
		    "load: token_lifetime from the file");
		is_str(config_issuer(cfg), "file-issuer",
		    "load: issuer from the file");
		is_str(config_secret_file(cfg), LIBRARY_SECRET_DEFAULT,
		    "load: secret_file default kept");
		config_free(cfg);
	}

	/* The environment beats the file. */
	setenv("LIBRARY_DB", "/from/env.db", 1);
	setenv("LIBRARY_SECRET_FILE", "/from/env.secret", 1);
	setenv("LIBRARY_TOKEN_LIFETIME", "700", 1);
	setenv("LIBRARY_PASSWORD_COST", "3", 1);
	setenv("LIBRARY_ISSUER", "env-issuer", 1);
	cfg = config_load();
	ok(cfg != NULL, "load: file and environment");
	if (cfg != NULL) {
		is_str(config_db_path(cfg), "/from/env.db",
		    "load: LIBRARY_DB overrides database");
		is_str(config_secret_file(cfg), "/from/env.secret",
		    "load: LIBRARY_SECRET_FILE overrides secret_file");
		is_int(config_token_lifetime(cfg), 700,
		    "load: LIBRARY_TOKEN_LIFETIME overrides token_lifetime");
		is_int(config_password_cost(cfg), 3,
		    "load: LIBRARY_PASSWORD_COST sets password_cost");
		is_str(config_issuer(cfg), "env-issuer",
		    "load: LIBRARY_ISSUER overrides issuer");
		config_free(cfg);
	}

	/* An empty variable counts as unset. */
	setenv("LIBRARY_DB", "", 1);
	setenv("LIBRARY_TOKEN_LIFETIME", "", 1);
	cfg = config_load();
	ok(cfg != NULL, "load: empty overrides");
	if (cfg != NULL) {
		is_str(config_db_path(cfg), "/from/file.db",
		    "load: empty LIBRARY_DB ignored");
		is_int(config_token_lifetime(cfg), 600,
		    "load: empty LIBRARY_TOKEN_LIFETIME ignored");
		config_free(cfg);
	}

	/* Bad override values stop the load. */
	setenv("LIBRARY_TOKEN_LIFETIME", "0", 1);
	ok(config_load() == NULL, "load: LIBRARY_TOKEN_LIFETIME=0 -> NULL");
	setenv("LIBRARY_TOKEN_LIFETIME", "2592001", 1);
	ok(config_load() == NULL,
	    "load: LIBRARY_TOKEN_LIFETIME=2592001 -> NULL");
	setenv("LIBRARY_TOKEN_LIFETIME", "abc", 1);
	ok(config_load() == NULL, "load: LIBRARY_TOKEN_LIFETIME=abc -> NULL");
	unsetenv("LIBRARY_TOKEN_LIFETIME");
	setenv("LIBRARY_PASSWORD_COST", "12", 1);
	ok(config_load() == NULL, "load: LIBRARY_PASSWORD_COST=12 -> NULL");
	unsetenv("LIBRARY_PASSWORD_COST");
	setenv("LIBRARY_ISSUER", "two words", 1);
	ok(config_load() == NULL, "load: LIBRARY_ISSUER with a space -> NULL");
	clear_env();

	/* The new keys from the file, then from the environment. */
	if (write_temp(bad, sizeof(bad), "audience = file-aud\n"
	    "clock_leeway = 10\nlogin_max_failures = 4\n"
	    "login_max_failures_per_address = 40\nlogin_window = 100\n",
	    strlen("audience = file-aud\n"
	    "clock_leeway = 10\nlogin_max_failures = 4\n"
	    "login_max_failures_per_address = 40\nlogin_window = 100\n")) ==
	    0) {
		setenv("LIBRARY_CONF", bad, 1);
		cfg = config_load();
		ok(cfg != NULL, "load: a file with the new keys");
		if (cfg != NULL) {
			is_str(config_audience(cfg), "file-aud",
			    "load: audience from the file");
			is_int(config_clock_leeway(cfg), 10,
			    "load: clock_leeway from the file");
			is_int(config_login_max_failures(cfg), 4,
			    "load: login_max_failures from the file");
			is_int(config_login_max_failures_addr(cfg), 40,
			    "load: login_max_failures_per_address from the "
			    "file");
			is_int(config_login_window(cfg), 100,
			    "load: login_window from the file");
			config_free(cfg);
		}
		setenv("LIBRARY_AUDIENCE", "env-aud", 1);
		setenv("LIBRARY_CLOCK_LEEWAY", "0", 1);
		setenv("LIBRARY_LOGIN_MAX_FAILURES", "100000", 1);
		setenv("LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS", "3", 1);
		setenv("LIBRARY_LOGIN_WINDOW", "60", 1);
		setenv("LIBRARY_BUSY_TIMEOUT", "250", 1);
		setenv("LIBRARY_SYNCHRONOUS", "normal", 1);
		setenv("LIBRARY_WORKERS", "4", 1);
		cfg = config_load();
		ok(cfg != NULL, "load: the new keys from the environment");
		if (cfg != NULL) {
			is_str(config_audience(cfg), "env-aud",
			    "load: LIBRARY_AUDIENCE overrides audience");
			is_int(config_clock_leeway(cfg), 0,
			    "load: LIBRARY_CLOCK_LEEWAY=0 overrides "
			    "clock_leeway");
			is_int(config_login_max_failures(cfg), 100000,
			    "load: LIBRARY_LOGIN_MAX_FAILURES overrides "
			    "login_max_failures");
			is_int(config_login_max_failures_addr(cfg), 3,
			    "load: LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS "
			    "overrides login_max_failures_per_address");
			is_int(config_login_window(cfg), 60,
			    "load: LIBRARY_LOGIN_WINDOW overrides "
			    "login_window");
			is_int(config_busy_timeout(cfg), 250,
			    "load: LIBRARY_BUSY_TIMEOUT");
			is_int(config_synchronous(cfg), CONFIG_SYNC_NORMAL,
			    "load: LIBRARY_SYNCHRONOUS");
			is_int(config_workers(cfg), 4, "load: LIBRARY_WORKERS");
			config_free(cfg);
		}
		/* Empty variables count as unset here too. */
		setenv("LIBRARY_AUDIENCE", "", 1);
		setenv("LIBRARY_CLOCK_LEEWAY", "", 1);
		cfg = config_load();
		ok(cfg != NULL && config_audience(cfg) != NULL &&
		    strcmp(config_audience(cfg), "file-aud") == 0 &&
		    config_clock_leeway(cfg) == 10,
		    "load: empty LIBRARY_AUDIENCE and LIBRARY_CLOCK_LEEWAY "
		    "ignored");
		config_free(cfg);
		unlink(bad);
	} else
		skip(1, "cannot write a temporary file");
	clear_env();
	{
		static const struct {
			const char *name, *value;
		} badenv[] = {
			{ "LIBRARY_CLOCK_LEEWAY", "301" },
			{ "LIBRARY_CLOCK_LEEWAY", "-1" },
			{ "LIBRARY_CLOCK_LEEWAY", "ten" },
			{ "LIBRARY_AUDIENCE", "two words" },
			{ "LIBRARY_LOGIN_MAX_FAILURES", "0" },
			{ "LIBRARY_LOGIN_MAX_FAILURES", "1000001" },
			{ "LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS", "0" },
			{ "LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS", "1000001" },
			{ "LIBRARY_LOGIN_WINDOW", "0" },
			{ "LIBRARY_LOGIN_WINDOW", "86401" },
		};
		size_t	 j;

		for (j = 0; j < sizeof(badenv) / sizeof(badenv[0]); j++) {
			clear_env();
			setenv(badenv[j].name, badenv[j].value, 1);
			cfg = config_load();
			ok(cfg == NULL, "load: %s=%s -> NULL", badenv[j].name,
			    badenv[j].value);
			config_free(cfg);
		}
		clear_env();
	}

	/* A file that does not parse. */
	if (write_temp(bad, sizeof(bad), "colour = blue\n", 14) == 0) {
		setenv("LIBRARY_CONF", bad, 1);
		ok(config_load() == NULL, "load: unknown key in file -> NULL");
		unlink(bad);
	}

	/* A file over LIMIT_CONF_MAX. */
	if ((buf = malloc(LIMIT_CONF_MAX + 1)) != NULL) {
		memset(buf, '\n', LIMIT_CONF_MAX + 1);
		if (write_temp(big, sizeof(big), buf, LIMIT_CONF_MAX + 1) ==
		    0) {
			setenv("LIBRARY_CONF", big, 1);
			ok(config_load() == NULL,
			    "load: file of %d bytes -> NULL",
			    LIMIT_CONF_MAX + 1);
			unlink(big);
		}
		free(buf);
	}

	/* LIBRARY_CONF naming a missing file is an error, not defaults. */
	unlink(path);
	setenv("LIBRARY_CONF", path, 1);
	ok(config_load() == NULL, "load: LIBRARY_CONF missing file -> NULL");
	setenv("LIBRARY_CONF", "/nonexistent-dir/library-api.conf", 1);
	ok(config_load() == NULL,
	    "load: LIBRARY_CONF in a missing directory -> NULL");

	/* Without LIBRARY_CONF the compiled-in file may be absent. */
	clear_env();
	if (access(LIBRARY_CONF_DEFAULT, F_OK) == 0)
		skip(3, "%s exists on this system", LIBRARY_CONF_DEFAULT);
	else {
		cfg = config_load();
		ok(cfg != NULL, "load: no LIBRARY_CONF and no default file "
		    "gives defaults");
		if (cfg != NULL)
			is_str(config_db_path(cfg), LIBRARY_DB_DEFAULT,
			    "load: defaults in effect");
		else
			ok(0, "load: defaults in effect");
		config_free(cfg);
		setenv("LIBRARY_CONF", "", 1);
		cfg = config_load();
		ok(cfg != NULL, "load: empty LIBRARY_CONF means the default");
		config_free(cfg);
	}
	clear_env();
}

/* Write text to path with the given mode; 0 on success. */
static int
put_file(const char *path, const char *text, mode_t mode)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		return -1;
	if (fputs(text, f) == EOF) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0)
		return -1;
	return chmod(path, mode);
}

static void
test_near(void)
{
	const char	*tmp = getenv("TMPDIR");
	static const char *const below[6] = { "", "/1", "/1/2", "/1/2/3",
	    "/1/2/3/4", "/1/2/3/4/5" };
	char		 base[512], dirs[6][600], file[1300], got[1300];
	char		 bfile[1300];
	struct config	*cfg;
	size_t		 i;

	snprintf(base, sizeof(base), "%s/t_conf_near.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(base) == NULL) {
		ok(0, "near: mkdtemp %s: %s", base, strerror(errno));
		return;
	}
	/* dirs[0] = base, dirs[i] = base/1/.../i: five levels below base. */
	snprintf(dirs[0], sizeof(dirs[0]), "%s", base);
	for (i = 1; i < 6; i++) {
		snprintf(dirs[i], sizeof(dirs[i]), "%s%s", base, below[i]);
		if (mkdir(dirs[i], 0755) == -1) {
			ok(0, "near: mkdir %s: %s", dirs[i], strerror(errno));
			return;
		}
	}
	clear_env();

	/* Searched: dirs[4] and 4 above it, i.e. down to base, no further. */
	is_int(config_find_near(dirs[4], 4, got, sizeof(got)), 0,
	    "near: no file in the folder or 4 above -> 0");
	snprintf(file, sizeof(file), "%s/library-api.conf", base);
	ok(put_file(file, "database = /from/base.db\n", 0644) == 0,
	    "near: write %s", file);
	is_int(config_find_near(dirs[4], 4, got, sizeof(got)), 1,
	    "near: a file 4 folders above -> 1");
	is_str(got, file, "near: ... its path");
	is_int(config_find_near(dirs[5], 4, got, sizeof(got)), 0,
	    "near: a file 5 folders above is out of reach -> 0");
	is_int(config_find_near(dirs[3], 0, got, sizeof(got)), 0,
	    "near: levels 0 looks in the folder only");
	{
		char slashes[1300];

		snprintf(slashes, sizeof(slashes), "%s//", dirs[2]);
		is_int(config_find_near(slashes, 2, got, sizeof(got)), 1,
		    "near: trailing slashes are ignored");
		is_str(got, file, "near: ... and the path has none");
	}
	snprintf(bfile, sizeof(bfile), "%s/library-api.conf", dirs[2]);
	ok(put_file(bfile, "database = /from/two.db\n", 0640) == 0,
	    "near: write %s", bfile);
	is_int(config_find_near(dirs[4], 4, got, sizeof(got)), 1,
	    "near: two files -> 1");
	is_str(got, bfile, "near: the nearest wins");
	is_int(config_find_near(dirs[2], 4, got, sizeof(got)), 1,
	    "near: a file in the folder itself -> 1");
	is_str(got, bfile, "near: ... that one");
	errno = 0;
	ok(config_find_near("relative/dir", 4, got, sizeof(got)) == -1 &&
	    errno == EINVAL, "near: a relative folder -> -1 EINVAL");
	ok(config_find_near(dirs[4], 4, got, 10) == -1 &&
	    errno == ENAMETOOLONG, "near: no room for the path -> -1");

	/* config_load_from: the nearest file, then the environment. */
	cfg = config_load_from(dirs[5]);
	ok(cfg != NULL, "load_from: the file 3 folders above loads");
	if (cfg != NULL)
		is_str(config_db_path(cfg), "/from/two.db",
		    "load_from: its setting is in effect");
	else
		ok(0, "load_from: its setting is in effect");
	config_free(cfg);
	setenv("LIBRARY_DB", "/from/env.db", 1);
	cfg = config_load_from(dirs[5]);
	is_str(cfg != NULL ? config_db_path(cfg) : "(NULL)", "/from/env.db",
	    "load_from: the environment still overrides the file");
	config_free(cfg);
	clear_env();
	setenv("LIBRARY_CONF", file, 1);
	cfg = config_load_from(dirs[5]);
	is_str(cfg != NULL ? config_db_path(cfg) : "(NULL)", "/from/base.db",
	    "load_from: LIBRARY_CONF wins over the file near the program");
	config_free(cfg);
	clear_env();

	/* Refused: others may write it; not a regular file; a bad key. */
	ok(chmod(bfile, 0646) == 0, "near: chmod o+w");
	ok(config_load_from(dirs[5]) == NULL,
	    "load_from: a file others may write -> NULL (refused, not skipped)");
	ok(chmod(bfile, 0664) == 0, "near: chmod g+w (o-w)");
	cfg = config_load_from(dirs[5]);
	ok(cfg != NULL, "load_from: group-writable is accepted");
	config_free(cfg);
	ok(put_file(bfile, "no_such_key = 1\n", 0644) == 0,
	    "near: a file with an unknown key");
	ok(config_load_from(dirs[5]) == NULL,
	    "load_from: an unknown key in the file near the program -> NULL");
	unlink(bfile);
	ok(mkdir(bfile, 0755) == 0, "near: a folder named library-api.conf");
	ok(config_load_from(dirs[5]) == NULL,
	    "load_from: a library-api.conf that is a folder -> NULL");
	rmdir(bfile);
	if (getuid() != 0) {
		ok(put_file(bfile, "database = /x.db\n", 0000) == 0,
		    "near: an unreadable file");
		ok(config_load_from(dirs[5]) == NULL,
		    "load_from: an unreadable file is an error, not skipped");
		unlink(bfile);
	} else
		skip(2, "root reads any file");
	cfg = config_load_from(dirs[4]);
	is_str(cfg != NULL ? config_db_path(cfg) : "(NULL)", "/from/base.db",
	    "load_from: with that one gone, the file 4 folders up");
	config_free(cfg);
	cfg = config_load_from(dirs[5]);
	if (access(LIBRARY_CONF_DEFAULT, F_OK) == 0)
		skip(1, "%s exists on this system", LIBRARY_CONF_DEFAULT);
	else
		is_str(cfg != NULL ? config_db_path(cfg) : "(NULL)",
		    LIBRARY_DB_DEFAULT,
		    "load_from: 5 folders up is too far: the defaults");
	config_free(cfg);

	unlink(file);
	for (i = 5; i > 0; i--)
		rmdir(dirs[i]);
	rmdir(base);
}

int
main(void)
{
	test_defaults();
	test_parse_good();
	test_parse_bad();
	test_load();
	test_near();
	return done_testing();
}
