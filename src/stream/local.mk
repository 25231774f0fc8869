# src/stream

# c2s streams
libstarling_la_SOURCES += src/stream/c2s_session.cpp src/stream/c2s_negotiation.cpp \
	src/stream/c2s_session_extensions.cpp src/stream/c2s_session_backlog.cpp \
	src/stream/c2s_session.hpp

# What every stream shares
libstarling_la_SOURCES += src/stream/write_queue.cpp src/stream/write_queue.hpp \
	src/stream/stream_reader.cpp src/stream/stream_reader.hpp src/stream/stream_shaper.hpp \
	src/stream/ordered_dispatch.hpp src/stream/stream_namespaces.hpp \
	src/stream/websocket_framing.cpp src/stream/websocket_framing.hpp

# c2s streams over BOSH (XEP-0124/0206)
libstarling_la_SOURCES += src/stream/bosh_body.cpp src/stream/bosh_body.hpp \
	src/stream/bosh_stream.cpp src/stream/bosh_stream.hpp \
	src/stream/bosh_endpoint.cpp src/stream/bosh_endpoint.hpp
tests_unit_run_unit_SOURCES += tests/unit/stream/test_write_queue.cpp \
	tests/unit/stream/test_stream_reader.cpp tests/unit/stream/test_ordered_dispatch.cpp \
	tests/unit/stream/test_websocket_framing.cpp \
	tests/unit/stream/test_bosh_body.cpp tests/unit/stream/test_bosh_stream.cpp

# SASL
libstarling_la_SOURCES += src/stream/sasl.cpp \
	src/stream/scram_crypto.cpp \
	src/stream/scram_secret.cpp \
	src/stream/scram_message.cpp \
	src/stream/scram_mechanism.cpp \
	src/stream/plain_mechanism.cpp

# Server-to-server building blocks
libstarling_la_SOURCES += src/stream/dialback_key.cpp src/stream/dialback_key.hpp \
	src/stream/dialback_elements.cpp src/stream/dialback_elements.hpp \
	src/stream/s2s_in_session.cpp src/stream/s2s_in_session.hpp \
	src/stream/s2s_inbound.cpp src/stream/s2s_inbound.hpp \
	src/stream/s2s_out_session.cpp src/stream/s2s_out_session.hpp \
	src/stream/s2s_manager.cpp src/stream/s2s_manager.hpp src/stream/s2s_status.hpp

# XEP-0198 counting and the unacknowledged queue (mod_smacks uses the counter too), and stream
# management on s2s streams
libstarling_la_SOURCES += src/stream/handled_counter.hpp src/stream/sm_elements.hpp \
	src/stream/incoming_acks.cpp src/stream/incoming_acks.hpp \
	src/stream/outgoing_acks.cpp src/stream/outgoing_acks.hpp \
	src/stream/s2s_stream_management.cpp
tests_unit_run_unit_SOURCES += tests/unit/stream/test_handled_counter.cpp \
	tests/unit/stream/test_incoming_acks.cpp tests/unit/stream/test_outgoing_acks.cpp
tests_unit_run_unit_SOURCES += tests/unit/stream/test_dialback_key.cpp \
	tests/unit/stream/test_dialback_elements.cpp
tests_unit_run_unit_SOURCES += tests/unit/stream/test_sasl.cpp \
	tests/unit/stream/test_scram.cpp \
	tests/unit/stream/test_plain.cpp
EXTRA_DIST += tests/unit/stream/scram_test_client.hpp
noinst_HEADERS += src/stream/sasl.hpp src/stream/scram_secret.hpp src/stream/scram_crypto.hpp \
	src/stream/scram_mechanism.hpp src/stream/scram_message.hpp src/stream/plain_mechanism.hpp

# Component streams (XEP-0114, jabber:component:accept)
libstarling_la_SOURCES += src/stream/component_session.cpp src/stream/component_session.hpp
noinst_HEADERS += src/stream/stream_setup.hpp
