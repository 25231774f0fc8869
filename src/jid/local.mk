# src/jid
libstarling_la_SOURCES += src/jid/jid.cpp

tests_unit_run_unit_SOURCES += tests/unit/jid/test_jid.cpp
noinst_HEADERS += src/jid/jid.hpp
