# mod_presence: RFC 6121 §3 and §4 presence; needs mod_roster.
module_LTLIBRARIES += modules/mod_presence.la
modules_mod_presence_la_SOURCES = modules/presence/presence.cpp modules/presence/presence_state.hpp \
	modules/presence/item_turns.hpp
modules_mod_presence_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_presence_la_LIBADD = libstarling.la
tests_unit_run_unit_SOURCES += tests/unit/modules/test_item_turns.cpp
