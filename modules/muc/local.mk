# mod_muc: XEP-0045 multi-user chat on a service domain of its own.
module_LTLIBRARIES += modules/mod_muc.la
modules_mod_muc_la_SOURCES = modules/muc/muc.cpp \
	modules/muc/service.cpp modules/muc/service.hpp \
	modules/muc/room.cpp modules/muc/room.hpp \
	modules/muc/room_presence.cpp modules/muc/room_messages.cpp modules/muc/room_iq.cpp \
	modules/muc/room_archive.cpp \
	modules/muc/room_config.cpp modules/muc/room_config.hpp
modules_mod_muc_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_muc_la_LIBADD = libstarling.la

# The room configuration's pure logic (the form, limits, storage, features) in the unit runner.
tests_unit_run_unit_SOURCES += tests/unit/modules/test_muc_config.cpp modules/muc/room_config.cpp
