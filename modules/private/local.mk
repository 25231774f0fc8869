module_LTLIBRARIES += modules/mod_private.la
modules_mod_private_la_SOURCES = modules/private/private.cpp
modules_mod_private_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_private_la_LIBADD = libstarling.la
