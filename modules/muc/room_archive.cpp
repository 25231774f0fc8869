// A room's message archive (XEP-0313 §5 on the room's JID), kept while the room's configuration
// enables logging: each reflected message under the same id as its XEP-0359 stanza-id, queried
// by the same form and paging as users' archives (core/archive_query.hpp).

#include "room.hpp"

#include "core/archive_query.hpp"
#include "core/server.hpp"

namespace starling::muc {

namespace {

// Pages as mod_mam's defaults: a client that asks for no <max/> gets 50, none gets more than 250.
constexpr mam::PageLimits page_limits{50, 250};

}  // namespace

void Room::archive(std::int64_t row, const Stanza& reflected, const std::string& nick) {
    storage::ArchivedMessage message;
    message.row = row;
    message.host = service_->domain;
    message.user = name_;
    message.with_bare = jid();
    message.with_resource = nick;  // 'with' = room@service/nick finds what one nick said
    message.stanza = reflected.bytes();
    message.stored_at = row;  // rows are the microseconds of their making (archive_ids.hpp)
    // The sender's stanza counts as handled (XEP-0198) once it is in the archive too.
    service_->archive.append({message}, [receipt = current_receipt, link = service_->link,
                                         room = jid()](storage::WriteStatus status) {
        if (status != storage::WriteStatus::committed)
            link.log().warn("room {}: a message could not be archived", room);
    });
}

void Room::archive_iq(const SessionPtr& origin, const StanzaPtr& stanza) {
    const Jid& from = stanza->from();
    if (!config_.logging)
        return bounce(stanza, "cancel", "service-unavailable", "this room keeps no archive");
    // Whoever may enter may read what was said (§5.1.2 leaves it to the room's policy).
    const Affiliation affiliation = affiliation_of(from);
    if (affiliation == Affiliation::outcast ||
        (config_.members_only && affiliation < Affiliation::member))
        return bounce(stanza, "auth", "forbidden", "only members may read this archive");
    const xml::Element& payload = *stanza->element().first_child_element();
    if (payload.name() != "query")
        return bounce(stanza, "cancel", "feature-not-implemented");
    if (stanza->type() == "get") return send(make_iq_result(*stanza, mam::query_form()));
    const Jid room = *Jid::parse(jid());
    auto parsed = mam::parse_query(payload, room, page_limits);
    if (const auto* error = std::get_if<mam::QueryError>(&parsed))
        return bounce(stanza, error->type, error->condition, error->text);
    auto request = std::get<mam::ParsedQuery>(std::move(parsed));
    // Every message archived before this query was queued to the database before it, and the
    // database runs its jobs in order: the page holds them.
    service_->archive.query(request.store, [link = service_->link, origin, stanza, room,
                                            request](storage::ArchiveOutcome outcome,
                                                     storage::ArchivePage page) {
        auto& router = link.server().router();
        if (outcome == storage::ArchiveOutcome::unknown_id)
            return router.bounce(origin, *stanza, "cancel", "item-not-found",
                                 "no message in this archive has that id");
        if (outcome != storage::ArchiveOutcome::ok)
            return router.bounce(origin, *stanza, "wait", "internal-server-error");
        const Jid querier = stanza->from();
        std::vector<StanzaPtr> results;
        auto add = [&](const storage::ArchivedMessage& row) {
            results.push_back(mam::result_message(row, request.queryid, room, querier));
        };
        if (request.flip)
            for (auto row = page.messages.rbegin(); row != page.messages.rend(); ++row) add(*row);
        else
            for (const auto& row : page.messages) add(row);
        auto fin = make_iq_result(*stanza, mam::fin_element(page));
        // The results before the iq that ends them (§4.2), paced to the querying session.
        if (!origin || querier != origin->jid()) {
            for (auto& result : results) link.send(std::move(result));
            return link.send(std::move(fin));
        }
        const std::size_t total = results.size();
        origin->deliver_paced(std::move(results), [link, fin, total](std::size_t queued) {
            if (queued == total) link.send(fin);
        });
    });
}

}  // namespace starling::muc
