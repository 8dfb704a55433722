/*
 * token.c: HS256 JSON Web Tokens (RFC 7519, RFC 7515) with libjwt 1.10.2.
 * libjwt verifies with whatever algorithm the token names and checks no
 * claims (shared/LIBRARIES.md), so this module pins the algorithm, caps
 * the size before libjwt copies the token onto its stack, and checks
 * every claim and its JSON type itself (RFC 8725 section 3.1, 3.8-3.9).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>
#include <json-c/json.h>

#include "limits.h"
#include "log.h"
#include "token.h"
#include "util.h"

#define IAT_LEEWAY 30	/* seconds an iat may lie in the future (clock skew) */

struct token_key {
	unsigned char	*key;
	size_t		 len;
};

struct token_key *
token_key_new(const unsigned char *key, size_t len)
{
	struct token_key	*k;

	if (key == NULL || len < LIMIT_SECRET_MIN || len > LIMIT_SECRET_MAX)
		return NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if ((k->key = malloc(len)) == NULL) {
		free(k);
		return NULL;
	}
	memcpy(k->key, key, len);
	k->len = len;
	return k;
}

struct token_key *
token_key_load(const char *path)
{
	struct token_key	*k = NULL;
	char			*buf;
	size_t			 len = 0, klen;

	if (path == NULL || path[0] == '\0') {
		log_error(__func__, "no secret file configured");
		return NULL;
	}
	if ((buf = util_read_file(path, LIMIT_SECRET_MAX, &len)) == NULL) {
		log_error(__func__, "%s: %s", path, errno == EFBIG ?
		    "larger than 4096 bytes" : strerror(errno));
		return NULL;
	}
	klen = len;
	if (klen > 0 && buf[klen - 1] == '\n')
		klen--;
	if (klen < LIMIT_SECRET_MIN)
		log_error(__func__, "%s: secret shorter than %d bytes; "
		    "create one with library-admin init", path,
		    LIMIT_SECRET_MIN);
	else if ((k = token_key_new((unsigned char *)buf, klen)) == NULL)
		log_error(__func__, "out of memory");
	util_wipe(buf, len);
	free(buf);
	return k;
}

void
token_key_free(struct token_key *k)
{
	if (k == NULL)
		return;
	util_wipe(k->key, k->len);
	free(k->key);
	free(k);
}

char *
token_issue(const struct token_key *k, const char *issuer,
    const char *public_id, int64_t now, int64_t lifetime)
{
	jwt_t	*jwt = NULL;
	char	 jti[37];
	char	*out = NULL;

	if (util_uuid4(jti) == -1 || jwt_new(&jwt) != 0)
		goto out;
	if (jwt_add_grant(jwt, "public_id", public_id) != 0 ||
	    jwt_add_grant(jwt, "iss", issuer) != 0 ||
	    jwt_add_grant(jwt, "jti", jti) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)(now + lifetime)) != 0)
		goto out;
	if (jwt_set_alg(jwt, JWT_ALG_HS256, k->key, (int)k->len) != 0)
		goto out;
	out = jwt_encode_str(jwt);
out:
	if (out == NULL)
		log_error(__func__, "could not sign a token");
	jwt_free(jwt);
	return out;
}

/* An integer claim as its JSON type says: -1 when missing or not one. */
static int
claim_int(jwt_t *jwt, const char *name, int64_t *out)
{
	char		*txt;
	json_object	*o;
	int		 rc = -1;

	if ((txt = jwt_get_grants_json(jwt, name)) == NULL)
		return -1;
	if ((o = json_tokener_parse(txt)) != NULL &&
	    json_object_is_type(o, json_type_int)) {
		errno = 0;
		*out = json_object_get_int64(o);
		if (errno == 0)
			rc = 0;
	}
	json_object_put(o);
	free(txt);
	return rc;
}

enum api_err
token_verify(const struct token_key *k, const char *issuer,
    const char *token, size_t len, int64_t now, char *out, size_t outsz)
{
	jwt_t		*jwt = NULL;
	char		*copy = NULL;
	const char	*alg, *iss, *pid, *jti;
	int64_t		 exp, iat;
	enum api_err	 rc = ERR_TOKEN_INVALID;

	if (token == NULL || len == 0 || len > LIMIT_TOKEN_MAX ||
	    memchr(token, '\0', len) != NULL)
		return ERR_TOKEN_INVALID;
	if ((copy = strndup(token, len)) == NULL)
		return ERR_INTERNAL;
	/* A key is always passed: with none, libjwt verifies nothing. */
	if (k == NULL || k->len < LIMIT_SECRET_MIN ||
	    jwt_decode(&jwt, copy, k->key, (int)k->len) != 0)
		goto out;
	if (jwt_get_alg(jwt) != JWT_ALG_HS256 ||
	    (alg = jwt_get_header(jwt, "alg")) == NULL ||
	    strcmp(alg, "HS256") != 0)
		goto out;
	if (claim_int(jwt, "exp", &exp) == -1 || exp <= now)
		goto out;
	if (claim_int(jwt, "iat", &iat) == -1 || iat > now + IAT_LEEWAY ||
	    iat > exp)
		goto out;
	if ((iss = jwt_get_grant(jwt, "iss")) == NULL ||
	    strcmp(iss, issuer) != 0)
		goto out;
	if ((jti = jwt_get_grant(jwt, "jti")) == NULL || jti[0] == '\0')
		goto out;
	if ((pid = jwt_get_grant(jwt, "public_id")) == NULL ||
	    strlen(pid) != 36 || outsz < 37)
		goto out;
	memcpy(out, pid, 37);
	rc = ERR_NONE;
out:
	jwt_free(jwt);
	util_wipe(copy, len);
	free(copy);
	return rc;
}
