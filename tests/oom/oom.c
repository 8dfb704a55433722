/*
 * oom.c: allocation-failure injection for one responder (issue 4: an
 * out-of-memory run of every request kind for every N ends in a clean
 * error, no crash and no leak).
 *
 * Compiled once per responder with -DRESPONDER='"cgi-bin/NAME.c"' and
 * -DRESPONDER_NAME='"NAME"' (tests/oom/local.mk): the responder's source
 * is included with its main renamed, and its static route table is driven
 * through app_handle() the way app_main() drives it, without a server.
 *
 * This program defines malloc, calloc, realloc, free and the aligned
 * allocators, forwarding to glibc's __libc_* entry points, so they serve
 * every allocation of the process: ours, json-c, sqlite3, libjwt and
 * jansson, OpenSSL's libcrypto, libxcrypt, and glibc's own (strdup, stdio).
 * For each request kind of the responder and each N = 1, 2, ... a forked
 * child sets up a struct app as app_main() does (configuration from the
 * environment, the key file, the store on a fresh copy of a prepared
 * database), arms a counter and runs request_from + app_handle +
 * response_render: allocation number N returns NULL with errno ENOMEM
 * ("once"), or every allocation from N on does ("from"). The loop ends
 * at the first N the run no longer reaches. Every run must
 *   - end normally: a signal (the child logs a backtrace) or a hang
 *     (SIGALRM after OOM_TIMEOUT seconds) is a crash;
 *   - render its response, or fail to render only after an injected
 *     failure (app_main then writes its static 500 instead);
 *   - answer JSON with response_render's headers and, for 4xx and 5xx,
 *     the error body {"error": string, "message": string};
 *   - answer the kind's normal status, or 500 or 503 when an allocation
 *     failed: a client error (400, 401, 415...) for the server's own
 *     failure, or a success the normal run refuses, is wrong;
 *   - leave nothing allocated since arming once the response, the request
 *     and the app are freed (store_close, token_key_free, config_free):
 *     each block still live is a leak, printed with its size, its
 *     allocation number and, from a second run, its allocation backtrace.
 * Process-global caches that are never freed by design (password.c's
 * libxcrypt work area, OpenSSL's algorithm caches, glibc's stdio and
 * locale data) are created before anything is armed: the parent runs
 * every request kind once before it forks (the warm-up), so the children
 * inherit them. OpenSSL's per-thread error queue (bounded, its buffers
 * reused) is released at teardown with OPENSSL_thread_stop(), as thread
 * exit would; no other block is exempt from the leak check.
 *
 * libjwt 1.10.2 (Debian 12) does not survive every failed allocation:
 * jwt_encode_str() crashes when jansson's json_dumps() returns NULL, a
 * failure inside jwt_decode() comes back as a bad token (401), and
 * OpenSSL's HMAC() called by it leaks when a fetch fails halfway. A run
 * whose first failed allocation was made inside libjwt (or what it
 * calls) is therefore counted apart: each kind has a second TAP line,
 * "not ok ... # TODO" when such runs had a problem (automake counts it
 * as an expected failure). OOM_STRICT=1 counts them as problems of the
 * first line instead. Every other failed allocation must end cleanly.
 *
 * Output: TAP, two tests per request kind, with the number of runs of
 * each mode and the statuses seen; each problem is printed once per
 * class with the log of the run and the stack of its first failed
 * allocation ("first failed allocation in LIB < LIB < +0xOFFSET": the
 * offset is in this program, for addr2line). By default the "from" mode
 * runs at every OOM_FROM_STEP-th N only (a bounded make check);
 * OOM_FULL=1 runs both modes at every N. Under AddressSanitizer, which
 * owns malloc, it prints a SKIP. It writes only under a mkdtemp folder
 * in $TMPDIR (default /tmp), removed at the end.
 *
 * Usage: oom_NAME [-v] [-k KIND] [-n N [-f]]
 *   -k KIND  only the kinds whose name contains KIND
 *   -n N     one run per selected kind, allocation N failing (-f: every
 *            allocation from N on), in this process and with its log on
 *            stderr, with a backtrace of the first failed allocation:
 *            for gdb or valgrind
 *   -v       one diagnostic line per run
 */
#define _GNU_SOURCE	/* dladdr */
#include "config.h"

#if defined(__SANITIZE_ADDRESS__)
#define OOM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || \
    __has_feature(thread_sanitizer)
#define OOM_ASAN 1
#endif
#endif

#include <stdio.h>

#if defined(OOM_ASAN) || !defined(__GLIBC__)

int
main(void)
{
#ifdef OOM_ASAN
	puts("1..0 # SKIP not with ASan (it owns malloc)");
#else
	puts("1..0 # SKIP needs glibc's __libc_malloc");
#endif
	return 0;
}

#else

#include <sys/stat.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <jwt.h>

#include "app.h"
#include "log.h"
#include "password.h"
#include "request.h"
#include "response.h"
#include "store.h"
#include "token.h"
#include "util.h"

/* The responder, its main renamed: we only want its routes[]. */
int responder_main(void);
#define main responder_main
#include RESPONDER
#undef main

#define OOM_NROUTES	(sizeof(routes) / sizeof(routes[0]))
#define OOM_MAX_N	200000UL	/* a kind needing more is a bug */
#define OOM_TIMEOUT	20		/* seconds for one run */
#define OOM_DETAILS	3		/* problems printed in full per kind */
#define OOM_LEAKS	8		/* leaked blocks remembered per run */
#define OOM_SHAPE_MAX	1024		/* bytes of an answer's shape */
#define OOM_FROM_STEP	4		/* without OOM_FULL=1: "from" runs
					 * at every OOM_FROM_STEP-th N */

/* ---------------------------------------------------------------------
 * The allocator: glibc's, with a failure counter and a table of the
 * blocks allocated since arming.
 */
extern void	*__libc_malloc(size_t);
extern void	*__libc_calloc(size_t, size_t);
extern void	*__libc_realloc(void *, size_t);
extern void	 __libc_free(void *);
extern void	*__libc_memalign(size_t, size_t);
extern void	*__libc_valloc(size_t);
extern void	*__libc_pvalloc(size_t);

enum oom_mode {
	OOM_ONCE,		/* allocation N fails */
	OOM_FROM,		/* every allocation from N on fails */
	OOM__MAX
};
static const char *const oom_mode_name[] = {
	[OOM_ONCE] = "once",
	[OOM_FROM] = "from",
};
_Static_assert(sizeof(oom_mode_name) / sizeof(oom_mode_name[0]) == OOM__MAX,
    "one name per mode");

static struct {
	int		 armed;		/* counting (and maybe failing) */
	int		 tracking;	/* recording live blocks */
	enum oom_mode	 mode;
	unsigned long	 fail_at;	/* N; 0: never fail */
	unsigned long	 count;		/* allocations since arming */
	unsigned long	 failed;	/* of which returned NULL */
	const unsigned long *trace;	/* allocation numbers to backtrace */
	size_t		 ntrace;
	int		 in_trace;
	int		 trace_fail;	/* -n: backtrace the first failure */
	void		*fail_bt[24];	/* the stack of the first failure */
	int		 fail_nbt;
} oom_h;

/*
 * Live blocks: open addressing, linear probing, deletion by backward
 * shift. Static storage: it allocates nothing itself.
 */
#define OOM_TAB_BITS	16
#define OOM_TAB_SIZE	(1UL << OOM_TAB_BITS)
struct oom_slot {
	uintptr_t	 p;		/* 0: empty */
	size_t		 size;
	unsigned long	 seq;		/* its allocation number */
};
static struct oom_slot	 oom_tab[OOM_TAB_SIZE];
static size_t		 oom_live;
static int		 oom_tab_full;

static size_t
oom_hash(uintptr_t p)
{
	return (size_t)(((uint64_t)(p >> 4) * 0x9e3779b97f4a7c15ULL) >>
	    (64 - OOM_TAB_BITS));
}

static void
oom_track_add(void *p, size_t size, unsigned long seq)
{
	size_t	 i;

	if (!oom_h.tracking || p == NULL)
		return;
	if (oom_live >= OOM_TAB_SIZE / 4 * 3) {
		oom_tab_full = 1;
		return;
	}
	for (i = oom_hash((uintptr_t)p); oom_tab[i].p != 0;
	    i = (i + 1) & (OOM_TAB_SIZE - 1))
		if (oom_tab[i].p == (uintptr_t)p)
			break;
	if (oom_tab[i].p == 0)
		oom_live++;
	oom_tab[i].p = (uintptr_t)p;
	oom_tab[i].size = size;
	oom_tab[i].seq = seq;
}

static void
oom_track_del(void *p)
{
	size_t	 i, j, h;

	if (!oom_h.tracking || p == NULL)
		return;
	for (i = oom_hash((uintptr_t)p); oom_tab[i].p != (uintptr_t)p;
	    i = (i + 1) & (OOM_TAB_SIZE - 1))
		if (oom_tab[i].p == 0)
			return;		/* allocated before tracking */
	oom_live--;
	/* Backward shift: move later members of the run into the hole. */
	for (j = i;;) {
		oom_tab[i].p = 0;
		for (;;) {
			j = (j + 1) & (OOM_TAB_SIZE - 1);
			if (oom_tab[j].p == 0)
				return;
			h = oom_hash(oom_tab[j].p);
			/* Stays if its home lies cyclically in (i, j]. */
			if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
				continue;
			break;
		}
		oom_tab[i] = oom_tab[j];
		i = j;
	}
}

/* Empty the table; it is usually empty already (a fork of a clean parent),
 * and touching all of it in every child would cost more than a run. */
static void
oom_track_reset(void)
{
	if (oom_live > 0 || oom_tab_full)
		memset(oom_tab, 0, sizeof(oom_tab));
	oom_live = 0;
	oom_tab_full = 0;
}

/* Count one allocation; 1 when it must fail. Sets *seq to its number. */
static int
oom_should_fail(unsigned long *seq)
{
	size_t	 i;

	*seq = 0;
	if (!oom_h.armed)
		return 0;
	*seq = ++oom_h.count;
	if (oom_h.ntrace > 0 && !oom_h.in_trace)
		for (i = 0; i < oom_h.ntrace; i++)
			if (oom_h.trace[i] == *seq) {
				void	*bt[32];
				int	 n;
				char	 line[64];

				oom_h.in_trace = 1;
				n = backtrace(bt, 32);
				snprintf(line, sizeof(line),
				    "oom: allocation %lu from:\n", *seq);
				if (write(STDERR_FILENO, line, strlen(line)) < 0)
					break;
				backtrace_symbols_fd(bt, n, STDERR_FILENO);
				oom_h.in_trace = 0;
			}
	if (oom_h.fail_at != 0 && (*seq == oom_h.fail_at ||
	    (oom_h.mode == OOM_FROM && *seq > oom_h.fail_at))) {
		if (oom_h.failed == 0 && !oom_h.in_trace) {
			oom_h.in_trace = 1;
			oom_h.fail_nbt = backtrace(oom_h.fail_bt, 24);
			oom_h.in_trace = 0;
		}
		if (oom_h.failed++ == 0 && oom_h.trace_fail &&
		    !oom_h.in_trace) {
			void	*bt[32];
			int	 n;

			oom_h.in_trace = 1;
			n = backtrace(bt, 32);
			if (write(STDERR_FILENO, "oom: failed allocation "
			    "from:\n", 28) == 28)
				backtrace_symbols_fd(bt, n, STDERR_FILENO);
			oom_h.in_trace = 0;
		}
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *
malloc(size_t size)
{
	unsigned long	 seq;
	void		*p;

	if (oom_should_fail(&seq))
		return NULL;
	p = __libc_malloc(size);
	oom_track_add(p, size, seq);
	return p;
}

void *
calloc(size_t n, size_t size)
{
	unsigned long	 seq;
	void		*p;

	if (oom_should_fail(&seq))
		return NULL;
	p = __libc_calloc(n, size);
	oom_track_add(p, n * size, seq);
	return p;
}

void *
realloc(void *old, size_t size)
{
	unsigned long	 seq;
	void		*p;

	if (old != NULL && size == 0) {
		/* glibc: frees old, returns NULL; no allocation. */
		oom_track_del(old);
		return __libc_realloc(old, 0);
	}
	if (oom_should_fail(&seq))
		return NULL;		/* old stays valid */
	if ((p = __libc_realloc(old, size)) != NULL) {
		oom_track_del(old);
		oom_track_add(p, size, seq);
	}
	return p;
}

void
free(void *p)
{
	oom_track_del(p);
	__libc_free(p);
}

void *
memalign(size_t align, size_t size)
{
	unsigned long	 seq;
	void		*p;

	if (oom_should_fail(&seq))
		return NULL;
	p = __libc_memalign(align, size);
	oom_track_add(p, size, seq);
	return p;
}

void *
aligned_alloc(size_t align, size_t size)
{
	return memalign(align, size);
}

int
posix_memalign(void **out, size_t align, size_t size)
{
	void	*p;
	int	 saved = errno;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	if ((p = memalign(align, size)) == NULL) {
		errno = saved;
		return ENOMEM;
	}
	*out = p;
	return 0;
}

void *
valloc(size_t size)
{
	unsigned long	 seq;
	void		*p;

	if (oom_should_fail(&seq))
		return NULL;
	p = __libc_valloc(size);
	oom_track_add(p, size, seq);
	return p;
}

void *
pvalloc(size_t size)
{
	unsigned long	 seq;
	void		*p;

	if (oom_should_fail(&seq))
		return NULL;
	p = __libc_pvalloc(size);
	oom_track_add(p, size, seq);
	return p;
}

static void
oom_arm(unsigned long n, enum oom_mode mode, const unsigned long *trace,
    size_t ntrace)
{
	oom_track_reset();
	oom_h.mode = mode;
	oom_h.fail_at = n;
	oom_h.count = 0;
	oom_h.failed = 0;
	oom_h.fail_nbt = 0;
	oom_h.trace = trace;
	oom_h.ntrace = ntrace;
	oom_h.tracking = 1;
	oom_h.armed = 1;
}

/* Stop counting and failing; live blocks stay tracked until the end. */
static void
oom_disarm(void)
{
	oom_h.armed = 0;
}

/* ---------------------------------------------------------------------
 * The request kinds: one row each, run against the same prepared
 * database (user "reader" with authors 1-3, user "boss" an admin).
 */
enum oom_auth {
	AUTH_NONE,
	AUTH_READER,		/* Authorization: Bearer <reader's token> */
	AUTH_READER_XAT,	/* x-access-tokens: <reader's token> */
	AUTH_ADMIN,		/* Bearer <boss's token> */
	AUTH_FORGED,		/* reader's token, signature altered */
	AUTH_AUD,		/* reader's claims plus "aud", signed */
	AUTH_CRIT,		/* reader's claims, "crit" header, signed */
	AUTH__MAX
};

#define BASIC_OK	"Basic cmVhZGVyOmNvcnJlY3QgaG9yc2UgYmF0dGVyeSBzdGFwbGU="
#define BASIC_WRONG	"Basic cmVhZGVyOndyb25nIHBhc3N3b3JkIGhlcmU="
#define READER_PW	"correct horse battery staple"
#define JSON_CT		"application/json"
#define AUTHOR_BODY	"{\"name\":\"Hilary Mantel\",\"book\":\"Wolf Hall\"," \
	"\"country\":\"United Kingdom\",\"booker_prize\":true}"

struct oom_kind {
	const char	*responder;
	const char	*name;		/* for -k and the TAP line */
	const char	*method;
	const char	*path;		/* SCRIPT_NAME, as nginx sends it */
	const char	*query;
	enum oom_auth	 auth;
	const char	*authorization;	/* a literal header, else by auth */
	const char	*ctype;
	const char	*body;
	int		 status;	/* the answer without failures */
};

static const struct oom_kind oom_kinds[] = {
	/* register */
	{ "register", "register", "POST", "/register", "", AUTH_NONE, NULL,
	    JSON_CT, "{\"name\":\"newcomer\",\"password\":\"" READER_PW "\"}",
	    201 },
	{ "register", "register-taken", "POST", "/register", "", AUTH_NONE,
	    NULL, JSON_CT,
	    "{\"name\":\"reader\",\"password\":\"" READER_PW "\"}", 409 },
	{ "register", "register-colon", "POST", "/register", "", AUTH_NONE,
	    NULL, JSON_CT, "{\"name\":\"a:b\",\"password\":\"" READER_PW "\"}",
	    400 },
	{ "register", "register-bad-json", "POST", "/register", "", AUTH_NONE,
	    NULL, JSON_CT, "{\"name\":\"x\",", 400 },
	{ "register", "register-unknown-key", "POST", "/register", "",
	    AUTH_NONE, NULL, JSON_CT, "{\"name\":\"x\",\"password\":\""
	    READER_PW "\",\"admin\":true}", 400 },
	{ "register", "register-media-type", "POST", "/register", "",
	    AUTH_NONE, NULL, "text/plain", "name=x", 415 },
	{ "register", "register-method", "GET", "/register", "", AUTH_NONE,
	    NULL, NULL, NULL, 405 },
	{ "register", "register-no-path", "GET", "/nowhere", "", AUTH_NONE,
	    NULL, NULL, NULL, 404 },
	/* login */
	{ "login", "login-get", "GET", "/login", "", AUTH_NONE, BASIC_OK,
	    NULL, NULL, 200 },
	{ "login", "login-post", "POST", "/login", "", AUTH_NONE, BASIC_OK,
	    NULL, NULL, 200 },
	{ "login", "login-wrong-password", "GET", "/login", "", AUTH_NONE,
	    BASIC_WRONG, NULL, NULL, 401 },
	{ "login", "login-no-credentials", "GET", "/login", "", AUTH_NONE,
	    NULL, NULL, NULL, 401 },
	{ "login", "logout", "POST", "/logout", "", AUTH_READER, NULL, NULL,
	    NULL, 200 },
	{ "login", "logout-no-token", "POST", "/logout", "", AUTH_NONE, NULL,
	    NULL, NULL, 401 },
	{ "login", "logout-forged", "POST", "/logout", "", AUTH_FORGED, NULL,
	    NULL, NULL, 401 },
	/* users */
	{ "users", "users-list", "GET", "/users", "", AUTH_ADMIN, NULL, NULL,
	    NULL, 200 },
	{ "users", "users-not-admin", "GET", "/users", "", AUTH_READER, NULL,
	    NULL, NULL, 403 },
	{ "users", "password-change", "PUT", "/users/me/password", "",
	    AUTH_READER, NULL, JSON_CT, "{\"old_password\":\"" READER_PW
	    "\",\"new_password\":\"another long password\"}", 200 },
	{ "users", "password-wrong-old", "PUT", "/users/me/password", "",
	    AUTH_READER, NULL, JSON_CT, "{\"old_password\":\"not it at all\","
	    "\"new_password\":\"another long password\"}", 403 },
	{ "users", "password-bad-body", "PUT", "/users/me/password", "",
	    AUTH_READER, NULL, JSON_CT, "{\"old_password\":1}", 400 },
	/* authors */
	{ "authors", "create", "POST", "/authors", "", AUTH_READER, NULL,
	    JSON_CT, AUTHOR_BODY, 201 },
	{ "authors", "create-x-access-tokens", "POST", "/author", "",
	    AUTH_READER_XAT, NULL, JSON_CT, AUTHOR_BODY, 201 },
	{ "authors", "create-conflict", "POST", "/authors", "", AUTH_READER,
	    NULL, JSON_CT, "{\"name\":\"Author 1\",\"book\":\"Another\","
	    "\"country\":\"X\"}", 409 },
	{ "authors", "create-bad-json", "POST", "/authors", "", AUTH_READER,
	    NULL, JSON_CT, "{\"name\":\"a\",\"book\":[}", 400 },
	{ "authors", "create-invalid-field", "POST", "/authors", "",
	    AUTH_READER, NULL, JSON_CT, "{\"name\":\"\",\"book\":\"b\","
	    "\"country\":\"c\"}", 400 },
	{ "authors", "create-media-type", "POST", "/authors", "", AUTH_READER,
	    NULL, "text/plain", AUTHOR_BODY, 415 },
	{ "authors", "list", "GET", "/authors", "limit=10&offset=0",
	    AUTH_READER, NULL, NULL, NULL, 200 },
	{ "authors", "list-bad-query", "GET", "/authors", "limit=0",
	    AUTH_READER, NULL, NULL, NULL, 400 },
	{ "authors", "list-no-token", "GET", "/authors", "", AUTH_NONE, NULL,
	    NULL, NULL, 401 },
	{ "authors", "list-forged", "GET", "/authors", "", AUTH_FORGED, NULL,
	    NULL, NULL, 401 },
	{ "authors", "list-aud", "GET", "/authors", "", AUTH_AUD, NULL, NULL,
	    NULL, 401 },
	{ "authors", "list-crit", "GET", "/authors", "", AUTH_CRIT, NULL,
	    NULL, NULL, 401 },
	{ "authors", "read", "GET", "/authors/1", "", AUTH_READER, NULL, NULL,
	    NULL, 200 },
	{ "authors", "read-missing", "GET", "/authors/999", "", AUTH_READER,
	    NULL, NULL, NULL, 404 },
	{ "authors", "replace", "PUT", "/authors/2", "", AUTH_READER, NULL,
	    JSON_CT, AUTHOR_BODY, 200 },
	{ "authors", "replace-missing", "PUT", "/authors/999", "",
	    AUTH_READER, NULL, JSON_CT, AUTHOR_BODY, 404 },
	{ "authors", "delete", "DELETE", "/authors/3", "", AUTH_READER, NULL,
	    NULL, NULL, 200 },
	{ "authors", "delete-missing", "DELETE", "/authors/999", "",
	    AUTH_READER, NULL, NULL, NULL, 404 },
	{ "authors", "method", "PATCH", "/authors/1", "", AUTH_READER, NULL,
	    NULL, NULL, 405 },
	{ "authors", "no-path", "GET", "/nowhere", "", AUTH_NONE, NULL, NULL,
	    NULL, 404 },
};
#define OOM_NKINDS (sizeof(oom_kinds) / sizeof(oom_kinds[0]))

/* What the parent prepares before any child runs. */
static struct {
	char	 dir[256];		/* the mkdtemp folder */
	char	 db[300], conf[300], secret[300], tmpl[300], log[300];
	char	*tmpl_bytes;		/* the prepared database */
	size_t	 tmpl_len;
	char	*token[AUTH__MAX];	/* a header value per kind of auth */
	int	 verbose;
	int	 strict;		/* OOM_STRICT: libjwt's failures too */
	unsigned long from_step;	/* "from" runs every from_step-th N */
} oom_env;

/* ---------------------------------------------------------------------
 * One run: the request of kind k with allocation n failing.
 */
struct oom_result {
	int		 done;		/* the child got to the end */
	int		 setup_failed;
	unsigned long	 allocs, failed;
	int		 rendered;	/* response_render succeeded */
	int		 status;
	char		 problem[512];	/* the first problem, "" if none */
	size_t		 nleaks, leak_bytes;
	struct {
		size_t		 size;
		unsigned long	 seq;
	}		 leak[OOM_LEAKS];
	int		 tab_full;
	char		 shape[OOM_SHAPE_MAX];	/* of the answer's body */
	char		 where[160];	/* libraries the first failure was in */
	int		 in_libjwt;	/* ... libjwt among them */
};

static void
oom_problem(struct oom_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
oom_problem(struct oom_result *r, const char *fmt, ...)
{
	va_list	 ap;

	if (r->problem[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(r->problem, sizeof(r->problem), fmt, ap);
	va_end(ap);
}

struct oom_param {
	const char	*name, *value;
};

struct oom_req_src {
	struct oom_param	 p[12];
	size_t			 np;
	const char		*body;
	size_t			 body_len, body_off;
	char			 clen[24];
};

static const char *
oom_getparam(void *arg, const char *name)
{
	struct oom_req_src	*s = arg;
	size_t			 i;

	for (i = 0; i < s->np; i++)
		if (strcmp(s->p[i].name, name) == 0)
			return s->p[i].value;
	return NULL;
}

static long
oom_readbody(void *arg, char *buf, size_t len)
{
	struct oom_req_src	*s = arg;
	size_t			 n = s->body_len - s->body_off;

	if (n > len)
		n = len;
	memcpy(buf, s->body + s->body_off, n);
	s->body_off += n;
	return (long)n;
}

static void
oom_param(struct oom_req_src *s, const char *name, const char *value)
{
	if (value == NULL || s->np == sizeof(s->p) / sizeof(s->p[0]))
		return;
	s->p[s->np].name = name;
	s->p[s->np].value = value;
	s->np++;
}

/* The FastCGI parameters nginx would send for k. */
static void
oom_source(const struct oom_kind *k, struct oom_req_src *s)
{
	memset(s, 0, sizeof(*s));
	oom_param(s, "REQUEST_METHOD", k->method);
	oom_param(s, "SCRIPT_NAME", k->path);
	oom_param(s, "PATH_INFO", "");
	oom_param(s, "QUERY_STRING", k->query);
	oom_param(s, "REMOTE_ADDR", "127.0.0.1");
	if (k->authorization != NULL)
		oom_param(s, "HTTP_AUTHORIZATION", k->authorization);
	else if (k->auth == AUTH_READER_XAT)
		oom_param(s, "HTTP_X_ACCESS_TOKENS", oom_env.token[k->auth]);
	else if (k->auth != AUTH_NONE)
		oom_param(s, "HTTP_AUTHORIZATION", oom_env.token[k->auth]);
	oom_param(s, "CONTENT_TYPE", k->ctype);
	if (k->body != NULL) {
		s->body = k->body;
		s->body_len = strlen(k->body);
		snprintf(s->clen, sizeof(s->clen), "%zu", s->body_len);
		oom_param(s, "CONTENT_LENGTH", s->clen);
	}
}

/* memmem (a GNU extension): where needle starts in hay, or NULL. */
static const char *
oom_find(const char *hay, size_t len, const char *needle)
{
	size_t	 n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/*
 * The shape of a JSON value: keys in order and the type of each value
 * ("s" string, "i" integer, "b" boolean, "n" null...), arrays element by
 * element. An answer under failure with the normal status must have the
 * normal answer's shape: json-c turns a value it could not allocate into
 * null, and a key its printbuf could not grow for into "".
 */
static void
oom_shape(json_object *o, char *buf, size_t sz, size_t *pos)
{
	static const char *const type[] = {
		[json_type_null] = "n", [json_type_boolean] = "b",
		[json_type_double] = "d", [json_type_int] = "i",
		[json_type_object] = "{", [json_type_array] = "[",
		[json_type_string] = "s",
	};
	const char	*t = type[json_object_get_type(o)];
	size_t		 i, n;
	int		 w;

	w = snprintf(buf + *pos, sz - *pos, "%s", t);
	*pos = w < 0 || (size_t)w >= sz - *pos ? sz - 1 : *pos + (size_t)w;
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			w = snprintf(buf + *pos, sz - *pos, "%s:", key);
			*pos = w < 0 || (size_t)w >= sz - *pos ? sz - 1 :
			    *pos + (size_t)w;
			oom_shape(val, buf, sz, pos);
		}
		w = snprintf(buf + *pos, sz - *pos, "}");
	} else if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			oom_shape(json_object_array_get_idx(o, i), buf, sz,
			    pos);
		w = snprintf(buf + *pos, sz - *pos, "]");
	} else
		return;
	*pos = w < 0 || (size_t)w >= sz - *pos ? sz - 1 : *pos + (size_t)w;
}

/* Each kind's normal answer's shape, from the warm-up. */
static char oom_normal_shape[OOM_NKINDS][OOM_SHAPE_MAX];

/*
 * Check one rendered response; a problem is noted in r. fallback: this
 * is app_main's static answer for a response that did not render.
 */
static void
oom_check_output(size_t ki, const char *out, size_t len, int fallback,
    struct oom_result *r)
{
	const struct oom_kind	*k = &oom_kinds[ki];
	const char		*end, *body, *cl;
	size_t			 blen, pos = 0;
	json_tokener		*tok;
	json_object		*o = NULL, *v;
	long			 clv;
	int			 status;

	if (len < 12 || memcmp(out, "Status: ", 8) != 0 ||
	    sscanf(out + 8, "%3d", &status) != 1) {
		oom_problem(r, "no status line: %.40s", out);
		return;
	}
	r->status = status;
	if ((end = oom_find(out, len, "\r\n\r\n")) == NULL) {
		oom_problem(r, "%d: no end of headers", status);
		return;
	}
	body = end + 4;
	blen = len - (size_t)(body - out);
#define BODY	(int)(blen > 200 ? 200 : blen), body
	if (oom_find(out, (size_t)(end - out) + 2,
	    "\r\nContent-Type: application/json\r\n") == NULL)
		oom_problem(r, "%d: no Content-Type: application/json", status);
	if (!fallback && ((cl = oom_find(out, (size_t)(end - out),
	    "\r\nContent-Length: ")) == NULL || sscanf(cl + 18, "%ld",
	    &clv) != 1 || clv < 0 || (size_t)clv != blen))
		oom_problem(r, "%d: Content-Length missing or not %zu", status,
		    blen);
	if ((tok = json_tokener_new()) == NULL) {
		oom_problem(r, "checker: out of memory");
		return;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, body, (int)blen);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != blen ||
	    !json_object_is_type(o, json_type_object)) {
		oom_problem(r, "%d: body is not one JSON object: %.*s", status,
		    BODY);
		json_object_put(o);
		o = NULL;
	} else if (status >= 400 &&
	    (!json_object_object_get_ex(o, "error", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !json_object_object_get_ex(o, "message", &v) ||
	    !json_object_is_type(v, json_type_string)))
		oom_problem(r, "%d: error body without string error and "
		    "message: %.*s", status, BODY);
	if (o != NULL)
		oom_shape(o, r->shape, sizeof(r->shape), &pos);
	json_object_put(o);
	json_tokener_free(tok);
	if (r->failed == 0 && status != k->status)
		oom_problem(r, "%d without any failure, expected %d: %.*s",
		    status, k->status, BODY);
	else if (r->failed > 0 && status != k->status && status != 500 &&
	    status != 503)
		oom_problem(r, "%d after an allocation failed (normal answer "
		    "%d; out of memory must be 500 or 503): %.*s", status,
		    k->status, BODY);
	else if (r->failed > 0 && status == k->status &&
	    oom_normal_shape[ki][0] != '\0' &&
	    strcmp(r->shape, oom_normal_shape[ki]) != 0)
		oom_problem(r, "%d after an allocation failed, but not the "
		    "normal answer's shape %s: %.*s", status,
		    oom_normal_shape[ki], BODY);
#undef BODY
}

/* Any block allocated since arming and still live is a leak. */
static void
oom_check_leaks(struct oom_result *r)
{
	size_t	 i;

	r->tab_full = oom_tab_full;
	for (i = 0; i < OOM_TAB_SIZE; i++) {
		if (oom_tab[i].p == 0)
			continue;
		if (r->nleaks < OOM_LEAKS) {
			r->leak[r->nleaks].size = oom_tab[i].size;
			r->leak[r->nleaks].seq = oom_tab[i].seq;
		}
		r->nleaks++;
		r->leak_bytes += oom_tab[i].size;
	}
	/* By allocation number, for a stable report. */
	for (i = 1; i < r->nleaks && i < OOM_LEAKS; i++) {
		size_t j = i;

		while (j > 0 && r->leak[j - 1].seq > r->leak[j].seq) {
			size_t		 ts = r->leak[j].size;
			unsigned long	 tq = r->leak[j].seq;

			r->leak[j] = r->leak[j - 1];
			r->leak[j - 1].size = ts;
			r->leak[j - 1].seq = tq;
			j--;
		}
	}
	if (r->nleaks > 0)
		oom_problem(r, "%zu block%s (%zu bytes) allocated during the "
		    "request still live after response_free, request_free, "
		    "store_close, token_key_free and config_free", r->nleaks,
		    r->nleaks == 1 ? "" : "s", r->leak_bytes);
	if (r->tab_full)
		oom_problem(r, "checker: table of live blocks full");
}

/* Write the prepared database where the store expects it. */
static int
oom_fresh_db(void)
{
	char	 p[320];
	size_t	 off = 0;
	int	 fd;

	snprintf(p, sizeof(p), "%s-wal", oom_env.db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", oom_env.db);
	unlink(p);
	if ((fd = open(oom_env.db, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	while (off < oom_env.tmpl_len) {
		ssize_t w = write(fd, oom_env.tmpl_bytes + off,
		    oom_env.tmpl_len - off);

		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	return close(fd);
}

/*
 * OpenSSL keeps each error of a failed call, with its text, in a queue
 * per thread (16 entries, reused as it wraps): bounded state, not a leak
 * of the request, and ERR_clear_error() keeps the buffers. It is
 * released the way thread exit releases it, through libjwt's libcrypto
 * (not linked here: looked up once, before anything is armed).
 */
static void (*oom_thread_stop)(void);

static void
oom_openssl_thread_stop(void)
{
	if (oom_thread_stop != NULL)
		oom_thread_stop();
}

/*
 * Where the first failed allocation was made: the shared objects on its
 * stack, innermost first, up to the first frame of this program (as
 * "+0xOFFSET", for addr2line). A failure made inside libjwt is one of
 * its known defects (see the TAP "libjwt" line of each kind).
 */
static void
oom_where(struct oom_result *r)
{
	const char	*last = NULL, *base;
	size_t		 pos = 0;
	Dl_info		 di;
	int		 i, w;

	r->where[0] = '\0';
	/* 0: oom_should_fail, 1: malloc and the like. */
	for (i = 2; i < oom_h.fail_nbt; i++) {
		if (dladdr(oom_h.fail_bt[i], &di) == 0 || di.dli_fname == NULL)
			continue;
		base = strrchr(di.dli_fname, '/');
		base = base != NULL ? base + 1 : di.dli_fname;
		if (strstr(base, "oom_") == base) {
			snprintf(r->where + pos, sizeof(r->where) - pos,
			    "%s+0x%lx", pos ? " < " : "", (unsigned long)
			    ((uintptr_t)oom_h.fail_bt[i] -
			    (uintptr_t)di.dli_fbase));
			return;
		}
		if (strstr(base, "libjwt") == base)
			r->in_libjwt = 1;
		if (last != NULL && strcmp(last, base) == 0)
			continue;
		last = base;
		w = snprintf(r->where + pos, sizeof(r->where) - pos, "%s%s",
		    pos ? " < " : "", base);
		if (w < 0 || (size_t)w >= sizeof(r->where) - pos)
			return;
		pos += (size_t)w;
	}
}

/*
 * Set up as app_main does, run the request with allocation n failing
 * (0: none), tear down as app_main does, check. In the calling process.
 */
static void
oom_run(size_t ki, unsigned long n, enum oom_mode mode,
    const unsigned long *trace, size_t ntrace, struct oom_result *r)
{
	/* app_main's answer when response_render fails. */
	static const char fallback[] =
	    "Status: 500 Internal Server Error\r\n"
	    "Content-Type: application/json\r\n\r\n"
	    "{\"error\":\"internal_error\","
	    "\"message\":\"internal error\"}";
	struct app		 app;
	struct oom_req_src	 src;
	struct request		 req;
	struct response		 resp;
	char			*out = NULL;
	size_t			 outlen = 0;

	memset(r, 0, sizeof(*r));
	memset(&app, 0, sizeof(app));
	app.name = RESPONDER_NAME;
	log_init(RESPONDER_NAME);
	if ((app.cfg = config_load()) == NULL ||
	    (app.key = token_key_load(config_secret_file(app.cfg))) == NULL ||
	    token_key_set_policy(app.key, config_clock_leeway(app.cfg),
	    config_audience(app.cfg)) == -1 ||
	    (app.store = store_open(config_db_path(app.cfg), 0)) == NULL) {
		r->setup_failed = 1;
		oom_problem(r, "setup (config, key, store) failed unarmed");
		goto out;
	}
	oom_source(&oom_kinds[ki], &src);

	oom_arm(n, mode, trace, ntrace);
	/* What io_accept and the loop of app_main do with one request. */
	request_from(&req, oom_getparam, oom_readbody, &src);
	app_handle(&app, routes, OOM_NROUTES, &req, &resp);
	r->rendered = response_render(&resp, &out, &outlen) == 0;
	oom_disarm();
	r->allocs = oom_h.count;
	r->failed = oom_h.failed;
	oom_where(r);

	if (r->rendered)
		oom_check_output(ki, out, outlen, 0, r);
	else if (r->failed == 0)
		oom_problem(r, "response_render failed without any failure");
	else	/* app_main's fallback, checked like any answer */
		oom_check_output(ki, fallback, sizeof(fallback) - 1, 1, r);
	free(out);
	response_free(&resp);
	request_free(&req);
out:
	store_close(app.store);
	token_key_free(app.key);
	config_free(app.cfg);
	oom_openssl_thread_stop();
	if (oom_h.tracking)
		oom_check_leaks(r);
	oom_h.tracking = 0;
	r->done = 1;
}

/* In a child: where its result goes, for oom_on_crash. */
static struct oom_result	*oom_child_r;
static int			 oom_child_fd = -1;

/* In a child: log a backtrace, send where the first failure was (done
 * stays 0), then die of the signal. */
static void
oom_on_crash(int sig)
{
	void	*bt[48];
	char	 line[64];
	int	 n;

	oom_h.armed = 0;
	if (oom_child_r != NULL && oom_child_fd != -1) {
		oom_where(oom_child_r);
		if (write(oom_child_fd, oom_child_r, sizeof(*oom_child_r)) < 0)
			oom_child_fd = -1;
	}
	snprintf(line, sizeof(line), "oom: signal %d, backtrace:\n", sig);
	if (write(STDERR_FILENO, line, strlen(line)) >= 0) {
		n = backtrace(bt, 48);
		backtrace_symbols_fd(bt, n, STDERR_FILENO);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Run in a forked child. Returns 0 with *r filled, or 1 when the child
 * did not finish (how, in why).
 */
static int
oom_fork_run(size_t ki, unsigned long n, enum oom_mode mode,
    const unsigned long *trace, size_t ntrace, struct oom_result *r,
    char *why, size_t whysz)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	int	 fds[2], st;
	pid_t	 pid;
	ssize_t	 got = 0;

	memset(r, 0, sizeof(*r));
	why[0] = '\0';
	if (oom_fresh_db() == -1 || pipe(fds) == -1) {
		snprintf(why, whysz, "cannot prepare a run: %s",
		    strerror(errno));
		return 1;
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		snprintf(why, whysz, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return 1;
	}
	if (pid == 0) {
		struct sigaction	 sa;
		size_t			 i;
		int			 lfd;

		close(fds[0]);
		if ((lfd = open(oom_env.log, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0600)) != -1) {
			dup2(lfd, STDERR_FILENO);
			close(lfd);
		}
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = oom_on_crash;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESETHAND;
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &sa, NULL);
		alarm(OOM_TIMEOUT);
		oom_child_r = r;
		oom_child_fd = fds[1];
		oom_run(ki, n, mode, trace, ntrace, r);
		oom_child_r = NULL;
		if (write(fds[1], r, sizeof(*r)) != (ssize_t)sizeof(*r))
			_exit(3);
		_exit(r->problem[0] != '\0' ? 1 : 0);
	}
	close(fds[1]);
	while (got < (ssize_t)sizeof(*r)) {
		ssize_t g = read(fds[0], (char *)r + got,
		    sizeof(*r) - (size_t)got);

		if (g < 0 && errno == EINTR)
			continue;
		if (g <= 0)
			break;
		got += g;
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			snprintf(why, whysz, "waitpid: %s", strerror(errno));
			return 1;
		}
	if (WIFSIGNALED(st)) {
		snprintf(why, whysz, WTERMSIG(st) == SIGALRM ?
		    "hung: no answer within %d s (SIGALRM)" :
		    "crashed: signal %d (%s)", WTERMSIG(st) == SIGALRM ?
		    OOM_TIMEOUT : WTERMSIG(st), strsignal(WTERMSIG(st)));
		return 1;
	}
	if (got != (ssize_t)sizeof(*r) || !r->done) {
		snprintf(why, whysz, "exited %d without a result",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return 1;
	}
	if (WEXITSTATUS(st) != 0 && r->problem[0] == '\0') {
		snprintf(why, whysz, "exited %d", WEXITSTATUS(st));
		return 1;
	}
	return 0;
}

/* Print the child's log (its stderr) as TAP diagnostics. */
static void
oom_print_log(size_t maxlines)
{
	FILE	*f;
	char	 line[512];
	size_t	 n = 0;

	if ((f = fopen(oom_env.log, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (n++ == maxlines) {
			printf("#     ...\n");
			break;
		}
		line[strcspn(line, "\n")] = '\0';
		printf("#     %s\n", line);
	}
	fclose(f);
}

/* ---------------------------------------------------------------------
 * Setup in the parent: folder, files, database, tokens, warm-up.
 */
static int
oom_write_file(const char *path, const char *text, mode_t mode)
{
	int	 fd;
	size_t	 len = strlen(text);

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) == -1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static char *
oom_read_all(const char *path, size_t *len)
{
	return util_read_file(path, 64 * 1024 * 1024, len);
}

/* A token for public_id signed with secret, optionally with "aud" or a
 * "crit" header (tokens the product must refuse). */
static char *
oom_sign(const char *secret, const char *public_id, int aud, int crit)
{
	jwt_t	*jwt = NULL;
	char	 jti[37];
	char	*out = NULL;
	long	 now = (long)util_now();

	if (util_uuid4(jti) == -1 || jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_header(jwt, "kid", "0") == 0 &&
	    (!crit || jwt_add_headers_json(jwt,
	    "{\"crit\":[\"exp\"]}") == 0) &&
	    jwt_add_grant(jwt, "public_id", public_id) == 0 &&
	    jwt_add_grant(jwt, "iss", "library-api") == 0 &&
	    (!aud || jwt_add_grant(jwt, "aud", "somewhere-else") == 0) &&
	    jwt_add_grant(jwt, "jti", jti) == 0 &&
	    jwt_add_grant_int(jwt, "iat", now) == 0 &&
	    jwt_add_grant_int(jwt, "exp", now + 1800) == 0 &&
	    jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret,
	    (int)strlen(secret)) == 0)
		out = jwt_encode_str(jwt);
	jwt_free(jwt);
	return out;
}

static char *
oom_bearer(const char *tok)
{
	char	*h;

	if (tok == NULL || (h = malloc(strlen(tok) + 8)) == NULL)
		return NULL;
	strcpy(h, "Bearer ");
	strcat(h, tok);
	return h;
}

static int
oom_prepare(void)
{
	static const char *const author_names[] = {
		"Author 1", "Author 2", "Author 3"
	};
	const char	*tmp = getenv("TMPDIR");
	struct store	*st;
	struct author	 a;
	char		 secret[65], reader_pid[37], boss_pid[37];
	char		 hash[PASSWORD_HASH_MAX], book[32];
	unsigned char	 rnd[32];
	char		*reader, *t;
	size_t		 i;
	int64_t		 reader_id = 0;

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	snprintf(oom_env.dir, sizeof(oom_env.dir), "%s/oom-%s.XXXXXX", tmp,
	    RESPONDER_NAME);
	if (mkdtemp(oom_env.dir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", oom_env.dir,
		    strerror(errno));
		return -1;
	}
	snprintf(oom_env.db, sizeof(oom_env.db), "%s/library.db", oom_env.dir);
	snprintf(oom_env.tmpl, sizeof(oom_env.tmpl), "%s/template.db",
	    oom_env.dir);
	snprintf(oom_env.conf, sizeof(oom_env.conf), "%s/library-api.conf",
	    oom_env.dir);
	snprintf(oom_env.secret, sizeof(oom_env.secret), "%s/secret",
	    oom_env.dir);
	snprintf(oom_env.log, sizeof(oom_env.log), "%s/child.log",
	    oom_env.dir);

	/* A raw 256-bit key, as hex. */
	if (util_random(rnd, sizeof(rnd)) == -1)
		return -1;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(secret + 2 * i, 3, "%02x", rnd[i]);
	if (oom_write_file(oom_env.secret, secret, 0600) == -1 ||
	    oom_write_file(oom_env.conf, "# oom test: defaults\n", 0600) == -1) {
		printf("Bail out! cannot write into %s\n", oom_env.dir);
		return -1;
	}
	/* Only these settings: nothing from the caller's environment. */
	unsetenv("LIBRARY_AUDIENCE");
	unsetenv("LIBRARY_ISSUER");
	unsetenv("LIBRARY_TOKEN_LIFETIME");
	unsetenv("LIBRARY_CLOCK_LEEWAY");
	setenv("LIBRARY_CONF", oom_env.conf, 1);
	setenv("LIBRARY_DB", oom_env.db, 1);
	setenv("LIBRARY_SECRET_FILE", oom_env.secret, 1);
	setenv("LIBRARY_PASSWORD_COST", "1", 1);
	setenv("LIBRARY_LOGIN_MAX_FAILURES", "1000", 1);
	setenv("LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS", "1000", 1);

	/* The database: reader with three authors, boss an admin. */
	if ((st = store_open(oom_env.tmpl, 1)) == NULL ||
	    util_uuid4(reader_pid) == -1 || util_uuid4(boss_pid) == -1 ||
	    password_hash(READER_PW, strlen(READER_PW), 1, hash) == -1 ||
	    store_user_insert(st, reader_pid, "reader", 6, hash, 0) !=
	    STORE_OK ||
	    store_user_insert(st, boss_pid, "boss", 4, hash, 1) != STORE_OK) {
		printf("Bail out! cannot prepare the database %s\n",
		    oom_env.tmpl);
		store_close(st);
		return -1;
	}
	{
		struct user u;

		if (store_user_by_name(st, "reader", 6, &u) == STORE_OK)
			reader_id = u.id;
	}
	for (i = 0; i < 3; i++) {
		memset(&a, 0, sizeof(a));
		snprintf(book, sizeof(book), "Book %zu", i + 1);
		a.name = author_names[i];
		a.name_len = strlen(a.name);
		a.book = book;
		a.book_len = strlen(book);
		a.country = "Nowhere";
		a.country_len = 7;
		if (store_author_insert(st, reader_id, &a) != STORE_OK) {
			printf("Bail out! cannot add authors to %s\n",
			    oom_env.tmpl);
			store_close(st);
			return -1;
		}
	}
	store_close(st);	/* checkpoints: the file holds everything */
	if ((oom_env.tmpl_bytes = oom_read_all(oom_env.tmpl,
	    &oom_env.tmpl_len)) == NULL) {
		printf("Bail out! cannot read %s\n", oom_env.tmpl);
		return -1;
	}

	/* Tokens: what login would issue, and three it must refuse. */
	reader = oom_sign(secret, reader_pid, 0, 0);
	oom_env.token[AUTH_READER] = oom_bearer(reader);
	oom_env.token[AUTH_READER_XAT] = reader != NULL ? strdup(reader) : NULL;
	oom_env.token[AUTH_ADMIN] = oom_bearer(t = oom_sign(secret, boss_pid,
	    0, 0));
	free(t);
	if (reader != NULL && (oom_env.token[AUTH_FORGED] =
	    oom_bearer(reader)) != NULL) {
		/* Change a signature character that carries all six bits. */
		char *sig = strrchr(oom_env.token[AUTH_FORGED], '.') + 1;

		sig[0] = sig[0] == 'A' ? 'B' : 'A';
	}
	oom_env.token[AUTH_AUD] = oom_bearer(t = oom_sign(secret, reader_pid,
	    1, 0));
	free(t);
	oom_env.token[AUTH_CRIT] = oom_bearer(t = oom_sign(secret, reader_pid,
	    0, 1));
	free(t);
	free(reader);
	for (i = AUTH_READER; i < AUTH__MAX; i++)
		if (oom_env.token[i] == NULL) {
			printf("Bail out! cannot make the test tokens\n");
			return -1;
		}
	util_wipe(secret, sizeof(secret));
	return 0;
}

static void
oom_cleanup(void)
{
	char	 p[320];

	if (oom_env.dir[0] == '\0')
		return;
	unlink(oom_env.db);
	snprintf(p, sizeof(p), "%s-wal", oom_env.db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", oom_env.db);
	unlink(p);
	unlink(oom_env.tmpl);
	unlink(oom_env.conf);
	unlink(oom_env.secret);
	unlink(oom_env.log);
	rmdir(oom_env.dir);
}

/* ---------------------------------------------------------------------
 * The test of one kind: both modes, every N.
 */
struct oom_tally {
	unsigned long	 runs[OOM__MAX];
	unsigned long	 allocs;	/* of the run without failure */
	unsigned long	 problems;
	unsigned long	 status[6];	/* 2xx, 400, 401, other 4xx, 500, 503 */
	unsigned long	 fallback;	/* render failed: app_main's 500 */
};

static void
oom_count_status(struct oom_tally *t, const struct oom_result *r)
{
	if (!r->rendered)
		t->fallback++;
	else if (r->status < 300)
		t->status[0]++;
	else if (r->status == 400)
		t->status[1]++;
	else if (r->status == 401)
		t->status[2]++;
	else if (r->status < 500)
		t->status[3]++;
	else if (r->status == 500)
		t->status[4]++;
	else
		t->status[5]++;
}

/* A leak: run n again with a backtrace of each leaked block's allocation. */
static void
oom_trace_leaks(size_t ki, unsigned long n, enum oom_mode mode,
    const struct oom_result *r)
{
	unsigned long		 seqs[OOM_LEAKS];
	struct oom_result	 again;
	char			 why[256];
	size_t			 i, ns = r->nleaks < OOM_LEAKS ?
	    r->nleaks : OOM_LEAKS;

	for (i = 0; i < ns; i++) {
		printf("#   leaked: %zu bytes, allocation %lu\n",
		    r->leak[i].size, r->leak[i].seq);
		seqs[i] = r->leak[i].seq;
	}
	if (oom_fork_run(ki, n, mode, seqs, ns, &again, why, sizeof(why)) != 0)
		printf("#   (the traced run %s)\n", why);
	printf("#   log of the same run again, with allocation backtraces:\n");
	oom_print_log(80);
}

/*
 * A problem's class: its text up to the first ':' after the status, digits
 * left out, so that one report per kind of problem is printed in full.
 */
static void
oom_class(const char *problem, char *out, size_t sz)
{
	size_t	 i = 0;

	for (; *problem != '\0' && i + 1 < sz; problem++) {
		if (*problem >= '0' && *problem <= '9')
			continue;
		if (*problem == '{')
			break;
		out[i++] = *problem;
	}
	out[i] = '\0';
}

/*
 * Print a problem in full, the first time one of its class is seen.
 * cls/ncls: the classes seen so far.
 */
#define OOM_CLASSES 12
static void
oom_report(size_t ki, unsigned long n, enum oom_mode mode, int bad,
    const char *why, const struct oom_result *r, char cls[][96],
    size_t *ncls)
{
	char	 c[96];
	size_t	 i;

	oom_class(bad ? why : r->problem, c, sizeof(c));
	for (i = 0; i < *ncls; i++)
		if (strcmp(cls[i], c) == 0)
			return;
	if (*ncls == OOM_CLASSES)
		return;
	snprintf(cls[(*ncls)++], sizeof(cls[0]), "%s", c);
	printf("# %s: N=%lu (%s): %s\n", oom_kinds[ki].name, n,
	    oom_mode_name[mode], bad ? why : r->problem);
	if (r->where[0] != '\0')
		printf("#   first failed allocation in %s\n", r->where);
	if (!bad && r->nleaks > 0)
		oom_trace_leaks(ki, n, mode, r);
	else {
		printf("#   log of the run:\n");
		oom_print_log(60);
	}
}

/*
 * Both modes, every N until a run no longer reaches N (in the bounded
 * default, "from" only every oom_env.from_step-th N). Two TAP lines:
 * the problems, and those whose first failed allocation was made inside
 * libjwt (a TODO unless OOM_STRICT is set; see the header).
 */
static int
oom_test_kind(size_t ki, int num)
{
	const struct oom_kind	*k = &oom_kinds[ki];
	struct oom_tally	 t;
	struct oom_result	 r;
	enum oom_mode		 mode;
	unsigned long		 n, step, libjwt = 0;
	char			 why[256], cls[OOM_CLASSES][96];
	char			 jcls[OOM_CLASSES][96];
	size_t			 ncls = 0, njcls = 0;
	int			 bad;
	time_t			 t0 = time(NULL);

	memset(&t, 0, sizeof(t));
	for (mode = OOM_ONCE; mode < OOM__MAX; mode++) {
		step = mode == OOM_FROM ? oom_env.from_step : 1;
		for (n = 1; n <= OOM_MAX_N; n += step) {
			bad = oom_fork_run(ki, n, mode, NULL, 0, &r, why,
			    sizeof(why));
			t.runs[mode]++;
			if (!bad && r.failed > 0)
				oom_count_status(&t, &r);
			if (oom_env.verbose)
				printf("# %s %s N=%lu: %s%s allocs %lu, "
				    "failed %lu, status %d%s%s%s%s%s\n",
				    k->name, oom_mode_name[mode], n,
				    bad ? why : "", bad ? ";" : "", r.allocs,
				    r.failed, r.rendered ? r.status : 500,
				    r.rendered ? "" : " (fallback)",
				    r.problem[0] ? ": " : "", r.problem,
				    r.where[0] ? "; first failure in " : "",
				    r.where);
			if (bad || r.problem[0] != '\0') {
				if (r.in_libjwt && !oom_env.strict) {
					libjwt++;
					oom_report(ki, n, mode, bad, why, &r,
					    jcls, &njcls);
				} else {
					t.problems++;
					oom_report(ki, n, mode, bad, why, &r,
					    cls, &ncls);
				}
			}
			if (!bad && r.failed == 0) {
				t.allocs = r.allocs;
				break;	/* N is past the request's end */
			}
		}
		if (n > OOM_MAX_N) {
			t.problems++;
			printf("# %s: still failing at N=%lu (%s)\n", k->name,
			    OOM_MAX_N, oom_mode_name[mode]);
		}
	}
	printf("%s %d - %s: %s %s%s%s -> %d: %lu allocations; %lu runs "
	    "failing one allocation, %lu failing all from N on%s: %lu "
	    "problem%s\n", t.problems ? "not ok" : "ok", num, k->name,
	    k->method, k->path, k->query[0] ? "?" : "", k->query, k->status,
	    t.allocs, t.runs[OOM_ONCE], t.runs[OOM_FROM],
	    oom_env.from_step > 1 ? " (every few N)" : "", t.problems,
	    t.problems == 1 ? "" : "s");
	printf("#   answers when an allocation failed: 2xx %lu, 400 %lu, "
	    "401 %lu, other 4xx %lu, 500 %lu, 503 %lu, app_main's fallback "
	    "500 %lu (%ld s)\n", t.status[0], t.status[1], t.status[2],
	    t.status[3], t.status[4], t.status[5], t.fallback,
	    (long)(time(NULL) - t0));
	if (oom_env.strict)
		printf("ok %d - %s: failures inside libjwt counted above "
		    "(OOM_STRICT)\n", num + 1, k->name);
	else if (libjwt == 0)
		printf("ok %d - %s: no problem after a failure inside "
		    "libjwt\n", num + 1, k->name);
	else
		printf("not ok %d - %s: %lu run%s with a problem after a "
		    "failure inside libjwt # TODO libjwt 1.10.2 (Debian 12) "
		    "does not handle a failed allocation (crash, leak, or a "
		    "bad-token answer)\n", num + 1, k->name, libjwt,
		    libjwt == 1 ? "" : "s");
	fflush(stdout);
	return t.problems ? 1 : 0;
}

/* One in-process run (-n): for gdb and valgrind. */
static int
oom_single(size_t ki, unsigned long n, enum oom_mode mode)
{
	const struct oom_kind	*k = &oom_kinds[ki];
	struct oom_result	 r, again;
	unsigned long		 seqs[OOM_LEAKS];
	size_t			 i;

	if (oom_fresh_db() == -1) {
		perror(oom_env.db);
		return 1;
	}
	oom_h.trace_fail = 1;
	oom_run(ki, n, mode, NULL, 0, &r);
	oom_h.trace_fail = 0;
	printf("%s N=%lu (%s): allocations %lu, failed %lu, %s %d%s%s\n",
	    k->name, n, oom_mode_name[mode], r.allocs, r.failed,
	    r.rendered ? "status" : "render failed, fallback",
	    r.rendered ? r.status : 500, r.problem[0] ? ": " : "", r.problem);
	fflush(stdout);
	if (r.nleaks == 0)
		return r.problem[0] != '\0';
	for (i = 0; i < r.nleaks && i < OOM_LEAKS; i++) {
		printf("  leaked %zu bytes, allocation %lu\n", r.leak[i].size,
		    r.leak[i].seq);
		seqs[i] = r.leak[i].seq;
	}
	fflush(stdout);
	/* Again, with a backtrace (on stderr) of each leaked allocation. */
	if (oom_fresh_db() == 0)
		oom_run(ki, n, mode, seqs, i, &again);
	return 1;
}

/* The kinds of this responder that -k selects. */
static int
oom_selected(size_t ki, const char *only)
{
	return strcmp(oom_kinds[ki].responder, RESPONDER_NAME) == 0 &&
	    (only == NULL || strstr(oom_kinds[ki].name, only) != NULL);
}

/*
 * The warm-up: each kind once, in this process, so that the lazily made
 * process-global state (libxcrypt's work area in password.c, OpenSSL's
 * fetched algorithms, stdio) exists before any child is armed. It also
 * records each kind's normal answer shape.
 */
static int
oom_warm_up(const char *only)
{
	struct oom_result	 r;
	size_t			 ki;

	for (ki = 0; ki < OOM_NKINDS; ki++) {
		const struct oom_kind *k = &oom_kinds[ki];

		if (!oom_selected(ki, only))
			continue;
		if (oom_fresh_db() == -1) {
			printf("Bail out! %s: %s\n", oom_env.db,
			    strerror(errno));
			return -1;
		}
		oom_run(ki, 0, OOM_ONCE, NULL, 0, &r);
		if (r.setup_failed || r.status != k->status) {
			printf("Bail out! warm-up of %s: %s\n", k->name,
			    r.problem[0] ? r.problem : "wrong status");
			return -1;
		}
		memcpy(oom_normal_shape[ki], r.shape, sizeof(r.shape));
		if (r.nleaks > 0)
			printf("# warm-up %s: %zu block%s (%zu bytes) left "
			    "live the first time (process-global state)\n",
			    k->name, r.nleaks, r.nleaks == 1 ? "" : "s",
			    r.leak_bytes);
	}
	oom_track_reset();	/* children start from an empty table */
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*only = NULL;
	unsigned long	 single = 0;
	enum oom_mode	 mode = OOM_ONCE;
	size_t		 ki, nsel = 0;
	int		 c, num = 0, failed = 0;
	void		*bt[4];

	while ((c = getopt(argc, argv, "fk:n:v")) != -1)
		switch (c) {
		case 'f':
			mode = OOM_FROM;
			break;
		case 'k':
			only = optarg;
			break;
		case 'n':
			single = strtoul(optarg, NULL, 10);
			break;
		case 'v':
			oom_env.verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-v] [-k kind] "
			    "[-n N [-f]]\n", argv[0]);
			return 2;
		}
	{
		const char	*full = getenv("OOM_FULL"),
				*strict = getenv("OOM_STRICT");

		oom_env.from_step = full != NULL && strcmp(full, "1") == 0 ?
		    1 : OOM_FROM_STEP;
		oom_env.strict = strict != NULL && strcmp(strict, "1") == 0;
	}
	/* Freed blocks are overwritten: a use after free shows sooner. */
	mallopt(M_PERTURB, 0xa5);
	/* backtrace() loads libgcc_s on first use: not in a child. */
	backtrace(bt, 4);
	*(void **)&oom_thread_stop = dlsym(RTLD_DEFAULT, "OPENSSL_thread_stop");

	for (ki = 0; ki < OOM_NKINDS; ki++)
		nsel += oom_selected(ki, only);
	if (nsel == 0) {
		printf("1..0 # SKIP no request kind of %s matches\n",
		    RESPONDER_NAME);
		return 0;
	}
	if (oom_prepare() == -1 || oom_warm_up(only) == -1) {
		oom_cleanup();
		return 1;
	}
	if (single > 0) {
		for (ki = 0; ki < OOM_NKINDS; ki++)
			if (oom_selected(ki, only))
				failed |= oom_single(ki, single, mode);
		oom_cleanup();
		return failed;
	}
	printf("1..%zu\n", 2 * nsel);
	printf("# %s: every allocation of each request made to fail, once "
	    "and from there on; folder %s\n", RESPONDER_NAME, oom_env.dir);
	for (ki = 0; ki < OOM_NKINDS; ki++)
		if (oom_selected(ki, only))
			failed |= oom_test_kind(ki, (num += 2) - 1);
	oom_cleanup();
	return failed;
}

#endif
