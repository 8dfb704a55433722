/*
 * route.h: a responder's route table and the dispatcher. A pattern is a
 * path of literal segments and "{id}" segments; "{id}" matches only a
 * canonical positive decimal (1..INT64_MAX, no sign, no leading zero).
 * A path matching no pattern is 404; a matching pattern without the
 * method is 405 with Allow.
 */
#ifndef LIBAPI_ROUTE_H
#define LIBAPI_ROUTE_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"
#include "request.h"
#include "response.h"

struct app;

/* What a handler gets: the app, the request, the {id} value (0 if none). */
typedef enum api_err (*route_handler)(struct app *app,
    const struct request *req, struct response *resp, int64_t id);

struct route {
	enum http_method method;
	const char	*pattern;	/* e.g. "/authors/{id}" */
	route_handler	 handler;
};

/*
 * Find the handler for (method, path). Returns it and sets *id, or NULL
 * with *err set to ERR_NOT_FOUND or ERR_METHOD (then *allow points to a
 * static "GET, PUT" style list).
 */
route_handler route_match(const struct route *routes, size_t n,
    enum http_method method, const char *path, int64_t *id,
    enum api_err *err, const char **allow);

/*
 * Parse paging from a query string: "limit" (1..LIMIT_PAGE_MAX, default
 * LIMIT_PAGE_DEFAULT) and "offset" (0..LIMIT_OFFSET_MAX, default 0), as
 * plain decimal digits. Other parameters are ignored; a repeated or
 * malformed limit/offset is ERR_BAD_QUERY.
 */
enum api_err route_query_paging(const char *query, int64_t *limit,
    int64_t *offset);

#endif
