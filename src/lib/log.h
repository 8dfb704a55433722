/*
 * log.h: one log line per event on stderr, prefixed with the program name.
 * Never pass tokens, passwords, hashes or the Authorization header; escape
 * request data with util_log_escape() first.
 */
#ifndef LIBAPI_LOG_H
#define LIBAPI_LOG_H

/* Set the program name used as prefix (a static string). */
void log_init(const char *progname);

/* printf-style; "func" is the function where the failure happened. */
void log_error(const char *func, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
