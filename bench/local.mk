# The benchmark harness (issue 6; included from the top-level Makefile.am,
# after EXTRA_DIST is set; paths are relative to the top).
#
#   make bench                    about 5 minutes: builds, seeds, runs and
#                                 prints the table (bench/run's defaults)
#   make bench BENCH_FLAGS=--quick            under a minute
#   make bench BENCH_FLAGS='--compare OLD.json --callgrind --soak 1000000'
#
# bench/run does the same from a fresh clone without configuring first
# (it configures and builds in _build/bench). The three baselines and the
# hash-rate probe are built from bench/ sources with the product's flags,
# but only by `make bench` (or `make bench-programs`), never by make or
# make check: they are yardsticks, not part of the product.
BENCH_BINS = bench/hello bench/minimal-get bench/minimal-insert \
	bench/hashrate
EXTRA_PROGRAMS = $(BENCH_BINS)
bench_hello_SOURCES = bench/hello.c bench/baseline.h
bench_hello_LDADD = $(FCGI_LIBS)
bench_minimal_get_SOURCES = bench/minimal-get.c bench/baseline.h
bench_minimal_get_LDADD = $(JSONC_LIBS) $(SQLITE_LIBS) $(JWT_LIBS) \
	$(FCGI_LIBS)
bench_minimal_insert_SOURCES = bench/minimal-insert.c bench/baseline.h
bench_minimal_insert_LDADD = $(bench_minimal_get_LDADD)
bench_hashrate_SOURCES = bench/hashrate.c
bench_hashrate_LDADD = $(XCRYPT_LIBS)

# Not removed by automake itself (EXTRA_PROGRAMS), so here.
MOSTLYCLEANFILES = $(BENCH_BINS)

bench-programs: $(BENCH_BINS)
bench: all bench-programs
	$(SHELL) $(srcdir)/bench/run --build-dir '$(abs_top_builddir)' \
	    --no-build $(BENCH_FLAGS)
.PHONY: bench bench-programs

EXTRA_DIST += \
	bench/local.mk \
	bench/README \
	bench/run \
	bench/bench.py \
	bench/seed.py \
	bench/wrk/delete.lua \
	bench/wrk/get.lua \
	bench/wrk/post.lua \
	bench/wrk/put.lua \
	bench/wrk/register.lua \
	bench/wrk/report.lua
