/*
 * fuzz_keys.c: token_key_parse(), the reader of the signing key file
 * (token.h: one raw key, or a "library-api-keys 1" set of "KID SECRET"
 * lines). The file is written by library-admin or by hand and reread
 * while serving when it changes; token.h exposes the parser for the
 * fuzzer. The input is the file's text, an exact-size buffer with no
 * terminator (the contract is (text, len)).
 *
 * Checked beyond memory safety: a set holds 1-16 keys with distinct ids
 * of 1-TOKEN_KID_MAX characters of [A-Za-z0-9._-] (id "0" alone for a
 * raw key); the set signs (token_issue with its last key) and verifies
 * what it signed; a refused file comes with a reason.
 */
#include "config.h"

#include "token.h"
#include "fuzz.h"

#define FUZZ_ISSUER	"library-api"
#define FUZZ_PID	"0b7e5b8e-3d1c-4a8e-9f00-6f2d3c4b5a69"
#define FUZZ_NOW	INT64_C(1700000000)

static int
kid_ok(const char *kid)
{
	size_t	 i, n = strlen(kid);

	if (n == 0 || n > TOKEN_KID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((kid[i] >= 'A' && kid[i] <= 'Z') ||
		    (kid[i] >= 'a' && kid[i] <= 'z') ||
		    (kid[i] >= '0' && kid[i] <= '9') || kid[i] == '.' ||
		    kid[i] == '_' || kid[i] == '-'))
			return 0;
	return 1;
}

static void
check_set(const struct token_key *k, int raw)
{
	char	 out[37];
	char	*tok;
	size_t	 i, j, n = token_key_count(k);

	FUZZ_CHECK(n >= 1 && n <= 16);
	FUZZ_CHECK(token_key_id(k, n) == NULL);
	if (raw)
		FUZZ_CHECK(n == 1 && strcmp(token_key_id(k, 0), "0") == 0);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(token_key_id(k, i) != NULL);
		FUZZ_CHECK(kid_ok(token_key_id(k, i)));
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(token_key_id(k, i),
			    token_key_id(k, j)) != 0);
	}
	tok = token_issue(k, FUZZ_ISSUER, FUZZ_PID, FUZZ_NOW, 60);
	FUZZ_CHECK(tok != NULL);
	FUZZ_CHECK(token_verify(k, FUZZ_ISSUER, tok, strlen(tok), FUZZ_NOW,
	    out, sizeof(out)) == ERR_NONE);
	FUZZ_CHECK(strcmp(out, FUZZ_PID) == 0);
	free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_key	*k;
	const char		*why = "unset";
	char			*text;
	int			 raw;

	text = fuzz_memdup(data, size);
	raw = size < 19 || memcmp(data, "library-api-keys 1\n", 19) != 0;
	k = token_key_parse(text, size, &why);
	if (k != NULL) {
		check_set(k, raw);
		token_key_free(k);
	} else
		FUZZ_CHECK(why != NULL && why[0] != '\0');
	free(text);
	return 0;
}
