# LIBAPI_ADD_CFLAG(VAR, FLAG): append FLAG to VAR when the C compiler
# accepts it (with -Werror, so a warning counts as not accepted).
AC_DEFUN([LIBAPI_ADD_CFLAG], [
	AC_MSG_CHECKING([whether $CC accepts $2])
	libapi_save_CFLAGS=$CFLAGS
	CFLAGS="$CFLAGS -Werror $2"
	AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
		[AC_MSG_RESULT([yes]); $1="$$1 $2"],
		[AC_MSG_RESULT([no])])
	CFLAGS=$libapi_save_CFLAGS
])

# LIBAPI_ADD_LDFLAG(VAR, FLAG): append FLAG to VAR when linking with it
# works.
AC_DEFUN([LIBAPI_ADD_LDFLAG], [
	AC_MSG_CHECKING([whether the linker accepts $2])
	libapi_save_LDFLAGS=$LDFLAGS
	LDFLAGS="$LDFLAGS $2"
	AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
		[AC_MSG_RESULT([yes]); $1="$$1 $2"],
		[AC_MSG_RESULT([no])])
	LDFLAGS=$libapi_save_LDFLAGS
])
