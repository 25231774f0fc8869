// Stream errors of RFC 6120 §4.9, each provoked the way a broken or hostile client would.
#include "raw_session.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

namespace starling::scenarios {
namespace {

void require_condition(const std::string& got, const std::string& expected) {
    require(got == expected, "expected stream error <" + expected + "/>, got <" + got + "/>");
}

// Opens a stream to example.test, waits for the features, sends `bytes`, expects `condition`.
void after_features_send(const runner_options& options, const std::string& bytes,
                         const std::string& condition) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.open();
    session.stream().send(bytes);
    require_condition(session.expect_stream_error(), condition);
}

// Sends `opening` instead of a proper stream header and expects `condition`.
void open_with(const runner_options& options, const std::string& opening,
               const std::string& condition) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.stream().send(opening);
    session.stream().expect_header();
    require_condition(session.expect_stream_error(), condition);
}

// Logs in with libstrophe, sends `xml` and expects the stream to end with `condition`.
void logged_in_send(const runner_options& options, const std::string& xml,
                    const std::string& condition) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    a.send(xml);
    require(a.wait_disconnected(), "the stream stayed open after " + xml);
    require(a.stream_error() == condition,
            "expected <" + condition + "/>, got " +
                (a.stream_error_text().empty() ? "no stream error" : a.stream_error_text()));
}

}  // namespace

STARLING_SCENARIO(stream_host_unknown) {
    open_with(options, stream_header("nowhere.test"), "host-unknown");
}

STARLING_SCENARIO(stream_invalid_namespace_of_stream) {
    open_with(options,
              "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              "xmlns:stream='urn:example:not-streams' to='example.test' version='1.0'>",
              "invalid-namespace");
}

STARLING_SCENARIO(stream_invalid_namespace_of_content) {
    open_with(options,
              "<?xml version='1.0'?><stream:stream xmlns='jabber:not-client' "
              "xmlns:stream='http://etherx.jabber.org/streams' to='example.test' version='1.0'>",
              "invalid-namespace");
}

STARLING_SCENARIO(stream_not_well_formed_garbage) {
    after_features_send(options, "<<<this is not xml>>>", "not-well-formed");
}

STARLING_SCENARIO(stream_not_well_formed_mismatched_tags) {
    after_features_send(options, "<message to='b@example.test'><body>x</message>",
                        "not-well-formed");
}

STARLING_SCENARIO(stream_not_well_formed_invalid_utf8) {
    after_features_send(options, "<message to='b@example.test'><body>\xc3\x28</body></message>",
                        "not-well-formed");
}

STARLING_SCENARIO(stream_restricted_xml_doctype) {
    open_with(options,
              "<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY a 'aaaa'>]>" +
                  stream_header("example.test").substr(std::string("<?xml version='1.0'?>").size()),
              "restricted-xml");
}

STARLING_SCENARIO(stream_restricted_xml_comment) {
    after_features_send(options, "<!-- a comment -->", "restricted-xml");
}

STARLING_SCENARIO(stream_restricted_xml_processing_instruction) {
    after_features_send(options, "<?php echo 1; ?>", "restricted-xml");
}

STARLING_SCENARIO(stream_invalid_from) {
    logged_in_send(options,
                   "<message type='chat' from='b@example.test/other' to='b@example.test' "
                   "id='spoof'><body>x</body></message>",
                   "invalid-from");
}

STARLING_SCENARIO(stream_unsupported_stanza_type) {
    logged_in_send(options, "<tweet xmlns='jabber:client'>hello</tweet>",
                   "unsupported-stanza-type");
}

}  // namespace starling::scenarios
