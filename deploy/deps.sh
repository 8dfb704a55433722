#!/bin/sh
# deploy/deps.sh: install every Debian 12 package that library-api needs to
# build, test and serve locally.  Idempotent: when all are installed already
# (checked with dpkg-query) apt is not touched at all.
#
# Needs root when something is missing.  Works on a fresh system without a
# prior `apt-get update`.  While installing, /usr/sbin/policy-rc.d answers
# 101 so that installing nginx does not start it on port 80 (the quick start
# and the tests run their own nginx on a loopback port); a policy-rc.d that
# already denies is left alone, any other one is put back afterwards.
set -eu

packages="build-essential autoconf automake libtool pkg-config
libfcgi-dev libjson-c-dev libsqlite3-dev libjwt-dev libcrypt-dev
nginx-light spawn-fcgi lighttpd valgrind curl python3 sqlite3 mandoc
clang libclang-rt-14-dev
apache2 libapache2-mod-fcgid wrk debhelper dpkg-dev fakeroot systemd"

missing=
for p in $packages; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	if [ "$status" != installed ]; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps.sh: all packages installed"
	exit 0
fi

echo "deps.sh: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: must run as root to install them" >&2
	exit 1
fi

policy=/usr/sbin/policy-rc.d
saved=$policy.library-api-saved
guard=
restore() {
	case $guard in
	created) rm -f "$policy" ;;
	replaced) mv -f "$saved" "$policy" ;;
	esac
}
trap restore EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -e "$policy" ]; then
	rc=0
	"$policy" nginx start >/dev/null 2>&1 || rc=$?
	if [ $rc -ne 101 ]; then
		mv -f "$policy" "$saved"
		guard=replaced
	fi
else
	guard=created
fi
if [ -n "$guard" ]; then
	printf '#!/bin/sh\n# deploy/deps.sh: no service starts during the install\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086 # one package per word
apt-get install -y --no-install-recommends $missing
echo "deps.sh: done"
