#pragma once
// A XEP-0313 query as the client wrote it (the urn:xmpp:mam:2 data form, the XEP-0059 <set/>,
// <flip-page/>) turned into a store query, and the store's page turned back into result
// messages and the <fin/>: for users' archives (mod_mam) and rooms' (mod_muc) alike.

#include "core/stanza.hpp"
#include "storage/archive_store.hpp"

#include <optional>
#include <string>
#include <variant>

namespace starling::mam {

inline constexpr const char* ns_mam = "urn:xmpp:mam:2";
inline constexpr const char* ns_mam_extended = "urn:xmpp:mam:2#extended";
inline constexpr const char* ns_forward = "urn:xmpp:forward:0";
inline constexpr const char* ns_delay = "urn:xmpp:delay";
inline constexpr const char* ns_rsm = "http://jabber.org/protocol/rsm";
inline constexpr const char* ns_data = "jabber:x:data";

struct QueryError {
    std::string type;       // modify, cancel
    std::string condition;  // bad-request, feature-not-implemented
    std::string text;
};

struct ParsedQuery {
    storage::ArchiveQuery store;
    std::string queryid;  // empty: none given
    bool flip = false;    // send the page newest first
};

struct PageLimits {
    std::int64_t default_page;  // without <max/>
    std::int64_t max_page;      // a larger <max/> is cut to this
};

/// Reads `query` (the <query xmlns='urn:xmpp:mam:2'/> of an iq set) for the archive of `user`.
std::variant<ParsedQuery, QueryError> parse_query(const xml::Element& query, const Jid& user,
                                                  const PageLimits& limits);

/// The form a client fetches with an iq get of an empty query (XEP-0313 §4.1.5).
xml::ElementPtr query_form();

/// One result: <message to=querier from=archive><result queryid id><forwarded><delay/>…
StanzaPtr result_message(const storage::ArchivedMessage& row, const std::string& queryid,
                         const Jid& archive, const Jid& querier);

/// <fin xmlns='urn:xmpp:mam:2' complete?><set xmlns=rsm><first index/><last/><count/></set>.
xml::ElementPtr fin_element(const storage::ArchivePage& page);

}  // namespace starling::mam
