# Modules: one folder each, built as mod_<name>.so into $(pkglibdir)/modules.
moduledir = $(pkglibdir)/modules
module_LTLIBRARIES = modules/mod_disco.la modules/mod_ping.la modules/mod_version.la modules/mod_time.la
MODULE_LDFLAGS = -module -avoid-version -shared

modules_mod_disco_la_SOURCES = modules/disco/disco.cpp
modules_mod_disco_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_disco_la_LIBADD = libstarling.la

modules_mod_ping_la_SOURCES = modules/ping/ping.cpp
modules_mod_ping_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_ping_la_LIBADD = libstarling.la

modules_mod_version_la_SOURCES = modules/version/version.cpp
modules_mod_version_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_version_la_LIBADD = libstarling.la

modules_mod_time_la_SOURCES = modules/time/time.cpp
modules_mod_time_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_time_la_LIBADD = libstarling.la
include $(srcdir)/modules/register/local.mk
include $(srcdir)/modules/admin_adhoc/local.mk
include $(srcdir)/modules/offline/local.mk
include $(srcdir)/modules/vcard/local.mk
include $(srcdir)/modules/private/local.mk
include $(srcdir)/modules/roster/local.mk
include $(srcdir)/modules/presence/local.mk
include $(srcdir)/modules/last/local.mk
include $(srcdir)/modules/blocking/local.mk
include $(srcdir)/modules/spam_limits/local.mk
include $(srcdir)/modules/mam/local.mk
include $(srcdir)/modules/carbons/local.mk
include $(srcdir)/modules/push/local.mk
include $(srcdir)/modules/pep/local.mk
include $(srcdir)/modules/smacks/local.mk
include $(srcdir)/modules/csi/local.mk
include $(srcdir)/modules/muc/local.mk
include $(srcdir)/modules/http_upload/local.mk
