# src/core

# Config: the YAML configuration, its validation, and module options declared as data.
libstarling_la_SOURCES += \
	src/core/config.cpp src/core/config.hpp \
	src/core/config_reader.cpp src/core/config_reader.hpp \
	src/core/options.cpp src/core/options.hpp
tests_unit_run_unit_SOURCES += tests/unit/core/test_config.cpp tests/unit/core/test_options.cpp
