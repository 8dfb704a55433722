/*
 * response.c: building and rendering the one response of a request.
 * Every response is JSON; error bodies come only from response_error().
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "response.h"

void
response_json(struct response *resp, int status, json_object *body)
{
	if (resp->body != NULL)
		json_object_put(resp->body);
	resp->status = status;
	resp->body = body;
}

enum api_err
response_message(struct response *resp, int status, const char *message)
{
	json_object	*o, *m;

	if ((o = json_object_new_object()) == NULL)
		return ERR_INTERNAL;
	if ((m = json_object_new_string(message)) == NULL ||
	    json_object_object_add(o, "message", m) != 0) {
		json_object_put(m);
		json_object_put(o);
		return ERR_INTERNAL;
	}
	response_json(resp, status, o);
	return ERR_NONE;
}

int
response_error(struct response *resp, enum api_err err)
{
	const struct err_info	*ei = err_info(err);
	json_object		*o;
	const char		*msg = resp->detail != NULL ?
	    resp->detail : ei->message;

	if (resp->body != NULL) {
		json_object_put(resp->body);
		resp->body = NULL;
	}
	resp->status = ei->status;
	if (ei->status == 401 && resp->www_authenticate == NULL)
		resp->www_authenticate = err == ERR_LOGIN_FAILED ?
		    "Basic realm=\"login required\"" :
		    err == ERR_TOKEN_INVALID ?
		    "Bearer error=\"invalid_token\"" : "Bearer";
	if (err != ERR_METHOD)
		resp->allow = NULL;
	if (resp->retry_after == 0)
		resp->retry_after = ei->retry_after;
	if ((o = json_object_new_object()) == NULL)
		return -1;
	if (response_add(o, "error", json_object_new_string(ei->code)) == -1 ||
	    response_add(o, "message", json_object_new_string(msg)) == -1) {
		json_object_put(o);
		return -1;
	}
	resp->body = o;
	return 0;
}

int
response_add(json_object *o, const char *key, json_object *val)
{
	/* json-c adds a NULL value as null, and on failure leaves val to
	 * us; the key is a literal: no copy, one allocation less. */
	if (val == NULL || json_object_object_add_ex(o, key, val,
	    JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY) !=
	    0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

/* Bytes of s as json-c 0.16 escapes it with NOSLASHESCAPE. */
static size_t
escaped_len(const char *s, size_t len)
{
	size_t	 n = 0, i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\' || c == '\b' || c == '\n' ||
		    c == '\r' || c == '\t' || c == '\f')
			n += 2;
		else if (c < ' ')
			n += 6;		/* \u00XX */
		else
			n++;
	}
	return n + 2;			/* the quotes */
}

/*
 * The length json-c's plain rendering of o has: json-c 0.16 drops a
 * piece it cannot grow its buffer for and carries on, so a rendering of
 * another length lost part of the body (a value, a quote). -1 for what
 * no response holds (doubles, whose text json-c chooses).
 */
static long
json_len(json_object *o)
{
	char	 num[24];
	size_t	 i, n;
	long	 total, l;
	int	 w;

	if (o == NULL)
		return 4;			/* null */
	switch (json_object_get_type(o)) {
	case json_type_null:
		return 4;
	case json_type_boolean:
		return json_object_get_boolean(o) ? 4 : 5;
	case json_type_int:
		w = snprintf(num, sizeof(num), "%lld",
		    (long long)json_object_get_int64(o));
		return w;
	case json_type_string:
		return (long)escaped_len(json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
	case json_type_object:
		total = 1;			/* "}" */
		n = 0;
		json_object_object_foreach(o, key, val) {
			if ((l = json_len(val)) < 0)
				return -1;
			total += 1 + (long)escaped_len(key, strlen(key)) + 1 +
			    l;			/* "{" or ",", key, ":", value */
			n++;
		}
		return n == 0 ? 2 : total;
	case json_type_array:
		n = json_object_array_length(o);
		total = 1;			/* "]" */
		for (i = 0; i < n; i++) {
			if ((l = json_len(json_object_array_get_idx(o,
			    i))) < 0)
				return -1;
			total += 1 + l;		/* "[" or ",", element */
		}
		return n == 0 ? 2 : total;
	default:
		return -1;
	}
}

int
response_render(const struct response *resp, char **out, size_t *outlen)
{
	const char	*body = "{\"error\":\"internal_error\","
	    "\"message\":\"internal error\"}";
	char		 head[512], retry[48] = "";
	size_t		 blen, hlen;
	int		 n, status = resp->status;
	char		*buf;

	if (resp->body != NULL) {
		body = json_object_to_json_string_length(resp->body,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &blen);
		if (body == NULL || json_len(resp->body) != (long)blen)
			return -1;
	} else {
		status = 500;
		blen = strlen(body);
	}
	if (resp->retry_after > 0)
		snprintf(retry, sizeof(retry), "Retry-After: %ld\r\n",
		    resp->retry_after);
	/* Status first: CGI (RFC 3875 section 6.3.3) and every server here. */
	n = snprintf(head, sizeof(head),
	    "Status: %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %lu\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s%s%s"
	    "%s%s%s"
	    "%s"
	    "\r\n",
	    err_status_line(status), (unsigned long)blen,
	    resp->allow ? "Allow: " : "", resp->allow ? resp->allow : "",
	    resp->allow ? "\r\n" : "",
	    resp->www_authenticate ? "WWW-Authenticate: " : "",
	    resp->www_authenticate ? resp->www_authenticate : "",
	    resp->www_authenticate ? "\r\n" : "", retry);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	hlen = (size_t)n;
	if ((buf = malloc(hlen + blen)) == NULL)
		return -1;
	memcpy(buf, head, hlen);
	memcpy(buf + hlen, body, blen);
	*out = buf;
	*outlen = hlen + blen;
	return 0;
}

void
response_free(struct response *resp)
{
	if (resp->body != NULL)
		json_object_put(resp->body);
	memset(resp, 0, sizeof(*resp));
}
