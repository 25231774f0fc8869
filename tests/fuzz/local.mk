# libFuzzer targets. They need clang (-fsanitize=fuzzer), so the gcc build never builds them:
# they are EXTRA_PROGRAMS, built only by `make fuzzers` in a tree configured with clang++, which
# scripts/fuzz.sh sets up in build-fuzz/ before running each target over its corpus and then
# fuzzing it for a bounded time. Listing them here also puts their sources into make dist.
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
fuzz_targets = \
	tests/fuzz/xml_stream_parser_fuzz \
	tests/fuzz/stored_xml_fuzz \
	tests/fuzz/scram_fuzz \
	tests/fuzz/jid_fuzz \
	tests/fuzz/config_fuzz
EXTRA_PROGRAMS = $(fuzz_targets)
CLEANFILES += $(fuzz_targets)
.PHONY: fuzzers
fuzzers: $(fuzz_targets)

# The parsers under test, built once with the fuzzing instrumentation for all targets.
EXTRA_LIBRARIES = tests/fuzz/libfuzzed.a
CLEANFILES += tests/fuzz/libfuzzed.a
tests_fuzz_libfuzzed_a_SOURCES = \
	src/xml/element.cpp \
	src/xml/serializer.cpp \
	src/xml/stream_parser.cpp \
	src/storage/stored_xml.cpp \
	src/jid/jid.cpp \
	src/stream/sasl.cpp \
	src/stream/scram_crypto.cpp \
	src/stream/scram_secret.cpp \
	src/stream/scram_message.cpp \
	src/stream/scram_mechanism.cpp \
	src/stream/plain_mechanism.cpp \
	src/core/config.cpp \
	src/core/listener_types.cpp \
	src/core/config_reader.cpp \
	src/core/options.cpp
tests_fuzz_libfuzzed_a_CXXFLAGS = $(AM_CXXFLAGS) $(FUZZ_FLAGS)
FUZZ_LDADD = tests/fuzz/libfuzzed.a $(EXPAT_LIBS) $(OPENSSL_LIBS) $(YAMLCPP_LIBS) $(LIBIDN_LIBS)

tests_fuzz_xml_stream_parser_fuzz_SOURCES = tests/fuzz/xml_stream_parser_fuzz.cpp
tests_fuzz_xml_stream_parser_fuzz_CXXFLAGS = $(AM_CXXFLAGS) $(FUZZ_FLAGS)
tests_fuzz_xml_stream_parser_fuzz_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_xml_stream_parser_fuzz_LDADD = $(FUZZ_LDADD)

tests_fuzz_stored_xml_fuzz_SOURCES = tests/fuzz/stored_xml_fuzz.cpp
tests_fuzz_stored_xml_fuzz_CXXFLAGS = $(AM_CXXFLAGS) $(FUZZ_FLAGS)
tests_fuzz_stored_xml_fuzz_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_stored_xml_fuzz_LDADD = $(FUZZ_LDADD)

tests_fuzz_scram_fuzz_SOURCES = tests/fuzz/scram_fuzz.cpp
tests_fuzz_scram_fuzz_CXXFLAGS = $(AM_CXXFLAGS) $(FUZZ_FLAGS)
tests_fuzz_scram_fuzz_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_scram_fuzz_LDADD = $(FUZZ_LDADD)

tests_fuzz_jid_fuzz_SOURCES = tests/fuzz/jid_fuzz.cpp
tests_fuzz_jid_fuzz_CXXFLAGS = $(AM_CXXFLAGS) $(FUZZ_FLAGS)
tests_fuzz_jid_fuzz_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_jid_fuzz_LDADD = $(FUZZ_LDADD)

tests_fuzz_config_fuzz_SOURCES = tests/fuzz/config_fuzz.cpp
tests_fuzz_config_fuzz_CXXFLAGS = $(AM_CXXFLAGS) $(FUZZ_FLAGS)
tests_fuzz_config_fuzz_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_config_fuzz_LDADD = $(FUZZ_LDADD)

# The dictionary and the seed corpus (one directory per target, named after it; a crashing
# input, once fixed, is added there so that every later run replays it). The corpus is copied
# as directories: it is data that grows one file at a time.
EXTRA_DIST += tests/fuzz/xmpp.dict tests/fuzz/corpus
