/*
 * login: GET or POST /login with HTTP Basic credentials returns a token;
 * POST /logout revokes the token it is sent with.
 *
 * Login attempts are counted per name and per client address in the
 * database (so every process and CGI run shares them), atomically with
 * the check and before any hashing; a success takes its attempt back.
 * Past the limit the answer is 429 with Retry-After until the window
 * ends. An unknown name, a wrong password and a disabled
 * user get the same answer at the same cost (one hash).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "limits.h"
#include "log.h"
#include "password.h"
#include "util.h"

static enum api_err
throttled(struct app *app, const char *name, size_t name_len,
    const char *addr, int64_t now, struct response *resp)
{
	int64_t		 retry = 0;
	enum api_err	 e;

	e = app_store_err(store_throttle_attempt(app->store, name, name_len,
	    addr, now, config_login_window(app->cfg),
	    config_login_max_failures(app->cfg),
	    config_login_max_failures_addr(app->cfg), &retry),
	    ERR_INTERNAL, ERR_INTERNAL);
	if (e == ERR_NONE && retry > 0) {
		resp->retry_after = (long)retry;
		return ERR_TOO_MANY_ATTEMPTS;
	}
	return e;
}

static enum api_err
login(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	struct basic_cred	 cred;
	struct user		 user;
	enum store_rc		 rc = STORE_NOTFOUND;
	enum api_err		 e;
	json_object		*out;
	char			*tok;
	const char		*addr = req->remote_addr ? req->remote_addr : "";
	int64_t			 now = util_now(), iat,
				 life = config_token_lifetime(app->cfg);
	int			 ok, waits;

	(void)id;
	if (auth_basic_parse(req->authorization, &cred) == -1)
		return ERR_LOGIN_FAILED;
	if ((e = throttled(app, cred.user, cred.user_len, addr, now, resp)) !=
	    ERR_NONE) {
		util_wipe(&cred, sizeof(cred));
		return e;
	}
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
	    rc == STORE_OK && !user.disabled;
	util_wipe(cred.pass, cred.pass_len);
	if (ok) {
		/*
		 * The hash took a while: a password change or a disable may
		 * have committed meanwhile. Read the clock first, then the
		 * row again: a change that commits after this read voids
		 * tokens up to its own second, which is not before this iat's.
		 */
		struct user	 again;
		char		 hash[PASSWORD_HASH_MAX];

		memcpy(hash, user.hash, sizeof(hash));
		memset(&again, 0, sizeof(again));
		now = util_now();
		rc = store_user_by_name(app->store, cred.user, cred.user_len,
		    &again);
		ok = rc == STORE_OK && !again.disabled &&
		    strcmp(again.hash, hash) == 0;
		if (ok)
			user.tokens_valid_after = again.tokens_valid_after;
		util_wipe(hash, sizeof(hash));
		util_wipe(again.hash, sizeof(again.hash));
	}
	util_wipe(user.hash, sizeof(user.hash));
	/* The re-read failed (busy, out of memory): not a wrong password. */
	if (rc != STORE_OK && rc != STORE_NOTFOUND) {
		util_wipe(&cred, sizeof(cred));
		return app_store_err(rc, ERR_LOGIN_FAILED, ERR_INTERNAL);
	}
	if (!ok) {
		/* Counted already, by the attempt. */
		util_wipe(&cred, sizeof(cred));
		return ERR_LOGIN_FAILED;
	}
	if (store_throttle_succeeded(app->store, cred.user, cred.user_len,
	    addr) != STORE_OK)
		log_error(__func__, "cannot reset the failed-login counter");
	util_wipe(&cred, sizeof(cred));
	/*
	 * Never before the last password change (see users.c). Changes in
	 * quick succession put that cut-off ahead of the clock (each voids
	 * the tokens dated to the one before, store.c), further than a
	 * token may be dated ahead: wait for the clock, a few seconds at
	 * most.
	 */
	for (waits = 0; user.tokens_valid_after > util_now() + 1; waits++) {
		const struct timespec ts = { 0, 100 * 1000 * 1000 };

		if (waits == 30)
			return ERR_UNAVAILABLE;
		nanosleep(&ts, NULL);
	}
	now = util_now();
	iat = now > user.tokens_valid_after ? now : user.tokens_valid_after;
	if ((tok = token_issue(app_keys(app), config_issuer(app->cfg),
	    user.public_id, iat, life)) == NULL)
		return ERR_INTERNAL;
	if ((out = json_object_new_object()) == NULL) {
		free(tok);
		return ERR_INTERNAL;
	}
	if (response_add(out, "token", json_object_new_string(tok)) == -1 ||
	    response_add(out, "expires_in", json_object_new_int64(life)) ==
	    -1) {
		json_object_put(out);
		out = NULL;
	}
	util_wipe(tok, strlen(tok));
	free(tok);
	if (out == NULL)
		return ERR_INTERNAL;
	response_json(resp, 200, out);
	return ERR_NONE;
}

static enum api_err
logout(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	struct user		 me;
	struct token_claims	 c;
	enum api_err		 e;

	(void)id;
	if ((e = app_authenticate(app, req, &me, &c)) != ERR_NONE)
		return e;
	/* Kept until the token could no longer be used anyway. */
	if ((e = app_store_err(store_token_revoke(app->store, c.jti,
	    c.exp + config_clock_leeway(app->cfg), util_now()),
	    ERR_INTERNAL, ERR_NONE)) != ERR_NONE)
		return e;
	return response_message(resp, 200, "logged out");
}

static const struct route routes[] = {
	{ METHOD_GET, "/login", login },
	{ METHOD_POST, "/login", login },
	{ METHOD_POST, "/logout", logout },
};

int
main(void)
{
	return app_main("login", routes, sizeof(routes) / sizeof(routes[0]));
}
