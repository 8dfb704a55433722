/*
 * t_store.c: unit tests for store.c against a temporary SQLite file:
 * open/create/reopen and the schema version (a newer schema is
 * refused), users (unique name and public_id, admin flag, listing
 * without hashes), authors with ownership inside the SQL (another
 * user's row is NOTFOUND for get, update and delete), UNIQUE (user,
 * name) and (user, book) as STORE_CONFLICT, paging by id, and byte-exact
 * round trips of quotes, emoji and length-delimited strings.
 * Schema v2: the token check in one statement (store_user_auth with a
 * revoked jti), password change with tokens_valid_after, disabling,
 * revocation with pruning of expired entries, login throttling per name
 * and per address in fixed windows (retry_after values, window expiry,
 * resets) and AUTOINCREMENT author ids (never reused after a delete).
 * Reliability: a write lock held by another connection gives STORE_BUSY
 * after the busy timeout (and a reader is not blocked), every write takes
 * the lock up front, store_stale notices a deleted or replaced file, a
 * read-only file is refused, backup makes a checked copy and restore
 * brings one back (refusing what is not a library database).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "util.h"
#include "tap.h"

static char	 dir[4096];

/* path of name inside the temporary directory (static buffer). */
static const char *
in_dir(const char *name)
{
	static char	 p[2][4200];
	static int	 k;

	k ^= 1;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static void
remove_db(const char *name)
{
	char	 p[4300];

	snprintf(p, sizeof(p), "%s", in_dir(name));
	unlink(p);
	snprintf(p, sizeof(p), "%s-wal", in_dir(name));
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", in_dir(name));
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", in_dir(name));
	unlink(p);
}

/* An integer from one SQL query with the raw SQLite API; -1 on error. */
static long long
sql_int(const char *path, const char *sql)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	long long	 v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &s, NULL) ==
	    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* A copy of one author row, as the callbacks hand it out. */
struct row {
	int64_t	 id;
	char	 name[512], book[1024], country[512];
	size_t	 name_len, book_len, country_len;
	int	 booker_prize;
};

struct rows {
	struct row	 r[16];
	size_t		 n;
	size_t		 stop_after;	/* 0: never stop */
};

static int
collect(void *arg, const struct author *a)
{
	struct rows	*rs = arg;
	struct row	*r;

	if (rs->n == sizeof(rs->r) / sizeof(rs->r[0]))
		return 1;
	r = &rs->r[rs->n++];
	r->id = a->id;
	r->name_len = a->name_len < sizeof(r->name) ? a->name_len : 0;
	memcpy(r->name, a->name, r->name_len);
	r->book_len = a->book_len < sizeof(r->book) ? a->book_len : 0;
	memcpy(r->book, a->book, r->book_len);
	r->country_len = a->country_len < sizeof(r->country) ?
	    a->country_len : 0;
	memcpy(r->country, a->country, r->country_len);
	r->booker_prize = a->booker_prize;
	return rs->stop_after != 0 && rs->n >= rs->stop_after;
}

static struct author
mk(const char *name, const char *book, const char *country, int bp)
{
	struct author	 a;

	memset(&a, 0, sizeof(a));
	a.name = name;
	a.name_len = strlen(name);
	a.book = book;
	a.book_len = strlen(book);
	a.country = country;
	a.country_len = strlen(country);
	a.booker_prize = bp;
	return a;
}

/* Does row r hold exactly a's values? */
static int
same(const struct row *r, const struct author *a)
{
	return r->name_len == a->name_len &&
	    memcmp(r->name, a->name, a->name_len) == 0 &&
	    r->book_len == a->book_len &&
	    memcmp(r->book, a->book, a->book_len) == 0 &&
	    r->country_len == a->country_len &&
	    memcmp(r->country, a->country, a->country_len) == 0 &&
	    r->booker_prize == (a->booker_prize != 0);
}

static enum store_rc
get(struct store *st, int64_t uid, int64_t id, struct rows *rs)
{
	memset(rs, 0, sizeof(*rs));
	return store_author_get(st, uid, id, collect, rs);
}

static void
test_open(void)
{
	struct store	*st;
	sqlite3		*db;

	remove_db("new.db");
	ok(store_open(in_dir("new.db"), 0) == NULL,
	    "open create=0 on a missing file fails");
	ok(access(in_dir("new.db"), F_OK) == -1,
	    "... and does not create it");
	st = store_open(in_dir("new.db"), 1);
	ok(st != NULL, "open create=1 creates the database");
	store_close(st);
	is_int(sql_int(in_dir("new.db"), "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION, "schema version is %d", STORE_SCHEMA_VERSION);
	st = store_open(in_dir("new.db"), 0);
	ok(st != NULL, "reopen create=0 works");
	store_close(st);
	st = store_open(in_dir("new.db"), 1);
	ok(st != NULL, "reopen create=1 works (no second migration)");
	store_close(st);
	is_int(sql_int(in_dir("new.db"), "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION, "schema version unchanged after reopening");
	is_int(sql_int(in_dir("new.db"), "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name IN ('users', 'authors')"), 2,
	    "tables users and authors exist");
	is_int(sql_int(in_dir("new.db"), "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name IN ('revoked_tokens', "
	    "'login_failures')"), 2,
	    "v2 tables revoked_tokens and login_failures exist");
	is_int(sql_int(in_dir("new.db"), "SELECT count(*) FROM "
	    "pragma_table_info('users') WHERE name IN ('disabled', "
	    "'tokens_valid_after')"), 2,
	    "users has the v2 columns disabled and tokens_valid_after");
	is_int(sql_int(in_dir("new.db"), "SELECT count(*) FROM sqlite_master "
	    "WHERE name = 'authors' AND sql LIKE '%AUTOINCREMENT%'"), 1,
	    "authors.id is AUTOINCREMENT");
	remove_db("new.db");

	/* A schema newer than this program's is refused. */
	remove_db("v99.db");
	if (sqlite3_open(in_dir("v99.db"), &db) == SQLITE_OK) {
		sqlite3_exec(db, "CREATE TABLE x (a); PRAGMA user_version = 99;",
		    NULL, NULL, NULL);
		sqlite3_close(db);
		ok(store_open(in_dir("v99.db"), 0) == NULL,
		    "user_version 99 is refused");
		ok(store_open(in_dir("v99.db"), 1) == NULL,
		    "user_version 99 is refused with create=1 too");
		is_int(sql_int(in_dir("v99.db"), "PRAGMA user_version"), 99,
		    "the newer database is left alone");
	} else
		skip(3, "sqlite3_open failed");
	remove_db("v99.db");

	/* A file that is not a database. */
	{
		FILE *f = fopen(in_dir("junk.db"), "w");

		if (f != NULL) {
			fputs("this is not an SQLite database, just text that "
			    "is long enough to have a header of 100 bytes "
			    "...........................................\n", f);
			fclose(f);
			ok(store_open(in_dir("junk.db"), 0) == NULL,
			    "a text file is refused");
		} else
			skip(1, "cannot write junk.db");
		remove_db("junk.db");
	}
}

struct ulist {
	char	 pid[4][37];
	char	 name[4][64];
	int	 admin[4];
	int	 n;
	int	 saw_hash;
	int	 stop;
};

static int
list_user(void *arg, const char *public_id, const char *name, int admin)
{
	struct ulist	*u = arg;

	if (u->n < 4) {
		snprintf(u->pid[u->n], sizeof(u->pid[0]), "%s", public_id);
		snprintf(u->name[u->n], sizeof(u->name[0]), "%s", name);
		u->admin[u->n] = admin;
	}
	if (strstr(public_id, "$y$") != NULL || strstr(name, "$y$") != NULL)
		u->saw_hash = 1;
	u->n++;
	return u->stop;
}

#define PID1 "11111111-1111-4111-8111-111111111111"
#define PID2 "22222222-2222-4222-8222-222222222222"
#define PID3 "33333333-3333-4333-8333-333333333333"
#define HASH1 "$y$j9T$salt1$hashhashhashhashhashhashhashhashhash1"
#define HASH2 "$y$j9T$salt2$hashhashhashhashhashhashhashhashhash2"

static void
test_users(struct store *st, int64_t *u1, int64_t *u2, int64_t *u3)
{
	struct user	 u;
	struct ulist	 l;

	is_int(store_user_insert(st, PID1, "alice", 5, HASH1, 0), STORE_OK,
	    "insert user alice");
	is_int(store_user_insert(st, PID2, "bobxyz", 3, HASH2, 1), STORE_OK,
	    "insert user bob (name_len 3 of \"bobxyz\")");
	is_int(store_user_insert(st, PID3, "alice", 5, HASH2, 0),
	    STORE_CONFLICT, "duplicate name -> STORE_CONFLICT");
	is_int(store_user_insert(st, PID1, "carol", 5, HASH2, 0),
	    STORE_CONFLICT, "duplicate public_id -> STORE_CONFLICT");
	is_int(store_user_insert(st, PID3, "carol", 5, HASH2, 0), STORE_OK,
	    "insert user carol");

	memset(&u, 0, sizeof(u));
	is_int(store_user_by_name(st, "alice", 5, &u), STORE_OK,
	    "alice by name");
	ok(u.id > 0, "alice has an id");
	*u1 = u.id;
	is_str(u.public_id, PID1, "alice public_id");
	is_str(u.name, "alice", "alice name");
	is_str(u.hash, HASH1, "by_name returns the hash (for login)");
	is_int(u.admin, 0, "alice not admin");
	memset(&u, 0, sizeof(u));
	is_int(store_user_by_name(st, "bob", 3, &u), STORE_OK,
	    "bob by name (stored with name_len)");
	*u2 = u.id;
	is_str(u.name, "bob", "bob's name is 3 bytes");
	is_int(u.admin, 1, "bob admin");
	ok(*u1 != *u2, "distinct ids");
	memset(&u, 0, sizeof(u));
	is_int(store_user_by_name(st, "carolxx", 5, &u), STORE_OK,
	    "carol by name_len 5 of \"carolxx\"");
	*u3 = u.id;
	is_int(store_user_by_name(st, "bobxyz", 6, &u), STORE_NOTFOUND,
	    "\"bobxyz\" was never stored");
	is_int(store_user_by_name(st, "Alice", 5, &u), STORE_NOTFOUND,
	    "names are case-sensitive");
	is_int(store_user_by_name(st, "nobody", 6, &u), STORE_NOTFOUND,
	    "unknown name -> STORE_NOTFOUND");
	is_int(store_user_by_name(st, "alice' OR '1'='1", 16, &u),
	    STORE_NOTFOUND, "name is bound, not spliced into SQL");

	memset(&u, 'Z', sizeof(u));
	is_int(store_user_by_public_id(st, PID1, &u), STORE_OK,
	    "alice by public_id");
	is_int(u.id, *u1, "same id by public_id");
	is_str(u.name, "alice", "same name by public_id");
	is_str(u.hash, "", "by_public_id leaves the hash empty");
	is_int(store_user_by_public_id(st,
	    "00000000-0000-4000-8000-000000000000", &u), STORE_NOTFOUND,
	    "unknown public_id -> STORE_NOTFOUND");

	is_int(store_user_set_admin(st, "alice", 5, 1), STORE_OK,
	    "set alice admin");
	store_user_by_name(st, "alice", 5, &u);
	is_int(u.admin, 1, "alice is admin now");
	is_int(store_user_set_admin(st, "alice", 5, 0), STORE_OK,
	    "unset alice admin");
	store_user_by_name(st, "alice", 5, &u);
	is_int(u.admin, 0, "alice is not admin again");
	is_int(store_user_set_admin(st, "nobody", 6, 1), STORE_NOTFOUND,
	    "set_admin on an unknown user -> STORE_NOTFOUND");

	memset(&l, 0, sizeof(l));
	is_int(store_user_list(st, list_user, &l), STORE_OK, "user_list");
	is_int(l.n, 3, "three users listed");
	ok(l.n >= 3 && strcmp(l.name[0], "alice") == 0 &&
	    strcmp(l.name[1], "bob") == 0 && strcmp(l.name[2], "carol") == 0,
	    "listed in id order with their names");
	ok(l.n >= 3 && strcmp(l.pid[0], PID1) == 0 &&
	    strcmp(l.pid[1], PID2) == 0 && strcmp(l.pid[2], PID3) == 0,
	    "listed with their public_ids");
	ok(l.n >= 3 && l.admin[0] == 0 && l.admin[1] == 1 && l.admin[2] == 0,
	    "listed with their admin flags");
	ok(!l.saw_hash, "no hash is handed to the list callback");
	memset(&l, 0, sizeof(l));
	l.stop = 1;
	is_int(store_user_list(st, list_user, &l), STORE_ERROR,
	    "user_list stopped by the callback -> STORE_ERROR");
	is_int(l.n, 1, "the callback was called once");
}

static void
test_authors(struct store *st, int64_t u1, int64_t u2, int64_t u3)
{
	struct author	 a1, a2, a3, b1, x, ins[5];
	struct rows	 rs;
	static const char quotes[] = "O'Brien \"the\" '); DROP TABLE authors;"
	    " --";
	static const char emoji[] = "\xf0\x9f\x98\x80 \xc3\x9cn\xc3\xaf"
	    "c\xc3\xb8" "d\xc3\xa9 \xe2\x82\xac \xe4\xb8\xad";
	char		 name[32];
	int		 i;

	a1 = mk("Hilary Mantel", "Wolf Hall", "UK", 1);
	is_int(store_author_insert(st, u1, &a1), STORE_OK,
	    "insert author for alice");
	ok(a1.id > 0, "the insert sets a->id");
	is_int(get(st, u1, a1.id, &rs), STORE_OK, "alice gets her author");
	ok(rs.n == 1 && rs.r[0].id == a1.id && same(&rs.r[0], &a1),
	    "the row round-trips");

	/* Ownership: bob sees nothing of alice's. */
	is_int(get(st, u2, a1.id, &rs), STORE_NOTFOUND,
	    "bob cannot get alice's author");
	is_int(rs.n, 0, "... and the callback is not called");
	x = mk("Mallory", "Evil", "XX", 0);
	x.id = a1.id;
	is_int(store_author_update(st, u2, &x), STORE_NOTFOUND,
	    "bob cannot update alice's author");
	is_int(store_author_delete(st, u2, a1.id), STORE_NOTFOUND,
	    "bob cannot delete alice's author");
	is_int(get(st, u1, a1.id, &rs), STORE_OK, "alice's author is intact");
	ok(rs.n == 1 && same(&rs.r[0], &a1), "... unchanged");
	is_int(get(st, u1, 0, &rs), STORE_NOTFOUND, "id 0 -> NOTFOUND");
	is_int(get(st, u1, -1, &rs), STORE_NOTFOUND, "id -1 -> NOTFOUND");
	is_int(get(st, u1, a1.id + 1000, &rs), STORE_NOTFOUND,
	    "unknown id -> NOTFOUND");

	/* UNIQUE (user_id, name) and (user_id, book). */
	a2 = mk("Hilary Mantel", "Bring Up the Bodies", "UK", 1);
	is_int(store_author_insert(st, u1, &a2), STORE_CONFLICT,
	    "same name for the same user -> STORE_CONFLICT");
	a2 = mk("Someone Else", "Wolf Hall", "UK", 0);
	is_int(store_author_insert(st, u1, &a2), STORE_CONFLICT,
	    "same book for the same user -> STORE_CONFLICT");
	b1 = mk("Hilary Mantel", "Wolf Hall", "UK", 1);
	is_int(store_author_insert(st, u2, &b1), STORE_OK,
	    "same name and book for another user is fine");
	ok(b1.id != a1.id, "... as a row of its own");
	a2 = mk("Kazuo Ishiguro", "The Remains of the Day", "UK", 1);
	is_int(store_author_insert(st, u1, &a2), STORE_OK,
	    "a second author for alice");

	/* Update: full replace; conflicts and unknown ids. */
	x = mk("Hilary Mary Mantel", "Wolf Hall", "United Kingdom", 0);
	x.id = a1.id;
	is_int(store_author_update(st, u1, &x), STORE_OK,
	    "alice updates her author");
	is_int(get(st, u1, a1.id, &rs), STORE_OK, "get after update");
	ok(rs.n == 1 && same(&rs.r[0], &x), "every field replaced");
	x = mk("Kazuo Ishiguro", "Something New", "UK", 0);
	x.id = a1.id;
	is_int(store_author_update(st, u1, &x), STORE_CONFLICT,
	    "update to another row's name -> STORE_CONFLICT");
	x = mk("New Name", "The Remains of the Day", "UK", 0);
	x.id = a1.id;
	is_int(store_author_update(st, u1, &x), STORE_CONFLICT,
	    "update to another row's book -> STORE_CONFLICT");
	x = mk("Hilary Mary Mantel", "Wolf Hall", "United Kingdom", 0);
	x.id = a1.id;
	is_int(store_author_update(st, u1, &x), STORE_OK,
	    "update to the same values is fine");
	x.id = a1.id + 1000;
	is_int(store_author_update(st, u1, &x), STORE_NOTFOUND,
	    "update of an unknown id -> STORE_NOTFOUND");

	/* booker_prize is stored as 0/1. */
	a3 = mk("Prize", "Flag", "Z", 7);
	is_int(store_author_insert(st, u1, &a3), STORE_OK,
	    "insert with booker_prize 7");
	get(st, u1, a3.id, &rs);
	ok(rs.n == 1 && rs.r[0].booker_prize == 1, "read back as 1");

	/* Bytes round-trip exactly: quotes, UTF-8, embedded lengths. */
	a3 = mk(quotes, emoji, "C\xc3\xb4te d'Ivoire", 0);
	is_int(store_author_insert(st, u1, &a3), STORE_OK,
	    "insert quotes and UTF-8");
	get(st, u1, a3.id, &rs);
	ok(rs.n == 1, "get it back");
	if (rs.n == 1) {
		is_mem(rs.r[0].name, rs.r[0].name_len, quotes,
		    sizeof(quotes) - 1, "SQL-looking quotes byte for byte");
		is_mem(rs.r[0].book, rs.r[0].book_len, emoji,
		    sizeof(emoji) - 1, "emoji and accents byte for byte");
	}
	a3 = mk("Len", "Delimited", "Country", 0);
	a3.name = "Len|not this";
	a3.name_len = 3;
	a3.book = "Delimited|nor this";
	a3.book_len = 9;
	is_int(store_author_insert(st, u1, &a3), STORE_OK,
	    "insert length-delimited strings");
	get(st, u1, a3.id, &rs);
	ok(rs.n == 1 && rs.r[0].name_len == 3 &&
	    memcmp(rs.r[0].name, "Len", 3) == 0 && rs.r[0].book_len == 9 &&
	    memcmp(rs.r[0].book, "Delimited", 9) == 0,
	    "only name_len/book_len bytes are stored");

	/* Delete. */
	is_int(store_author_delete(st, u1, a2.id), STORE_OK,
	    "alice deletes an author");
	is_int(get(st, u1, a2.id, &rs), STORE_NOTFOUND, "gone after delete");
	is_int(store_author_delete(st, u1, a2.id), STORE_NOTFOUND,
	    "deleting again -> STORE_NOTFOUND");
	is_int(get(st, u2, b1.id, &rs), STORE_OK,
	    "bob's author is untouched by alice's changes");
	ok(rs.n == 1 && same(&rs.r[0], &b1), "... unchanged");

	/* Foreign key: no author for a user that does not exist. */
	x = mk("Ghost", "Ghost Book", "Nowhere", 0);
	ok(store_author_insert(st, u1 + u2 + u3 + 1000, &x) != STORE_OK,
	    "an author for an unknown user id is refused");

	/* Paging for carol: by id, limit and offset. */
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "Author %d", i);
		ins[i] = mk(name, name, "C", i & 1);
		/* mk points into name: give each its own copy */
		ins[i].name = strdup(name);
		ins[i].book = ins[i].name;
		if (store_author_insert(st, u3, &ins[i]) != STORE_OK)
			diag("insert %d failed", i);
	}
	ok(ins[0].id < ins[1].id && ins[1].id < ins[2].id &&
	    ins[2].id < ins[3].id && ins[3].id < ins[4].id,
	    "five authors for carol, ids increasing");
	memset(&rs, 0, sizeof(rs));
	is_int(store_author_list(st, u3, 100, 0, collect, &rs), STORE_OK,
	    "list carol's authors");
	ok(rs.n == 5 && rs.r[0].id == ins[0].id && rs.r[4].id == ins[4].id &&
	    same(&rs.r[2], &ins[2]), "all five, in id order, with values");
	memset(&rs, 0, sizeof(rs));
	store_author_list(st, u3, 2, 0, collect, &rs);
	ok(rs.n == 2 && rs.r[0].id == ins[0].id && rs.r[1].id == ins[1].id,
	    "limit 2 offset 0: the first two");
	memset(&rs, 0, sizeof(rs));
	store_author_list(st, u3, 2, 2, collect, &rs);
	ok(rs.n == 2 && rs.r[0].id == ins[2].id && rs.r[1].id == ins[3].id,
	    "limit 2 offset 2: the third and fourth");
	memset(&rs, 0, sizeof(rs));
	store_author_list(st, u3, 2, 4, collect, &rs);
	ok(rs.n == 1 && rs.r[0].id == ins[4].id, "limit 2 offset 4: the last");
	memset(&rs, 0, sizeof(rs));
	is_int(store_author_list(st, u3, 2, 5, collect, &rs), STORE_OK,
	    "offset past the end is OK");
	is_int(rs.n, 0, "... with no rows");
	memset(&rs, 0, sizeof(rs));
	store_author_list(st, u2, 100, 0, collect, &rs);
	ok(rs.n == 1 && rs.r[0].id == b1.id, "bob lists only his own author");
	memset(&rs, 0, sizeof(rs));
	is_int(store_author_list(st, u1 + u2 + u3 + 1000, 100, 0, collect,
	    &rs), STORE_OK, "a user without authors lists OK");
	is_int(rs.n, 0, "... and nothing");
	memset(&rs, 0, sizeof(rs));
	rs.stop_after = 2;
	is_int(store_author_list(st, u3, 100, 0, collect, &rs), STORE_ERROR,
	    "list stopped by the callback -> STORE_ERROR");
	is_int(rs.n, 2, "... after two rows");
	/* The store still works after a stopped listing. */
	memset(&rs, 0, sizeof(rs));
	is_int(store_author_list(st, u3, 100, 0, collect, &rs), STORE_OK,
	    "list again after a stop");
	is_int(rs.n, 5, "... all five");
	for (i = 0; i < 5; i++)
		free((char *)ins[i].name);
}


#define JTI1 "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define JTI2 "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define JTI3 "cccccccc-cccc-4ccc-8ccc-cccccccccccc"

/* Schema v2 on users: auth, password change, disabling, revocation. */
static void
test_users_v2(struct store *st, const char *db, int64_t u1)
{
	struct user	 u;
	int64_t		 before, after, cut;

	memset(&u, 'Z', sizeof(u));
	is_int(store_user_auth(st, PID1, JTI1, &u), STORE_OK,
	    "user_auth: alice with a fresh jti");
	is_int(u.id, u1, "user_auth: alice's id");
	is_str(u.name, "alice", "user_auth: alice's name");
	is_str(u.public_id, PID1, "user_auth: alice's public_id");
	is_str(u.hash, "", "user_auth leaves the hash empty");
	is_int(u.revoked, 0, "user_auth: jti not revoked");
	is_int(u.disabled, 0, "user_auth: not disabled");
	is_int(u.tokens_valid_after, 0, "user_auth: tokens_valid_after 0 "
	    "for a new user");
	is_int(store_user_auth(st, "00000000-0000-4000-8000-000000000000",
	    JTI1, &u), STORE_NOTFOUND, "user_auth: unknown public_id -> "
	    "STORE_NOTFOUND");

	/* Revocation. */
	is_int(store_token_revoke(st, JTI1, 5000, 1000), STORE_OK,
	    "token_revoke JTI1 until 5000");
	memset(&u, 0, sizeof(u));
	is_int(store_user_auth(st, PID1, JTI1, &u), STORE_OK,
	    "user_auth after the revocation");
	is_int(u.revoked, 1, "... says JTI1 is revoked");
	memset(&u, 0, sizeof(u));
	store_user_auth(st, PID1, JTI2, &u);
	is_int(u.revoked, 0, "another jti of the same user is not revoked");
	memset(&u, 0, sizeof(u));
	store_user_auth(st, PID2, JTI1, &u);
	is_int(u.revoked, 1, "a revoked jti is revoked whoever presents it");
	is_int(store_token_revoke(st, JTI1, 5000, 1000), STORE_OK,
	    "revoking the same jti twice is fine");
	is_int(sql_int(db, "SELECT count(*) FROM revoked_tokens"), 1,
	    "... and stores it once");
	/* Pruning: entries whose expires_at is past go on the next revoke. */
	is_int(store_token_revoke(st, JTI2, 100, 50), STORE_OK,
	    "token_revoke JTI2 until 100 (now 50)");
	is_int(sql_int(db, "SELECT count(*) FROM revoked_tokens"), 2,
	    "two revoked tokens stored");
	is_int(store_token_revoke(st, JTI3, 9000, 200), STORE_OK,
	    "token_revoke JTI3 at now 200");
	is_int(sql_int(db, "SELECT count(*) FROM revoked_tokens WHERE jti = '"
	    JTI2 "'"), 0, "JTI2 (expired at 100) was pruned at 200");
	is_int(sql_int(db, "SELECT count(*) FROM revoked_tokens WHERE jti IN "
	    "('" JTI1 "', '" JTI3 "')"), 2,
	    "JTI1 and JTI3 (not yet expired) kept");
	is_int(store_token_revoke(st, JTI2, 300, 5000), STORE_OK,
	    "revoke at now 5000 (JTI1 expires at 5000: exactly then)");
	is_int(sql_int(db, "SELECT count(*) FROM revoked_tokens WHERE jti = '"
	    JTI1 "'"), 1, "JTI1 with expires_at == now is still kept");
	is_int(store_token_revoke(st, JTI2, 300, 5001), STORE_OK,
	    "revoke at now 5001");
	is_int(sql_int(db, "SELECT count(*) FROM revoked_tokens WHERE jti = '"
	    JTI1 "'"), 0, "JTI1 pruned once expires_at < now");

	/* Password change: the cut-off is the second after the UPDATE (read
	 * inside the write), or the given time when that is later. */
	before = util_now();
	is_int(store_user_set_password(st, u1, HASH2, 1234567), STORE_OK,
	    "set_password for alice");
	after = util_now();
	memset(&u, 0, sizeof(u));
	store_user_by_name(st, "alice", 5, &u);
	is_str(u.hash, HASH2, "the new hash is stored");
	ok(u.tokens_valid_after >= before + 1 &&
	    u.tokens_valid_after <= after + 1,
	    "tokens_valid_after set by set_password to the second after it "
	    "(%lld)", (long long)u.tokens_valid_after);
	cut = u.tokens_valid_after;
	memset(&u, 0, sizeof(u));
	store_user_auth(st, PID1, JTI3, &u);
	is_int(u.tokens_valid_after, cut, "... and seen by user_auth");
	/* A login right after the change dates its token to the cut-off;
	 * a second change in that same second must void that token too. */
	is_int(store_user_set_password(st, u1, HASH2, 0), STORE_OK,
	    "a second password change at once");
	memset(&u, 0, sizeof(u));
	store_user_by_name(st, "alice", 5, &u);
	ok(u.tokens_valid_after > cut, "... moves the cut-off past the first "
	    "one's (%lld > %lld)", (long long)u.tokens_valid_after,
	    (long long)cut);
	is_int(store_user_set_password(st, u1, HASH2, after + 1000), STORE_OK,
	    "set_password with a later given cut-off");
	store_user_by_name(st, "alice", 5, &u);
	is_int(u.tokens_valid_after, after + 1000,
	    "the later given cut-off wins");
	is_int(store_user_set_password(st, u1 + 100000, HASH1, 1),
	    STORE_NOTFOUND, "set_password of an unknown id -> STORE_NOTFOUND");
	memset(&u, 0, sizeof(u));
	store_user_by_name(st, "bob", 3, &u);
	is_str(u.hash, HASH2, "bob's hash untouched");
	is_int(u.tokens_valid_after, 0, "bob's tokens_valid_after untouched");
	is_int(store_user_set_password(st, u1, HASH1, 0), STORE_OK,
	    "alice's hash back");

	/* Disabling. */
	memset(&u, 0, sizeof(u));
	store_user_by_name(st, "alice", 5, &u);
	cut = u.tokens_valid_after;
	is_int(store_user_set_disabled(st, "alice", 5, 1), STORE_OK,
	    "disable alice");
	memset(&u, 0, sizeof(u));
	store_user_by_name(st, "alice", 5, &u);
	ok(u.tokens_valid_after > cut, "disabling moves the cut-off past the "
	    "last one, even one ahead of the clock (%lld > %lld)",
	    (long long)u.tokens_valid_after, (long long)cut);
	memset(&u, 0, sizeof(u));
	store_user_by_name(st, "alice", 5, &u);
	is_int(u.disabled, 1, "by_name: alice is disabled");
	memset(&u, 0, sizeof(u));
	store_user_auth(st, PID1, JTI2, &u);
	is_int(u.disabled, 1, "user_auth: alice is disabled");
	memset(&u, 0, sizeof(u));
	store_user_by_public_id(st, PID2, &u);
	is_int(u.disabled, 0, "bob is not");
	is_int(store_user_set_disabled(st, "alice", 5, 0), STORE_OK,
	    "enable alice");
	memset(&u, 0, sizeof(u));
	store_user_auth(st, PID1, JTI2, &u);
	is_int(u.disabled, 0, "alice is enabled again");
	is_int(store_user_set_disabled(st, "nobody", 6, 1), STORE_NOTFOUND,
	    "disable an unknown user -> STORE_NOTFOUND");
	is_int(store_user_set_disabled(st, "alicex", 5, 1), STORE_OK,
	    "set_disabled uses name_len (5 of \"alicex\")");
	store_user_set_disabled(st, "alice", 5, 0);
}

/* Login throttling in fixed windows. */
static void
test_throttle(struct store *st, const char *db)
{
	int64_t	 ra = -1;
	int	 i, allfine;
	char	 nm[16];

#define CHECK(name, addr, now, mn, ma) (ra = -1, store_throttle_check(st, \
	name, strlen(name), addr, now, 60, mn, ma, &ra))

	is_int(CHECK("eve", "192.0.2.1", 1000, 3, 5), STORE_OK,
	    "throttle_check with no failures");
	is_int(ra, 0, "... retry_after 0");
	is_int(store_throttle_fail(st, "eve", 3, "192.0.2.1", 1000, 60),
	    STORE_OK, "throttle_fail eve at 1000");
	store_throttle_fail(st, "eve", 3, "192.0.2.1", 1010, 60);
	CHECK("eve", "192.0.2.1", 1015, 3, 5);
	is_int(ra, 0, "two failures of 3 allowed: not throttled");
	store_throttle_fail(st, "eve", 3, "192.0.2.1", 1020, 60);
	is_int(sql_int(db, "SELECT failures FROM login_failures WHERE kind = 0 "
	    "AND key = 'eve'"), 3, "three failures counted for the name");
	is_int(sql_int(db, "SELECT window_start FROM login_failures WHERE "
	    "kind = 0 AND key = 'eve'"), 1000,
	    "the window starts at the first failure");
	is_int(CHECK("eve", "192.0.2.99", 1030, 3, 5), STORE_OK,
	    "check after the third failure");
	is_int(ra, 30, "throttled by name: retry_after 30 (1000 + 60 - 1030)");
	CHECK("eve", "192.0.2.99", 1059, 3, 5);
	is_int(ra, 1, "retry_after 1 at the window's last second");
	CHECK("eve", "192.0.2.99", 1060, 3, 5);
	is_int(ra, 0, "window over at 1060: not throttled");
	CHECK("eve", "192.0.2.99", 1030, 4, 5);
	is_int(ra, 0, "with max 4, three failures do not throttle");
	CHECK("Eve", "192.0.2.99", 1030, 3, 5);
	is_int(ra, 0, "another name (case differs) is not throttled");
	/* A failure after the window starts a new one. */
	store_throttle_fail(st, "eve", 3, "192.0.2.1", 1070, 60);
	is_int(sql_int(db, "SELECT failures FROM login_failures WHERE kind = 0 "
	    "AND key = 'eve'"), 1, "a failure after the window counts 1 again");
	is_int(sql_int(db, "SELECT window_start FROM login_failures WHERE "
	    "kind = 0 AND key = 'eve'"), 1070, "... in a window from 1070");
	CHECK("eve", "192.0.2.99", 1071, 1, 5);
	is_int(ra, 59, "max 1: throttled at once, retry_after 59");
	is_int(store_throttle_reset(st, 0, "eve", 3), STORE_OK,
	    "throttle_reset of eve's name counter");
	CHECK("eve", "192.0.2.99", 1071, 1, 5);
	is_int(ra, 0, "not throttled after the reset");

	/* Per address: failures of different names add up. */
	for (i = 0, allfine = 1; i < 5; i++) {
		snprintf(nm, sizeof(nm), "n%d", i);
		if (store_throttle_fail(st, nm, strlen(nm), "198.51.100.7",
		    2000 + 10 * i, 60) != STORE_OK)
			allfine = 0;
	}
	ok(allfine, "five failures from one address under five names");
	is_int(sql_int(db, "SELECT failures FROM login_failures WHERE kind = 1 "
	    "AND key = '198.51.100.7'"), 5, "five counted for the address");
	CHECK("fresh", "198.51.100.7", 2045, 3, 5);
	is_int(ra, 15, "a fresh name from that address: retry_after 15 "
	    "(2000 + 60 - 2045)");
	CHECK("fresh", "198.51.100.8", 2045, 3, 5);
	is_int(ra, 0, "the same name from another address: not throttled");
	CHECK("fresh", "198.51.100.7", 2045, 3, 6);
	is_int(ra, 0, "address max 6: not yet");
	/* The worst counter wins. */
	store_throttle_fail(st, "mallory", 7, "203.0.113.1", 2030, 60);
	store_throttle_fail(st, "mallory", 7, "203.0.113.2", 2035, 60);
	store_throttle_fail(st, "mallory", 7, "203.0.113.3", 2040, 60);
	CHECK("mallory", "198.51.100.7", 2045, 3, 5);
	is_int(ra, 45, "name (until 2090) and address (until 2060) both "
	    "exhausted: retry_after is the later, 45");
	CHECK("n0", "198.51.100.7", 2045, 3, 5);
	is_int(ra, 15, "n0 (1 failure) from the exhausted address: 15");
	CHECK("mallory", "203.0.113.9", 2045, 3, 5);
	is_int(ra, 45, "mallory from an unused address: 45");
	is_int(store_throttle_reset(st, 1, "198.51.100.7", 12), STORE_OK,
	    "throttle_reset of the address counter");
	CHECK("fresh", "198.51.100.7", 2045, 3, 5);
	is_int(ra, 0, "the address is free again");
	CHECK("mallory", "198.51.100.7", 2045, 3, 5);
	is_int(ra, 45, "mallory's name counter survives the address reset");
	is_int(store_throttle_reset(st, 0, "nobody", 6), STORE_OK,
	    "reset of an absent counter is fine");
	/* Name bytes: bound with their length, no wildcards. */
	CHECK("m%", "203.0.113.9", 2045, 3, 5);
	is_int(ra, 0, "\"m%%\" is not mallory");
	ra = -1;
	store_throttle_check(st, "malloryX", 7, "203.0.113.9", 2045, 60, 3,
	    5, &ra);
	is_int(ra, 45, "name_len is honoured (7 of \"malloryX\")");
	/* Old windows are pruned by later failures. */
	store_throttle_fail(st, "late", 4, "192.0.2.200", 100000, 60);
	is_int(sql_int(db, "SELECT count(*) FROM login_failures WHERE "
	    "window_start <= 100000 - 60"), 0,
	    "a failure prunes every counter whose window is over");
	is_int(sql_int(db, "SELECT count(*) FROM login_failures"), 2,
	    "... leaving the new name and address counters");
#undef CHECK
}

/* AUTOINCREMENT: a deleted highest id is never handed out again. */
static void
test_autoincrement(struct store *st, int64_t uid)
{
	struct author	 a, b, c, d;

	a = mk("Auto One", "Auto Book One", "AI", 0);
	b = mk("Auto Two", "Auto Book Two", "AI", 0);
	c = mk("Auto Three", "Auto Book Three", "AI", 0);
	d = mk("Auto Four", "Auto Book Four", "AI", 0);
	if (store_author_insert(st, uid, &a) != STORE_OK ||
	    store_author_insert(st, uid, &b) != STORE_OK) {
		ok(0, "autoincrement: two inserts");
		return;
	}
	ok(b.id > a.id, "autoincrement: two authors");
	is_int(store_author_delete(st, uid, b.id), STORE_OK,
	    "autoincrement: delete the highest id %lld", (long long)b.id);
	is_int(store_author_insert(st, uid, &c), STORE_OK,
	    "autoincrement: insert another");
	ok(c.id > b.id, "autoincrement: the new id %lld is above the deleted "
	    "%lld (not reused)", (long long)c.id, (long long)b.id);
	/* Even after deleting every author of the table's highest ids. */
	store_author_delete(st, uid, c.id);
	store_author_delete(st, uid, a.id);
	is_int(store_author_insert(st, uid, &d), STORE_OK,
	    "autoincrement: insert after deleting them all");
	ok(d.id > c.id, "autoincrement: id %lld above every earlier one",
	    (long long)d.id);
	store_author_delete(st, uid, d.id);
}


static double
now_ms(void)
{
	struct timeval	 tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
}

static int
count_cb(void *arg, const struct author *a)
{
	(void)a;
	(*(int *)arg)++;
	return 0;
}

static void
test_reliability(void)
{
	struct store_opts	 o = { 200, STORE_SYNC_FULL };
	struct store		*st, *st2;
	struct author		 a;
	struct user		 u;
	sqlite3			*other = NULL;
	double			 t0, dt;
	int64_t			 late_id, t_restore;
	int			 n;

	remove_db("rel.db");
	remove_db("rel-copy.db");
	remove_db("rel-other.db");
	if (!ok((st = store_open_opts(in_dir("rel.db"), 1, &o)) != NULL,
	    "store_open_opts with a 200 ms busy timeout"))
		return;
	is_int(store_user_insert(st, "00000000-0000-4000-8000-000000000001",
	    "rel", 3, "$y$x", 0), STORE_OK, "a user");
	store_user_by_name(st, "rel", 3, &u);
	memset(&a, 0, sizeof(a));
	a.name = "A";
	a.name_len = 1;
	a.book = "B";
	a.book_len = 1;
	a.country = "C";
	a.country_len = 1;
	is_int(store_author_insert(st, u.id, &a), STORE_OK, "an author");

	/* Another program holds the write lock for longer than the timeout. */
	sqlite3_open(in_dir("rel.db"), &other);
	is_int(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK, "another connection takes the write lock");
	a.name = "A2";
	a.name_len = 2;
	a.book = "B2";
	a.book_len = 2;
	t0 = now_ms();
	is_int(store_author_insert(st, u.id, &a), STORE_BUSY,
	    "insert while locked: STORE_BUSY");
	dt = now_ms() - t0;
	ok(dt >= 150, "... after waiting about the busy timeout (%.0f ms)", dt);
	is_int(store_user_set_admin(st, "rel", 3, 1), STORE_BUSY,
	    "update while locked: STORE_BUSY");
	is_int(store_author_delete(st, u.id, a.id), STORE_BUSY,
	    "delete while locked: STORE_BUSY");
	n = 0;
	is_int(store_author_list(st, u.id, 10, 0, count_cb, &n), STORE_OK,
	    "a read while another holds the write lock: OK (WAL)");
	is_int(n, 1, "... and sees the committed row");
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	is_int(store_author_insert(st, u.id, &a), STORE_OK,
	    "insert once the lock is released: OK");

	/* Every write takes the lock up front: a write that starts while
	 * another connection reads an older snapshot still succeeds. */
	is_int(sqlite3_exec(other, "BEGIN; SELECT count(*) FROM authors;",
	    NULL, NULL, NULL), SQLITE_OK, "another connection reads");
	a.name = "A3";
	a.name_len = 2;
	a.book = "B3";
	a.book_len = 2;
	is_int(store_author_insert(st, u.id, &a), STORE_OK,
	    "insert while another connection holds a read: OK");
	sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(other);

	/* Backup while open, and restore. */
	is_int(store_backup(st, in_dir("rel-copy.db")), 0, "backup to a new file");
	is_int(sql_int(in_dir("rel-copy.db"), "SELECT count(*) FROM authors"),
	    3, "... the copy has the three authors");
	{
		struct stat sb;

		ok(stat(in_dir("rel-copy.db"), &sb) == 0 &&
		    (sb.st_mode & 077) == 0, "... and is mode 0600");
	}
	is_int(store_backup(st, in_dir("rel-copy.db")), -1,
	    "backup refuses to overwrite a file");
	is_int(store_author_delete(st, u.id, a.id), STORE_OK,
	    "delete an author after the backup");
	a.name = "A4";
	a.book = "B4";
	is_int(store_author_insert(st, u.id, &a), STORE_OK,
	    "create an author after the backup");
	late_id = a.id;
	st2 = store_open(in_dir("rel.db"), 0);
	t_restore = util_now();
	is_int(store_restore(st, in_dir("rel-copy.db")), 0,
	    "restore the backup into the open database");
	memset(&u, 0, sizeof(u));
	store_user_by_name(st, "rel", 3, &u);
	ok(u.tokens_valid_after > t_restore, "restore voids every token "
	    "issued before it (cut-off %lld > %lld)",
	    (long long)u.tokens_valid_after, (long long)t_restore);
	n = 0;
	if (st2 != NULL) {
		store_author_list(st2, u.id, 10, 0, count_cb, &n);
		is_int(n, 3, "another open connection sees the restored rows");
		store_close(st2);
	} else
		ok(0, "second connection");
	{
		FILE *f = fopen(in_dir("rel-other.db"), "w");

		if (f != NULL) {
			fputs("not a database, but long enough to look like one "
			    "to a careless reader ...................\n", f);
			fclose(f);
		}
	}
	is_int(store_restore(st, in_dir("rel-other.db")), -1,
	    "restore refuses a file that is not a database");
	remove_db("rel-other.db");
	sqlite3_open(in_dir("rel-other.db"), &other);
	sqlite3_exec(other, "CREATE TABLE t(x); PRAGMA user_version = 99",
	    NULL, NULL, NULL);
	sqlite3_close(other);
	is_int(store_restore(st, in_dir("rel-other.db")), -1,
	    "restore refuses a database of an unknown schema");
	is_int(sql_int(in_dir("rel.db"), "SELECT count(*) FROM authors"), 3,
	    "... and the database is untouched");
	a.name = "A5";
	a.book = "B5";
	is_int(store_author_insert(st, u.id, &a), STORE_OK,
	    "create an author after the restore");
	ok(a.id > late_id, "... whose id was never handed out, not even "
	    "after the backup (%lld > %lld)", (long long)a.id,
	    (long long)late_id);
	is_int(store_author_delete(st, u.id, a.id), STORE_OK,
	    "... and delete it");

	/* The file under the handle goes away, or is replaced. */
	is_int(store_stale(st), 0, "store_stale: 0 while the file is there");
	rename(in_dir("rel.db"), in_dir("rel-moved.db"));
	is_int(store_stale(st), 1, "store_stale: 1 once the file is gone");
	rename(in_dir("rel-moved.db"), in_dir("rel.db"));
	is_int(store_stale(st), 0, "store_stale: 0 when it is back");
	rename(in_dir("rel-copy.db"), in_dir("rel.db"));
	is_int(store_stale(st), 1, "store_stale: 1 once another file "
	    "replaced it");
	store_close(st);

	/* A file that cannot be written is refused at open (root can write
	 * a 0444 file, so only as another user). */
	if (geteuid() != 0) {
		chmod(in_dir("rel.db"), 0444);
		ok(store_open(in_dir("rel.db"), 0) == NULL,
		    "a read-only database file is refused");
		chmod(in_dir("rel.db"), 0644);
	} else
		skip(1, "as root every file can be written");
	remove_db("rel.db");
	remove_db("rel-copy.db");
	remove_db("rel-other.db");
	remove_db("rel-moved.db");
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");
	struct store	*st;
	int64_t		 u1 = 0, u2 = 0, u3 = 0;
	struct rows	 rs;

	snprintf(dir, sizeof(dir), "%s/t_store.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp %s: %s", dir, strerror(errno));
		return done_testing();
	}
	test_open();
	test_reliability();

	remove_db("lib.db");
	st = store_open(in_dir("lib.db"), 1);
	if (ok(st != NULL, "open the test database")) {
		test_users(st, &u1, &u2, &u3);
		test_authors(st, u1, u2, u3);
		test_users_v2(st, in_dir("lib.db"), u1);
		test_throttle(st, in_dir("lib.db"));
		test_autoincrement(st, u2);
		store_close(st);

		/* Everything is on disk: reopen and look. */
		st = store_open(in_dir("lib.db"), 0);
		ok(st != NULL, "reopen the test database");
		if (st != NULL) {
			struct user u;

			ok(store_user_by_name(st, "carol", 5, &u) == STORE_OK &&
			    u.id == u3, "carol is still there");
			memset(&rs, 0, sizeof(rs));
			store_author_list(st, u3, 100, 0, collect, &rs);
			is_int(rs.n, 5, "carol's five authors are still there");
			store_close(st);
		}
	}
	remove_db("lib.db");
	if (rmdir(dir) == -1)
		diag("rmdir %s: %s", dir, strerror(errno));
	return done_testing();
}
