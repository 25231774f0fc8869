// XEP-0054 vcard-temp: a user sets their own vCard and anyone may read any account's. The server
// answers on the account's behalf (an iq to the bare JID, or with no 'to' for one's own).

#include "core/module.hpp"
#include "core/server.hpp"
#include "storage/account_store.hpp"
#include "storage/stored_xml.hpp"
#include "storage/xml_document_store.hpp"
#include "xml/serializer.hpp"

namespace {

using namespace starling;
constexpr const char* ns_vcard = "vcard-temp";
constexpr const char* kind = "vcard";

std::vector<OptionSpec> options() {
    return {
        {"max_size", OptionType::integer, "65536", 256, 1048576,
         "largest vCard, in bytes of XML, a user may store; larger sets get not-acceptable"},
    };
}

struct VCard {
    Server& server;
    storage::XmlDocumentStore store;
    std::size_t max_size;
};

// The account an iq is about: its 'to', or the sender's own account when there is none.
Jid account_of(const Stanza& iq) { return iq.to().str().empty() ? iq.from().bare() : iq.to().bare(); }

void reply(Server& server, StanzaPtr stanza) { server.router().route(nullptr, std::move(stanza)); }

void on_get(const std::shared_ptr<VCard>& vcard, const StanzaEvent& ev) {
    const Jid account = account_of(*ev.stanza);
    vcard->store.get(
        account.domain(), account.local(), kind, "",
        [vcard, account, stanza = ev.stanza, origin = ev.origin](bool ok,
                                                                 std::optional<std::string> xml) {
            if (!ok) return vcard->server.router().bounce(origin, *stanza, "wait",
                                                          "internal-server-error");
            xml::ElementPtr card = xml ? storage::parse_stored_xml(*xml, ns_client) : nullptr;
            if (card) return reply(vcard->server, make_iq_result(*stanza, std::move(card)));
            // Nothing stored: an empty vCard for an account, but no vCard for nobody.
            vcard->server.accounts().exists(
                account.domain(), account.local(), [vcard, stanza, origin](bool ok, bool exists) {
                    if (!ok || !exists)
                        return vcard->server.router().bounce(
                            origin, *stanza, ok ? "cancel" : "wait",
                            ok ? "service-unavailable" : "internal-server-error");
                    reply(vcard->server,
                          make_iq_result(*stanza, xml::make_element("vCard", ns_vcard)));
                });
        });
}

void on_set(const std::shared_ptr<VCard>& vcard, ModuleContext& ctx, StanzaEvent& ev) {
    const auto owner = ev.own_account();
    if (!owner) return ctx.reply_error(ev, "auth", "forbidden", "only your own vCard can be set");
    const Jid account = *owner;
    const xml::Element* card = ev.stanza->element().child("vCard", ns_vcard);
    if (card == nullptr) return ctx.reply_error(ev, "modify", "bad-request");
    std::string text = xml::to_string(*card, ns_client);
    if (text.size() > vcard->max_size)
        return ctx.reply_error(ev, "modify", "not-acceptable", "the vCard is too large");
    vcard->store.put(account.domain(), account.local(), kind, "", text,
                     [vcard, stanza = ev.stanza, origin = ev.origin](storage::Result result) {
                         if (!result.ok)
                             return vcard->server.router().bounce(origin, *stanza, "wait",
                                                                  "internal-server-error");
                         reply(vcard->server, make_iq_result(*stanza));
                     });
}

void load(ModuleContext& ctx) {
    ctx.add_feature(ns_vcard);
    ctx.add_feature(ns_vcard, IqTarget::account);
    auto vcard = std::make_shared<VCard>(VCard{ctx.server(), storage::XmlDocumentStore(ctx.database()),
                                               static_cast<std::size_t>(ctx.options().get_int("max_size"))});
    ctx.own(vcard);
    ctx.iq_handler(IqTarget::account, "get", ns_vcard, [vcard](StanzaEvent& ev) { on_get(vcard, ev); });
    ctx.iq_handler(IqTarget::account, "set", ns_vcard,
                   [vcard, &ctx](StanzaEvent& ev) { on_set(vcard, ctx, ev); });
}

}  // namespace

STARLING_MODULE("vcard", "XEP-0054 vcard-temp", options, nullptr, load)
