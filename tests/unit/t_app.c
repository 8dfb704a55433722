/*
 * t_app.c: unit tests for app.c: the Content-Type check (RFC 9110
 * section 8.3: type/subtype case-insensitive, parameters allowed), the
 * dispatcher (404, 405 with Allow, a request error such as 413 passed
 * through without calling a handler, a handler's error turned into the
 * one error body, a handler without a body is a 500), the store result
 * mapping, and token authentication against a real store and key:
 * the claims handed out, a revoked jti (logout), a disabled user, a
 * token older than the last password change, and app_keys picking up a
 * rotated or retired key file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "app.h"
#include "request.h"
#include "response.h"
#include "util.h"
#include "tap.h"

static void
req_json(struct request *r, const char *ct, const char *body)
{
	memset(r, 0, sizeof(*r));
	r->method = METHOD_POST;
	r->path = (char *)"/authors";
	r->query = (char *)"";
	r->content_type = (char *)ct;
	r->body = (char *)body;
	r->body_len = body ? strlen(body) : 0;
}

static void
test_require_json(void)
{
	static const struct {
		const char	*ct;
		enum api_err	 want;
	} cases[] = {
		{ "application/json", ERR_NONE },
		{ "application/json; charset=utf-8", ERR_NONE },
		{ "application/json;charset=UTF-8", ERR_NONE },
		{ "APPLICATION/JSON", ERR_NONE },
		{ "Application/Json; charset=utf-8", ERR_NONE },
		{ "application/jsonx", ERR_MEDIA_TYPE },
		{ "application/json-patch+json", ERR_MEDIA_TYPE },
		{ "application/json x", ERR_MEDIA_TYPE },
		{ "application/json ; charset=utf-8", ERR_NONE },
		{ "application/js", ERR_MEDIA_TYPE },
		{ "application/", ERR_MEDIA_TYPE },
		{ "text/json", ERR_MEDIA_TYPE },
		{ "text/plain", ERR_MEDIA_TYPE },
		{ "application/x-www-form-urlencoded", ERR_MEDIA_TYPE },
		{ "multipart/form-data", ERR_MEDIA_TYPE },
		{ " application/json", ERR_MEDIA_TYPE },
		{ "", ERR_MEDIA_TYPE },
		{ NULL, ERR_MEDIA_TYPE },
	};
	struct request	 r;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req_json(&r, cases[i].ct, "{}");
		is_int(app_require_json(&r), cases[i].want,
		    "Content-Type %s%s%s: %s", cases[i].ct ? "\"" : "",
		    cases[i].ct ? cases[i].ct : "absent",
		    cases[i].ct ? "\"" : "", cases[i].want == ERR_NONE ?
		    "accepted" : "ERR_MEDIA_TYPE");
	}
	req_json(&r, "application/json", NULL);
	is_int(app_require_json(&r), ERR_BAD_JSON,
	    "application/json without a body: ERR_BAD_JSON");
	req_json(&r, NULL, NULL);
	is_int(app_require_json(&r), ERR_MEDIA_TYPE,
	    "no Content-Type and no body: ERR_MEDIA_TYPE");
}

/* Fake handlers: record the call, then behave as their name says. */
static int		 calls;
static int64_t		 last_id;
static struct app	*last_app;
static const struct request *last_req;

static void
record(struct app *app, const struct request *req, int64_t id)
{
	calls++;
	last_app = app;
	last_req = req;
	last_id = id;
}

static enum api_err
h_list(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	json_object	*o = json_object_new_object();

	record(app, req, id);
	json_object_object_add(o, "list", json_object_new_boolean(1));
	response_json(resp, 200, o);
	return ERR_NONE;
}

static enum api_err
h_get(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	json_object	*o;

	record(app, req, id);
	if (id != 7)
		return ERR_AUTHOR_NOT_FOUND;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	response_json(resp, 200, o);
	return ERR_NONE;
}

/* Sets a body, then fails: the error body must replace it. */
static enum api_err
h_conflict(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	record(app, req, id);
	response_json(resp, 201, json_object_new_string("half done"));
	return ERR_AUTHOR_CONFLICT;
}

static enum api_err
h_detail(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	record(app, req, id);
	resp->detail = "name is required";
	return ERR_INVALID_FIELD;
}

/* Claims success but sets no body: a bug, so a 500. */
static enum api_err
h_nobody(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	record(app, req, id);
	(void)resp;
	return ERR_NONE;
}

static const struct route routes[] = {
	{ METHOD_GET, "/things", h_list },
	{ METHOD_POST, "/things", h_conflict },
	{ METHOD_GET, "/things/{id}", h_get },
	{ METHOD_PUT, "/things/{id}", h_nobody },
	{ METHOD_DELETE, "/things/{id}", h_detail },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Dispatch one request; fills code/message from the body if it has them. */
static void
dispatch(struct app *app, enum http_method m, const char *path,
    enum api_err reqerr, struct response *resp, char *code, size_t codesz,
    char *msg, size_t msgsz)
{
	struct request	 r;
	json_object	*v;

	memset(&r, 0, sizeof(r));
	r.method = m;
	r.path = (char *)path;
	r.query = (char *)"";
	r.error = reqerr;
	calls = 0;
	last_id = -1;
	last_app = NULL;
	last_req = NULL;
	app_handle(app, routes, NROUTES, &r, resp);
	code[0] = msg[0] = '\0';
	if (resp->body != NULL && json_object_is_type(resp->body,
	    json_type_object)) {
		if (json_object_object_get_ex(resp->body, "error", &v))
			snprintf(code, codesz, "%s", json_object_get_string(v));
		if (json_object_object_get_ex(resp->body, "message", &v))
			snprintf(msg, msgsz, "%s", json_object_get_string(v));
	}
	if (calls > 0 && last_req != &r)
		diag("handler got another request pointer");
}

static void
test_handle(void)
{
	struct app	 app;
	struct response	 resp;
	char		 code[64], msg[128];
	json_object	*v;

	memset(&app, 0, sizeof(app));
	app.name = "t_app";

	dispatch(&app, METHOD_GET, "/things", ERR_NONE, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	is_int(calls, 1, "GET /things calls its handler once");
	ok(last_app == &app && last_id == 0, "handler gets the app and id 0");
	is_int(resp.status, 200, "GET /things: 200");
	ok(resp.body != NULL && json_object_object_get_ex(resp.body, "list",
	    &v), "GET /things: the handler's body");
	response_free(&resp);

	dispatch(&app, METHOD_GET, "/things/7", ERR_NONE, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	ok(calls == 1 && last_id == 7, "GET /things/7: handler with id 7");
	is_int(resp.status, 200, "GET /things/7: 200");
	response_free(&resp);

	dispatch(&app, METHOD_GET, "/things/8", ERR_NONE, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	is_int(resp.status, 404, "handler error ERR_AUTHOR_NOT_FOUND: 404");
	is_str(code, "author_not_found", "... with its error body");
	is_str(msg, err_info(ERR_AUTHOR_NOT_FOUND)->message,
	    "... and the default message");
	response_free(&resp);

	dispatch(&app, METHOD_GET, "/nope", ERR_NONE, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	is_int(calls, 0, "GET /nope: no handler called");
	is_int(resp.status, 404, "GET /nope: 404");
	is_str(code, "not_found", "GET /nope: not_found body");
	ok(resp.allow == NULL, "GET /nope: no Allow");
	response_free(&resp);

	dispatch(&app, METHOD_GET, "/things/0", ERR_NONE, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	ok(calls == 0 && resp.status == 404 && strcmp(code, "not_found") == 0,
	    "GET /things/0: 404 not_found, no handler");
	response_free(&resp);

	dispatch(&app, METHOD_POST, "/things/3", ERR_NONE, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	is_int(calls, 0, "POST /things/3: no handler called");
	is_int(resp.status, 405, "POST /things/3: 405");
	is_str(code, "method_not_allowed", "POST /things/3: body");
	is_str(resp.allow, "GET, PUT, DELETE", "POST /things/3: Allow");
	{
		char	*out = NULL;
		size_t	 len = 0;

		ok(response_render(&resp, &out, &len) == 0 && out != NULL &&
		    strstr(out, "\r\nAllow: GET, PUT, DELETE\r\n") != NULL,
		    "the rendered 405 carries the Allow header");
		free(out);
	}
	response_free(&resp);

	dispatch(&app, METHOD_OTHER, "/things", ERR_NONE, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	ok(resp.status == 405 && resp.allow != NULL &&
	    strcmp(resp.allow, "GET, POST") == 0,
	    "PATCH-like /things: 405, Allow \"GET, POST\"");
	response_free(&resp);

	/* A request already known to be bad never reaches a handler. */
	dispatch(&app, METHOD_GET, "/things", ERR_TOO_LARGE, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	is_int(calls, 0, "request error 413: no handler called");
	is_int(resp.status, 413, "request error 413 passes through");
	is_str(code, "body_too_large", "... as body_too_large");
	response_free(&resp);
	dispatch(&app, METHOD_GET, "/things", ERR_BAD_REQUEST, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	ok(calls == 0 && resp.status == 400 &&
	    strcmp(code, "bad_request") == 0,
	    "request error 400 passes through as bad_request");
	response_free(&resp);
	dispatch(&app, METHOD_GET, "/nope", ERR_TOO_LARGE, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	is_int(resp.status, 413, "request error wins over routing (413 on "
	    "an unknown path)");
	response_free(&resp);

	/* Handler errors become the one error body. */
	dispatch(&app, METHOD_POST, "/things", ERR_NONE, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	is_int(resp.status, 409, "handler body then error: 409");
	is_str(code, "author_exists", "... the error body replaces the "
	    "handler's");
	response_free(&resp);

	dispatch(&app, METHOD_DELETE, "/things/5", ERR_NONE, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	ok(calls == 1 && last_id == 5, "DELETE /things/5: handler, id 5");
	is_int(resp.status, 400, "handler ERR_INVALID_FIELD: 400");
	is_str(code, "invalid_field", "... invalid_field");
	is_str(msg, "name is required", "... with the handler's detail");
	response_free(&resp);

	dispatch(&app, METHOD_PUT, "/things/5", ERR_NONE, &resp, code,
	    sizeof(code), msg, sizeof(msg));
	is_int(resp.status, 500, "handler success without a body: 500");
	is_str(code, "internal_error", "... internal_error");
	response_free(&resp);
}

static void
test_store_err(void)
{
	is_int(app_store_err(STORE_OK, ERR_AUTHOR_NOT_FOUND,
	    ERR_AUTHOR_CONFLICT), ERR_NONE, "STORE_OK -> ERR_NONE");
	is_int(app_store_err(STORE_NOTFOUND, ERR_AUTHOR_NOT_FOUND,
	    ERR_AUTHOR_CONFLICT), ERR_AUTHOR_NOT_FOUND,
	    "STORE_NOTFOUND -> the caller's not-found error");
	is_int(app_store_err(STORE_CONFLICT, ERR_AUTHOR_NOT_FOUND,
	    ERR_NAME_TAKEN), ERR_NAME_TAKEN,
	    "STORE_CONFLICT -> the caller's conflict error");
	is_int(app_store_err(STORE_BUSY, ERR_AUTHOR_NOT_FOUND,
	    ERR_AUTHOR_CONFLICT), ERR_UNAVAILABLE, "STORE_BUSY -> 503");
	is_int(app_store_err(STORE_UNAVAILABLE, ERR_AUTHOR_NOT_FOUND,
	    ERR_AUTHOR_CONFLICT), ERR_STORAGE,
	    "STORE_UNAVAILABLE -> 503 storage_unavailable");
	is_int(app_store_err(STORE_ERROR, ERR_AUTHOR_NOT_FOUND,
	    ERR_AUTHOR_CONFLICT), ERR_INTERNAL, "STORE_ERROR -> 500");
}

/* Authenticate tok (x-access-tokens) against app. */
static enum api_err
auth_tok(struct app *app, const char *tok, struct user *u,
    struct token_claims *c)
{
	struct request	 r;

	memset(&r, 0, sizeof(r));
	r.method = METHOD_GET;
	r.path = (char *)"/authors";
	r.query = (char *)"";
	r.access_token = (char *)(tok != NULL ? tok : "none");
	memset(u, 0, sizeof(*u));
	return app_authenticate(app, &r, u, c);
}

/* The v2 token checks of app_authenticate. */
static void
test_lifecycle(struct app *app, const char *pid)
{
	struct token_claims	 c;
	struct user		 u;
	const char		*iss = config_issuer(app->cfg);
	struct user		 u2;
	char			*tok, *tok2, *tok3;
	int64_t			 now = util_now(), uid;

	if (store_user_by_name(app->store, "dora", 4, &u) != STORE_OK) {
		ok(0, "dora is in the store");
		return;
	}
	uid = u.id;
	tok = token_issue(app->key, iss, pid, now, 600);
	tok2 = token_issue(app->key, iss, pid, now, 600);
	memset(&c, 0, sizeof(c));
	is_int(auth_tok(app, tok, &u, &c), ERR_NONE,
	    "lifecycle: a fresh token with a claims pointer");
	is_str(c.public_id, pid, "claims: public_id");
	is_int((long long)strlen(c.jti), 36, "claims: a 36-character jti");
	is_str(c.kid, "0", "claims: kid \"0\" of a token_key_new key");
	ok(c.iat == now && c.exp == now + 600, "claims: iat and exp (%lld, "
	    "%lld)", (long long)c.iat, (long long)c.exp);

	/* Logout: the jti is revoked; the user's other token still works. */
	is_int(store_token_revoke(app->store, c.jti, c.exp, now), STORE_OK,
	    "lifecycle: revoke the token's jti");
	is_int(auth_tok(app, tok, &u, NULL), ERR_TOKEN_INVALID,
	    "lifecycle: the revoked token: ERR_TOKEN_INVALID");
	is_int(auth_tok(app, tok2, &u, NULL), ERR_NONE,
	    "lifecycle: another token of the same user still works");

	/* Disabled users' tokens are refused, and stay void after enabling
	 * again: disabling ends every token issued until then. */
	store_user_set_disabled(app->store, "dora", 4, 1);
	is_int(auth_tok(app, tok2, &u, NULL), ERR_TOKEN_INVALID,
	    "lifecycle: the user disabled: ERR_TOKEN_INVALID");
	store_user_set_disabled(app->store, "dora", 4, 0);
	is_int(auth_tok(app, tok2, &u, NULL), ERR_TOKEN_INVALID,
	    "lifecycle: enabled again: the old token stays void");
	free(tok);
	free(tok2);

	/* A password change voids every token up to its cut-off (at least
	 * now + 1, and past the disable's just before); a token dated to
	 * the cut-off (what a login right after issues) works, and a token
	 * dated to the disable's cut-off, which a login between the two
	 * would have issued, does not. */
	tok = token_issue(app->key, iss, pid, now, 600);
	memset(&u, 0, sizeof(u));
	store_user_by_name(app->store, "dora", 4, &u);
	tok3 = token_issue(app->key, iss, pid, u.tokens_valid_after, 600);
	is_int(store_user_set_password(app->store, uid, "$y$x", now + 1),
	    STORE_OK, "lifecycle: password changed");
	memset(&u2, 0, sizeof(u2));
	store_user_by_name(app->store, "dora", 4, &u2);
	ok(u2.tokens_valid_after >= now + 1, "lifecycle: cut-off at least "
	    "now + 1 (%lld)", (long long)u2.tokens_valid_after);
	/* As login does: a cut-off further ahead than a token may be
	 * dated is waited for. */
	for (int i = 0; i < 3 && u2.tokens_valid_after > util_now() + 1; i++)
		sleep(1);
	tok2 = token_issue(app->key, iss, pid, u2.tokens_valid_after, 600);
	is_int(auth_tok(app, tok, &u, NULL), ERR_TOKEN_INVALID,
	    "lifecycle: token with iat before tokens_valid_after: "
	    "ERR_TOKEN_INVALID");
	is_int(auth_tok(app, tok3, &u, NULL), ERR_TOKEN_INVALID,
	    "lifecycle: token dated to the earlier cut-off (a login between "
	    "the disable and the change): ERR_TOKEN_INVALID");
	is_int(auth_tok(app, tok2, &u, NULL), ERR_NONE,
	    "lifecycle: token with iat == tokens_valid_after (the login's "
	    "date right after the change) works");
	free(tok);
	free(tok2);
	free(tok3);
	tok = token_issue(app->key, iss, pid, now - 3600, 7200);
	is_int(auth_tok(app, tok, &u, NULL), ERR_TOKEN_INVALID,
	    "lifecycle: an older, unexpired token: ERR_TOKEN_INVALID");
	free(tok);
}

/* Write data to path with mode 0600 (replacing it). 0 or -1. */
static int
put_file(const char *path, const char *data)
{
	int	 fd;
	size_t	 n = strlen(data);

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		return -1;
	if (write(fd, data, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* app_keys reloads the key file after library-admin key rotate/retire. */
static void
test_app_keys(struct app *base, const char *dir, const char *pid)
{
	struct app		 app = *base;
	struct token_key	*admin;
	struct user		 u;
	char			 path[4200], conf[4400], err[256];
	char			*old, *new, *late;
	const char		*iss;
	int64_t			 now = util_now();

	snprintf(path, sizeof(path), "%s/keys", dir);
	snprintf(conf, sizeof(conf), "secret_file = %s\n", path);
	app.cfg = config_new_defaults();
	if (app.cfg == NULL || config_parse(app.cfg, conf, strlen(conf), err,
	    sizeof(err)) == -1 ||
	    put_file(path, "0123456789abcdef0123456789abcdef\n") == -1 ||
	    (app.key = token_key_load(path)) == NULL ||
	    token_key_set_policy(app.key, 30, NULL) == -1) {
		ok(0, "app_keys: a key file and its configuration (%s)", err);
		config_free(app.cfg);
		return;
	}
	iss = config_issuer(app.cfg);
	ok(app_keys(&app) == app.key, "app_keys: unchanged file, same set");
	old = token_issue(app_keys(&app), iss, pid, now, 600);
	late = token_issue(app_keys(&app), iss, pid, now - 610, 600);
	is_int(auth_tok(&app, old, &u, NULL), ERR_NONE,
	    "app_keys: a token of key 0 works");
	is_int(auth_tok(&app, late, &u, NULL), ERR_NONE,
	    "app_keys: a token expired 10 s ago works with leeway 30");

	/* library-admin key rotate: another process rewrites the file. */
	admin = token_key_load(path);
	if (admin == NULL || token_key_rotate(admin) == -1 ||
	    token_key_save(admin, path) == -1) {
		ok(0, "app_keys: rotate and save");
		token_key_free(admin);
		goto out;
	}
	new = token_issue(admin, iss, pid, now, 600);
	is_int(auth_tok(&app, new, &u, NULL), ERR_NONE,
	    "app_keys: a token of the rotated-in key works without a restart");
	is_int((long long)token_key_count(app_keys(&app)), 2,
	    "app_keys: the reloaded set has two keys");
	is_int(auth_tok(&app, old, &u, NULL), ERR_NONE,
	    "app_keys: the old key's token still works");
	is_int(auth_tok(&app, late, &u, NULL), ERR_NONE,
	    "app_keys: the leeway survives the reload");
	free(late);
	late = token_issue(app_keys(&app), iss, pid, now, 600);
	is_int(auth_tok(&app, late, &u, NULL), ERR_NONE,
	    "app_keys: tokens issued after the reload work");

	/* library-admin key retire 0. */
	if (token_key_retire(admin, "0") == -1 ||
	    token_key_save(admin, path) == -1) {
		ok(0, "app_keys: retire and save");
		token_key_free(admin);
		free(new);
		goto out;
	}
	is_int(auth_tok(&app, old, &u, NULL), ERR_TOKEN_INVALID,
	    "app_keys: after retire 0 the old token is refused");
	is_int(auth_tok(&app, new, &u, NULL), ERR_NONE,
	    "app_keys: ... and the new key's token still works");
	is_int(auth_tok(&app, late, &u, NULL), ERR_NONE,
	    "app_keys: ... as does a token the responder signed after the "
	    "reload");

	/* A broken rewrite keeps the set loaded before. */
	put_file(path, "library-api-keys 1\nbad\n");
	is_int(auth_tok(&app, new, &u, NULL), ERR_NONE,
	    "app_keys: a broken key file keeps the keys loaded before");
	ok(app_keys(&app) != NULL && token_key_count(app_keys(&app)) == 1,
	    "app_keys: still one key");
	token_key_free(admin);
	free(new);
out:
	free(old);
	free(late);
	token_key_free(app.key);
	config_free(app.cfg);
	unlink(path);
}

/* app_authenticate with a real configuration, store and key. */
static void
test_authenticate(void)
{
	static const unsigned char k[] = "0123456789abcdef0123456789abcdef";
	const char	*tmp = getenv("TMPDIR");
	char		 dir[4096], db[4200], hdr[8192], pid[37], *tok;
	struct app	 app;
	struct request	 r;
	struct user	 u;

	snprintf(dir, sizeof(dir), "%s/t_app.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		skip(1, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(db, sizeof(db), "%s/app.db", dir);
	memset(&app, 0, sizeof(app));
	app.name = "t_app";
	app.cfg = config_new_defaults();
	app.key = token_key_new(k, 32);
	app.store = store_open(db, 1);
	if (!ok(app.cfg && app.key && app.store, "config, key and store")) {
		config_free(app.cfg);
		token_key_free(app.key);
		store_close(app.store);
		return;
	}
	util_uuid4(pid);
	is_int(store_user_insert(app.store, pid, "dora", 4, "$y$x", 1),
	    STORE_OK, "a user");

	memset(&r, 0, sizeof(r));
	r.method = METHOD_GET;
	r.path = (char *)"/users";
	r.query = (char *)"";
	is_int(app_authenticate(&app, &r, &u, NULL), ERR_TOKEN_MISSING,
	    "no token: ERR_TOKEN_MISSING");

	tok = token_issue(app.key, config_issuer(app.cfg), pid, util_now(),
	    config_token_lifetime(app.cfg));
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok ? tok : "");
	r.authorization = hdr;
	memset(&u, 0, sizeof(u));
	is_int(app_authenticate(&app, &r, &u, NULL), ERR_NONE,
	    "a fresh token authenticates");
	is_str(u.name, "dora", "... as its user");
	ok(u.admin == 1 && strcmp(u.public_id, pid) == 0,
	    "... with public_id and admin flag");
	r.authorization = NULL;
	r.access_token = tok;
	is_int(app_authenticate(&app, &r, &u, NULL), ERR_NONE,
	    "the same token in x-access-tokens");
	free(tok);

	/* A valid token for a user that does not exist. */
	tok = token_issue(app.key, config_issuer(app.cfg),
	    "00000000-0000-4000-8000-000000000000", util_now(), 60);
	r.access_token = tok;
	is_int(app_authenticate(&app, &r, &u, NULL), ERR_TOKEN_INVALID,
	    "a token for an unknown user: ERR_TOKEN_INVALID");
	free(tok);
	/* Expired. */
	tok = token_issue(app.key, config_issuer(app.cfg), pid,
	    util_now() - 7200, 60);
	r.access_token = tok;
	is_int(app_authenticate(&app, &r, &u, NULL), ERR_TOKEN_INVALID,
	    "an expired token: ERR_TOKEN_INVALID");
	free(tok);
	r.access_token = (char *)"not.a.token";
	is_int(app_authenticate(&app, &r, &u, NULL), ERR_TOKEN_INVALID,
	    "garbage: ERR_TOKEN_INVALID");

	test_lifecycle(&app, pid);
	/* A user of its own: dora's cut-off now voids older tokens. */
	{
		static const char erin[] = "5b6f8d2e-0c1a-4e3b-9f7d-2a4c6e8b0d1f";

		is_int(store_user_insert(app.store, erin, "erin", 4, "$y$x", 0),
		    STORE_OK, "insert erin");
		test_app_keys(&app, dir, erin);
	}

	store_close(app.store);
	token_key_free(app.key);
	config_free(app.cfg);
	unlink(db);
	snprintf(hdr, sizeof(hdr), "%s-wal", db);
	unlink(hdr);
	snprintf(hdr, sizeof(hdr), "%s-shm", db);
	unlink(hdr);
	rmdir(dir);
}

int
main(void)
{
	test_require_json();
	test_handle();
	test_store_err();
	test_authenticate();
	return done_testing();
}
