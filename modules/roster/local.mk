# mod_roster: RFC 6121 §2 rosters.
module_LTLIBRARIES += modules/mod_roster.la
modules_mod_roster_la_SOURCES = modules/roster/roster.cpp modules/roster/roster_xml.hpp
modules_mod_roster_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_roster_la_LIBADD = libstarling.la
