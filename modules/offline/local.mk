module_LTLIBRARIES += modules/mod_offline.la
modules_mod_offline_la_SOURCES = modules/offline/offline.cpp
modules_mod_offline_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_offline_la_LIBADD = libstarling.la
