/*
 * limits.h: every cap the API enforces, in one place, with its unit.
 * Sizes are bytes unless the name says code points (CP).
 */
#ifndef LIBAPI_LIMITS_H
#define LIBAPI_LIMITS_H

#define LIMIT_BODY_MAX		65536	/* bytes of request body */
#define LIMIT_PATH_MAX		1024	/* bytes of routed path */
#define LIMIT_QUERY_MAX		1024	/* bytes of query string */
#define LIMIT_HEADER_MAX	8192	/* bytes of one credential header */
#define LIMIT_TOKEN_MAX		4096	/* bytes of a JWT, checked before libjwt */
#define LIMIT_BASIC_DECODED	2048	/* bytes of decoded Basic credentials */

#define LIMIT_NAME_CP		100	/* code points: user and author names */
#define LIMIT_BOOK_CP		200	/* code points: book titles */
#define LIMIT_COUNTRY_CP	100	/* code points: country */
#define LIMIT_TEXT_BYTES(cp)	((cp) * 4) /* UTF-8 worst case for cp */
#define LIMIT_PASSWORD_MIN	8	/* bytes */
#define LIMIT_PASSWORD_MAX	1024	/* bytes */

#define LIMIT_PAGE_DEFAULT	100	/* rows of GET /authors without limit */
#define LIMIT_PAGE_MAX		1000	/* rows of GET /authors at most */
#define LIMIT_OFFSET_MAX	1000000000 /* rows skipped at most */

#define LIMIT_SECRET_MIN	32	/* bytes of HMAC key */
#define LIMIT_SECRET_MAX	4096	/* bytes of HMAC key file */
#define LIMIT_CONF_MAX		65536	/* bytes of configuration file */
#define LIMIT_CONF_LINE		1024	/* bytes of one configuration line */

#define LIMIT_LIFETIME_MIN	1	/* seconds of token lifetime */
#define LIMIT_LIFETIME_MAX	2592000	/* seconds (30 days) */
#define LIMIT_WORKERS_MAX	64	/* worker processes under one supervisor */
#define LIMIT_LIFETIME_DEFAULT	1800	/* seconds (30 minutes) */

#define LIMIT_JSON_DEPTH	16	/* nesting accepted by the parser */

#endif
