/*
 * t_migrate: a database written by the first released schema
 * (tests/fixtures/schema-v1.db, made by that version's code) is upgraded
 * in place by store_open, with every row intact; a database from a newer
 * schema is refused.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "password.h"
#include "store.h"
#include "tap.h"

static char dbpath[4096];

static int
copy_file(const char *from, const char *to)
{
	FILE	*in, *out;
	char	 buf[8192];
	size_t	 n;
	int	 rc = 0;

	if ((in = fopen(from, "rb")) == NULL)
		return -1;
	if ((out = fopen(to, "wb")) == NULL) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	fclose(in);
	if (fclose(out) != 0)
		rc = -1;
	return rc;
}

static void
cleanup(void)
{
	char	 p[4200];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

struct seen {
	int	 n;
	char	 names[8][256];
	int	 prize[8];
	int64_t	 ids[8];
};

static int
collect(void *arg, const struct author *a)
{
	struct seen	*s = arg;

	if (s->n < 8) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%.*s",
		    (int)a->name_len, a->name);
		s->prize[s->n] = a->booker_prize;
		s->ids[s->n] = a->id;
	}
	s->n++;
	return 0;
}

static int
user_version(const char *path)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	int		 v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "PRAGMA user_version", -1,
	    &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

int
main(void)
{
	const char	*src = getenv("top_srcdir"), *tmp = getenv("TMPDIR");
	char		 fixture[4096];
	struct store	*st;
	struct user	 u;
	struct author	 a = { 0 };
	struct seen	 seen;
	sqlite3		*db;

	snprintf(fixture, sizeof(fixture), "%s/tests/fixtures/schema-v1.db",
	    src != NULL ? src : ".");
	snprintf(dbpath, sizeof(dbpath), "%s/t_migrate-%ld.db",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", (long)getpid());
	if (access(fixture, R_OK) != 0) {
		skip(1, "fixture %s not found", fixture);
		return done_testing();
	}
	ok(copy_file(fixture, dbpath) == 0, "fixture copied");
	is_int(user_version(dbpath), 1, "fixture is schema version 1");

	st = store_open(dbpath, 0);
	ok(st != NULL, "store_open upgrades a version 1 database");
	if (st == NULL) {
		cleanup();
		return done_testing();
	}
	is_int(user_version(dbpath), STORE_SCHEMA_VERSION,
	    "user_version is now %d", STORE_SCHEMA_VERSION);

	/* Users and their password hashes survived. */
	is_int(store_user_by_name(st, "fixture-admin", 13, &u), STORE_OK,
	    "fixture-admin is there");
	ok(u.admin == 1 && u.disabled == 0 && u.tokens_valid_after == 0,
	    "fixture-admin: admin, enabled, no password change yet");
	ok(password_verify("fixture-password", 16, u.hash),
	    "fixture-admin's v1 hash still verifies");
	is_int(store_user_by_name(st, "fixture-reader", 14, &u), STORE_OK,
	    "fixture-reader is there");
	ok(u.admin == 0, "fixture-reader is not an admin");

	/* The three authors, byte for byte, in id order. */
	memset(&seen, 0, sizeof(seen));
	is_int(store_author_list(st, u.id, 100, 0, collect, &seen), STORE_OK,
	    "fixture-reader's authors list");
	is_int(seen.n, 3, "three authors kept");
	is_str(seen.names[0], "Hilary Mantel", "author 1 name");
	is_int(seen.prize[0], 1, "author 1 booker_prize");
	is_str(seen.names[1], "Arundhati Roy", "author 2 name");
	is_str(seen.names[2], "Robert'); DROP TABLE authors;--",
	    "author 3 name with SQL text");
	is_int(seen.ids[2], 3, "ids kept");

	/* After the upgrade, a deleted highest id is not handed out again. */
	is_int(store_author_delete(st, u.id, 3), STORE_OK, "delete id 3");
	a.name = "New";
	a.name_len = 3;
	a.book = "Book";
	a.book_len = 4;
	a.country = "X";
	a.country_len = 1;
	is_int(store_author_insert(st, u.id, &a), STORE_OK, "insert after it");
	ok(a.id > 3, "new id %lld is above the deleted 3", (long long)a.id);
	store_close(st);

	/* Reopening does no schema work and keeps the version. */
	st = store_open(dbpath, 0);
	ok(st != NULL, "reopen the upgraded database");
	store_close(st);

	/* A newer schema than this program knows is refused. */
	ok(sqlite3_open(dbpath, &db) == SQLITE_OK &&
	    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL) ==
	    SQLITE_OK, "set user_version 99");
	sqlite3_close(db);
	st = store_open(dbpath, 0);
	ok(st == NULL, "a version 99 database is refused");
	store_close(st);
	is_int(user_version(dbpath), 99, "and left untouched");
	cleanup();
	return done_testing();
}
