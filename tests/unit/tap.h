/*
 * tap.h: a tiny Test Anything Protocol producer for the unit tests.
 * Header only, no external framework; automake's tap-driver.sh reads
 * the output. Test programs end with "return done_testing();".
 *
 *	plan(n)			announce n tests up front (optional)
 *	ok(cond, fmt, ...)	one test; diagnostics name file and line
 *	is_int(got, want, ...)	integers compared as long long
 *	is_str(got, want, ...)	C strings (NULL allowed on either side)
 *	is_mem(got, glen, want, wlen, ...)  byte strings
 *	skip(n, fmt, ...)	n skipped tests with a reason
 *	diag(fmt, ...)		a "# " comment line
 *	done_testing()		print the plan if none was given; returns the
 *				exit status (0 only if every test passed and
 *				the count matches the plan)
 */
#ifndef TESTS_UNIT_TAP_H
#define TESTS_UNIT_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	tap_planned = -1;	/* -1: no plan yet */
static int	tap_run;
static int	tap_failed;

static inline void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static inline void
diag(const char *fmt, ...)
{
	va_list	 ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static inline int tap_vok(int pass, const char *file, int line,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static inline int
tap_vok(int pass, const char *file, int line, const char *fmt, va_list ap)
{
	tap_run++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	if (!pass)
		printf("#   Failed test at %s line %d.\n", file, line);
	fflush(stdout);
	return pass;
}

static inline int tap_ok(int pass, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static inline int
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	return r;
}

static inline int tap_is_int(long long got, long long want,
    const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static inline int
tap_is_int(long long got, long long want, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = tap_vok(got == want, file, line, fmt, ap);
	va_end(ap);
	if (!r) {
		printf("#          got: %lld\n", got);
		printf("#     expected: %lld\n", want);
	}
	return r;
}

static inline int tap_is_str(const char *got, const char *want,
    const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static inline int
tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 r, pass;

	if (got == NULL || want == NULL)
		pass = got == want;
	else
		pass = strcmp(got, want) == 0;
	va_start(ap, fmt);
	r = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!r) {
		printf("#          got: %s%s%s\n", got ? "'" : "",
		    got ? got : "NULL", got ? "'" : "");
		printf("#     expected: %s%s%s\n", want ? "'" : "",
		    want ? want : "NULL", want ? "'" : "");
	}
	return r;
}

/* Print up to 64 bytes of a byte string, escaped, for diagnostics. */
static inline void
tap_dump(const char *label, const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	printf("# %13s: ", label);
	if (s == NULL) {
		printf("NULL\n");
		return;
	}
	printf("(%zu bytes) '", len);
	for (i = 0; i < len && i < 64; i++)
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			putchar(s[i]);
		else
			printf("\\x%02x", s[i]);
	printf("%s'\n", len > 64 ? "..." : "");
}

static inline int tap_is_mem(const void *got, size_t glen, const void *want,
    size_t wlen, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static inline int
tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;
	int	 r, pass;

	if (got == NULL || want == NULL)
		pass = got == want;
	else
		pass = glen == wlen && memcmp(got, want, glen) == 0;
	va_start(ap, fmt);
	r = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!r) {
		tap_dump("got", got, glen);
		tap_dump("expected", want, wlen);
	}
	return r;
}

static inline void tap_skip(int n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void
tap_skip(int n, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[256];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	while (n-- > 0) {
		tap_run++;
		printf("ok %d # skip %s\n", tap_run, why);
	}
	fflush(stdout);
}

static inline int
done_testing(void)
{
	if (tap_planned < 0) {
		tap_planned = tap_run;
		printf("1..%d\n", tap_run);
	} else if (tap_planned != tap_run)
		printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
	if (tap_failed > 0)
		printf("# failed %d of %d tests\n", tap_failed, tap_run);
	fflush(stdout);
	return tap_failed == 0 && tap_planned == tap_run ? EXIT_SUCCESS :
	    EXIT_FAILURE;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) tap_is_int((long long)(got), \
    (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str((got), (want), __FILE__, \
    __LINE__, __VA_ARGS__)
#define is_mem(got, glen, want, wlen, ...) tap_is_mem((got), (glen), \
    (want), (wlen), __FILE__, __LINE__, __VA_ARGS__)
#define skip(n, ...) tap_skip((n), __VA_ARGS__)

#endif
