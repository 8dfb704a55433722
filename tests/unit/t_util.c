/*
 * t_util.c: unit tests for util.c: the strict number parser, the strict
 * UTF-8 check (RFC 3629), constant-time comparison, UUIDv4 format
 * (RFC 4122 section 4.4), log escaping and the small file reader.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "tap.h"

#define SENTINEL INT64_C(424242)

/* util_parse_int64: whole string, digits only, canonical, in range. */
static const struct {
	const char	*s;
	int64_t		 min, max;
	int		 rc;
	int64_t		 want;
} int_cases[] = {
	{ "", 0, INT64_MAX, -1, 0 },
	{ "0", 0, INT64_MAX, 0, 0 },
	{ "7", 0, INT64_MAX, 0, 7 },
	{ "42", 0, INT64_MAX, 0, 42 },
	{ "01", 0, INT64_MAX, -1, 0 },		/* leading zero */
	{ "00", 0, INT64_MAX, -1, 0 },
	{ "+1", 0, INT64_MAX, -1, 0 },		/* no sign */
	{ "-1", INT64_MIN, INT64_MAX, -1, 0 },	/* no sign, even in range */
	{ "-0", INT64_MIN, INT64_MAX, -1, 0 },
	{ " 1", 0, INT64_MAX, -1, 0 },		/* no spaces */
	{ "1 ", 0, INT64_MAX, -1, 0 },
	{ "1\t", 0, INT64_MAX, -1, 0 },
	{ "1x", 0, INT64_MAX, -1, 0 },
	{ "0x10", 0, INT64_MAX, -1, 0 },
	{ "1e3", 0, INT64_MAX, -1, 0 },
	{ "1.0", 0, INT64_MAX, -1, 0 },
	{ "9223372036854775807", 0, INT64_MAX, 0, INT64_MAX },
	{ "9223372036854775806", 0, INT64_MAX, 0, INT64_MAX - 1 },
	{ "9223372036854775808", 0, INT64_MAX, -1, 0 },	/* overflow */
	{ "9999999999999999999", 0, INT64_MAX, -1, 0 },
	{ "10000000000000000000", 0, INT64_MAX, -1, 0 },	/* 20 digits */
	{ "99999999999999999999", 0, INT64_MAX, -1, 0 },
	{ "18446744073709551616", 0, INT64_MAX, -1, 0 },	/* 2^64 */
	/* Range ends are inclusive. */
	{ "5", 5, 10, 0, 5 },
	{ "10", 5, 10, 0, 10 },
	{ "4", 5, 10, -1, 0 },
	{ "11", 5, 10, -1, 0 },
	{ "0", 1, INT64_MAX, -1, 0 },
	{ "1", 1, 1000, 0, 1 },
	{ "1000", 1, 1000, 0, 1000 },
	{ "1001", 1, 1000, -1, 0 },
	{ "1000000000", 0, 1000000000, 0, 1000000000 },
	{ "1000000001", 0, 1000000000, -1, 0 },
};

static void
test_parse_int64(void)
{
	size_t	 i;
	int64_t	 v;

	for (i = 0; i < sizeof(int_cases) / sizeof(int_cases[0]); i++) {
		int rc;

		v = SENTINEL;
		rc = util_parse_int64(int_cases[i].s, strlen(int_cases[i].s),
		    int_cases[i].min, int_cases[i].max, &v);
		is_int(rc, int_cases[i].rc, "parse_int64(\"%s\", %lld..%lld) "
		    "returns %d", int_cases[i].s, (long long)int_cases[i].min,
		    (long long)int_cases[i].max, int_cases[i].rc);
		if (int_cases[i].rc == 0)
			is_int(v, int_cases[i].want, "parse_int64(\"%s\") value",
			    int_cases[i].s);
		else
			is_int(v, SENTINEL, "parse_int64(\"%s\") leaves *out "
			    "alone on failure", int_cases[i].s);
	}

	/* Only len bytes count: a prefix, and a NUL inside the length. */
	v = SENTINEL;
	ok(util_parse_int64("123", 2, 0, 1000, &v) == 0 && v == 12,
	    "parse_int64 reads only len bytes (\"123\", 2) -> 12");
	v = SENTINEL;
	ok(util_parse_int64("1\0" "2", 3, 0, 1000, &v) == -1 && v == SENTINEL,
	    "parse_int64 rejects a NUL inside len");
	ok(util_parse_int64(NULL, 0, 0, 10, &v) == -1,
	    "parse_int64(NULL) fails");
	ok(util_parse_int64("5", 0, 0, 10, &v) == -1,
	    "parse_int64 with len 0 fails");
}

/* util_utf8_check: RFC 3629 strict, with code-point counts. */
static const struct {
	const char	*name;
	const char	*s;
	size_t		 len;
	int		 rc;
	size_t		 ncp;
} utf8_cases[] = {
	{ "empty", "", 0, 0, 0 },
	{ "ASCII", "hello", 5, 0, 5 },
	{ "NUL byte is ASCII", "a\0b", 3, 0, 3 },
	{ "2-byte U+00E9", "\xc3\xa9", 2, 0, 1 },
	{ "3-byte U+20AC", "\xe2\x82\xac", 3, 0, 1 },
	{ "4-byte U+1F600", "\xf0\x9f\x98\x80", 4, 0, 1 },
	{ "mixed a e-acute euro emoji", "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	    10, 0, 4 },
	{ "U+0080 lowest 2-byte", "\xc2\x80", 2, 0, 1 },
	{ "U+07FF highest 2-byte", "\xdf\xbf", 2, 0, 1 },
	{ "U+0800 lowest 3-byte", "\xe0\xa0\x80", 3, 0, 1 },
	{ "U+D7FF below surrogates", "\xed\x9f\xbf", 3, 0, 1 },
	{ "U+E000 above surrogates", "\xee\x80\x80", 3, 0, 1 },
	{ "U+FFFF highest 3-byte", "\xef\xbf\xbf", 3, 0, 1 },
	{ "U+10000 lowest 4-byte", "\xf0\x90\x80\x80", 4, 0, 1 },
	{ "U+10FFFF highest", "\xf4\x8f\xbf\xbf", 4, 0, 1 },
	/* Overlong forms. */
	{ "overlong C0 AF", "\xc0\xaf", 2, -1, 0 },
	{ "overlong C1 BF", "\xc1\xbf", 2, -1, 0 },
	{ "overlong C0 80 (NUL)", "\xc0\x80", 2, -1, 0 },
	{ "overlong E0 80 AF", "\xe0\x80\xaf", 3, -1, 0 },
	{ "overlong E0 9F BF", "\xe0\x9f\xbf", 3, -1, 0 },
	{ "overlong F0 80 80 AF", "\xf0\x80\x80\xaf", 4, -1, 0 },
	{ "overlong F0 8F BF BF", "\xf0\x8f\xbf\xbf", 4, -1, 0 },
	/* UTF-16 surrogates encoded in UTF-8 (CESU). */
	{ "surrogate ED A0 80", "\xed\xa0\x80", 3, -1, 0 },
	{ "surrogate ED BF BF", "\xed\xbf\xbf", 3, -1, 0 },
	{ "surrogate pair CESU", "\xed\xa0\xbd\xed\xb8\x80", 6, -1, 0 },
	/* Above U+10FFFF and bytes that never occur. */
	{ "U+110000 F4 90 80 80", "\xf4\x90\x80\x80", 4, -1, 0 },
	{ "F5 lead", "\xf5\x80\x80\x80", 4, -1, 0 },
	{ "F8 lead", "\xf8\x88\x80\x80\x80", 5, -1, 0 },
	{ "FE", "\xfe", 1, -1, 0 },
	{ "FF", "\xff", 1, -1, 0 },
	/* Truncated sequences. */
	{ "truncated 2-byte", "\xc3", 1, -1, 0 },
	{ "truncated 3-byte (1 of 2)", "\xe2", 1, -1, 0 },
	{ "truncated 3-byte (2 of 3)", "\xe2\x82", 2, -1, 0 },
	{ "truncated 4-byte (3 of 4)", "\xf0\x9f\x98", 3, -1, 0 },
	{ "truncated after ASCII", "abc\xe2\x82", 5, -1, 0 },
	{ "truncated then ASCII", "\xe2\x82" "a", 3, -1, 0 },
	/* Continuation bytes where a lead is expected, and vice versa. */
	{ "lone continuation 80", "\x80", 1, -1, 0 },
	{ "lone continuation BF", "a\xbf", 2, -1, 0 },
	{ "two continuations", "\xc3\xa9\xa9", 3, -1, 0 },
	{ "bad continuation C3 41", "\xc3\x41", 2, -1, 0 },
	{ "bad continuation E2 28 A1", "\xe2\x28\xa1", 3, -1, 0 },
	{ "lead as continuation C3 C3", "\xc3\xc3\xa9", 3, -1, 0 },
};

static void
test_utf8(void)
{
	size_t	 i, n;

	for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		int rc;

		n = 999;
		rc = util_utf8_check((const unsigned char *)utf8_cases[i].s,
		    utf8_cases[i].len, &n);
		is_int(rc, utf8_cases[i].rc, "utf8_check %s: %s",
		    utf8_cases[i].name, utf8_cases[i].rc == 0 ? "valid" :
		    "invalid");
		if (utf8_cases[i].rc == 0)
			is_int(n, utf8_cases[i].ncp, "utf8_check %s: %zu "
			    "code points", utf8_cases[i].name,
			    utf8_cases[i].ncp);
	}
	/* The length bounds the scan: a valid prefix of a bad string. */
	n = 0;
	ok(util_utf8_check((const unsigned char *)"ab\xff", 2, &n) == 0 &&
	    n == 2, "utf8_check stops at len");
	ok(util_utf8_check((const unsigned char *)"\xc3\xa9", 2, NULL) == 0,
	    "utf8_check accepts a NULL count pointer");
	/* A 4-byte sequence cut by len must not be read past len. */
	ok(util_utf8_check((const unsigned char *)"\xf0\x9f\x98\x80", 3,
	    NULL) == -1, "utf8_check: sequence cut by len is invalid");
}

/* util_ct_equal: equal only when lengths and every byte agree. */
static void
test_ct_equal(void)
{
	is_int(util_ct_equal("secret", 6, "secret", 6), 1, "ct_equal: equal");
	is_int(util_ct_equal("secret", 6, "secreT", 6), 0,
	    "ct_equal: last byte differs");
	is_int(util_ct_equal("secret", 6, "Secret", 6), 0,
	    "ct_equal: first byte differs");
	is_int(util_ct_equal("secret", 6, "secrets", 7), 0,
	    "ct_equal: one is a prefix of the other");
	is_int(util_ct_equal("secrets", 7, "secret", 6), 0,
	    "ct_equal: longer first");
	is_int(util_ct_equal("", 0, "", 0), 1, "ct_equal: both empty");
	is_int(util_ct_equal("a", 1, "", 0), 0, "ct_equal: one empty");
	is_int(util_ct_equal("abcX", 3, "abcY", 3), 1,
	    "ct_equal: only len bytes are compared");
	is_int(util_ct_equal("a\0b", 3, "a\0c", 3), 0,
	    "ct_equal: bytes after a NUL count");
	is_int(util_ct_equal("\x80", 1, "\x00", 1), 0,
	    "ct_equal: high bit difference");
}

static int
is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* util_uuid4: 8-4-4-4-12 lower-case hex, version 4, variant 10xx. */
static void
test_uuid4(void)
{
	char	 u[37], prev[37];
	int	 i, j, fmt_ok = 1, ver_ok = 1, var_ok = 1, distinct = 1;
	int	 variants[4] = { 0, 0, 0, 0 };

	prev[0] = '\0';
	for (i = 0; i < 200; i++) {
		memset(u, 'Z', sizeof(u));
		if (util_uuid4(u) != 0) {
			fmt_ok = 0;
			break;
		}
		if (u[36] != '\0')
			fmt_ok = 0;
		for (j = 0; j < 36 && fmt_ok; j++) {
			if (j == 8 || j == 13 || j == 18 || j == 23) {
				if (u[j] != '-')
					fmt_ok = 0;
			} else if (!is_lower_hex(u[j]))
				fmt_ok = 0;
		}
		if (u[14] != '4')
			ver_ok = 0;
		if (u[19] != '8' && u[19] != '9' && u[19] != 'a' &&
		    u[19] != 'b')
			var_ok = 0;
		else
			variants[u[19] == '8' ? 0 : u[19] == '9' ? 1 :
			    u[19] == 'a' ? 2 : 3]++;
		if (strcmp(u, prev) == 0)
			distinct = 0;
		memcpy(prev, u, sizeof(u));
	}
	ok(fmt_ok, "uuid4: 36 chars, dashes at 8/13/18/23, lower-case hex, "
	    "NUL-terminated (200 samples; last %s)", u);
	ok(ver_ok, "uuid4: version nibble is 4");
	ok(var_ok, "uuid4: variant nibble is 8, 9, a or b");
	ok(variants[0] && variants[1] && variants[2] && variants[3],
	    "uuid4: the two random variant bits vary (8:%d 9:%d a:%d b:%d)",
	    variants[0], variants[1], variants[2], variants[3]);
	ok(distinct, "uuid4: consecutive values differ");
}

/* util_log_escape: printable ASCII kept, everything else \xNN, bounded. */
static void
test_log_escape(void)
{
	char	 buf[64], *r;
	size_t	 i;
	int	 canary;

	r = util_log_escape("abc", 3, buf, sizeof(buf));
	ok(r == buf, "log_escape returns out");
	is_str(buf, "abc", "log_escape: printable ASCII unchanged");
	util_log_escape("a\nb", 3, buf, sizeof(buf));
	is_str(buf, "a\\x0ab", "log_escape: newline escaped");
	util_log_escape("\r\t\x1b[31m", 7, buf, sizeof(buf));
	is_str(buf, "\\x0d\\x09\\x1b[31m", "log_escape: CR, TAB, ESC escaped");
	util_log_escape("a\\x0ab", 6, buf, sizeof(buf));
	is_str(buf, "a\\x5cx0ab",
	    "log_escape: backslash escaped so escapes cannot be forged");
	util_log_escape("\x7f", 1, buf, sizeof(buf));
	is_str(buf, "\\x7f", "log_escape: DEL escaped");
	util_log_escape("\xc3\xa9", 2, buf, sizeof(buf));
	is_str(buf, "\\xc3\\xa9", "log_escape: non-ASCII escaped byte-wise");
	util_log_escape("a\0b", 3, buf, sizeof(buf));
	is_str(buf, "a\\x00b", "log_escape: NUL inside in_len escaped");
	util_log_escape("abcdef", 3, buf, sizeof(buf));
	is_str(buf, "abc", "log_escape: only in_len bytes read");
	util_log_escape(NULL, 0, buf, sizeof(buf));
	is_str(buf, "", "log_escape: NULL input gives empty string");

	/* Truncation: never past outsz, never half an escape. */
	memset(buf, 'Z', sizeof(buf));
	util_log_escape("abcdef", 6, buf, 4);
	is_str(buf, "abc", "log_escape: truncates to outsz - 1 bytes");
	for (i = 4, canary = 1; i < sizeof(buf); i++)
		if (buf[i] != 'Z')
			canary = 0;
	ok(canary, "log_escape: nothing written past outsz (plain text)");

	memset(buf, 'Z', sizeof(buf));
	util_log_escape("ab\n", 3, buf, 6);
	is_str(buf, "ab", "log_escape: an escape that does not fit is "
	    "dropped whole");
	for (i = 6, canary = 1; i < sizeof(buf); i++)
		if (buf[i] != 'Z')
			canary = 0;
	ok(canary, "log_escape: nothing written past outsz (escape)");

	memset(buf, 'Z', sizeof(buf));
	util_log_escape("\n", 1, buf, 5);
	is_str(buf, "\\x0a", "log_escape: an escape fits exactly in 5 bytes");
	ok(buf[5] == 'Z', "log_escape: exact fit writes 5 bytes only");

	memset(buf, 'Z', sizeof(buf));
	util_log_escape("\n\n\n", 3, buf, 10);
	is_str(buf, "\\x0a\\x0a", "log_escape: two escapes in 10 bytes");
	for (i = 10, canary = 1; i < sizeof(buf); i++)
		if (buf[i] != 'Z')
			canary = 0;
	ok(canary, "log_escape: nothing written past outsz (two escapes)");

	memset(buf, 'Z', sizeof(buf));
	util_log_escape("abc", 3, buf, 1);
	ok(buf[0] == '\0' && buf[1] == 'Z', "log_escape: outsz 1 gives \"\"");
	memset(buf, 'Z', sizeof(buf));
	util_log_escape("abc", 3, buf, 0);
	ok(buf[0] == 'Z', "log_escape: outsz 0 writes nothing");
}

/* util_random, util_wipe, util_now, util_read_file. */
static void
test_misc(void)
{
	unsigned char	 a[32], b[32], zero[32];
	char		 path[4096], *txt;
	const char	*tmp = getenv("TMPDIR");
	size_t		 len = 0;
	int		 fd;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	ok(util_random(a, sizeof(a)) == 0 && util_random(b, sizeof(b)) == 0,
	    "random: two 32-byte reads succeed");
	ok(memcmp(a, b, sizeof(a)) != 0 && memcmp(a, zero, sizeof(a)) != 0,
	    "random: the reads differ and are not all zero");
	util_wipe(a, sizeof(a));
	ok(memcmp(a, zero, sizeof(a)) == 0, "wipe: zeroes the buffer");
	ok(util_now() > INT64_C(1600000000), "now: a plausible UNIX time");

	snprintf(path, sizeof(path), "%s/t_util.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) == -1) {
		skip(5, "mkstemp: %s", strerror(errno));
		return;
	}
	if (write(fd, "0123456789", 10) != 10)
		diag("short write to %s", path);
	close(fd);
	txt = util_read_file(path, 10, &len);
	ok(txt != NULL && len == 10 && memcmp(txt, "0123456789", 10) == 0 &&
	    txt[10] == '\0', "read_file: exactly max bytes, NUL-terminated");
	free(txt);
	errno = 0;
	txt = util_read_file(path, 9, &len);
	ok(txt == NULL && errno == EFBIG, "read_file: max + 1 bytes -> EFBIG");
	free(txt);
	unlink(path);
	errno = 0;
	txt = util_read_file(path, 10, &len);
	ok(txt == NULL && errno == ENOENT, "read_file: missing -> ENOENT");
	free(txt);
	snprintf(path, sizeof(path), "%s/t_util.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) == -1) {
		skip(1, "mkstemp: %s", strerror(errno));
		return;
	}
	close(fd);
	len = 99;
	txt = util_read_file(path, 10, &len);
	ok(txt != NULL && len == 0 && txt[0] == '\0',
	    "read_file: empty file gives \"\" and length 0");
	free(txt);
	unlink(path);
}

int
main(void)
{
	test_parse_int64();
	test_utf8();
	test_ct_equal();
	test_uuid4();
	test_log_escape();
	test_misc();
	return done_testing();
}
