/*
 * app.c: per-process setup and the accept loop shared by every
 * responder: read a request, route it, call one handler, turn any error
 * into the one error body, write the response once, free the request.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

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
	case STORE_UNAVAILABLE:
		return ERR_STORAGE;
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

/* Load the key set from the configured file; -1 (logged) if unusable. */
static int
app_load_key(struct app *app)
{
	if ((app->key = token_key_load(config_secret_file(app->cfg))) == NULL)
		return -1;
	if (token_key_set_policy(app->key, config_clock_leeway(app->cfg),
	    config_audience(app->cfg)) == -1) {
		token_key_free(app->key);
		app->key = NULL;
		return -1;
	}
	return 0;
}

/* Open the configured database; -1 (logged) if it cannot be used. */
static int
app_open_store(struct app *app)
{
	struct store_opts	 o;

	o.busy_timeout_ms = config_busy_timeout(app->cfg);
	switch (config_synchronous(app->cfg)) {
	case CONFIG_SYNC_NORMAL:
		o.synchronous = STORE_SYNC_NORMAL;
		break;
	case CONFIG_SYNC_EXTRA:
		o.synchronous = STORE_SYNC_EXTRA;
		break;
	default:
		o.synchronous = STORE_SYNC_FULL;
		break;
	}
	app->store = store_open_opts(config_db_path(app->cfg), 0, &o);
	return app->store != NULL ? 0 : -1;
}

/*
 * Before a handler runs: a key and a usable store, (re)made here when
 * missing, so that a responder recovers without a restart once the
 * file is back, writable, repaired or has room again.
 */
static enum api_err
app_ready(struct app *app)
{
	if (app->cfg == NULL)
		return ERR_NONE;	/* a test driving handlers directly */
	if (app->key == NULL && app_load_key(app) == -1) {
		log_error(__func__, "%s: no usable key: refusing requests",
		    config_secret_file(app->cfg));
		return ERR_MISCONFIGURED;
	}
	if (app->store != NULL && store_stale(app->store)) {
		log_info("%s: opening the database again",
		    config_db_path(app->cfg));
		store_close(app->store);
		app->store = NULL;
	}
	if (app->store == NULL && app_open_store(app) == -1)
		return ERR_STORAGE;
	return ERR_NONE;
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
		if (h != NULL && (e = app_ready(app)) == ERR_NONE)
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
static struct io *app_io;	/* on_term: is a request coming in? */

/*
 * SIGTERM: idle, leave at once (libfcgi would restart an interrupted
 * accept); busy, finish the request in hand and leave the loop after it.
 * A request is in hand from accept(2) on, while libfcgi still reads it.
 * Should that one come to nothing (the client went away) libfcgi waits
 * in accept again: SIGALRM, every second until then, ends it there.
 */
static void
on_term(int sig)
{
	(void)sig;
	if (!app_busy && !io_reading(app_io))
		_exit(EXIT_SUCCESS);
	app_stop = 1;
	if (!app_busy)
		alarm(1);
}

/* One process serving requests until there are none or SIGTERM. */
static int
app_serve(struct config *cfg, const char *name, const struct route *routes,
    size_t n)
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
	app.cfg = cfg;
	/* Without a key or a database the responder still starts: each
	 * request tries again and gets a JSON 500/503 until they are back. */
	if (app_load_key(&app) == -1)
		log_error(__func__, "%s: no usable key: requests get 500 until "
		    "it is there", config_secret_file(cfg));
	if (app_open_store(&app) == -1)
		log_error(__func__, "%s: database unusable: requests get 503 "
		    "until it is back", config_db_path(cfg));
	if ((io = io_open()) == NULL)
		goto out;

	/* SIGTERM: finish the request in hand, then leave the loop.
	 * SA_RESTART: libfcgi takes an interrupted write for a failed one,
	 * which would cut an answer blocked on a slow reader. */
	app_io = io;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);

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
	/* A SIGTERM from here on must not look at the io being freed. */
	app_io = NULL;
	io_close(io);
	store_close(app.store);
	token_key_free(app.key);
	return status;
}

/*
 * The supervisor (workers > 0, FastCGI): keep that many worker processes
 * on the inherited listening socket, restart any that dies (after a
 * second when it lived less than one: no fork loop), and on SIGTERM,
 * SIGINT or SIGHUP pass SIGTERM on (SIGUSR1 as it is), wait for them
 * (SIGKILL after 30 s) and exit.
 */
#define SUP_GRACE	30	/* seconds workers get to finish */

static int
app_supervise(struct config *cfg, const char *name,
    const struct route *routes, size_t n)
{
	pid_t		 pid[LIMIT_WORKERS_MAX];
	time_t		 born[LIMIT_WORKERS_MAX], due[LIMIT_WORKERS_MAX];
	sigset_t	 set, old;
	siginfo_t	 si;
	struct timespec	 tick = { 1, 0 };
	time_t		 now, stop_at = 0;
	int		 nw = (int)config_workers(cfg), i, live, st, r;
	int		 stopping = 0;
	pid_t		 p;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, &old) == -1) {
		log_error(__func__, "sigprocmask: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	for (i = 0; i < nw; i++) {
		pid[i] = 0;
		due[i] = 0;
	}
	log_info("supervising %d workers", nw);
	for (;;) {
		now = time(NULL);
		for (i = 0; !stopping && i < nw; i++) {
			if (pid[i] != 0 || due[i] > now)
				continue;
			if ((p = fork()) == -1) {
				log_error(__func__, "fork: %s", strerror(errno));
				due[i] = now + 1;
				continue;
			}
			if (p == 0) {
#ifdef __linux__
				/* Leave when the supervisor is gone. */
				prctl(PR_SET_PDEATHSIG, SIGTERM);
				if (getppid() == 1)
					_exit(EXIT_SUCCESS);
#endif
				signal(SIGINT, SIG_DFL);
				signal(SIGHUP, SIG_DFL);
				sigprocmask(SIG_SETMASK, &old, NULL);
				_exit(app_serve(cfg, name, routes, n));
			}
			pid[i] = p;
			born[i] = now;
		}
		for (i = 0, live = 0; i < nw; i++)
			live += pid[i] != 0;
		if (stopping && live == 0)
			break;
		if (stopping && now >= stop_at) {
			for (i = 0; i < nw; i++)
				if (pid[i] != 0)
					kill(pid[i], SIGKILL);
			stop_at = now + SUP_GRACE;
		}
		r = sigtimedwait(&set, &si, &tick);
		if (r == SIGTERM || r == SIGINT || r == SIGHUP ||
		    r == SIGUSR1) {
			if (!stopping) {
				log_info("signal %d: stopping the workers", r);
				stopping = 1;
				stop_at = time(NULL) + SUP_GRACE;
				/* SIGUSR1 (libfcgi: leave the accept loop) is
				 * passed on as it is, anything else as SIGTERM. */
				for (i = 0; i < nw; i++)
					if (pid[i] != 0)
						kill(pid[i], r == SIGUSR1 ?
						    SIGUSR1 : SIGTERM);
			}
		}
		/* Reap every worker that is gone, whatever woke us. */
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			for (i = 0; i < nw; i++) {
				if (pid[i] != p)
					continue;
				pid[i] = 0;
				if (stopping)
					break;
				now = time(NULL);
				due[i] = now - born[i] < 1 ? now + 1 : now;
				if (WIFSIGNALED(st))
					log_error(__func__, "worker %ld killed by "
					    "signal %d: restarting", (long)p,
					    WTERMSIG(st));
				else
					log_error(__func__, "worker %ld exited "
					    "with status %d: restarting",
					    (long)p, WEXITSTATUS(st));
				break;
			}
	}
	log_info("all workers stopped");
	return EXIT_SUCCESS;
}

int
app_main(const char *name, const struct route *routes, size_t n)
{
	struct config	*cfg;
	int		 status;

	log_init(name);
	/* Everything from the process environment is read here, once; a
	 * bad setting is the one thing that stops a responder starting. */
	if ((cfg = config_load()) == NULL)
		return EXIT_FAILURE;
	/* A client that goes away, or a file size limit (ulimit -f), must
	 * end in an error return, not a dead process. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	if (config_workers(cfg) > 0 && !FCGX_IsCGI())
		status = app_supervise(cfg, name, routes, n);
	else
		status = app_serve(cfg, name, routes, n);
	config_free(cfg);
	return status;
}
