// XEP-0049 private XML storage: a user keeps one element per namespace on the server, readable
// and writable by that account only.
//
// Two events tie it to other modules without linking them (mod_pep keeps XEP-0048 bookmarks in
// step with XEP-0402's, docs/bookmarks.md): after a client stored an element, "private/stored"
// fires with the client's iq set; and a module that fires "private/store" with an iq set of the
// same shape (from the account's bare JID) has its element stored, without a reply.

#include "core/module.hpp"
#include "core/server.hpp"
#include "storage/stored_xml.hpp"
#include "storage/xml_document_store.hpp"
#include "xml/serializer.hpp"

namespace {

using namespace starling;
constexpr const char* ns_private = "jabber:iq:private";
constexpr const char* kind = "private";
const EventKey private_stored("private/stored");
const EventKey private_store("private/store");

std::vector<OptionSpec> options() {
    return {
        {"max_size", OptionType::integer, "65536", 256, 1048576,
         "largest element, in bytes of XML, stored per namespace; larger sets get not-acceptable"},
    };
}

struct Private {
    Server& server;
    storage::XmlDocumentStore store;
    std::size_t max_size;
};

// XEP-0049 §3: the query holds exactly one child, whose namespace names what is stored; the
// stream's own namespaces and the protocol's are not storage keys.
const xml::Element* stored_child(const xml::Element& query) {
    const auto children = query.child_elements();
    return children.size() == 1 ? children.front() : nullptr;
}

bool refused_namespace(const std::string& ns) {
    return ns.empty() || ns == "jabber:client" || ns == "jabber:server" || ns == ns_private;
}

void handle(const std::shared_ptr<Private>& priv, ModuleContext& ctx, StanzaEvent& ev) {
    const Stanza& iq = *ev.stanza;
    const auto account = ev.own_account();
    if (!account)
        return ctx.reply_error(ev, "cancel", "forbidden", "private storage is for its owner only");
    const xml::Element* query = iq.element().child("query", ns_private);
    const xml::Element* child = query ? stored_child(*query) : nullptr;
    if (child == nullptr) return ctx.reply_error(ev, "modify", "bad-format");
    if (refused_namespace(child->xmlns())) return ctx.reply_error(ev, "modify", "not-acceptable");
    const Jid owner = *account;
    const std::string ns = child->xmlns();
    auto fail = [priv, stanza = ev.stanza, origin = ev.origin] {
        priv->server.router().bounce(origin, *stanza, "wait", "internal-server-error");
    };
    if (iq.type() == "set") {
        std::string text = xml::to_string(*child, ns_client);
        if (text.size() > priv->max_size)
            return ctx.reply_error(ev, "modify", "not-acceptable", "the element is too large");
        return priv->store.put(
            owner.domain(), owner.local(), kind, ns, text,
            [priv, fail, host = &ev.host, origin = ev.origin,
             stanza = ev.stanza](storage::Result result) {
                if (!result.ok) return fail();
                priv->server.router().route(nullptr, make_iq_result(*stanza));
                StanzaEvent stored{*host, origin, stanza};
                host->stanza_hooks().fire(private_stored, stored);
            });
    }
    // A get names the element by an empty one of the same name and namespace; what is stored
    // replaces it, or it comes back empty when nothing is.
    priv->store.get(owner.domain(), owner.local(), kind, ns,
                    [priv, fail, stanza = ev.stanza, name = child->name(), ns](
                        bool ok, std::optional<std::string> xml) {
                        if (!ok) return fail();
                        xml::ElementPtr stored = xml ? storage::parse_stored_xml(*xml, ns_client)
                                                     : nullptr;
                        auto query = xml::make_element("query", ns_private);
                        query->add_child(stored ? stored : xml::make_element(name, ns));
                        priv->server.router().route(nullptr,
                                                    make_iq_result(*stanza, std::move(query)));
                    });
}

// Another module's element for an account (see the top): stored as a client's set would be.
Verdict store_for_module(const std::shared_ptr<Private>& priv, ModuleContext& ctx,
                         StanzaEvent& ev) {
    const Jid& owner = ev.stanza->from();
    const xml::Element* query = ev.stanza->element().child("query", ns_private);
    const xml::Element* child = query ? stored_child(*query) : nullptr;
    if (ev.origin || owner.local().empty() || owner.domain() != ctx.domain() || !child ||
        refused_namespace(child->xmlns()))
        return Verdict::pass;
    std::string text = xml::to_string(*child, ns_client);
    if (text.size() > priv->max_size) return Verdict::drop;
    priv->store.put(owner.domain(), owner.local(), kind, child->xmlns(), text,
                    [](storage::Result) {});
    return Verdict::handled;
}

void load(ModuleContext& ctx) {
    ctx.add_feature(ns_private, IqTarget::account);
    auto priv = std::make_shared<Private>(Private{
        ctx.server(), storage::XmlDocumentStore(ctx.database()),
        static_cast<std::size_t>(ctx.options().get_int("max_size"))});
    ctx.own(priv);
    for (const char* type : {"get", "set"})
        ctx.iq_handler(IqTarget::account, type, ns_private,
                       [priv, &ctx](StanzaEvent& ev) { handle(priv, ctx, ev); });
    ctx.hook(private_store, [priv, &ctx](StanzaEvent& ev) { return store_for_module(priv, ctx, ev); });
}

}  // namespace

STARLING_MODULE("private", "XEP-0049 private XML storage", options, nullptr, load)
