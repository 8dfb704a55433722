/*
 * request.h: one HTTP request as a FastCGI or CGI program sees it, copied
 * out of the environment so that nothing points into libfcgi's buffers.
 * Only this module and response.c include fcgiapp.h.
 *
 * Path (shared/SERVERS.md): when SCRIPT_NAME ends in ".fcgi" or ".cgi"
 * (Apache, lighttpd CGI) the routed path is PATH_INFO; otherwise it is
 * SCRIPT_NAME followed by PATH_INFO (nginx sends SCRIPT_NAME=/authors/42).
 */
#ifndef LIBAPI_REQUEST_H
#define LIBAPI_REQUEST_H

#include <stddef.h>
#include "errors.h"

enum http_method {
	METHOD_GET,
	METHOD_POST,
	METHOD_PUT,
	METHOD_DELETE,
	METHOD_OTHER,		/* anything else: routed to 405 */
	METHOD__MAX
};

struct request {
	enum http_method method;
	char	*path;		/* routed path, NUL-terminated */
	char	*query;		/* QUERY_STRING, "" when absent */
	char	*authorization;	/* Authorization header, NULL when absent/"" */
	char	*access_token;	/* x-access-tokens header, NULL when absent/"" */
	char	*content_type;	/* NULL when absent or "" */
	char	*remote_addr;	/* NULL when absent */
	char	*body;		/* NUL-terminated copy, NULL when no body */
	size_t	 body_len;
	enum api_err error;	/* set when the request itself is bad (413, 400) */
};

/* An I/O endpoint: either a FastCGI request or the CGI process. */
struct io;

/*
 * Set up for serving: FastCGI when stdin is a listening socket, CGI
 * otherwise. Returns a handle owned by the caller, or NULL (logged).
 */
struct io *io_open(void);

/*
 * Wait for the next request. Returns 1 with req filled (free it with
 * request_free), 0 when there are no more requests (CGI mode after one,
 * or the FastCGI listener closed), -1 on failure (logged).
 * A request that is malformed still returns 1, with req->error set.
 */
int io_accept(struct io *io, struct request *req);

/* Write the whole response (headers and body) at once. 0 or -1. */
int io_write(struct io *io, const char *buf, size_t len);

/* End the current request (flush, release libfcgi's buffers). */
void io_finish(struct io *io);
/* 1 while a FastCGI request is on its way in or in hand, from accept(2)
 * to io_finish; async-signal-safe. */
int io_reading(const struct io *io);
void io_close(struct io *io);

/* Release what io_accept allocated in req and zero it. */
void request_free(struct request *req);

/*
 * Build a request from a lookup function (name -> value or NULL) and a body
 * reader. Exposed so unit tests and fuzzers can drive the same code the
 * servers do. read() returns bytes read (0 at EOF) or -1.
 */
int request_from(struct request *req,
    const char *(*getparam)(void *, const char *),
    long (*readbody)(void *, char *, size_t), void *arg);

#endif
