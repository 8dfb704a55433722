/*
 * conf.h: process configuration. A "key = value" file (path from
 * LIBRARY_CONF, else the compiled-in default, which may be absent), then
 * environment overrides: LIBRARY_DB, LIBRARY_SECRET_FILE,
 * LIBRARY_TOKEN_LIFETIME, LIBRARY_PASSWORD_COST, LIBRARY_ISSUER,
 * LIBRARY_AUDIENCE, LIBRARY_CLOCK_LEEWAY, LIBRARY_LOGIN_MAX_FAILURES,
 * LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS, LIBRARY_LOGIN_WINDOW.
 * Read once per process, before the first FastCGI accept.
 */
#ifndef LIBAPI_CONF_H
#define LIBAPI_CONF_H

#include <stddef.h>
#include <stdint.h>

struct config;

/*
 * Load the configuration. Returns a handle owned by the caller (free with
 * config_free), or NULL after logging why (unreadable file given by
 * LIBRARY_CONF, unknown key, bad value).
 */
struct config *config_load(void);

/*
 * config_load, but when LIBRARY_CONF is unset or empty and near_dir is not
 * NULL, the file is the first "library-api.conf" in near_dir or one of its
 * 4 parents, if any (then it must be a regular file not writable by
 * others, or NULL is returned), before the compiled-in default. Built
 * with -DLIBRARY_CONF_NEAR_PROGRAM (the Apache drop-in), config_load is
 * config_load_from(the folder of /proc/self/exe); otherwise
 * config_load_from(NULL).
 */
struct config *config_load_from(const char *near_dir);

/*
 * The first "library-api.conf" in dir (absolute) or its first `levels`
 * parents, into out: 1 found (or present but not stat-able: the reader
 * reports it), 0 none, -1 with errno (relative dir, path too long).
 */
int config_find_near(const char *dir, unsigned levels, char *out,
    size_t outsz);

/*
 * Parse configuration text (the file format) into cfg. Returns 0, or -1
 * with a message in err (size errsz) naming the line. Exposed for tests
 * and the fuzzer.
 */
int config_parse(struct config *cfg, const char *text, size_t len,
    char *err, size_t errsz);

/* A configuration holding the defaults only; NULL on allocation failure. */
struct config *config_new_defaults(void);
void config_free(struct config *cfg);

const char *config_db_path(const struct config *cfg);
const char *config_secret_file(const struct config *cfg);
const char *config_issuer(const struct config *cfg);
int64_t config_token_lifetime(const struct config *cfg);
unsigned long config_password_cost(const struct config *cfg);
const char *config_audience(const struct config *cfg);	/* NULL: none */
int64_t config_clock_leeway(const struct config *cfg);	/* seconds */
int64_t config_login_max_failures(const struct config *cfg);
int64_t config_login_max_failures_addr(const struct config *cfg);
int64_t config_login_window(const struct config *cfg);	/* seconds */
/* How long a request waits for the database lock, in milliseconds. */
int64_t config_busy_timeout(const struct config *cfg);
/* SQLite's synchronous setting (WAL mode): what survives a power loss. */
enum config_sync {
	CONFIG_SYNC_FULL = 0,	/* every commit (default) */
	CONFIG_SYNC_NORMAL,	/* all but the last commits */
	CONFIG_SYNC_EXTRA	/* FULL, and the directory after a delete */
};
enum config_sync config_synchronous(const struct config *cfg);
/* 0: serve in this process; N: supervise N worker processes. */
int64_t config_workers(const struct config *cfg);

#endif
