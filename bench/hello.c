/*
 * hello: the bare libfcgi responder of bench/run. It answers every
 * request with the same small JSON body and library-api's headers, and
 * nothing else: the floor that the web server hop and libfcgi set.
 * FastCGI when standard input is a listening socket, else one CGI request
 * (the floor of a cold start).
 */
#include "baseline.h"

static void
hello(const struct bl_req *r)
{
	static const char body[] = "{\"message\":\"hello\"}";

	bl_respond(r, "200 OK", body, sizeof(body) - 1);
}

int
main(void)
{
	return bl_serve(hello);
}
