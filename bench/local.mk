# xmpp-bench: the load generator (bench/README.md). It drives any XMPP server over its sockets,
# so it links no Starling code, only Asio's header wrapper from src/net.
noinst_PROGRAMS += bench/xmpp-bench
bench_xmpp_bench_SOURCES = \
	bench/main.cpp \
	bench/options.hpp \
	bench/bench_error.hpp \
	bench/stanza_reader.hpp \
	bench/stanza_reader.cpp \
	bench/message_body.hpp \
	bench/message_body.cpp \
	bench/scram_client.hpp \
	bench/scram_client.cpp \
	bench/latency_stats.hpp \
	bench/latency_stats.cpp \
	bench/delivery_ledger.hpp \
	bench/delivery_ledger.cpp \
	bench/process_stats.hpp \
	bench/process_stats.cpp \
	bench/report.hpp \
	bench/report.cpp \
	bench/connection.hpp \
	bench/connection.cpp \
	bench/worker.hpp \
	bench/worker.cpp \
	bench/client_pool.hpp \
	bench/client_pool.cpp \
	bench/scenarios/scenarios.hpp \
	bench/scenarios/common.cpp \
	bench/scenarios/register.cpp \
	bench/scenarios/idle.cpp \
	bench/scenarios/login.cpp \
	bench/scenarios/chat.cpp \
	bench/scenarios/offline.cpp \
	bench/scenarios/muc.cpp \
	bench/scenarios/preauth.cpp
bench_xmpp_bench_CPPFLAGS = -I$(top_srcdir) -I$(top_srcdir)/src $(EXPAT_CFLAGS) $(OPENSSL_CFLAGS)
bench_xmpp_bench_LDADD = $(BOOST_PO_LIBS) $(OPENSSL_LIBS) $(EXPAT_LIBS) -lpthread
EXTRA_DIST += bench/README.md
# The side-by-side comparison with Prosody and ejabberd, its server configs, and the
# instruction count per routed message (docs/benchmarks.md).
EXTRA_DIST += bench/compare.sh bench/callgrind.sh bench/upload_bench.py \
	bench/servers/starling.yml.in bench/servers/prosody.cfg.lua.in bench/servers/ejabberd.yml.in
