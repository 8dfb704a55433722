# Unit tests: each links the convenience library directly and prints TAP.
# (included from the top-level Makefile.am; paths are relative to the top)
