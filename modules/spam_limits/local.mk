# mod_spam_limits: per-account limits on messages to strangers and subscription requests.
module_LTLIBRARIES += modules/mod_spam_limits.la
modules_mod_spam_limits_la_SOURCES = modules/spam_limits/spam_limits.cpp
modules_mod_spam_limits_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_spam_limits_la_LIBADD = libstarling.la
