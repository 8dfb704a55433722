# Unit tests: each links the convenience library directly and prints TAP.
# (included from the top-level Makefile.am; paths are relative to the top)
#
# One program per module of src/lib; tests/unit/tap.h is the TAP helper.
# They write only under $TMPDIR (or /tmp). t_valid replays the
# JSONTestSuite parsing cases from $SHARED_DIR/JSONTestSuite, else from
# $top_srcdir/../shared/JSONTestSuite, and skips them when neither exists.
UNIT_TESTS += \
	tests/unit/t_util \
	tests/unit/t_conf \
	tests/unit/t_errors \
	tests/unit/t_route \
	tests/unit/t_valid \
	tests/unit/t_auth \
	tests/unit/t_password \
	tests/unit/t_token \
	tests/unit/t_request \
	tests/unit/t_response \
	tests/unit/t_store \
	tests/unit/t_app
tests_unit_t_util_SOURCES = tests/unit/t_util.c tests/unit/tap.h
tests_unit_t_conf_SOURCES = tests/unit/t_conf.c tests/unit/tap.h
tests_unit_t_errors_SOURCES = tests/unit/t_errors.c tests/unit/tap.h
tests_unit_t_route_SOURCES = tests/unit/t_route.c tests/unit/tap.h
tests_unit_t_valid_SOURCES = tests/unit/t_valid.c tests/unit/tap.h
tests_unit_t_auth_SOURCES = tests/unit/t_auth.c tests/unit/tap.h
tests_unit_t_password_SOURCES = tests/unit/t_password.c tests/unit/tap.h
tests_unit_t_token_SOURCES = tests/unit/t_token.c tests/unit/tap.h
tests_unit_t_request_SOURCES = tests/unit/t_request.c tests/unit/tap.h
tests_unit_t_response_SOURCES = tests/unit/t_response.c tests/unit/tap.h
tests_unit_t_store_SOURCES = tests/unit/t_store.c tests/unit/tap.h
tests_unit_t_app_SOURCES = tests/unit/t_app.c tests/unit/tap.h
UNIT_TESTS += tests/unit/t_migrate
tests_unit_t_migrate_SOURCES = tests/unit/t_migrate.c tests/unit/tap.h
UNIT_TESTS += tests/unit/t_plan
tests_unit_t_plan_SOURCES = tests/unit/t_plan.c tests/unit/tap.h
