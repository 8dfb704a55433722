/*
 * token.c: HS256 JSON Web Tokens (RFC 7519, RFC 7515) with libjwt 1.10.2
 * from a key set with key ids (see token.h). libjwt verifies with
 * whatever algorithm the token names and checks no claims
 * (shared/LIBRARIES.md), so this module pins the algorithm, caps the size
 * before libjwt copies the token onto its stack, and checks every claim
 * and its JSON type itself (RFC 8725 sections 3.1, 3.8-3.10).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jwt.h>
#include <json-c/json.h>

#include "limits.h"
#include "log.h"
#include "token.h"
#include "util.h"

#define KEYSET_HEADER	"library-api-keys 1"
#define KEYSET_MAX	16		/* keys in one set */
#define KEYSET_SECRET_MAX 512		/* bytes of a key in a set file */
/* A key file at most: a raw key, or the header and 16 full lines. */
#define KEYFILE_MAX	(sizeof(KEYSET_HEADER) + \
	KEYSET_MAX * (TOKEN_KID_MAX + KEYSET_SECRET_MAX + 2) + 64)

struct key {
	char		 kid[TOKEN_KID_MAX + 1];
	unsigned char	*secret;
	size_t		 len;
};

struct token_key {
	struct key	 keys[KEYSET_MAX];
	size_t		 n;		/* keys[n - 1] signs */
	int64_t		 leeway;
	char		*audience;
	/* The loaded file, to notice a change. */
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	struct timespec	 ctime;		/* chmod changes only this */
	int		 from_file;	/* refresh looks at the file */
	/* The last file that failed to load: not read or logged again
	 * until it changes. */
	int		 failed;
	dev_t		 fdev;
	ino_t		 fino;
	off_t		 fsize;
	struct timespec	 fmtime;
	struct timespec	 fctime;
};

static void
keyset_clear(struct token_key *k)
{
	size_t	 i;

	for (i = 0; i < k->n; i++) {
		util_wipe(k->keys[i].secret, k->keys[i].len);
		free(k->keys[i].secret);
	}
	k->n = 0;
}

void
token_key_free(struct token_key *k)
{
	if (k == NULL)
		return;
	keyset_clear(k);
	free(k->audience);
	free(k);
}

static int
keyset_add(struct token_key *k, const char *kid, size_t kidlen,
    const unsigned char *secret, size_t len)
{
	struct key	*e;

	if (k->n == KEYSET_MAX || kidlen == 0 || kidlen > TOKEN_KID_MAX)
		return -1;
	e = &k->keys[k->n];
	if ((e->secret = malloc(len)) == NULL)
		return -1;
	memcpy(e->secret, secret, len);
	e->len = len;
	memcpy(e->kid, kid, kidlen);
	e->kid[kidlen] = '\0';
	k->n++;
	return 0;
}

struct token_key *
token_key_new(const unsigned char *key, size_t len)
{
	struct token_key	*k;

	if (key == NULL || len < LIMIT_SECRET_MIN || len > LIMIT_SECRET_MAX)
		return NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if (keyset_add(k, "0", 1, key, len) == -1) {
		free(k);
		return NULL;
	}
	return k;
}

static int
kid_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static const struct key *
keyset_find(const struct token_key *k, const char *kid)
{
	size_t	 i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->keys[i].kid, kid) == 0)
			return &k->keys[i];
	return NULL;
}

struct token_key *
token_key_parse(const char *text, size_t len, const char **why)
{
	struct token_key	*k;
	size_t			 hl = strlen(KEYSET_HEADER), pos;

	*why = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	if (len >= 16 && memcmp(text, "library-api-keys", 16) == 0 &&
	    (len < hl + 1 || memcmp(text, KEYSET_HEADER "\n", hl + 1) != 0)) {
		*why = "the first line is not exactly \"" KEYSET_HEADER "\"";
		goto fail;
	}
	if (len < hl + 1 || memcmp(text, KEYSET_HEADER "\n", hl + 1) != 0) {
		/* One raw key: the bytes less one trailing newline. */
		size_t klen = len;

		if (klen > 0 && text[klen - 1] == '\n')
			klen--;
		if (klen < LIMIT_SECRET_MIN || klen > LIMIT_SECRET_MAX) {
			*why = "secret shorter than 32 bytes (or over 4096)";
			goto fail;
		}
		if (keyset_add(k, "0", 1, (const unsigned char *)text,
		    klen) == -1) {
			*why = "out of memory";
			goto fail;
		}
		return k;
	}
	for (pos = hl + 1; pos < len;) {
		const char	*line = text + pos, *sp, *nl;
		size_t		 ll, kl, sl, i;

		nl = memchr(line, '\n', len - pos);
		ll = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl != NULL);
		if (ll == 0)
			continue;
		if ((sp = memchr(line, ' ', ll)) == NULL) {
			*why = "a key line is not \"KID SECRET\"";
			goto fail;
		}
		kl = (size_t)(sp - line);
		sl = ll - kl - 1;
		for (i = 0; i < kl; i++)
			if (!kid_char(line[i]))
				break;
		if (kl == 0 || kl > TOKEN_KID_MAX || i != kl) {
			*why = "a key id is not 1-16 of A-Z a-z 0-9 . _ -";
			goto fail;
		}
		for (i = 0; i < sl; i++)
			if (sp[1 + i] <= ' ' || sp[1 + i] > '~')
				break;
		if (sl < LIMIT_SECRET_MIN || sl > KEYSET_SECRET_MAX || i != sl) {
			*why = "a key is not 32-512 printable bytes";
			goto fail;
		}
		{
			char kid[TOKEN_KID_MAX + 1];

			memcpy(kid, line, kl);
			kid[kl] = '\0';
			if (keyset_find(k, kid) != NULL) {
				*why = "a key id appears twice";
				goto fail;
			}
		}
		if (keyset_add(k, line, kl, (const unsigned char *)sp + 1,
		    sl) == -1) {
			*why = "more than 16 keys";
			goto fail;
		}
	}
	if (k->n == 0) {
		*why = "the key set is empty";
		goto fail;
	}
	return k;
fail:
	token_key_free(k);
	return NULL;
}

/* Read and parse path; NULL after logging. */
static struct token_key *
load_file(const char *path, struct stat *sb)
{
	struct token_key	*k = NULL;
	const char		*why = NULL;
	char			*buf = NULL;
	size_t			 len = 0;
	int			 fd;

	if (path == NULL || path[0] == '\0') {
		log_error(__func__, "no secret file configured");
		return NULL;
	}
	/* Check and read one and the same open file. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, sb) == -1) {
		log_error(__func__, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (sb->st_mode & S_IRWXO) {
		log_error(__func__, "%s: readable by others (mode %03o); "
		    "chmod o-rwx it", path, (unsigned)(sb->st_mode & 0777));
		close(fd);
		return NULL;
	}
	buf = util_read_fd(fd, KEYFILE_MAX, &len);
	close(fd);
	if (buf == NULL) {
		log_error(__func__, "%s: %s", path, errno == EFBIG ?
		    "too large" : strerror(errno));
		return NULL;
	}
	if ((k = token_key_parse(buf, len, &why)) == NULL)
		log_error(__func__, "%s: %s; create one with library-admin "
		    "init", path, why);
	util_wipe(buf, len);
	free(buf);
	return k;
}

static void
remember(struct token_key *k, const struct stat *sb)
{
	k->dev = sb->st_dev;
	k->ino = sb->st_ino;
	k->size = sb->st_size;
	k->mtime = sb->st_mtim;
	k->ctime = sb->st_ctim;
	k->from_file = 1;
}

struct token_key *
token_key_load(const char *path)
{
	struct token_key	*k;
	struct stat		 sb;

	if ((k = load_file(path, &sb)) != NULL)
		remember(k, &sb);
	return k;
}

int
token_key_refresh(struct token_key **kp, const char *path)
{
	struct token_key	*k = *kp, *nk;
	struct stat		 sb;

	if (k == NULL)
		return -1;
	if (!k->from_file)
		return 0;
	memset(&sb, 0, sizeof(sb));
	if (stat(path, &sb) == 0) {
		if (sb.st_dev == k->dev && sb.st_ino == k->ino &&
		    sb.st_size == k->size &&
		    sb.st_mtim.tv_sec == k->mtime.tv_sec &&
		    sb.st_mtim.tv_nsec == k->mtime.tv_nsec &&
		    sb.st_ctim.tv_sec == k->ctime.tv_sec &&
		    sb.st_ctim.tv_nsec == k->ctime.tv_nsec)
			return 0;
		if (k->failed && sb.st_dev == k->fdev && sb.st_ino == k->fino &&
		    sb.st_size == k->fsize &&
		    sb.st_mtim.tv_sec == k->fmtime.tv_sec &&
		    sb.st_mtim.tv_nsec == k->fmtime.tv_nsec &&
		    sb.st_ctim.tv_sec == k->fctime.tv_sec &&
		    sb.st_ctim.tv_nsec == k->fctime.tv_nsec)
			return 0;	/* the same broken file: said already */
	} else if (k->failed)
		return 0;
	if ((nk = load_file(path, &sb)) == NULL) {
		log_error(__func__, "%s changed but cannot be loaded: "
		    "keeping the keys loaded before", path);
		k->failed = 1;
		k->fdev = sb.st_dev;
		k->fino = sb.st_ino;
		k->fsize = sb.st_size;
		k->fmtime = sb.st_mtim;
		k->fctime = sb.st_ctim;
		return 0;
	}
	remember(nk, &sb);
	if (token_key_set_policy(nk, k->leeway, k->audience) == -1) {
		token_key_free(nk);
		return 0;
	}
	log_info("%s: key set reloaded (%zu keys)", path, nk->n);
	token_key_free(k);
	*kp = nk;
	return 0;
}

int
token_key_set_policy(struct token_key *k, int64_t leeway,
    const char *audience)
{
	char	*a = NULL;

	if (audience != NULL && (a = strdup(audience)) == NULL)
		return -1;
	free(k->audience);
	k->audience = a;
	k->leeway = leeway;
	return 0;
}

size_t
token_key_count(const struct token_key *k)
{
	return k->n;
}

const char *
token_key_id(const struct token_key *k, size_t i)
{
	return i < k->n ? k->keys[i].kid : NULL;
}

int
token_key_rotate(struct token_key *k)
{
	unsigned char	 rnd[32];
	char		 hex[2 * sizeof(rnd)], kid[TOKEN_KID_MAX + 1];
	int64_t		 next = 0, v;
	size_t		 i;
	int		 rc;

	for (i = 0; i < k->n; i++)
		if (util_parse_int64(k->keys[i].kid, strlen(k->keys[i].kid), 0,
		    INT32_MAX, &v) == 0 && v >= next)
			next = v + 1;
	if (k->n == KEYSET_MAX) {
		fprintf(stderr, "token: already %d keys: retire one first\n",
		    KEYSET_MAX);
		return -1;
	}
	if (util_random(rnd, sizeof(rnd)) == -1) {
		fprintf(stderr, "token: random: %s\n", strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(rnd); i++) {
		hex[2 * i] = "0123456789abcdef"[rnd[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[rnd[i] & 15];
	}
	snprintf(kid, sizeof(kid), "%lld", (long long)next);
	rc = keyset_add(k, kid, strlen(kid), (unsigned char *)hex,
	    sizeof(hex));
	util_wipe(rnd, sizeof(rnd));
	util_wipe(hex, sizeof(hex));
	return rc;
}

int
token_key_retire(struct token_key *k, const char *kid)
{
	size_t	 i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->keys[i].kid, kid) == 0)
			break;
	if (i == k->n) {
		fprintf(stderr, "token: no key %s\n", kid);
		return -1;
	}
	if (k->n == 1) {
		fprintf(stderr, "token: %s is the only key: rotate first\n",
		    kid);
		return -1;
	}
	util_wipe(k->keys[i].secret, k->keys[i].len);
	free(k->keys[i].secret);
	memmove(&k->keys[i], &k->keys[i + 1],
	    (k->n - i - 1) * sizeof(k->keys[0]));
	k->n--;
	return 0;
}

int
token_key_save(const struct token_key *k, const char *path)
{
	char		 tmp[4096];
	struct stat	 old;
	FILE		*f = NULL;
	size_t	 i, j;
	int	 fd, rc = -1;

	for (i = 0; i < k->n; i++) {
		if (k->keys[i].len > KEYSET_SECRET_MAX) {
			fprintf(stderr, "token: key %s is longer than %d bytes "
			    "and cannot go into a key set file\n",
			    k->keys[i].kid, KEYSET_SECRET_MAX);
			return -1;
		}
		for (j = 0; j < k->keys[i].len; j++)
			if (k->keys[i].secret[j] <= ' ' ||
			    k->keys[i].secret[j] > '~') {
				fprintf(stderr, "token: key %s is not "
				    "printable and cannot go into a key set "
				    "file\n", k->keys[i].kid);
				return -1;
			}
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
		return -1;
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "token: %s: %s\n", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	/*
	 * The new file keeps the old one's owner, group and group bits
	 * (never others'): root rotating the key of responders that run as
	 * another user must not leave them a file they cannot read.
	 */
	if (stat(path, &old) == 0) {
		if (geteuid() == 0 && fchown(fd, old.st_uid, old.st_gid) == -1)
			fprintf(stderr, "token: %s: chown: %s\n", tmp,
			    strerror(errno));
		fchmod(fd, (old.st_mode & 0640) | 0600);
	}
	fprintf(f, "%s\n", KEYSET_HEADER);
	for (i = 0; i < k->n; i++)
		fprintf(f, "%s %.*s\n", k->keys[i].kid, (int)k->keys[i].len,
		    (const char *)k->keys[i].secret);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		fprintf(stderr, "token: %s: %s\n", tmp, strerror(errno));
	else if (rename(tmp, path) != 0)
		fprintf(stderr, "token: %s: %s\n", path, strerror(errno));
	else
		rc = 0;
	fclose(f);
	if (rc == -1)
		unlink(tmp);
	return rc;
}

char *
token_issue(const struct token_key *k, const char *issuer,
    const char *public_id, int64_t iat, int64_t lifetime)
{
	const struct key *key;
	jwt_t		*jwt = NULL;
	char		 jti[37];
	char		*out = NULL;

	if (k == NULL || k->n == 0)
		goto out;
	key = &k->keys[k->n - 1];
	if (util_uuid4(jti) == -1 || jwt_new(&jwt) != 0)
		goto out;
	if (jwt_add_header(jwt, "kid", key->kid) != 0 ||
	    jwt_add_grant(jwt, "public_id", public_id) != 0 ||
	    jwt_add_grant(jwt, "iss", issuer) != 0 ||
	    (k->audience != NULL &&
	    jwt_add_grant(jwt, "aud", k->audience) != 0) ||
	    jwt_add_grant(jwt, "jti", jti) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)iat) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)(iat + lifetime)) != 0)
		goto out;
	if (jwt_set_alg(jwt, JWT_ALG_HS256, key->secret, (int)key->len) != 0)
		goto out;
	out = jwt_encode_str(jwt);
out:
	if (out == NULL)
		log_error(__func__, "could not sign a token");
	jwt_free(jwt);
	return out;
}

/*
 * An integer claim, by its JSON type: 0 with *out set, 1 when absent, -1
 * when present but not an integer. libjwt 1.10 reads anything but an
 * integer as 0: a value other than 0 is an integer, absence is ENOENT,
 * and only a 0 needs the claim's JSON to tell 0 from "0", 0.5 or true.
 * (A dump and a parse for every claim cost a twentieth of a GET /authors,
 * bench/run --callgrind.)
 */
static int
claim_int(jwt_t *jwt, const char *name, int64_t *out)
{
	char		*txt;
	json_object	*o;
	long		 v;
	int		 rc = -1;

	errno = 0;
	v = jwt_get_grant_int(jwt, name);
	if (errno == ENOENT)
		return 1;
	/* A long narrower than jansson's integers could cut the value. */
	if (errno == 0 && v != 0 && sizeof(long) >= sizeof(int64_t)) {
		*out = (int64_t)v;
		return 0;
	}
	if ((txt = jwt_get_grants_json(jwt, name)) == NULL)
		return 1;
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

/* Whether the payload has the claim, in any JSON form (null included). */
static int
claim_present(jwt_t *jwt, const char *name)
{
	errno = 0;
	(void)jwt_get_grant_int(jwt, name);
	return errno != ENOENT;
}

/* Copy a string claim of exactly len bytes (a UUID's 36) into out. */
static int
claim_uuid(jwt_t *jwt, const char *name, char out[37])
{
	const char	*v = jwt_get_grant(jwt, name);

	if (v == NULL || strlen(v) != 36)
		return -1;
	memcpy(out, v, 37);
	return 0;
}

int
token_shape_ok(const char *t, size_t len)
{
	const char	*d1, *d2;

	/*
	 * Three non-empty segments: libjwt 1.10.2 as Debian builds it (with
	 * libb64) writes a byte past a malloc(0) when it decodes an empty
	 * header or payload segment, e.g. "..x" (found by memcheck).
	 */
	if ((d1 = memchr(t, '.', len)) == NULL || d1 == t)
		return 0;
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - t));
	if (d2 == NULL || d2 == d1 + 1 || d2 + 1 == t + len)
		return 0;
	return memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - t)) == NULL;
}

enum api_err
token_verify_claims(const struct token_key *k, const char *issuer,
    const char *token, size_t len, int64_t now, struct token_claims *c)
{
	jwt_t		*peek = NULL, *jwt = NULL;
	char		*copy = NULL, *crit;
	const char	*alg, *kid, *iss, *aud;
	const struct key *key;
	int64_t		 nbf, lw;
	enum api_err	 rc = ERR_TOKEN_INVALID;
	int		 jr = 0;

	memset(c, 0, sizeof(*c));
	if (k == NULL || k->n == 0 || token == NULL || len == 0 ||
	    len > LIMIT_TOKEN_MAX || memchr(token, '\0', len) != NULL ||
	    !token_shape_ok(token, len))
		return ERR_TOKEN_INVALID;
	lw = k->leeway;
	if ((copy = strndup(token, len)) == NULL)
		return ERR_INTERNAL;
	errno = 0;	/* ENOMEM at the end: out of memory, not a bad token */
	/*
	 * The key first. One key (a raw key file, or a set between
	 * rotations): that one, no peek. Several: by the header's kid,
	 * from libjwt's parse without a key. Nothing from the peek is
	 * trusted but the choice of key: below, the token as libjwt
	 * verified it with that key must name the same kid.
	 */
	if (k->n == 1)
		key = &k->keys[0];
	else if ((jr = jwt_decode(&peek, copy, NULL, 0)) != 0 ||
	    (kid = jwt_get_header(peek, "kid")) == NULL ||
	    (key = keyset_find(k, kid)) == NULL)
		goto out;
	if ((jr = jwt_decode(&jwt, copy, key->secret, (int)key->len)) != 0)
		goto out;
	/* RFC 7515 section 4.1.11: we understand no "crit" extension.
	 * NULL is "absent" only when libjwt did not run out of memory
	 * copying it out. */
	errno = 0;
	if ((crit = jwt_get_headers_json(jwt, "crit")) != NULL ||
	    errno == ENOMEM) {
		free(crit);
		goto out;
	}
	if (jwt_get_alg(jwt) != JWT_ALG_HS256 ||
	    (alg = jwt_get_header(jwt, "alg")) == NULL ||
	    strcmp(alg, "HS256") != 0 ||
	    (kid = jwt_get_header(jwt, "kid")) == NULL ||
	    strcmp(kid, key->kid) != 0)
		goto out;
	/* exp <= now - lw, not now >= exp + lw: exp is the sender's and
	 * may be INT64_MAX (found by fuzz_token). */
	if (claim_int(jwt, "exp", &c->exp) != 0 || c->exp <= now - lw)
		goto out;
	/* One second more for iat: login may date a token to the second
	 * after a password change (users.c). */
	if (claim_int(jwt, "iat", &c->iat) != 0 || c->iat > now + lw + 1 ||
	    c->iat > c->exp)
		goto out;
	switch (claim_int(jwt, "nbf", &nbf)) {
	case 0:
		if (nbf > now + lw)
			goto out;
		break;
	case 1:
		break;
	default:
		goto out;
	}
	if ((iss = jwt_get_grant(jwt, "iss")) == NULL ||
	    strcmp(iss, issuer) != 0)
		goto out;
	/* aud in any JSON form counts as present (an array is the general
	 * form, RFC 7519 section 4.1.3); ours is one string. */
	if (claim_present(jwt, "aud")) {
		if (k->audience == NULL ||
		    (aud = jwt_get_grant(jwt, "aud")) == NULL ||
		    strcmp(aud, k->audience) != 0)
			goto out;
	} else if (k->audience != NULL)
		goto out;
	if (claim_uuid(jwt, "jti", c->jti) == -1 ||
	    claim_uuid(jwt, "public_id", c->public_id) == -1)
		goto out;
	memcpy(c->kid, key->kid, sizeof(c->kid));
	rc = ERR_NONE;
out:
	if (rc != ERR_NONE)
		memset(c, 0, sizeof(*c));
	/* libjwt answers a failed allocation like a bad token; it left
	 * errno at ENOMEM: that is a 500, not a 401. */
	if (rc != ERR_NONE && (errno == ENOMEM || jr == ENOMEM))
		rc = ERR_INTERNAL;
	jwt_free(peek);
	jwt_free(jwt);
	util_wipe(copy, len);
	free(copy);
	return rc;
}

enum api_err
token_verify(const struct token_key *k, const char *issuer,
    const char *token, size_t len, int64_t now, char *out, size_t outsz)
{
	struct token_claims	 c;
	enum api_err		 e;

	if (outsz < sizeof(c.public_id))
		return ERR_TOKEN_INVALID;
	if ((e = token_verify_claims(k, issuer, token, len, now, &c)) ==
	    ERR_NONE)
		memcpy(out, c.public_id, sizeof(c.public_id));
	return e;
}
