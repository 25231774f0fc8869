# src/xml
libstarling_la_SOURCES += src/xml/element.cpp src/xml/serializer.cpp src/xml/stream_parser.cpp src/xml/data_form.cpp

tests_unit_run_unit_SOURCES += tests/unit/xml/parser_harness.hpp \
	tests/unit/xml/test_element.cpp \
	tests/unit/xml/test_serializer.cpp \
	tests/unit/xml/test_stream_parser.cpp \
	tests/unit/xml/test_restricted_xml.cpp \
	tests/unit/xml/test_parser_limits.cpp
noinst_HEADERS += src/xml/element.hpp src/xml/serializer.hpp src/xml/stream_parser.hpp src/xml/data_form.hpp
