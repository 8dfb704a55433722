/*
 * authors: the caller's own author records.
 *   POST /author, POST /authors	create
 *   GET /authors?limit=&offset=	list, by id
 *   GET, PUT, DELETE /authors/{id}	read, full replace, delete
 * Every statement carries the caller's user id: another user's record
 * is indistinguishable from an absent one (404).
 */
#include "config.h"

#include "app.h"
#include "limits.h"
#include "valid.h"

static const struct field author_fields[] = {
	{ "name", FIELD_TEXT, 1, LIMIT_NAME_CP, 1 },
	{ "book", FIELD_TEXT, 1, LIMIT_BOOK_CP, 1 },
	{ "country", FIELD_TEXT, 1, LIMIT_COUNTRY_CP, 1 },
	{ "booker_prize", FIELD_BOOL, 0, 0, 0 },
};
#define NFIELDS (sizeof(author_fields) / sizeof(author_fields[0]))

static json_object *
author_json(const struct author *a)
{
	json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (response_add(o, "id", json_object_new_int64(a->id)) == -1 ||
	    response_add(o, "name",
	    json_object_new_string_len(a->name, (int)a->name_len)) == -1 ||
	    response_add(o, "book",
	    json_object_new_string_len(a->book, (int)a->book_len)) == -1 ||
	    response_add(o, "country",
	    json_object_new_string_len(a->country, (int)a->country_len)) ==
	    -1 || response_add(o, "booker_prize",
	    json_object_new_boolean(a->booker_prize)) == -1) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Render {"author": {...}} (and "message" when given) as the response. */
static enum api_err
respond_author(struct response *resp, int status, const char *message,
    const struct author *a)
{
	json_object	*out, *ao;

	if ((ao = author_json(a)) == NULL)
		return ERR_INTERNAL;
	if ((out = json_object_new_object()) == NULL) {
		json_object_put(ao);
		return ERR_INTERNAL;
	}
	if (message != NULL && response_add(out, "message",
	    json_object_new_string(message)) == -1) {
		json_object_put(ao);
		json_object_put(out);
		return ERR_INTERNAL;
	}
	if (response_add(out, "author", ao) == -1) {	/* ao put */
		json_object_put(out);
		return ERR_INTERNAL;
	}
	response_json(resp, status, out);
	return ERR_NONE;
}

/* Validate the body into a (pointing into *in, which the caller puts). */
static enum api_err
read_author(const struct request *req, struct response *resp,
    json_object **in, struct author *a)
{
	struct field_value	 v[NFIELDS];
	enum api_err		 e;

	if ((e = app_require_json(req)) != ERR_NONE)
		return e;
	if ((e = valid_object(req->body, req->body_len, author_fields,
	    NFIELDS, in, v, &resp->detail)) != ERR_NONE)
		return e;
	a->name = v[0].str;
	a->name_len = v[0].len;
	a->book = v[1].str;
	a->book_len = v[1].len;
	a->country = v[2].str;
	a->country_len = v[2].len;
	a->booker_prize = v[3].present ? v[3].boolean : 0;
	return ERR_NONE;
}

static enum api_err
create(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	struct user	 me;
	struct author	 a = { 0 };
	json_object	*in = NULL;
	enum api_err	 e;

	(void)id;
	if ((e = app_authenticate(app, req, &me, NULL)) != ERR_NONE)
		return e;
	if ((e = read_author(req, resp, &in, &a)) != ERR_NONE)
		return e;
	e = app_store_err(store_author_insert(app->store, me.id, &a),
	    ERR_INTERNAL, ERR_AUTHOR_CONFLICT);
	if (e == ERR_NONE)
		e = respond_author(resp, 201, "new author created", &a);
	json_object_put(in);
	return e;
}

static int
list_add(void *arg, const struct author *a)
{
	json_object	*o = author_json(a);

	if (o == NULL)
		return -1;
	if (json_object_array_add(arg, o) != 0) {
		json_object_put(o);	/* still ours */
		return -1;
	}
	return 0;
}

static enum api_err
list(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	struct user	 me;
	json_object	*arr, *out;
	int64_t		 limit, offset;
	enum api_err	 e;

	(void)id;
	if ((e = app_authenticate(app, req, &me, NULL)) != ERR_NONE)
		return e;
	if ((e = route_query_paging(req->query, &limit, &offset)) != ERR_NONE)
		return e;
	if ((arr = json_object_new_array()) == NULL)
		return ERR_INTERNAL;
	if ((e = app_store_err(store_author_list(app->store, me.id, limit,
	    offset, list_add, arr), ERR_INTERNAL, ERR_INTERNAL)) != ERR_NONE) {
		json_object_put(arr);
		return e;
	}
	if ((out = json_object_new_object()) == NULL) {
		json_object_put(arr);
		return ERR_INTERNAL;
	}
	if (response_add(out, "list_of_authors", arr) == -1) {
		json_object_put(out);
		return ERR_INTERNAL;
	}
	response_json(resp, 200, out);
	return ERR_NONE;
}

static int
get_one(void *arg, const struct author *a)
{
	struct response *resp = arg;

	return respond_author(resp, 200, NULL, a) == ERR_NONE ? 0 : -1;
}

static enum api_err
read_one(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	struct user	 me;
	enum api_err	 e;

	if ((e = app_authenticate(app, req, &me, NULL)) != ERR_NONE)
		return e;
	return app_store_err(store_author_get(app->store, me.id, id, get_one,
	    resp), ERR_AUTHOR_NOT_FOUND, ERR_INTERNAL);
}

static enum api_err
replace(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	struct user	 me;
	struct author	 a = { 0 };
	json_object	*in = NULL;
	enum api_err	 e;

	if ((e = app_authenticate(app, req, &me, NULL)) != ERR_NONE)
		return e;
	if ((e = read_author(req, resp, &in, &a)) != ERR_NONE)
		return e;
	a.id = id;
	e = app_store_err(store_author_update(app->store, me.id, &a),
	    ERR_AUTHOR_NOT_FOUND, ERR_AUTHOR_CONFLICT);
	if (e == ERR_NONE)
		e = respond_author(resp, 200, NULL, &a);
	json_object_put(in);
	return e;
}

static enum api_err
remove_one(struct app *app, const struct request *req,
    struct response *resp, int64_t id)
{
	struct user	 me;
	enum api_err	 e;

	if ((e = app_authenticate(app, req, &me, NULL)) != ERR_NONE)
		return e;
	if ((e = app_store_err(store_author_delete(app->store, me.id, id),
	    ERR_AUTHOR_NOT_FOUND, ERR_INTERNAL)) != ERR_NONE)
		return e;
	return response_message(resp, 200, "Author deleted");
}

static const struct route routes[] = {
	{ METHOD_POST, "/author", create },
	{ METHOD_POST, "/authors", create },
	{ METHOD_GET, "/authors", list },
	{ METHOD_GET, "/authors/{id}", read_one },
	{ METHOD_PUT, "/authors/{id}", replace },
	{ METHOD_DELETE, "/authors/{id}", remove_one },
};

int
main(void)
{
	return app_main("authors", routes, sizeof(routes) / sizeof(routes[0]));
}
