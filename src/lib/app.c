/*
 * app.c: per-process setup and the accept loop shared by every
 * responder: read a request, route it, call one handler, turn any error
 * into the one error body, write the response once, free the request.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "app.h"
#include "auth.h"
#include "limits.h"
#include "log.h"
#include "password.h"
#include "request.h"
#include "response.h"
#include "util.h"

enum api_err
app_store_err(enum store_rc rc, enum api_err notfound, enum api_err conflict)
{
	switch (rc) {
	case STORE_OK:
		return ERR_NONE;
	case STORE_NOTFOUND:
		return notfound;
	case STORE_CONFLICT:
		return conflict;
	case STORE_BUSY:
		return ERR_UNAVAILABLE;
	default:
		return ERR_INTERNAL;
	}
}

const struct token_key *
app_keys(struct app *app)
{
	token_key_refresh(&app->key, config_secret_file(app->cfg));
	return app->key;
}

enum api_err
app_authenticate(struct app *app, const struct request *req,
    struct user *user, struct token_claims *claims)
{
	struct token_claims	 c;
	const char		*tok;
	size_t			 len;
	enum api_err		 e;

	if ((e = auth_token_from(req, &tok, &len)) != ERR_NONE)
		return e;
	if ((e = token_verify_claims(app_keys(app), config_issuer(app->cfg),
	    tok, len, util_now(), &c)) != ERR_NONE)
		return e;
	if ((e = app_store_err(store_user_auth(app->store, c.public_id, c.jti,
	    user), ERR_TOKEN_INVALID, ERR_INTERNAL)) != ERR_NONE)
		return e;
	/* Logged out, disabled, or issued before the last password change. */
	if (user->revoked || user->disabled ||
	    c.iat < user->tokens_valid_after)
		return ERR_TOKEN_INVALID;
	if (claims != NULL)
		*claims = c;
	return ERR_NONE;
}

enum api_err
app_require_json(const struct request *req)
{
	const char	*ct = req->content_type;
	size_t		 n = strlen("application/json");

	/* RFC 9110 section 8.3: type/subtype is case-insensitive, then
	 * optional whitespace and parameters. */
	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return ERR_MEDIA_TYPE;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (*ct != '\0' && *ct != ';')
		return ERR_MEDIA_TYPE;
	if (req->body == NULL)
		return ERR_BAD_JSON;
	return ERR_NONE;
}

void
app_handle(struct app *app, const struct route *routes, size_t n,
    const struct request *req, struct response *resp)
{
	route_handler	 h;
	enum api_err	 e;
	int64_t		 id = 0;

	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
	if ((e = req->error) == ERR_NONE) {
		h = route_match(routes, n, req->method, req->path, &id, &e,
		    &resp->allow);
		if (h != NULL)
			e = h(app, req, resp, id);
	}
	if (e == ERR_NONE && resp->body == NULL) {
		log_error(__func__, "handler set no body");
		e = ERR_INTERNAL;
	}
	if (e != ERR_NONE && response_error(resp, e) == -1)
		log_error(__func__, "out of memory");
}

static volatile sig_atomic_t app_stop, app_busy;

/*
 * SIGTERM: idle, leave at once (libfcgi would restart an interrupted
 * accept); busy, finish the request in hand and leave the loop after it.
 */
static void
on_term(int sig)
{
	(void)sig;
	if (!app_busy)
		_exit(EXIT_SUCCESS);
	app_stop = 1;
}

int
app_main(const char *name, const struct route *routes, size_t n)
{
	struct app	 app;
	struct io	*io = NULL;
	struct request	 req;
	struct response	 resp;
	struct sigaction sa;
	char		*out;
	size_t		 outlen;
	int		 status = EXIT_FAILURE, r;

	memset(&app, 0, sizeof(app));
	app.name = name;
	log_init(name);
	/* Everything from the process environment is read here, once. */
	if ((app.cfg = config_load()) == NULL)
		goto out;
	if ((app.key = token_key_load(config_secret_file(app.cfg))) == NULL ||
	    token_key_set_policy(app.key, config_clock_leeway(app.cfg),
	    config_audience(app.cfg)) == -1) {
		log_error(__func__, "refusing to serve without a usable secret");
		goto out;
	}
	if ((app.store = store_open(config_db_path(app.cfg), 0)) == NULL)
		goto out;
	if ((io = io_open()) == NULL)
		goto out;

	/* SIGTERM: finish the request in hand, then leave the loop. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);

	while (!app_stop && (r = io_accept(io, &req)) == 1) {
		app_busy = 1;
		app_handle(&app, routes, n, &req, &resp);
		if (response_render(&resp, &out, &outlen) == 0) {
			if (io_write(io, out, outlen) == -1)
				log_error(__func__, "client went away");
			free(out);
		} else {
			static const char fallback[] =
			    "Status: 500 Internal Server Error\r\n"
			    "Content-Type: application/json\r\n\r\n"
			    "{\"error\":\"internal_error\","
			    "\"message\":\"internal error\"}";

			log_error(__func__, "cannot render response");
			io_write(io, fallback, sizeof(fallback) - 1);
		}
		response_free(&resp);
		request_free(&req);
		io_finish(io);
		app_busy = 0;
	}
	status = EXIT_SUCCESS;
out:
	io_close(io);
	store_close(app.store);
	token_key_free(app.key);
	config_free(app.cfg);
	return status;
}
