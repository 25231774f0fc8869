# CppUnit unit tests: one runner, every suite registers itself; sources mirror src/.
check_PROGRAMS += tests/unit/run_unit
tests_unit_run_unit_SOURCES = tests/unit/main.cpp
tests_unit_run_unit_CPPFLAGS = $(AM_CPPFLAGS) $(CPPUNIT_CFLAGS) -DSTARLING_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_run_unit_LDADD = libstarling.la $(CPPUNIT_LIBS) $(STARLING_DEP_LIBS)

# Router tests: routing rules, the session table and hook dispatch (docs/routing.md).
tests_unit_run_unit_SOURCES += \
	tests/unit/core/test_router.cpp \
	tests/unit/core/test_session_manager.cpp \
	tests/unit/core/test_hooks.cpp
