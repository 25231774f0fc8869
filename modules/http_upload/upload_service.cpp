#include "upload_service.hpp"

#include "core/disco.hpp"
#include "core/server.hpp"
#include "storage/await_values.hpp"
#include "storage/file_blob_store.hpp"
#include "storage/quota_guard.hpp"
#include "stream/scram_crypto.hpp"
#include "xml/data_form.hpp"

#include <chrono>

namespace starling::http_upload {

namespace {

constexpr const char* ns_disco_info = "http://jabber.org/protocol/disco#info";
constexpr const char* ns_disco_items = "http://jabber.org/protocol/disco#items";
constexpr const char* ns_ping = "urn:xmpp:ping";

// Slots left unfilled are kept this long past their PUT deadline before the sweep takes them,
// so that an upload that started in time is not swept from under itself.
constexpr std::int64_t abandon_grace = 3600;
constexpr std::int64_t sweep_batch_size = 1000;

// RFC 3986 unreserved characters stay; everything else of a file name is percent-encoded.
std::string url_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : text) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// A content type goes into a response header as the client gave it: printable ASCII only.
bool valid_content_type(std::string_view type) {
    if (type.empty() || type.size() > 255 || type.find('/') == std::string_view::npos) return false;
    for (const char c : type)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

}  // namespace

UploadService::UploadService(ModuleContext& ctx, Settings settings,
                             std::shared_ptr<storage::BlobStore> blobs)
    : link_(ctx),
      settings_(std::move(settings)),
      store_(ctx.database()),
      blobs_(std::move(blobs)),
      uploaded_bytes_(ctx.metric("uploaded_bytes", "bytes of files uploaded and stored")),
      downloaded_bytes_(ctx.metric("downloaded_bytes", "bytes of files served for download")),
      files_deleted_(ctx.metric("files_deleted",
                                "uploaded files deleted: expired, purged or of deleted accounts")) {}

std::int64_t UploadService::now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() +
           settings_.clock_offset;
}

void UploadService::receive(const SessionPtr& origin, StanzaPtr stanza) {
    auto& router = link_.server().router();
    if (stanza->name() != "iq") {
        if (stanza->name() == "message") router.bounce(origin, *stanza, "cancel", "service-unavailable");
        return;
    }
    const auto type = stanza->type();
    if (type != "get" && type != "set") return;
    const auto children = stanza->element().child_elements();
    if (children.size() != 1) return router.bounce(origin, *stanza, "modify", "bad-request");
    const xml::Element& payload = *children.front();
    if (type == "get" && payload.xmlns() == ns_upload && payload.name() == "request")
        return request_slot(origin, stanza, payload);
    if (type == "get" && payload.xmlns() == ns_disco_info) return disco_info(origin, stanza);
    if (type == "get" && payload.xmlns() == ns_disco_items) {
        DiscoReply reply(DiscoKind::items, IqTarget::host, StanzaEvent{link_.host(), origin, stanza});
        return;  // no items; a node is item-not-found
    }
    if (type == "get" && payload.xmlns() == ns_ping) return link_.send(make_iq_result(*stanza));
    router.bounce(origin, *stanza, "cancel", "service-unavailable");
}

void UploadService::disco_info(const SessionPtr& origin, const StanzaPtr& stanza) {
    DiscoReply reply(DiscoKind::info, IqTarget::host, StanzaEvent{link_.host(), origin, stanza});
    if (!reply.node().empty()) return;
    reply.add_identity({"store", "file", settings_.name});
    for (const char* feature : {ns_upload, ns_disco_info, ns_disco_items, ns_ping})
        reply.add_feature(feature);
    // XEP-0363 §4: the largest file, so that clients refuse a larger one before asking.
    xml::FormBuilder form("result", ns_upload);
    form.field("max-file-size", {}, {}, {std::to_string(settings_.max_file_size)});
    reply.add_form(form.take());
}

void UploadService::request_slot(const SessionPtr& origin, const StanzaPtr& stanza,
                                 const xml::Element& request) {
    auto& router = link_.server().router();
    const Jid& from = stanza->from();
    // Files count against a local account's quota and go when it goes: only the host's users.
    if (from.domain() != link_.domain() || from.local().empty())
        return router.bounce(origin, *stanza, "cancel", "not-allowed",
                             "only users of " + link_.domain() + " may upload files here");
    const std::string filename(request.attr("filename"));
    const std::string size_text(request.attr("size"));
    const std::string content_type(request.attr("content-type"));
    if (filename.empty() || filename.size() > 255)
        return router.bounce(origin, *stanza, "modify", "bad-request",
                             "the filename must be 1 to 255 bytes long");
    if (size_text.empty() || size_text.size() > 18 ||
        size_text.find_first_not_of("0123456789") != std::string::npos)
        return router.bounce(origin, *stanza, "modify", "bad-request",
                             "the size must be a number of bytes");
    if (!content_type.empty() && !valid_content_type(content_type))
        return router.bounce(origin, *stanza, "modify", "bad-request",
                             "the content-type must be a MIME type of printable ASCII");
    const std::int64_t size = std::stoll(size_text);
    if (size > settings_.max_file_size) {
        // XEP-0363 §5: not-acceptable, with the limit in <file-too-large/>.
        auto reply = make_error_reply(*stanza, "modify", "not-acceptable",
                                      "the file is larger than the " +
                                          std::to_string(settings_.max_file_size) +
                                          " bytes this service takes");
        auto element = reply->element().clone();
        auto& too_large = element->child("error")->add_child("file-too-large", ns_upload);
        too_large.add_child("max-file-size").add_text(std::to_string(settings_.max_file_size));
        link_.server().router().count_bounce("not-acceptable");
        return link_.send(std::make_shared<Stanza>(element));
    }

    storage::UploadSlot slot;
    slot.slot = sasl::to_hex(sasl::random_bytes(16));
    slot.service = settings_.domain;
    slot.host = from.domain();
    slot.username = from.local();
    slot.filename = filename;
    slot.content_type = content_type;
    slot.size = size;
    const std::string token = sasl::to_hex(sasl::random_bytes(32));
    slot.token_hash = sasl::to_hex(sasl::digest(sasl::Hash::sha256, token));
    slot.created_at = now();
    slot.put_before = slot.created_at + settings_.slot_timeout;
    const std::string url =
        settings_.base_url + path_prefix() + slot.slot + "/" + url_encode(filename);
    store_.create(
        slot, settings_.quota, slot.created_at, slot.created_at - settings_.expire_after,
        [self = shared_from_this(), origin, stanza, url, token](storage::Result result) {
            auto& router = self->link_.server().router();
            if (storage::refused(result))
                return router.bounce(
                    origin, *stanza, "wait", "resource-constraint",
                    "this file would pass your upload quota of " +
                        std::to_string(self->settings_.quota) +
                        " bytes; files count until they expire or are deleted");
            if (!result.ok) {
                self->link_.log().error("upload: cannot record a slot: {}", result.error);
                return router.bounce(origin, *stanza, "wait", "internal-server-error");
            }
            auto slot_element = xml::make_element("slot", ns_upload);
            auto& put = slot_element->add_child("put");
            put.set_attr("url", url);
            put.add_child("header").set_attr("name", "Authorization").add_text("Bearer " + token);
            slot_element->add_child("get").set_attr("url", url);
            self->link_.send(make_iq_result(*stanza, std::move(slot_element)));
        });
}

void UploadService::sweep() {
    if (sweeping_.exchange(true)) return;
    sweep_batch();
}

void UploadService::sweep_batch() {
    const auto at = now();
    store_.sweepable(settings_.domain, at - settings_.expire_after,
                     at - settings_.slot_timeout - abandon_grace, sweep_batch_size,
                     [self = shared_from_this()](bool ok, std::vector<std::string> slots) {
                         if (!ok || slots.empty()) return self->sweeping_.store(false);
                         const bool more = slots.size() >= sweep_batch_size;
                         self->remove_files(std::move(slots), [self, more](std::size_t removed) {
                             if (removed > 0)
                                 self->link_.log().info("upload: {} files deleted", removed);
                             if (more && removed > 0) return self->sweep_batch();
                             self->sweeping_.store(false);
                         });
                     });
}

void UploadService::remove_files(std::vector<std::string> slots,
                                 std::function<void(std::size_t)> done) {
    // Blob first, row after: a blob whose removal failed keeps its row, and the next sweep tries
    // again; no blob is ever left without the row that finds it.
    auto removed = std::make_shared<std::vector<std::string>>();
    auto pending = std::make_shared<std::atomic<std::size_t>>(slots.size());
    auto finish = [self = shared_from_this(), removed, done = std::move(done)] {
        self->store_.remove(self->settings_.domain, *removed,
                            [self, removed, done](storage::Result result) {
                                if (!result.ok) {
                                    self->link_.log().error("upload: cannot delete rows: {}",
                                                            result.error);
                                    return done(0);
                                }
                                self->files_deleted_.add(removed->size());
                                done(removed->size());
                            });
    };
    auto mutex = std::make_shared<std::mutex>();
    for (const auto& slot : slots)
        blobs_->remove(slot, [self = shared_from_this(), slot, removed, pending, mutex,
                              finish](std::string error) {
            if (!error.empty())
                self->link_.log().error("upload: cannot delete the file of slot {}: {}", slot,
                                        error);
            else {
                std::lock_guard lock(*mutex);
                removed->push_back(slot);
            }
            if (--*pending == 0) finish();
        });
}

std::string UploadService::usage_report(const std::string& username, bool& ok) {
    auto [done_ok, usage] = storage::await_values<std::pair<bool, std::vector<storage::UploadUsage>>>(
        [&](auto done) { store_.usage(settings_.domain, link_.domain(), username, done); });
    ok = done_ok;
    if (!ok) return "upload usage: storage error\n";
    std::string out;
    for (const auto& owner : usage)
        out += owner.owner + "\t" + std::to_string(owner.files) + " files\t" +
               std::to_string(owner.bytes) + " bytes\n";
    return out;
}

std::string UploadService::purge(const std::string& username, bool& ok) {
    // Not a structured binding: clang 14 (the sanitizer build) cannot capture one.
    auto listed = storage::await_values<std::pair<bool, std::vector<std::string>>>(
        [&](auto done) { store_.slots_of(settings_.domain, link_.domain(), username, done); });
    ok = listed.first;
    if (!ok) return "upload purge: storage error\n";
    const auto count = listed.second.size();
    const auto removed = count == 0 ? 0
                                    : storage::await_values<std::size_t>([&](auto done) {
                                          remove_files(std::move(listed.second), done);
                                      });
    ok = removed == count;
    return "purged " + std::to_string(removed) + " of " + std::to_string(count) + " files of " +
           username + "@" + link_.domain() + "\n";
}

}  // namespace starling::http_upload
