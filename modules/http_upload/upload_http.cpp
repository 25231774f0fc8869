// The HTTP side of the upload service: PUT into a slot (authorised by the slot's token, its
// size and content type checked before a byte of the body is read, the body streamed into the
// blob store), GET and HEAD of a stored file (ETag, Range, caching for a CDN), and CORS for web
// clients.
#include "byte_range.hpp"
#include "upload_service.hpp"

#include "core/server.hpp"
#include "storage/file_blob_store.hpp"
#include "stream/scram_crypto.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>

namespace starling::http_upload {

namespace {

void cors(HttpResponse& response) {
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
}

HttpResponse text(int status, std::string_view message) {
    auto response = HttpResponse::text(status, message);
    cors(response);
    return response;
}

bool same_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

bool same_secret(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Takes the body of a PUT into a blob; answers 201 once the blob is whole and recorded.
class UploadSink : public HttpBodySink {
public:
    using Finish = std::function<void(HttpRespond)>;
    UploadSink(std::unique_ptr<storage::BlobWriter> writer, Finish on_whole)
        : writer_(std::move(writer)), on_whole_(std::move(on_whole)) {}

    void write(std::string_view bytes,
               std::function<void(std::optional<HttpResponse>)> done) override {
        // After a failure the session drops the sink, and the writer with it: the partial file
        // goes.
        writer_->write(bytes, [done = std::move(done)](std::string error) {
            if (error.empty()) return done(std::nullopt);
            done(text(507, "the file could not be stored: " + error));
        });
    }
    void finish(HttpRespond respond) override {
        // The writer lives until its commit answers, which a remote store may do later.
        std::shared_ptr<storage::BlobWriter> writer = std::move(writer_);
        writer->commit([writer, respond = std::move(respond),
                        on_whole = on_whole_](std::string error) mutable {
            if (!error.empty())
                return respond(text(500, "the file could not be stored: " + error));
            on_whole(std::move(respond));
        });
    }
    void abort() override { writer_.reset(); }

private:
    std::unique_ptr<storage::BlobWriter> writer_;
    Finish on_whole_;
};

// The body of a repeated PUT to a slot already filled: read and dropped, then 201 again.
class DiscardSink : public HttpBodySink {
public:
    void write(std::string_view, std::function<void(std::optional<HttpResponse>)> done) override {
        done(std::nullopt);
    }
    void finish(HttpRespond respond) override { respond(text(201, "stored")); }
    void abort() override {}
};

// A range of a blob as a response body.
class BlobSource : public HttpBodySource {
public:
    BlobSource(std::shared_ptr<storage::BlobReader> reader, std::uint64_t first,
               std::uint64_t length)
        : reader_(std::move(reader)), at_(first), left_(length), size_(length) {}

    std::uint64_t size() const override { return size_; }
    void read(std::size_t max, std::function<void(bool, std::string_view)> done) override {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(max, left_));
        reader_->read(at_, n, [this, done = std::move(done)](std::string error,
                                                             std::string_view bytes) {
            at_ += bytes.size();
            left_ -= std::min<std::uint64_t>(bytes.size(), left_);
            done(error.empty(), bytes);
        });
    }

private:
    std::shared_ptr<storage::BlobReader> reader_;
    std::uint64_t at_, left_;
    const std::uint64_t size_;
};

}  // namespace

void UploadService::serve(HttpRequest& request, HttpRespond respond, HttpAccept accept) {
    // /upload/<domain>/<slot>/<file name>: the name is only for the client's sake.
    const auto rest = std::string_view(request.path).substr(path_prefix().size());
    const auto slash = rest.find('/');
    const std::string slot(rest.substr(0, slash));
    if (slash == std::string_view::npos || !storage::FileBlobStore::valid_key(slot))
        return respond(text(404, "no such file"));
    if (request.method == "OPTIONS") {
        // A CORS preflight: web clients PUT with Authorization and Content-Type.
        HttpResponse preflight{204, {}, {}, nullptr};
        cors(preflight);
        preflight.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, PUT, OPTIONS");
        preflight.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
        preflight.headers.emplace_back("Access-Control-Max-Age", "86400");
        return respond(std::move(preflight));
    }
    if (request.method == "PUT") return put(request, slot, std::move(respond), std::move(accept));
    if (request.method == "GET" || request.method == "HEAD")
        return get(request, slot, request.method == "HEAD", std::move(respond));
    auto refused = text(405, "uploads take PUT; files are read with GET or HEAD");
    refused.headers.emplace_back("Allow", "GET, HEAD, PUT, OPTIONS");
    respond(std::move(refused));
}

void UploadService::put(HttpRequest& request, const std::string& slot, HttpRespond respond,
                        HttpAccept accept) {
    const auto authorization = request.header("authorization");
    constexpr std::string_view bearer = "Bearer ";
    if (authorization.size() <= bearer.size() ||
        !same_ignoring_case(authorization.substr(0, bearer.size()), bearer))
        return respond(text(403, "no upload token: send the Authorization header of the slot"));
    if (!request.content_length)
        return respond(text(411, "an upload needs a Content-Length: the slot's size"));
    const auto token_hash = sasl::to_hex(
        sasl::digest(sasl::Hash::sha256, authorization.substr(bearer.size())));
    const auto length = *request.content_length;
    const std::string content_type(request.header("content-type"));
    // Everything the answer needs is copied: the request is the connection's, not this call's.
    store_.find(settings_.domain, slot, [self = shared_from_this(), slot, token_hash, length,
                                         content_type, respond, accept](
                                            bool ok, std::optional<storage::UploadSlot> found) {
        if (!ok) return respond(text(503, "storage is unavailable; try again"));
        if (!found || !same_secret(found->token_hash, token_hash) || !found->owner_exists)
            return respond(text(403, "no slot with this token: request a slot over XMPP first"));
        if (self->now() >= found->put_before)
            return respond(text(403, "the slot has expired: request a new one"));
        if (static_cast<std::int64_t>(length) != found->size)
            return respond(text(400, "Content-Length " + std::to_string(length) +
                                         " is not the slot's size " +
                                         std::to_string(found->size)));
        if (!found->content_type.empty() && !same_ignoring_case(content_type, found->content_type))
            return respond(text(400, "Content-Type \"" + content_type +
                                         "\" is not the slot's \"" + found->content_type + "\""));
        // Already stored: the same upload again (a client retrying after a lost answer) gets
        // the same answer, and the file stays as it was first stored.
        if (found->stored_at) return accept(std::make_shared<DiscardSink>());
        std::string error;
        auto writer = self->blobs_->create(slot, error);
        if (!writer) {
            self->link_.log().error("upload: cannot store slot {}: {}", slot, error);
            return respond(text(500, "the file could not be stored"));
        }
        accept(std::make_shared<UploadSink>(std::move(writer), [self, slot,
                                                                length](HttpRespond respond) {
            self->store_.mark_stored(
                self->settings_.domain, slot, self->now(),
                [self, slot, length, respond](storage::Result result) {
                    if (!result.ok || result.affected == 0) {
                        // The slot was swept (or storage failed) while the body arrived: the
                        // blob must not stay without its row.
                        self->blobs_->remove(slot, [](std::string) {});
                        return respond(text(result.ok ? 403 : 503,
                                            result.ok ? "the slot has expired: request a new one"
                                                      : "storage is unavailable; try again"));
                    }
                    self->uploaded_bytes_.add(static_cast<std::int64_t>(length));
                    respond(text(201, "stored"));
                });
        }));
    });
}

void UploadService::get(HttpRequest& request, const std::string& slot, bool head,
                        HttpRespond respond) {
    const std::string range(request.header("range"));
    const std::string if_range(request.header("if-range"));
    const std::string if_none_match(request.header("if-none-match"));
    store_.find(settings_.domain, slot, [self = shared_from_this(), slot, head, range, if_range,
                                         if_none_match, respond](
                                            bool ok, std::optional<storage::UploadSlot> found) {
        if (!ok) return respond(text(503, "storage is unavailable; try again"));
        const auto at = self->now();
        const auto expires = found ? found->created_at + self->settings_.expire_after : 0;
        if (!found || !found->stored_at || !found->owner_exists || at >= expires)
            return respond(text(404, "no such file: it may have expired"));
        self->blobs_->open(slot, [self, slot, head, range, if_range, if_none_match, respond,
                                  content_type = found->content_type,
                                  max_age = expires - at](std::string error,
                                                          std::shared_ptr<storage::BlobReader> reader) {
            if (!error.empty() || !reader) {
                self->link_.log().error("upload: the file of slot {} is missing: {}", slot,
                                        error.empty() ? "not in the blob store" : error);
                return respond(text(404, "no such file: it may have expired"));
            }
            // A slot's file never changes, so its name is a strong validator and the file may
            // be cached until it expires.
            const std::string etag = "\"" + slot + "\"";
            HttpResponse response;
            cors(response);
            response.headers.emplace_back("ETag", etag);
            response.headers.emplace_back(
                "Cache-Control", "public, max-age=" + std::to_string(max_age) + ", immutable");
            if (!if_none_match.empty() &&
                (if_none_match == "*" || if_none_match.find(etag) != std::string::npos)) {
                response.status = 304;
                return respond(std::move(response));
            }
            response.headers.emplace_back("Accept-Ranges", "bytes");
            response.headers.emplace_back(
                "Content-Type", content_type.empty() ? "application/octet-stream" : content_type);
            // Whatever was uploaded is never run as a page of this origin.
            response.headers.emplace_back("X-Content-Type-Options", "nosniff");
            response.headers.emplace_back("Content-Security-Policy",
                                          "default-src 'none'; frame-ancestors 'none'; sandbox");
            const auto size = reader->size();
            auto answer = parse_range(range, size);
            if (!if_range.empty() && if_range != etag) answer = {};  // changed: the whole file
            if (answer.kind == RangeAnswer::Kind::unsatisfiable) {
                auto refused = text(416, "the range is past the end of the file");
                refused.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
                return respond(std::move(refused));
            }
            std::uint64_t first = 0, length = size;
            if (answer.kind == RangeAnswer::Kind::part) {
                first = answer.first;
                length = answer.length;
                response.status = 206;
                response.headers.emplace_back(
                    "Content-Range", "bytes " + std::to_string(first) + "-" +
                                         std::to_string(first + length - 1) + "/" +
                                         std::to_string(size));
            }
            if (!head) self->downloaded_bytes_.add(static_cast<std::int64_t>(length));
            response.source = std::make_shared<BlobSource>(std::move(reader), first, length);
            respond(std::move(response));
        });
    });
}

}  // namespace starling::http_upload
