#include "omemo_client.hpp"

#include "scenario.hpp"
#include "stanza_matchers.hpp"

#include <cstring>

namespace starling::e2ee {
namespace {

using scenarios::require;
using scenarios::stanza_attribute;
using scenarios::stanza_child;
using scenarios::stanza_text;

constexpr const char* pubsub_ns = "http://jabber.org/protocol/pubsub";

// XEP-0223 publish-options as Conversations sends them with every OMEMO publish: anyone may
// fetch the keys, which is what lets a stranger start a session.
const char* open_access_options =
    "<publish-options><x xmlns='jabber:x:data' type='submit'>"
    "<field var='FORM_TYPE' type='hidden'>"
    "<value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
    "<field var='pubsub#access_model'><value>open</value></field>"
    "</x></publish-options>";

std::string bare_of(const std::string& jid) {
    return jid.substr(0, jid.find('/'));
}

void require_result(xmpp_stanza_t* reply, const std::string& what) {
    require(stanza_attribute(reply, "type") == "result",
            what + " was refused: " + stanza_text(reply));
}

}  // namespace

omemo_client::omemo_client(omemo_device& device, const std::string& resource,
                           const std::string& password, std::uint16_t port)
    : device_(device), client_(device.bare_jid() + "/" + resource, password, port) {}

std::string omemo_client::next_id(const std::string& what) {
    return what + "-" + std::to_string(device_.device_id()) + "-" + std::to_string(++counter_);
}

void omemo_client::come_online() {
    client_.login();
    client_.send("<presence/>");
    const std::string id = next_id("online");
    client_.request("<iq type='get' id='" + id + "'><ping xmlns='urn:xmpp:ping'/></iq>", id);
}

void omemo_client::publish(const std::string& node, const std::string& payload) {
    const std::string id = next_id("publish");
    auto reply =
        client_.request("<iq type='set' id='" + id + "'><pubsub xmlns='" + std::string(pubsub_ns) +
                            "'><publish node='" + node + "'><item id='current'>" + payload +
                            "</item></publish>" + open_access_options + "</pubsub></iq>",
                        id);
    require_result(reply.get(), "publishing " + node + " as " + device_.bare_jid());
}

void omemo_client::publish_device_list(const std::vector<std::uint32_t>& ids) {
    publish(device_list_node, device_list_xml(ids));
}

void omemo_client::publish_bundle() {
    publish(bundle_node(device_.device_id()), bundle_xml(device_.bundle()));
}

xmpp_stanza_t* omemo_client::current_item(xmpp_stanza_t* reply, const std::string& node) {
    require_result(reply, "items retrieval of " + node);
    xmpp_stanza_t* pubsub = stanza_child(reply, "pubsub", pubsub_ns);
    xmpp_stanza_t* items = pubsub ? stanza_child(pubsub, "items", pubsub_ns) : nullptr;
    require(items != nullptr && stanza_attribute(items, "node") == node,
            "no <items node='" + node + "'/> in " + stanza_text(reply));
    xmpp_stanza_t* item = stanza_child(items, "item", pubsub_ns);
    require(item != nullptr && stanza_attribute(item, "id") == "current",
            "no item 'current' in " + stanza_text(reply));
    return item;
}

std::vector<std::uint32_t> omemo_client::fetch_device_list(const std::string& jid) {
    const std::string id = next_id("devices");
    auto reply =
        client_.request("<iq type='get' to='" + jid + "' id='" + id + "'><pubsub xmlns='" +
                            pubsub_ns + "'><items node='" + device_list_node + "'/></pubsub></iq>",
                        id);
    xmpp_stanza_t* item = current_item(reply.get(), device_list_node);
    return parse_device_list(stanza_child(item, "list", omemo_ns));
}

omemo_bundle omemo_client::fetch_bundle(const std::string& jid, std::uint32_t device) {
    const std::string id = next_id("bundle");
    const std::string node = bundle_node(device);
    auto reply = client_.request("<iq type='get' to='" + jid + "' id='" + id + "'><pubsub xmlns='" +
                                     pubsub_ns + "'><items node='" + node + "'/></pubsub></iq>",
                                 id);
    xmpp_stanza_t* item = current_item(reply.get(), node);
    return parse_bundle(stanza_child(item, "bundle", omemo_ns));
}

bool omemo_client::supports_claim(const std::string& jid) {
    const std::string id = next_id("disco");
    auto reply =
        client_.request("<iq type='get' to='" + jid + "' id='" + id +
                            "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                        id);
    require_result(reply.get(), "disco#info of " + jid);
    xmpp_stanza_t* query =
        stanza_child(reply.get(), "query", "http://jabber.org/protocol/disco#info");
    require(query != nullptr, "disco#info reply without <query/>: " + stanza_text(reply.get()));
    for (xmpp_stanza_t* child = xmpp_stanza_get_children(query); child;
         child = xmpp_stanza_get_next(child)) {
        if (xmpp_stanza_is_tag(child) && std::strcmp(xmpp_stanza_get_name(child), "feature") == 0 &&
            stanza_attribute(child, "var") == prekeys_ns)
            return true;
    }
    return false;
}

std::string omemo_client::send_claim(const std::string& jid, const std::string& node) {
    const std::string id = next_id("claim");
    client_.send("<iq type='set' to='" + jid + "' id='" + id + "'><claim xmlns='" + prekeys_ns +
                 "' node='" + node + "'/></iq>");
    return id;
}

scenarios::stanza_ptr omemo_client::claim_reply(const std::string& jid, const std::string& node) {
    return await_reply(send_claim(jid, node));
}

scenarios::stanza_ptr omemo_client::await_reply(const std::string& id) {
    return client_.wait_for(
        [&](xmpp_stanza_t* stanza) {
            return std::strcmp(xmpp_stanza_get_name(stanza), "iq") == 0 &&
                   stanza_attribute(stanza, "id") == id;
        },
        "the reply to iq " + id);
}

omemo_client::claim_result omemo_client::await_claim(const std::string& id,
                                                     const std::string& node) {
    auto reply = await_reply(id);
    require_result(reply.get(), "the prekey claim " + id + " of " + node);
    xmpp_stanza_t* claim = stanza_child(reply.get(), "claim", prekeys_ns);
    require(claim != nullptr && stanza_attribute(claim, "node") == node,
            "no <claim node='" + node + "'/> in " + stanza_text(reply.get()));
    claim_result result;
    result.remaining = parse_id(stanza_attribute(claim, "remaining"), "remaining");
    result.bundle = parse_bundle(stanza_child(claim, "bundle", omemo_ns));
    require(result.bundle.pre_keys.size() == 1,
            "a claim must return exactly one one-time prekey, got " +
                std::to_string(result.bundle.pre_keys.size()) + ": " + stanza_text(reply.get()));
    return result;
}

omemo_client::claim_result omemo_client::claim_bundle(const std::string& jid,
                                                      std::uint32_t device) {
    const std::string node = bundle_node(device);
    return await_claim(send_claim(jid, node), node);
}

omemo_encrypted omemo_client::send_encrypted(
    const std::string& to, const std::string& id, const std::string& plaintext,
    const std::vector<omemo_device::recipient>& recipients) {
    omemo_encrypted encrypted = device_.encrypt(plaintext, recipients);
    client_.send(encrypted_message_xml(to, id, encrypted));
    return encrypted;
}

std::string omemo_client::receive_encrypted(const std::string& sender_jid, const std::string& id,
                                            scenarios::stanza_ptr* stanza) {
    return receive(sender_jid, true, "chat", sender_jid, id, stanza);
}

omemo_encrypted omemo_client::send_encrypted_groupchat(
    const std::string& room, const std::string& id, const std::string& plaintext,
    const std::vector<omemo_device::recipient>& recipients) {
    omemo_encrypted encrypted = device_.encrypt(plaintext, recipients);
    client_.send(encrypted_message_xml(room, id, encrypted, "groupchat"));
    return encrypted;
}

std::string omemo_client::receive_encrypted_groupchat(const std::string& occupant_jid,
                                                      const std::string& sender_jid,
                                                      const std::string& id,
                                                      scenarios::stanza_ptr* stanza) {
    return receive(occupant_jid, false, "groupchat", sender_jid, id, stanza);
}

// The message `id` of `type` from `from` (compared as a bare JID when `bare_from`), decrypted
// as sent by the account `sender_jid`.
std::string omemo_client::receive(const std::string& from, bool bare_from, const std::string& type,
                                  const std::string& sender_jid, const std::string& id,
                                  scenarios::stanza_ptr* stanza) {
    auto message = client_.wait_for(scenarios::stanza_named("message", id),
                                    "encrypted message " + id, std::chrono::seconds(10));
    const std::string text = stanza_text(message.get());
    const std::string actual_from = stanza_attribute(message.get(), "from");
    require((bare_from ? bare_of(actual_from) : actual_from) == from,
            "message " + id + " not from " + from + ": " + text);
    require(stanza_attribute(message.get(), "type") == type, "type changed: " + text);
    xmpp_stanza_t* encrypted = stanza_child(message.get(), "encrypted", omemo_ns);
    require(encrypted != nullptr, "message " + id + " lost its <encrypted/>: " + text);
    std::string plaintext = device_.decrypt(sender_jid, parse_encrypted(encrypted));
    if (stanza) *stanza = std::move(message);
    return plaintext;
}

}  // namespace starling::e2ee
