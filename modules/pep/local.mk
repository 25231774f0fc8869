module_LTLIBRARIES += modules/mod_pep.la
modules_mod_pep_la_SOURCES = \
	modules/pep/pep.cpp \
	modules/pep/pep.hpp \
	modules/pep/node_config.cpp \
	modules/pep/node_config.hpp \
	modules/pep/omemo_bundle.cpp \
	modules/pep/omemo_bundle.hpp \
	modules/pep/caps.cpp \
	modules/pep/caps.hpp \
	modules/pep/caps_hooks.cpp \
	modules/pep/remote_resources.cpp \
	modules/pep/remote_resources.hpp \
	modules/pep/notify.cpp \
	modules/pep/publish.cpp \
	modules/pep/subscribe.cpp \
	modules/pep/bookmarks.cpp \
	modules/pep/owner.cpp \
	modules/pep/claim.cpp \
	modules/pep/claim_limits.hpp \
	modules/pep/disco_info.cpp
modules_mod_pep_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/modules/pep
modules_mod_pep_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_pep_la_LIBADD = libstarling.la $(OPENSSL_LIBS)
