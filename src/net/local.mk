# src/net: Asio, TLS contexts, DNS.
libstarling_la_SOURCES += src/net/asio.hpp src/net/tls_context.cpp src/net/tls_context.hpp \
	src/net/tcp_tls_socket.cpp src/net/tcp_tls_socket.hpp \
	src/net/connection_limits.cpp src/net/connection_limits.hpp \
	src/net/tls_buffer_pool.cpp src/net/tls_buffer_pool.hpp \
	src/net/peer_identity.cpp src/net/peer_identity.hpp \
	src/net/resolver.cpp src/net/resolver.hpp \
	src/net/connector.cpp src/net/connector.hpp \
	src/net/tls_async_stream.hpp src/net/http_session.cpp src/net/http_session.hpp \
	src/net/byte_stream.hpp src/net/input_buffer.hpp \
	src/net/websocket_stream.cpp src/net/websocket_stream.hpp
tests_unit_run_unit_SOURCES += tests/unit/net/test_connection_limits.cpp \
	tests/unit/net/test_peer_identity.cpp \
	tests/unit/net/test_resolver.cpp \
	tests/unit/net/test_connector.cpp \
	tests/unit/net/test_http_session.cpp
EXTRA_DIST += tests/unit/net/test_certificates.hpp tests/unit/net/dns_stub.hpp
