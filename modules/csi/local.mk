module_LTLIBRARIES += modules/mod_csi.la
modules_mod_csi_la_SOURCES = modules/csi/csi.cpp modules/csi/csi_stream.cpp \
	modules/csi/csi_stream.hpp modules/csi/urgency.hpp
modules_mod_csi_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_csi_la_LIBADD = libstarling.la
