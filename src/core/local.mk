# src/core

# Core: stanzas, sessions, router, hosts, events, the module API and loader, commands, server.
libstarling_la_SOURCES += \
	src/core/stanza.cpp src/core/stanza.hpp \
	src/core/session.hpp src/core/client_stream.hpp src/core/session_manager.cpp src/core/session_manager.hpp \
	src/core/interested_resources.hpp src/core/active_instance.hpp \
	src/core/router.cpp src/core/router.hpp src/core/fan_out.cpp src/core/fan_out.hpp \
	src/core/events.cpp src/core/events.hpp src/core/registration.hpp \
	src/core/host.cpp src/core/host.hpp \
	src/core/iq_tracker.cpp src/core/iq_tracker.hpp src/core/datetime.hpp \
	src/core/archive_query.cpp src/core/archive_query.hpp \
	src/core/metrics.cpp src/core/metrics.hpp src/core/throttle.hpp src/core/rate_limit.hpp src/core/user_cache.hpp src/core/offline_flows.hpp src/core/ingress_gate.hpp \
	src/core/module.hpp src/core/module_context.cpp \
	src/core/module_loader.cpp src/core/module_loader.hpp \
	src/core/command_registry.cpp src/core/command_registry.hpp src/core/core_commands.cpp \
	src/core/control_socket.cpp src/core/control_socket.hpp \
	src/core/logging.cpp src/core/logging.hpp \
	src/core/server.cpp src/core/server.hpp src/core/listener_types.cpp src/core/listener_types.hpp \
	src/core/http_routes.cpp src/core/http_routes.hpp src/core/host_meta.cpp src/core/host_meta.hpp

# Config: the YAML configuration, its validation, and module options declared as data.
libstarling_la_SOURCES += \
	src/core/config.cpp src/core/config.hpp \
	src/core/config_reader.cpp src/core/config_reader.hpp \
	src/core/options.cpp src/core/options.hpp
tests_unit_run_unit_SOURCES += tests/unit/core/test_config.cpp tests/unit/core/test_options.cpp \
	tests/unit/core/test_host_meta.cpp \
	tests/unit/core/test_stanza.cpp
tests_unit_run_unit_SOURCES += tests/unit/core/test_active_instance.cpp tests/unit/core/test_ingress_gate.cpp \
	tests/unit/core/test_rate_limit.cpp tests/unit/core/test_http_routes.cpp tests/unit/core/test_command_registry.cpp \
	tests/unit/core/test_metrics.cpp

# External components (XEP-0114): the configured domains and their connected streams.
libstarling_la_SOURCES += src/core/component_registry.cpp src/core/component_registry.hpp

# In-process services (a module serving a whole domain), strands, and composed disco answers.
libstarling_la_SOURCES += src/core/service_registry.cpp src/core/service_registry.hpp \
	src/core/strand.hpp src/core/disco.cpp src/core/disco.hpp
