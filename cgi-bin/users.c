/*
 * users: GET /users lists users for admins: public_id, name, admin.
 * No renderer here can output a password hash: the store never hands
 * one out of store_user_list.
 */
#include "config.h"

#include "app.h"

static int
add_user(void *arg, const char *public_id, const char *name, int admin)
{
	json_object	*list = arg, *u;

	if ((u = json_object_new_object()) == NULL)
		return -1;
	json_object_object_add(u, "public_id",
	    json_object_new_string(public_id));
	json_object_object_add(u, "name", json_object_new_string(name));
	json_object_object_add(u, "admin", json_object_new_boolean(admin));
	return json_object_array_add(list, u);
}

static enum api_err
get_users(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	struct user	 me;
	json_object	*list, *out;
	enum api_err	 e;

	(void)id;
	if ((e = app_authenticate(app, req, &me)) != ERR_NONE)
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
	json_object_object_add(out, "users", list);
	response_json(resp, 200, out);
	return ERR_NONE;
}

static const struct route routes[] = {
	{ METHOD_GET, "/users", get_users },
};

int
main(void)
{
	return app_main("users", routes, sizeof(routes) / sizeof(routes[0]));
}
