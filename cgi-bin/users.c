/*
 * users: GET /users lists users for admins: public_id, name, admin.
 * No renderer here can output a password hash: the store never hands
 * one out of store_user_list.
 * PUT /users/me/password {"old_password", "new_password"} changes the
 * caller's password and voids every token issued before.
 */
#include "config.h"

#include <string.h>

#include "app.h"
#include "limits.h"
#include "log.h"
#include "password.h"
#include "util.h"
#include "valid.h"

static int
add_user(void *arg, const char *public_id, const char *name, int admin)
{
	json_object	*list = arg, *u;

	if ((u = json_object_new_object()) == NULL)
		return -1;
	if (response_add(u, "public_id",
	    json_object_new_string(public_id)) == -1 ||
	    response_add(u, "name", json_object_new_string(name)) == -1 ||
	    response_add(u, "admin", json_object_new_boolean(admin)) == -1 ||
	    json_object_array_add(list, u) != 0) {
		json_object_put(u);	/* still ours */
		return -1;
	}
	return 0;
}

static enum api_err
get_users(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	struct user	 me;
	json_object	*list, *out;
	enum api_err	 e;

	(void)id;
	if ((e = app_authenticate(app, req, &me, NULL)) != ERR_NONE)
		return e;
	if (!me.admin)
		return ERR_FORBIDDEN;
	if ((list = json_object_new_array()) == NULL)
		return ERR_INTERNAL;
	if ((e = app_store_err(store_user_list(app->store, add_user, list),
	    ERR_INTERNAL, ERR_INTERNAL)) != ERR_NONE) {
		json_object_put(list);
		return e;
	}
	if ((out = json_object_new_object()) == NULL) {
		json_object_put(list);
		return ERR_INTERNAL;
	}
	if (response_add(out, "users", list) == -1) {
		json_object_put(out);
		return ERR_INTERNAL;
	}
	response_json(resp, 200, out);
	return ERR_NONE;
}

static const struct field password_fields[] = {
	{ "old_password", FIELD_SECRET, 1, LIMIT_PASSWORD_MAX, 1 },
	{ "new_password", FIELD_SECRET, LIMIT_PASSWORD_MIN, LIMIT_PASSWORD_MAX,
	    1 },
};
#define NPW (sizeof(password_fields) / sizeof(password_fields[0]))

static enum api_err
put_password(struct app *app, const struct request *req,
    struct response *resp, int64_t id)
{
	struct user		 me, full;
	struct field_value	 v[NPW];
	json_object		*in = NULL;
	char			 hash[PASSWORD_HASH_MAX];
	const char		*addr = req->remote_addr ? req->remote_addr : "";
	int64_t			 now = util_now(), retry = 0;
	enum api_err		 e;

	(void)id;
	if ((e = app_authenticate(app, req, &me, NULL)) != ERR_NONE)
		return e;
	if ((e = app_require_json(req)) != ERR_NONE)
		return e;
	if ((e = valid_object(req->body, req->body_len, password_fields, NPW,
	    &in, v, &resp->detail)) != ERR_NONE)
		return e;
	/* Guessing the old password here counts like failed logins. */
	if ((e = app_store_err(store_throttle_attempt(app->store, me.name,
	    strlen(me.name), addr, now, config_login_window(app->cfg),
	    config_login_max_failures(app->cfg),
	    config_login_max_failures_addr(app->cfg), &retry), ERR_INTERNAL,
	    ERR_INTERNAL)) != ERR_NONE)
		goto out;
	if (retry > 0) {
		resp->retry_after = (long)retry;
		e = ERR_TOO_MANY_ATTEMPTS;
		goto out;
	}
	if ((e = app_store_err(store_user_by_name(app->store, me.name,
	    strlen(me.name), &full), ERR_TOKEN_INVALID, ERR_INTERNAL)) !=
	    ERR_NONE)
		goto out;
	if (!password_verify(v[0].str, v[0].len, full.hash)) {
		util_wipe(full.hash, sizeof(full.hash));
		e = ERR_WRONG_PASSWORD;	/* counted by the attempt */
		goto out;
	}
	util_wipe(full.hash, sizeof(full.hash));
	if (store_throttle_succeeded(app->store, me.name, strlen(me.name),
	    addr) != STORE_OK)
		log_error(__func__, "cannot reset the failed-login counter");
	if (password_hash(v[1].str, v[1].len, config_password_cost(app->cfg),
	    hash) == -1) {
		e = ERR_INTERNAL;
		goto out;
	}
	/*
	 * Tokens with iat before the second after this UPDATE runs are void
	 * (the store reads the clock inside the write, after the hashing):
	 * every token issued until then, this request's included. login
	 * issues iat no earlier than that, so a new login in the same
	 * second still works, and a login racing this change re-reads the
	 * row after its own hash (login.c).
	 */
	e = app_store_err(store_user_set_password(app->store, me.id, hash,
	    now + 1), ERR_TOKEN_INVALID, ERR_INTERNAL);
	util_wipe(hash, sizeof(hash));
	if (e == ERR_NONE)
		e = response_message(resp, 200,
		    "password changed; log in again");
out:
	json_object_put(in);
	return e;
}

static const struct route routes[] = {
	{ METHOD_GET, "/users", get_users },
	{ METHOD_PUT, "/users/me/password", put_password },
};

int
main(void)
{
	return app_main("users", routes, sizeof(routes) / sizeof(routes[0]));
}
