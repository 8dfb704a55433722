/*
 * minimal-get: the least that GET /authors and GET /authors/{id} must do,
 * as a yardstick for bench/run: check the token (one libjwt HS256
 * decode), run one prepared SELECT that finds the token's user and their
 * rows at once, render the rows with json-c. No configuration file, no
 * revocation list, no claim checks beyond exp: whatever library-api does
 * on top of this shows as its distance from this responder.
 *
 * Environment: LIBRARY_DB, LIBRARY_SECRET_FILE (library-api's own files).
 */
#define BL_WITH_TOKEN
#include "baseline.h"

#include <json-c/json.h>

static sqlite3		*db;
static sqlite3_stmt	*list_stmt, *one_stmt;

static json_object *
row_json(sqlite3_stmt *s)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "id",
	    json_object_new_int64(sqlite3_column_int64(s, 0)));
	json_object_object_add(o, "name", json_object_new_string_len(
	    (const char *)sqlite3_column_text(s, 1), sqlite3_column_bytes(s, 1)));
	json_object_object_add(o, "book", json_object_new_string_len(
	    (const char *)sqlite3_column_text(s, 2), sqlite3_column_bytes(s, 2)));
	json_object_object_add(o, "country", json_object_new_string_len(
	    (const char *)sqlite3_column_text(s, 3), sqlite3_column_bytes(s, 3)));
	json_object_object_add(o, "booker_prize",
	    json_object_new_boolean(sqlite3_column_int(s, 4) != 0));
	return o;
}

static void
send_json(const struct bl_req *r, const char *status, json_object *o)
{
	size_t		 len;
	const char	*txt = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	bl_respond(r, status, txt, len);
	json_object_put(o);
}

static void
handle(const struct bl_req *r)
{
	const char	*path = bl_param(r, "SCRIPT_NAME");
	char		 pid[37], *end;
	long long	 id = 0;
	json_object	*out, *arr;
	sqlite3_stmt	*s;

	if (path == NULL)
		path = "";
	if (strcmp(path, "/authors") != 0) {
		if (strncmp(path, "/authors/", 9) != 0) {
			BL_ERROR(r, "404 Not Found", "not_found");
			return;
		}
		errno = 0;
		id = strtoll(path + 9, &end, 10);
		if (errno != 0 || end == path + 9 || *end != '\0' || id < 1) {
			BL_ERROR(r, "404 Not Found", "not_found");
			return;
		}
	}
	if (bl_token_user(r, pid) == -1) {
		BL_ERROR(r, "401 Unauthorized", "token_invalid");
		return;
	}
	s = id == 0 ? list_stmt : one_stmt;
	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, pid, 36, SQLITE_STATIC);
	if (id == 0) {
		sqlite3_bind_int64(s, 2, 100);
		sqlite3_bind_int64(s, 3, 0);
		arr = json_object_new_array();
		while (sqlite3_step(s) == SQLITE_ROW)
			json_object_array_add(arr, row_json(s));
		sqlite3_reset(s);
		out = json_object_new_object();
		json_object_object_add(out, "list_of_authors", arr);
		send_json(r, "200 OK", out);
		return;
	}
	sqlite3_bind_int64(s, 2, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		BL_ERROR(r, "404 Not Found", "author_not_found");
		return;
	}
	out = json_object_new_object();
	json_object_object_add(out, "author", row_json(s));
	sqlite3_reset(s);
	send_json(r, "200 OK", out);
}

int
main(void)
{
	if (bl_setup() == -1 ||
	    (db = bl_db_open(getenv("LIBRARY_DB"), NULL)) == NULL)
		return 1;
	list_stmt = bl_prepare(db, "SELECT a.id, a.name, a.book, a.country, "
	    "a.booker_prize FROM users u JOIN authors a ON a.user_id = u.id "
	    "WHERE u.public_id = ?1 ORDER BY a.id LIMIT ?2 OFFSET ?3");
	one_stmt = bl_prepare(db, "SELECT a.id, a.name, a.book, a.country, "
	    "a.booker_prize FROM users u JOIN authors a ON a.user_id = u.id "
	    "WHERE u.public_id = ?1 AND a.id = ?2");
	if (list_stmt == NULL || one_stmt == NULL)
		return 1;
	return bl_serve(handle);
}
