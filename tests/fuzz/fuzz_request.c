/*
 * fuzz_request.c: request_from(), which copies one request out of the
 * FastCGI/CGI parameters and reads its body (request.h). The input is
 * split at newlines: line 0 is how the body reader behaves, lines 1-10
 * are the parameters below (an empty line is an absent parameter; a NUL
 * ends a value early, as it would in a parameter block), and what
 * follows the eleventh newline is the body. With fewer lines, the
 * missing parameters are absent and the body is empty.
 *
 * Line 0, the reader: digits give the most bytes one read() returns (0
 * or none: all it is asked for); 'E' makes the reader fail (-1) once the
 * body is used up instead of returning 0 (EOF); 'R' repeats the body
 * without end (when it is not empty), so that the LIMIT_BODY_MAX cases
 * are reached from a short input.
 *
 * Checked beyond memory safety: the reader is never asked for bytes past
 * what it was given room for, nor after EOF or an error; a request without
 * error has a path of at most LIMIT_PATH_MAX bytes and a query, and its
 * body is NULL when empty, else NUL-terminated, at most LIMIT_BODY_MAX
 * bytes, and exactly CONTENT_LENGTH bytes when that is set; everything is
 * released by request_free() (LeakSanitizer), also after an error.
 */
#include "config.h"

#include "limits.h"
#include "request.h"
#include "fuzz.h"

static const char *const param_names[] = {
	"REQUEST_METHOD",
	"CONTENT_LENGTH",
	"SCRIPT_NAME",
	"PATH_INFO",
	"QUERY_STRING",
	"HTTP_AUTHORIZATION",
	"REDIRECT_HTTP_AUTHORIZATION",
	"HTTP_X_ACCESS_TOKENS",
	"CONTENT_TYPE",
	"REMOTE_ADDR",
};
#define NPARAMS (sizeof(param_names) / sizeof(param_names[0]))

struct input {
	char		*param[NPARAMS];	/* NULL: absent */
	const uint8_t	*body;
	size_t		 body_len, pos;
	size_t		 chunk;		/* 0: no limit */
	int		 fail_at_end, repeat;
	int		 ended;		/* returned 0 or -1 */
	size_t		 total;		/* bytes handed out */
};

static const char *
getparam(void *arg, const char *name)
{
	struct input	*in = arg;
	size_t		 i;

	for (i = 0; i < NPARAMS; i++)
		if (strcmp(name, param_names[i]) == 0)
			return in->param[i];
	return NULL;
}

static long
readbody(void *arg, char *buf, size_t len)
{
	struct input	*in = arg;
	size_t		 n = 0;

	FUZZ_CHECK(!in->ended);
	FUZZ_CHECK(buf != NULL && len > 0);
	if (in->chunk > 0 && len > in->chunk)
		len = in->chunk;
	while (n < len) {
		size_t k;

		if (in->pos == in->body_len) {
			if (!in->repeat || in->body_len == 0)
				break;
			in->pos = 0;
		}
		k = in->body_len - in->pos;
		if (k > len - n)
			k = len - n;
		memcpy(buf + n, in->body + in->pos, k);	/* ASan: room */
		in->pos += k;
		n += k;
	}
	if (n == 0) {
		in->ended = 1;
		return in->fail_at_end ? -1 : 0;
	}
	in->total += n;
	return (long)n;
}

static void
parse_mode(struct input *in, const uint8_t *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (in->chunk < 1000000)
				in->chunk = in->chunk * 10 + (size_t)(s[i] - '0');
		} else if (s[i] == 'E')
			in->fail_at_end = 1;
		else if (s[i] == 'R')
			in->repeat = 1;
	}
}

static void
check_request(const struct request *req, const struct input *in)
{
	const char	*cl = in->param[1];

	FUZZ_CHECK(req->method >= METHOD_GET && req->method < METHOD__MAX);
	if (req->error != ERR_NONE) {
		FUZZ_CHECK(req->error == ERR_BAD_REQUEST ||
		    req->error == ERR_TOO_LARGE || req->error == ERR_INTERNAL);
		return;
	}
	FUZZ_CHECK(req->path != NULL && strlen(req->path) <= LIMIT_PATH_MAX);
	FUZZ_CHECK(req->query != NULL && strlen(req->query) <= LIMIT_QUERY_MAX);
	if (req->authorization != NULL)
		FUZZ_CHECK(req->authorization[0] != '\0' &&
		    strlen(req->authorization) <= LIMIT_HEADER_MAX);
	if (req->access_token != NULL)
		FUZZ_CHECK(req->access_token[0] != '\0' &&
		    strlen(req->access_token) <= LIMIT_HEADER_MAX);
	if (req->content_type != NULL)
		FUZZ_CHECK(req->content_type[0] != '\0');
	FUZZ_CHECK((req->body == NULL) == (req->body_len == 0));
	FUZZ_CHECK(req->body_len <= LIMIT_BODY_MAX);
	FUZZ_CHECK(req->body_len <= in->total);
	if (req->body != NULL)
		FUZZ_CHECK(req->body[req->body_len] == '\0');
	if (cl != NULL && cl[0] != '\0')
		FUZZ_CHECK(req->body_len == strtoull(cl, NULL, 10));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input	 in;
	struct request	 req;
	const uint8_t	*p = data, *end = data + size, *nl;
	size_t		 i;

	memset(&in, 0, sizeof(in));
	nl = size > 0 ? memchr(p, '\n', size) : NULL;
	parse_mode(&in, p, nl != NULL ? (size_t)(nl - p) : size);
	p = nl != NULL ? nl + 1 : end;
	for (i = 0; i < NPARAMS && p < end; i++) {
		size_t len;

		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0)
			in.param[i] = fuzz_strndup(p, len);
		p = nl != NULL ? nl + 1 : end;
	}
	in.body = p;
	in.body_len = (size_t)(end - p);

	memset(&req, 0xa5, sizeof(req));
	(void)request_from(&req, getparam, readbody, &in);
	check_request(&req, &in);
	request_free(&req);
	FUZZ_CHECK(req.path == NULL && req.body == NULL);

	for (i = 0; i < NPARAMS; i++)
		free(in.param[i]);
	return 0;
}
