# Reliability tests: the concurrency load test and the kill test against
# the real responders behind a real web server (included from the
# top-level Makefile.am, after EXTRA_DIST is set; paths are relative to the
# top).
#
#   tests/reliability/load.py          the load, the races, the killer and
#                                      the database check; prints TAP
#   tests/reliability/harness.sh       a private instance from the deploy
#                                      scripts (as tests/e2e/harness.sh)
#   tests/reliability/load-nginx.test  nginx + spawn-fcgi -F 4; races;
#                                      library-admin backup under the load,
#                                      then restore with the API running
#   tests/reliability/load-cgi.test    lighttpd, every request a CGI
#                                      process; the same checks
#   tests/reliability/kill-nginx.test  SIGKILL to workers, spawn-fcgi -W 4
#   tests/reliability/term-close.test  SIGTERM to a CGI responder while it
#                                      closes the database (a few seconds)
#
# make check runs the bounded form: 20 s of load per test (12 s when the
# responders are built with AddressSanitizer), about 90 s for the four.
# The full form, a few minutes each:
#   LOAD_SECONDS=300 make check TESTS='tests/reliability/load-nginx.test
#       tests/reliability/load-cgi.test tests/reliability/kill-nginx.test'
# (LOAD_CLIENTS, LOAD_SEED, KEEP_LOAD=1 and the rest: see the headers of
# load.py and harness.sh; the figures are at the end of each test's .log).
RELIABILITY_TESTS = \
	tests/reliability/load-nginx.test \
	tests/reliability/load-cgi.test \
	tests/reliability/kill-nginx.test \
	tests/reliability/term-close.test
E2E_TESTS += $(RELIABILITY_TESTS)
EXTRA_DIST += \
	tests/reliability/local.mk \
	tests/reliability/load.py \
	tests/reliability/harness.sh \
	$(RELIABILITY_TESTS)
