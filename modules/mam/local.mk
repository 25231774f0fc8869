# mod_mam: XEP-0313 message archive management, XEP-0359 stanza ids, XEP-0441 preferences.
module_LTLIBRARIES += modules/mod_mam.la
modules_mod_mam_la_SOURCES = modules/mam/mam.cpp \
	modules/mam/archiving.hpp modules/mam/prefs_cache.hpp \
	modules/mam/archive_writer.cpp modules/mam/archive_writer.hpp
modules_mod_mam_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_mam_la_LIBADD = libstarling.la

# The archive's pure logic (dates, the query form, what is archived, preferences) in the unit
# runner, which links the same core library.
tests_unit_run_unit_SOURCES += tests/unit/modules/test_mam.cpp
# The preferences cache's lifetime across an unload, against both drivers.
tests_unit_run_unit_SOURCES += tests/unit/modules/test_mam_prefs_cache.cpp
# The batching writer's order, fallback and back-pressure, against both drivers.
tests_unit_run_unit_SOURCES += tests/unit/modules/test_mam_archive_writer.cpp \
	modules/mam/archive_writer.cpp
