# mod_http_upload: XEP-0363 HTTP File Upload on a service domain, files in a blob store.
module_LTLIBRARIES += modules/mod_http_upload.la
modules_mod_http_upload_la_SOURCES = modules/http_upload/http_upload.cpp \
	modules/http_upload/upload_service.cpp modules/http_upload/upload_service.hpp \
	modules/http_upload/upload_http.cpp \
	modules/http_upload/byte_range.cpp modules/http_upload/byte_range.hpp
modules_mod_http_upload_la_LDFLAGS = $(MODULE_LDFLAGS)
modules_mod_http_upload_la_LIBADD = libstarling.la

# The Range parsing in the unit runner.
tests_unit_run_unit_SOURCES += tests/unit/modules/test_byte_range.cpp modules/http_upload/byte_range.cpp
