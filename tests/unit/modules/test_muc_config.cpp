// mod_muc's room configuration (modules/muc/room_config.hpp): the muc#roomconfig form read with
// the shared data-form reader, all or nothing; the service's limits; the password rules; the
// stored form read back to the same configuration; the disco features that follow.
#include "modules/muc/room_config.hpp"
#include "storage/stored_xml.hpp"
#include "xml/serializer.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>

namespace {

using namespace starling;
using muc::RoomConfig;

xml::SubmittedForm form(const std::vector<std::pair<std::string, std::string>>& fields) {
    xml::SubmittedForm out;
    out.form_type = muc::form_roomconfig;
    for (const auto& [var, value] : fields) out.values[var] = {value};
    return out;
}

bool has(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

class MucConfigTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MucConfigTest);
    CPPUNIT_TEST(test_apply_is_all_or_nothing);
    CPPUNIT_TEST(test_limits);
    CPPUNIT_TEST(test_password_rules);
    CPPUNIT_TEST(test_stored_form_round_trip);
    CPPUNIT_TEST(test_features_follow_configuration);
    CPPUNIT_TEST_SUITE_END();

public:
    void test_apply_is_all_or_nothing() {
        RoomConfig config;
        const muc::ConfigLimits limits;
        CPPUNIT_ASSERT(!muc::apply(form({{"muc#roomconfig_roomname", "Tea"},
                                         {"muc#roomconfig_membersonly", "true"},
                                         {"muc#roomconfig_whois", "anyone"},
                                         {"x-unknown#field", "ignored"}}),
                                   config, limits));
        CPPUNIT_ASSERT_EQUAL(std::string("Tea"), config.name);
        CPPUNIT_ASSERT(config.members_only && config.non_anonymous());
        const RoomConfig before = config;
        const auto error = muc::apply(
            form({{"muc#roomconfig_roomname", "Changed"}, {"muc#roomconfig_moderatedroom", "maybe"}}),
            config, limits);
        CPPUNIT_ASSERT(error);
        CPPUNIT_ASSERT_EQUAL(std::string("muc#roomconfig_moderatedroom"), error->field);
        CPPUNIT_ASSERT_EQUAL(before.name, config.name);
        CPPUNIT_ASSERT(muc::apply(form({{"muc#roomconfig_allowpm", "everyone"}}), config, limits));
        CPPUNIT_ASSERT(muc::apply(form({{"muc#roomconfig_whois", "all"}}), config, limits));
    }

    void test_limits() {
        RoomConfig config;
        const muc::ConfigLimits limits{100, 20};
        CPPUNIT_ASSERT(!muc::apply(form({{"muc#roomconfig_maxusers", "100"}}), config, limits));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{100}, config.max_occupants);
        CPPUNIT_ASSERT(muc::apply(form({{"muc#roomconfig_maxusers", "101"}}), config, limits));
        CPPUNIT_ASSERT(muc::apply(form({{"muc#roomconfig_maxusers", "0"}}), config, limits));
        CPPUNIT_ASSERT(muc::apply(form({{"muc#roomconfig_maxusers", "-1"}}), config, limits));
        CPPUNIT_ASSERT(!muc::apply(form({{"muc#roomconfig_maxusers", "none"}}), config, limits));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, config.max_occupants);
        CPPUNIT_ASSERT(muc::apply(form({{"muc#maxhistoryfetch", "21"}}), config, limits));
        CPPUNIT_ASSERT(!muc::apply(form({{"muc#maxhistoryfetch", "0"}}), config, limits));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, config.history_length);
    }

    void test_password_rules() {
        RoomConfig config;
        const muc::ConfigLimits limits;
        // Protected with no password would let nobody in.
        const auto error = muc::apply(form({{"muc#roomconfig_passwordprotectedroom", "1"}}),
                                      config, limits);
        CPPUNIT_ASSERT(error && error->field == "muc#roomconfig_roomsecret");
        CPPUNIT_ASSERT(config.password.empty());
        // A client that sends only the secret means a protected room.
        CPPUNIT_ASSERT(!muc::apply(form({{"muc#roomconfig_roomsecret", "s3cret"}}), config, limits));
        CPPUNIT_ASSERT_EQUAL(std::string("s3cret"), config.password);
        // Unprotecting drops the password.
        CPPUNIT_ASSERT(!muc::apply(form({{"muc#roomconfig_passwordprotectedroom", "0"}}), config,
                                   limits));
        CPPUNIT_ASSERT(config.password.empty());
    }

    void test_stored_form_round_trip() {
        RoomConfig config;
        config.name = "Kept & <named>";
        config.persistent = true;
        config.members_only = true;
        config.password = "pw";
        config.whois = "anyone";
        config.history_length = 7;
        config.allow_pm = "moderators";
        config.logging = true;
        const std::string text = xml::to_string(*muc::stored_form(config));
        auto read = xml::read_submitted_form(storage::parse_stored_xml(text, xml::ns_data).get());
        CPPUNIT_ASSERT(read);
        RoomConfig back;
        CPPUNIT_ASSERT(!muc::apply(*read, back, muc::ConfigLimits{}));
        CPPUNIT_ASSERT_EQUAL(config.name, back.name);
        CPPUNIT_ASSERT(back.persistent && back.members_only && back.logging && back.non_anonymous());
        CPPUNIT_ASSERT_EQUAL(config.password, back.password);
        CPPUNIT_ASSERT_EQUAL(config.history_length, back.history_length);
        CPPUNIT_ASSERT_EQUAL(config.allow_pm, back.allow_pm);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, back.max_occupants);
    }

    void test_features_follow_configuration() {
        RoomConfig config;
        auto features = muc::config_features(config);
        for (const char* f : {"muc_temporary", "muc_public", "muc_open", "muc_unmoderated",
                              "muc_semianonymous", "muc_unsecured"})
            CPPUNIT_ASSERT_MESSAGE(f, has(features, f));
        config.persistent = config.members_only = config.moderated = true;
        config.public_room = false;
        config.whois = "anyone";
        config.password = "x";
        features = muc::config_features(config);
        for (const char* f : {"muc_persistent", "muc_hidden", "muc_membersonly", "muc_moderated",
                              "muc_nonanonymous", "muc_passwordprotected"})
            CPPUNIT_ASSERT_MESSAGE(f, has(features, f));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MucConfigTest);
