/*
 * t_response.c: unit tests for response.c: every error body (status,
 * stable code, message or detail), the rendered CGI response (Status
 * line first, Content-Type, Content-Length equal to the body, Allow on
 * 405, WWW-Authenticate on 401: Basic for login, Bearer for tokens,
 * RFC 6750 section 3), and JSON bodies set by handlers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "errors.h"
#include "response.h"
#include "tap.h"

struct parsed {
	char	*head;		/* header block, NUL-terminated */
	char	*body;		/* body, NUL-terminated */
	size_t	 body_len;
	int	 ok;		/* split found */
};

/* Split rendered output at the first blank line. */
static struct parsed
split(const char *out, size_t len)
{
	struct parsed	 p;
	size_t		 i;

	memset(&p, 0, sizeof(p));
	for (i = 0; i + 4 <= len; i++)
		if (memcmp(out + i, "\r\n\r\n", 4) == 0)
			break;
	if (i + 4 > len)
		return p;
	p.head = strndup(out, i + 2);		/* keep the last CRLF */
	p.body_len = len - i - 4;
	p.body = malloc(p.body_len + 1);
	memcpy(p.body, out + i + 4, p.body_len);
	p.body[p.body_len] = '\0';
	p.ok = 1;
	return p;
}

static void
parsed_free(struct parsed *p)
{
	free(p->head);
	free(p->body);
}

/* The value of header name in head (a static copy), or NULL. */
static const char *
header(const struct parsed *p, const char *name)
{
	static char	 val[512];
	const char	*line = p->head;
	size_t		 nl = strlen(name);

	while (line != NULL && *line != '\0') {
		const char *end = strstr(line, "\r\n");

		if (end == NULL)
			break;
		if ((size_t)(end - line) > nl + 1 &&
		    strncasecmp(line, name, nl) == 0 && line[nl] == ':' &&
		    line[nl + 1] == ' ') {
			snprintf(val, sizeof(val), "%.*s",
			    (int)(end - line - nl - 2), line + nl + 2);
			return val;
		}
		line = end + 2;
	}
	return NULL;
}

/* Every header line is "Name: value" ending in CRLF, no bare LF/CR. */
static int
headers_well_formed(const struct parsed *p)
{
	const char	*line = p->head;

	while (*line != '\0') {
		const char	*end = strstr(line, "\r\n"), *c;

		if (end == NULL || end == line)
			return 0;
		for (c = line; c < end; c++)
			if (*c == '\n' || *c == '\r')
				return 0;
		if ((c = memchr(line, ':', (size_t)(end - line))) == NULL ||
		    c == line || c[1] != ' ')
			return 0;
		line = end + 2;
	}
	return 1;
}

static int
render(const struct response *resp, struct parsed *p)
{
	char	*out = NULL;
	size_t	 len = 0;

	memset(p, 0, sizeof(*p));
	if (response_render(resp, &out, &len) != 0)
		return -1;
	*p = split(out, len);
	free(out);
	return p->ok ? 0 : -1;
}

/* The body's "error" and "message" strings, and its member count. */
static int
error_body(const char *body, const char **code, const char **msg,
    json_object **objp)
{
	json_object	*o = json_tokener_parse(body), *v;

	*objp = o;
	*code = *msg = NULL;
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return -1;
	if (json_object_object_get_ex(o, "error", &v) &&
	    json_object_is_type(v, json_type_string))
		*code = json_object_get_string(v);
	if (json_object_object_get_ex(o, "message", &v) &&
	    json_object_is_type(v, json_type_string))
		*msg = json_object_get_string(v);
	return json_object_object_length(o);
}

static void
test_errors(void)
{
	int	 e;

	for (e = 1; e < ERR__MAX; e++) {
		const struct err_info	*ei = err_info((enum api_err)e);
		struct response		 resp;
		struct parsed		 p;
		json_object		*o;
		const char		*code, *msg, *h;
		char			 want[64];
		int			 n;

		memset(&resp, 0, sizeof(resp));
		resp.status = 200;
		resp.allow = "GET, PUT, DELETE";	/* as route_match sets */
		if (!is_int(response_error(&resp, (enum api_err)e), 0,
		    "response_error(%s)", ei->code))
			continue;
		is_int(resp.status, ei->status, "%s: status %d", ei->code,
		    ei->status);
		if (!ok(render(&resp, &p) == 0, "%s: renders with a blank line",
		    ei->code)) {
			response_free(&resp);
			continue;
		}
		ok(headers_well_formed(&p), "%s: header lines well formed",
		    ei->code);
		snprintf(want, sizeof(want), "Status: %s\r\n",
		    err_status_line(ei->status));
		ok(strncmp(p.head, want, strlen(want)) == 0,
		    "%s: first line is \"Status: %s\"", ei->code,
		    err_status_line(ei->status));
		is_str(header(&p, "Content-Type"), "application/json",
		    "%s: Content-Type", ei->code);
		snprintf(want, sizeof(want), "%zu", p.body_len);
		is_str(header(&p, "Content-Length"), want,
		    "%s: Content-Length equals the body length", ei->code);
		n = error_body(p.body, &code, &msg, &o);
		is_int(n, 2, "%s: body is an object of two members", ei->code);
		is_str(code, ei->code, "%s: \"error\" is the code", ei->code);
		is_str(msg, ei->message, "%s: \"message\" is the default",
		    ei->code);
		json_object_put(o);

		h = header(&p, "WWW-Authenticate");
		if (e == ERR_LOGIN_FAILED)
			ok(h != NULL && strncmp(h, "Basic realm=\"", 13) == 0,
			    "%s: WWW-Authenticate Basic realm (%s)", ei->code,
			    h ? h : "none");
		else if (e == ERR_TOKEN_MISSING || e == ERR_TOKEN_INVALID)
			ok(h != NULL && strncmp(h, "Bearer", 6) == 0,
			    "%s: WWW-Authenticate Bearer (%s)", ei->code,
			    h ? h : "none");
		else
			ok(h == NULL, "%s: no WWW-Authenticate", ei->code);
		if (e == ERR_TOKEN_INVALID)
			ok(h != NULL && strstr(h, "error=\"invalid_token\"") !=
			    NULL, "%s: error=\"invalid_token\" (RFC 6750 3.1)",
			    ei->code);
		if (e == ERR_TOKEN_MISSING)
			ok(h != NULL && strstr(h, "error=") == NULL,
			    "%s: no error code when no token was sent "
			    "(RFC 6750 3.1)", ei->code);
		h = header(&p, "Allow");
		if (e == ERR_METHOD)
			is_str(h, "GET, PUT, DELETE", "%s: Allow", ei->code);
		else
			ok(h == NULL, "%s: no Allow", ei->code);
		is_str(header(&p, "Cache-Control"), "no-store",
		    "%s: Cache-Control no-store", ei->code);
		is_str(header(&p, "X-Content-Type-Options"), "nosniff",
		    "%s: nosniff", ei->code);
		parsed_free(&p);
		response_free(&resp);
	}
}

static void
test_detail_and_replace(void)
{
	struct response	 resp;
	struct parsed	 p;
	json_object	*o;
	const char	*code, *msg;

	/* A detail overrides the default message. */
	memset(&resp, 0, sizeof(resp));
	resp.detail = "name must be 1-100 characters, not blank";
	response_error(&resp, ERR_INVALID_FIELD);
	if (render(&resp, &p) == 0) {
		error_body(p.body, &code, &msg, &o);
		is_str(code, "invalid_field", "detail: code unchanged");
		is_str(msg, "name must be 1-100 characters, not blank",
		    "detail: message is the detail");
		json_object_put(o);
		parsed_free(&p);
	} else
		ok(0, "detail: render");
	response_free(&resp);

	/* A detail needing JSON escapes stays one valid string. */
	memset(&resp, 0, sizeof(resp));
	resp.detail = "bad \"x\"\n\\ \x01";
	response_error(&resp, ERR_BAD_JSON);
	if (render(&resp, &p) == 0) {
		error_body(p.body, &code, &msg, &o);
		is_str(msg, "bad \"x\"\n\\ \x01",
		    "detail with quotes and controls round-trips");
		ok(memchr(p.body, '\n', p.body_len) == NULL,
		    "no raw newline in the body");
		json_object_put(o);
		parsed_free(&p);
	} else
		ok(0, "escaped detail: render");
	response_free(&resp);

	/* response_error replaces a body a handler already set. */
	memset(&resp, 0, sizeof(resp));
	response_json(&resp, 200, json_object_new_string("partial"));
	response_error(&resp, ERR_AUTHOR_CONFLICT);
	is_int(resp.status, 409, "error after a body: status 409");
	if (render(&resp, &p) == 0) {
		error_body(p.body, &code, &msg, &o);
		is_str(code, "author_exists", "error after a body: error body");
		json_object_put(o);
		parsed_free(&p);
	} else
		ok(0, "replace: render");
	response_free(&resp);

	/* A 401 keeps a WWW-Authenticate the handler chose. */
	memset(&resp, 0, sizeof(resp));
	resp.www_authenticate = "Bearer realm=\"x\"";
	response_error(&resp, ERR_TOKEN_MISSING);
	if (render(&resp, &p) == 0) {
		is_str(header(&p, "WWW-Authenticate"), "Bearer realm=\"x\"",
		    "401 keeps a preset WWW-Authenticate");
		parsed_free(&p);
	} else
		ok(0, "preset www-authenticate: render");
	response_free(&resp);
}

static void
test_json(void)
{
	struct response	 resp;
	struct parsed	 p;
	json_object	*o;
	char		 want[32];
	static const char body[] = "{\"id\":5,\"name\":\"a/b \xc3\xa9\","
	    "\"booker_prize\":true}";

	memset(&resp, 0, sizeof(resp));
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(5));
	json_object_object_add(o, "name",
	    json_object_new_string("a/b \xc3\xa9"));
	json_object_object_add(o, "booker_prize",
	    json_object_new_boolean(1));
	response_json(&resp, 201, o);
	is_int(resp.status, 201, "response_json sets the status");
	ok(resp.body == o, "response_json takes the body");
	if (render(&resp, &p) == 0) {
		ok(strncmp(p.head, "Status: 201 Created\r\n", 21) == 0,
		    "201 status line first");
		is_str(header(&p, "Content-Type"), "application/json",
		    "JSON Content-Type");
		is_mem(p.body, p.body_len, body, sizeof(body) - 1,
		    "body is plain JSON, '/' and UTF-8 not escaped");
		snprintf(want, sizeof(want), "%zu", sizeof(body) - 1);
		is_str(header(&p, "Content-Length"), want, "Content-Length");
		ok(header(&p, "WWW-Authenticate") == NULL &&
		    header(&p, "Allow") == NULL, "no Allow, no WWW-Authenticate");
		parsed_free(&p);
	} else
		ok(0, "json: render");

	/* Replacing the body releases the old one (valgrind checks). */
	response_json(&resp, 200, json_object_new_array());
	if (render(&resp, &p) == 0) {
		ok(strncmp(p.head, "Status: 200 OK\r\n", 16) == 0,
		    "second response_json: 200");
		is_str(p.body, "[]", "second response_json: new body");
		parsed_free(&p);
	} else
		ok(0, "json replace: render");
	response_free(&resp);
	ok(resp.body == NULL && resp.status == 0 && resp.allow == NULL,
	    "response_free zeroes the response");

	/* No body at all renders as a 500, never an empty 200. */
	memset(&resp, 0, sizeof(resp));
	resp.status = 200;
	if (render(&resp, &p) == 0) {
		ok(strncmp(p.head, "Status: 500 Internal Server Error\r\n",
		    35) == 0, "no body: 500");
		ok(strstr(p.body, "internal_error") != NULL,
		    "no body: internal_error body");
		snprintf(want, sizeof(want), "%zu", p.body_len);
		is_str(header(&p, "Content-Length"), want,
		    "no body: Content-Length");
		parsed_free(&p);
	} else
		ok(0, "no body: render");

	/* An unknown status renders with the 500 line, not garbage. */
	memset(&resp, 0, sizeof(resp));
	response_json(&resp, 299, json_object_new_object());
	if (render(&resp, &p) == 0) {
		ok(strncmp(p.head, "Status: 500 ", 12) == 0,
		    "unknown status 299 renders as 500");
		parsed_free(&p);
	} else
		ok(0, "unknown status: render");
	response_free(&resp);
}

int
main(void)
{
	test_errors();
	test_detail_and_replace();
	test_json();
	return done_testing();
}
