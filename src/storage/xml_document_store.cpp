#include "storage/xml_document_store.hpp"

#include <chrono>
#include <utility>

namespace starling::storage {

void XmlDocumentStore::put(const std::string& host, const std::string& user,
                           const std::string& kind, const std::string& key, const std::string& xml,
                           Callback done) {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    // An upsert rather than delete-and-insert, so two concurrent sets cannot fail on the key.
    db_.execute({"INSERT INTO xml_documents (host, username, kind, doc_key, xml, updated_at) "
                 "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (host, username, kind, doc_key) "
                 "DO UPDATE SET xml = excluded.xml, updated_at = excluded.updated_at",
                 {host, user, kind, key, xml, now}},
                std::move(done));
}

void XmlDocumentStore::get(const std::string& host, const std::string& user,
                           const std::string& kind, const std::string& key,
                           std::function<void(bool ok, std::optional<std::string> xml)> done) {
    db_.execute({"SELECT xml FROM xml_documents "
                 "WHERE host = $1 AND username = $2 AND kind = $3 AND doc_key = $4",
                 {host, user, kind, key}},
                [done = std::move(done)](Result result) {
                    if (!result.ok) return done(false, std::nullopt);
                    if (result.rows.empty()) return done(true, std::nullopt);
                    done(true, result.rows[0].at(0));
                });
}

void XmlDocumentStore::remove(const std::string& host, const std::string& user,
                              const std::string& kind, const std::string& key, Callback done) {
    db_.execute({"DELETE FROM xml_documents "
                 "WHERE host = $1 AND username = $2 AND kind = $3 AND doc_key = $4",
                 {host, user, kind, key}},
                std::move(done));
}

}  // namespace starling::storage
