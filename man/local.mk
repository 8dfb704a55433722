# Manual pages (mdoc(7)), included from the top-level Makefile.am; paths
# are relative to the top of the source tree.  They are distributed and
# installed as they are (no substitution), so the default paths they show
# (/usr/local/etc/library-api.conf, /usr/local/var/lib/library-api/...) are
# those of the default prefix, and each page says so.
#
# `make lint-man` checks them with mandoc(1) and fails if it reports
# anything at level warning or above (style notes, such as references to
# pages that are not installed, are not reported).  Override the program
# with `make lint-man MANDOC=/path/to/mandoc`.
dist_man_MANS = man/library-admin.8 man/library-api.8 \
	man/library-api.conf.5 man/library-api.7

MANDOC = mandoc

lint-man:
	@out=`cd $(srcdir) && $(MANDOC) -Tlint -W warning $(dist_man_MANS) 2>&1`; \
	rc=$$?; \
	if test -n "$$out" || test $$rc -ne 0; then \
		printf '%s\n' "$$out" >&2; \
		echo "lint-man: $(MANDOC) reported problems (exit $$rc)" >&2; \
		exit 1; \
	fi; \
	echo "lint-man: $(dist_man_MANS): clean"

.PHONY: lint-man
