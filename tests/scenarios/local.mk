# Scenario tests: scripted conversations over real sockets against a live starlingd. The runner
# drives the server only through its CLI, config and sockets, so it links no Starling code.
check_PROGRAMS += tests/scenarios/run_scenarios
tests_scenarios_run_scenarios_SOURCES = \
	tests/scenarios/main.cpp \
	tests/scenarios/scenario.hpp \
	tests/scenarios/scenario_registry.cpp \
	tests/scenarios/process.hpp \
	tests/scenarios/process.cpp \
	tests/scenarios/temp_dir.hpp \
	tests/scenarios/temp_dir.cpp \
	tests/scenarios/free_port.hpp \
	tests/scenarios/free_port.cpp \
	tests/scenarios/certificate.hpp \
	tests/scenarios/certificate.cpp \
	tests/scenarios/postgres_database.hpp \
	tests/scenarios/postgres_database.cpp \
	tests/scenarios/server_fixture.hpp \
	tests/scenarios/server_fixture.cpp \
	tests/scenarios/server_failures.hpp \
	tests/scenarios/server_failures.cpp \
	tests/scenarios/test_accounts.hpp \
	tests/scenarios/strophe_client.hpp \
	tests/scenarios/strophe_client.cpp \
	tests/scenarios/client_steps.hpp \
	tests/scenarios/stanza_matchers.hpp \
	tests/scenarios/xmpp_names.hpp \
	tests/scenarios/xml_element.hpp \
	tests/scenarios/xml_element.cpp \
	tests/scenarios/xml_stream_reader.hpp \
	tests/scenarios/xml_stream_reader.cpp \
	tests/scenarios/raw_stream.hpp \
	tests/scenarios/raw_stream.cpp \
	tests/scenarios/scram_client.hpp \
	tests/scenarios/scram_client.cpp \
	tests/scenarios/raw_session.hpp \
	tests/scenarios/raw_session.cpp \
	tests/scenarios/ctl_checks.hpp \
	tests/scenarios/scenarios_login.cpp \
	tests/scenarios/scenarios_messages.cpp \
	tests/scenarios/scenarios_iq.cpp \
	tests/scenarios/scenarios_stream_errors.cpp \
	tests/scenarios/scenarios_signals.cpp \
	tests/scenarios/scenarios_tls.cpp \
	tests/scenarios/scenarios_ctl.cpp \
	tests/scenarios/scenarios_modules.cpp \
	tests/scenarios/scenarios_stream_timing.cpp \
	tests/scenarios/scenario_slixmpp.cpp \
	tests/scenarios/scenarios_register.cpp \
	tests/scenarios/scenarios_account_access.cpp \
	tests/scenarios/pipelined_requests.hpp \
	tests/scenarios/scenarios_quotas.cpp \
	tests/scenarios/websocket_client.cpp tests/scenarios/websocket_client.hpp \
	tests/scenarios/scenarios_websocket.cpp \
	tests/scenarios/peer_process.hpp tests/scenarios/scenarios_browser.cpp \
	tests/scenarios/bosh_client.cpp tests/scenarios/bosh_client.hpp \
	tests/scenarios/web_client_steps.hpp \
	tests/scenarios/scenarios_bosh.cpp
tests_scenarios_run_scenarios_CPPFLAGS = $(AM_CPPFLAGS) $(STROPHE_CFLAGS) \
	-DSTARLING_SRCDIR='"$(abs_top_srcdir)"'
tests_scenarios_run_scenarios_LDADD = $(STROPHE_LIBS) $(OPENSSL_LIBS) $(EXPAT_LIBS)
EXTRA_DIST += tests/interop/slixmpp_test.py tests/interop/slixmpp_im_test.py \
	tests/interop/slixmpp_smacks_test.py tests/interop/interop_steps.py \
	tests/interop/slixmpp_muc_test.py \
	tests/interop/slixmpp_upload_test.py \
	tests/interop/federation/federation_test.py tests/interop/federation/servers.py \
	tests/interop/federation/xmpp_client.py tests/interop/federation/dns_stub.py \
	tests/browser/package.json tests/browser/package-lock.json tests/browser/converse_test.mjs

# Offline messages, vCards and private XML storage.
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenarios_offline.cpp \
	tests/scenarios/scenarios_vcard.cpp \
	tests/scenarios/scenarios_private.cpp
# Roster, presence and last activity
tests_scenarios_run_scenarios_SOURCES += \
	tests/scenarios/canonical_stanza.hpp \
	tests/scenarios/presence_checks.hpp \
	tests/scenarios/scenarios_roster.cpp \
	tests/scenarios/scenarios_presence.cpp \
	tests/scenarios/scenarios_last.cpp
# Ad-hoc administration commands
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenarios_adhoc.cpp
# Blocking
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenarios_blocking.cpp
# The load generator (bench/xmpp-bench) against a live server: chat and offline delivery
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenario_bench.cpp
# Message archive management
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenarios_mam.cpp
# Message carbons
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenarios_carbons.cpp
# External components (XEP-0114) and push notifications (XEP-0357) with a scripted app server
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scripted_component.hpp \
	tests/scenarios/scripted_component.cpp \
	tests/scenarios/scenarios_component.cpp \
	tests/scenarios/federation_fixture.hpp \
	tests/scenarios/scenarios_s2s_in.cpp \
	tests/scenarios/scenarios_s2s_out.cpp \
	tests/scenarios/scenarios_s2s_bidi.cpp \
	tests/scenarios/scenarios_federation_interop.cpp \
	tests/scenarios/scenarios_s2s_network.cpp \
	tests/scenarios/scenarios_s2s_policy.cpp \
	tests/scenarios/loopback_listener.hpp tests/scenarios/scripted_s2s_peer.hpp \
	tests/scenarios/scenarios_s2s_sm.cpp \
	tests/scenarios/scenarios_push.cpp
# PEP, OMEMO and the single-use prekey claim
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/pep_steps.hpp \
	tests/scenarios/scenarios_pep.cpp \
	tests/scenarios/scenarios_legacy_error_codes.cpp \
	tests/scenarios/scenarios_pep_subscriptions.cpp \
	tests/scenarios/scenarios_pep_bookmarks.cpp \
	tests/scenarios/scenarios_prekeys.cpp \
	tests/scenarios/scenarios_s2s_pep.cpp
# XEP-0198 stream management and XEP-0352 client state indication.
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/sm_client.hpp \
	tests/scenarios/scenarios_smacks.cpp tests/scenarios/scenarios_csi.cpp
# SIGTERM keeps the delivery guarantee: queued and unacknowledged messages are stored
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenarios_shutdown.cpp
# Acknowledged means durable: kill -9 right after an XEP-0198 <a/> loses nothing
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenarios_durability.cpp
# One sender's messages arrive in the order sent: coming online, resumption, receipts
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/sequence_steps.hpp \
	tests/scenarios/scenarios_ordering.cpp
# Per-stream shaping: back-pressure over the rate, policy-violation far over it
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenarios_rate_limits.cpp
# A pending stored-secret lookup completes only the SASL exchange that started it
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenarios_sasl_exchange.cpp
# What an unauthenticated connection may hold; connection limits; the bind deadline
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenarios_preauth_limits.cpp
# Every write counts towards the outbound bound; past it the stream closes, its queue is stored
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenarios_outbound_bound.cpp
# The embedded HTTP server: listeners, limits, metrics
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/http_client.hpp \
	tests/scenarios/http_client.cpp tests/scenarios/scenarios_http.cpp \
	tests/scenarios/scenarios_metrics.cpp \
	tests/scenarios/scenarios_upload.cpp tests/scenarios/upload_steps.hpp \
	tests/scenarios/aes_gcm.hpp
# The runner's own checks: a crashed server or a dead stream fails the scenario
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/scenarios_runner_checks.cpp

# make installcheck (run by make distcheck on its --prefix install): every scenario against the
# installed starlingd, starlingctl, modules and migrations instead of the build tree's, on
# PostgreSQL when STARLING_TEST_PG_CONNINFO names a database the tests may use (test-all.sh
# starts one), on SQLite otherwise.
installcheck-local: tests/scenarios/run_scenarios
	tests/scenarios/run_scenarios --builddir $(abs_builddir) --srcdir $(abs_top_srcdir) \
		--starlingd $(sbindir)/starlingd --starlingctl $(bindir)/starlingctl \
		--module-dir $(pkglibdir)/modules --schema-dir $(pkgdatadir)/schemas \
		$${STARLING_TEST_PG_CONNINFO:+--driver postgres --conninfo "$$STARLING_TEST_PG_CONNINFO"}
# Multi-user chat (XEP-0045)
tests_scenarios_run_scenarios_SOURCES += tests/scenarios/muc_steps.hpp \
	tests/scenarios/scenarios_muc.cpp tests/scenarios/scenarios_muc_admin.cpp
