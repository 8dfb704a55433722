# Fuzz targets: one libFuzzer target per parser of untrusted input, each
# calling the production entry point (included from the top-level
# Makefile.am; paths are relative to the top).
#
#   tests/fuzz/fuzz_X.c      the target (LLVMFuzzerTestOneInput), X one of
#                            $(FUZZ_TARGETS); its header comment says what
#                            the input is and which contracts it checks
#   tests/fuzz/corpus/X/     its seeds and every crash it ever found
#   tests/fuzz/replay.c      a main() that feeds files to one target
#
# make check builds tests/fuzz/replay_X (replay.c + fuzz_X.c, the
# configured compiler and flags, linked with the convenience library) and
# tests/fuzz/replay.test replays each corpus through it: the plain and
# the sanitizer builds both replay every seed and every crash.
#
# make fuzz [FUZZ_SECONDS=60] [FUZZ_CC=clang] [FUZZ_TARGETS='valid ...']
# builds each target with clang's libFuzzer, ASan and UBSan (a UBSan
# report is fatal, as in the sanitizer build of make check; the library
# sources compiled again into $(FUZZ_DIR)/libapi-fuzz.a, so nothing is
# shared with the regular build) and runs it for FUZZ_SECONDS on a copy of
# its seeds in $(FUZZ_DIR)/corpus/X, which keeps what it finds from one
# run to the next; the source tree is never written. It prints the
# executions and coverage of each target, and fails when a target does
# not build or finds a crash: the input is then $(FUZZ_DIR)/crash/X-*,
# to be added to tests/fuzz/corpus/X once understood. fuzz_valid also
# reads the JSONTestSuite parsing cases (copied with a table byte into
# its working corpus) when $(FUZZ_JSON_SUITE) exists. FUZZ_ARGS is
# passed to every target (e.g. FUZZ_ARGS=-max_len=65536).
FUZZ_TARGETS = valid basic token route config request keys

FUZZ_REPLAY = \
	tests/fuzz/replay_valid \
	tests/fuzz/replay_basic \
	tests/fuzz/replay_token \
	tests/fuzz/replay_route \
	tests/fuzz/replay_config \
	tests/fuzz/replay_request \
	tests/fuzz/replay_keys
tests_fuzz_replay_valid_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz_valid.c
tests_fuzz_replay_basic_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz_basic.c
tests_fuzz_replay_token_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz_token.c
tests_fuzz_replay_route_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz_route.c
tests_fuzz_replay_config_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz_config.c
tests_fuzz_replay_request_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz_request.c
tests_fuzz_replay_keys_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz_keys.c

FUZZ_TESTS = tests/fuzz/replay.test

# The corpus directories are copied whole (automake copies a directory
# listed here recursively), so a new crash file needs no Makefile change.
FUZZ_DIST = \
	tests/fuzz/local.mk \
	tests/fuzz/replay.test \
	tests/fuzz/forge_tokens.py \
	tests/fuzz/corpus

FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_FLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
FUZZ_ARGS =
FUZZ_DIR = tests/fuzz/build
FUZZ_JSON_SUITE = $${SHARED_DIR:-$(abs_top_srcdir)/../shared}/JSONTestSuite/test_parsing
FUZZ_CPPFLAGS = $(DEFS) $(DEFAULT_INCLUDES) $(INCLUDES) $(AM_CPPFLAGS) \
	-U_FORTIFY_SOURCE \
	$(CPPFLAGS) -std=c11 $(JSONC_CFLAGS) $(SQLITE_CFLAGS) $(JWT_CFLAGS) \
	$(XCRYPT_CFLAGS)
FUZZ_LIBS = $(JSONC_LIBS) $(SQLITE_LIBS) $(JWT_LIBS) $(XCRYPT_LIBS) \
	$(FCGI_LIBS) $(LIBS)

fuzz-build:
	@set -e; d='$(FUZZ_DIR)'; \
	mkdir -p "$$d/lib"; rm -f "$$d/libapi-fuzz.a"; objs=; \
	for s in $(src_lib_libapi_la_SOURCES); do \
		case $$s in *.c) ;; *) continue ;; esac; \
		o="$$d/lib/`basename $$s .c`.o"; \
		echo "  FUZZCC   $$s"; \
		$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link \
		    $(FUZZ_CPPFLAGS) -c -o "$$o" "$(srcdir)/$$s"; \
		objs="$$objs $$o"; \
	done; \
	$(AR) cr "$$d/libapi-fuzz.a" $$objs; \
	for t in $(FUZZ_TARGETS); do \
		echo "  FUZZLD   $$d/fuzz_$$t"; \
		$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_CPPFLAGS) \
		    -o "$$d/fuzz_$$t" "$(srcdir)/tests/fuzz/fuzz_$$t.c" \
		    "$$d/libapi-fuzz.a" $(FUZZ_LIBS); \
	done

fuzz: fuzz-build
	@d='$(FUZZ_DIR)'; failed=; \
	mkdir -p "$$d/crash"; \
	for t in $(FUZZ_TARGETS); do \
		c="$$d/corpus/$$t"; mkdir -p "$$c"; \
		cp "$(srcdir)/tests/fuzz/corpus/$$t"/* "$$c/"; \
		j=$(FUZZ_JSON_SUITE); \
		if test "$$t" = valid && test -d "$$j"; then \
			for f in "$$j"/*.json; do \
				{ printf 1; cat "$$f"; } \
				    > "$$c/jts-`basename "$$f" .json`"; \
			done; \
		fi; \
		echo "  FUZZ     $$t: $(FUZZ_SECONDS) s, corpus $$c"; \
		"$$d/fuzz_$$t" -max_total_time=$(FUZZ_SECONDS) \
		    -print_final_stats=1 -artifact_prefix="$$d/crash/$$t-" \
		    $(FUZZ_ARGS) "$$c" > "$$d/fuzz_$$t.log" 2>&1; \
		rc=$$?; \
		execs=`sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$$d/fuzz_$$t.log" | tail -n 1`; \
		cov=`grep -E '^#[0-9]+' "$$d/fuzz_$$t.log" | tail -n 1 | \
		    sed -n 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*\(corp: [^ ]*\).*/\1 \2 \3/p'`; \
		if test $$rc -eq 0; then \
			echo "  OK       $$t: $$execs executions, $$cov"; \
		else \
			echo "  CRASH    $$t: exit $$rc after $$execs executions, $$cov; log $$d/fuzz_$$t.log:"; \
			grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*contract broken|artifact_prefix|Test unit written)' \
			    "$$d/fuzz_$$t.log" | sed 's/^/           /'; \
			failed="$$failed $$t"; \
		fi; \
	done; \
	if test -n "$$failed"; then \
		echo "fuzz: crashes in:$$failed (inputs in $$d/crash)" >&2; \
		exit 1; \
	fi

clean-fuzz:
	-rm -rf $(FUZZ_DIR)

clean-local: clean-fuzz

.PHONY: fuzz fuzz-build clean-fuzz
