#!/usr/bin/env bash
# tests/run-all.sh: quick start, the whole test suite.  Run as root from
# anywhere in a checkout on a fresh Debian 12 (CI runs it through .ci/run):
#
#   1. deploy/deps.sh                  install the packages
#   2. autoreconf -fi                  at the top of the source tree
#   3. _build/default                  ../../configure --enable-werror,
#                                      make, make check
#   4. _build/asan                     the same with ASan+UBSan (responders
#                                      run under the sanitizers in the e2e
#                                      suite), make check
#   5. make distcheck                  as an unprivileged user (libtest,
#                                      created if missing) when run as root,
#                                      so that a test writing into the
#                                      read-only source tree fails
#   6. make fuzz                       every libFuzzer target for
#                                      FUZZ_SECONDS (default 60)
#   7. make check-valgrind             unit tests and the e2e suite (CGI
#                                      mode) under memcheck; RUN_VALGRIND=0
#                                      skips it
#
# Every step runs even if an earlier one failed (except that nothing runs
# without 1 and 2); the output of each is in _build/logs/STEP.log.  Ends
# with a summary and a last line "N passed, N failed": the automake test
# results (PASS and XFAIL count as passed; FAIL, XPASS and ERROR as failed;
# SKIP as neither) of the three `make check` runs, plus one failure for each
# step that failed without a failed test (a build error, say), so that line
# never reads "0 failed" for a failing run.  Exit status 0 only when every
# step passed.
#
# Environment: JOBS (make -j, default 2), SHARED_DIR (passed to the tests).
# shellcheck disable=SC2317 # the functions run through step "$@"
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
logs=$root/_build/logs
jobs=${JOBS:-2}
mkdir -p "$logs"
export AM_COLOR_TESTS=no

san_flags='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all'

steps=()
declare -A result passed failed skipped

# step NAME COMMAND...: run COMMAND (a function here: it runs in a pipeline,
# where `set -e` does not apply, so each checks its own commands), its
# output to the terminal and to _build/logs/NAME.log; remember the outcome.
step() {
	local name=$1 rc=0
	shift
	printf '\n===== %s: %s\n' "$name" "$*"
	steps+=("$name")
	passed[$name]=0 failed[$name]=0 skipped[$name]=0
	"$@" 2>&1 | tee "$logs/$name.log" || rc=$?
	if [ $rc -eq 0 ]; then
		result[$name]=ok
	else
		result[$name]="FAILED (exit $rc)"
	fi
	return $rc
}

# tally NAME: add the results, one "KEY N" per line on stdin, to NAME.
tally() {
	local key n
	while read -r key n; do
		case $key in
		PASS | XFAIL) passed[$1]=$((passed[$1] + n)) ;;
		FAIL | XPASS | ERROR) failed[$1]=$((failed[$1] + n)) ;;
		SKIP) skipped[$1]=$((skipped[$1] + n)) ;;
		esac
	done
}

# count_trs NAME: the ":test-result:" lines of the .trs files in _build/NAME.
count_trs() {
	tally "$1" < <(find "$root/_build/$1" -name '*.trs' -exec cat {} + |
		sed -n 's/^:test-result: *\([A-Z]*\).*/\1 1/p')
}

# count_summary NAME: the "# PASS: n" ... lines automake's harness printed
# (for distcheck, whose build tree is gone afterwards).
count_summary() {
	tally "$1" < <(sed -n 's/^# \(PASS\|XFAIL\|FAIL\|XPASS\|ERROR\|SKIP\): *\([0-9][0-9]*\)$/\1 \2/p' \
		"$logs/$1.log")
}

# build NAME CONFIGURE_ARGS...: configure, make and make check in
# _build/NAME; make check runs with the variables in check_env.
check_env=()
build() {
	local dir=$root/_build/$1
	shift
	mkdir -p "$dir" && cd "$dir" || return
	find . -name '*.trs' -exec rm -f {} + || return
	../../configure "$@" || return
	make -j"$jobs" || return
	env "${check_env[@]}" make -j"$jobs" check
}

# distcheck: make dist here, then unpack and run make distcheck as an
# unprivileged user in a folder of its own (root writes into distcheck's
# read-only source tree without noticing).
distcheck() {
	local tarball dir rc=0 shared=
	cd "$root/_build/default" || return
	if [ "$(id -u)" -ne 0 ]; then
		make -j"$jobs" distcheck
		return
	fi
	rm -f library-api-*.tar.gz
	make dist || return
	tarball=$(echo library-api-*.tar.gz)
	if ! id libtest >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home \
			--home-dir /nonexistent --shell /usr/sbin/nologin libtest || return
	fi
	dir=$(mktemp -d /tmp/library-api-distcheck.XXXXXX) || return
	chmod 0755 "$dir" && cp "$tarball" "$dir/" && chown -R libtest: "$dir" || return
	if [ -d "${SHARED_DIR:-$root/../shared}" ]; then
		shared=$(cd "${SHARED_DIR:-$root/../shared}" && pwd)
	fi
	echo "as libtest in $dir: tar xzf $tarball && ./configure && make distcheck"
	# shellcheck disable=SC2016 # expanded by the inner sh
	runuser -u libtest -- env -i PATH=/usr/local/bin:/usr/bin:/bin \
		HOME="$dir" LANG=C.UTF-8 AM_COLOR_TESTS=no \
		${shared:+SHARED_DIR="$shared"} \
		sh -c 'cd "$1" && tar xzf "$2" && cd "${2%.tar.gz}" &&
			./configure && make -j"$3" distcheck' \
		sh "$dir" "$tarball" "$jobs" || rc=$?
	if [ "$rc" -eq 0 ]; then
		rm -rf "$dir"
	else
		echo "distcheck failed; its tree is kept in $dir"
	fi
	return "$rc"
}

fatal=
step deps sh deploy/deps.sh || fatal=deps
if [ -z "$fatal" ]; then
	step autoreconf autoreconf -fi || fatal=autoreconf
fi
if [ -z "$fatal" ] && [ -f config.status ]; then
	# An in-tree build (deploy/quickstart.sh) stops the builds in _build/
	# ("source directory already configured").
	echo "run-all: removing the in-tree build (make distclean) first"
	step distclean make distclean || fatal=distclean
fi
if [ -z "$fatal" ]; then
	step default build default --enable-werror || true
	count_trs default
	# The sanitizer settings apply to the tests, not to configure's probes.
	check_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1)
	step asan build asan CFLAGS="$san_flags" LDFLAGS="$san_flags" || true
	count_trs asan
	step distcheck distcheck || true
	count_summary distcheck
	# Every fuzz target for FUZZ_SECONDS (60 by default), on its seeds.
	step fuzz make -C _build/default fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}" || true
	# The e2e suite with every responder under memcheck, in CGI mode.
	if [ "${RUN_VALGRIND:-1}" = 1 ]; then
		step valgrind make -C _build/default check-valgrind || true
	fi
fi

# Summary.
total_passed=0
total_failed=0
status=0
printf '\n===== Summary (logs in %s)\n' "$logs"
for name in "${steps[@]}"; do
	p=${passed[$name]} f=${failed[$name]} s=${skipped[$name]}
	case $name in
	default | asan | distcheck)
		printf '%-11s %-17s tests: %d passed, %d failed, %d skipped\n' \
			"$name" "${result[$name]}" "$p" "$f" "$s"
		;;
	*)
		printf '%-11s %s\n' "$name" "${result[$name]}"
		;;
	esac
	if [ "${result[$name]}" != ok ]; then
		status=1
		# A failed step counts as at least one failure.
		[ "$f" -gt 0 ] || f=1
	fi
	total_passed=$((total_passed + p))
	total_failed=$((total_failed + f))
done
for name in default asan; do
	if [ "${failed[$name]:-0}" -gt 0 ]; then
		echo "failed tests of $name: _build/$name/test-suite.log"
	fi
done
[ -z "$fatal" ] || echo "stopped early: $fatal failed"
echo "$total_passed passed, $total_failed failed"
exit $status
