#!/usr/bin/env bash
# deploy/quickstart.sh: quick start, serve library-api locally.  Run as root
# from anywhere in a checkout on a fresh Debian 12:
#
#   deploy/quickstart.sh [start]   install the packages (deploy/deps.sh), build
#                                  in ./build, set up ./state and serve
#                                  on http://127.0.0.1:${PORT:-8080}, then walk
#                                  through the API with curl
#   deploy/quickstart.sh stop      stop what a previous start started
#   deploy/quickstart.sh status    show what is running
#
# Everything lives in ./state (mode 0755): library.db and secret (made once by
# `library-admin init`; delete the folder to start afresh), library-api.conf
# (empty, so that a system-wide /etc/library-api.conf cannot interfere),
# run/ (sockets, pid files), log/ (responder and nginx logs), nginx/
# (generated nginx configuration).  A second start stops the first instance
# and starts a new one.  nginx listens on 127.0.0.1 only; the responders on
# unix sockets only.  Started as root, the responders run as the system user
# library-api (created if missing), which then owns ./state.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
state=$root/state
port=${PORT:-8080}
listen=127.0.0.1:$port
url=http://$listen
spawn=$root/deploy/spawn-fcgi/library-api-spawn
ngx=$root/deploy/nginx/library-api-nginx
action=${1:-start}

say() {
	printf '\n== %s\n' "$*"
}

die() {
	echo "quickstart: $*" >&2
	exit 1
}

# The socket folder: state/run, unless nginx's workers (nobody, when we are
# root) cannot reach it, e.g. in a checkout below /root (mode 0700); then a
# folder in /run.  The choice is remembered for stop.
rundir_file=$state/rundir
rundir() {
	if [ -f "$rundir_file" ]; then
		cat "$rundir_file"
	else
		echo "$state/run"
	fi
}

stop_all() {
	local rd
	rd=$(rundir)
	if [ -d "$state/nginx" ]; then
		sh "$ngx" -s "$state/nginx" stop
	fi
	if [ -d "$rd" ]; then
		sh "$spawn" -b "$root/build/cgi-bin" -r "$rd" -l "$state/log" stop
	fi
}

status_all() {
	local rc=0
	sh "$ngx" -s "$state/nginx" status || rc=$?
	sh "$spawn" -r "$(rundir)" -l "$state/log" status || rc=$?
	return $rc
}

case $action in
start) ;;
stop)
	stop_all
	exit 0
	;;
status)
	status_all
	exit
	;;
*)
	echo "usage: $0 [start|stop|status]" >&2
	exit 2
	;;
esac

case $port in
'' | *[!0-9]*) die "PORT must be a number, not '$port'" ;;
esac

say "Packages (deploy/deps.sh)"
sh deploy/deps.sh

say "Build"
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
	[ Makefile.am -nt configure ]; then
	autoreconf -fi
fi
# Out of tree, in ./build, so that tests/run-all.sh (which builds in
# ./_build) never removes what this instance runs. An in-tree build made by
# hand would make configure refuse a build folder: clean it first.
if [ -f config.status ]; then
	make distclean >/dev/null
fi
mkdir -p build
if [ ! -f build/config.status ] || [ configure -nt build/config.status ]; then
	(cd build && ../configure)
fi
make -C build -j2

say "State in $state"
mkdir -p "$state"
chmod 0755 "$state"
export LIBRARY_CONF=$state/library-api.conf
export LIBRARY_DB=$state/library.db
export LIBRARY_SECRET_FILE=$state/secret
[ -e "$LIBRARY_CONF" ] || : >"$LIBRARY_CONF"
admin=$root/build/src/admin/library-admin
# As root, the responders (and library-admin, which writes the same files)
# run as the unprivileged system user library-api, which owns the state;
# nothing that parses requests runs as root.
svc=
as_svc=()
spawn_user=()
if [ "$(id -u)" -eq 0 ]; then
	if ! id -u library-api >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin library-api
	fi
	if runuser -u library-api -- test -x "$root/build/cgi-bin/authors" \
		2>/dev/null; then
		svc=library-api
		mkdir -p "$state/log"
		chown library-api: "$state" "$state/log"
		for f in "$LIBRARY_CONF" "$state"/library.db* "$LIBRARY_SECRET_FILE" \
			"$state"/log/*.log; do
			[ -e "$f" ] && chown library-api: "$f"
		done
		as_svc=(runuser -u library-api --)
		spawn_user=(-u library-api)
	else
		echo "warning: the user library-api cannot reach $root/build;" \
			"the responders run as root (check out elsewhere, e.g. /srv)"
	fi
fi
if [ ! -e "$LIBRARY_SECRET_FILE" ]; then
	"${as_svc[@]}" env LIBRARY_CONF="$LIBRARY_CONF" LIBRARY_DB="$LIBRARY_DB" \
		LIBRARY_SECRET_FILE="$LIBRARY_SECRET_FILE" "$admin" init
else
	echo "keeping $LIBRARY_DB and $LIBRARY_SECRET_FILE (rm -r state to start afresh)"
fi

say "Servers"
stop_all
rm -f "$rundir_file"
rd=$state/run
group=()
if [ "$(id -u)" -eq 0 ]; then
	mkdir -p "$rd"
	chmod 0755 "$rd"
	if ! runuser -u nobody -- test -x "$rd" 2>/dev/null; then
		rd=/run/library-api-quickstart
		echo "nginx's workers (nobody) cannot reach $state/run; sockets go to $rd"
		echo "$rd" >"$rundir_file"
	fi
	# The sockets (0660) belong to the group nginx's workers run as.
	group=(-G "$(id -gn nobody)")
fi
# One supervisor per responder keeps two workers and restarts one that dies.
if ! sh "$spawn" -b "$root/build/cgi-bin" -r "$rd" -l "$state/log" -W 2 \
	"${group[@]}" "${spawn_user[@]}" start; then
	# A responder refuses a bad setting and says why in its log.
	for f in "$state"/log/register.log "$state"/log/login.log \
		"$state"/log/users.log "$state"/log/authors.log; do
		[ -s "$f" ] && { echo "--- $f"; tail -n 3 "$f"; }
	done
	sh "$spawn" -b "$root/build/cgi-bin" -r "$rd" -l "$state/log" stop \
		>/dev/null 2>&1 || true
	die "the responders did not start (see above and $state/log/)"
fi
sh "$ngx" -l "$listen" -r "$rd" -s "$state/nginx" -L "$state/log" start ||
	die "nginx did not start; is port $port taken? (try PORT=8081 $0)"

# Ready once /authors gets an answer from the responder, not a gateway error.
tries=0
until code=$(curl -s -o /dev/null -w '%{http_code}' "$url/authors") &&
	[ "$code" != 000 ] && [ "$code" != 502 ] && [ "$code" != 503 ] && [ "$code" != 504 ]; do
	tries=$((tries + 1))
	[ $tries -lt 100 ] || die "$url/authors does not answer; see $state/log/"
	sleep 0.1
done

# show_arg ARG: ARG as a shell word to copy, with the token as "$TOKEN".
TOKEN=
show_arg() {
	local a=$1 q="'\\''"
	if [ -n "$TOKEN" ] && [[ $a == *"$TOKEN"* ]]; then
		printf ' "%s"' "${a//"$TOKEN"/\$TOKEN}"
	elif [[ $a =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
		printf ' %s' "$a"
	else
		printf " '%s'" "${a//\'/$q}"
	fi
}

# step TITLE EXPECTED_STATUS CURL_ARGS...: show the command, run it, show the
# response; stop when the status is not the expected one.
body=
step() {
	local title=$1 want=$2 got a
	shift 2
	printf '\n-- %s\n$ curl' "$title"
	for a in "$@"; do
		show_arg "$a"
	done
	printf '\n'
	got=$(curl -s -o "$state/response" -w '%{http_code}' "$@") || got=000
	body=$(cat "$state/response")
	printf '%s\n[HTTP %s]\n' "$body" "$got"
	[ "$got" = "$want" ] || die "expected HTTP $want; responder logs are in $state/log/"
}

# json_get KEY...: a member of the last response body.
json_get() {
	python3 -c 'import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2:]:
    v = v[k]
print(v)' "$body" "$@"
}

say "Walkthrough against $url"
name=reader-$(date +%s)
# A fresh random password each run: the demo user is not a known account.
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
step "Register a user" 201 -X POST -H 'Content-Type: application/json' \
	-d "{\"name\":\"$name\",\"password\":\"$password\"}" "$url/register"
step "Log in with HTTP Basic credentials: a token and its lifetime" 200 \
	-u "$name:$password" "$url/login"
TOKEN=$(json_get token)
echo "export TOKEN=$TOKEN"
step "Create an author (token in x-access-tokens)" 201 -X POST \
	-H 'Content-Type: application/json' -H "x-access-tokens: $TOKEN" \
	-d '{"name":"Hilary Mantel","book":"Wolf Hall","country":"United Kingdom","booker_prize":true}' \
	"$url/authors"
id=$(json_get author id)
step "List the authors" 200 -H "x-access-tokens: $TOKEN" "$url/authors"
step "Delete the author (token as a Bearer token this time)" 200 -X DELETE \
	-H "Authorization: Bearer $TOKEN" "$url/authors/$id"
rm -f "$state/response"

say "Running"
status_all
cat <<EOF

library-api answers on $url (loopback only).
Logs:     $state/log/  (register.log login.log users.log authors.log, error.log, access.log)
Admin:    ${svc:+runuser -u $svc -- }env LIBRARY_CONF=$LIBRARY_CONF LIBRARY_DB=$LIBRARY_DB LIBRARY_SECRET_FILE=$LIBRARY_SECRET_FILE build/src/admin/library-admin user list
Stop:     deploy/quickstart.sh stop
EOF
