// mod_mam's pure logic: XEP-0082 dates, the XEP-0313 query form and RSM set, what is archived,
// forged stanza-ids, and the XEP-0441 preference decision.
#include "modules/mam/archiving.hpp"
#include "core/datetime.hpp"
#include "modules/mam/prefs_cache.hpp"
#include "core/archive_query.hpp"
#include "xml/serializer.hpp"
#include "tests/unit/stanza_text.hpp"

#include <cppunit/extensions/HelperMacros.h>

namespace {

using namespace starling;
using namespace starling::mam;

xml::ElementPtr parse(std::string_view text) { return test::parse_element(text); }

StanzaPtr stanza(std::string_view text) {
    return make_stanza(parse(text));
}

const PageLimits limits{50, 250};
const Jid juliet = *Jid::parse("juliet@example.test");

std::variant<ParsedQuery, QueryError> query(const std::string& inside) {
    auto iq = parse("<iq type='set' id='q'><query xmlns='urn:xmpp:mam:2' queryid='f27'>" + inside +
                    "</query></iq>");
    return parse_query(*iq->first_child_element(), juliet, limits);
}

std::string form(const std::string& fields) {
    return "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>"
           "urn:xmpp:mam:2</value></field>" +
           fields + "</x>";
}

std::string field(const std::string& var, const std::string& value) {
    return "<field var='" + var + "'><value>" + value + "</value></field>";
}

std::string condition_of(const std::variant<ParsedQuery, QueryError>& result) {
    const auto* error = std::get_if<QueryError>(&result);
    return error ? error->condition : "";
}

}  // namespace

class MamLogicTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MamLogicTest);
    CPPUNIT_TEST(datetimes);
    CPPUNIT_TEST(form_fields);
    CPPUNIT_TEST(rsm_set);
    CPPUNIT_TEST(bad_queries);
    CPPUNIT_TEST(what_is_archived);
    CPPUNIT_TEST(forged_stanza_ids);
    CPPUNIT_TEST(preference_decision);
    CPPUNIT_TEST(fin_and_results);
    CPPUNIT_TEST_SUITE_END();

public:
    void datetimes() {
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1278803305} * 1000000,
                             *parse_datetime("2010-07-10T23:08:25Z"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1278803305} * 1000000 + 123000,
                             *parse_datetime("2010-07-10T23:08:25.123Z"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1278803305} * 1000000 + 123456,
                             *parse_datetime("2010-07-10T23:08:25.1234567Z"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1278803305} * 1000000,
                             *parse_datetime("2010-07-11T01:08:25+02:00"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1278803305} * 1000000,
                             *parse_datetime("2010-07-10T18:08:25-05:00"));
        for (const char* bad :
             {"", "yesterday", "2010-07-10", "2010-07-10T23:08:25", "2010-13-10T23:08:25Z",
              "2010-07-10T23:08:25.Z", "2010-07-10T23:08:25Zjunk", "2010-07-10 23:08:25Z",
              "2010-07-10T23:08:25+0200"})
            CPPUNIT_ASSERT_MESSAGE(bad, !parse_datetime(bad));
        CPPUNIT_ASSERT_EQUAL(std::string("2010-07-10T23:08:25.000042Z"),
                             format_datetime(std::int64_t{1278803305} * 1000000 + 42));
        const auto micros = *parse_datetime("2026-12-02T05:59:01.654321Z");
        CPPUNIT_ASSERT_EQUAL(std::string("2026-12-02T05:59:01.654321Z"), format_datetime(micros));
    }

    void form_fields() {
        auto result = query(form(field("with", "Romeo@Montague.test/Orchard") +
                                 field("start", "2010-06-07T00:00:00Z") +
                                 field("end", "2010-07-07T13:23:54Z") + field("after-id", "a1") +
                                 field("before-id", "b1") +
                                 "<field var='ids'><value>i1</value><value>i2</value></field>"));
        const auto* parsed = std::get_if<ParsedQuery>(&result);
        CPPUNIT_ASSERT(parsed);
        const auto& q = parsed->store;
        CPPUNIT_ASSERT_EQUAL(std::string("f27"), parsed->queryid);
        CPPUNIT_ASSERT_EQUAL(std::string("example.test"), q.host);
        CPPUNIT_ASSERT_EQUAL(std::string("juliet"), q.user);
        CPPUNIT_ASSERT_EQUAL(std::string("romeo@montague.test"), *q.with_bare);
        CPPUNIT_ASSERT_EQUAL(std::string("Orchard"), *q.with_resource);
        CPPUNIT_ASSERT_EQUAL(*parse_datetime("2010-06-07T00:00:00Z"), *q.start);
        CPPUNIT_ASSERT_EQUAL(*parse_datetime("2010-07-07T13:23:54Z"), *q.end);
        CPPUNIT_ASSERT_EQUAL(std::string("a1"), *q.after_id);
        CPPUNIT_ASSERT_EQUAL(std::string("b1"), *q.before_id);
        CPPUNIT_ASSERT((q.ids == std::vector<std::string>{"i1", "i2"}));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{50}, q.max);  // the default page
        CPPUNIT_ASSERT(!q.page_before && !q.after && !parsed->flip);
        // A bare 'with' matches every resource; no form at all selects everything.
        result = query(form(field("with", "romeo@montague.test")));
        CPPUNIT_ASSERT(!std::get<ParsedQuery>(result).store.with_resource);
        result = query("");
        const auto& all = std::get<ParsedQuery>(result).store;
        CPPUNIT_ASSERT(!all.with_bare && !all.start && !all.end && all.ids.empty());
    }

    void rsm_set() {
        auto q = std::get<ParsedQuery>(
            query("<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><after>x9"
                  "</after></set><flip-page/>"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{10}, q.store.max);
        CPPUNIT_ASSERT_EQUAL(std::string("x9"), *q.store.after);
        CPPUNIT_ASSERT(q.flip && !q.store.page_before);
        q = std::get<ParsedQuery>(
            query("<set xmlns='http://jabber.org/protocol/rsm'><max>5000</max><before/></set>"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{250}, q.store.max);  // the server's cap
        CPPUNIT_ASSERT(q.store.page_before && !q.store.before);
        q = std::get<ParsedQuery>(
            query("<set xmlns='http://jabber.org/protocol/rsm'><max>0</max><before>y1</before>"
                  "</set>"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, q.store.max);
        CPPUNIT_ASSERT(q.store.page_before);
        CPPUNIT_ASSERT_EQUAL(std::string("y1"), *q.store.before);
    }

    void bad_queries() {
        CPPUNIT_ASSERT_EQUAL(std::string("bad-request"),
                             condition_of(query(form(field("start", "last tuesday")))));
        CPPUNIT_ASSERT_EQUAL(std::string("bad-request"),
                             condition_of(query(form(field("with", "a@@b")))));
        CPPUNIT_ASSERT_EQUAL(std::string("feature-not-implemented"),
                             condition_of(query(form(field("color", "blue")))));
        CPPUNIT_ASSERT_EQUAL(
            std::string("bad-request"),
            condition_of(query("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
                               "<value>urn:xmpp:mam:1</value></field></x>")));
        for (const char* max : {"-1", "ten", "", "10x"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                max, std::string("bad-request"),
                condition_of(query(std::string("<set xmlns='http://jabber.org/protocol/rsm'>"
                                               "<max>") +
                                   max + "</max></set>")));
        CPPUNIT_ASSERT_EQUAL(std::string("bad-request"),
                             condition_of(query("<set xmlns='http://jabber.org/protocol/rsm'>"
                                                "<after>a</after><before>b</before></set>")));
    }

    void what_is_archived() {
        const std::string to = " to='juliet@example.test' from='romeo@montague.test/orchard'";
        CPPUNIT_ASSERT(
            archivable(*stanza("<message type='chat'" + to + "><body>hi</body></message>")));
        CPPUNIT_ASSERT(archivable(*stanza("<message" + to + "><body>hi</body></message>")));
        CPPUNIT_ASSERT(archivable(*stanza(
            "<message type='chat'" + to +
            "><encrypted xmlns='eu.siacs.conversations.axolotl'><payload>x</payload></encrypted>"
            "</message>")));
        CPPUNIT_ASSERT(archivable(*stanza("<message type='chat'" + to +
                                          "><received xmlns='urn:xmpp:receipts' id='1'/>"
                                          "<store xmlns='urn:xmpp:hints'/></message>")));
        for (const std::string& text :
             {"<message type='groupchat'" + to + "><body>hi</body></message>",
              "<message type='headline'" + to + "><body>hi</body></message>",
              "<message type='error'" + to + "><body>hi</body></message>",
              "<message type='chat'" + to +
                  "><composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
              "<message type='chat'" + to +
                  "><body>hi</body><no-store xmlns='urn:xmpp:hints'/></message>",
              "<message type='chat'" + to +
                  "><body>hi</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>",
              "<presence" + to + "/>"})
            CPPUNIT_ASSERT_MESSAGE(text, !archivable(*stanza(text)));
    }

    void forged_stanza_ids() {
        const auto message = stanza(
            "<message to='juliet@example.test' from='romeo@montague.test/orchard'><body>a</body>"
            "<stanza-id xmlns='urn:xmpp:sid:0' by='juliet@example.test' id='f1'/>"
            "<stanza-id xmlns='urn:xmpp:sid:0' by='Juliet@Example.Test' id='f2'/>"
            "<stanza-id xmlns='urn:xmpp:sid:0' by='example.test' id='f3'/>"
            "<stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.example.test' id='kept'/>"
            "<stanza-id xmlns='urn:example:other' by='juliet@example.test' id='other-ns'/>"
            "</message>");
        const auto cleaned = without_forged_ids(*message, juliet);
        CPPUNIT_ASSERT(cleaned);
        CPPUNIT_ASSERT_EQUAL(
            std::string("<message to='juliet@example.test' from='romeo@montague.test/orchard'>"
                        "<body>a</body><stanza-id xmlns='urn:xmpp:sid:0' "
                        "by='room@muc.example.test' id='kept'/><stanza-id "
                        "xmlns='urn:example:other' by='juliet@example.test' id='other-ns'/>"
                        "</message>"),
            xml::to_string(*cleaned, ns_client));
        CPPUNIT_ASSERT(!without_forged_ids(
            *stanza("<message to='juliet@example.test'><body>a</body></message>"), juliet));
    }

    void preference_decision() {
        const auto peer = [](const char* jid) { return *Jid::parse(jid); };
        storage::ArchivePrefs prefs{"roster",
                                    {"romeo@montague.test", "mercutio@montague.test/sword"},
                                    {"tybalt@capulet.test", "romeo@montague.test/mask"}};
        const std::set<std::string> roster{"nurse@capulet.test", "tybalt@capulet.test"};
        CPPUNIT_ASSERT(decide(prefs, roster, peer("romeo@montague.test/orchard")) ==
                       Decision::archive);
        CPPUNIT_ASSERT(decide(prefs, roster, peer("romeo@montague.test/mask")) == Decision::skip);
        CPPUNIT_ASSERT(decide(prefs, roster, peer("mercutio@montague.test/sword")) ==
                       Decision::archive);
        // A listed full JID matches that resource only; the rest falls to the default.
        CPPUNIT_ASSERT(decide(prefs, roster, peer("mercutio@montague.test/home")) ==
                       Decision::skip);
        CPPUNIT_ASSERT(decide(prefs, roster, peer("nurse@capulet.test/kitchen")) ==
                       Decision::archive);
        CPPUNIT_ASSERT(decide(prefs, roster, peer("tybalt@capulet.test")) == Decision::skip);
        prefs.default_mode = "always";
        CPPUNIT_ASSERT(decide(prefs, {}, peer("anyone@else.test")) == Decision::archive);
        prefs.default_mode = "never";
        CPPUNIT_ASSERT(decide(prefs, roster, peer("nurse@capulet.test")) == Decision::skip);
    }

    void fin_and_results() {
        storage::ArchivePage page;
        page.count = 20;
        page.first_index = 10;
        page.messages.resize(2);
        page.messages[0].archive_id = "first-id";
        page.messages[1].archive_id = "last-id";
        CPPUNIT_ASSERT_EQUAL(
            std::string("<fin xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'>"
                        "<first index='10'>first-id</first><last>last-id</last><count>20</count>"
                        "</set></fin>"),
            xml::to_string(*fin_element(page), ns_client));
        page.messages.clear();
        page.complete = true;
        CPPUNIT_ASSERT_EQUAL(
            std::string("<fin xmlns='urn:xmpp:mam:2' complete='true'><set "
                        "xmlns='http://jabber.org/protocol/rsm'><count>20</count></set></fin>"),
            xml::to_string(*fin_element(page), ns_client));
        storage::ArchivedMessage row;
        row.archive_id = "abc";
        row.stored_at = *parse_datetime("2010-07-10T23:08:25Z");
        row.stanza =
            "<message from='romeo@montague.test/orchard' to='juliet@example.test'>"
            "<body>hi &amp; bye</body></message>";
        const auto result =
            result_message(row, "f27", juliet, *Jid::parse("juliet@example.test/balcony"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("<message to='juliet@example.test/balcony' from='juliet@example.test'>"
                        "<result xmlns='urn:xmpp:mam:2' queryid='f27' id='abc'><forwarded "
                        "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
                        "stamp='2010-07-10T23:08:25.000000Z'/><message xmlns='jabber:client' "
                        "from='romeo@montague.test/orchard' to='juliet@example.test'><body>hi "
                        "&amp; bye</body></message></forwarded></result></message>"),
            result->bytes());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MamLogicTest);
