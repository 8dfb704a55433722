/*
 * register: POST /register {"name", "password"} creates a user.
 */
#include "config.h"

#include <string.h>

#include "app.h"
#include "limits.h"
#include "log.h"
#include "password.h"
#include "util.h"
#include "valid.h"

static const struct field register_fields[] = {
	{ "name", FIELD_TEXT, 1, LIMIT_NAME_CP, 1 },
	{ "password", FIELD_SECRET, LIMIT_PASSWORD_MIN, LIMIT_PASSWORD_MAX, 1 },
};
#define NFIELDS (sizeof(register_fields) / sizeof(register_fields[0]))

static enum api_err
post_register(struct app *app, const struct request *req,
    struct response *resp, int64_t id)
{
	struct field_value	 v[NFIELDS];
	json_object		*in = NULL, *out;
	char			 hash[PASSWORD_HASH_MAX], pid[37];
	enum api_err		 e;

	(void)id;
	if ((e = app_require_json(req)) != ERR_NONE)
		return e;
	if ((e = valid_object(req->body, req->body_len, register_fields,
	    NFIELDS, &in, v, &resp->detail)) != ERR_NONE)
		return e;
	/* HTTP Basic (RFC 7617 section 2) cannot carry a colon in a name. */
	if (memchr(v[0].str, ':', v[0].len) != NULL) {
		resp->detail = "name must not contain ':'";
		e = ERR_INVALID_FIELD;
		goto out;
	}
	if (util_uuid4(pid) == -1 ||
	    password_hash(v[1].str, v[1].len, config_password_cost(app->cfg),
	    hash) == -1) {
		e = ERR_INTERNAL;
		goto out;
	}
	e = app_store_err(store_user_insert(app->store, pid, v[0].str,
	    v[0].len, hash, 0), ERR_INTERNAL, ERR_NAME_TAKEN);
	util_wipe(hash, sizeof(hash));
	if (e != ERR_NONE)
		goto out;
	if ((out = json_object_new_object()) == NULL) {
		e = ERR_INTERNAL;
		goto out;
	}
	if (response_add(out, "message",
	    json_object_new_string("registered successfully")) == -1 ||
	    response_add(out, "public_id", json_object_new_string(pid)) ==
	    -1) {
		json_object_put(out);
		e = ERR_INTERNAL;
		goto out;
	}
	response_json(resp, 201, out);
out:
	json_object_put(in);
	return e;
}

static const struct route routes[] = {
	{ METHOD_POST, "/register", post_register },
};

int
main(void)
{
	return app_main("register", routes, sizeof(routes) / sizeof(routes[0]));
}
