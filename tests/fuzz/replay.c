/*
 * replay.c: feed files to one fuzz target without libFuzzer, so that
 * `make check` (plain and sanitizer builds, any compiler) replays every
 * seed and every crash a target ever found.
 *
 *   replay_X PATH...
 *
 * Each PATH is a file or a directory, whose regular files not starting
 * with '.' are taken in name order (not recursively). Prints TAP: the
 * plan, then "ok N - PATH" after each input returned. An input that
 * breaks a contract aborts the program (the plan is then unmet), and a
 * sanitizer report does the same, so the crash is the test's failure.
 * Exit status 0, or 1 when a path cannot be read.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX	(1024 * 1024)	/* bytes: libFuzzer's -max_len is far less */

struct list {
	char	**path;
	size_t	 n, cap;
};

static void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n > 0 ? n : 1)) == NULL) {
		perror("replay");
		exit(1);
	}
	return p;
}

/* Append a copy of dir/name (or of name alone when dir is NULL). */
static void
add(struct list *l, const char *dir, const char *name)
{
	size_t	 len = strlen(name) + (dir != NULL ? strlen(dir) + 1 : 0) + 1;
	char	*p = xmalloc(len);

	if (l->n == l->cap) {
		size_t	  cap = l->cap == 0 ? 64 : l->cap * 2;
		char	**np = realloc(l->path, cap * sizeof(*np));

		if (np == NULL) {
			perror("replay");
			exit(1);
		}
		l->path = np;
		l->cap = cap;
	}
	if (dir != NULL)
		snprintf(p, len, "%s/%s", dir, name);
	else
		snprintf(p, len, "%s", name);
	l->path[l->n++] = p;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add path, or the regular files of directory path; -1 on error. */
static int
collect(struct list *l, const char *path)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	size_t		 first = l->n, i, keep;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		add(l, NULL, path);
		return 0;
	}
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			add(l, path, de->d_name);
	closedir(d);
	/* Regular files only (no d_type reliance: stat each). */
	for (i = keep = first; i < l->n; i++) {
		if (stat(l->path[i], &st) == 0 && S_ISREG(st.st_mode))
			l->path[keep++] = l->path[i];
		else
			free(l->path[i]);
	}
	l->n = keep;
	qsort(l->path + first, l->n - first, sizeof(*l->path), by_name);
	return 0;
}

/*
 * The whole file in a malloc'd buffer of exactly its size, so that ASan
 * sees a read past the input; NULL with errno set on error.
 */
static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat	 st;
	FILE		*f;
	uint8_t		*buf = NULL;
	size_t		 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fstat(fileno(f), &st) == -1)
		goto out;
	if (st.st_size < 0 || st.st_size > REPLAY_MAX) {
		errno = EFBIG;
		goto out;
	}
	n = (size_t)st.st_size;
	buf = xmalloc(n);
	if (fread(buf, 1, n, f) != n) {
		errno = ferror(f) ? EIO : EINVAL;	/* EINVAL: shrank */
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = n;
out:
	fclose(f);
	return buf;
}

int
main(int argc, char *argv[])
{
	struct list	 l = { NULL, 0, 0 };
	size_t		 i;
	int		 i_arg, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file-or-directory...\n", argv[0]);
		return 2;
	}
	for (i_arg = 1; i_arg < argc; i_arg++)
		if (collect(&l, argv[i_arg]) == -1)
			rc = 1;
	printf("1..%zu\n", l.n);
	fflush(stdout);
	for (i = 0; i < l.n; i++) {
		uint8_t	*buf;
		size_t	 len = 0;

		if ((buf = slurp(l.path[i], &len)) == NULL) {
			printf("not ok %zu - %s: %s\n", i + 1, l.path[i],
			    strerror(errno));
			rc = 1;
		} else {
			/* A crash report on stderr then follows the name. */
			fprintf(stderr, "replay: %s (%zu bytes)\n", l.path[i],
			    len);
			LLVMFuzzerTestOneInput(buf, len);
			free(buf);
			printf("ok %zu - %s\n", i + 1, l.path[i]);
		}
		fflush(stdout);
		free(l.path[i]);
	}
	free(l.path);
	return rc;
}
