/*
 * t_app.c: unit tests for app.c: the Content-Type check (RFC 9110
 * section 8.3: type/subtype case-insensitive, parameters allowed), the
 * dispatcher (404, 405 with Allow, a request error such as 413 passed
 * through without calling a handler, a handler's error turned into the
 * one error body, a handler without a body is a 500), the store result
 * mapping, and token authentication against a real store and key.
 */
#include "config.h"

#include <errno.h>
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
	is_int(app_store_err(STORE_ERROR, ERR_AUTHOR_NOT_FOUND,
	    ERR_AUTHOR_CONFLICT), ERR_INTERNAL, "STORE_ERROR -> 500");
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
	is_int(app_authenticate(&app, &r, &u), ERR_TOKEN_MISSING,
	    "no token: ERR_TOKEN_MISSING");

	tok = token_issue(app.key, config_issuer(app.cfg), pid, util_now(),
	    config_token_lifetime(app.cfg));
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok ? tok : "");
	r.authorization = hdr;
	memset(&u, 0, sizeof(u));
	is_int(app_authenticate(&app, &r, &u), ERR_NONE,
	    "a fresh token authenticates");
	is_str(u.name, "dora", "... as its user");
	ok(u.admin == 1 && strcmp(u.public_id, pid) == 0,
	    "... with public_id and admin flag");
	r.authorization = NULL;
	r.access_token = tok;
	is_int(app_authenticate(&app, &r, &u), ERR_NONE,
	    "the same token in x-access-tokens");
	free(tok);

	/* A valid token for a user that does not exist. */
	tok = token_issue(app.key, config_issuer(app.cfg),
	    "00000000-0000-4000-8000-000000000000", util_now(), 60);
	r.access_token = tok;
	is_int(app_authenticate(&app, &r, &u), ERR_TOKEN_INVALID,
	    "a token for an unknown user: ERR_TOKEN_INVALID");
	free(tok);
	/* Expired. */
	tok = token_issue(app.key, config_issuer(app.cfg), pid,
	    util_now() - 7200, 60);
	r.access_token = tok;
	is_int(app_authenticate(&app, &r, &u), ERR_TOKEN_INVALID,
	    "an expired token: ERR_TOKEN_INVALID");
	free(tok);
	r.access_token = (char *)"not.a.token";
	is_int(app_authenticate(&app, &r, &u), ERR_TOKEN_INVALID,
	    "garbage: ERR_TOKEN_INVALID");

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
