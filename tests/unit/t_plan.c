/*
 * t_plan.c: every statement that store.c prepares uses an index
 * (EXPLAIN QUERY PLAN): no full scan of a table and no temporary b-tree
 * for an ORDER BY, so that a request costs the same on a database of a
 * million authors as on one of ten (issue 6; bench/run measures it).
 * The one allowed scan is the admin's list of every user.
 *
 * Checked on the schema store_open creates, empty and then filled and
 * ANALYZEd (the planner's statistics can turn an index search into a
 * scan), and the checker itself is checked: without the authors_by_user
 * index, the list of a user's authors needs a sort, which it must see.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "tap.h"

static char	 dir[4096];
static char	 path[4200];

/* Statements that may scan a table, by a prefix of their SQL. */
static const char *const may_scan[] = {
	"SELECT public_id, name, admin FROM users ORDER BY id",
};

static int
allowed_scan(const char *sql)
{
	size_t	 i;

	for (i = 0; i < sizeof(may_scan) / sizeof(may_scan[0]); i++)
		if (strcmp(sql, may_scan[i]) == 0)
			return 1;
	return 0;
}

/*
 * The query plan of sql on db, its lines joined with "; " into plan
 * (size plansz). 1 when it uses indexes only (no SCAN of a table unless
 * allowed, no TEMP B-TREE), 0 when not, -1 when it cannot be explained.
 */
static int
plan_ok(sqlite3 *db, const char *sql, char *plan, size_t plansz)
{
	sqlite3_stmt	*s = NULL;
	char		 q[4096];
	size_t		 used = 0;
	int		 good = 1;

	plan[0] = '\0';
	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK) {
		snprintf(plan, plansz, "%s", sqlite3_errmsg(db));
		return -1;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char	*d = (const char *)sqlite3_column_text(s, 3);
		int		 n;

		if (d == NULL)
			continue;
		/* "SCAN t" (3.36+) or "SCAN TABLE t" (older): a full scan;
		 * "SCAN CONSTANT ROW" is no table at all. */
		if ((strncmp(d, "SCAN ", 5) == 0 &&
		    strcmp(d, "SCAN CONSTANT ROW") != 0 && !allowed_scan(sql)) ||
		    strstr(d, "TEMP B-TREE") != NULL)
			good = 0;
		n = snprintf(plan + used, plansz - used, "%s%s",
		    used ? "; " : "", d);
		if (n < 0 || (size_t)n >= plansz - used)
			break;
		used += (size_t)n;
	}
	sqlite3_finalize(s);
	return good;
}

/* Check every statement of store.c on db; the number that failed. */
static int
check_all(sqlite3 *db, const char *when)
{
	const char	*sql;
	char		 plan[2048];
	size_t		 i;
	int		 bad = 0, r;

	for (i = 0; (sql = store_statement_sql(i)) != NULL; i++) {
		r = plan_ok(db, sql, plan, sizeof(plan));
		if (!ok(r == 1, "%s: statement %zu uses indexes only", when, i)) {
			diag("sql: %s", sql);
			diag("plan: %s", plan);
			bad++;
		}
	}
	ok(i >= 10, "%s: %zu statements checked", when, i);
	return bad;
}

static int
exec(sqlite3 *db, const char *sql)
{
	char	*msg = NULL;
	int	 rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		diag("%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
	}
	return rc;
}

/* 200 users, one with 2000 authors and the rest with 5 each; ANALYZE. */
static int
fill(sqlite3 *db)
{
	sqlite3_stmt	*u = NULL, *a = NULL;
	int		 i, j, n, rc = -1;
	char		 buf[64];

	if (exec(db, "BEGIN") != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO users (public_id, name, "
	    "password, admin, created_at) VALUES (?1, ?2, 'x', 0, 0)", -1, &u,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO authors (user_id, name, book, "
	    "country, created_at) VALUES (?1, ?2, ?2, 'Ireland', 0)", -1, &a,
	    NULL) != SQLITE_OK)
		goto out;
	for (i = 1; i <= 200; i++) {
		snprintf(buf, sizeof(buf), "00000000-0000-4000-8000-%012d", i);
		sqlite3_bind_text(u, 1, buf, -1, SQLITE_TRANSIENT);
		snprintf(buf, sizeof(buf), "user%d", i);
		sqlite3_bind_text(u, 2, buf, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(u) != SQLITE_DONE)
			goto out;
		sqlite3_reset(u);
		n = i == 100 ? 2000 : 5;
		for (j = 0; j < n; j++) {
			sqlite3_bind_int(a, 1, i);
			snprintf(buf, sizeof(buf), "author %d-%d", i, j);
			sqlite3_bind_text(a, 2, buf, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(a) != SQLITE_DONE)
				goto out;
			sqlite3_reset(a);
		}
	}
	if (exec(db, "COMMIT") == SQLITE_OK && exec(db, "ANALYZE") == SQLITE_OK)
		rc = 0;
out:
	if (rc != 0)
		diag("fill: %s", sqlite3_errmsg(db));
	sqlite3_finalize(u);
	sqlite3_finalize(a);
	return rc;
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");
	struct store	*st;
	sqlite3		*db = NULL;
	char		 plan[2048], side[sizeof(path) + 8];
	const char	*list = NULL, *sql;
	size_t		 i;

	snprintf(dir, sizeof(dir), "%s/t_plan.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/plan.db", dir);
	/* The schema as the product makes it. */
	if (!ok((st = store_open(path, 1)) != NULL, "store_open creates %s",
	    path)) {
		printf("Bail out! no database\n");
		return 1;
	}
	store_close(st);
	if (!ok(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
	    SQLITE_OK, "open it with SQLite"))
		return done_testing();
	ok(store_statement_sql((size_t)-1) == NULL,
	    "store_statement_sql past the end is NULL");

	check_all(db, "empty database");
	ok(fill(db) == 0, "filled: 200 users, 2995 authors, ANALYZE");
	check_all(db, "filled and analyzed");

	/* The checker sees a sort: without authors_by_user, a user's list
	 * (ORDER BY id) comes from a UNIQUE (user_id, ...) index and a
	 * temporary b-tree. */
	for (i = 0; (sql = store_statement_sql(i)) != NULL; i++)
		if (strstr(sql, "FROM authors WHERE user_id = ?1 ORDER BY id"))
			list = sql;
	if (ok(list != NULL, "the author list statement is there")) {
		ok(plan_ok(db, list, plan, sizeof(plan)) == 1,
		    "author list with authors_by_user: %s", plan);
		exec(db, "DROP INDEX authors_by_user");
		ok(plan_ok(db, list, plan, sizeof(plan)) == 0,
		    "author list without authors_by_user is refused: %s", plan);
	} else
		skip(2, "no author list statement");
	ok(plan_ok(db, "SELECT name FROM authors WHERE country = ?1", plan,
	    sizeof(plan)) == 0, "a full scan is refused: %s", plan);

	sqlite3_close(db);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	if (rmdir(dir) == -1)
		diag("rmdir %s: %s", dir, strerror(errno));
	return done_testing();
}
