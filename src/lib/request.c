/*
 * request.c: reading one request from FastCGI (libfcgi's FCGX_* API,
 * which leaves environ alone) or from the CGI environment, and copying
 * what the API needs out of it (see request.h and shared/SERVERS.md).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "limits.h"
#include "log.h"
#include "request.h"
#include "util.h"

/* Bytes of an over-cap chunked body read and dropped before the 413. */
#define REQUEST_DRAIN_MAX (16 * 1024 * 1024)

struct io {
	int		 cgi;		/* 1: plain CGI, one request */
	int		 done;		/* CGI: the one request was taken */
	int		 accepted;	/* FastCGI: a request is open */
	FCGX_Request	 fcgi;
};

static const struct {
	const char		*name;
	enum http_method	 method;
} methods[] = {
	{ "GET", METHOD_GET },
	{ "POST", METHOD_POST },
	{ "PUT", METHOD_PUT },
	{ "DELETE", METHOD_DELETE },
};

/* A copy of v, NULL when it is absent or empty; *toolong set when it is
 * over max, *nomem when the copy failed (a 500, not "no such header"). */
static char *
dup_nonempty(const char *v, size_t max, int *toolong, int *nomem)
{
	size_t	 len;
	char	*p;

	if (v == NULL || v[0] == '\0')
		return NULL;
	len = strnlen(v, max + 1);
	if (len > max) {
		*toolong = 1;
		return NULL;
	}
	if ((p = strndup(v, len)) == NULL)
		*nomem = 1;
	return p;
}

/* Does s end with suffix? */
static int
ends_with(const char *s, const char *suffix)
{
	size_t	 a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

/* Build the routed path from SCRIPT_NAME and PATH_INFO; NULL with
 * *toolong set when it is over the cap, NULL alone when out of memory. */
static char *
routed_path(const char *script, const char *info, int *toolong)
{
	char	*p;
	size_t	 sl, il;

	if (script == NULL)
		script = "";
	if (info == NULL)
		info = "";
	if (ends_with(script, ".fcgi") || ends_with(script, ".cgi"))
		script = "";
	sl = strnlen(script, LIMIT_PATH_MAX + 1);
	il = strnlen(info, LIMIT_PATH_MAX + 1);
	if (sl + il > LIMIT_PATH_MAX) {
		*toolong = 1;
		return NULL;
	}
	if ((p = malloc(sl + il + 1)) == NULL)
		return NULL;
	memcpy(p, script, sl);
	memcpy(p + sl, info, il);
	p[sl + il] = '\0';
	return p;
}

int
request_from(struct request *req,
    const char *(*getparam)(void *, const char *),
    long (*readbody)(void *, char *, size_t), void *arg)
{
	const char	*m, *cl;
	int		 toolong = 0, nomem = 0;
	size_t		 i, want, got = 0;
	int64_t		 declared = -1;

	memset(req, 0, sizeof(*req));
	req->method = METHOD_OTHER;
	if ((m = getparam(arg, "REQUEST_METHOD")) != NULL)
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			if (strcmp(m, methods[i].name) == 0)
				req->method = methods[i].method;

	req->path = routed_path(getparam(arg, "SCRIPT_NAME"),
	    getparam(arg, "PATH_INFO"), &toolong);
	req->query = dup_nonempty(getparam(arg, "QUERY_STRING"),
	    LIMIT_QUERY_MAX, &toolong, &nomem);
	if (req->query == NULL && !toolong && !nomem)
		req->query = strdup("");
	/* Apache after an internal rewrite: REDIRECT_HTTP_AUTHORIZATION. */
	req->authorization = dup_nonempty(getparam(arg, "HTTP_AUTHORIZATION"),
	    LIMIT_HEADER_MAX, &toolong, &nomem);
	if (req->authorization == NULL && !toolong && !nomem)
		req->authorization = dup_nonempty(
		    getparam(arg, "REDIRECT_HTTP_AUTHORIZATION"),
		    LIMIT_HEADER_MAX, &toolong, &nomem);
	req->access_token = dup_nonempty(getparam(arg, "HTTP_X_ACCESS_TOKENS"),
	    LIMIT_HEADER_MAX, &toolong, &nomem);
	req->content_type = dup_nonempty(getparam(arg, "CONTENT_TYPE"), 256,
	    &toolong, &nomem);
	req->remote_addr = dup_nonempty(getparam(arg, "REMOTE_ADDR"), 64,
	    &toolong, &nomem);
	if (toolong) {
		req->error = ERR_BAD_REQUEST;	/* over a cap */
		return 0;
	}
	/* Out of memory: a missing header would change the answer (415
	 * without Content-Type, 401 without a token), so it is a 500. */
	if (nomem || req->path == NULL || req->query == NULL) {
		req->error = ERR_INTERNAL;
		return 0;
	}

	/*
	 * Body: exactly CONTENT_LENGTH bytes when it is set, else up to EOF
	 * (Apache CGI passes chunked bodies without it). Read at most one
	 * byte past the cap to tell "too large" from "exactly the cap".
	 */
	cl = getparam(arg, "CONTENT_LENGTH");
	if (cl != NULL && cl[0] != '\0') {
		if (util_parse_int64(cl, strlen(cl), 0, INT64_MAX,
		    &declared) == -1) {
			req->error = ERR_BAD_REQUEST;
			return 0;
		}
		if (declared > LIMIT_BODY_MAX) {
			req->error = ERR_TOO_LARGE;
			return 0;
		}
		if (declared == 0)
			return 0;
		want = (size_t)declared;
	} else
		want = LIMIT_BODY_MAX + 1;
	if ((req->body = malloc(want + 1)) == NULL) {
		req->error = ERR_INTERNAL;
		return 0;
	}
	while (got < want) {
		long r = readbody(arg, req->body + got, want - got);

		if (r < 0) {
			req->error = ERR_BAD_REQUEST;
			return 0;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (declared >= 0 && got < want) {
		req->error = ERR_BAD_REQUEST;	/* body shorter than declared */
		return 0;
	}
	if (got > LIMIT_BODY_MAX) {
		/*
		 * An undeclared (chunked) body over the cap: read on to its
		 * end, up to REQUEST_DRAIN_MAX bytes, before answering.
		 * Apache's mod_cgid hands a CGI program its body over a unix
		 * socket; closing that socket with data still unread resets
		 * it, and Apache then loses the 413 we wrote (the client gets
		 * a cut response or none).
		 */
		size_t	drained = 0;
		long	r;

		while (drained < REQUEST_DRAIN_MAX && (r = readbody(arg,
		    req->body, want)) > 0)
			drained += (size_t)r;
		req->error = ERR_TOO_LARGE;
		return 0;
	}
	req->body[got] = '\0';
	req->body_len = got;
	if (got == 0) {
		free(req->body);
		req->body = NULL;
	}
	return 0;
}

void
request_free(struct request *req)
{
	free(req->path);
	free(req->query);
	if (req->authorization != NULL)
		util_wipe(req->authorization, strlen(req->authorization));
	free(req->authorization);
	if (req->access_token != NULL)
		util_wipe(req->access_token, strlen(req->access_token));
	free(req->access_token);
	free(req->content_type);
	free(req->remote_addr);
	if (req->body != NULL)
		util_wipe(req->body, req->body_len);
	free(req->body);
	memset(req, 0, sizeof(*req));
}

/* CGI: parameters from the process environment, body from stdin. */
static const char *
cgi_getparam(void *arg, const char *name)
{
	(void)arg;
	return getenv(name);
}

static long
cgi_read(void *arg, char *buf, size_t len)
{
	(void)arg;
	for (;;) {
		ssize_t r = read(STDIN_FILENO, buf, len);

		if (r >= 0)
			return (long)r;
		if (errno != EINTR)
			return -1;
	}
}

static const char *
fcgi_getparam(void *arg, const char *name)
{
	FCGX_Request *r = arg;

	return FCGX_GetParam(name, r->envp);
}

static long
fcgi_read(void *arg, char *buf, size_t len)
{
	FCGX_Request	*r = arg;
	int		 n;

	if (len > INT32_MAX)
		len = INT32_MAX;
	n = FCGX_GetStr(buf, (int)len, r->in);
	if (n < 0)
		return -1;
	return n;
}

/* How many times name=... occurs in a FastCGI parameter list. */
static size_t
count_param(char **envp, const char *name)
{
	size_t	 n = 0, len = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			n++;
	return n;
}

struct io *
io_open(void)
{
	struct io	*io;

	/* A client that goes away must not kill the process (EPIPE instead). */
	signal(SIGPIPE, SIG_IGN);
	if ((io = calloc(1, sizeof(*io))) == NULL) {
		log_error(__func__, "out of memory");
		return NULL;
	}
	if (FCGX_Init() != 0) {
		log_error(__func__, "FCGX_Init failed");
		free(io);
		return NULL;
	}
	io->cgi = FCGX_IsCGI();
	if (!io->cgi && FCGX_InitRequest(&io->fcgi, 0, 0) != 0) {
		log_error(__func__, "FCGX_InitRequest failed");
		free(io);
		return NULL;
	}
	return io;
}

int
io_accept(struct io *io, struct request *req)
{
	memset(req, 0, sizeof(*req));
	if (io->cgi) {
		if (io->done)
			return 0;
		io->done = 1;
		request_from(req, cgi_getparam, cgi_read, NULL);
		return 1;
	}
	if (FCGX_Accept_r(&io->fcgi) < 0)
		return 0;
	io->accepted = 1;
	request_from(req, fcgi_getparam, fcgi_read, &io->fcgi);
	/*
	 * nginx passes a repeated x-access-tokens header as two parameters
	 * (shared/SERVERS.md) and FCGX_GetParam sees only the first: two
	 * tokens are ambiguous, refuse them.
	 */
	if (req->error == ERR_NONE &&
	    count_param(io->fcgi.envp, "HTTP_X_ACCESS_TOKENS") > 1)
		req->error = ERR_BAD_REQUEST;
	return 1;
}

int
io_write(struct io *io, const char *buf, size_t len)
{
	if (io->cgi) {
		while (len > 0) {
			ssize_t w = write(STDOUT_FILENO, buf, len);

			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			buf += w;
			len -= (size_t)w;
		}
		return 0;
	}
	if (len > INT32_MAX)
		return -1;
	if (FCGX_PutStr(buf, (int)len, io->fcgi.out) != (int)len)
		return -1;
	return 0;
}

void
io_finish(struct io *io)
{
	if (!io->cgi && io->accepted) {
		FCGX_Finish_r(&io->fcgi);
		io->accepted = 0;
	}
}

/*
 * libfcgi sets ipcFd as soon as accept(2) returns, before it reads the
 * request, and closes it at the end of the request unless the web server
 * keeps the connection (FCGI_KEEP_CONN: then it idles open between
 * requests and does not count). Plain reads: safe in a signal handler.
 */
int
io_reading(const struct io *io)
{
	return io != NULL && !io->cgi && io->fcgi.ipcFd >= 0 &&
	    !io->fcgi.keepConnection;
}

void
io_close(struct io *io)
{
	if (io == NULL)
		return;
	io_finish(io);
	if (!io->cgi)
		FCGX_Free(&io->fcgi, 1);
	free(io);
}
