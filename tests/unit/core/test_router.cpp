// The routing rules of docs/routing.md (RFC 6121 §8, RFC 6120 §10), asserted on a Server built in
// process with two hosts and no listeners. Clients are fake sessions bound in the session manager
// that record the exact bytes delivered to them. Rules that need to know whether an account exists
// start the server (storage, no listeners) and create accounts in its SQLite database.
#include "fake_session.hpp"
#include "in_process_config.hpp"
#include "tests/unit/stanza_text.hpp"
#include "tests/unit/storage/temp_dir.hpp"

#include "core/router.hpp"
#include "core/server.hpp"
#include "storage/account_store.hpp"
#include "storage/database.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cppunit/extensions/HelperMacros.h>

#include <array>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using starling::EventKey;
using starling::Host;
using starling::IqTarget;
using starling::Jid;
using starling::StanzaEvent;
using starling::StanzaPtr;
using starling::Verdict;
using starling::test::FakeSession;
namespace events = starling::events;

namespace {

constexpr auto patience = std::chrono::seconds(5);

using Received = std::vector<std::string>;

StanzaPtr stanza(std::string_view text) { return starling::test::stanza_from(text); }

// A self-signed certificate: Server::start builds its TLS contexts even with no listeners.
void write_certificate(const std::string& certificate, const std::string& key) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> x509(X509_new(), X509_free);
    CPPUNIT_ASSERT(pkey && x509);
    X509_set_version(x509.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x509.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(x509.get()), 86400);
    X509_set_pubkey(x509.get(), pkey.get());
    X509_NAME* name = X509_get_subject_name(x509.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("example.test"), -1, -1, 0);
    X509_set_issuer_name(x509.get(), name);
    CPPUNIT_ASSERT(X509_sign(x509.get(), pkey.get(), EVP_sha256()) > 0);
    std::unique_ptr<FILE, decltype(&std::fclose)> cert_file(std::fopen(certificate.c_str(), "w"),
                                                            std::fclose);
    std::unique_ptr<FILE, decltype(&std::fclose)> key_file(std::fopen(key.c_str(), "w"),
                                                           std::fclose);
    CPPUNIT_ASSERT(cert_file && key_file);
    CPPUNIT_ASSERT(PEM_write_X509(cert_file.get(), x509.get()) == 1);
    CPPUNIT_ASSERT(PEM_write_PrivateKey(key_file.get(), pkey.get(), nullptr, nullptr, 0, nullptr,
                                        nullptr) == 1);
}


// Records which handlers ran, to check their order and that a verdict stops the rest.
struct HookLog {
    std::mutex mutex;
    std::vector<std::string> calls;
    void add(std::string call) {
        std::lock_guard lock(mutex);
        calls.push_back(std::move(call));
    }
    std::vector<std::string> get() {
        std::lock_guard lock(mutex);
        return calls;
    }
};

const std::string service_unavailable =
    "<error type='cancel' code='503'><service-unavailable "
    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";

}  // namespace

class RouterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RouterTest);
    CPPUNIT_TEST(bare_message_goes_to_highest_priority_resources_only);
    CPPUNIT_TEST(bare_message_without_type_is_normal);
    CPPUNIT_TEST(negative_priority_never_gets_bare_messages);
    CPPUNIT_TEST(resource_without_presence_never_gets_bare_messages);
    CPPUNIT_TEST(headline_goes_to_every_available_non_negative_resource);
    CPPUNIT_TEST(full_jid_message_reaches_that_resource_only);
    CPPUNIT_TEST(chat_to_missing_resource_falls_back_to_bare);
    CPPUNIT_TEST(normal_to_missing_resource_is_not_redirected_to_bare);
    CPPUNIT_TEST(headline_to_missing_resource_is_ignored);
    CPPUNIT_TEST(groupchat_to_bare_bounces_service_unavailable);
    CPPUNIT_TEST(groupchat_to_missing_resource_bounces_service_unavailable);
    CPPUNIT_TEST(error_messages_are_never_bounced);
    CPPUNIT_TEST(bounce_without_origin_is_routed_to_the_sender);
    CPPUNIT_TEST(message_without_to_goes_to_own_bare_jid);
    CPPUNIT_TEST(message_to_unknown_domain_is_remote_server_not_found);
    CPPUNIT_TEST(component_domain_goes_to_its_stream_or_bounces);
    CPPUNIT_TEST(malformed_to_is_jid_malformed);
    CPPUNIT_TEST(message_to_host_goes_to_its_hook_and_is_never_bounced);
    CPPUNIT_TEST(iq_to_unknown_namespace_is_service_unavailable);
    CPPUNIT_TEST(iq_to_account_unknown_namespace_is_service_unavailable);
    CPPUNIT_TEST(iq_with_two_payloads_is_bad_request);
    CPPUNIT_TEST(iq_without_payload_or_type_is_bad_request);
    CPPUNIT_TEST(iq_to_missing_resource_is_service_unavailable);
    CPPUNIT_TEST(iq_to_full_jid_is_delivered);
    CPPUNIT_TEST(iq_handlers_by_target);
    CPPUNIT_TEST(newest_registration_answers_and_an_older_one_returns);
    CPPUNIT_TEST(iq_without_to_falls_back_to_host_handler);
    CPPUNIT_TEST(iq_results_and_errors_are_never_answered);
    CPPUNIT_TEST(tracked_iq_reply_reaches_its_callback_only_from_its_jid);
    CPPUNIT_TEST(presence_broadcast_reaches_own_other_available_resources);
    CPPUNIT_TEST(directed_presence_reaches_every_available_resource);
    CPPUNIT_TEST(hook_handled_stops_delivery);
    CPPUNIT_TEST(hook_drop_stops_full_jid_delivery);
    CPPUNIT_TEST(hooks_run_in_priority_order);
    CPPUNIT_TEST(message_hooks_may_replace_the_stanza);
    CPPUNIT_TEST(message_to_nonexistent_account_is_service_unavailable);
    CPPUNIT_TEST(message_to_offline_account_without_offline_module_bounces);
    CPPUNIT_TEST(offline_hook_takes_message_for_offline_account);
    CPPUNIT_TEST(only_negative_priority_resources_count_as_offline);
    CPPUNIT_TEST(headline_to_offline_account_is_ignored);
    CPPUNIT_TEST(counts_routed_delivered_and_bounced);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        server_ = std::make_unique<starling::Server>(
            starling::config::parse(starling::test::in_process_config(),
                                    (dir_.path() / "starling.yml").string()));
        bob_ = online("bob@example.test/phone", 0);
    }

    void tearDown() override { server_.reset(); }

    // Each stanza the router takes is counted once by kind, each hand-over to a session once,
    // and a bounce by its condition (and not again as routed).
    void counts_routed_delivered_and_bounced() {
        auto phone = online("alice@example.test/phone", 5);
        auto& metrics = server_->metrics();
        auto& messages = metrics.counter("router.routed", {{"kind", "message"}});
        auto& iqs = metrics.counter("router.routed", {{"kind", "iq"}});
        auto& delivered = metrics.counter("router.delivered");
        auto& unavailable =
            metrics.counter("router.bounced", {{"condition", "service-unavailable"}});
        const auto before =
            std::array{messages.value(), iqs.value(), delivered.value(), unavailable.value()};
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test' "
              "type='chat'><body>hi</body></message>");
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test' "
              "type='groupchat'/>");
        CPPUNIT_ASSERT_EQUAL(before[0] + 2, messages.value());
        CPPUNIT_ASSERT_EQUAL(before[1], iqs.value());
        CPPUNIT_ASSERT_EQUAL(before[2] + 2, delivered.value());  // the chat and the error
        CPPUNIT_ASSERT_EQUAL(before[3] + 1, unavailable.value());
    }

    void bare_message_goes_to_highest_priority_resources_only() {
        auto phone = online("alice@example.test/phone", 5);
        auto laptop = online("alice@example.test/laptop", 1);
        auto tablet = online("alice@example.test/tablet", 5);
        const std::string text =
            "<message from='bob@example.test/phone' to='alice@example.test' type='chat' "
            "id='m1'><body>hi</body></message>";
        route(bob_, text);
        CPPUNIT_ASSERT(phone->received() == Received{text});
        CPPUNIT_ASSERT(tablet->received() == Received{text});
        CPPUNIT_ASSERT(laptop->received().empty());
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void bare_message_without_type_is_normal() {
        auto phone = online("alice@example.test/phone", 0);
        auto laptop = online("alice@example.test/laptop", 3);
        const std::string text =
            "<message from='bob@example.test/phone' to='alice@example.test' id='m2'>"
            "<body>hi</body></message>";
        route(bob_, text);
        CPPUNIT_ASSERT(laptop->received() == Received{text});
        CPPUNIT_ASSERT(phone->received().empty());
    }

    void negative_priority_never_gets_bare_messages() {
        auto hidden = online("alice@example.test/hidden", -1);
        auto zero = online("alice@example.test/zero", 0);
        for (const char* type : {"chat", "normal", "headline"}) {
            route(bob_, std::string("<message from='bob@example.test/phone' "
                                    "to='alice@example.test' type='") +
                            type + "'><body>x</body></message>");
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), zero->received().size());
        CPPUNIT_ASSERT(hidden->received().empty());
    }

    void resource_without_presence_never_gets_bare_messages() {
        auto connected = online("alice@example.test/connected", 10, false);
        auto available = online("alice@example.test/available", 0);
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test' type='chat'>"
              "<body>x</body></message>");
        CPPUNIT_ASSERT(connected->received().empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), available->received().size());
    }

    void headline_goes_to_every_available_non_negative_resource() {
        auto high = online("alice@example.test/high", 9);
        auto low = online("alice@example.test/low", 0);
        auto negative = online("alice@example.test/negative", -5);
        auto connected = online("alice@example.test/connected", 9, false);
        const std::string text =
            "<message from='bob@example.test/phone' to='alice@example.test' type='headline'>"
            "<body>news</body></message>";
        route(bob_, text);
        CPPUNIT_ASSERT(high->received() == Received{text});
        CPPUNIT_ASSERT(low->received() == Received{text});
        CPPUNIT_ASSERT(negative->received().empty());
        CPPUNIT_ASSERT(connected->received().empty());
    }

    void full_jid_message_reaches_that_resource_only() {
        auto phone = online("alice@example.test/phone", 5);
        auto laptop = online("alice@example.test/laptop", -1);
        auto connected = online("alice@example.test/connected", 0, false);
        const std::string to_laptop =
            "<message from='bob@example.test/phone' to='alice@example.test/laptop' "
            "type='chat'><body>one</body></message>";
        const std::string to_connected =
            "<message from='bob@example.test/phone' to='alice@example.test/connected' "
            "type='chat'><body>two</body></message>";
        route(bob_, to_laptop);
        route(bob_, to_connected);
        // A full JID names one resource: its priority and presence do not matter (§8.5.3.1).
        CPPUNIT_ASSERT(laptop->received() == Received{to_laptop});
        CPPUNIT_ASSERT(connected->received() == Received{to_connected});
        CPPUNIT_ASSERT(phone->received().empty());
    }

    void chat_to_missing_resource_falls_back_to_bare() {
        auto phone = online("alice@example.test/phone", 5);
        auto laptop = online("alice@example.test/laptop", 1);
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test/gone' type='chat' "
              "id='c1'><body>still there?</body></message>");
        // Delivered as if sent to the bare JID (RFC 6121 §8.5.3.2.1), addressed to it.
        CPPUNIT_ASSERT(phone->received() ==
                       Received{"<message from='bob@example.test/phone' to='alice@example.test' "
                                "type='chat' id='c1'><body>still there?</body></message>"});
        CPPUNIT_ASSERT(laptop->received().empty());
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void normal_to_missing_resource_is_not_redirected_to_bare() {
        // RFC 6121 §8.5.3.2.1: only type chat is treated as addressed to the bare JID; a normal
        // message (or one with no type) to a resource that is gone is ignored or answered with
        // <service-unavailable/>. Starling answers, so the sender knows it was not delivered.
        auto phone = online("alice@example.test/phone", 5);
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test/gone' "
              "type='normal' id='n1'><body>x</body></message>");
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test/gone' id='n2'>"
              "<body>y</body></message>");
        CPPUNIT_ASSERT_MESSAGE(
            "RFC 6121 §8.5.3.2.1: a normal message to a missing resource "
            "is not delivered to the bare JID",
            phone->received().empty());
        CPPUNIT_ASSERT(bob_->received() ==
                       (Received{"<message type='error' id='n1' to='bob@example.test/phone' "
                                 "from='alice@example.test/gone'><body>x</body>" +
                                     service_unavailable + "</message>",
                                 "<message id='n2' to='bob@example.test/phone' "
                                 "from='alice@example.test/gone' type='error'><body>y</body>" +
                                     service_unavailable + "</message>"}));
    }

    void headline_to_missing_resource_is_ignored() {
        auto phone = online("alice@example.test/phone", 5);
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test/gone' "
              "type='headline'><body>x</body></message>");
        CPPUNIT_ASSERT(phone->received().empty());
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void groupchat_to_bare_bounces_service_unavailable() {
        auto phone = online("alice@example.test/phone", 5);
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test' "
              "type='groupchat' id='g1'><body>hi all</body></message>");
        CPPUNIT_ASSERT(phone->received().empty());
        CPPUNIT_ASSERT(bob_->received() ==
                       Received{"<message type='error' id='g1' to='bob@example.test/phone' "
                                "from='alice@example.test'><body>hi all</body>" +
                                service_unavailable + "</message>"});
    }

    void groupchat_to_missing_resource_bounces_service_unavailable() {
        online("alice@example.test/phone", 5);
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test/gone' "
              "type='groupchat' id='g2'/>");
        CPPUNIT_ASSERT(bob_->received() ==
                       Received{"<message type='error' id='g2' to='bob@example.test/phone' "
                                "from='alice@example.test/gone'>" +
                                service_unavailable + "</message>"});
    }

    void error_messages_are_never_bounced() {
        auto phone = online("alice@example.test/phone", 5);
        const std::string error =
            "<error type='cancel'><item-not-found "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";
        for (const char* to : {"carol@remote.test", "alice@example.test", "alice@example.test/gone",
                               "alice@example.test/phone"}) {
            route(bob_, std::string("<message from='bob@example.test/phone' to='") + to +
                            "' type='error'>" + error + "</message>");
        }
        // Only the error addressed to an existing resource is delivered; nothing comes back.
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), phone->received().size());
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void bounce_without_origin_is_routed_to_the_sender() {
        // A stanza a module sends has no origin session: its error travels by the router.
        auto phone = online("alice@example.test/phone", 5);
        server_->router().route(nullptr,
                                stanza("<message from='bob@example.test/phone' "
                                       "to='alice@example.test' type='groupchat' id='g3'/>"));
        CPPUNIT_ASSERT(bob_->received() ==
                       Received{"<message type='error' id='g3' to='bob@example.test/phone' "
                                "from='alice@example.test'>" +
                                service_unavailable + "</message>"});
    }

    void message_without_to_goes_to_own_bare_jid() {
        auto laptop = online("bob@example.test/laptop", 1);
        route(bob_,
              "<message from='bob@example.test/phone' type='chat'><body>note</body></message>");
        // RFC 6120 §10.3.1: as if addressed to the sender's bare JID; the phone (priority 0)
        // loses to the laptop (priority 1).
        CPPUNIT_ASSERT(laptop->received() ==
                       Received{"<message from='bob@example.test/phone' type='chat' "
                                "to='bob@example.test'><body>note</body></message>"});
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void message_to_unknown_domain_is_remote_server_not_found() {
        route(bob_,
              "<message from='bob@example.test/phone' to='carol@remote.test' type='chat' "
              "id='r1'><body>hello</body></message>");
        CPPUNIT_ASSERT(bob_->received() ==
                       Received{"<message type='error' id='r1' to='bob@example.test/phone' "
                                "from='carol@remote.test'><body>hello</body><error "
                                "type='cancel' code='404'><remote-server-not-found "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
                                "</message>"});
    }

    void component_domain_goes_to_its_stream_or_bounces() {
        server_->components().configure({"push.example.test"});
        const std::string message =
            "<message from='bob@example.test/phone' to='svc@push.example.test/x' type='chat' "
            "id='c1'><body>hello</body></message>";
        // Configured, not connected: the service is not provided right now.
        route(bob_, message);
        CPPUNIT_ASSERT(bob_->received() ==
                       Received{"<message type='error' id='c1' to='bob@example.test/phone' "
                                "from='svc@push.example.test/x'><body>hello</body><error "
                                "type='cancel' code='503'><service-unavailable "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>the component is "
                                "not connected</text></error></message>"});
        // Connected: every JID at the domain, and the domain itself, of every kind.
        auto component = std::make_shared<FakeSession>("push.example.test", 0, false);
        CPPUNIT_ASSERT(server_->components().attach("push.example.test", component));
        CPPUNIT_ASSERT(!server_->components().attach(
            "push.example.test", std::make_shared<FakeSession>("push.example.test", 0, false)));
        const std::string iq =
            "<iq from='bob@example.test/phone' to='push.example.test' type='get' id='c2'><query "
            "xmlns='http://jabber.org/protocol/disco#info'/></iq>";
        const std::string result =
            "<iq from='bob@example.test/phone' to='push.example.test' type='result' id='c3'/>";
        route(bob_, message);
        route(bob_, iq);
        route(bob_, result);
        CPPUNIT_ASSERT(component->received() == (Received{message, iq, result}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), bob_->received().size());
        // Gone again: a result is dropped, an iq get answered.
        server_->components().detach("push.example.test", *component);
        route(bob_, result);
        route(bob_, iq);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), bob_->received().size());
        CPPUNIT_ASSERT(bob_->received()[1].find("<service-unavailable") != std::string::npos);
        // Not a component: still the remote-domain rule.
        CPPUNIT_ASSERT(!server_->components().serves("other.push.example.test"));
    }

    void malformed_to_is_jid_malformed() {
        route(bob_,
              "<iq from='bob@example.test/phone' to='a@b@example.test' type='get' id='j1'>"
              "<query xmlns='jabber:iq:version'/></iq>");
        CPPUNIT_ASSERT(
            bob_->received() ==
            Received{"<iq type='error' id='j1' to='bob@example.test/phone' "
                     "from='a@b@example.test'><error type='modify' code='400'><jid-malformed "
                     "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"});
    }

    void message_to_host_goes_to_its_hook_and_is_never_bounced() {
        HookLog log;
        auto registered = hook(events::message_host, 0, [&](StanzaEvent& ev) {
            log.add(ev.stanza->to().str());
            return Verdict::pass;
        });
        route(bob_,
              "<message from='bob@example.test/phone' to='example.test'><body>hi</body>"
              "</message>");
        CPPUNIT_ASSERT(log.get() == std::vector<std::string>{"example.test"});
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void iq_to_unknown_namespace_is_service_unavailable() {
        route(bob_,
              "<iq from='bob@example.test/phone' to='example.test' type='get' id='q1'>"
              "<query xmlns='urn:example:unknown'/></iq>");
        // RFC 6120 §8.4: an iq error need not echo the payload; Starling does not.
        CPPUNIT_ASSERT(bob_->received() ==
                       Received{"<iq type='error' id='q1' to='bob@example.test/phone' "
                                "from='example.test'>" +
                                service_unavailable + "</iq>"});
    }

    void iq_to_account_unknown_namespace_is_service_unavailable() {
        auto phone = online("alice@example.test/phone", 5);
        // A host handler does not answer for accounts.
        auto handler =
            host("example.test")
                .add_iq_handler(IqTarget::host, "get", "urn:example:host-only", [](StanzaEvent&) {
                    CPPUNIT_FAIL("a host handler answered an iq to a bare JID");
                });
        route(bob_,
              "<iq from='bob@example.test/phone' to='alice@example.test' type='get' id='q2'>"
              "<query xmlns='urn:example:host-only'/></iq>");
        // RFC 6121 §8.5.2.1.3: answered by the server on the account's behalf, never delivered.
        CPPUNIT_ASSERT(phone->received().empty());
        CPPUNIT_ASSERT(bob_->received() ==
                       Received{"<iq type='error' id='q2' to='bob@example.test/phone' "
                                "from='alice@example.test'>" +
                                service_unavailable + "</iq>"});
    }

    void iq_with_two_payloads_is_bad_request() {
        auto handler =
            host("example.test")
                .add_iq_handler(IqTarget::host, "get", "jabber:iq:version", [](StanzaEvent&) {
                    CPPUNIT_FAIL("an iq with two payloads reached a handler");
                });
        route(bob_,
              "<iq from='bob@example.test/phone' to='example.test' type='get' id='b1'>"
              "<query xmlns='jabber:iq:version'/><ping xmlns='urn:xmpp:ping'/></iq>");
        CPPUNIT_ASSERT(bob_->received() ==
                       Received{"<iq type='error' id='b1' to='bob@example.test/phone' "
                                "from='example.test'><error type='modify' code='400'><bad-request "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"});
    }

    void iq_without_payload_or_type_is_bad_request() {
        route(bob_, "<iq from='bob@example.test/phone' to='example.test' type='set' id='b2'/>");
        route(bob_,
              "<iq from='bob@example.test/phone' to='example.test' id='b3'>"
              "<ping xmlns='urn:xmpp:ping'/></iq>");
        const auto received = bob_->received();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), received.size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("<iq type='error' id='b2' to='bob@example.test/phone' "
                        "from='example.test'><error type='modify' code='400'><bad-request "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
                        "</iq>"),
            received[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("<iq id='b3' to='bob@example.test/phone' "
                                         "from='example.test' type='error'><error "
                                         "type='modify' code='400'><bad-request "
                                         "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
                                         "</iq>"),
                             received[1]);
    }

    void iq_to_missing_resource_is_service_unavailable() {
        auto phone = online("alice@example.test/phone", 5);
        route(bob_,
              "<iq from='bob@example.test/phone' to='alice@example.test/gone' type='get' "
              "id='q3'><query xmlns='jabber:iq:version'/></iq>");
        CPPUNIT_ASSERT(phone->received().empty());
        CPPUNIT_ASSERT(bob_->received() ==
                       Received{"<iq type='error' id='q3' to='bob@example.test/phone' "
                                "from='alice@example.test/gone'>" +
                                service_unavailable + "</iq>"});
    }

    void iq_to_full_jid_is_delivered() {
        auto phone = online("alice@example.test/phone", 5);
        const std::string get =
            "<iq from='bob@example.test/phone' to='alice@example.test/phone' type='get' "
            "id='v1'><query xmlns='jabber:iq:version'/></iq>";
        const std::string result =
            "<iq from='alice@example.test/phone' to='bob@example.test/phone' type='result' "
            "id='v1'/>";
        route(bob_, get);
        route(phone, result);
        CPPUNIT_ASSERT(phone->received() == Received{get});
        CPPUNIT_ASSERT(bob_->received() == Received{result});
    }

    // A reload loads new instances before it unloads the old ones; a reload that fails unloads
    // the new ones again. Either way the right instance answers afterwards.
    void newest_registration_answers_and_an_older_one_returns() {
        HookLog log;
        auto& example = host("example.test");
        const std::string get =
            "<iq from='bob@example.test/phone' to='example.test' type='get' id='n'>"
            "<q xmlns='urn:example:n'/></iq>";
        auto old_handler = example.add_iq_handler(IqTarget::host, "get", "urn:example:n",
                                                  [&](StanzaEvent&) { log.add("old"); });
        {
            auto failed_reload = example.add_iq_handler(IqTarget::host, "get", "urn:example:n",
                                                        [&](StanzaEvent&) { log.add("new"); });
            route(bob_, get);
        }
        route(bob_, get);
        auto reloaded = example.add_iq_handler(IqTarget::host, "get", "urn:example:n",
                                               [&](StanzaEvent&) { log.add("newer"); });
        old_handler.reset();
        route(bob_, get);
        CPPUNIT_ASSERT(log.get() == (std::vector<std::string>{"new", "old", "newer"}));

        // Services: the same module of the same host takes a domain over, and gives it back;
        // another module, or another host's, may not have it.
        auto& services = server_->services();
        auto first = services.add({"chat.example.test", "example.test", "muc", {}});
        CPPUNIT_ASSERT(first);
        CPPUNIT_ASSERT(!services.add({"chat.example.test", "other.test", "muc", {}}));
        CPPUNIT_ASSERT(!services.add({"chat.example.test", "example.test", "upload", {}}));
        const auto* old_service = services.find("chat.example.test").get();
        {
            auto second = services.add({"chat.example.test", "example.test", "muc", {}});
            CPPUNIT_ASSERT(second && services.find("chat.example.test").get() != old_service);
        }
        CPPUNIT_ASSERT(services.find("chat.example.test").get() == old_service);
        CPPUNIT_ASSERT(services.of_host("example.test") == std::vector<std::string>{"chat.example.test"});
        first->reset();
        CPPUNIT_ASSERT(!services.find("chat.example.test"));
        CPPUNIT_ASSERT(services.of_host("example.test").empty());
    }

    void iq_handlers_by_target() {
        HookLog log;
        auto& example = host("example.test");
        auto for_host =
            example.add_iq_handler(IqTarget::host, "get", "urn:example:q",
                                   [&](StanzaEvent& ev) { log.add("host " + ev.host.domain()); });
        auto for_account = example.add_iq_handler(
            IqTarget::account, "get", "urn:example:q",
            [&](StanzaEvent& ev) { log.add("account " + ev.stanza->to().str()); });
        auto set_only = example.add_iq_handler(IqTarget::host, "set", "urn:example:s",
                                               [&](StanzaEvent&) { log.add("set"); });
        route(bob_,
              "<iq from='bob@example.test/phone' to='example.test' type='get' id='h1'>"
              "<q xmlns='urn:example:q'/></iq>");
        route(bob_,
              "<iq from='bob@example.test/phone' to='alice@example.test' type='get' "
              "id='h2'><q xmlns='urn:example:q'/></iq>");
        // Handlers are per host: other.test has none.
        route(bob_,
              "<iq from='bob@example.test/phone' to='other.test' type='get' id='h3'>"
              "<q xmlns='urn:example:q'/></iq>");
        // Handlers are per type: a get does not reach the set handler, and is told the feature
        // exists but not for a get (RFC 6120 §8.3.3.3).
        route(bob_,
              "<iq from='bob@example.test/phone' to='example.test' type='get' id='h4'>"
              "<s xmlns='urn:example:s'/></iq>");
        CPPUNIT_ASSERT(log.get() == (std::vector<std::string>{"host example.test",
                                                              "account alice@example.test"}));
        const auto received = bob_->received();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), received.size());
        CPPUNIT_ASSERT(received[0].find("id='h3'") != std::string::npos);
        CPPUNIT_ASSERT(received[0].find(service_unavailable) != std::string::npos);
        CPPUNIT_ASSERT(received[1] ==
                       "<iq type='error' id='h4' to='bob@example.test/phone' from='example.test'>"
                       "<error type='cancel' code='501'><feature-not-implemented "
                       "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
    }

    void iq_without_to_falls_back_to_host_handler() {
        // RFC 6120 §10.3.3: an iq with no 'to' is for the account; a host handler answers when no
        // account handler does (a client pinging its own server without a 'to').
        HookLog log;
        auto ping =
            host("example.test")
                .add_iq_handler(IqTarget::host, "get", "urn:xmpp:ping", [&](StanzaEvent& ev) {
                    log.add("host ping from " + ev.stanza->from().str());
                });
        route(bob_,
              "<iq from='bob@example.test/phone' type='get' id='p1'>"
              "<ping xmlns='urn:xmpp:ping'/></iq>");
        auto account = host("example.test")
                           .add_iq_handler(IqTarget::account, "get", "urn:xmpp:ping",
                                           [&](StanzaEvent&) { log.add("account ping"); });
        route(bob_,
              "<iq from='bob@example.test/phone' type='get' id='p2'>"
              "<ping xmlns='urn:xmpp:ping'/></iq>");
        CPPUNIT_ASSERT(log.get() == (std::vector<std::string>{
                                        "host ping from bob@example.test/phone", "account ping"}));
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void iq_results_and_errors_are_never_answered() {
        online("alice@example.test/phone", 5);
        for (const char* to : {"example.test", "alice@example.test", "alice@example.test/gone",
                               "carol@remote.test"}) {
            for (const char* type : {"result", "error"}) {
                route(bob_, std::string("<iq from='bob@example.test/phone' to='") + to +
                                "' type='" + type + "' id='untracked'/>");
            }
        }
        route(bob_, "<iq from='bob@example.test/phone' type='result' id='untracked'/>");
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void tracked_iq_reply_reaches_its_callback_only_from_its_jid() {
        auto phone = online("alice@example.test/phone", 5);
        std::vector<std::string> replies;
        const auto id = server_->iq_tracker().track(
            *Jid::parse("alice@example.test/phone"),
            std::chrono::steady_clock::now() + std::chrono::minutes(1),
            [&](StanzaPtr reply) { replies.push_back(reply ? reply->bytes() : "timeout"); });
        // Another client cannot answer a query the server sent to alice.
        route(bob_, "<iq from='bob@example.test/phone' to='example.test' type='result' id='" + id +
                        "'/>");
        CPPUNIT_ASSERT(replies.empty());
        const std::string reply =
            "<iq from='alice@example.test/phone' to='example.test' type='result' id='" + id + "'/>";
        route(phone, reply);
        CPPUNIT_ASSERT(replies == std::vector<std::string>{reply});
        // Matched once: a second copy finds nobody waiting and is dropped silently.
        route(phone, reply);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), replies.size());
        CPPUNIT_ASSERT(phone->received().empty());
    }

    void presence_broadcast_reaches_own_other_available_resources() {
        auto laptop = online("bob@example.test/laptop", 0);
        auto connected = online("bob@example.test/connected", 0, false);
        auto alice = online("alice@example.test/phone", 0);
        const std::string text =
            "<presence from='bob@example.test/phone'><show>away</show>"
            "</presence>";
        route(bob_, text);
        CPPUNIT_ASSERT(laptop->received() == Received{text});
        CPPUNIT_ASSERT(connected->received().empty());
        CPPUNIT_ASSERT(alice->received().empty());
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void directed_presence_reaches_every_available_resource() {
        auto high = online("alice@example.test/high", 5);
        auto negative = online("alice@example.test/negative", -1);
        auto connected = online("alice@example.test/connected", 0, false);
        const std::string text =
            "<presence from='bob@example.test/phone' to='alice@example.test'/>";
        route(bob_, text);
        CPPUNIT_ASSERT(high->received() == Received{text});
        CPPUNIT_ASSERT(negative->received() == Received{text});
        CPPUNIT_ASSERT(connected->received().empty());
        // Presence to a resource that is gone is dropped without an error.
        route(bob_, "<presence from='bob@example.test/phone' to='alice@example.test/gone'/>");
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void hook_handled_stops_delivery() {
        auto phone = online("alice@example.test/phone", 5);
        HookLog log;
        auto taker = hook(events::message_bare, 0, [&](StanzaEvent& ev) {
            log.add(std::string(ev.stanza->id()));
            return Verdict::handled;
        });
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test' type='chat' "
              "id='t1'><body>x</body></message>");
        CPPUNIT_ASSERT(log.get() == std::vector<std::string>{"t1"});
        CPPUNIT_ASSERT(phone->received().empty());
        CPPUNIT_ASSERT(bob_->received().empty());
        // Unregistered: delivery resumes.
        taker.reset();
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test' type='chat' "
              "id='t2'><body>x</body></message>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), phone->received().size());
    }

    void hook_drop_stops_full_jid_delivery() {
        auto phone = online("alice@example.test/phone", 5);
        auto dropper = hook(events::message_full, 0, [](StanzaEvent&) { return Verdict::drop; });
        // Hooks belong to one host: other.test's accounts are unaffected.
        auto other = online("alice@other.test/phone", 5);
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test/phone' "
              "type='chat'><body>x</body></message>");
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@other.test/phone' "
              "type='chat'><body>x</body></message>");
        CPPUNIT_ASSERT(phone->received().empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), other->received().size());
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void hooks_run_in_priority_order() {
        auto phone = online("alice@example.test/phone", 5);
        HookLog log;
        auto at_zero = hook(events::message_bare, 0, [&](StanzaEvent&) {
            log.add("0");
            return Verdict::pass;
        });
        auto at_ten = hook(events::message_bare, 10, [&](StanzaEvent&) {
            log.add("10");
            return Verdict::pass;
        });
        auto at_five = hook(events::message_bare, 5, [&](StanzaEvent&) {
            log.add("5");
            return Verdict::pass;
        });
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test' type='chat'>"
              "<body>x</body></message>");
        CPPUNIT_ASSERT(log.get() == (std::vector<std::string>{"10", "5", "0"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), phone->received().size());
    }

    // A handler that passes with a rewritten stanza in the event (mod_mam's stanza-id) hands
    // that stanza to the later handlers and to delivery, at each of the three message hooks.
    void message_hooks_may_replace_the_stanza() {
        auto phone = online("alice@example.test/phone", 5);
        std::vector<starling::Registration> hooks;
        for (const auto* event :
             {&events::stanza_out, &events::message_bare, &events::message_full}) {
            hooks.push_back(hook(*event, 10, [event](StanzaEvent& ev) {
                auto copy = ev.stanza->copy();
                copy->add_child("mark", "urn:example:mark").set_attr("by", event->name());
                ev.stanza = starling::make_stanza(std::move(copy));
                return Verdict::pass;
            }));
        }
        HookLog seen;
        hooks.push_back(hook(events::message_bare, 0, [&](StanzaEvent& ev) {
            seen.add(std::to_string(ev.stanza->element().child_elements().size()));
            return Verdict::pass;
        }));
        server_->router().route_from_client(
            host("example.test"), bob_,
            stanza("<message from='bob@example.test/phone' to='alice@example.test' "
                   "type='chat'><body>x</body></message>"));
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test/phone' "
              "type='chat'><body>y</body></message>");
        CPPUNIT_ASSERT(seen.get() == std::vector<std::string>{"3"});
        const Received expected{
            "<message from='bob@example.test/phone' to='alice@example.test' type='chat'>"
            "<body>x</body><mark xmlns='urn:example:mark' by='stanza/out'/>"
            "<mark xmlns='urn:example:mark' by='message/bare'/></message>",
            "<message from='bob@example.test/phone' to='alice@example.test/phone' type='chat'>"
            "<body>y</body><mark xmlns='urn:example:mark' by='message/full'/></message>"};
        CPPUNIT_ASSERT(phone->received() == expected);
    }

    void message_to_nonexistent_account_is_service_unavailable() {
        start();
        HookLog offline;
        auto registered = hook(events::message_offline, 0, [&](StanzaEvent&) {
            offline.add("offline");
            return Verdict::handled;
        });
        route(bob_,
              "<message from='bob@example.test/phone' to='nobody@example.test' "
              "type='chat' id='x1'><body>hello?</body></message>");
        // RFC 6121 §8.5.1: no such user; never stored for later.
        CPPUNIT_ASSERT(bob_->wait_for(1) ==
                       Received{"<message type='error' id='x1' to='bob@example.test/phone' "
                                "from='nobody@example.test'><body>hello?</body>" +
                                service_unavailable + "</message>"});
        CPPUNIT_ASSERT(offline.get().empty());
    }

    void message_to_offline_account_without_offline_module_bounces() {
        start();
        add_account("alice");
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test' "
              "type='chat' id='o1'><body>later</body></message>");
        CPPUNIT_ASSERT(bob_->wait_for(1) ==
                       Received{"<message type='error' id='o1' to='bob@example.test/phone' "
                                "from='alice@example.test'><body>later</body>" +
                                service_unavailable + "</message>"});
    }

    void offline_hook_takes_message_for_offline_account() {
        start();
        add_account("alice");
        HookLog offline;
        auto registered = hook(events::message_offline, 0, [&](StanzaEvent& ev) {
            offline.add(ev.stanza->bytes());
            return Verdict::handled;
        });
        // A chat to a resource that is gone takes the bare-JID path, so it is stored as well.
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test/gone' "
              "type='chat' id='o2'><body>later</body></message>");
        drain_storage();
        CPPUNIT_ASSERT(offline.get() ==
                       std::vector<std::string>{"<message from='bob@example.test/phone' "
                                                "to='alice@example.test' type='chat' "
                                                "id='o2'><body>later</body></message>"});
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void only_negative_priority_resources_count_as_offline() {
        start();
        add_account("alice");
        auto hidden = online("alice@example.test/hidden", -1);
        HookLog offline;
        auto registered = hook(events::message_offline, 0, [&](StanzaEvent& ev) {
            offline.add(std::string(ev.stanza->id()));
            return Verdict::handled;
        });
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test' "
              "type='chat' id='o3'><body>x</body></message>");
        drain_storage();
        // RFC 6121 §8.5.2.1.1: handled as if no resource were available.
        CPPUNIT_ASSERT(offline.get() == std::vector<std::string>{"o3"});
        CPPUNIT_ASSERT(hidden->received().empty());
        CPPUNIT_ASSERT(bob_->received().empty());
    }

    void headline_to_offline_account_is_ignored() {
        // RFC 6121 §8.5.2.2.1: with no available resource a headline is silently ignored: not
        // stored offline, not bounced.
        start();
        add_account("alice");
        HookLog offline;
        auto registered = hook(events::message_offline, 0, [&](StanzaEvent&) {
            offline.add("offline");
            return Verdict::pass;
        });
        route(bob_,
              "<message from='bob@example.test/phone' to='alice@example.test' "
              "type='headline' id='o4'><body>news</body></message>");
        drain_storage();
        CPPUNIT_ASSERT_MESSAGE("RFC 6121 §8.5.2.2.1: a headline is not offered for storage",
                               offline.get().empty());
        CPPUNIT_ASSERT_MESSAGE("RFC 6121 §8.5.2.2.1: a headline is not bounced",
                               bob_->received().empty());
    }

private:
    std::shared_ptr<FakeSession> online(std::string_view jid, int priority, bool available = true) {
        auto session = std::make_shared<FakeSession>(jid, priority, available);
        CPPUNIT_ASSERT(server_->sessions().bind(session) == nullptr);
        return session;
    }

    void route(const std::shared_ptr<FakeSession>& origin, const std::string& text) {
        server_->router().route(origin, stanza(text));
    }

    Host& host(std::string_view domain) {
        Host* host = server_->host(domain);
        CPPUNIT_ASSERT(host != nullptr);
        return *host;
    }

    // A stanza hook on example.test, removed when the returned registration goes.
    starling::Registration hook(const EventKey& event, int priority,
                                starling::HookTable<StanzaEvent>::Handler handler) {
        return host("example.test").stanza_hooks().add(event, std::move(handler), priority);
    }

    // Opens storage (and builds the TLS contexts) without listening anywhere.
    void start() {
        write_certificate((dir_.path() / "server.crt").string(),
                          (dir_.path() / "server.key").string());
        server_->start();
    }

    void add_account(const std::string& user) {
        std::promise<starling::storage::Result> done;
        server_->accounts().create("example.test", user, {},
                                   [&](starling::storage::Result r) { done.set_value(r); });
        const auto result = done.get_future().get();
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
    }

    // The account lookup answers on the storage thread; a query queued behind it returns only
    // after that answer (and whatever routing it did) has run.
    void drain_storage() {
        const auto result = server_->database().execute_sync({"SELECT 1", {}});
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
    }

    starling::storage::test::TempDir dir_;
    std::unique_ptr<starling::Server> server_;
    std::shared_ptr<FakeSession> bob_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RouterTest);
