// Element: attribute access, child lookup by name and namespace, text runs and deep copies.
#include "xml/element.hpp"

#include <cppunit/extensions/HelperMacros.h>

using starling::xml::Element;
using starling::xml::ElementPtr;
using starling::xml::make_element;

class ElementTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ElementTest);
    CPPUNIT_TEST(attributes_are_set_replaced_and_removed);
    CPPUNIT_TEST(children_inherit_the_parent_namespace);
    CPPUNIT_TEST(child_lookup_by_name_and_namespace);
    CPPUNIT_TEST(text_runs_merge_and_child_text_reads_them);
    CPPUNIT_TEST(child_elements_skip_text);
    CPPUNIT_TEST(remove_children_matches_name_and_namespace);
    CPPUNIT_TEST(clone_is_deep);
    CPPUNIT_TEST_SUITE_END();

public:
    void attributes_are_set_replaced_and_removed() {
        Element message("message", "jabber:client");
        message.set_attr("to", "juliet@example.com").set_attr("type", "chat");
        CPPUNIT_ASSERT_EQUAL(std::string("juliet@example.com"), std::string(message.attr("to")));
        CPPUNIT_ASSERT(message.has_attr("type"));
        CPPUNIT_ASSERT(!message.has_attr("from"));
        CPPUNIT_ASSERT(message.attr("from").empty());

        message.set_attr("type", "normal");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), message.attributes().size());
        CPPUNIT_ASSERT_EQUAL(std::string("normal"), std::string(message.attr("type")));

        message.remove_attr("to");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), message.attributes().size());
        CPPUNIT_ASSERT_EQUAL(std::string("type"), message.attributes()[0].name);
    }

    void children_inherit_the_parent_namespace() {
        Element iq("iq", "jabber:client");
        Element& query = iq.add_child("query", "jabber:iq:roster");
        Element& item = query.add_child("item");
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:iq:roster"), query.xmlns());
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:iq:roster"), item.xmlns());

        ElementPtr error = make_element("error", "");
        Element& added = iq.add_child(error);
        CPPUNIT_ASSERT_EQUAL(error.get(), &added);
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:client"), added.xmlns());
    }

    void child_lookup_by_name_and_namespace() {
        Element message("message", "jabber:client");
        message.add_child("x", "jabber:x:oob");
        message.add_child("x", "http://jabber.org/protocol/muc#user").set_attr("n", "2");

        const Element* any = message.child("x");
        CPPUNIT_ASSERT(any != nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:x:oob"), any->xmlns());
        const Element* muc = message.child("x", "http://jabber.org/protocol/muc#user");
        CPPUNIT_ASSERT(muc != nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("2"), std::string(muc->attr("n")));
        CPPUNIT_ASSERT(message.child("x", "urn:other") == nullptr);
        CPPUNIT_ASSERT(message.child("body") == nullptr);

        message.child("x", "jabber:x:oob")->set_attr("url", "https://example.com/a");
        CPPUNIT_ASSERT_EQUAL(std::string("https://example.com/a"),
                             std::string(message.child("x")->attr("url")));
    }

    void text_runs_merge_and_child_text_reads_them() {
        Element message("message", "jabber:client");
        Element& body = message.add_child("body");
        body.add_text("Wherefore ");
        body.add_text("");
        body.add_text("art thou?");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), body.children().size());
        CPPUNIT_ASSERT_EQUAL(std::string("Wherefore art thou?"), body.text());
        CPPUNIT_ASSERT_EQUAL(std::string("Wherefore art thou?"), message.child_text("body"));
        CPPUNIT_ASSERT_EQUAL(std::string(), message.child_text("subject"));

        Element mixed("p", "urn:x");
        mixed.add_text("a");
        mixed.add_child("b");
        mixed.add_text("c");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), mixed.children().size());
        CPPUNIT_ASSERT_EQUAL(std::string("ac"), mixed.text());
    }

    void child_elements_skip_text() {
        Element parent("p", "urn:x");
        CPPUNIT_ASSERT(parent.first_child_element() == nullptr);
        parent.add_text("  ");
        parent.add_child("first");
        parent.add_text("\n");
        parent.add_child("second");
        CPPUNIT_ASSERT_EQUAL(std::string("first"), parent.first_child_element()->name());
        const auto elements = parent.child_elements();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), elements.size());
        CPPUNIT_ASSERT_EQUAL(std::string("second"), elements[1]->name());

        parent.clear_children();
        CPPUNIT_ASSERT(parent.children().empty());
    }

    void remove_children_matches_name_and_namespace() {
        Element message("message", "jabber:client");
        message.add_child("delay", "urn:xmpp:delay");
        message.add_child("delay", "jabber:x:delay");
        message.add_child("body").add_text("hi");

        message.remove_children("delay", "jabber:x:delay");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), message.children().size());
        CPPUNIT_ASSERT(message.child("delay", "urn:xmpp:delay") != nullptr);

        message.add_child("delay", "jabber:x:delay");
        message.remove_children("delay", "");
        CPPUNIT_ASSERT(message.child("delay") == nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("hi"), message.child_text("body"));
    }

    void clone_is_deep() {
        Element message("message", "jabber:client");
        message.set_attr("to", "romeo@example.net");
        message.add_child("body").add_text("original");

        ElementPtr copy = message.clone();
        copy->set_attr("to", "juliet@example.com");
        copy->child("body")->add_text(" changed");
        copy->add_child("thread").add_text("t1");

        CPPUNIT_ASSERT_EQUAL(std::string("romeo@example.net"), std::string(message.attr("to")));
        CPPUNIT_ASSERT_EQUAL(std::string("original"), message.child_text("body"));
        CPPUNIT_ASSERT(message.child("thread") == nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("original changed"), copy->child_text("body"));
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:client"), copy->xmlns());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ElementTest);
