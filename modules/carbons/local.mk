# mod_carbons: XEP-0280 message carbons.
module_LTLIBRARIES += modules/mod_carbons.la
modules_mod_carbons_la_SOURCES = modules/carbons/carbons.cpp
modules_mod_carbons_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_carbons_la_LIBADD = libstarling.la
