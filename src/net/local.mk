# src/net: Asio, TLS contexts.
libstarling_la_SOURCES += src/net/asio.hpp src/net/tls_context.cpp src/net/tls_context.hpp \
	src/net/tcp_tls_socket.cpp src/net/tcp_tls_socket.hpp
