/*
 * minimal-insert: the least that POST /authors must do, as a yardstick
 * for bench/run: check the token (one libjwt HS256 decode), parse the
 * JSON body with json-c, run one prepared INSERT (the owner found by a
 * subquery on the token's public_id), answer 201 with the row as json-c
 * renders it. The durability setting is the one under test:
 * BENCH_SYNCHRONOUS (FULL, library-api's default, or NORMAL); WAL mode and
 * foreign keys as library-api opens the database.
 *
 * Environment: LIBRARY_DB, LIBRARY_SECRET_FILE, BENCH_SYNCHRONOUS.
 */
#define BL_WITH_TOKEN
#include "baseline.h"

#include <json-c/json.h>

static sqlite3		*db;
static sqlite3_stmt	*insert_stmt;

static const char *
str_field(json_object *in, const char *key, size_t *len)
{
	json_object	*v;

	if (!json_object_object_get_ex(in, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

static void
handle(const struct bl_req *r)
{
	static char	 body[65536];
	const char	*name, *book, *country, *txt;
	size_t		 nl, bl, cl, len;
	char		 pid[37];
	long		 n;
	int		 bp = 0, rc;
	json_object	*in, *v, *out, *a;
	json_tokener	*tok;

	if (bl_token_user(r, pid) == -1) {
		BL_ERROR(r, "401 Unauthorized", "token_invalid");
		return;
	}
	if ((n = bl_body(r, body, sizeof(body))) <= 0) {
		BL_ERROR(r, "400 Bad Request", "invalid_json");
		return;
	}
	tok = json_tokener_new();
	in = json_tokener_parse_ex(tok, body, (int)n);
	json_tokener_free(tok);
	if (in == NULL || !json_object_is_type(in, json_type_object) ||
	    (name = str_field(in, "name", &nl)) == NULL ||
	    (book = str_field(in, "book", &bl)) == NULL ||
	    (country = str_field(in, "country", &cl)) == NULL) {
		json_object_put(in);
		BL_ERROR(r, "400 Bad Request", "invalid_json");
		return;
	}
	if (json_object_object_get_ex(in, "booker_prize", &v))
		bp = json_object_get_boolean(v);
	sqlite3_reset(insert_stmt);
	sqlite3_bind_text(insert_stmt, 1, pid, 36, SQLITE_STATIC);
	sqlite3_bind_text(insert_stmt, 2, name, (int)nl, SQLITE_STATIC);
	sqlite3_bind_text(insert_stmt, 3, book, (int)bl, SQLITE_STATIC);
	sqlite3_bind_text(insert_stmt, 4, country, (int)cl, SQLITE_STATIC);
	sqlite3_bind_int(insert_stmt, 5, bp != 0);
	sqlite3_bind_int64(insert_stmt, 6, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(insert_stmt);
	sqlite3_reset(insert_stmt);
	if (rc != SQLITE_DONE) {
		json_object_put(in);
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			BL_ERROR(r, "409 Conflict", "author_conflict");
		else
			BL_ERROR(r, "500 Internal Server Error", "internal");
		return;
	}
	a = json_object_new_object();
	json_object_object_add(a, "id",
	    json_object_new_int64(sqlite3_last_insert_rowid(db)));
	json_object_object_add(a, "name", json_object_new_string_len(name,
	    (int)nl));
	json_object_object_add(a, "book", json_object_new_string_len(book,
	    (int)bl));
	json_object_object_add(a, "country",
	    json_object_new_string_len(country, (int)cl));
	json_object_object_add(a, "booker_prize", json_object_new_boolean(bp));
	out = json_object_new_object();
	json_object_object_add(out, "message",
	    json_object_new_string("new author created"));
	json_object_object_add(out, "author", a);
	txt = json_object_to_json_string_length(out,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	bl_respond(r, "201 Created", txt, len);
	json_object_put(out);
	json_object_put(in);
}

int
main(void)
{
	if (bl_setup() == -1 || (db = bl_db_open(getenv("LIBRARY_DB"),
	    getenv("BENCH_SYNCHRONOUS"))) == NULL)
		return 1;
	insert_stmt = bl_prepare(db, "INSERT INTO authors "
	    "(user_id, name, book, country, booker_prize, created_at) "
	    "VALUES ((SELECT id FROM users WHERE public_id = ?1), "
	    "?2, ?3, ?4, ?5, ?6)");
	if (insert_stmt == NULL)
		return 1;
	return bl_serve(handle);
}
