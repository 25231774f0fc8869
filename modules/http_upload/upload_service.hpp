#pragma once
// The upload service of one host (XEP-0363): slots handed out over XMPP on the service's
// domain, files taken and served over HTTP at /upload/<service domain>/<slot>/<name>, their
// bytes in a BlobStore and everything else in the UploadStore, and the sweep that deletes them
// when they expire or their owner's account is gone.

#include "core/http_routes.hpp"
#include "core/module.hpp"
#include "storage/blob_store.hpp"
#include "storage/upload_store.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace starling::http_upload {

inline constexpr const char* ns_upload = "urn:xmpp:http:upload:0";

struct Settings {
    std::string domain;    // the service's JID
    std::string name;      // its disco identity's name
    std::string base_url;  // scheme://authority the URLs start with
    std::int64_t max_file_size = 0;
    std::int64_t quota = 0;         // bytes per user
    std::int64_t expire_after = 0;  // seconds a file is kept
    std::int64_t slot_timeout = 0;  // seconds a slot waits for its PUT
    std::int64_t clock_offset = 0;  // tests only
};

class UploadService : public std::enable_shared_from_this<UploadService> {
public:
    UploadService(ModuleContext& ctx, Settings settings,
                  std::shared_ptr<storage::BlobStore> blobs);

    const Settings& settings() const { return settings_; }
    /// The HTTP paths served: /upload/<domain>/.
    std::string path_prefix() const { return "/upload/" + settings_.domain + "/"; }

    /// Takes a stanza to the service's domain (the ServiceRegistry handler).
    void receive(const SessionPtr& origin, StanzaPtr stanza);
    /// Serves a request under path_prefix() (a streamed route: PUT bodies go to the blob store).
    void serve(HttpRequest& request, HttpRespond respond, HttpAccept accept);
    /// Deletes expired files, slots never filled and files of deleted accounts, a batch at a
    /// time; a sweep still running when the next is due lets that one go.
    void sweep();

    /// For `starlingctl upload`: lines of owner, files, bytes (one owner's when `username` is
    /// set); and every file of one owner deleted, with how many there were. Block until done.
    std::string usage_report(const std::string& username, bool& ok);
    std::string purge(const std::string& username, bool& ok);

    /// Seconds since the Unix epoch, moved by clock_offset.
    std::int64_t now() const;

private:
    void request_slot(const SessionPtr& origin, const StanzaPtr& stanza,
                      const xml::Element& request);
    void disco_info(const SessionPtr& origin, const StanzaPtr& stanza);
    void put(HttpRequest& request, const std::string& slot, HttpRespond respond,
             HttpAccept accept);
    void get(HttpRequest& request, const std::string& slot, bool head, HttpRespond respond);
    void sweep_batch();
    /// Deletes the blobs of `slots`, then the rows of those whose blob went.
    void remove_files(std::vector<std::string> slots, std::function<void(std::size_t)> done);

    ModuleLink link_;
    Settings settings_;
    storage::UploadStore store_;
    std::shared_ptr<storage::BlobStore> blobs_;
    Counter& uploaded_bytes_;
    Counter& downloaded_bytes_;
    Counter& files_deleted_;
    std::atomic<bool> sweeping_{false};
};

}  // namespace starling::http_upload
