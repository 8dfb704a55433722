/*
 * library-admin: set up and administer a library-api installation.
 *   init			create the database and the HMAC secret file
 *   user add NAME [--admin]	add a user; password from the terminal
 *				(no echo) or one line of standard input
 *   user promote NAME		make a user an admin
 *   user list			list users (never their hashes)
 *   user disable|enable NAME	refuse or allow a user's logins (disable
 *				also ends every token issued until then)
 *   user unlock NAME		forget a user name's failed logins
 *   key list|rotate		show the key set; add a new signing key
 *   key retire KID		remove a key (its tokens stop working)
 *   migrate			bring the database schema up to date
 *   backup FILE		online copy of the database into a new FILE
 *   restore FILE		replace the database's content with FILE's
 * It reads the same configuration as the responders (LIBRARY_CONF,
 * LIBRARY_DB, LIBRARY_SECRET_FILE, ...) and uses the same store and
 * password code.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "conf.h"
#include "limits.h"
#include "log.h"
#include "password.h"
#include "store.h"
#include "token.h"
#include "util.h"
#include "valid.h"

static const struct field name_field =
    { "name", FIELD_TEXT, 1, LIMIT_NAME_CP, 1 };
static const struct field password_field =
    { "password", FIELD_SECRET, LIMIT_PASSWORD_MIN, LIMIT_PASSWORD_MAX, 1 };

static void
usage(void)
{
	fprintf(stderr,
	    "usage: library-admin init\n"
	    "       library-admin user add NAME [--admin]\n"
	    "       library-admin user promote NAME\n"
	    "       library-admin user list\n"
	    "       library-admin user disable|enable|unlock NAME\n"
	    "       library-admin key list|rotate\n"
	    "       library-admin key retire KID\n"
	    "       library-admin migrate\n"
	    "       library-admin backup|restore FILE\n");
	exit(2);
}

/* Write a new secret: 32 random bytes as 64 hex digits and a newline. */
static int
make_secret(const char *path)
{
	unsigned char	 rnd[32];
	char		 hex[2 * sizeof(rnd) + 1];
	size_t		 i;
	int		 fd, rc = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		if (errno == EEXIST) {
			printf("secret file %s exists: kept\n", path);
			return 0;
		}
		fprintf(stderr, "library-admin: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (util_random(rnd, sizeof(rnd)) == -1) {
		fprintf(stderr, "library-admin: random: %s\n", strerror(errno));
		goto out;
	}
	for (i = 0; i < sizeof(rnd); i++) {
		hex[2 * i] = "0123456789abcdef"[rnd[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[rnd[i] & 15];
	}
	hex[2 * sizeof(rnd)] = '\n';
	if (write(fd, hex, sizeof(hex)) != (ssize_t)sizeof(hex) ||
	    fsync(fd) == -1) {
		fprintf(stderr, "library-admin: %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	printf("secret file %s created (256 random bits)\n", path);
	rc = 0;
out:
	util_wipe(rnd, sizeof(rnd));
	util_wipe(hex, sizeof(hex));
	close(fd);
	if (rc == -1)
		unlink(path);
	return rc;
}

static int
cmd_init(struct config *cfg)
{
	struct store	*st;

	if (make_secret(config_secret_file(cfg)) == -1)
		return 1;
	if ((st = store_open(config_db_path(cfg), 1)) == NULL) {
		fprintf(stderr, "library-admin: cannot open database %s\n",
		    config_db_path(cfg));
		return 1;
	}
	store_close(st);
	printf("database %s ready (schema version %d)\n", config_db_path(cfg),
	    STORE_SCHEMA_VERSION);
	return 0;
}

/*
 * Read a password: from the terminal with echo off, or one line of
 * standard input when it is not a terminal. Returns its length or -1.
 */
static long
read_password(char *buf, size_t bufsz)
{
	struct termios	 old, noecho;
	int		 tty = isatty(STDIN_FILENO);
	size_t		 len;

	if (tty) {
		fprintf(stderr, "Password: ");
		if (tcgetattr(STDIN_FILENO, &old) == -1)
			return -1;
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho) == -1)
			return -1;
	}
	if (fgets(buf, (int)bufsz, stdin) == NULL)
		buf[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (len + 1 >= bufsz)
		return -1;		/* longer than the buffer */
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return (long)len;
}

static int
cmd_user_add(struct store *st, struct config *cfg, const char *name,
    int admin)
{
	char		 pw[LIMIT_PASSWORD_MAX + 2], hash[PASSWORD_HASH_MAX];
	char		 pid[37];
	const char	*why = NULL;
	long		 n;
	enum store_rc	 rc;

	if (valid_string(&name_field, name, strlen(name), &why) != ERR_NONE) {
		fprintf(stderr, "library-admin: %s\n", why);
		return 1;
	}
	if (strchr(name, ':') != NULL) {
		fprintf(stderr, "library-admin: name must not contain ':'\n");
		return 1;
	}
	n = read_password(pw, sizeof(pw));
	if (n < 0 || valid_string(&password_field, pw, (size_t)n, &why) !=
	    ERR_NONE) {
		fprintf(stderr, "library-admin: password must be %d-%d bytes\n",
		    LIMIT_PASSWORD_MIN, LIMIT_PASSWORD_MAX);
		util_wipe(pw, sizeof(pw));
		return 1;
	}
	if (util_uuid4(pid) == -1 || password_hash(pw, (size_t)n,
	    config_password_cost(cfg), hash) == -1) {
		util_wipe(pw, sizeof(pw));
		fprintf(stderr, "library-admin: cannot hash the password\n");
		return 1;
	}
	util_wipe(pw, sizeof(pw));
	rc = store_user_insert(st, pid, name, strlen(name), hash, admin);
	util_wipe(hash, sizeof(hash));
	if (rc == STORE_CONFLICT) {
		fprintf(stderr, "library-admin: user name taken\n");
		return 1;
	}
	if (rc != STORE_OK)
		return 1;
	printf("user added: public_id %s%s\n", pid, admin ? " (admin)" : "");
	return 0;
}

static int
print_user(void *arg, const char *public_id, const char *name, int admin)
{
	char	 esc[4 * LIMIT_NAME_CP * 4 + 1];

	(void)arg;
	/* Names are checked UTF-8 without control characters; escape anyway. */
	printf("%s\t%s\t%s\n", public_id, admin ? "admin" : "user",
	    util_log_escape(name, strlen(name), esc, sizeof(esc)));
	return 0;
}

static int
cmd_key(struct config *cfg, int argc, char *argv[])
{
	struct token_key	*k;
	const char		*path = config_secret_file(cfg);
	size_t			 i, n;
	int			 rc = 1;

	if ((k = token_key_load(path)) == NULL) {
		fprintf(stderr, "library-admin: cannot load the key set %s\n",
		    path);
		return 1;
	}
	if (strcmp(argv[2], "list") == 0 && argc == 3) {
		n = token_key_count(k);
		for (i = 0; i < n; i++)
			printf("%s%s\n", token_key_id(k, i),
			    i + 1 == n ? "\tsigning" : "");
		rc = 0;
	} else if (strcmp(argv[2], "rotate") == 0 && argc == 3) {
		if (token_key_rotate(k) == 0 && token_key_save(k, path) == 0) {
			printf("key %s added and signing; responders pick it "
			    "up on their next request\n",
			    token_key_id(k, token_key_count(k) - 1));
			rc = 0;
		}
	} else if (strcmp(argv[2], "retire") == 0 && argc == 4) {
		if (token_key_retire(k, argv[3]) == 0 &&
		    token_key_save(k, path) == 0) {
			printf("key %s retired: its tokens are refused now\n",
			    argv[3]);
			rc = 0;
		}
	} else
		usage();
	token_key_free(k);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct config	*cfg;
	struct store	*st = NULL;
	int		 rc = 1;

	log_init("library-admin");
	umask(077);	/* database, its journal and the secret: owner only */
	if (argc < 2)
		usage();
	if ((cfg = config_load()) == NULL)
		return 1;
	if (strcmp(argv[1], "init") == 0 && argc == 2) {
		rc = cmd_init(cfg);
		goto out;
	}
	if (strcmp(argv[1], "key") == 0 && argc >= 3) {
		rc = cmd_key(cfg, argc, argv);
		goto out;
	}
	if (strcmp(argv[1], "migrate") == 0 && argc == 2) {
		if ((st = store_open(config_db_path(cfg), 0)) != NULL) {
			printf("database %s at schema version %d\n",
			    config_db_path(cfg), STORE_SCHEMA_VERSION);
			rc = 0;
		}
		goto out;
	}
	if ((strcmp(argv[1], "backup") == 0 ||
	    strcmp(argv[1], "restore") == 0) && argc == 3) {
		if ((st = store_open(config_db_path(cfg), 0)) == NULL) {
			fprintf(stderr, "library-admin: cannot open database "
			    "%s\n", config_db_path(cfg));
			goto out;
		}
		if (argv[1][0] == 'b') {
			if (store_backup(st, argv[2]) == 0) {
				printf("database %s copied to %s\n",
				    config_db_path(cfg), argv[2]);
				rc = 0;
			}
		} else if (store_restore(st, argv[2]) == 0) {
			printf("database %s restored from %s\n",
			    config_db_path(cfg), argv[2]);
			rc = 0;
		}
		goto out;
	}
	if (strcmp(argv[1], "user") != 0 || argc < 3)
		usage();
	if ((st = store_open(config_db_path(cfg), 0)) == NULL) {
		fprintf(stderr, "library-admin: cannot open database %s "
		    "(run library-admin init first)\n", config_db_path(cfg));
		goto out;
	}
	if (strcmp(argv[2], "add") == 0 && argc == 4)
		rc = cmd_user_add(st, cfg, argv[3], 0);
	else if (strcmp(argv[2], "add") == 0 && argc == 5 &&
	    strcmp(argv[4], "--admin") == 0)
		rc = cmd_user_add(st, cfg, argv[3], 1);
	else if (strcmp(argv[2], "promote") == 0 && argc == 4) {
		enum store_rc r = store_user_set_admin(st, argv[3],
		    strlen(argv[3]), 1);

		if (r == STORE_NOTFOUND)
			fprintf(stderr, "library-admin: no such user\n");
		rc = r == STORE_OK ? 0 : 1;
	} else if ((strcmp(argv[2], "disable") == 0 ||
	    strcmp(argv[2], "enable") == 0) && argc == 4) {
		enum store_rc r = store_user_set_disabled(st, argv[3],
		    strlen(argv[3]), argv[2][0] == 'd');

		if (r == STORE_NOTFOUND)
			fprintf(stderr, "library-admin: no such user\n");
		rc = r == STORE_OK ? 0 : 1;
	} else if (strcmp(argv[2], "unlock") == 0 && argc == 4)
		rc = store_throttle_reset(st, 0, argv[3], strlen(argv[3])) ==
		    STORE_OK ? 0 : 1;
	else if (strcmp(argv[2], "list") == 0 && argc == 3)
		rc = store_user_list(st, print_user, NULL) == STORE_OK ? 0 : 1;
	else
		usage();
out:
	store_close(st);
	config_free(cfg);
	return rc;
}
