#!/bin/sh
# tests/e2e/harness.sh: the end-to-end suite against a real web server and
# the real responders; nginx.test and lighttpd-cgi.test run it for `make
# check` through automake's TAP driver, `make check-valgrind` runs it with
# E2E_SERVER=lighttpd-cgi E2E_VALGRIND=1.
#
# E2E_SERVER selects the deployment:
#   nginx (default)  the four responders under spawn-fcgi
#                    (deploy/spawn-fcgi/library-api-spawn) behind nginx
#                    (deploy/nginx/library-api-nginx): FastCGI;
#   lighttpd-cgi     lighttpd running each request as a plain CGI program
#                    (deploy/lighttpd/library-api-lighttpd); with
#                    E2E_VALGRIND=1 every responder runs under valgrind's
#                    memcheck, and any error or definite leak fails;
#   apache-fcgid     the shared-hosting drop-in folder (make
#                    cgi-bin-folder: the .fcgi programs, .htaccess, lib/)
#                    copied into the document root of a private Apache 2.4
#                    (tests/apache/library-api-apache) as /api/, configured
#                    only by its .htaccess, run by mod_fcgid as FastCGI;
#   apache-cgi       the same with mod_cgid: every request as plain CGI.
#                    For both, Apache starts with an empty environment: the
#                    settings are in a library-api.conf above the folder,
#                    which the folder's programs find themselves; as root,
#                    Apache's children run as nobody and, unless
#                    E2E_HIDE_LIBS=0, the system copies of the libraries
#                    the folder brings along (or links statically) are
#                    hidden from the programs (a private mount namespace).
#                    In a sanitizer build apache-cgi is skipped (minutes)
#                    unless E2E_APACHE_FULL=1.
#
# Sets up a private instance in a temporary folder (never in the source or
# build tree): an empty LIBRARY_CONF, a fresh database and secret made by
# `library-admin init`, the responders and the server on a free loopback
# port.  Then runs tests/e2e/e2e.py, which
# prints the TAP; its output and exit status are passed through.  Afterwards
# the responders are stopped (SIGUSR1: they leave main() normally, so
# LeakSanitizer runs) and their logs are searched for sanitizer reports; a
# report, or a responder that died during the run, fails the test.
#
# Environment: top_srcdir, top_builddir (absolute; default: this script's
# tree), PYTHON3 (empty: skip), SHARED_DIR (default $top_srcdir/../shared,
# passed on only if it exists), KEEP_E2E=1 keeps the temporary folder,
# E2E_TIMEOUT (seconds, default 900) bounds e2e.py.  Settings such as
# LIBRARY_PASSWORD_COST or LIBRARY_TOKEN_LIFETIME are passed on as they are;
# the suite's own are set here (see below): LIBRARY_CLOCK_LEEWAY=0 and
# LIBRARY_LOGIN_MAX_FAILURES / LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS of
# 100000.
#
# Works as root (nginx workers then run as nobody: the folder is 0755 and
# the sockets belong to nobody's group) and as an unprivileged user.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
PYTHON3=${PYTHON3-python3}

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

bail() {
	echo "Bail out! $*"
	exit 1
}

# note FILE...: show files as TAP comments (they land in the test's log).
note() {
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "# --- $f (last lines)"
		tail -n 20 "$f" | sed 's/^/# /'
	done
}

# The servers live in /usr/sbin, which an unprivileged PATH may lack.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH
server=${E2E_SERVER:-nginx}
case $server in
nginx)
	command -v nginx >/dev/null 2>&1 || skip "nginx not installed (apt-get install nginx-light)"
	command -v spawn-fcgi >/dev/null 2>&1 || skip "spawn-fcgi not installed (apt-get install spawn-fcgi)"
	;;
lighttpd-cgi)
	command -v lighttpd >/dev/null 2>&1 || skip "lighttpd not installed (apt-get install lighttpd)"
	if [ "${E2E_VALGRIND:-0}" = 1 ]; then
		command -v valgrind >/dev/null 2>&1 || skip "valgrind not installed (apt-get install valgrind)"
	fi
	;;
apache-fcgid | apache-cgi)
	# (/usr/sbin is often not in an unprivileged user's PATH.)
	if ! command -v apache2 >/dev/null 2>&1 && [ ! -x /usr/sbin/apache2 ]; then
		skip "apache2 not installed (apt-get install apache2)"
	fi
	if [ "$server" = apache-fcgid ] &&
		[ ! -f /usr/lib/apache2/modules/mod_fcgid.so ]; then
		skip "mod_fcgid not installed (apt-get install libapache2-mod-fcgid)"
	fi
	# Under a sanitizer build each CGI request starts an instrumented
	# process: the whole suite then takes minutes (lighttpd-cgi already
	# runs the responders as CGI under the sanitizers, and apache-fcgid
	# runs this folder under them). E2E_APACHE_FULL=1 runs it anyway.
	if [ "$server" = apache-cgi ] && [ "${E2E_APACHE_FULL:-0}" != 1 ] &&
		ldd "$top_builddir/cgi-bin/login" 2>/dev/null | grep -q 'libasan\.so'; then
		skip "apache-cgi in a sanitizer build (minutes; lighttpd-cgi covers CGI mode, apache-fcgid the folder): E2E_APACHE_FULL=1 runs it"
	fi
	;;
*)
	bail "E2E_SERVER must be nginx, lighttpd-cgi, apache-fcgid or apache-cgi, not $server"
	;;
esac
if [ -z "$PYTHON3" ] || ! command -v "$PYTHON3" >/dev/null 2>&1; then
	skip "python3 not found (apt-get install python3)"
fi

e2e=$top_srcdir/tests/e2e/e2e.py
admin=$top_builddir/src/admin/library-admin
cgibin=$top_builddir/cgi-bin
spawn=$top_srcdir/deploy/spawn-fcgi/library-api-spawn
ngx=$top_srcdir/deploy/nginx/library-api-nginx
ltd=$top_srcdir/deploy/lighttpd/library-api-lighttpd
apa=$top_srcdir/tests/apache/library-api-apache
folder=$top_builddir/cgi-bin-folder
[ -f "$e2e" ] || bail "missing $e2e"
[ -x "$admin" ] || bail "missing $admin: build first"
for name in register login users authors; do
	[ -x "$cgibin/$name" ] || bail "missing $cgibin/$name: build first"
	case $server in
	apache-*)
		[ -x "$folder/$name.fcgi" ] ||
			bail "missing $folder/$name.fcgi: make cgi-bin-folder first"
		;;
	esac
done

# As root, nginx's workers run as nobody, who must reach the sockets: keep
# to /tmp (a TMPDIR may be private) and give the sockets nobody's group.
if [ "$(id -u)" -eq 0 ]; then
	tmp=$(mktemp -d /tmp/library-api-e2e.XXXXXX)
	set -- -G "$(id -gn nobody)"
else
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/library-api-e2e.XXXXXX")
	set --
fi
chmod 0755 "$tmp"
mkdir -m 0755 "$tmp/run" "$tmp/log" "$tmp/nginx" "$tmp/lighttpd" "$tmp/vg"
spawn_cmd() {
	sh "$spawn" -b "$cgibin" -r "$tmp/run" -l "$tmp/log" "$@"
}
listen=
nginx_cmd() {
	sh "$ngx" -l "$listen" -r "$tmp/run" -s "$tmp/nginx" -L "$tmp/log" "$@"
}
lighttpd_cmd() {
	sh "$ltd" -l "$listen" -b "$cgibin" -s "$tmp/lighttpd" -L "$tmp/log" "$@"
}
# Apache: the folder is $tmp/www/api; as root the children run as nobody
# and the system libraries listed in $tmp/hidden-libs are hidden.
apache_cmd() {
	if [ "$(id -u)" -eq 0 ]; then
		sh "$apa" -m "${server#apache-}" -l "$listen" -d "$tmp/www" \
			-s "$tmp/apache" -L "$tmp/log" -u nobody \
			${hide:+-H "$tmp/hidden-libs"} "$@"
	else
		sh "$apa" -m "${server#apache-}" -l "$listen" -d "$tmp/www" \
			-s "$tmp/apache" -L "$tmp/log" "$@"
	fi
}
# server_cmd start|stop: the web server of this deployment.
server_cmd() {
	case $server in
	nginx) nginx_cmd "$@" ;;
	lighttpd-cgi) lighttpd_cmd "$@" ;;
	apache-*) apache_cmd "$@" ;;
	esac
}

cleaned=
cleanup() {
	[ -z "$cleaned" ] || return 0
	cleaned=1
	if [ -n "$listen" ]; then
		server_cmd stop >/dev/null 2>&1 || true
	fi
	[ "$server" != nginx ] || spawn_cmd stop >/dev/null 2>&1 || true
}
# shellcheck disable=SC2317 # run by the EXIT trap
finish() {
	cleanup
	if [ "${KEEP_E2E:-0}" = 1 ]; then
		echo "# KEEP_E2E=1: kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap finish EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

LIBRARY_CONF=$tmp/library-api.conf
LIBRARY_DB=$tmp/library.db
LIBRARY_SECRET_FILE=$tmp/secret
export LIBRARY_CONF LIBRARY_DB LIBRARY_SECRET_FILE
: >"$LIBRARY_CONF"

# Apache: the folder in a document root; the database and the key in a
# folder of their own (the server's user must create the database's WAL
# files next to it); the configuration above the folder, where its
# programs look for it (they get no environment), with the settings below.
hide=
case $server in
apache-*)
	mkdir -m 0755 "$tmp/www" "$tmp/data" "$tmp/apache"
	cp -R "$folder" "$tmp/www/api"
	LIBRARY_DB=$tmp/data/library.db
	LIBRARY_SECRET_FILE=$tmp/data/secret
	{
		echo "# written by tests/e2e/harness.sh for $server"
		echo "database = $LIBRARY_DB"
		echo "secret_file = $LIBRARY_SECRET_FILE"
		echo "clock_leeway = 0"
		echo "login_max_failures = 100000"
		echo "login_max_failures_per_address = 100000"
		for v in TOKEN_LIFETIME PASSWORD_COST ISSUER AUDIENCE LOGIN_WINDOW \
			BUSY_TIMEOUT SYNCHRONOUS; do
			eval "val=\${LIBRARY_$v-}"
			[ -z "$val" ] || echo "$(echo "$v" | tr '[:upper:]' '[:lower:]') = $val"
		done
	} >"$LIBRARY_CONF"
	# The system copies of what the folder brings along or links
	# statically: what the regular build's responders load, less the C
	# library and the compiler's runtimes (sanitizer builds).
	if [ "$(id -u)" -eq 0 ] && [ "${E2E_HIDE_LIBS:-1}" = 1 ] &&
		! unshare -m --propagation private true 2>/dev/null; then
		echo "# unshare -m does not work here: the system libraries stay visible"
	elif [ "$(id -u)" -eq 0 ] && [ "${E2E_HIDE_LIBS:-1}" = 1 ]; then
		hide=1
		for name in register login users authors; do
			ldd "$cgibin/$name"
		done | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
			while read -r soname path; do
				case $soname in
				libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | \
					librt.so.* | ld-linux*) ;;
				libasan.so.* | libubsan.so.* | liblsan.so.* | \
					libstdc++.so.* | libgcc_s.so.*) ;;
				*) readlink -f "$path" ;;
				esac
			done | sort -u >"$tmp/hidden-libs"
		echo "# hidden from the folder's programs: $(tr '\n' ' ' <"$tmp/hidden-libs")"
	fi
	;;
esac

# The suite's settings, for the responders and e2e.py's CGI runs alike: no
# clock leeway (a token with a 1-second lifetime must be refused 2.5 s
# later), and login throttling out of the way (the suite fails many logins
# on purpose, all from 127.0.0.1; e2e.py tests the throttle by running the
# login and users responders as CGI with their own limits).
LIBRARY_CLOCK_LEEWAY=0
LIBRARY_LOGIN_MAX_FAILURES=100000
LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS=100000
export LIBRARY_CLOCK_LEEWAY LIBRARY_LOGIN_MAX_FAILURES \
	LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS

if ! "$admin" init >"$tmp/log/admin-init.log" 2>&1; then
	note "$tmp/log/admin-init.log"
	bail "library-admin init failed"
fi
# As root, Apache's children (and so the programs) run as nobody.
case $server in
apache-*)
	[ "$(id -u)" -ne 0 ] || chown -R nobody:"$(id -gn nobody)" "$tmp/data"
	;;
esac

if [ "$server" = nginx ]; then
	if ! spawn_cmd -F 2 "$@" start >"$tmp/log/spawn.log" 2>&1; then
		note "$tmp/log/spawn.log"
		bail "could not start the responders"
	fi
	sed 's/^/# /' "$tmp/log/spawn.log"
fi
if [ "${E2E_VALGRIND:-0}" = 1 ]; then
	# One log per process; -q writes only what it finds.
	LIBRARY_CGI_PREFIX="valgrind -q --error-exitcode=99 --leak-check=full"
	LIBRARY_CGI_PREFIX="$LIBRARY_CGI_PREFIX --show-leak-kinds=definite"
	LIBRARY_CGI_PREFIX="$LIBRARY_CGI_PREFIX --errors-for-leak-kinds=definite"
	LIBRARY_CGI_PREFIX="$LIBRARY_CGI_PREFIX --suppressions=$top_srcdir/tests/valgrind.supp"
	LIBRARY_CGI_PREFIX="$LIBRARY_CGI_PREFIX --log-file=$tmp/vg/%p.log"
	export LIBRARY_CGI_PREFIX
fi

# A free loopback port; another program may take it before the server binds
# it, so try a few.
tries=0
while :; do
	port=$("$PYTHON3" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
	listen=127.0.0.1:$port
	if server_cmd start >"$tmp/log/server-start.log" 2>&1; then
		break
	fi
	tries=$((tries + 1))
	if [ $tries -ge 5 ]; then
		note "$tmp/log/server-start.log" "$tmp/log/error.log"
		bail "could not start $server"
	fi
done
sed 's/^/# /' "$tmp/log/server-start.log"

url=http://$listen
case $server in
apache-*) url=http://$listen/api ;;
esac
# Ready once nginx answers /authors with anything but a gateway error.
if ! "$PYTHON3" - "$url/authors" <<'EOF'; then
import sys, time, urllib.request, urllib.error
deadline = time.time() + 30
while True:
    try:
        status = urllib.request.urlopen(sys.argv[1], timeout=5).status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError:
        status = None
    if status is not None and status not in (502, 503, 504):
        sys.exit(0)
    if time.time() > deadline:
        sys.exit(1)
    time.sleep(0.1)
EOF
	note "$tmp/log/error.log" "$tmp/log/authors.log"
	bail "$url/authors did not answer"
fi
echo "# library-api at $url, logs in $tmp/log"

shared=${SHARED_DIR:-$top_srcdir/../shared}
if [ -d "$shared" ]; then
	SHARED_DIR=$(cd "$shared" && pwd)
	export SHARED_DIR
else
	unset SHARED_DIR
fi
LIBRARY_API_URL=$url
LIBRARY_ADMIN=$admin
LIBRARY_CGI_BIN=$cgibin
LIBRARY_LOG_DIR=$tmp/log
PYTHONDONTWRITEBYTECODE=1
E2E_SERVER=$server
export E2E_SERVER LIBRARY_API_URL LIBRARY_ADMIN LIBRARY_CGI_BIN LIBRARY_LOG_DIR \
	PYTHONDONTWRITEBYTECODE

limit=
if command -v timeout >/dev/null 2>&1; then
	limit="timeout -k 10 ${E2E_TIMEOUT:-900}"
fi
status=0
# shellcheck disable=SC2086 # $limit is a command prefix or nothing
$limit "$PYTHON3" "$e2e" || status=$?
if [ $status -eq 124 ] && [ -n "$limit" ]; then
	echo "# e2e.py was stopped after ${E2E_TIMEOUT:-900} seconds"
fi

# A responder that died during the run (crash, abort) is a failure even if
# every request happened to get an answer.
if [ "$server" = nginx ] &&
	! spawn_cmd status >"$tmp/log/spawn-status.log" 2>&1; then
	sed 's/^/# /' "$tmp/log/spawn-status.log"
	echo "Bail out! a responder died during the run"
	status=1
fi

# Stop everything, then look for sanitizer reports (LeakSanitizer reports at
# exit, so only after the stop).
cleanup
reports=
for f in "$tmp"/log/register.log "$tmp"/log/login.log "$tmp"/log/users.log \
	"$tmp"/log/authors.log "$tmp"/log/admin-init.log "$tmp"/log/error.log \
	"$tmp"/log/responders.log; do
	if grep -q -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$f" 2>/dev/null; then
		reports="$reports $f"
	fi
done
if [ -n "$reports" ]; then
	for f in $reports; do
		echo "# --- sanitizer report in $f"
		grep -E -A 30 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$f" | head -n 60 | sed 's/^/# /'
	done
	echo "Bail out! sanitizer reports in:$reports"
	status=1
fi
# Under valgrind: any memory error or definite leak in any process fails.
if [ "${E2E_VALGRIND:-0}" = 1 ]; then
	runs=$(grep -l . "$tmp"/vg/*.log 2>/dev/null | wc -l)
	echo "# valgrind: $runs of $(ls "$tmp"/vg | wc -l) process logs have findings"
	for f in "$tmp"/vg/*.log; do
		[ -s "$f" ] || continue
		echo "# --- valgrind report $f"
		head -n 40 "$f" | sed 's/^/# /'
	done
	if [ "$runs" -gt 0 ]; then
		echo "Bail out! valgrind found errors or leaks in $runs processes"
		status=1
	fi
fi
exit $status
