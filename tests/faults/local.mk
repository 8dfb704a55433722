# Resource-fault tests (included from the top-level Makefile.am, after
# EXTRA_DIST is set; paths are relative to the top of the source tree).
#
# tests/faults/faults.test runs tests/faults/faults.py, which drives the
# built responders without a web server, as CGI programs and as FastCGI
# responders on unix sockets, through a missing, unreadable, read-only,
# locked, corrupt or full database, a missing or garbled key file,
# clients that disconnect, and SIGTERM. It writes only into a mktemp
# folder; as root it runs the programs as nobody and adds tmpfs mounts,
# as another user (make distcheck) those parts are skipped.
E2E_TESTS += tests/faults/faults.test
EXTRA_DIST += \
	tests/faults/local.mk \
	tests/faults/faults.test \
	tests/faults/faults.py
