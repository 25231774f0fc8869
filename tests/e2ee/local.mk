# End-to-end encryption tests: OMEMO 0.3 clients on libstrophe and libsignal-protocol-c, built
# into the scenario runner so that they run against a live starlingd on both storage drivers.
tests_scenarios_run_scenarios_SOURCES += \
	tests/e2ee/signal_crypto_openssl.hpp \
	tests/e2ee/signal_crypto_openssl.cpp \
	tests/e2ee/signal_stores.hpp \
	tests/e2ee/signal_stores.cpp \
	tests/e2ee/omemo_payload.hpp \
	tests/e2ee/omemo_payload.cpp \
	tests/e2ee/omemo_bundle.hpp \
	tests/e2ee/omemo_bundle.cpp \
	tests/e2ee/omemo_message.hpp \
	tests/e2ee/omemo_message.cpp \
	tests/e2ee/omemo_device.hpp \
	tests/e2ee/omemo_device.cpp \
	tests/e2ee/scenarios_e2ee_in_memory.cpp \
	tests/e2ee/omemo_client.hpp \
	tests/e2ee/omemo_client.cpp \
	tests/e2ee/prekey_ledger.hpp \
	tests/e2ee/e2ee_checks.hpp \
	tests/e2ee/e2ee_checks.cpp \
	tests/e2ee/stored_data.hpp \
	tests/e2ee/stored_data.cpp \
	tests/e2ee/scenarios_e2ee.cpp \
	tests/e2ee/scenarios_e2ee_leak_scan.cpp \
	tests/e2ee/scenarios_e2ee_prekeys.cpp \
	tests/e2ee/omemo_group.hpp \
	tests/e2ee/omemo_group.cpp \
	tests/e2ee/scenarios_e2ee_muc.cpp
tests_scenarios_run_scenarios_CPPFLAGS += $(SIGNAL_CFLAGS) -I$(top_srcdir)/tests/scenarios
tests_scenarios_run_scenarios_LDADD += $(SIGNAL_LIBS) $(SQLITE_LIBS)
