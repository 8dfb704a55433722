/*
 * auth.c: credentials from request headers. Basic (RFC 7617) is decoded
 * with libjwt's exported base64 decoder after a strict syntax check here
 * (that decoder stops silently at the first foreign byte).
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "limits.h"
#include "util.h"

/* libjwt 1.10 exports this without declaring it (configure checks it). */
int jwt_Base64decode(char *bufplain, const char *bufcoded);

static int
is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Skip "scheme" and one or more spaces; NULL if the scheme differs. */
static const char *
after_scheme(const char *h, const char *scheme)
{
	size_t	 n = strlen(scheme);

	if (strncasecmp(h, scheme, n) != 0 || h[n] != ' ')
		return NULL;
	h += n;
	while (*h == ' ')
		h++;
	return h;
}

int
auth_basic_parse(const char *header, struct basic_cred *cred)
{
	const char	*p;
	char		*colon;
	size_t		 len, i, pad = 0;
	int		 n;

	memset(cred, 0, sizeof(*cred));
	if (header == NULL || (p = after_scheme(header, "Basic")) == NULL)
		return -1;
	len = strlen(p);
	while (len > 0 && p[len - 1] == ' ')
		len--;			/* optional trailing whitespace */
	/* Strict RFC 4648 section 4: groups of four, '=' only at the end. */
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > LIMIT_BASIC_DECODED + 2)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '=' && i >= len - 2) {
			pad++;
			continue;
		}
		if (pad > 0 || !is_b64(c))
			return -1;
	}
	if (len / 4 * 3 - pad > LIMIT_BASIC_DECODED)
		return -1;
	/* The decoder reads until a non-alphabet byte: '=' or the NUL. */
	n = jwt_Base64decode(cred->buf, p);
	if (n < 0 || (size_t)n != len / 4 * 3 - pad)
		return -1;
	cred->buf[n] = '\0';
	if (memchr(cred->buf, '\0', (size_t)n) != NULL)
		goto bad;
	if ((colon = memchr(cred->buf, ':', (size_t)n)) == NULL)
		goto bad;
	*colon = '\0';
	cred->user = cred->buf;
	cred->user_len = (size_t)(colon - cred->buf);
	cred->pass = colon + 1;
	cred->pass_len = (size_t)n - cred->user_len - 1;
	return 0;
bad:
	util_wipe(cred->buf, sizeof(cred->buf));
	return -1;
}

/* A JWT is three base64url segments: anything else is not a token. */
static int
token_chars_ok(const char *t, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

enum api_err
auth_token_from(const struct request *req, const char **tok, size_t *len)
{
	const char	*t = NULL;

	*tok = NULL;
	*len = 0;
	if (req->authorization != NULL)
		t = after_scheme(req->authorization, "Bearer");
	if (t == NULL)
		t = req->access_token;
	if (t == NULL)
		return ERR_TOKEN_MISSING;
	*len = strlen(t);
	/* RFC 9110 section 5.6.3: optional white space is SP or HTAB. */
	while (*len > 0 && (t[*len - 1] == ' ' || t[*len - 1] == '\t'))
		(*len)--;
	if (*len == 0)
		return ERR_TOKEN_MISSING;
	if (*len > LIMIT_TOKEN_MAX || !token_chars_ok(t, *len))
		return ERR_TOKEN_INVALID;
	*tok = t;
	return ERR_NONE;
}
