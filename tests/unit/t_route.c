/*
 * t_route.c: unit tests for route.c: matching against a table shaped
 * like the authors responder's ("{id}" is a canonical positive decimal,
 * anything else is 404; a known path with another method is 405 with
 * Allow) and the strict paging query parser.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "route.h"
#include "tap.h"

/* Distinct handlers so a match can be told apart; never called. */
#define HANDLER(fn)							\
static enum api_err							\
fn(struct app *app, const struct request *req, struct response *resp,	\
    int64_t id)								\
{									\
	(void)app; (void)req; (void)resp; (void)id;			\
	return ERR_INTERNAL;						\
}
HANDLER(h_create_one)
HANDLER(h_create)
HANDLER(h_list)
HANDLER(h_read)
HANDLER(h_replace)
HANDLER(h_remove)

/* As cgi-bin/authors.c declares it. */
static const struct route routes[] = {
	{ METHOD_POST, "/author", h_create_one },
	{ METHOD_POST, "/authors", h_create },
	{ METHOD_GET, "/authors", h_list },
	{ METHOD_GET, "/authors/{id}", h_read },
	{ METHOD_PUT, "/authors/{id}", h_replace },
	{ METHOD_DELETE, "/authors/{id}", h_remove },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const char *const mname[METHOD__MAX] = {
	"GET", "POST", "PUT", "DELETE", "OTHER"
};

static void
test_matches(void)
{
	static const struct {
		enum http_method method;
		const char	*path;
		route_handler	 h;
		int64_t		 id;
	} cases[] = {
		{ METHOD_POST, "/author", h_create_one, 0 },
		{ METHOD_POST, "/authors", h_create, 0 },
		{ METHOD_GET, "/authors", h_list, 0 },
		{ METHOD_GET, "/authors/1", h_read, 1 },
		{ METHOD_GET, "/authors/42", h_read, 42 },
		{ METHOD_PUT, "/authors/1000000", h_replace, 1000000 },
		{ METHOD_DELETE, "/authors/7", h_remove, 7 },
		{ METHOD_GET, "/authors/9223372036854775807", h_read,
		    INT64_MAX },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum api_err	 err = ERR__MAX;
		const char	*allow = "unset";
		int64_t		 id = -5;
		route_handler	 h;

		h = route_match(routes, NROUTES, cases[i].method, cases[i].path,
		    &id, &err, &allow);
		ok(h == cases[i].h, "%s %s matches its handler",
		    mname[cases[i].method], cases[i].path);
		is_int(id, cases[i].id, "%s %s: id", mname[cases[i].method],
		    cases[i].path);
		is_int(err, ERR_NONE, "%s %s: err ERR_NONE",
		    mname[cases[i].method], cases[i].path);
		ok(allow == NULL, "%s %s: no Allow", mname[cases[i].method],
		    cases[i].path);
	}
}

/* A known path with a method it lacks: 405 and the methods it has. */
static void
test_method_not_allowed(void)
{
	static const struct {
		enum http_method method;
		const char	*path;
		const char	*allow;
	} cases[] = {
		{ METHOD_POST, "/authors/1", "GET, PUT, DELETE" },
		{ METHOD_OTHER, "/authors/1", "GET, PUT, DELETE" },
		{ METHOD_POST, "/authors/9223372036854775807",
		    "GET, PUT, DELETE" },
		{ METHOD_PUT, "/authors", "GET, POST" },
		{ METHOD_DELETE, "/authors", "GET, POST" },
		{ METHOD_OTHER, "/authors", "GET, POST" },
		{ METHOD_GET, "/author", "POST" },
		{ METHOD_DELETE, "/author", "POST" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum api_err	 err = ERR_NONE;
		const char	*allow = NULL;
		int64_t		 id = -5;
		route_handler	 h;

		h = route_match(routes, NROUTES, cases[i].method, cases[i].path,
		    &id, &err, &allow);
		ok(h == NULL, "%s %s: no handler", mname[cases[i].method],
		    cases[i].path);
		is_int(err, ERR_METHOD, "%s %s: ERR_METHOD",
		    mname[cases[i].method], cases[i].path);
		is_str(allow, cases[i].allow, "%s %s: Allow",
		    mname[cases[i].method], cases[i].path);
	}
}

/* Paths that match no pattern: 404 whatever the method. */
static void
test_not_found(void)
{
	static const char *const paths[] = {
		"/authors/0",			/* ids start at 1 */
		"/authors/01",			/* leading zero */
		"/authors/00",
		"/authors/-1",			/* sign */
		"/authors/+1",
		"/authors/1x",
		"/authors/x1",
		"/authors/1.0",
		"/authors/1e3",
		"/authors/ 1",
		"/authors/1 ",
		"/authors/",			/* empty id */
		"/authors/1/",			/* trailing slash */
		"/authors//1",
		"/authors/1/2",
		"/authors/9223372036854775808",	/* INT64_MAX + 1 */
		"/authors/99999999999999999999",
		"/authors/%31",
		"/authors?x=1",			/* query is never in the path */
		"/authorsx",
		"/author/1",
		"/author/",
		"/AUTHORS",
		"//authors",
		"authors",
		"/x",
		"/",
		"",
	};
	static const enum http_method methods[] = { METHOD_GET, METHOD_PUT,
	    METHOD_DELETE, METHOD_POST, METHOD_OTHER };
	size_t	 i, m;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int	 all = 1;

		for (m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
			enum api_err	 err = ERR_NONE;
			const char	*allow = "unset";
			int64_t		 id = -5;
			route_handler	 h;

			h = route_match(routes, NROUTES, methods[m], paths[i],
			    &id, &err, &allow);
			if (h != NULL || err != ERR_NOT_FOUND ||
			    allow != NULL) {
				diag("%s \"%s\": handler %s, err %d, allow %s",
				    mname[methods[m]], paths[i],
				    h ? "set" : "NULL", (int)err,
				    allow ? allow : "NULL");
				all = 0;
			}
		}
		ok(all, "\"%s\" is 404 for every method, no Allow", paths[i]);
	}

	/* An empty table finds nothing. */
	{
		enum api_err	 err = ERR_NONE;
		const char	*allow = "unset";
		int64_t		 id;

		ok(route_match(routes, 0, METHOD_GET, "/authors", &id, &err,
		    &allow) == NULL && err == ERR_NOT_FOUND && allow == NULL,
		    "an empty table: 404");
	}
}

/* route_query_paging: limit 1..1000 (default 100), offset 0..1e9. */
static void
test_paging(void)
{
	static const struct {
		const char	*q;
		enum api_err	 err;
		int64_t		 limit, offset;
	} cases[] = {
		{ "", ERR_NONE, LIMIT_PAGE_DEFAULT, 0 },
		{ "limit=1", ERR_NONE, 1, 0 },
		{ "limit=100", ERR_NONE, 100, 0 },
		{ "limit=1000", ERR_NONE, 1000, 0 },
		{ "limit=1001", ERR_BAD_QUERY, 0, 0 },
		{ "limit=0", ERR_BAD_QUERY, 0, 0 },
		{ "limit=", ERR_BAD_QUERY, 0, 0 },
		{ "limit", ERR_BAD_QUERY, 0, 0 },
		{ "limit=1&limit=2", ERR_BAD_QUERY, 0, 0 },
		{ "limit=1&limit=1", ERR_BAD_QUERY, 0, 0 },
		{ "limit=01", ERR_BAD_QUERY, 0, 0 },
		{ "limit=+5", ERR_BAD_QUERY, 0, 0 },
		{ "limit=-5", ERR_BAD_QUERY, 0, 0 },
		{ "limit= 5", ERR_BAD_QUERY, 0, 0 },
		{ "limit=5 ", ERR_BAD_QUERY, 0, 0 },
		{ "limit=5x", ERR_BAD_QUERY, 0, 0 },
		{ "limit=5=6", ERR_BAD_QUERY, 0, 0 },
		{ "limit=99999999999999999999", ERR_BAD_QUERY, 0, 0 },
		{ "limit=%31", ERR_BAD_QUERY, 0, 0 },	/* percent-encoded 1 */
		{ "limit=1%30", ERR_BAD_QUERY, 0, 0 },
		{ "offset=0", ERR_NONE, LIMIT_PAGE_DEFAULT, 0 },
		{ "offset=20", ERR_NONE, LIMIT_PAGE_DEFAULT, 20 },
		{ "offset=1000000000", ERR_NONE, LIMIT_PAGE_DEFAULT,
		    LIMIT_OFFSET_MAX },
		{ "offset=1000000001", ERR_BAD_QUERY, 0, 0 },
		{ "offset=-1", ERR_BAD_QUERY, 0, 0 },
		{ "offset=", ERR_BAD_QUERY, 0, 0 },
		{ "offset", ERR_BAD_QUERY, 0, 0 },
		{ "offset=00", ERR_BAD_QUERY, 0, 0 },
		{ "offset=%30", ERR_BAD_QUERY, 0, 0 },
		{ "offset=1&offset=2", ERR_BAD_QUERY, 0, 0 },
		{ "limit=10&offset=20", ERR_NONE, 10, 20 },
		{ "offset=20&limit=10", ERR_NONE, 10, 20 },
		{ "limit=10&offset=20&limit=10", ERR_BAD_QUERY, 0, 0 },
		/* Other parameters are ignored, even odd-looking ones. */
		{ "foo=bar", ERR_NONE, LIMIT_PAGE_DEFAULT, 0 },
		{ "foo=bar&limit=5&baz", ERR_NONE, 5, 0 },
		{ "limits=5", ERR_NONE, LIMIT_PAGE_DEFAULT, 0 },
		{ "xlimit=5&offsetx=3", ERR_NONE, LIMIT_PAGE_DEFAULT, 0 },
		{ "a=limit=5", ERR_NONE, LIMIT_PAGE_DEFAULT, 0 },
		{ "=5", ERR_NONE, LIMIT_PAGE_DEFAULT, 0 },
		/* Empty pieces. */
		{ "&&", ERR_NONE, LIMIT_PAGE_DEFAULT, 0 },
		{ "&", ERR_NONE, LIMIT_PAGE_DEFAULT, 0 },
		{ "&limit=5&", ERR_NONE, 5, 0 },
		{ "limit=5&&offset=6", ERR_NONE, 5, 6 },
	};
	size_t	 i;
	int64_t	 limit, offset;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum api_err e;

		limit = offset = -7;
		e = route_query_paging(cases[i].q, &limit, &offset);
		is_int(e, cases[i].err, "paging \"%s\": %s", cases[i].q,
		    cases[i].err == ERR_NONE ? "accepted" : "ERR_BAD_QUERY");
		if (cases[i].err == ERR_NONE)
			ok(limit == cases[i].limit && offset == cases[i].offset,
			    "paging \"%s\": limit %lld offset %lld (got %lld "
			    "%lld)", cases[i].q, (long long)cases[i].limit,
			    (long long)cases[i].offset, (long long)limit,
			    (long long)offset);
	}
	limit = offset = -7;
	ok(route_query_paging(NULL, &limit, &offset) == ERR_NONE &&
	    limit == LIMIT_PAGE_DEFAULT && offset == 0,
	    "paging NULL query: defaults");
}

int
main(void)
{
	test_matches();
	test_method_not_allowed();
	test_not_found();
	test_paging();
	return done_testing();
}
