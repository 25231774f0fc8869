# mod_blocking: XEP-0191 simple communications blocking.
module_LTLIBRARIES += modules/mod_blocking.la
modules_mod_blocking_la_SOURCES = modules/blocking/blocking.cpp modules/blocking/blocklists.hpp
modules_mod_blocking_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_blocking_la_LIBADD = libstarling.la
