#pragma once
// The message archive (XEP-0313) and its preferences (XEP-0441): per (host, user), archived
// stanzas as serialized XML text in arrival order, each under an opaque archive id, queried by
// peer, time and id with XEP-0059 result set paging in either direction. Each user's archive
// holds at most a quota of messages: past it the oldest go as new ones are appended, like a ring.

#include "storage/archive_ids.hpp"
#include "storage/database.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace starling::storage {

struct ArchivedMessage {
    std::int64_t row = 0;  // the store's order: ArchiveIds::next_row(), never reused
    std::string host;
    std::string user;
    std::string archive_id;      // what clients see (stanza-id, result id, RSM ids); read only
    std::string with_bare;       // the peer: 'to' of an outgoing, 'from' of an incoming message
    std::string with_resource;   // the peer's resource, empty for none
    std::string stanza;          // the stanza's XML text, exactly as routed
    std::int64_t stored_at = 0;  // microseconds since the epoch
};

/// What to select (the XEP-0313 form) and which page of it (XEP-0059). Every id is an archive
/// id of the same user's archive; one that is not there makes the query answer unknown_id.
struct ArchiveQuery {
    std::string host;
    std::string user;
    std::optional<std::string> with_bare;
    std::optional<std::string> with_resource;  // only with with_bare: a full JID matches exactly
    std::optional<std::int64_t> start;         // inclusive, microseconds
    std::optional<std::int64_t> end;           // inclusive, microseconds
    std::optional<std::string> after_id;       // the form's after-id: exclusive lower bound
    std::optional<std::string> before_id;      // the form's before-id: exclusive upper bound
    std::vector<std::string> ids;              // the form's ids: only these (empty: any)
    /// RSM: the page after this id; or, with `page_before`, the page before `before`
    /// (nullopt there is RSM's empty <before/>: the last page).
    std::optional<std::string> after;
    bool page_before = false;
    std::optional<std::string> before;
    std::int64_t max = 0;  // page size; 0 asks for the count only
};

struct ArchivePage {
    std::vector<ArchivedMessage> messages;  // chronological
    std::int64_t count = 0;                 // every message the form selects
    std::int64_t first_index = 0;           // position of messages.front() among them
    bool complete = false;                  // nothing further in the paging direction
};

enum class ArchiveOutcome { ok, failed, unknown_id };

struct ArchivePrefs {
    std::string default_mode;         // always, never or roster
    std::vector<std::string> always;  // JIDs, sorted
    std::vector<std::string> never;   // JIDs, sorted
    friend bool operator==(const ArchivePrefs&, const ArchivePrefs&) = default;
};

/// Where an archive lives: users' archives (mod_mam, with preferences) or chat rooms' (mod_muc,
/// host = the service's domain, user = the room). Fixed table names, never input.
struct ArchiveTables {
    std::string messages = "archive_messages";
    std::string counts = "archive_counts";
};

class ArchiveStore {
public:
    /// `max_per_user` messages are kept in each user's archive; 0 keeps any number.
    ArchiveStore(Database& db, std::shared_ptr<const ArchiveIds> ids, std::int64_t max_per_user = 0,
                 ArchiveTables tables = {})
        : db_(db), ids_(std::move(ids)), max_per_user_(max_per_user), tables_(std::move(tables)) {}

    /// Appends the messages, each to its user's archive under its row (their archive id is
    /// ids.encode(row)), in one transaction: all of them or, when one cannot be stored, none.
    /// In the same transaction each user's archive is cut back to the quota, oldest rows first,
    /// counted by the database (archive_counts): batches in flight together cannot pass it.
    void append(const std::vector<ArchivedMessage>& messages,
                std::function<void(WriteStatus)> done);
    void query(const ArchiveQuery& query, std::function<void(ArchiveOutcome, ArchivePage)> done);
    /// The oldest and newest message of the archive, none when it is empty.
    void bounds(const std::string& host, const std::string& user,
                std::function<void(bool ok, std::optional<ArchivedMessage> first,
                                   std::optional<ArchivedMessage> last)>
                    done);
    /// Deletes the oldest messages archived on `host` before `before` (microseconds), at most
    /// `limit` of them, so that one statement never holds the database for long; answers how
    /// many went (`limit` means there may be more).
    void expire(const std::string& host, std::int64_t before, std::int64_t limit,
                std::function<void(bool ok, std::int64_t deleted)> done);

    /// The user's preferences, nullopt when the user never set any.
    void prefs(const std::string& host, const std::string& user,
               std::function<void(bool ok, std::optional<ArchivePrefs>)> done);
    /// Replaces the user's preferences (a JID in both lists is kept in `never` only).
    void set_prefs(const std::string& host, const std::string& user, const ArchivePrefs& prefs,
                   std::function<void(bool ok)> done);

private:
    Database& db_;
    std::shared_ptr<const ArchiveIds> ids_;
    std::int64_t max_per_user_;
    ArchiveTables tables_;
};

}  // namespace starling::storage
