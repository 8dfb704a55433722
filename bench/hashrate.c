/*
 * hashrate: yescrypt hashes per second on one core, at the cost that
 * library-api would use (libxcrypt's crypt_gensalt_rn("$y$", COST), as
 * src/lib/password.c does; 0 is libxcrypt's default). Prints one JSON
 * line for bench/run.
 *
 *   hashrate COST SECONDS
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	static struct crypt_data cd;
	char		 setting[CRYPT_GENSALT_OUTPUT_SIZE], *end;
	unsigned long	 cost;
	double		 secs, t0, t;
	long		 n = 0;
	size_t		 plen;

	if (argc != 3)
		return 2;
	cost = strtoul(argv[1], &end, 10);
	if (*end != '\0')
		return 2;
	secs = strtod(argv[2], &end);
	if (*end != '\0' || secs <= 0)
		return 2;
	if (crypt_gensalt_rn("$y$", cost, NULL, 0, setting,
	    sizeof(setting)) == NULL) {
		perror("crypt_gensalt_rn");
		return 1;
	}
	t0 = now();
	do {
		if (crypt_rn("correct horse battery staple", setting, &cd,
		    sizeof(cd)) == NULL || cd.output[0] == '*') {
			fprintf(stderr, "crypt_rn failed\n");
			return 1;
		}
		n++;
		t = now() - t0;
	} while (t < secs);
	/* The setting's prefix names the cost: "$y$j9T$" is the default. */
	plen = (size_t)(strrchr(setting, '$') - setting) + 1;
	printf("{\"cost\": %lu, \"setting\": \"%.*s\", \"hashes\": %ld, "
	    "\"seconds\": %.3f, \"hashes_per_s\": %.1f, \"ms_per_hash\": %.2f}\n",
	    cost, (int)plen, setting, n, t, (double)n / t, 1000.0 * t / (double)n);
	return 0;
}
