/*
 * t_request.c: unit tests for request_from(), the code both FastCGI and
 * CGI requests go through, driven by a fake parameter table and a fake
 * body reader: method mapping, the routed path (nginx SCRIPT_NAME,
 * Apache .fcgi/.cgi + PATH_INFO; shared/SERVERS.md), query and header
 * copies (empty = absent), and the body rules (CONTENT_LENGTH exact,
 * read to EOF without it, LIMIT_BODY_MAX cap, short or failing reads).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "request.h"
#include "tap.h"

struct fake {
	const char *const *params;	/* name, value, ..., NULL */
	const char	*body;
	size_t		 body_len;
	size_t		 pos;
	size_t		 chunk;		/* bytes per read at most; 0: any */
	int		 fail;		/* read returns -1 */
	int		 reads;		/* read calls made */
};

static const char *
fake_param(void *arg, const char *name)
{
	struct fake		*f = arg;
	const char *const	*p;

	for (p = f->params; p != NULL && p[0] != NULL; p += 2)
		if (strcmp(p[0], name) == 0)
			return p[1];
	return NULL;
}

static long
fake_read(void *arg, char *buf, size_t len)
{
	struct fake	*f = arg;
	size_t		 n = f->body_len - f->pos;

	f->reads++;
	if (f->fail)
		return -1;
	if (n > len)
		n = len;
	if (f->chunk != 0 && n > f->chunk)
		n = f->chunk;
	if (n > 0)
		memcpy(buf, f->body + f->pos, n);
	f->pos += n;
	return (long)n;
}

/* Build req from params and body. */
static void
build(struct request *req, struct fake *f, const char *const *params,
    const char *body, size_t body_len)
{
	memset(f, 0, sizeof(*f));
	f->params = params;
	f->body = body;
	f->body_len = body_len;
	request_from(req, fake_param, fake_read, f);
}

static void
test_method(void)
{
	static const struct {
		const char		*m;
		enum http_method	 want;
	} cases[] = {
		{ "GET", METHOD_GET },
		{ "POST", METHOD_POST },
		{ "PUT", METHOD_PUT },
		{ "DELETE", METHOD_DELETE },
		{ "PATCH", METHOD_OTHER },
		{ "HEAD", METHOD_OTHER },
		{ "OPTIONS", METHOD_OTHER },
		{ "get", METHOD_OTHER },	/* methods are case-sensitive */
		{ "GETX", METHOD_OTHER },
		{ "GE", METHOD_OTHER },
		{ "", METHOD_OTHER },
	};
	struct request	 req;
	struct fake	 f;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const p[] = { "REQUEST_METHOD", cases[i].m,
		    "SCRIPT_NAME", "/users", NULL };

		build(&req, &f, p, NULL, 0);
		is_int(req.method, cases[i].want, "method \"%s\"", cases[i].m);
		is_int(req.error, ERR_NONE, "method \"%s\": no error",
		    cases[i].m);
		request_free(&req);
	}
	{
		const char *const p[] = { "SCRIPT_NAME", "/users", NULL };

		build(&req, &f, p, NULL, 0);
		is_int(req.method, METHOD_OTHER, "no REQUEST_METHOD: OTHER");
		request_free(&req);
	}
}

static void
test_path(void)
{
	static const struct {
		const char	*name;
		const char	*script, *info;
		const char	*want;
	} cases[] = {
		{ "nginx: SCRIPT_NAME only", "/authors/42", NULL,
		    "/authors/42" },
		{ "nginx: SCRIPT_NAME, empty PATH_INFO", "/authors", "",
		    "/authors" },
		{ "Apache .fcgi + PATH_INFO", "/cgi-bin/authors.fcgi",
		    "/authors/42", "/authors/42" },
		{ "Apache .cgi + PATH_INFO", "/cgi-bin/authors.cgi",
		    "/authors", "/authors" },
		{ ".fcgi without PATH_INFO", "/authors.fcgi", NULL, "" },
		{ "SCRIPT_NAME + PATH_INFO", "/api", "/authors/7",
		    "/api/authors/7" },
		{ "PATH_INFO only", NULL, "/login", "/login" },
		{ "neither", NULL, NULL, "" },
		{ ".fcgi inside, not at the end", "/a.fcgi/x", "/y",
		    "/a.fcgi/x/y" },
		{ ".fcgix is not .fcgi", "/authors.fcgix", "/y",
		    "/authors.fcgix/y" },
	};
	struct request	 req;
	struct fake	 f;
	size_t		 i;
	char		*big;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p[8];
		size_t k = 0;

		p[k++] = "REQUEST_METHOD";
		p[k++] = "GET";
		if (cases[i].script != NULL) {
			p[k++] = "SCRIPT_NAME";
			p[k++] = cases[i].script;
		}
		if (cases[i].info != NULL) {
			p[k++] = "PATH_INFO";
			p[k++] = cases[i].info;
		}
		p[k] = NULL;
		build(&req, &f, p, NULL, 0);
		is_str(req.path, cases[i].want, "path: %s", cases[i].name);
		request_free(&req);
	}

	/* LIMIT_PATH_MAX bytes routed; one more is a bad request. */
	big = malloc(LIMIT_PATH_MAX + 2);
	memset(big, 'a', LIMIT_PATH_MAX + 1);
	big[0] = '/';
	big[LIMIT_PATH_MAX] = '\0';
	{
		const char *const p[] = { "REQUEST_METHOD", "GET",
		    "SCRIPT_NAME", big, NULL };

		build(&req, &f, p, NULL, 0);
		ok(req.error == ERR_NONE && req.path != NULL &&
		    strlen(req.path) == LIMIT_PATH_MAX,
		    "path of LIMIT_PATH_MAX bytes");
		request_free(&req);
		big[LIMIT_PATH_MAX] = 'a';
		big[LIMIT_PATH_MAX + 1] = '\0';
		build(&req, &f, p, NULL, 0);
		is_int(req.error, ERR_BAD_REQUEST,
		    "path of LIMIT_PATH_MAX + 1 bytes: ERR_BAD_REQUEST");
		request_free(&req);
	}
	{
		const char *const p[] = { "REQUEST_METHOD", "GET",
		    "SCRIPT_NAME", "/api", "PATH_INFO", big, NULL };

		build(&req, &f, p, NULL, 0);
		is_int(req.error, ERR_BAD_REQUEST,
		    "SCRIPT_NAME + PATH_INFO over LIMIT_PATH_MAX");
		request_free(&req);
	}
	free(big);
}

static void
test_headers(void)
{
	struct request	 req;
	struct fake	 f;
	char		*big;

	{
		const char *const p[] = { "REQUEST_METHOD", "GET",
		    "SCRIPT_NAME", "/authors", "QUERY_STRING", "limit=5",
		    "HTTP_AUTHORIZATION", "Bearer a.b.c",
		    "HTTP_X_ACCESS_TOKENS", "x.y.z",
		    "CONTENT_TYPE", "application/json",
		    "REMOTE_ADDR", "192.0.2.1", NULL };

		build(&req, &f, p, NULL, 0);
		is_str(req.query, "limit=5", "query copied");
		is_str(req.authorization, "Bearer a.b.c",
		    "HTTP_AUTHORIZATION copied");
		is_str(req.access_token, "x.y.z", "HTTP_X_ACCESS_TOKENS copied");
		is_str(req.content_type, "application/json",
		    "CONTENT_TYPE copied");
		is_str(req.remote_addr, "192.0.2.1", "REMOTE_ADDR copied");
		ok(req.body == NULL && req.body_len == 0, "no body");
		request_free(&req);
	}
	{
		const char *const p[] = { "REQUEST_METHOD", "GET",
		    "SCRIPT_NAME", "/authors", NULL };

		build(&req, &f, p, NULL, 0);
		is_str(req.query, "", "absent QUERY_STRING is \"\"");
		ok(req.authorization == NULL && req.access_token == NULL &&
		    req.content_type == NULL && req.remote_addr == NULL,
		    "absent headers are NULL");
		request_free(&req);
	}
	{
		const char *const p[] = { "REQUEST_METHOD", "GET",
		    "SCRIPT_NAME", "/authors", "QUERY_STRING", "",
		    "HTTP_AUTHORIZATION", "", "HTTP_X_ACCESS_TOKENS", "",
		    "CONTENT_TYPE", "", NULL };

		build(&req, &f, p, NULL, 0);
		is_str(req.query, "", "empty QUERY_STRING is \"\"");
		ok(req.authorization == NULL, "empty Authorization is absent");
		ok(req.access_token == NULL,
		    "empty x-access-tokens is absent");
		ok(req.content_type == NULL, "empty Content-Type is absent");
		request_free(&req);
	}
	{
		const char *const p[] = { "REQUEST_METHOD", "GET",
		    "SCRIPT_NAME", "/users",
		    "REDIRECT_HTTP_AUTHORIZATION", "Basic dXNlcjpwYXNz", NULL };

		build(&req, &f, p, NULL, 0);
		is_str(req.authorization, "Basic dXNlcjpwYXNz",
		    "REDIRECT_HTTP_AUTHORIZATION used without "
		    "HTTP_AUTHORIZATION");
		request_free(&req);
	}
	{
		const char *const p[] = { "REQUEST_METHOD", "GET",
		    "SCRIPT_NAME", "/users",
		    "HTTP_AUTHORIZATION", "Bearer first",
		    "REDIRECT_HTTP_AUTHORIZATION", "Bearer second", NULL };

		build(&req, &f, p, NULL, 0);
		is_str(req.authorization, "Bearer first",
		    "HTTP_AUTHORIZATION wins over REDIRECT_");
		request_free(&req);
	}
	{
		const char *const p[] = { "REQUEST_METHOD", "GET",
		    "SCRIPT_NAME", "/users",
		    "HTTP_AUTHORIZATION", "",
		    "REDIRECT_HTTP_AUTHORIZATION", "Bearer second", NULL };

		build(&req, &f, p, NULL, 0);
		is_str(req.authorization, "Bearer second",
		    "empty HTTP_AUTHORIZATION falls back to REDIRECT_");
		request_free(&req);
	}

	/* Caps: query LIMIT_QUERY_MAX, credential headers LIMIT_HEADER_MAX. */
	big = malloc(LIMIT_HEADER_MAX + 2);
	memset(big, 'q', LIMIT_HEADER_MAX + 1);
	big[LIMIT_QUERY_MAX] = '\0';
	{
		const char *const p[] = { "REQUEST_METHOD", "GET",
		    "SCRIPT_NAME", "/authors", "QUERY_STRING", big, NULL };

		build(&req, &f, p, NULL, 0);
		ok(req.error == ERR_NONE && req.query != NULL &&
		    strlen(req.query) == LIMIT_QUERY_MAX,
		    "query of LIMIT_QUERY_MAX bytes");
		request_free(&req);
		big[LIMIT_QUERY_MAX] = 'q';
		big[LIMIT_QUERY_MAX + 1] = '\0';
		build(&req, &f, p, NULL, 0);
		is_int(req.error, ERR_BAD_REQUEST,
		    "query over LIMIT_QUERY_MAX: ERR_BAD_REQUEST");
		request_free(&req);
	}
	memset(big, 'h', LIMIT_HEADER_MAX + 1);
	big[LIMIT_HEADER_MAX] = '\0';
	{
		const char *const p[] = { "REQUEST_METHOD", "GET",
		    "SCRIPT_NAME", "/users", "HTTP_AUTHORIZATION", big, NULL };
		const char *const p2[] = { "REQUEST_METHOD", "GET",
		    "SCRIPT_NAME", "/users", "HTTP_X_ACCESS_TOKENS", big,
		    NULL };

		build(&req, &f, p, NULL, 0);
		ok(req.error == ERR_NONE && req.authorization != NULL &&
		    strlen(req.authorization) == LIMIT_HEADER_MAX,
		    "Authorization of LIMIT_HEADER_MAX bytes");
		request_free(&req);
		big[LIMIT_HEADER_MAX] = 'h';
		big[LIMIT_HEADER_MAX + 1] = '\0';
		build(&req, &f, p, NULL, 0);
		is_int(req.error, ERR_BAD_REQUEST,
		    "Authorization over LIMIT_HEADER_MAX: ERR_BAD_REQUEST");
		request_free(&req);
		build(&req, &f, p2, NULL, 0);
		is_int(req.error, ERR_BAD_REQUEST,
		    "x-access-tokens over LIMIT_HEADER_MAX: ERR_BAD_REQUEST");
		request_free(&req);
	}
	free(big);
}

/* One body case: CONTENT_LENGTH (NULL: absent), the bytes available. */
static void
body_case(const char *name, const char *cl, const char *data, size_t avail,
    size_t chunk, int fail, enum api_err want_err, const char *want,
    size_t want_len)
{
	struct request	 req;
	struct fake	 f;
	const char	*p[8];
	size_t		 k = 0;

	p[k++] = "REQUEST_METHOD";
	p[k++] = "POST";
	p[k++] = "SCRIPT_NAME";
	p[k++] = "/authors";
	if (cl != NULL) {
		p[k++] = "CONTENT_LENGTH";
		p[k++] = cl;
	}
	p[k] = NULL;
	memset(&f, 0, sizeof(f));
	f.params = p;
	f.body = data;
	f.body_len = avail;
	f.chunk = chunk;
	f.fail = fail;
	request_from(&req, fake_param, fake_read, &f);
	is_int(req.error, want_err, "body %s: error %d", name, (int)want_err);
	if (want_err == ERR_NONE) {
		if (want == NULL)
			ok(req.body == NULL && req.body_len == 0,
			    "body %s: no body", name);
		else {
			is_mem(req.body, req.body_len, want, want_len,
			    "body %s: the bytes", name);
			ok(req.body != NULL && req.body[req.body_len] == '\0',
			    "body %s: NUL-terminated", name);
		}
	}
	request_free(&req);
}

static void
test_body(void)
{
	char		*big;
	struct request	 req;
	struct fake	 f;

	body_case("no CONTENT_LENGTH, none sent", NULL, "", 0, 0, 0,
	    ERR_NONE, NULL, 0);
	body_case("no CONTENT_LENGTH, read to EOF", NULL, "{\"a\":1}", 7, 0,
	    0, ERR_NONE, "{\"a\":1}", 7);
	body_case("no CONTENT_LENGTH, one byte per read", NULL, "{\"a\":1}", 7,
	    1, 0, ERR_NONE, "{\"a\":1}", 7);
	body_case("CONTENT_LENGTH \"\" reads to EOF", "", "abc", 3, 0, 0,
	    ERR_NONE, "abc", 3);
	body_case("CONTENT_LENGTH 0", "0", "", 0, 0, 0, ERR_NONE, NULL, 0);
	body_case("CONTENT_LENGTH 10, 10 bytes", "10", "0123456789", 10, 0, 0,
	    ERR_NONE, "0123456789", 10);
	body_case("CONTENT_LENGTH 10, 3 bytes per read", "10", "0123456789",
	    10, 3, 0, ERR_NONE, "0123456789", 10);
	body_case("CONTENT_LENGTH 10, 15 available: 10 read", "10",
	    "0123456789abcde", 15, 0, 0, ERR_NONE, "0123456789", 10);
	body_case("CONTENT_LENGTH 10, 5 bytes", "10", "01234", 5, 0, 0,
	    ERR_BAD_REQUEST, NULL, 0);
	body_case("CONTENT_LENGTH 3 with NUL bytes", "3", "a\0b", 3, 0, 0,
	    ERR_NONE, "a\0b", 3);
	body_case("CONTENT_LENGTH abc", "abc", "x", 1, 0, 0, ERR_BAD_REQUEST,
	    NULL, 0);
	body_case("CONTENT_LENGTH -1", "-1", "x", 1, 0, 0, ERR_BAD_REQUEST,
	    NULL, 0);
	body_case("CONTENT_LENGTH +1", "+1", "x", 1, 0, 0, ERR_BAD_REQUEST,
	    NULL, 0);
	body_case("CONTENT_LENGTH \" 1\"", " 1", "x", 1, 0, 0,
	    ERR_BAD_REQUEST, NULL, 0);
	body_case("CONTENT_LENGTH 01", "01", "x", 1, 0, 0, ERR_BAD_REQUEST,
	    NULL, 0);
	body_case("CONTENT_LENGTH 1.0", "1.0", "x", 1, 0, 0, ERR_BAD_REQUEST,
	    NULL, 0);
	body_case("reader fails, no CONTENT_LENGTH", NULL, "x", 1, 0, 1,
	    ERR_BAD_REQUEST, NULL, 0);
	body_case("reader fails, CONTENT_LENGTH 1", "1", "x", 1, 0, 1,
	    ERR_BAD_REQUEST, NULL, 0);

	/* LIMIT_BODY_MAX bytes is a body, one more is 413. */
	big = malloc(LIMIT_BODY_MAX + 100);
	memset(big, 'b', LIMIT_BODY_MAX + 100);
	body_case("CONTENT_LENGTH 65536", "65536", big, LIMIT_BODY_MAX, 0, 0,
	    ERR_NONE, big, LIMIT_BODY_MAX);
	body_case("CONTENT_LENGTH 65536 in 1000-byte reads", "65536", big,
	    LIMIT_BODY_MAX, 1000, 0, ERR_NONE, big, LIMIT_BODY_MAX);
	body_case("CONTENT_LENGTH 65537", "65537", big, LIMIT_BODY_MAX + 1, 0,
	    0, ERR_TOO_LARGE, NULL, 0);
	body_case("CONTENT_LENGTH huge", "99999999999", big, 10, 0, 0,
	    ERR_TOO_LARGE, NULL, 0);
	body_case("no CONTENT_LENGTH, 65536 bytes", NULL, big, LIMIT_BODY_MAX,
	    0, 0, ERR_NONE, big, LIMIT_BODY_MAX);
	body_case("no CONTENT_LENGTH, 65537 bytes", NULL, big,
	    LIMIT_BODY_MAX + 1, 0, 0, ERR_TOO_LARGE, NULL, 0);
	body_case("no CONTENT_LENGTH, 65537 bytes in 7-byte reads", NULL, big,
	    LIMIT_BODY_MAX + 1, 7, 0, ERR_TOO_LARGE, NULL, 0);
	body_case("no CONTENT_LENGTH, 65636 bytes", NULL, big,
	    LIMIT_BODY_MAX + 100, 0, 0, ERR_TOO_LARGE, NULL, 0);
	free(big);

	/*
	 * An undeclared body over the cap is read on to its end before the
	 * 413 (Apache's mod_cgid loses the answer of a CGI program that
	 * leaves its body unread), but no further than 16 MiB more.
	 */
	{
		const char *const p[] = { "REQUEST_METHOD", "POST",
		    "SCRIPT_NAME", "/authors", NULL };
		size_t	 huge = (size_t)32 * 1024 * 1024;
		char	*hb = malloc(huge);

		if (hb == NULL) {
			ok(0, "malloc %zu", huge);
			ok(0, "malloc %zu", huge);
		} else {
			memset(hb, 'h', huge);
			build(&req, &f, p, hb, 200000);
			ok(req.error == ERR_TOO_LARGE && f.pos == 200000,
			    "no CONTENT_LENGTH, 200000 bytes: 413, all of it "
			    "read (%zu)", f.pos);
			request_free(&req);
			build(&req, &f, p, hb, huge);
			ok(req.error == ERR_TOO_LARGE && f.pos < huge &&
			    f.pos >= (size_t)16 * 1024 * 1024,
			    "no CONTENT_LENGTH, 32 MiB: 413 after reading "
			    "16 MiB more, not all (%zu)", f.pos);
			request_free(&req);
			free(hb);
		}
	}

	/* CONTENT_LENGTH 0 and over the cap: nothing is read at all. */
	{
		const char *const p[] = { "REQUEST_METHOD", "POST",
		    "SCRIPT_NAME", "/authors", "CONTENT_LENGTH", "0", NULL };
		const char *const p2[] = { "REQUEST_METHOD", "POST",
		    "SCRIPT_NAME", "/authors", "CONTENT_LENGTH", "65537",
		    NULL };

		build(&req, &f, p, "junk", 4);
		ok(f.reads == 0 && req.body == NULL,
		    "CONTENT_LENGTH 0: the reader is not called");
		request_free(&req);
		build(&req, &f, p2, "junk", 4);
		ok(f.reads == 0 && req.error == ERR_TOO_LARGE,
		    "CONTENT_LENGTH 65537: refused before reading");
		request_free(&req);
	}

	/* request_free releases everything and zeroes the struct. */
	{
		const char *const p[] = { "REQUEST_METHOD", "PUT",
		    "SCRIPT_NAME", "/authors/1", "QUERY_STRING", "a=b",
		    "HTTP_AUTHORIZATION", "Bearer t", "HTTP_X_ACCESS_TOKENS",
		    "t", "CONTENT_TYPE", "application/json", "REMOTE_ADDR",
		    "::1", "CONTENT_LENGTH", "2", NULL };
		struct request zero;

		build(&req, &f, p, "{}", 2);
		ok(req.error == ERR_NONE && req.body != NULL,
		    "a request with every field set");
		request_free(&req);
		memset(&zero, 0, sizeof(zero));
		ok(memcmp(&req, &zero, sizeof(req)) == 0,
		    "request_free leaves the struct zeroed");
		request_free(&req);
		ok(1, "request_free twice is harmless");
	}
}

int
main(void)
{
	test_method();
	test_path();
	test_headers();
	test_body();
	return done_testing();
}
