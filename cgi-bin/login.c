/*
 * login: GET or POST /login with HTTP Basic credentials returns a token.
 * An unknown name costs one password hash too, and every failure gets
 * the same answer.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth.h"
#include "limits.h"
#include "password.h"
#include "util.h"

static enum api_err
login(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	struct basic_cred	 cred;
	struct user		 user;
	enum store_rc		 rc = STORE_NOTFOUND;
	json_object		*out;
	char			*tok;
	int64_t			 now = util_now(),
				 life = config_token_lifetime(app->cfg);
	int			 ok;

	(void)id;
	if (auth_basic_parse(req->authorization, &cred) == -1)
		return ERR_LOGIN_FAILED;
	memset(&user, 0, sizeof(user));
	if (cred.user_len > 0 && cred.user_len <= sizeof(user.name) - 1)
		rc = store_user_by_name(app->store, cred.user, cred.user_len,
		    &user);
	if (rc != STORE_OK && rc != STORE_NOTFOUND) {
		util_wipe(&cred, sizeof(cred));
		return app_store_err(rc, ERR_LOGIN_FAILED, ERR_INTERNAL);
	}
	/* Same cost either way: hash against a dummy for unknown names. */
	ok = password_verify(cred.pass, cred.pass_len, rc == STORE_OK ?
	    user.hash : password_dummy_hash(config_password_cost(app->cfg))) &&
	    rc == STORE_OK;
	util_wipe(&cred, sizeof(cred));
	util_wipe(user.hash, sizeof(user.hash));
	if (!ok)
		return ERR_LOGIN_FAILED;
	if ((tok = token_issue(app->key, config_issuer(app->cfg),
	    user.public_id, now, life)) == NULL)
		return ERR_INTERNAL;
	if ((out = json_object_new_object()) == NULL) {
		free(tok);
		return ERR_INTERNAL;
	}
	json_object_object_add(out, "token", json_object_new_string(tok));
	json_object_object_add(out, "expires_in", json_object_new_int64(life));
	util_wipe(tok, strlen(tok));
	free(tok);
	response_json(resp, 200, out);
	return ERR_NONE;
}

static const struct route routes[] = {
	{ METHOD_GET, "/login", login },
	{ METHOD_POST, "/login", login },
};

int
main(void)
{
	return app_main("login", routes, sizeof(routes) / sizeof(routes[0]));
}
