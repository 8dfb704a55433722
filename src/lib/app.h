/*
 * app.h: what every responder shares: per-process state set up once
 * (configuration, store, key) and the accept loop that turns each
 * request into one handler call and one written response.
 */
#ifndef LIBAPI_APP_H
#define LIBAPI_APP_H

#include <stddef.h>
#include "conf.h"
#include "route.h"
#include "store.h"
#include "token.h"

struct app {
	const char		*name;	/* program name, for logs */
	struct config		*cfg;
	struct store		*store;
	struct token_key	*key;
};

/*
 * Run a responder: load configuration, open the store, load the key
 * (refusing to serve without a usable one), then serve requests with the
 * route table until there are no more. Returns the process exit status.
 */
int app_main(const char *name, const struct route *routes, size_t n);

/*
 * Handle one request (already read) against routes; fills resp. Exposed
 * so tests can drive a responder without a server.
 */
void app_handle(struct app *app, const struct route *routes, size_t n,
    const struct request *req, struct response *resp);

/*
 * The user a request's token names: ERR_NONE with *user (and *claims,
 * when not NULL) filled, or ERR_TOKEN_MISSING / ERR_TOKEN_INVALID (also
 * for an unknown, disabled or logged-out user, and a token older than
 * the user's last password change) / ERR_UNAVAILABLE.
 */
enum api_err app_authenticate(struct app *app, const struct request *req,
    struct user *user, struct token_claims *claims);

/* The key set, reloaded first if its file changed. */
const struct token_key *app_keys(struct app *app);

/* Check Content-Type is application/json (parameters allowed) and the
 * body is present: ERR_NONE, ERR_MEDIA_TYPE or ERR_BAD_JSON. */
enum api_err app_require_json(const struct request *req);

/* Map a store result to an error (OK -> ERR_NONE). */
enum api_err app_store_err(enum store_rc rc, enum api_err notfound,
    enum api_err conflict);

#endif
