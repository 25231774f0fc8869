// HookTable and EventKey: handlers run in priority order (higher first, equal ones in the order
// they were added), a verdict other than pass ends the dispatch, a Registration removes exactly
// its own handler, and an event name always interns to the same key.
#include "core/events.hpp"
#include "core/registration.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <utility>
#include <vector>

using starling::EventKey;
using starling::HookTable;
using starling::Registration;
using starling::Verdict;

namespace {

// What the handlers of one dispatch saw, in the order they ran.
struct Probe {
    std::vector<std::string> calls;
};

HookTable<Probe>::Handler record(std::string name, Verdict verdict = Verdict::pass) {
    return [name = std::move(name), verdict](Probe& probe) {
        probe.calls.push_back(name);
        return verdict;
    };
}

std::vector<std::string> calls(std::initializer_list<const char*> names) {
    return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace

class HooksTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HooksTest);
    CPPUNIT_TEST(higher_priority_runs_first);
    CPPUNIT_TEST(equal_priorities_run_in_order_added);
    CPPUNIT_TEST(negative_priorities_run_after_zero);
    CPPUNIT_TEST(no_handlers_is_pass);
    CPPUNIT_TEST(all_pass_is_pass);
    CPPUNIT_TEST(handled_stops_later_handlers);
    CPPUNIT_TEST(drop_stops_later_handlers);
    CPPUNIT_TEST(events_are_separate);
    CPPUNIT_TEST(registration_removes_its_handler_only);
    CPPUNIT_TEST(registration_reset_twice_is_harmless);
    CPPUNIT_TEST(moved_registration_removes_once);
    CPPUNIT_TEST(handler_removed_while_firing_finishes_the_dispatch);
    CPPUNIT_TEST(handler_added_while_firing_waits_for_the_next_dispatch);
    CPPUNIT_TEST(same_name_interns_to_same_key);
    CPPUNIT_TEST(different_names_intern_to_different_keys);
    CPPUNIT_TEST(core_event_names);
    CPPUNIT_TEST_SUITE_END();

public:
    void higher_priority_runs_first() {
        HookTable<Probe> table;
        const EventKey key("test/priority");
        auto low = table.add(key, record("low"), -5);
        auto high = table.add(key, record("high"), 100);
        auto middle = table.add(key, record("middle"), 10);
        Probe probe;
        CPPUNIT_ASSERT(table.fire(key, probe) == Verdict::pass);
        CPPUNIT_ASSERT(probe.calls == calls({"high", "middle", "low"}));
    }

    void equal_priorities_run_in_order_added() {
        HookTable<Probe> table;
        const EventKey key("test/equal");
        auto a = table.add(key, record("first"), 5);
        auto b = table.add(key, record("second"), 5);
        auto c = table.add(key, record("above"), 6);
        auto d = table.add(key, record("third"), 5);
        Probe probe;
        table.fire(key, probe);
        CPPUNIT_ASSERT(probe.calls == calls({"above", "first", "second", "third"}));
    }

    void negative_priorities_run_after_zero() {
        HookTable<Probe> table;
        const EventKey key("test/negative");
        auto a = table.add(key, record("minus one"), -1);
        auto b = table.add(key, record("default"), 0);  // ModuleContext::hook's default
        Probe probe;
        table.fire(key, probe);
        CPPUNIT_ASSERT(probe.calls == calls({"default", "minus one"}));
    }

    void no_handlers_is_pass() {
        HookTable<Probe> table;
        const EventKey key("test/nobody-listens");
        Probe probe;
        CPPUNIT_ASSERT(table.fire(key, probe) == Verdict::pass);
        CPPUNIT_ASSERT(!table.has(key));
        CPPUNIT_ASSERT(probe.calls.empty());
    }

    void all_pass_is_pass() {
        HookTable<Probe> table;
        const EventKey key("test/all-pass");
        auto a = table.add(key, record("a"), 1);
        auto b = table.add(key, record("b"), 0);
        Probe probe;
        CPPUNIT_ASSERT(table.fire(key, probe) == Verdict::pass);
        CPPUNIT_ASSERT(table.has(key));
        CPPUNIT_ASSERT(probe.calls == calls({"a", "b"}));
    }

    void handled_stops_later_handlers() {
        HookTable<Probe> table;
        const EventKey key("test/handled");
        auto a = table.add(key, record("first"), 10);
        auto b = table.add(key, record("taker", Verdict::handled), 5);
        auto c = table.add(key, record("never"), 0);
        Probe probe;
        CPPUNIT_ASSERT(table.fire(key, probe) == Verdict::handled);
        CPPUNIT_ASSERT(probe.calls == calls({"first", "taker"}));
    }

    void drop_stops_later_handlers() {
        HookTable<Probe> table;
        const EventKey key("test/drop");
        auto a = table.add(key, record("filter", Verdict::drop), 10);
        auto b = table.add(key, record("never"), 0);
        Probe probe;
        CPPUNIT_ASSERT(table.fire(key, probe) == Verdict::drop);
        CPPUNIT_ASSERT(probe.calls == calls({"filter"}));
    }

    void events_are_separate() {
        HookTable<Probe> table;
        const EventKey one("test/one");
        const EventKey two("test/two");
        auto a = table.add(one, record("on one"), 0);
        auto b = table.add(two, record("on two"), 0);
        Probe probe;
        table.fire(two, probe);
        CPPUNIT_ASSERT(probe.calls == calls({"on two"}));
    }

    void registration_removes_its_handler_only() {
        HookTable<Probe> table;
        const EventKey key("test/remove");
        auto a = table.add(key, record("a"), 2);
        auto b = table.add(key, record("b"), 1);
        auto c = table.add(key, record("c"), 0);
        b.reset();
        Probe probe;
        table.fire(key, probe);
        CPPUNIT_ASSERT(probe.calls == calls({"a", "c"}));
        {
            // Destroying a registration is what unloading a module does.
            Registration gone = std::move(a);
        }
        c.reset();
        Probe after;
        CPPUNIT_ASSERT(table.fire(key, after) == Verdict::pass);
        CPPUNIT_ASSERT(after.calls.empty());
        CPPUNIT_ASSERT(!table.has(key));
    }

    void registration_reset_twice_is_harmless() {
        int undone = 0;
        Registration r([&undone] { ++undone; });
        r.reset();
        r.reset();
        CPPUNIT_ASSERT_EQUAL(1, undone);
    }

    void moved_registration_removes_once() {
        int undone = 0;
        {
            Registration first([&undone] { ++undone; });
            Registration second = std::move(first);
            Registration third;
            third = std::move(second);
            CPPUNIT_ASSERT_EQUAL(0, undone);
        }
        CPPUNIT_ASSERT_EQUAL(1, undone);

        // Assigning over a live registration undoes what it held.
        int replaced = 0;
        Registration held([&replaced] { ++replaced; });
        held = Registration([] {});
        CPPUNIT_ASSERT_EQUAL(1, replaced);
    }

    void handler_removed_while_firing_finishes_the_dispatch() {
        // Dispatch reads a snapshot, so a handler may unregister itself (a module unloading from
        // inside its own handler) without disturbing the handlers after it.
        HookTable<Probe> table;
        const EventKey key("test/remove-while-firing");
        Registration self;
        self = table.add(
            key,
            [&self](Probe& probe) {
                probe.calls.push_back("once");
                self.reset();
                return Verdict::pass;
            },
            1);
        auto after = table.add(key, record("after"), 0);
        Probe first;
        table.fire(key, first);
        CPPUNIT_ASSERT(first.calls == calls({"once", "after"}));
        Probe second;
        table.fire(key, second);
        CPPUNIT_ASSERT(second.calls == calls({"after"}));
    }

    void handler_added_while_firing_waits_for_the_next_dispatch() {
        HookTable<Probe> table;
        const EventKey key("test/add-while-firing");
        Registration added;
        bool once = false;
        auto adder = table.add(
            key,
            [&](Probe& probe) {
                probe.calls.push_back("adder");
                if (!std::exchange(once, true)) added = table.add(key, record("late"), -1);
                return Verdict::pass;
            },
            0);
        Probe first;
        table.fire(key, first);
        CPPUNIT_ASSERT(first.calls == calls({"adder"}));
        Probe second;
        table.fire(key, second);
        CPPUNIT_ASSERT(second.calls == calls({"adder", "late"}));
    }

    void same_name_interns_to_same_key() {
        const EventKey a("test/interned");
        const EventKey b(std::string("test/") + "interned");
        CPPUNIT_ASSERT_EQUAL(a.index(), b.index());
        CPPUNIT_ASSERT_EQUAL(std::string("test/interned"), b.name());

        // A handler added under one key object fires for another key of the same name.
        HookTable<Probe> table;
        auto r = table.add(a, record("by name"), 0);
        Probe probe;
        table.fire(b, probe);
        CPPUNIT_ASSERT(probe.calls == calls({"by name"}));
    }

    void different_names_intern_to_different_keys() {
        const EventKey a("test/distinct-a");
        const EventKey b("test/distinct-b");
        CPPUNIT_ASSERT(a.index() != b.index());
        CPPUNIT_ASSERT_EQUAL(std::string("test/distinct-a"), a.name());
        CPPUNIT_ASSERT_EQUAL(std::string("test/distinct-b"), b.name());
    }

    void core_event_names() {
        // docs/modules.md lists these names; a module that interns the same text gets the same key.
        namespace events = starling::events;
        const std::vector<std::pair<const EventKey*, std::string>> expected{
            {&events::message_bare, "message/bare"},
            {&events::message_full, "message/full"},
            {&events::message_host, "message/host"},
            {&events::message_offline, "message/offline"},
            {&events::presence_bare, "presence/bare"},
            {&events::presence_full, "presence/full"},
            {&events::presence_host, "presence/host"},
            {&events::presence_out, "presence/out"},
            {&events::stanza_out, "stanza/out"},
            {&events::stanza_in, "stanza/in"},
            {&events::session_bound, "session/bound"},
            {&events::session_available, "session/available"},
            {&events::session_closed, "session/closed"},
        };
        for (const auto& [key, name] : expected) {
            CPPUNIT_ASSERT_EQUAL(name, key->name());
            CPPUNIT_ASSERT_EQUAL(key->index(), EventKey(name).index());
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HooksTest);
