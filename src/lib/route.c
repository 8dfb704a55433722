/*
 * route.c: matching a path against a responder's route table.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "limits.h"
#include "route.h"
#include "util.h"

/* Match path against pattern; on a match set *id (0 without "{id}"). */
static int
pattern_match(const char *pattern, const char *path, int64_t *id)
{
	*id = 0;
	while (*pattern != '\0' && *path != '\0') {
		if (strncmp(pattern, "{id}", 4) == 0) {
			size_t n = strcspn(path, "/");

			if (util_parse_int64(path, n, 1, INT64_MAX, id) == -1)
				return 0;
			pattern += 4;
			path += n;
			continue;
		}
		if (*pattern != *path)
			return 0;
		pattern++;
		path++;
	}
	return *pattern == '\0' && *path == '\0';
}

static const char *const method_names[METHOD__MAX] = {
	[METHOD_GET] = "GET",
	[METHOD_POST] = "POST",
	[METHOD_PUT] = "PUT",
	[METHOD_DELETE] = "DELETE",
	[METHOD_OTHER] = NULL,
};

/*
 * The Allow value for a set of methods (bit i for enum value i). Built
 * from a fixed table so the returned string is static.
 */
static const char *
allow_string(unsigned mask)
{
	static char	 lists[1u << METHOD_OTHER][32];
	char		*s;
	unsigned	 i;

	mask &= (1u << METHOD_OTHER) - 1;
	s = lists[mask];
	if (s[0] == '\0') {
		for (i = 0; i < METHOD_OTHER; i++) {
			if (!(mask & (1u << i)))
				continue;
			if (s[0] != '\0')
				strcat(s, ", ");
			strcat(s, method_names[i]);
		}
	}
	return s;
}

route_handler
route_match(const struct route *routes, size_t n, enum http_method method,
    const char *path, int64_t *id, enum api_err *err, const char **allow)
{
	unsigned	 mask = 0;
	size_t		 i;
	int64_t		 v;

	*allow = NULL;
	*id = 0;
	for (i = 0; i < n; i++) {
		if (!pattern_match(routes[i].pattern, path, &v))
			continue;
		if (routes[i].method == method) {
			*id = v;
			*err = ERR_NONE;
			return routes[i].handler;
		}
		mask |= 1u << routes[i].method;
	}
	if (mask != 0) {
		*err = ERR_METHOD;
		*allow = allow_string(mask);
	} else
		*err = ERR_NOT_FOUND;
	return NULL;
}

enum api_err
route_query_paging(const char *query, int64_t *limit, int64_t *offset)
{
	const char	*p = query;
	int		 have_limit = 0, have_offset = 0;

	*limit = LIMIT_PAGE_DEFAULT;
	*offset = 0;
	while (p != NULL && *p != '\0') {
		size_t		 n = strcspn(p, "&"), kl;
		const char	*eq = memchr(p, '=', n);

		kl = eq != NULL ? (size_t)(eq - p) : n;
		if (kl == 5 && memcmp(p, "limit", 5) == 0) {
			if (have_limit++ || eq == NULL ||
			    util_parse_int64(eq + 1, n - kl - 1, 1,
			    LIMIT_PAGE_MAX, limit) == -1)
				return ERR_BAD_QUERY;
		} else if (kl == 6 && memcmp(p, "offset", 6) == 0) {
			if (have_offset++ || eq == NULL ||
			    util_parse_int64(eq + 1, n - kl - 1, 0,
			    LIMIT_OFFSET_MAX, offset) == -1)
				return ERR_BAD_QUERY;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return ERR_NONE;
}
