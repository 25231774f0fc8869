module_LTLIBRARIES += modules/mod_register.la
modules_mod_register_la_SOURCES = modules/register/register.cpp
modules_mod_register_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_register_la_LIBADD = libstarling.la
