/*
 * store.c: the SQLite store (see store.h). All SQL is in one table,
 * prepared once per process with SQLITE_PREPARE_PERSISTENT; every value
 * is bound; rows are handed out while current and the statement is reset
 * before returning, so no read transaction outlives a call.
 */
#include "config.h"

#include <sys/stat.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 5000	/* store_open's default */

enum stmt {
	STMT_USER_INSERT,
	STMT_USER_BY_NAME,
	STMT_USER_BY_PUBLIC_ID,
	STMT_USER_SET_ADMIN,
	STMT_USER_LIST,
	STMT_AUTHOR_INSERT,
	STMT_AUTHOR_GET,
	STMT_AUTHOR_UPDATE,
	STMT_AUTHOR_DELETE,
	STMT_AUTHOR_LIST,
	STMT_USER_AUTH,
	STMT_USER_SET_PASSWORD,
	STMT_USER_SET_DISABLED,
	STMT_TOKEN_REVOKE,
	STMT_TOKEN_PRUNE,
	STMT_THROTTLE_GET,
	STMT_THROTTLE_FAIL,
	STMT_THROTTLE_RESET,
	STMT_THROTTLE_PRUNE,
	STMT_THROTTLE_UNCOUNT,
	STMT__MAX
};

static const char *const stmt_sql[] = {
	[STMT_USER_INSERT] = "INSERT INTO users "
	    "(public_id, name, password, admin, created_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_USER_BY_NAME] = "SELECT id, public_id, name, password, admin, "
	    "disabled, tokens_valid_after FROM users WHERE name = ?1",
	/* Token checks never need the hash: it is not even read. */
	[STMT_USER_BY_PUBLIC_ID] = "SELECT id, public_id, name, '', admin, "
	    "disabled, tokens_valid_after FROM users WHERE public_id = ?1",
	/* One statement per authenticated request: the user and whether
	 * the token's id was revoked. */
	[STMT_USER_AUTH] = "SELECT id, public_id, name, '', admin, disabled, "
	    "tokens_valid_after, "
	    "EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?2) "
	    "FROM users WHERE public_id = ?1",
	[STMT_USER_SET_PASSWORD] = "UPDATE users SET password = ?1, "
	    "tokens_valid_after = max(tokens_valid_after + 1, ?2, "
	    "CAST(strftime('%s', 'now') AS INTEGER) + 1) WHERE id = ?3",
	/* Disabling also voids every token issued so far, so that enabling
	 * again does not bring them back. Both void more than the current
	 * cut-off: a login just after an earlier change in the same second
	 * dated its token to that cut-off (login.c). */
	[STMT_USER_SET_DISABLED] = "UPDATE users SET disabled = ?1, "
	    "tokens_valid_after = CASE WHEN ?1 THEN "
	    "max(tokens_valid_after + 1, ?3, "
	    "CAST(strftime('%s', 'now') AS INTEGER) + 1) "
	    "ELSE tokens_valid_after END WHERE name = ?2",
	[STMT_TOKEN_REVOKE] = "INSERT OR IGNORE INTO revoked_tokens "
	    "(jti, expires_at) VALUES (?1, ?2)",
	[STMT_TOKEN_PRUNE] = "DELETE FROM revoked_tokens WHERE expires_at < ?1",
	/* The worst counter among the name's and the address's, still in
	 * its window: (failures, window start) of each, by kind. */
	[STMT_THROTTLE_GET] = "SELECT kind, failures, window_start "
	    "FROM login_failures WHERE ((kind = 0 AND key = ?1) OR "
	    "(kind = 1 AND key = ?2)) AND window_start > ?3",
	[STMT_THROTTLE_FAIL] = "INSERT INTO login_failures "
	    "(kind, key, failures, window_start) VALUES (?1, ?2, 1, ?3) "
	    "ON CONFLICT (kind, key) DO UPDATE SET "
	    "failures = CASE WHEN window_start > ?4 THEN failures + 1 ELSE 1 END, "
	    "window_start = CASE WHEN window_start > ?4 THEN window_start "
	    "ELSE ?3 END",
	[STMT_THROTTLE_RESET] = "DELETE FROM login_failures "
	    "WHERE kind = ?1 AND key = ?2",
	[STMT_THROTTLE_PRUNE] = "DELETE FROM login_failures "
	    "WHERE window_start <= ?1",
	[STMT_THROTTLE_UNCOUNT] = "UPDATE login_failures "
	    "SET failures = failures - 1 WHERE kind = 1 AND key = ?1 "
	    "AND failures > 0",
	[STMT_USER_SET_ADMIN] = "UPDATE users SET admin = ?1 WHERE name = ?2",
	[STMT_USER_LIST] = "SELECT public_id, name, admin FROM users "
	    "ORDER BY id",
	[STMT_AUTHOR_INSERT] = "INSERT INTO authors "
	    "(user_id, name, book, country, booker_prize, created_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STMT_AUTHOR_GET] = "SELECT id, name, book, country, booker_prize "
	    "FROM authors WHERE id = ?1 AND user_id = ?2",
	[STMT_AUTHOR_UPDATE] = "UPDATE authors SET name = ?1, book = ?2, "
	    "country = ?3, booker_prize = ?4 WHERE id = ?5 AND user_id = ?6",
	[STMT_AUTHOR_DELETE] = "DELETE FROM authors "
	    "WHERE id = ?1 AND user_id = ?2",
	[STMT_AUTHOR_LIST] = "SELECT id, name, book, country, booker_prize "
	    "FROM authors WHERE user_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3",
};
static_assert(sizeof(stmt_sql) / sizeof(stmt_sql[0]) == STMT__MAX,
    "stmt_sql must have one row per enum stmt");

const char *
store_statement_sql(size_t i)
{
	return i < STMT__MAX ? stmt_sql[i] : NULL;
}

/*
 * Schema migrations: migrations[i] takes user_version i to i + 1.
 * Append only; never edit a released step.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  public_id TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL UNIQUE,"
	"  password TEXT NOT NULL,"
	"  admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE TABLE authors ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  book TEXT NOT NULL,"
	"  country TEXT NOT NULL,"
	"  booker_prize INTEGER NOT NULL DEFAULT 0"
	"    CHECK (booker_prize IN (0, 1)),"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (user_id, name),"
	"  UNIQUE (user_id, book)"
	");"
	"CREATE INDEX authors_by_user ON authors(user_id);",
	/*
	 * 1 -> 2: token lifecycle and login throttling; author ids are never
	 * handed out again after a delete (AUTOINCREMENT: a table rebuild).
	 */
	"CREATE TABLE authors_v2 ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  book TEXT NOT NULL,"
	"  country TEXT NOT NULL,"
	"  booker_prize INTEGER NOT NULL DEFAULT 0"
	"    CHECK (booker_prize IN (0, 1)),"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (user_id, name),"
	"  UNIQUE (user_id, book)"
	");"
	"INSERT INTO authors_v2 (id, user_id, name, book, country,"
	"  booker_prize, created_at) SELECT id, user_id, name, book, country,"
	"  booker_prize, created_at FROM authors;"
	"DROP TABLE authors;"
	"ALTER TABLE authors_v2 RENAME TO authors;"
	"CREATE INDEX authors_by_user ON authors(user_id);"
	"ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0"
	"  CHECK (disabled IN (0, 1));"
	"ALTER TABLE users ADD COLUMN tokens_valid_after INTEGER NOT NULL"
	"  DEFAULT 0;"
	"CREATE TABLE revoked_tokens ("
	"  jti TEXT PRIMARY KEY,"
	"  expires_at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX revoked_by_expiry ON revoked_tokens(expires_at);"
	"CREATE TABLE login_failures ("
	"  kind INTEGER NOT NULL CHECK (kind IN (0, 1)),"  /* 0 name, 1 address */
	"  key TEXT NOT NULL,"
	"  failures INTEGER NOT NULL,"
	"  window_start INTEGER NOT NULL,"
	"  PRIMARY KEY (kind, key)"
	") WITHOUT ROWID;"
	"CREATE INDEX login_failures_by_start ON login_failures(window_start);",
};
static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
    STORE_SCHEMA_VERSION, "one migration per schema version");

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[STMT__MAX];
	char		*path;
	dev_t		 dev;		/* the file opened, to notice a */
	ino_t		 ino;		/* replaced or deleted one */
	int		 broken;	/* an error that needs a re-open */
	int64_t		 busy_timeout_ms;	/* busy_wait's limit */
	int64_t		 busy_since;	/* when the current wait began, ms */
};

static enum store_rc
rc_of(struct store *st, int rc, const char *func)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return STORE_OK;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE ||
		    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return STORE_CONFLICT;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_error(func, "%s: database busy beyond the busy timeout: %s",
		    st->path, sqlite3_errmsg(st->db));
		return STORE_BUSY;
	case SQLITE_FULL:
		log_error(func, "%s: disk full: %s", st->path,
		    sqlite3_errmsg(st->db));
		return STORE_UNAVAILABLE;
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_PERM:
		/* The connection may be unusable (read-only fallback, a moved
		 * file): the next request opens the database afresh. */
		log_error(func, "%s: database unusable: %s (%d)", st->path,
		    sqlite3_errmsg(st->db), rc);
		st->broken = 1;
		return STORE_UNAVAILABLE;
	default:
		break;
	}
	log_error(func, "sqlite: %s (%d)", sqlite3_errmsg(st->db), rc);
	return STORE_ERROR;
}

static int
exec_sql(sqlite3 *db, const char *sql, const char *func)
{
	char	*msg = NULL;
	int	 rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		log_error(func, "sqlite: %s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
	}
	return rc;
}

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Bring the schema to STORE_SCHEMA_VERSION in one write transaction. */
static int
migrate(sqlite3 *db, const char *path)
{
	int	 v, target = STORE_SCHEMA_VERSION;
	char	 sql[64];

	if (user_version(db, &v) == -1) {
		log_error(__func__, "%s: cannot read schema version: %s", path,
		    sqlite3_errmsg(db));
		return -1;
	}
	if (v == target)
		return 0;
	if (v > target) {
		log_error(__func__, "%s: schema version %d is newer than this "
		    "program's %d; upgrade library-api", path, v, target);
		return -1;
	}
	if (exec_sql(db, "BEGIN IMMEDIATE", __func__) != SQLITE_OK)
		return -1;
	/* Re-read under the write lock: another process may have migrated. */
	if (user_version(db, &v) == -1)
		goto fail;
	for (; v < target; v++) {
		if (exec_sql(db, migrations[v], __func__) != SQLITE_OK)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec_sql(db, sql, __func__) != SQLITE_OK)
			goto fail;
	}
	if (exec_sql(db, "COMMIT", __func__) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

struct store *
store_open(const char *path, int create)
{
	struct store_opts	 o = { BUSY_TIMEOUT_MS, STORE_SYNC_FULL };

	return store_open_opts(path, create, &o);
}

static const char *const sync_sql[] = {
	[STORE_SYNC_FULL] = "PRAGMA synchronous = FULL",
	[STORE_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
	[STORE_SYNC_EXTRA] = "PRAGMA synchronous = EXTRA",
};

/* A monotonic clock in milliseconds. */
static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The busy handler: try again until busy_timeout_ms have passed since the
 * first try, the more often the longer one has waited.  SQLite's own
 * (sqlite3_busy_timeout) backs off to one try per 100 ms after a third of
 * a second, so with many processes (CGI: one per request) a writer that
 * has waited a while keeps losing the lock to newcomers that try every few
 * ms, and runs into the timeout (a 503) on a database that is only busy,
 * never stuck.  The lock goes to whoever tries first after it is let go:
 * trying every 2-4 ms at first, every 1 ms after a second and every
 * 0.25 ms after 2.5 s puts those who waited longest first, near enough a
 * queue; the timeout means the same.
 */
static int
busy_wait(void *arg, int count)
{
	struct store	*st = arg;
	struct timespec	 ts;
	int64_t		 now = mono_ms(), waited;

	if (count == 0)
		st->busy_since = now;
	waited = now - st->busy_since;
	if (waited >= st->busy_timeout_ms)
		return 0;
	ts.tv_sec = 0;
	if (waited < 1000)
		ts.tv_nsec = (long)(2 + count % 3) * 1000000L;
	else if (waited < 2500)
		ts.tv_nsec = 1000000L;
	else
		ts.tv_nsec = 250000L;
	nanosleep(&ts, NULL);
	return 1;
}

struct store *
store_open_opts(const char *path, int create, const struct store_opts *o)
{
	struct store	*st;
	struct stat	 sb;
	int		 flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int		 rc;
	size_t		 i;

	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		log_error(__func__, "out of memory");
		free(st);
		return NULL;
	}
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if ((rc = sqlite3_open_v2(path, &st->db, flags, NULL)) != SQLITE_OK) {
		log_error(__func__, "%s: cannot open the database: %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	/* A file that cannot be written is opened read-only by SQLite
	 * without a word: say so now rather than at the first write. */
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		log_error(__func__, "%s: the database cannot be written "
		    "(read-only file or file system)", path);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	st->busy_timeout_ms = o->busy_timeout_ms;
	sqlite3_busy_handler(st->db, busy_wait, st);
	if ((unsigned)o->synchronous >= sizeof(sync_sql) / sizeof(sync_sql[0]))
		goto fail;
	if ((rc = sqlite3_exec(st->db, "PRAGMA foreign_keys = ON;"
	    "PRAGMA journal_mode = WAL", NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_exec(st->db, sync_sql[o->synchronous], NULL, NULL,
	    NULL)) != SQLITE_OK) {
		log_error(__func__, "%s: cannot use the database: %s", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	if (migrate(st->db, path) == -1)
		goto fail;
	if (stat(path, &sb) == 0) {
		st->dev = sb.st_dev;
		st->ino = sb.st_ino;
	}
	for (i = 0; i < STMT__MAX; i++)
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) !=
		    SQLITE_OK) {
			log_error(__func__, "prepare: %s",
			    sqlite3_errmsg(st->db));
			goto fail;
		}
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	size_t	 i;

	if (st == NULL)
		return;
	for (i = 0; i < STMT__MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int
store_stale(const struct store *st)
{
	struct stat	 sb;

	if (st->broken)
		return 1;
	/* Deleted, or replaced (a restore by copying the file over). */
	if (stat(st->path, &sb) == -1 || sb.st_dev != st->dev ||
	    sb.st_ino != st->ino)
		return 1;
	return 0;
}

/*
 * Take the write lock up front (BEGIN IMMEDIATE): waiting for it is the
 * busy handler's job, so a write never fails half way for a lock.
 */
static enum store_rc
begin(struct store *st, const char *func)
{
	return rc_of(st, sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), func);
}

/* COMMIT when r is STORE_OK, else ROLLBACK; the result. */
static enum store_rc
finish(struct store *st, enum store_rc r, const char *func)
{
	int	 rc;

	if (r == STORE_OK) {
		if ((rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL)) ==
		    SQLITE_OK)
			return STORE_OK;
		r = rc_of(st, rc, func);
		if (r == STORE_OK)
			r = STORE_ERROR;
	}
	/* A failed COMMIT or statement may have rolled back already. */
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/*
 * One write statement (bound already) in its own write transaction;
 * *changes (when not NULL) gets the rows it changed, *rowid (when not
 * NULL) the rowid it inserted.
 */
static enum store_rc
write1(struct store *st, sqlite3_stmt *s, int *changes, int64_t *rowid,
    const char *func);

/* The statement k, reset and unbound, ready for binding. */
static sqlite3_stmt *
stmt(struct store *st, enum stmt k)
{
	sqlite3_stmt	*s = st->stmt[k];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Step a statement that returns no rows; reset it. */
static enum store_rc
run(struct store *st, sqlite3_stmt *s, const char *func)
{
	int	 rc = sqlite3_step(s);
	enum store_rc r;

	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	r = rc_of(st, rc, func);
	sqlite3_reset(s);
	return r;
}

static enum store_rc
write1(struct store *st, sqlite3_stmt *s, int *changes, int64_t *rowid,
    const char *func)
{
	enum store_rc	 r;

	if ((r = begin(st, func)) != STORE_OK) {
		sqlite3_reset(s);
		return r;
	}
	r = run(st, s, func);
	if (changes != NULL)
		*changes = sqlite3_changes(st->db);
	if (rowid != NULL)
		*rowid = sqlite3_last_insert_rowid(st->db);
	return finish(st, r, func);
}

/* write1 for an UPDATE or DELETE of one row: STORE_NOTFOUND if none. */
static enum store_rc
write_row(struct store *st, sqlite3_stmt *s, const char *func)
{
	enum store_rc	 r;
	int		 n = 0;

	if ((r = write1(st, s, &n, NULL, func)) != STORE_OK)
		return r;
	return n == 0 ? STORE_NOTFOUND : STORE_OK;
}

static int
bind_text(sqlite3_stmt *s, int i, const char *v, size_t len)
{
	if (len > INT32_MAX)
		return SQLITE_TOOBIG;
	return sqlite3_bind_text(s, i, v, (int)len, SQLITE_STATIC);
}

enum store_rc
store_user_insert(struct store *st, const char *public_id, const char *name,
    size_t name_len, const char *hash, int admin)
{
	sqlite3_stmt	*s = stmt(st, STMT_USER_INSERT);

	if (bind_text(s, 1, public_id, strlen(public_id)) != SQLITE_OK ||
	    bind_text(s, 2, name, name_len) != SQLITE_OK ||
	    bind_text(s, 3, hash, strlen(hash)) != SQLITE_OK ||
	    sqlite3_bind_int(s, 4, admin != 0) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 5, util_now()) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return write1(st, s, NULL, NULL, __func__);
}

/* Copy column i (text) into dst of size dstsz; -1 if it does not fit. */
static int
col_copy(sqlite3_stmt *s, int i, char *dst, size_t dstsz)
{
	const unsigned char	*v = sqlite3_column_text(s, i);
	size_t			 n = (size_t)sqlite3_column_bytes(s, i);

	if (v == NULL || n >= dstsz)
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static enum store_rc
user_row(struct store *st, sqlite3_stmt *s, struct user *out,
    const char *func)
{
	int		 rc = sqlite3_step(s);
	enum store_rc	 r = STORE_OK;

	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		out->admin = sqlite3_column_int(s, 4) != 0;
		out->disabled = sqlite3_column_int(s, 5) != 0;
		out->tokens_valid_after = sqlite3_column_int64(s, 6);
		out->revoked = sqlite3_column_count(s) > 7 &&
		    sqlite3_column_int(s, 7) != 0;
		if (col_copy(s, 1, out->public_id, sizeof(out->public_id)) ||
		    col_copy(s, 2, out->name, sizeof(out->name)) ||
		    col_copy(s, 3, out->hash, sizeof(out->hash))) {
			log_error(func, "user row %lld does not fit",
			    (long long)out->id);
			r = STORE_ERROR;
		}
	} else if (rc == SQLITE_DONE)
		r = STORE_NOTFOUND;
	else
		r = rc_of(st, rc, func);
	sqlite3_reset(s);
	return r;
}

enum store_rc
store_user_by_name(struct store *st, const char *name, size_t name_len,
    struct user *out)
{
	sqlite3_stmt	*s = stmt(st, STMT_USER_BY_NAME);

	if (bind_text(s, 1, name, name_len) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return user_row(st, s, out, __func__);
}

enum store_rc
store_user_by_public_id(struct store *st, const char *public_id,
    struct user *out)
{
	sqlite3_stmt	*s = stmt(st, STMT_USER_BY_PUBLIC_ID);

	if (bind_text(s, 1, public_id, strlen(public_id)) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return user_row(st, s, out, __func__);
}

enum store_rc
store_user_set_admin(struct store *st, const char *name, size_t name_len,
    int admin)
{
	sqlite3_stmt	*s = stmt(st, STMT_USER_SET_ADMIN);

	if (sqlite3_bind_int(s, 1, admin != 0) != SQLITE_OK ||
	    bind_text(s, 2, name, name_len) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return write_row(st, s, __func__);
}

enum store_rc
store_user_list(struct store *st, store_user_cb cb, void *arg)
{
	sqlite3_stmt	*s = stmt(st, STMT_USER_LIST);
	enum store_rc	 r = STORE_OK;
	int		 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(arg, (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    sqlite3_column_int(s, 2) != 0) != 0) {
			r = STORE_ERROR;
			break;
		}
	if (r == STORE_OK && rc != SQLITE_DONE)
		r = rc_of(st, rc, __func__);
	sqlite3_reset(s);
	return r;
}

static int
bind_author(sqlite3_stmt *s, int first, const struct author *a)
{
	if (bind_text(s, first, a->name, a->name_len) != SQLITE_OK ||
	    bind_text(s, first + 1, a->book, a->book_len) != SQLITE_OK ||
	    bind_text(s, first + 2, a->country, a->country_len) != SQLITE_OK ||
	    sqlite3_bind_int(s, first + 3, a->booker_prize != 0) != SQLITE_OK)
		return -1;
	return 0;
}

enum store_rc
store_author_insert(struct store *st, int64_t user_id, struct author *a)
{
	sqlite3_stmt	*s = stmt(st, STMT_AUTHOR_INSERT);
	enum store_rc	 r;
	int64_t		 rowid = 0;

	if (sqlite3_bind_int64(s, 1, user_id) != SQLITE_OK ||
	    bind_author(s, 2, a) == -1 ||
	    sqlite3_bind_int64(s, 6, util_now()) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	if ((r = write1(st, s, NULL, &rowid, __func__)) == STORE_OK)
		a->id = rowid;
	return r;
}

/* Fill a from the current row of s (columns id, name, book, country, bp). */
static void
author_row(sqlite3_stmt *s, struct author *a)
{
	a->id = sqlite3_column_int64(s, 0);
	a->name = (const char *)sqlite3_column_text(s, 1);
	a->name_len = (size_t)sqlite3_column_bytes(s, 1);
	a->book = (const char *)sqlite3_column_text(s, 2);
	a->book_len = (size_t)sqlite3_column_bytes(s, 2);
	a->country = (const char *)sqlite3_column_text(s, 3);
	a->country_len = (size_t)sqlite3_column_bytes(s, 3);
	a->booker_prize = sqlite3_column_int(s, 4) != 0;
}

/* Step s, handing each row to cb; reset s. */
static enum store_rc
author_rows(struct store *st, sqlite3_stmt *s, store_author_cb cb, void *arg,
    int one, const char *func)
{
	struct author	 a;
	enum store_rc	 r = STORE_OK;
	int		 rc, n = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		author_row(s, &a);
		n++;
		if (a.name == NULL || a.book == NULL || a.country == NULL ||
		    cb(arg, &a) != 0) {
			r = STORE_ERROR;
			break;
		}
	}
	if (r == STORE_OK && rc != SQLITE_DONE)
		r = rc_of(st, rc, func);
	else if (r == STORE_OK && one && n == 0)
		r = STORE_NOTFOUND;
	sqlite3_reset(s);
	return r;
}

enum store_rc
store_author_get(struct store *st, int64_t user_id, int64_t id,
    store_author_cb cb, void *arg)
{
	sqlite3_stmt	*s = stmt(st, STMT_AUTHOR_GET);

	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, user_id) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return author_rows(st, s, cb, arg, 1, __func__);
}

enum store_rc
store_author_update(struct store *st, int64_t user_id,
    const struct author *a)
{
	sqlite3_stmt	*s = stmt(st, STMT_AUTHOR_UPDATE);

	if (bind_author(s, 1, a) == -1 ||
	    sqlite3_bind_int64(s, 5, a->id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 6, user_id) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return write_row(st, s, __func__);
}

enum store_rc
store_author_delete(struct store *st, int64_t user_id, int64_t id)
{
	sqlite3_stmt	*s = stmt(st, STMT_AUTHOR_DELETE);

	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, user_id) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return write_row(st, s, __func__);
}

enum store_rc
store_author_list(struct store *st, int64_t user_id, int64_t limit,
    int64_t offset, store_author_cb cb, void *arg)
{
	sqlite3_stmt	*s = stmt(st, STMT_AUTHOR_LIST);

	if (sqlite3_bind_int64(s, 1, user_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, limit) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, offset) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return author_rows(st, s, cb, arg, 0, __func__);
}

enum store_rc
store_user_auth(struct store *st, const char *public_id, const char *jti,
    struct user *out)
{
	sqlite3_stmt	*s = stmt(st, STMT_USER_AUTH);

	if (bind_text(s, 1, public_id, strlen(public_id)) != SQLITE_OK ||
	    bind_text(s, 2, jti, strlen(jti)) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return user_row(st, s, out, __func__);
}

enum store_rc
store_user_set_password(struct store *st, int64_t user_id, const char *hash,
    int64_t tokens_valid_after)
{
	sqlite3_stmt	*s = stmt(st, STMT_USER_SET_PASSWORD);

	if (bind_text(s, 1, hash, strlen(hash)) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, tokens_valid_after) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, user_id) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return write_row(st, s, __func__);
}

enum store_rc
store_user_set_disabled(struct store *st, const char *name, size_t name_len,
    int disabled)
{
	sqlite3_stmt	*s = stmt(st, STMT_USER_SET_DISABLED);

	if (sqlite3_bind_int(s, 1, disabled != 0) != SQLITE_OK ||
	    bind_text(s, 2, name, name_len) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, util_now() + 1) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return write_row(st, s, __func__);
}

enum store_rc
store_token_revoke(struct store *st, const char *jti, int64_t expires_at,
    int64_t now)
{
	sqlite3_stmt	*s;
	enum store_rc	 r;

	/* Pruning rides on revocation: no separate job (RFC 7009 has the
	 * server forget a revoked token once it could no longer be used). */
	if ((r = begin(st, __func__)) != STORE_OK)
		return r;
	s = stmt(st, STMT_TOKEN_PRUNE);
	if (sqlite3_bind_int64(s, 1, now) != SQLITE_OK)
		r = rc_of(st, sqlite3_errcode(st->db), __func__);
	else
		r = run(st, s, __func__);
	if (r == STORE_OK) {
		s = stmt(st, STMT_TOKEN_REVOKE);
		if (bind_text(s, 1, jti, strlen(jti)) != SQLITE_OK ||
		    sqlite3_bind_int64(s, 2, expires_at) != SQLITE_OK)
			r = rc_of(st, sqlite3_errcode(st->db), __func__);
		else
			r = run(st, s, __func__);
	}
	return finish(st, r, __func__);
}

enum store_rc
store_throttle_check(struct store *st, const char *name, size_t name_len,
    const char *addr, int64_t now, int64_t window, int64_t max_name,
    int64_t max_addr, int64_t *retry_after)
{
	sqlite3_stmt	*s = stmt(st, STMT_THROTTLE_GET);
	enum store_rc	 r = STORE_OK;
	int		 rc;

	*retry_after = 0;
	if (bind_text(s, 1, name, name_len) != SQLITE_OK ||
	    bind_text(s, 2, addr, strlen(addr)) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, now - window) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int	 kind = sqlite3_column_int(s, 0);
		int64_t	 n = sqlite3_column_int64(s, 1);
		int64_t	 left = sqlite3_column_int64(s, 2) + window - now;

		if (n >= (kind == 0 ? max_name : max_addr) &&
		    left > *retry_after)
			*retry_after = left;
	}
	if (rc != SQLITE_DONE)
		r = rc_of(st, rc, __func__);
	sqlite3_reset(s);
	return r;
}

/* Forget one throttling counter (in a transaction). */
static enum store_rc
throttle_reset(struct store *st, int kind, const char *key, size_t key_len)
{
	sqlite3_stmt	*s = stmt(st, STMT_THROTTLE_RESET);

	if (sqlite3_bind_int(s, 1, kind) != SQLITE_OK ||
	    bind_text(s, 2, key, key_len) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return run(st, s, __func__);
}

/* Count one failure for the name and the address (in a transaction). */
static enum store_rc
throttle_count(struct store *st, const char *name, size_t name_len,
    const char *addr, int64_t now, int64_t window)
{
	sqlite3_stmt	*s;
	enum store_rc	 r = STORE_OK;
	int		 kind;

	for (kind = 0; kind < 2 && r == STORE_OK; kind++) {
		const char	*key = kind == 0 ? name : addr;
		size_t		 klen = kind == 0 ? name_len : strlen(addr);

		s = stmt(st, STMT_THROTTLE_FAIL);
		if (sqlite3_bind_int(s, 1, kind) != SQLITE_OK ||
		    bind_text(s, 2, key, klen) != SQLITE_OK ||
		    sqlite3_bind_int64(s, 3, now) != SQLITE_OK ||
		    sqlite3_bind_int64(s, 4, now - window) != SQLITE_OK)
			r = rc_of(st, sqlite3_errcode(st->db), __func__);
		else
			r = run(st, s, __func__);
	}
	if (r == STORE_OK) {
		s = stmt(st, STMT_THROTTLE_PRUNE);
		if (sqlite3_bind_int64(s, 1, now - window) != SQLITE_OK)
			r = rc_of(st, sqlite3_errcode(st->db), __func__);
		else
			r = run(st, s, __func__);
	}
	return r;
}


enum store_rc
store_throttle_fail(struct store *st, const char *name, size_t name_len,
    const char *addr, int64_t now, int64_t window)
{
	enum store_rc	 r;

	if ((r = begin(st, __func__)) != STORE_OK)
		return r;
	return finish(st, throttle_count(st, name, name_len, addr, now,
	    window), __func__);
}

enum store_rc
store_throttle_attempt(struct store *st, const char *name, size_t name_len,
    const char *addr, int64_t now, int64_t window, int64_t max_name,
    int64_t max_addr, int64_t *retry_after)
{
	enum store_rc	 r;

	/* Check and count under one write lock: parallel attempts cannot
	 * all pass the check before any of them is counted. */
	if ((r = begin(st, __func__)) != STORE_OK)
		return r;
	r = store_throttle_check(st, name, name_len, addr, now, window,
	    max_name, max_addr, retry_after);
	if (r == STORE_OK && *retry_after == 0)
		r = throttle_count(st, name, name_len, addr, now, window);
	return finish(st, r, __func__);
}

enum store_rc
store_throttle_succeeded(struct store *st, const char *name,
    size_t name_len, const char *addr)
{
	sqlite3_stmt	*s;
	enum store_rc	 r;

	if ((r = begin(st, __func__)) != STORE_OK)
		return r;
	r = throttle_reset(st, 0, name, name_len);
	if (r == STORE_OK) {
		s = stmt(st, STMT_THROTTLE_UNCOUNT);
		if (bind_text(s, 1, addr, strlen(addr)) != SQLITE_OK)
			r = rc_of(st, sqlite3_errcode(st->db), __func__);
		else
			r = run(st, s, __func__);
	}
	return finish(st, r, __func__);
}

enum store_rc
store_throttle_reset(struct store *st, int kind, const char *key,
    size_t key_len)
{
	sqlite3_stmt	*s = stmt(st, STMT_THROTTLE_RESET);

	if (sqlite3_bind_int(s, 1, kind) != SQLITE_OK ||
	    bind_text(s, 2, key, key_len) != SQLITE_OK)
		return rc_of(st, sqlite3_errcode(st->db), __func__);
	return write1(st, s, NULL, NULL, __func__);
}

/* PRAGMA integrity_check on db says "ok"; else logs the first problem. */
static int
integrity_ok(sqlite3 *db, const char *path, const char *func)
{
	sqlite3_stmt	*s;
	int		 ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) !=
	    SQLITE_OK) {
		log_error(func, "%s: %s", path, sqlite3_errmsg(db));
		return 0;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);

		ok = v != NULL && strcmp(v, "ok") == 0;
		if (!ok)
			log_error(func, "%s: integrity_check: %s", path,
			    v != NULL ? v : sqlite3_errmsg(db));
	} else
		log_error(func, "%s: integrity_check: %s", path,
		    sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return ok;
}

/* Copy all of src into dst with the backup API in one step (one
 * consistent snapshot of src; dst's write lock held throughout). */
static int
copy_db(sqlite3 *dst, sqlite3 *src, const char *what, const char *func)
{
	sqlite3_backup	*b;
	int		 rc;

	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		log_error(func, "%s: %s", what, sqlite3_errmsg(dst));
		return -1;
	}
	/* -1: every page in one step. BUSY or LOCKED here means a lock that
	 * the busy handler could not get within the timeout. */
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		log_error(func, "%s: %s", what, sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* The highest author id ever handed out in db (0 when none). */
static int
author_seq(sqlite3 *db, int64_t *seq)
{
	sqlite3_stmt	*s = NULL;
	int		 rc;

	*seq = 0;
	if (sqlite3_prepare_v2(db, "SELECT max(coalesce((SELECT max(seq) "
	    "FROM sqlite_sequence WHERE name = 'authors'), 0), "
	    "coalesce((SELECT max(id) FROM authors), 0))", -1, &s, NULL) !=
	    SQLITE_OK) {
		log_error("store_restore", "%s", sqlite3_errmsg(db));
		return -1;
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*seq = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		log_error("store_restore", "%s", sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/*
 * After a restore: what happened after the backup is gone, but not from
 * the clients. Every token issued so far is void (a logout, a password
 * change or a disable made after the backup would otherwise be undone),
 * and no author id handed out before the restore is handed out again.
 */
static int
restore_fence(struct store *st, int64_t seq)
{
	static const char *const sql[] = {
		"UPDATE users SET tokens_valid_after = "
		    "max(tokens_valid_after + 1, ?1 + 1)",
		"UPDATE sqlite_sequence SET seq = max(seq, ?1) "
		    "WHERE name = 'authors'",
		"INSERT INTO sqlite_sequence (name, seq) SELECT 'authors', ?1 "
		    "WHERE ?1 > 0 AND NOT EXISTS (SELECT 1 FROM sqlite_sequence "
		    "WHERE name = 'authors')",
	};
	sqlite3_stmt	*s;
	size_t		 i;
	int		 rc = SQLITE_OK;

	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		log_error("store_restore", "%s", sqlite3_errmsg(st->db));
		return -1;
	}
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == SQLITE_OK; i++) {
		s = NULL;
		rc = sqlite3_prepare_v2(st->db, sql[i], -1, &s, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(s, 1, i == 0 ? util_now() : seq);
		if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_DONE)
			rc = SQLITE_OK;
		sqlite3_finalize(s);
	}
	if (rc != SQLITE_OK ||
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_error("store_restore", "%s", sqlite3_errmsg(st->db));
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int
store_backup(struct store *st, const char *dest)
{
	sqlite3	*db = NULL;
	int	 fd, ok = 0;

	/* O_EXCL: never overwrite; 0600: a backup holds password hashes. */
	if ((fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1) {
		log_error(__func__, "%s: %s", dest, strerror(errno));
		return -1;
	}
	close(fd);
	if (sqlite3_open_v2(dest, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		log_error(__func__, "%s: %s", dest, db != NULL ?
		    sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if (copy_db(db, st->db, dest, __func__) == -1)
		goto out;
	/* The copy is a WAL database like the original: fold its log back
	 * so the one file is the whole backup. */
	if (exec_sql(db, "PRAGMA wal_checkpoint(TRUNCATE);"
	    "PRAGMA journal_mode = DELETE", __func__) != SQLITE_OK)
		goto out;
	ok = integrity_ok(db, dest, __func__);
out:
	if (sqlite3_close(db) != SQLITE_OK)
		ok = 0;
	if (!ok)
		unlink(dest);
	return ok ? 0 : -1;
}

int
store_restore(struct store *st, const char *src)
{
	sqlite3	*db = NULL;
	int64_t	 seq = 0;
	int	 v = -1, rc = -1;

	if (sqlite3_open_v2(src, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		log_error(__func__, "%s: %s", src, db != NULL ?
		    sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	if (!integrity_ok(db, src, __func__))
		goto out;
	if (user_version(db, &v) == -1 || v < 1 ||
	    v > STORE_SCHEMA_VERSION) {
		log_error(__func__, "%s: not a library-api database this "
		    "program knows (schema version %d)", src, v);
		goto out;
	}
	if (author_seq(st->db, &seq) == -1)
		goto out;
	if (copy_db(st->db, db, st->path, __func__) == -1)
		goto out;
	/* An older backup: bring it up to this program's schema. */
	if (migrate(st->db, st->path) == -1)
		goto out;
	if (restore_fence(st, seq) == -1)
		goto out;
	rc = 0;
out:
	sqlite3_close(db);
	return rc;
}
