/*
 * store.h: the SQLite store. Only this module includes sqlite3.h. The
 * handle owns the connection and every prepared statement (one constant
 * SQL table, prepared once per process); ownership checks live in the
 * SQL (WHERE id = ? AND user_id = ?), uniqueness in the schema.
 */
#ifndef LIBAPI_STORE_H
#define LIBAPI_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "limits.h"
#include "password.h"

struct store;

enum store_rc {
	STORE_OK = 0,
	STORE_NOTFOUND,		/* no such row (or not the caller's) */
	STORE_CONFLICT,		/* a UNIQUE constraint refused the write */
	STORE_BUSY,		/* locked beyond the busy timeout */
	STORE_UNAVAILABLE,	/* full, read-only, corrupt, I/O error; logged */
	STORE_ERROR,		/* anything else; logged */
	STORE__MAX
};

#define STORE_SCHEMA_VERSION 2

struct user {
	int64_t	 id;
	char	 public_id[37];
	char	 name[LIMIT_TEXT_BYTES(LIMIT_NAME_CP) + 1];
	char	 hash[PASSWORD_HASH_MAX];
	int	 admin;
	int	 disabled;		/* no logins, no tokens */
	int64_t	 tokens_valid_after;	/* tokens with an older iat are void */
	int	 revoked;		/* store_user_auth: the jti is revoked */
};

/* Strings point to caller memory on input; on output (callbacks) to
 * store memory valid only during the callback. */
struct author {
	int64_t		 id;
	const char	*name;
	size_t		 name_len;
	const char	*book;
	size_t		 book_len;
	const char	*country;
	size_t		 country_len;
	int		 booker_prize;
};

/*
 * Open (create == 0: must exist) or create the database at path, apply
 * pending migrations (PRAGMA user_version), set WAL, busy timeout and
 * foreign keys, prepare all statements. Returns a handle or NULL (logged).
 * A database whose schema is newer than STORE_SCHEMA_VERSION is refused.
 */
struct store *store_open(const char *path, int create);

enum store_sync { STORE_SYNC_FULL, STORE_SYNC_NORMAL, STORE_SYNC_EXTRA };
struct store_opts {
	int64_t		 busy_timeout_ms;	/* wait for a lock this long */
	enum store_sync	 synchronous;		/* PRAGMA synchronous */
};
/* store_open with settings (store_open: 5000 ms, FULL). A file that
 * cannot be written is refused too. */
struct store *store_open_opts(const char *path, int create,
    const struct store_opts *opts);
void store_close(struct store *st);

/*
 * Whether the handle should be closed and the database opened again: an
 * earlier error left the connection unusable (read-only, I/O error,
 * corrupt), or the file at the path was deleted or replaced since.
 */
int store_stale(const struct store *st);

/*
 * The SQL of the i-th statement that store_open prepares, NULL past the
 * last: for tests/unit/t_plan, which checks every query plan uses an
 * index (EXPLAIN QUERY PLAN).
 */
const char *store_statement_sql(size_t i);

/*
 * Online backup to a new file dest (must not exist; made 0600): one
 * consistent snapshot, writers keep going (WAL). The copy is checked
 * with integrity_check. 0 or -1 (logged; dest removed).
 */
int store_backup(struct store *st, const char *dest);

/*
 * Replace the whole database with the content of the backup file src,
 * after checking it (integrity_check, a schema this program knows), in
 * one write transaction through the backup API, then bring its schema
 * up to date: other processes may keep running. 0 or -1 (logged).
 */
int store_restore(struct store *st, const char *src);

enum store_rc store_user_insert(struct store *st, const char *public_id,
    const char *name, size_t name_len, const char *hash, int admin);
enum store_rc store_user_by_name(struct store *st, const char *name,
    size_t name_len, struct user *out);
/* As by_name, but out->hash is left empty: token checks never need it. */
enum store_rc store_user_by_public_id(struct store *st,
    const char *public_id, struct user *out);
enum store_rc store_user_set_admin(struct store *st, const char *name,
    size_t name_len, int admin);

/*
 * What a token check needs in one statement: the user public_id names
 * (hash left empty) and, in out->revoked, whether jti was revoked.
 */
enum store_rc store_user_auth(struct store *st, const char *public_id,
    const char *jti, struct user *out);

/*
 * New hash; tokens with an iat before max(tokens_valid_after, the second
 * after the UPDATE runs) become void. The clock is read by SQLite inside
 * the write, so a login that read the old row can only date its token
 * earlier (see cgi-bin/login.c).
 */
enum store_rc store_user_set_password(struct store *st, int64_t user_id,
    const char *hash, int64_t tokens_valid_after);
/* Disabling also voids the user's tokens issued until now (they stay void
 * after enabling again). */
enum store_rc store_user_set_disabled(struct store *st, const char *name,
    size_t name_len, int disabled);

/* Remember jti as revoked until expires_at; forgets expired ones. */
enum store_rc store_token_revoke(struct store *st, const char *jti,
    int64_t expires_at, int64_t now);

/*
 * Login throttling, counted per user name (kind 0) and per client
 * address (kind 1) in fixed windows of window seconds, shared by every
 * process through the database. check sets *retry_after to the seconds
 * until the worst exhausted counter's window ends (0: not throttled).
 * fail counts one failure for both; reset forgets one counter.
 */
enum store_rc store_throttle_check(struct store *st, const char *name,
    size_t name_len, const char *addr, int64_t now, int64_t window,
    int64_t max_name, int64_t max_addr, int64_t *retry_after);
enum store_rc store_throttle_fail(struct store *st, const char *name,
    size_t name_len, const char *addr, int64_t now, int64_t window);
enum store_rc store_throttle_reset(struct store *st, int kind,
    const char *key, size_t key_len);

/*
 * What a login does: check and, when not throttled, count the attempt as
 * a failure, atomically, before any hashing (so parallel guesses cannot
 * all pass the check). *retry_after as for check; a refused attempt is
 * not counted. After a success, store_throttle_succeeded forgets the
 * name's counter and takes the attempt back from the address's.
 */
enum store_rc store_throttle_attempt(struct store *st, const char *name,
    size_t name_len, const char *addr, int64_t now, int64_t window,
    int64_t max_name, int64_t max_addr, int64_t *retry_after);
enum store_rc store_throttle_succeeded(struct store *st, const char *name,
    size_t name_len, const char *addr);

/* Called once per row; return non-zero to stop (the call then returns
 * STORE_ERROR). The user's hash is never passed out. */
typedef int (*store_user_cb)(void *arg, const char *public_id,
    const char *name, int admin);
enum store_rc store_user_list(struct store *st, store_user_cb cb, void *arg);

/* Insert a->* for user_id; sets a->id. */
enum store_rc store_author_insert(struct store *st, int64_t user_id,
    struct author *a);
typedef int (*store_author_cb)(void *arg, const struct author *a);

/* Hand the row to cb (strings valid during the call only). */
enum store_rc store_author_get(struct store *st, int64_t user_id,
    int64_t id, store_author_cb cb, void *arg);
/* Full replace of the row a->id owned by user_id. */
enum store_rc store_author_update(struct store *st, int64_t user_id,
    const struct author *a);
enum store_rc store_author_delete(struct store *st, int64_t user_id,
    int64_t id);

/* Hand each of the user's rows, by id, to cb (return non-zero to stop). */
enum store_rc store_author_list(struct store *st, int64_t user_id,
    int64_t limit, int64_t offset, store_author_cb cb, void *arg);

#endif
