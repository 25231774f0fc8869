# src/net: Asio, TLS contexts.
libstarling_la_SOURCES += src/net/asio.hpp src/net/tls_context.cpp src/net/tls_context.hpp
