/*
 * conf.c: process configuration: compiled-in defaults, then the
 * "key = value" file, then LIBRARY_* environment variables (see conf.h).
 * Format: one "key = value" per line; '#' starts a comment line; blank
 * lines ignored; surrounding spaces trimmed; unknown keys are an error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "conf.h"
#include "limits.h"
#include "log.h"
#include "util.h"

#ifndef LIBRARY_CONF_DEFAULT
#define LIBRARY_CONF_DEFAULT "/etc/library-api.conf"
#endif
#ifndef LIBRARY_DB_DEFAULT
#define LIBRARY_DB_DEFAULT "/var/lib/library-api/library.db"
#endif
#ifndef LIBRARY_SECRET_DEFAULT
#define LIBRARY_SECRET_DEFAULT "/var/lib/library-api/secret"
#endif
#define ISSUER_DEFAULT "library-api"
/*
 * config_load_from: the file looked for beside the program and in up to
 * this many folders above it (web root, home, a hosting panel's
 * domains/NAME/ layers), never further.
 */
#define CONF_NEAR_NAME "library-api.conf"
#define CONF_NEAR_LEVELS 4
#define CONF_PATH_MAX 4096	/* Linux's PATH_MAX */

struct config {
	char		*db_path;
	char		*secret_file;
	char		*issuer;
	char		*audience;	/* NULL: none */
	int64_t		 token_lifetime;
	int64_t		 clock_leeway;
	int64_t		 login_max_failures;
	int64_t		 login_max_failures_addr;
	int64_t		 login_window;
	unsigned long	 password_cost;
	int64_t		 busy_timeout;	/* milliseconds */
	int64_t		 workers;
	int		 synchronous;	/* enum config_sync */
};

enum conf_key {
	KEY_DATABASE,
	KEY_SECRET_FILE,
	KEY_TOKEN_LIFETIME,
	KEY_PASSWORD_COST,
	KEY_ISSUER,
	KEY_AUDIENCE,
	KEY_CLOCK_LEEWAY,
	KEY_LOGIN_MAX_FAILURES,
	KEY_LOGIN_MAX_FAILURES_ADDR,
	KEY_LOGIN_WINDOW,
	KEY_BUSY_TIMEOUT,
	KEY_SYNCHRONOUS,
	KEY_WORKERS,
	KEY__MAX
};

static const struct {
	const char	*name;	/* in the file */
	const char	*env;	/* environment override */
} conf_keys[] = {
	[KEY_DATABASE] = { "database", "LIBRARY_DB" },
	[KEY_SECRET_FILE] = { "secret_file", "LIBRARY_SECRET_FILE" },
	[KEY_TOKEN_LIFETIME] = { "token_lifetime", "LIBRARY_TOKEN_LIFETIME" },
	[KEY_PASSWORD_COST] = { "password_cost", "LIBRARY_PASSWORD_COST" },
	[KEY_ISSUER] = { "issuer", "LIBRARY_ISSUER" },
	[KEY_AUDIENCE] = { "audience", "LIBRARY_AUDIENCE" },
	[KEY_CLOCK_LEEWAY] = { "clock_leeway", "LIBRARY_CLOCK_LEEWAY" },
	[KEY_LOGIN_MAX_FAILURES] = { "login_max_failures",
	    "LIBRARY_LOGIN_MAX_FAILURES" },
	[KEY_LOGIN_MAX_FAILURES_ADDR] = { "login_max_failures_per_address",
	    "LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS" },
	[KEY_LOGIN_WINDOW] = { "login_window", "LIBRARY_LOGIN_WINDOW" },
	[KEY_BUSY_TIMEOUT] = { "busy_timeout", "LIBRARY_BUSY_TIMEOUT" },
	[KEY_SYNCHRONOUS] = { "synchronous", "LIBRARY_SYNCHRONOUS" },
	[KEY_WORKERS] = { "workers", "LIBRARY_WORKERS" },
};
_Static_assert(sizeof(conf_keys) / sizeof(conf_keys[0]) == KEY__MAX,
    "conf_keys must have one row per key");

static int
set_string(char **slot, const char *v, size_t len)
{
	char	*copy;

	if (len == 0 || memchr(v, '\0', len) != NULL)
		return -1;
	if ((copy = strndup(v, len)) == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

/* Set one key from text; -1 with a reason in *why on a bad value. */
static int
config_set(struct config *cfg, enum conf_key k, const char *v, size_t len,
    const char **why)
{
	int64_t	 n;

	switch (k) {
	case KEY_DATABASE:
		*why = "database must be a non-empty path";
		return set_string(&cfg->db_path, v, len);
	case KEY_SECRET_FILE:
		*why = "secret_file must be a non-empty path";
		return set_string(&cfg->secret_file, v, len);
	case KEY_ISSUER:
	case KEY_AUDIENCE:
		*why = k == KEY_ISSUER ?
		    "issuer must be 1-100 printable ASCII characters" :
		    "audience must be 1-100 printable ASCII characters";
		if (len > 100)
			return -1;
		for (size_t i = 0; i < len; i++)
			if (v[i] < 0x21 || v[i] > 0x7e)
				return -1;
		return set_string(k == KEY_ISSUER ? &cfg->issuer :
		    &cfg->audience, v, len);
	case KEY_CLOCK_LEEWAY:
		*why = "clock_leeway must be 0-300 seconds";
		if (util_parse_int64(v, len, 0, 300, &n) == -1)
			return -1;
		cfg->clock_leeway = n;
		return 0;
	case KEY_LOGIN_MAX_FAILURES:
	case KEY_LOGIN_MAX_FAILURES_ADDR:
		*why = "login_max_failures* must be 1-1000000";
		if (util_parse_int64(v, len, 1, 1000000, &n) == -1)
			return -1;
		if (k == KEY_LOGIN_MAX_FAILURES)
			cfg->login_max_failures = n;
		else
			cfg->login_max_failures_addr = n;
		return 0;
	case KEY_LOGIN_WINDOW:
		*why = "login_window must be 1-86400 seconds";
		if (util_parse_int64(v, len, 1, 86400, &n) == -1)
			return -1;
		cfg->login_window = n;
		return 0;
	case KEY_TOKEN_LIFETIME:
		*why = "token_lifetime must be 1-2592000 seconds";
		if (util_parse_int64(v, len, LIMIT_LIFETIME_MIN,
		    LIMIT_LIFETIME_MAX, &n) == -1)
			return -1;
		cfg->token_lifetime = n;
		return 0;
	case KEY_BUSY_TIMEOUT:
		*why = "busy_timeout must be 0-600000 milliseconds";
		if (util_parse_int64(v, len, 0, 600000, &n) == -1)
			return -1;
		cfg->busy_timeout = n;
		return 0;
	case KEY_WORKERS:
		*why = "workers must be 0-64";
		if (util_parse_int64(v, len, 0, LIMIT_WORKERS_MAX, &n) == -1)
			return -1;
		cfg->workers = n;
		return 0;
	case KEY_SYNCHRONOUS:
		*why = "synchronous must be full, normal or extra";
		if (len == 4 && memcmp(v, "full", 4) == 0)
			cfg->synchronous = CONFIG_SYNC_FULL;
		else if (len == 6 && memcmp(v, "normal", 6) == 0)
			cfg->synchronous = CONFIG_SYNC_NORMAL;
		else if (len == 5 && memcmp(v, "extra", 5) == 0)
			cfg->synchronous = CONFIG_SYNC_EXTRA;
		else
			return -1;
		return 0;
	case KEY_PASSWORD_COST:
		*why = "password_cost must be 0 (default) to 11";
		if (util_parse_int64(v, len, 0, 11, &n) == -1)
			return -1;
		cfg->password_cost = (unsigned long)n;
		return 0;
	default:
		break;
	}
	*why = "unknown key";
	return -1;
}

struct config *
config_new_defaults(void)
{
	struct config	*cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	cfg->db_path = strdup(LIBRARY_DB_DEFAULT);
	cfg->secret_file = strdup(LIBRARY_SECRET_DEFAULT);
	cfg->issuer = strdup(ISSUER_DEFAULT);
	cfg->token_lifetime = LIMIT_LIFETIME_DEFAULT;
	cfg->clock_leeway = 30;
	cfg->login_max_failures = 5;
	cfg->login_max_failures_addr = 50;
	cfg->login_window = 300;
	cfg->password_cost = 0;
	cfg->busy_timeout = 5000;
	cfg->workers = 0;
	cfg->synchronous = CONFIG_SYNC_FULL;
	if (cfg->db_path == NULL || cfg->secret_file == NULL ||
	    cfg->issuer == NULL) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->db_path);
	free(cfg->secret_file);
	free(cfg->issuer);
	free(cfg->audience);
	free(cfg);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int
config_parse(struct config *cfg, const char *text, size_t len, char *err,
    size_t errsz)
{
	size_t	 pos = 0, lineno = 0;

	while (pos < len) {
		const char	*line = text + pos, *eq, *why = NULL;
		size_t		 ll, ks, ke, vs, ve;
		enum conf_key	 k;
		const char	*nl = memchr(line, '\n', len - pos);

		ll = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl != NULL);
		lineno++;
		if (ll > LIMIT_CONF_LINE) {
			snprintf(err, errsz, "line %zu: longer than %d bytes",
			    lineno, LIMIT_CONF_LINE);
			return -1;
		}
		for (ks = 0; ks < ll && is_space(line[ks]); ks++)
			;
		if (ks == ll || line[ks] == '#')
			continue;
		if ((eq = memchr(line, '=', ll)) == NULL) {
			snprintf(err, errsz, "line %zu: expected key = value",
			    lineno);
			return -1;
		}
		for (ke = (size_t)(eq - line); ke > ks && is_space(line[ke - 1]);
		    ke--)
			;
		for (vs = (size_t)(eq - line) + 1; vs < ll && is_space(line[vs]);
		    vs++)
			;
		for (ve = ll; ve > vs && is_space(line[ve - 1]); ve--)
			;
		for (k = 0; k < KEY__MAX; k++)
			if (strlen(conf_keys[k].name) == ke - ks &&
			    memcmp(conf_keys[k].name, line + ks, ke - ks) == 0)
				break;
		if (k == KEY__MAX) {
			char key[64];

			util_log_escape(line + ks, ke - ks, key, sizeof(key));
			snprintf(err, errsz, "line %zu: unknown key \"%s\"",
			    lineno, key);
			return -1;
		}
		if (config_set(cfg, k, line + vs, ve - vs, &why) == -1) {
			snprintf(err, errsz, "line %zu: %s", lineno, why);
			return -1;
		}
	}
	return 0;
}

int
config_find_near(const char *dir, unsigned levels, char *out, size_t outsz)
{
	char		 d[CONF_PATH_MAX];
	struct stat	 st;
	size_t		 n;
	unsigned	 i;

	if (dir == NULL || dir[0] != '/' || strlen(dir) >= sizeof(d)) {
		errno = EINVAL;
		return -1;
	}
	strcpy(d, dir);
	for (i = 0; i <= levels; i++) {
		/* Trailing slashes off ("/" stays "/", written as ""). */
		for (n = strlen(d); n > 0 && d[n - 1] == '/'; n--)
			d[n - 1] = '\0';
		if ((size_t)snprintf(out, outsz, "%s/%s", d, CONF_NEAR_NAME) >=
		    outsz) {
			errno = ENAMETOOLONG;
			return -1;
		}
		/*
		 * Anything but "no such file" counts as found: a file we may
		 * not read is reported by the caller, not skipped for one
		 * further up.
		 */
		if (stat(out, &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
			return 1;
		if (n == 0)
			break;	/* that was the root */
		while (n > 0 && d[n - 1] != '/')
			d[--n] = '\0';
	}
	return 0;
}

/*
 * Read a configuration file found near the program: a regular file that
 * others cannot write (in a web space, a world-writable file would let any
 * other account or script on the host choose our database and key).
 */
static char *
read_near(const char *path, size_t *len, const char **why)
{
	struct stat	 st;
	char		*text;
	int		 fd, e;

	*why = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & S_IWOTH) != 0) {
		*why = !S_ISREG(st.st_mode) ? "not a regular file" :
		    "writable by others (chmod o-w)";
		close(fd);
		return NULL;
	}
	text = util_read_fd(fd, LIMIT_CONF_MAX, len);
	e = errno;
	close(fd);
	errno = e;
	return text;
}

struct config *
config_load(void)
{
#ifdef LIBRARY_CONF_NEAR_PROGRAM
	char	 exe[CONF_PATH_MAX], *slash;
	ssize_t	 n;

	/*
	 * The shared-hosting build: mod_fcgid gives a program an empty
	 * environment, so with no LIBRARY_CONF look beside and above the
	 * program itself (its real path, symbolic links resolved).
	 */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0 && exe[0] == '/') {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) == exe)
			slash[1] = '\0';
		else
			*slash = '\0';
		return config_load_from(exe);
	}
#endif
	return config_load_from(NULL);
}

struct config *
config_load_from(const char *near_dir)
{
	struct config	*cfg;
	const char	*path, *env, *refused = NULL;
	char		*text, err[256], near[CONF_PATH_MAX];
	size_t		 len;
	int		 explicit, found = 0;
	enum conf_key	 k;

	if ((cfg = config_new_defaults()) == NULL) {
		log_error(__func__, "out of memory");
		return NULL;
	}
	env = getenv("LIBRARY_CONF");
	explicit = env != NULL && env[0] != '\0';
	path = explicit ? env : LIBRARY_CONF_DEFAULT;
	if (!explicit && near_dir != NULL) {
		found = config_find_near(near_dir, CONF_NEAR_LEVELS, near,
		    sizeof(near));
		if (found == -1) {
			log_error(__func__, "looking for %s near %s: %s",
			    CONF_NEAR_NAME, near_dir, strerror(errno));
			goto fail;
		}
		if (found == 1)
			path = near;
	}
	text = found == 1 ? read_near(path, &len, &refused) :
	    util_read_file(path, LIMIT_CONF_MAX, &len);
	if (text == NULL) {
		if (refused != NULL) {
			log_error(__func__, "%s: %s", path, refused);
			goto fail;
		}
		if (explicit || found == 1 || errno != ENOENT) {
			log_error(__func__, "%s: %s", path, strerror(errno));
			goto fail;
		}
	} else {
		int rc = config_parse(cfg, text, len, err, sizeof(err));

		free(text);
		if (rc == -1) {
			log_error(__func__, "%s: %s", path, err);
			goto fail;
		}
	}
	for (k = 0; k < KEY__MAX; k++) {
		const char *why = NULL;

		if ((env = getenv(conf_keys[k].env)) == NULL || env[0] == '\0')
			continue;
		if (config_set(cfg, k, env, strlen(env), &why) == -1) {
			log_error(__func__, "%s: %s", conf_keys[k].env, why);
			goto fail;
		}
	}
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

const char *
config_db_path(const struct config *cfg)
{
	return cfg->db_path;
}

const char *
config_secret_file(const struct config *cfg)
{
	return cfg->secret_file;
}

const char *
config_issuer(const struct config *cfg)
{
	return cfg->issuer;
}

int64_t
config_token_lifetime(const struct config *cfg)
{
	return cfg->token_lifetime;
}

unsigned long
config_password_cost(const struct config *cfg)
{
	return cfg->password_cost;
}

const char *
config_audience(const struct config *cfg)
{
	return cfg->audience;
}

int64_t
config_clock_leeway(const struct config *cfg)
{
	return cfg->clock_leeway;
}

int64_t
config_login_max_failures(const struct config *cfg)
{
	return cfg->login_max_failures;
}

int64_t
config_login_max_failures_addr(const struct config *cfg)
{
	return cfg->login_max_failures_addr;
}

int64_t
config_login_window(const struct config *cfg)
{
	return cfg->login_window;
}

int64_t
config_busy_timeout(const struct config *cfg)
{
	return cfg->busy_timeout;
}

enum config_sync
config_synchronous(const struct config *cfg)
{
	return (enum config_sync)cfg->synchronous;
}

int64_t
config_workers(const struct config *cfg)
{
	return cfg->workers;
}
