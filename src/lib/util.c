/*
 * util.c: small pure helpers shared by every module (see util.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util.h"

int
util_parse_int64(const char *s, size_t len, int64_t min, int64_t max,
    int64_t *out)
{
	int64_t	 v = 0;
	size_t	 i;

	if (s == NULL || len == 0 || len > 19)
		return -1;
	if (s[0] == '0' && len > 1)
		return -1;
	for (i = 0; i < len; i++) {
		int d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
util_utf8_check(const unsigned char *s, size_t len, size_t *ncp)
{
	size_t	 i = 0, n = 0;

	while (i < len) {
		unsigned char	 c = s[i];
		uint32_t	 cp;
		size_t		 need, k;

		if (c < 0x80) {
			i++;
			n++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			return -1;	/* continuation, overlong lead, > U+10FFFF */
		if (len - i - 1 < need)
			return -1;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		i += need + 1;
		n++;
	}
	if (ncp != NULL)
		*ncp = n;
	return 0;
}

uint32_t
util_utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char	 c = s[*i];
	uint32_t	 cp;
	size_t		 need, k;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
	cp = c & (0x3f >> need);
	for (k = 1; k <= need && *i + k < len; k++)
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	*i += need + 1;
	return cp;
}

int
util_random(void *buf, size_t len)
{
	unsigned char	*p = buf;

	while (len > 0) {
		ssize_t r = getrandom(p, len, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int
util_uuid4(char out[37])
{
	unsigned char	 b[16];

	if (util_random(b, sizeof(b)) == -1)
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;	/* RFC 4122 section 4.4: version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* variant 10 */
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
	    b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

int
util_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile unsigned char	*pa = a, *pb = b;
	unsigned char			 diff = 0;
	size_t				 i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		diff |= pa[i] ^ pb[i];
	return diff == 0;
}

void
util_wipe(void *p, size_t len)
{
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, len);
#else
	volatile unsigned char *v = p;

	while (len-- > 0)
		*v++ = 0;
#endif
}

char *
util_log_escape(const char *in, size_t in_len, char *out, size_t outsz)
{
	size_t	 i, o = 0;

	if (outsz == 0)
		return out;
	for (i = 0; i < in_len && in != NULL; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= outsz)
				break;
			snprintf(out + o, 5, "\\x%02x", c);
			o += 4;
		}
	}
	out[o] = '\0';
	return out;
}

int64_t
util_now(void)
{
	return (int64_t)time(NULL);
}

/* Read a whole small file; NULL with errno set, or EFBIG if too large. */
char *
util_read_fd(int fd, size_t max, size_t *len)
{
	char	*buf;
	size_t	 n = 0;

	if ((buf = malloc(max + 1)) == NULL)
		return NULL;
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	{
		int e = errno;

		free(buf);
		errno = e;
	}
	return NULL;
}

char *
util_read_file(const char *path, size_t max, size_t *len)
{
	char	*buf;
	int	 fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	buf = util_read_fd(fd, max, len);
	e = errno;
	close(fd);
	errno = e;
	return buf;
}
