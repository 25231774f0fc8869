# mod_push: XEP-0357 push notifications.
module_LTLIBRARIES += modules/mod_push.la
modules_mod_push_la_SOURCES = modules/push/push.cpp modules/push/notification.cpp \
	modules/push/notification.hpp modules/push/away_users.hpp
modules_mod_push_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_push_la_LIBADD = libstarling.la

# The wire formats are pure logic, tested on their own.
tests_unit_run_unit_SOURCES += tests/unit/modules/test_push_notification.cpp \
	modules/push/notification.cpp tests/unit/modules/test_push_away_users.cpp
