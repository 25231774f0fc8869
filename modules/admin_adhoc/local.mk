module_LTLIBRARIES += modules/mod_admin_adhoc.la
modules_mod_admin_adhoc_la_SOURCES = modules/admin_adhoc/admin_adhoc.cpp
modules_mod_admin_adhoc_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_admin_adhoc_la_LIBADD = libstarling.la
