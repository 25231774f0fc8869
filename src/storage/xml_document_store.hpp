#pragma once
// Per-account XML documents by (host, user, kind, key): the vCard (kind "vcard", key "") and
// private XML storage (kind "private", key the namespace). The document is its XML text.

#include "storage/database.hpp"

#include <functional>
#include <optional>
#include <string>

namespace starling::storage {

class XmlDocumentStore {
public:
    explicit XmlDocumentStore(Database& db) : db_(db) {}

    /// Creates or replaces the document.
    void put(const std::string& host, const std::string& user, const std::string& kind,
             const std::string& key, const std::string& xml, Callback done);
    /// The document's text; nullopt when there is none (ok=false only on a database error).
    void get(const std::string& host, const std::string& user, const std::string& kind,
             const std::string& key,
             std::function<void(bool ok, std::optional<std::string> xml)> done);
    void remove(const std::string& host, const std::string& user, const std::string& kind,
                const std::string& key, Callback done);

private:
    Database& db_;
};

}  // namespace starling::storage
