/*
 * fuzz.h: what every tests/fuzz/fuzz_*.c shares. Each target defines the
 * libFuzzer entry point; the same source links either with libFuzzer
 * (`make fuzz`, clang) or with replay.c (`make check`, any compiler),
 * which feeds it each file of a corpus. A target returns 0, and calls
 * abort() through FUZZ_CHECK when a contract written in a src/lib header
 * is broken, so that both drivers (and the sanitizers) report it.
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void __attribute__((noreturn))
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: contract broken: %s\n", file, line, what);
	abort();
}

#define FUZZ_CHECK(cond) do {						\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond);			\
} while (0)

/*
 * A malloc'd copy of data[0..size) followed by a NUL: what a C string
 * argument gets. Embedded NULs stay (the callee sees a shorter string,
 * as it would from a server's parameter block).
 */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		fuzz_fail(__FILE__, __LINE__, "out of memory");
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * A malloc'd copy of exactly size bytes (no terminator), so that ASan
 * sees a read past a (pointer, length) argument. NULL when size is 0.
 */
static inline char *
fuzz_memdup(const uint8_t *data, size_t size)
{
	char	*s;

	if (size == 0)
		return NULL;
	if ((s = malloc(size)) == NULL)
		fuzz_fail(__FILE__, __LINE__, "out of memory");
	memcpy(s, data, size);
	return s;
}

#endif
