# mod_last: XEP-0012 Last Activity.
module_LTLIBRARIES += modules/mod_last.la
modules_mod_last_la_SOURCES = modules/last/last.cpp
modules_mod_last_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_last_la_LIBADD = libstarling.la
