# CppUnit unit tests: one runner, every suite registers itself; sources mirror src/. make check
# (and so make distcheck) runs it; the scenarios need a live server and run from test-all.sh.
check_PROGRAMS += tests/unit/run_unit
TESTS += tests/unit/run_unit
tests_unit_run_unit_SOURCES = tests/unit/main.cpp tests/unit/stanza_text.hpp
tests_unit_run_unit_CPPFLAGS = $(AM_CPPFLAGS) $(CPPUNIT_CFLAGS) -DSTARLING_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_run_unit_LDADD = libstarling.la $(CPPUNIT_LIBS) $(STARLING_DEP_LIBS)

# Router tests: routing rules, fan-outs, the session table and hook dispatch (docs/routing.md).
tests_unit_run_unit_SOURCES += \
	tests/unit/core/fake_session.hpp tests/unit/core/in_process_config.hpp tests/unit/core/test_router.cpp tests/unit/core/test_fan_out.cpp \
	tests/unit/core/test_requester.cpp \
	tests/unit/core/test_throttle.cpp tests/unit/core/test_user_cache.cpp \
	tests/unit/core/test_session_manager.cpp \
	tests/unit/core/test_hooks.cpp

# The load generator's parsing, SCRAM client and statistics (bench/); they need only expat and
# OpenSSL, which the runner links already.
tests_unit_run_unit_SOURCES += \
	tests/unit/bench/test_stanza_reader.cpp \
	tests/unit/bench/test_scram_client.cpp \
	tests/unit/bench/test_latency_stats.cpp \
	tests/unit/bench/test_message_body.cpp \
	tests/unit/bench/test_options.cpp \
	bench/stanza_reader.cpp \
	bench/message_body.cpp \
	bench/scram_client.cpp \
	bench/latency_stats.cpp \
	bench/delivery_ledger.cpp \
	bench/report.cpp
tests_unit_run_unit_CPPFLAGS += -I$(top_srcdir)

# mod_pep's pure logic: XEP-0115 caps hashing and the table of remote contacts' resources, built
# from the module's source.
tests_unit_run_unit_SOURCES += tests/unit/modules/test_caps.cpp modules/pep/caps.cpp \
	tests/unit/modules/test_remote_resources.cpp modules/pep/remote_resources.cpp
tests_unit_run_unit_CPPFLAGS += -I$(top_srcdir)/modules/pep
# Module logic that needs no server: mod_csi urgency.
tests_unit_run_unit_SOURCES += tests/unit/modules/test_csi_urgency.cpp
