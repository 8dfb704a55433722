#!/bin/sh
# tests/reliability/harness.sh: the concurrency load test and the kill test
# (tests/reliability/load.py) against a real web server and the real
# responders, started with the deploy scripts exactly as
# tests/e2e/harness.sh does.  load-nginx.test, load-cgi.test and
# kill-nginx.test run it for `make check` through automake's TAP driver.
#
# LOAD_SERVER selects the deployment:
#   nginx (default)  the four responders under spawn-fcgi
#                    (deploy/spawn-fcgi/library-api-spawn $LOAD_SPAWN) behind
#                    nginx (deploy/nginx/library-api-nginx): FastCGI;
#   lighttpd-cgi     lighttpd running each request as a plain CGI program
#                    (deploy/lighttpd/library-api-lighttpd): one process per
#                    request, the harshest concurrency case.
# LOAD_MODE is load (default) or kill (nginx only: SIGKILL to workers of the
# supervisor mode, library-api-spawn -W).
#
# Sets up a private instance in a temporary folder (never in the source or
# build tree): an empty LIBRARY_CONF, a fresh database and secret made by
# `library-admin init`, the responders and the server on a free loopback
# port.  It writes TMP/stop, a script that stops the servers, and runs
# load.py, which prints the TAP, runs TMP/stop itself once the load is over
# and then reads the database.  Afterwards no responder process of this
# instance may be left (after 10 s they are killed and the test fails), and
# the responders' logs are searched for sanitizer reports; a report fails
# the test.
#
# Environment: top_srcdir, top_builddir (absolute; default: this script's
# tree), PYTHON3 (empty: skip), LOAD_SPAWN (library-api-spawn options;
# default "-F 4" for load, "-W 4" for kill), KEEP_LOAD=1 keeps the
# temporary folder, LOAD_TIMEOUT (seconds, default 4 * LOAD_SECONDS + 300)
# bounds load.py; LOAD_SECONDS, LOAD_CLIENTS and the rest are load.py's (see
# its header; default here 20, or 12 in an AddressSanitizer build;
# LOAD_SECONDS=300 is the full form).  The responders run with
# LIBRARY_PASSWORD_COST=1 (unless set) and login throttling out of the way;
# in an AddressSanitizer build the CGI mode also with
# LIBRARY_BUSY_TIMEOUT=30000 (unless set).  The backup (load mode) goes to
# TMP/backup.db.
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

# quote WORD: WORD as one single-quoted sh word.
quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH
server=${LOAD_SERVER:-nginx}
mode=${LOAD_MODE:-load}
case $mode in
load) spawn_args=${LOAD_SPAWN:--F 4} ;;
kill) spawn_args=${LOAD_SPAWN:--W 4} ;;
*) bail "LOAD_MODE must be load or kill, not $mode" ;;
esac
case $server in
nginx)
	command -v nginx >/dev/null 2>&1 || skip "nginx not installed (apt-get install nginx-light)"
	command -v spawn-fcgi >/dev/null 2>&1 || skip "spawn-fcgi not installed (apt-get install spawn-fcgi)"
	;;
lighttpd-cgi)
	command -v lighttpd >/dev/null 2>&1 || skip "lighttpd not installed (apt-get install lighttpd)"
	[ "$mode" = load ] || bail "LOAD_MODE=kill needs LOAD_SERVER=nginx"
	;;
*)
	bail "LOAD_SERVER must be nginx or lighttpd-cgi, not $server"
	;;
esac
if [ -z "$PYTHON3" ] || ! command -v "$PYTHON3" >/dev/null 2>&1; then
	skip "python3 not found (apt-get install python3)"
fi

load=$top_srcdir/tests/reliability/load.py
admin=$top_builddir/src/admin/library-admin
cgibin=$top_builddir/cgi-bin
spawn=$top_srcdir/deploy/spawn-fcgi/library-api-spawn
ngx=$top_srcdir/deploy/nginx/library-api-nginx
ltd=$top_srcdir/deploy/lighttpd/library-api-lighttpd
[ -f "$load" ] || bail "missing $load"
[ -x "$admin" ] || bail "missing $admin: build first"
for name in register login users authors; do
	[ -x "$cgibin/$name" ] || bail "missing $cgibin/$name: build first"
done
# The workers per responder load.py expects; the supervisor mode must be
# there (an option library-api-spawn does not know is a usage error, 2).
workers=$(printf '%s\n' "$spawn_args" | sed -n 's/.*-[FW] *\([0-9][0-9]*\).*/\1/p')
LOAD_WORKERS=${workers:-4}
if [ "$mode" = kill ]; then
	rc=0
	# shellcheck disable=SC2086 # options, one per word
	sh "$spawn" -r /nonexistent $spawn_args status >/dev/null 2>&1 || rc=$?
	[ $rc -ne 2 ] || skip "library-api-spawn has no supervisor mode ($spawn_args)"
fi

# As root, nginx's workers run as nobody, who must reach the sockets: keep
# to /tmp (a TMPDIR may be private) and give the sockets nobody's group.
if [ "$(id -u)" -eq 0 ]; then
	tmp=$(mktemp -d /tmp/library-api-load.XXXXXX)
	set -- -G "$(id -gn nobody)"
else
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/library-api-load.XXXXXX")
	set --
fi
chmod 0755 "$tmp"
mkdir -m 0755 "$tmp/run" "$tmp/log" "$tmp/nginx" "$tmp/lighttpd"
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
server_cmd() {
	case $server in
	nginx) nginx_cmd "$@" ;;
	lighttpd-cgi) lighttpd_cmd "$@" ;;
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
	if [ "${KEEP_LOAD:-0}" = 1 ]; then
		echo "# KEEP_LOAD=1: kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap finish EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# An AddressSanitizer build runs several times slower: a shorter load, and
# in CGI mode (a sanitized process start per request, 64 at once on what may
# be 2 cores) a longer busy_timeout, since a lock holder waiting for a CPU
# is not what the test is about.  The default build keeps the shipped 5 s.
asan=
if grep -q -a __asan_init "$cgibin/authors" 2>/dev/null; then
	asan=1
	if [ "$server" = lighttpd-cgi ] && [ -z "${LIBRARY_BUSY_TIMEOUT:-}" ]; then
		LIBRARY_BUSY_TIMEOUT=30000
		export LIBRARY_BUSY_TIMEOUT
	fi
fi

LIBRARY_CONF=$tmp/library-api.conf
LIBRARY_DB=$tmp/library.db
LIBRARY_SECRET_FILE=$tmp/secret
export LIBRARY_CONF LIBRARY_DB LIBRARY_SECRET_FILE
: >"$LIBRARY_CONF"
# Cheap hashes (the load is about the database, not yescrypt) and login
# throttling out of the way (every client logs in from 127.0.0.1).
LIBRARY_PASSWORD_COST=${LIBRARY_PASSWORD_COST:-1}
LIBRARY_LOGIN_MAX_FAILURES=100000
LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS=100000
export LIBRARY_PASSWORD_COST LIBRARY_LOGIN_MAX_FAILURES \
	LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS

if ! "$admin" init >"$tmp/log/admin-init.log" 2>&1; then
	note "$tmp/log/admin-init.log"
	bail "library-admin init failed"
fi

if [ "$server" = nginx ]; then
	# shellcheck disable=SC2086 # options, one per word
	if ! spawn_cmd $spawn_args "$@" start >"$tmp/log/spawn.log" 2>&1; then
		note "$tmp/log/spawn.log"
		bail "could not start the responders ($spawn_args)"
	fi
	sed 's/^/# /' "$tmp/log/spawn.log"
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

# TMP/stop: what load.py runs once the load is over, before it reads the
# database (the same commands as cleanup, which runs them again at exit).
{
	echo "#!/bin/sh"
	echo "# made by tests/reliability/harness.sh: stop this test's servers"
	case $server in
	nginx)
		echo "sh $(quote "$ngx") -l $(quote "$listen") -r $(quote "$tmp/run") -s $(quote "$tmp/nginx") -L $(quote "$tmp/log") stop"
		echo "sh $(quote "$spawn") -b $(quote "$cgibin") -r $(quote "$tmp/run") -l $(quote "$tmp/log") stop"
		;;
	lighttpd-cgi)
		echo "sh $(quote "$ltd") -l $(quote "$listen") -b $(quote "$cgibin") -s $(quote "$tmp/lighttpd") -L $(quote "$tmp/log") stop"
		;;
	esac
} >"$tmp/stop"

url=http://$listen
# Ready once the server answers /authors with anything but a gateway error.
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

LOAD_URL=$url
LOAD_STOP=$tmp/stop
LOAD_ADMIN=$admin
LOAD_BACKUP_FILE=$tmp/backup.db
LOAD_LOG_DIR=$tmp/log
LOAD_SERVER=$server
LOAD_MODE=$mode
PYTHONDONTWRITEBYTECODE=1
export LOAD_URL LOAD_STOP LOAD_ADMIN LOAD_BACKUP_FILE LOAD_LOG_DIR LOAD_SERVER LOAD_MODE LOAD_WORKERS \
	PYTHONDONTWRITEBYTECODE
if [ "$server" = nginx ]; then
	LOAD_RUN_DIR=$tmp/run
	export LOAD_RUN_DIR
else
	unset LOAD_RUN_DIR
fi

# The bounded form for make check: 20 s of load per test, 12 s when the
# responders are built with AddressSanitizer (several times slower, and the
# CI runs the suite in both builds); LOAD_SECONDS overrides both.
if [ -z "${LOAD_SECONDS:-}" ]; then
	LOAD_SECONDS=20
	[ -z "$asan" ] || LOAD_SECONDS=12
fi
if [ -n "$asan" ]; then
	echo "# AddressSanitizer build: LOAD_SECONDS=$LOAD_SECONDS, LIBRARY_BUSY_TIMEOUT=${LIBRARY_BUSY_TIMEOUT:-default}"
fi
case $LOAD_SECONDS in
'' | *[!0-9]*) bail "LOAD_SECONDS must be a number of seconds, not $LOAD_SECONDS" ;;
esac
export LOAD_SECONDS
limit=
seconds=$LOAD_SECONDS
bound=${LOAD_TIMEOUT:-$((4 * seconds + 300))}
if command -v timeout >/dev/null 2>&1; then
	limit="timeout -k 10 $bound"
fi
status=0
# shellcheck disable=SC2086 # $limit is a command prefix or nothing
$limit "$PYTHON3" "$load" || status=$?
if [ $status -eq 124 ] && [ -n "$limit" ]; then
	echo "# load.py was stopped after $bound seconds"
	echo "Bail out! load.py did not finish in $bound seconds"
fi

# Stop everything (load.py did already, unless it failed early), then look
# for sanitizer reports (LeakSanitizer reports at exit, so only after it).
cleanup
# No responder of this instance may outlive the servers (one that hangs in
# its exit would linger for good: CGI ones are nobody's children then).
# They are the processes of a responder binary with this LIBRARY_DB.
left_over() {
	for d in /proc/[0-9]*; do
		exe=$(readlink "$d/exe" 2>/dev/null) || continue
		case $exe in "$cgibin_real"/*) ;; *) continue ;; esac
		if tr '\0' '\n' <"$d/environ" 2>/dev/null |
			grep -q -x -F "LIBRARY_DB=$LIBRARY_DB"; then
			printf ' %s' "${d#/proc/}"
		fi
	done
}
cgibin_real=$(cd "$cgibin" && pwd -P)
left=$(left_over)
waited=0
while [ -n "$left" ] && [ $waited -lt 20 ]; do
	sleep 0.5
	waited=$((waited + 1))
	left=$(left_over)
done
if [ -n "$left" ]; then
	echo "# responder processes still there 10 s after the servers stopped:$left"
	for pid in $left; do
		echo "# $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
		kill -KILL "$pid" 2>/dev/null || true
	done
	echo "Bail out! responder processes outlived the servers:$left"
	status=1
fi
reports=
for f in "$tmp"/log/*.log; do
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
# What the responders logged, in short: the number of lines per log and the
# most frequent messages (with the pid and time stripped).
for f in "$tmp"/log/register.log "$tmp"/log/login.log "$tmp"/log/users.log \
	"$tmp"/log/authors.log "$tmp"/log/responders.log; do
	[ -s "$f" ] || continue
	echo "# $(basename "$f"): $(wc -l <"$f") lines; most frequent:"
	sed -e 's/[0-9][0-9]*/N/g' "$f" | sort | uniq -c | sort -rn | head -n 5 | sed 's/^/#   /'
done
exit $status
