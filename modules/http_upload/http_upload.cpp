// XEP-0363 HTTP File Upload: a service domain (upload.<host> unless configured) hands out
// slots; files are PUT to and read from the embedded HTTP server; a sweeper deletes them after
// expire_after, and with their owner's account. Clients encrypt files before uploading them
// (OMEMO media sharing, XEP-0454): the server stores and serves bytes it cannot read.

#include "upload_service.hpp"

#include "core/command_registry.hpp"
#include "core/server.hpp"
#include "storage/file_blob_store.hpp"

#include <filesystem>
#include <map>
#include <mutex>

namespace starling::http_upload {

namespace {

std::vector<OptionSpec> options() {
    return {
        {"domain", OptionType::string, "", 0, 0,
         "the service's domain; empty: upload. followed by the host's domain"},
        {"name", OptionType::string, "HTTP File Upload", 0, 0,
         "the service's name in service discovery"},
        {"url", OptionType::string, "", 0, 0,
         "what the file URLs start with (scheme://host[:port], no path), as clients reach this "
         "server's http or https listener, e.g. behind a proxy or CDN; empty: https:// (or "
         "http://) the host's domain and the port of the first https (or http) listener"},
        {"directory", OptionType::string, "uploads", 0, 0,
         "where the files are kept, one directory per service; a relative path is taken from "
         "the directory of the configuration file"},
        {"max_file_size", OptionType::integer, "104857600", 1, 1LL << 40,
         "largest file in bytes; advertised in service discovery, larger requests get "
         "file-too-large"},
        {"quota", OptionType::integer, "1073741824", 1, 1LL << 50,
         "bytes one user's files may take together (files count until they expire); past it "
         "slot requests get resource-constraint"},
        {"expire_after", OptionType::duration, "30d", 60, 100LL * 365 * 86400,
         "how long a file is kept and served after its slot was given"},
        {"slot_timeout", OptionType::duration, "300", 10, 86400,
         "how long a slot waits for its upload to start"},
        {"expire_check", OptionType::duration, "3600", 1, 86400,
         "how often expired files, unused slots and files of deleted accounts are deleted"},
        {"clock_offset", OptionType::duration, "0", 0, 100LL * 365 * 86400,
         "for tests only: added to the clock used for slots and expiry"},
    };
}

// The live services by host, for the commands: each host's instance registers the same
// commands, and whichever is current finds the service of the JID it is given.
struct Services {
    std::mutex mutex;
    std::map<std::string, std::vector<std::weak_ptr<UploadService>>> by_host;  // newest last

    std::shared_ptr<UploadService> find(const std::string& host) {
        std::lock_guard lock(mutex);
        auto it = by_host.find(host);
        if (it == by_host.end()) return nullptr;
        for (auto service = it->second.rbegin(); service != it->second.rend(); ++service)
            if (auto live = service->lock()) return live;
        return nullptr;
    }
};

Services& services() {
    static Services instance;
    return instance;
}

class Listing {
public:
    Listing(std::string host, const std::shared_ptr<UploadService>& service)
        : host_(std::move(host)), service_(service.get()) {
        std::lock_guard lock(services().mutex);
        services().by_host[host_].push_back(service);
    }
    ~Listing() {
        std::lock_guard lock(services().mutex);
        auto& list = services().by_host[host_];
        std::erase_if(list, [this](const auto& weak) {
            auto live = weak.lock();
            return !live || live.get() == service_;
        });
        if (list.empty()) services().by_host.erase(host_);
    }
    Listing(const Listing&) = delete;
    Listing& operator=(const Listing&) = delete;

private:
    std::string host_;
    const UploadService* service_;
};

std::string default_url(const config::Config& config, const std::string& host) {
    for (const char* type : {"https", "http"})
        for (const auto& listener : config.listen)
            if (listener.type == type)
                return std::string(type) + "://" + host + ":" + std::to_string(listener.port);
    throw std::runtime_error(
        "http_upload: no http or https listener serves the files: add one to listen: (type "
        "https) or set the module's url to where a proxy forwards them");
}

// The account a command names, and its service; an error text otherwise.
std::shared_ptr<UploadService> service_for(const std::string& text, std::string& local,
                                           std::string& error) {
    auto jid = Jid::parse(text);
    if (!jid || !jid->resource().empty()) {
        error = "'" + text + "' is not a bare JID or a domain";
        return nullptr;
    }
    local = jid->local();
    auto service = services().find(jid->domain());
    if (!service) error = "http_upload is not loaded for " + jid->domain();
    return service;
}

void add_commands(ModuleContext& ctx) {
    ctx.add_command({"upload usage",
                     {CommandArg("HOST-OR-JID", true, false,
                                 "a host: every user's files; a user's JID: theirs")},
                     "files uploaded and bytes stored, per user",
                     true,
                     [](CommandContext&, const std::vector<std::string>& args) -> CommandResult {
                         std::string local, error;
                         auto service = service_for(args[0], local, error);
                         if (!service) return {exit_status::usage, "upload usage: " + error + "\n"};
                         bool ok = false;
                         auto out = service->usage_report(local, ok);
                         return {ok ? exit_status::ok : exit_status::failed, out};
                     }});
    ctx.add_command({"upload purge",
                     {CommandArg("JID")},
                     "delete every file a user uploaded",
                     true,
                     [](CommandContext&, const std::vector<std::string>& args) -> CommandResult {
                         std::string local, error;
                         auto service = service_for(args[0], local, error);
                         if (service && local.empty()) error = "give a user's JID, not a domain";
                         if (!service || local.empty())
                             return {exit_status::usage, "upload purge: " + error + "\n"};
                         bool ok = false;
                         auto out = service->purge(local, ok);
                         return {ok ? exit_status::ok : exit_status::failed, out};
                     }});
}

void load(ModuleContext& ctx) {
    const auto& opts = ctx.options();
    Settings settings;
    settings.domain = opts.get_string("domain");
    if (settings.domain.empty()) settings.domain = "upload." + ctx.domain();
    auto parsed = Jid::parse(settings.domain);
    if (!parsed || !parsed->is_domain())
        throw std::runtime_error("http_upload: domain: \"" + settings.domain +
                                 "\" is not a domain name");
    settings.domain = parsed->domain();
    settings.name = opts.get_string("name");
    const auto config = ctx.server().config();
    settings.base_url = opts.get_string("url");
    if (settings.base_url.empty()) settings.base_url = default_url(*config, ctx.domain());
    while (!settings.base_url.empty() && settings.base_url.back() == '/') settings.base_url.pop_back();
    settings.max_file_size = opts.get_int("max_file_size");
    settings.quota = opts.get_int("quota");
    settings.expire_after = opts.get_int("expire_after");
    settings.slot_timeout = opts.get_int("slot_timeout");
    settings.clock_offset = opts.get_int("clock_offset");

    std::filesystem::path directory = opts.get_string("directory");
    if (directory.is_relative())
        directory = std::filesystem::path(config->path).parent_path() / directory;
    std::shared_ptr<storage::BlobStore> blobs;
    try {
        blobs = std::make_shared<storage::FileBlobStore>(directory / settings.domain);
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("http_upload: directory: ") + e.what());
    }

    auto service = std::make_shared<UploadService>(ctx, settings, std::move(blobs));
    ctx.own(std::make_shared<Listing>(ctx.domain(), service));
    ctx.add_service(settings.domain, [service](const SessionPtr& origin, StanzaPtr stanza) {
        service->receive(origin, std::move(stanza));
    });
    ctx.add_http_route(service->path_prefix(),
                       HttpRoute{nullptr, [service](HttpRequest& request, HttpRespond respond,
                                                    HttpAccept accept) {
                                     service->serve(request, std::move(respond), std::move(accept));
                                 },
                                 nullptr, {}});
    ctx.add_timer(std::chrono::seconds(opts.get_int("expire_check")),
                  [service] { service->sweep(); });
    add_commands(ctx);
}

}  // namespace

}  // namespace starling::http_upload

STARLING_MODULE("http_upload", "XEP-0363 HTTP File Upload", starling::http_upload::options,
                nullptr, starling::http_upload::load)
