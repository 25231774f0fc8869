module_LTLIBRARIES += modules/mod_vcard.la
modules_mod_vcard_la_SOURCES = modules/vcard/vcard.cpp
modules_mod_vcard_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_vcard_la_LIBADD = libstarling.la
