/*
 * response.h: the response a handler builds, rendered and written once.
 */
#ifndef LIBAPI_RESPONSE_H
#define LIBAPI_RESPONSE_H

#include <stddef.h>
#include <json-c/json.h>
#include "errors.h"

struct response {
	int		 status;	/* HTTP status, 200 by default */
	json_object	*body;		/* owned: released by response_free */
	const char	*allow;		/* static: Allow header for 405 */
	const char	*www_authenticate; /* static: WWW-Authenticate */
	const char	*detail;	/* static: message overriding the default */
	long		 retry_after;	/* seconds for Retry-After; 0: none */
};

/* Set status and take ownership of body (not NULL). */
void response_json(struct response *resp, int status, json_object *body);

/* {"message": message} with status; ERR_NONE or ERR_INTERNAL (memory). */
enum api_err response_message(struct response *resp, int status,
    const char *message);

/*
 * Replace whatever resp holds with the error body for err:
 * {"error": code, "message": detail or default} and its status and
 * headers (WWW-Authenticate for 401s). Returns 0 or -1 (out of memory).
 */
int response_error(struct response *resp, enum api_err err);

/*
 * Add val to object o under key, a string literal (not copied). On any
 * failure, val NULL included, val is released and -1 returned, so that
 * o = new; response_add(o, "k", json_object_new_string(...)) == -1
 * needs no other check.
 */
int response_add(json_object *o, const char *key, json_object *val);

/*
 * Render status line, headers and body into one malloc'd buffer (*out,
 * caller frees, length in *outlen). Returns 0 or -1.
 */
int response_render(const struct response *resp, char **out, size_t *outlen);

void response_free(struct response *resp);

#endif
