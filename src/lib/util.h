/*
 * util.h: small pure helpers: strict number parsing, UTF-8 validation,
 * random bytes, constant-time comparison, log-safe escaping.
 */
#ifndef LIBAPI_UTIL_H
#define LIBAPI_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a whole string of decimal digits (no sign, no spaces, no leading
 * zero unless the number is 0) into [min, max]. Returns 0 and sets *out,
 * or -1 (nothing set) when len is 0, a byte is not a digit, or the value
 * is outside the range or overflows.
 */
int util_parse_int64(const char *s, size_t len, int64_t min, int64_t max,
    int64_t *out);

/*
 * Strict UTF-8 check (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF. Returns 0 and the number of code points in *ncp (may be
 * NULL), or -1 on the first invalid sequence.
 */
int util_utf8_check(const unsigned char *s, size_t len, size_t *ncp);

/*
 * The code point at s[*i] of text already checked by util_utf8_check;
 * advances *i past it.
 */
uint32_t util_utf8_next(const unsigned char *s, size_t len, size_t *i);

/* Fill buf with len bytes from the OS random source. 0 or -1 (errno). */
int util_random(void *buf, size_t len);

/* Write a random (version 4) UUID, 36 chars and NUL, into out[37]. 0/-1. */
int util_uuid4(char out[37]);

/*
 * Compare two byte strings in time that depends only on their lengths.
 * Returns 1 when equal, 0 otherwise.
 */
int util_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Zero memory in a way the compiler may not remove. */
void util_wipe(void *p, size_t len);

/*
 * Copy at most in_len bytes of untrusted text into out (size outsz, NUL
 * terminated), replacing control bytes and non-ASCII by \xNN so that a
 * log line cannot be forged or broken. Returns out.
 */
char *util_log_escape(const char *in, size_t in_len, char *out, size_t outsz);

/*
 * Read a whole file of at most max bytes into a malloc'd, NUL-terminated
 * buffer (caller frees; wipe it first if it held a secret), length in
 * *len. NULL with errno set (EFBIG when larger than max).
 */
char *util_read_file(const char *path, size_t max, size_t *len);

/* The same from an open file descriptor (not closed). */
char *util_read_fd(int fd, size_t max, size_t *len);

/* Current UNIX time in seconds. */
int64_t util_now(void);

#endif
