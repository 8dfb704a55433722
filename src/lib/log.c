/*
 * log.c: log lines on stderr (the web server's or supervisor's log).
 * Callers escape request data (util_log_escape) and never pass secrets.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "library-api";

void
log_init(const char *progname)
{
	log_prog = progname;
}

static void
log_line(const char *level, const char *func, const char *fmt, va_list ap)
{
	char	 msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One fprintf per line, so processes sharing a log do not interleave. */
	if (func != NULL)
		fprintf(stderr, "%s[%ld]: %s: %s: %s\n", log_prog,
		    (long)getpid(), level, func, msg);
	else
		fprintf(stderr, "%s[%ld]: %s: %s\n", log_prog, (long)getpid(),
		    level, msg);
	fflush(stderr);
}

void
log_error(const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("error", func, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("info", NULL, fmt, ap);
	va_end(ap);
}
