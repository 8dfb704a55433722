/*
 * baseline.h: what the three benchmark baselines (hello.c, minimal-get.c,
 * minimal-insert.c) share: the request loop (FastCGI through libfcgi, or
 * one plain CGI request), writing one response, and for the two minimal
 * responders the HS256 check of a library-api token with libjwt.
 *
 * These are yardsticks, not products: they do the least a correct
 * responder must do for the request, with the same libraries and the same
 * response headers as library-api, so that bench/run can report the
 * product's figures as ratios to them. A header of static functions, so
 * each baseline is one translation unit built with one cc command.
 */
#ifndef BENCH_BASELINE_H
#define BENCH_BASELINE_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

/* One request: its parameters and its output, FastCGI or CGI alike. */
struct bl_req {
	FCGX_Request	*fcgi;		/* NULL: plain CGI */
};

static inline const char *
bl_param(const struct bl_req *r, const char *name)
{
	if (r->fcgi != NULL)
		return FCGX_GetParam(name, r->fcgi->envp);
	return getenv(name);
}

/* Read the whole body (at most max bytes) into buf; its length or -1. */
static inline long
bl_body(const struct bl_req *r, char *buf, size_t max)
{
	const char	*cl = bl_param(r, "CONTENT_LENGTH");
	char		*end;
	long		 want, got = 0, n;

	if (cl == NULL || cl[0] == '\0')
		return 0;
	errno = 0;
	want = strtol(cl, &end, 10);
	if (errno != 0 || *end != '\0' || want < 0 || (size_t)want > max)
		return -1;
	while (got < want) {
		if (r->fcgi != NULL)
			n = FCGX_GetStr(buf + got, (int)(want - got),
			    r->fcgi->in);
		else
			n = (long)read(STDIN_FILENO, buf + got,
			    (size_t)(want - got));
		if (n <= 0)
			return -1;
		got += n;
	}
	return got;
}

static inline void
bl_write(const struct bl_req *r, const char *buf, size_t len)
{
	if (r->fcgi != NULL) {
		FCGX_PutStr(buf, (int)len, r->fcgi->out);
		return;
	}
	while (len > 0) {
		ssize_t	 w = write(STDOUT_FILENO, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/* The response: the same headers library-api sends, then the body. */
static inline void
bl_respond(const struct bl_req *r, const char *status, const char *body,
    size_t len)
{
	char	 head[256];
	int	 n;

	n = snprintf(head, sizeof(head),
	    "Status: %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %lu\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "\r\n", status, (unsigned long)len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return;
	bl_write(r, head, (size_t)n);
	bl_write(r, body, len);
}

#define BL_ERROR(r, status, code) do {					\
	static const char body_[] = "{\"error\":\"" code "\"}";		\
	bl_respond((r), (status), body_, sizeof(body_) - 1);		\
} while (0)

/* Serve handler until there are no more requests (FastCGI) or once (CGI). */
static inline int
bl_serve(void (*handler)(const struct bl_req *))
{
	FCGX_Request	 fr;
	struct bl_req	 r;

	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0)
		return 1;
	if (FCGX_IsCGI()) {
		r.fcgi = NULL;
		handler(&r);
		return 0;
	}
	if (FCGX_InitRequest(&fr, 0, 0) != 0)
		return 1;
	r.fcgi = &fr;
	while (FCGX_Accept_r(&fr) >= 0) {
		handler(&r);
		FCGX_Finish_r(&fr);
	}
	return 0;
}

#ifdef BL_WITH_TOKEN
#include <jwt.h>
#include <sqlite3.h>

/* The signing key of a library-api key file (see token.c). */
static unsigned char	 bl_key[4096];
static int		 bl_keylen;

/*
 * Load the key that signs: a raw key file (its bytes less one trailing
 * newline) or the last line of a "library-api-keys 1" set ("KID SECRET").
 */
static inline int
bl_key_load(const char *path)
{
	static const char hdr[] = "library-api-keys 1\n";
	char		 buf[16384];
	ssize_t		 n;
	size_t		 len;
	char		*p, *line, *sp;
	int		 fd;

	if (path == NULL || (fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	len = (size_t)n;
	buf[len] = '\0';
	if (len > sizeof(hdr) - 1 && memcmp(buf, hdr, sizeof(hdr) - 1) == 0) {
		line = NULL;
		for (p = buf + sizeof(hdr) - 1; *p != '\0';) {
			char	*nl = strchr(p, '\n');

			if (nl != NULL)
				*nl = '\0';
			if (*p != '\0')
				line = p;
			if (nl == NULL)
				break;
			p = nl + 1;
		}
		if (line == NULL || (sp = strchr(line, ' ')) == NULL)
			return -1;
		p = sp + 1;
		len = strlen(p);
	} else {
		p = buf;
		if (len > 0 && p[len - 1] == '\n')
			len--;
	}
	if (len < 32 || len > sizeof(bl_key))
		return -1;
	memcpy(bl_key, p, len);
	bl_keylen = (int)len;
	return 0;
}

/*
 * The least a token check is: one libjwt decode with the key, HS256
 * pinned, exp in the future, a 36-byte public_id. 0 with public_id
 * filled, else -1.
 */
static inline int
bl_token_user(const struct bl_req *r, char public_id[37])
{
	const char	*t = bl_param(r, "HTTP_X_ACCESS_TOKENS");
	const char	*a, *pid;
	jwt_t		*jwt = NULL;
	long		 exp;
	int		 rc = -1;

	if (t == NULL && (a = bl_param(r, "HTTP_AUTHORIZATION")) != NULL &&
	    strncmp(a, "Bearer ", 7) == 0)
		t = a + 7;
	if (t == NULL || strlen(t) > 4096)
		return -1;
	if (jwt_decode(&jwt, t, bl_key, bl_keylen) != 0)
		return -1;
	if (jwt_get_alg(jwt) != JWT_ALG_HS256)
		goto out;
	exp = jwt_get_grant_int(jwt, "exp");
	if (exp <= (long)time(NULL))
		goto out;
	if ((pid = jwt_get_grant(jwt, "public_id")) == NULL ||
	    strlen(pid) != 36)
		goto out;
	memcpy(public_id, pid, 37);
	rc = 0;
out:
	jwt_free(jwt);
	return rc;
}

/* Open the database as library-api does (WAL, busy timeout); NULL on error. */
static inline sqlite3 *
bl_db_open(const char *path, const char *synchronous)
{
	sqlite3	*db = NULL;
	char	 sql[128];

	if (path == NULL || sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		fprintf(stderr, "baseline: cannot open %s\n", path ? path : "");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	snprintf(sql, sizeof(sql), "PRAGMA foreign_keys = ON; "
	    "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s",
	    synchronous != NULL && synchronous[0] != '\0' ? synchronous :
	    "FULL");
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "baseline: %s\n", sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static inline sqlite3_stmt *
bl_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*s = NULL;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
	    NULL) != SQLITE_OK) {
		fprintf(stderr, "baseline: prepare: %s\n", sqlite3_errmsg(db));
		return NULL;
	}
	return s;
}

/* Settings from the environment, as library-api's responders take them. */
static inline int
bl_setup(void)
{
	if (bl_key_load(getenv("LIBRARY_SECRET_FILE")) == -1) {
		fprintf(stderr, "baseline: no usable key in LIBRARY_SECRET_FILE\n");
		return -1;
	}
	return 0;
}
#endif /* BL_WITH_TOKEN */

#endif
