# Installing the deploy files, the systemd units and the example
# configuration; the install tests.  Included from the top-level
# Makefile.am; paths are relative to the top of the source tree.
#
# make install puts, besides the programs and the man pages:
#
#   $(sysconfdir)/library-api.conf       deploy/library-api.conf.example
#                                        (every key, commented out, with
#                                        its default); see below
#   $(pkgdatadir)/library-api.conf.example  the same, always
#   $(pkgdatadir)/nginx/                 deploy/nginx/*
#   $(pkgdatadir)/spawn-fcgi/            deploy/spawn-fcgi/library-api-spawn
#   $(pkgdatadir)/lighttpd/              deploy/lighttpd/*
#   $(pkgdatadir)/systemd/               library-api@.service,
#                                        library-api@.socket,
#                                        library-api.target
#
# The scripts find their templates next to themselves, so each folder is
# installed whole.  The units are not put into systemd's own folder (its
# place differs between systems); the Debian package moves them to
# /lib/systemd/system.
#
# library-api@.service and library-api.conf.example are made from their
# .in files with the configured $(libexecdir), $(sysconfdir) and
# $(localstatedir), the same values the programs are compiled with.
#
# The configuration file is installed only when $(sysconfdir) has none, so
# a later make install never overwrites local settings, and make uninstall
# removes it only when it is still the installed example.
#
# make print-install-dirs [VAR=value...] prints the installation folders
# (NAME=value lines) that make install with the same variables would use;
# tests/install/install.test reads them.

deploynginxdir = $(pkgdatadir)/nginx
dist_deploynginx_DATA = \
	deploy/nginx/library-api-fastcgi.conf \
	deploy/nginx/library-api.conf.in \
	deploy/nginx/nginx-local.conf.in
dist_deploynginx_SCRIPTS = deploy/nginx/library-api-nginx

deployspawndir = $(pkgdatadir)/spawn-fcgi
dist_deployspawn_SCRIPTS = deploy/spawn-fcgi/library-api-spawn

deploylighttpddir = $(pkgdatadir)/lighttpd
dist_deploylighttpd_DATA = deploy/lighttpd/lighttpd.conf.in
dist_deploylighttpd_SCRIPTS = deploy/lighttpd/library-api-lighttpd

deploysystemddir = $(pkgdatadir)/systemd
deploysystemd_DATA = deploy/systemd/library-api@.service
dist_deploysystemd_DATA = \
	deploy/systemd/library-api@.socket \
	deploy/systemd/library-api.target

# The example is also installed as it is, for comparing after an upgrade.
pkgdata_DATA = deploy/library-api.conf.example

DEPLOY_GENERATED = deploy/systemd/library-api@.service \
	deploy/library-api.conf.example
CLEANFILES = $(DEPLOY_GENERATED)

# The placeholders are written @name[@] so that config.status leaves them.
deploy_edit = sed \
	-e 's|@libexecdir[@]|$(libexecdir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@localstatedir[@]|$(localstatedir)|g'

deploy/systemd/library-api@.service: \
		$(srcdir)/deploy/systemd/library-api@.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) deploy/systemd && rm -f $@ $@.tmp && \
	$(deploy_edit) $(srcdir)/deploy/systemd/library-api@.service.in \
		>$@.tmp && mv $@.tmp $@

deploy/library-api.conf.example: \
		$(srcdir)/deploy/library-api.conf.example.in Makefile
	$(AM_V_GEN)$(MKDIR_P) deploy && rm -f $@ $@.tmp && \
	$(deploy_edit) $(srcdir)/deploy/library-api.conf.example.in \
		>$@.tmp && mv $@.tmp $@

deploy_conf = $(DESTDIR)$(sysconfdir)/library-api.conf

install-deploy-conf: deploy/library-api.conf.example
	@$(NORMAL_INSTALL)
	$(MKDIR_P) '$(DESTDIR)$(sysconfdir)'
	@if test -f '$(deploy_conf)'; then \
		echo "keeping $(deploy_conf), which exists; the new example is" \
			"$(DESTDIR)$(pkgdatadir)/library-api.conf.example"; \
	else \
		echo " $(INSTALL_DATA) deploy/library-api.conf.example '$(deploy_conf)'"; \
		$(INSTALL_DATA) deploy/library-api.conf.example '$(deploy_conf)'; \
	fi

uninstall-deploy-conf: deploy/library-api.conf.example
	@$(NORMAL_UNINSTALL)
	@if test ! -f '$(deploy_conf)'; then :; \
	elif cmp -s deploy/library-api.conf.example '$(deploy_conf)'; then \
		echo " rm -f '$(deploy_conf)'"; rm -f '$(deploy_conf)'; \
	else \
		echo "keeping $(deploy_conf): it was changed after make install"; \
	fi

install-data-local: install-deploy-conf
uninstall-local: uninstall-deploy-conf

print-install-dirs:
	@echo 'prefix=$(prefix)'; \
	echo 'bindir=$(bindir)'; \
	echo 'sbindir=$(sbindir)'; \
	echo 'libexecdir=$(libexecdir)'; \
	echo 'responderdir=$(responderdir)'; \
	echo 'sysconfdir=$(sysconfdir)'; \
	echo 'localstatedir=$(localstatedir)'; \
	echo 'pkgdatadir=$(pkgdatadir)'; \
	echo 'mandir=$(mandir)'; \
	echo 'EXEEXT=$(EXEEXT)'

.PHONY: install-deploy-conf uninstall-deploy-conf print-install-dirs

# The install tests (tests/install/install.test runs make install and make
# uninstall in this build tree, hence MAKE in their environment; deb.test
# runs make distdir into a temporary folder).
#   install.test  make install DESTDIR=..., the files, make uninstall
#   systemd.test  the units: systemd-analyze verify, and the responders
#                 started as the units start them behind nginx
#   deb.test      builds the Debian package from the distributed files,
#                 installs it, runs the end-to-end suite and systemd.test
#                 on the installed files, purges it (about 45 s).  Root
#                 only, with dpkg-buildpackage; skipped in sanitizer builds
#                 (once per checkout is enough) unless LIBRARY_DEB_TEST=1;
#                 LIBRARY_DEB_TEST=0 skips it.
AM_TESTS_ENVIRONMENT += MAKE='$(MAKE)'; export MAKE;
INSTALL_TESTS = tests/install/install.test tests/install/systemd.test \
	tests/install/deb.test

DEPLOY_DIST = \
	deploy/local.mk \
	deploy/library-api.conf.example.in \
	deploy/systemd/library-api@.service.in \
	tests/install/install.test \
	tests/install/systemd.test \
	tests/install/deb.test \
	debian/changelog \
	debian/control \
	debian/copyright \
	debian/library-api.docs \
	debian/postinst \
	debian/postrm \
	debian/rules \
	debian/source/format
E2E_TESTS += $(INSTALL_TESTS)
EXTRA_DIST += $(DEPLOY_DIST)
