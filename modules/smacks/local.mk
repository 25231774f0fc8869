module_LTLIBRARIES += modules/mod_smacks.la
modules_mod_smacks_la_SOURCES = modules/smacks/smacks.cpp modules/smacks/sm_stream.cpp \
	modules/smacks/sm_stream.hpp
modules_mod_smacks_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_smacks_la_LIBADD = libstarling.la
