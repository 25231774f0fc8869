# mod_mam: XEP-0313 message archive management, XEP-0359 stanza ids, XEP-0441 preferences.
module_LTLIBRARIES += modules/mod_mam.la
modules_mod_mam_la_SOURCES = modules/mam/mam.cpp modules/mam/query.cpp modules/mam/query.hpp \
	modules/mam/archiving.hpp modules/mam/prefs_cache.hpp modules/mam/datetime.hpp
modules_mod_mam_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_mam_la_LIBADD = libstarling.la
