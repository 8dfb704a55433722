/*
 * fuzz_route.c: route_match() and route_query_paging() (route.h), which
 * see the request path and QUERY_STRING. The first byte picks the method
 * (modulo METHOD__MAX); the rest, as a C string, is both the path matched
 * against the authors responder's table and the query string parsed for
 * paging.
 *
 * Checked beyond memory safety: a match is the table's handler, with an
 * id of 0 for the literal patterns and 1..INT64_MAX for "{id}", written
 * in canonical decimal as the path's last segment; a 405 carries the
 * path's exact Allow list, which never names the method asked for; a 404
 * is a path that no pattern has; paging stays inside 1..LIMIT_PAGE_MAX
 * and 0..LIMIT_OFFSET_MAX.
 */
#include "config.h"

#include <inttypes.h>

#include "limits.h"
#include "route.h"
#include "fuzz.h"

static enum api_err
dummy(struct app *app, const struct request *req, struct response *resp,
    int64_t id)
{
	(void)app;
	(void)req;
	(void)resp;
	(void)id;
	return ERR_NONE;
}

/* As cgi-bin/authors.c declares it (keep in step). */
static const struct route routes[] = {
	{ METHOD_POST, "/author", dummy },
	{ METHOD_POST, "/authors", dummy },
	{ METHOD_GET, "/authors", dummy },
	{ METHOD_GET, "/authors/{id}", dummy },
	{ METHOD_PUT, "/authors/{id}", dummy },
	{ METHOD_DELETE, "/authors/{id}", dummy },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* A match: the id is 0 for a literal path, else the path's last segment. */
static void
check_match(const char *path, int64_t id)
{
	char	 want[64];

	if (strcmp(path, "/author") == 0 || strcmp(path, "/authors") == 0) {
		FUZZ_CHECK(id == 0);
		return;
	}
	FUZZ_CHECK(id >= 1);
	snprintf(want, sizeof(want), "/authors/%" PRId64, id);
	FUZZ_CHECK(strcmp(path, want) == 0);
}

/* Is path "/authors/" and a canonical decimal in 1..INT64_MAX? */
static int
is_id_path(const char *path)
{
	const char	*d = path + strlen("/authors/");
	size_t		 n, i;

	if (strncmp(path, "/authors/", strlen("/authors/")) != 0)
		return 0;
	n = strlen(d);
	if (n == 0 || n > 19 || d[0] == '0')
		return 0;
	for (i = 0; i < n; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	return n < 19 || strcmp(d, "9223372036854775807") <= 0;
}

/* The Allow list of a path that the table has (enum order). */
static void
check_allow(const char *path, enum http_method m, const char *allow)
{
	const char	*want;

	if (strcmp(path, "/author") == 0)
		want = "POST";
	else if (strcmp(path, "/authors") == 0)
		want = "GET, POST";
	else {
		FUZZ_CHECK(is_id_path(path));
		want = "GET, PUT, DELETE";
	}
	FUZZ_CHECK(allow != NULL && strcmp(allow, want) == 0);
	FUZZ_CHECK(m == METHOD_OTHER || strstr(want,
	    m == METHOD_GET ? "GET" : m == METHOD_POST ? "POST" :
	    m == METHOD_PUT ? "PUT" : "DELETE") == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum http_method	 m;
	route_handler		 h;
	const char		*allow = "unset";
	char			*s;
	int64_t			 id = -1, limit = -1, offset = -1;
	enum api_err		 e = ERR__MAX;

	if (size == 0)
		return 0;
	m = (enum http_method)(data[0] % METHOD__MAX);
	s = fuzz_strndup(data + 1, size - 1);

	h = route_match(routes, NROUTES, m, s, &id, &e, &allow);
	if (h != NULL) {
		FUZZ_CHECK(h == dummy && e == ERR_NONE && allow == NULL);
		check_match(s, id);
	} else if (e == ERR_METHOD) {
		FUZZ_CHECK(id == 0);
		check_allow(s, m, allow);
	} else {
		FUZZ_CHECK(e == ERR_NOT_FOUND && allow == NULL && id == 0);
		FUZZ_CHECK(strcmp(s, "/author") != 0 &&
		    strcmp(s, "/authors") != 0 && !is_id_path(s));
	}

	e = route_query_paging(s, &limit, &offset);
	if (e == ERR_NONE) {
		FUZZ_CHECK(limit >= 1 && limit <= LIMIT_PAGE_MAX);
		FUZZ_CHECK(offset >= 0 && offset <= LIMIT_OFFSET_MAX);
	} else
		FUZZ_CHECK(e == ERR_BAD_QUERY);
	free(s);
	return 0;
}
