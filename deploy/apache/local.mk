# The Apache shared-hosting drop-in (deploy/apache/README), included at the
# end of the top-level Makefile.am; paths are relative to the top.
#
#   make cgi-bin-folder     (or: make cgi-bin)
#
# lays out $(APACHE_FOLDER)/ in the build tree, a folder to upload into a
# web root as it is:
#
#   register.fcgi login.fcgi users.fcgi authors.fcgi
#       the responders, linked from the objects `make` built, with json-c,
#       sqlite3, libfcgi and libxcrypt from their static archives and
#       conf.c compiled again with -DLIBRARY_CONF_NEAR_PROGRAM: with no
#       LIBRARY_CONF (mod_fcgid gives a program an empty environment) they
#       read library-api.conf from their own folder or the nearest one
#       above it;
#   lib/    the shared libraries Debian ships no archive for (libjwt and
#       what it needs: jansson, libb64, libcrypto), found through the
#       programs' DT_RPATH $ORIGIN/lib. DT_RPATH, not DT_RUNPATH: ld.so
#       searches an executable's DT_RUNPATH only for the executable's own
#       dependencies, its DT_RPATH also for theirs (libjwt's jansson...);
#       and LD_LIBRARY_PATH cannot override DT_RPATH;
#   .htaccess   deploy/apache/htaccess; README  deploy/apache/README.
#
# The libraries to copy are those ldd(1) resolves outside the C library
# (APACHE_SYSTEM_LIBS) for the freshly linked programs; the build fails if
# any of them is then still found outside lib/. Native builds only (ldd
# runs the build machine's loader). tests/apache/folder.test checks the
# result; tests/e2e/apache-fcgid.test and apache-cgi.test run the
# end-to-end suite against it.
#
# `cgi-bin` is phony: the build tree already has a cgi-bin/ folder (the
# objects), which make would otherwise take for an up-to-date target.
APACHE_FOLDER = cgi-bin-folder
APACHE_RESPONDERS = register login users authors
APACHE_RESPONDER_OBJS = cgi-bin/register.$(OBJEXT) cgi-bin/login.$(OBJEXT) \
	cgi-bin/users.$(OBJEXT) cgi-bin/authors.$(OBJEXT)
APACHE_CONF_OBJ = deploy/apache/conf-near.$(OBJEXT)
# Static archives: libjson-c-dev, libsqlite3-dev, libfcgi-dev and
# libcrypt-dev ship them. libsqlite3.a wants -lm (and dlopen/pthreads,
# part of libc since glibc 2.34: -ldl -lpthread are then empty, and
# --as-needed drops them).
APACHE_LINK_LIBS = -Wl,-Bstatic -ljson-c -lsqlite3 -lfcgi -lcrypt -Wl,-Bdynamic \
	$(JWT_LIBS) -lm -ldl -lpthread
# --exclude-libs ALL: nothing from the static archives goes into the
# programs' dynamic symbol table. Otherwise the linker exports json-c's
# json_object_get (libjwt refers to jansson's function of that name), the
# loader binds libjwt to json-c's unversioned copy in the executable, and
# every token signing fails.
APACHE_RPATH_FLAGS = -Wl,--as-needed -Wl,--disable-new-dtags \
	-Wl,--exclude-libs,ALL -Wl,-rpath,'$$ORIGIN/lib'
APACHE_LINK = $(CCLD) $(AM_CFLAGS) $(CFLAGS) $(AM_LDFLAGS) $(LDFLAGS) \
	$(APACHE_RPATH_FLAGS)
# Sonames that belong to the C library: the host's own copies are used.
APACHE_SYSTEM_LIBS = linux-vdso.so.1 libc.so.6 libm.so.6 libpthread.so.0 \
	libdl.so.2 librt.so.1 ld-linux-x86-64.so.2 ld-linux-aarch64.so.1 \
	ld-linux.so.2 ld-linux-armhf.so.3

$(APACHE_CONF_OBJ): $(srcdir)/src/lib/conf.c $(srcdir)/src/lib/conf.h \
		$(srcdir)/src/lib/limits.h $(srcdir)/src/lib/log.h \
		$(srcdir)/src/lib/util.h config.h
	$(AM_V_CC)$(MKDIR_P) deploy/apache && \
	$(COMPILE) -DLIBRARY_CONF_NEAR_PROGRAM -c -o $@ \
		$(srcdir)/src/lib/conf.c

# (Makefile too: a change of the link flags above links again.)
$(APACHE_FOLDER).stamp: $(APACHE_RESPONDER_OBJS) $(APACHE_CONF_OBJ) \
		src/lib/libapi.la $(srcdir)/deploy/apache/htaccess \
		$(srcdir)/deploy/apache/README Makefile
	$(AM_V_GEN)set -e; f=$(APACHE_FOLDER); \
	rm -rf "$$f" "$$f.tmp"; $(MKDIR_P) "$$f.tmp/lib"; \
	for p in $(APACHE_RESPONDERS); do \
	  $(APACHE_LINK) -o "$$f.tmp/$$p.fcgi" cgi-bin/$$p.$(OBJEXT) \
	    $(APACHE_CONF_OBJ) src/lib/.libs/libapi.a $(APACHE_LINK_LIBS); \
	done; \
	list() { \
	  for p in $(APACHE_RESPONDERS); do ldd "$$f.tmp/$$p.fcgi"; done | \
	  awk -v sys=' $(APACHE_SYSTEM_LIBS) ' \
	    'index(sys, " " $$1 " ") == 0 && $$1 !~ /^\// { \
	      print $$1, ($$2 == "=>" ? $$3 : "?") }' | sort -u; \
	}; \
	list | while read -r name path; do \
	  case $$path in \
	  /*) cp -L "$$path" "$$f.tmp/lib/$$name"; chmod 0644 "$$f.tmp/lib/$$name" ;; \
	  *) echo "$@: $$name: not found by ldd" >&2; exit 1 ;; \
	  esac; \
	done; \
	bad=`list | while read -r name path; do \
	  case $$path in "$$PWD/$$f.tmp/lib/"*|"$$f.tmp/lib/"*) ;; \
	  *) echo "$$name=$$path" ;; esac; done`; \
	if test -n "$$bad"; then \
	  echo "$@: still outside $$f/lib: $$bad" >&2; exit 1; \
	fi; \
	cp $(srcdir)/deploy/apache/htaccess "$$f.tmp/.htaccess"; \
	cp $(srcdir)/deploy/apache/README "$$f.tmp/README"; \
	chmod 0755 "$$f.tmp" "$$f.tmp/lib" "$$f.tmp"/*.fcgi; \
	chmod 0644 "$$f.tmp/.htaccess" "$$f.tmp/README"; \
	mv "$$f.tmp" "$$f"; touch $@; \
	echo "$$f/: ready; $$f/lib/:" `ls "$$f/lib"`

cgi-bin-folder: $(APACHE_FOLDER).stamp
cgi-bin: cgi-bin-folder

clean-apache-folder:
	-rm -rf $(APACHE_FOLDER) $(APACHE_FOLDER).tmp $(APACHE_FOLDER).stamp \
		$(APACHE_CONF_OBJ)
clean-local: clean-apache-folder

.PHONY: cgi-bin cgi-bin-folder clean-apache-folder

# make check builds the folder: the tests below use it. folder.test
# checks the folder itself (ELF, the configuration found near the
# programs, the system libraries hidden as root); the two e2e tests run the
# end-to-end suite through a private Apache (tests/apache/library-api-apache)
# with mod_fcgid and with mod_cgid (tests/e2e/harness.sh). As root,
# Apache's children run as nobody; unprivileged, Apache runs as the user.
check_DATA = $(APACHE_FOLDER).stamp
APACHE_TESTS = tests/apache/folder.test tests/e2e/apache-fcgid.test \
	tests/e2e/apache-cgi.test
E2E_TESTS += $(APACHE_TESTS)
EXTRA_DIST += deploy/apache/htaccess deploy/apache/README \
	tests/apache/library-api-apache tests/apache/httpd.conf.in \
	$(APACHE_TESTS)
