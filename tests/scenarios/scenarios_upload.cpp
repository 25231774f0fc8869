// HTTP File Upload (XEP-0363, mod_http_upload) over a real https listener: discovery, a slot
// asked for over XMPP, the PUT (with 100 Continue) and the GET of the same bytes, Range, HEAD,
// caching and CORS headers, the repeated PUT, a kill -9 right after the 201, every refusal with
// its status or stanza error, the quota, expiry with a moved clock, the files of a deleted or
// purged account, and end-to-end encrypted media (XEP-0454) that the server only ever holds as
// ciphertext.
#include "scenario.hpp"
#include "aes_gcm.hpp"
#include "stanza_matchers.hpp"
#include "upload_steps.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace starling::scenarios {
namespace {

namespace fs = std::filesystem;

http_reply put(std::uint16_t port, const upload_slot& slot, const std::string& body,
               const std::string& content_type) {
    http_client client(port);
    client.start_tls("example.test");
    return client.request("PUT", slot.path,
                          {{"Authorization", slot.authorization}, {"Content-Type", content_type}},
                          body, std::chrono::seconds(10));
}

http_reply get(std::uint16_t port, const std::string& path,
               const std::vector<std::pair<std::string, std::string>>& headers = {},
               const std::string& method = "GET") {
    http_client client(port);
    client.start_tls("example.test");
    return client.request(method, path, headers, "", std::chrono::seconds(10));
}

// The files in the service's blob directory.
std::vector<fs::path> stored_files(const server_fixture& server) {
    std::vector<fs::path> files;
    const auto dir = fs::path(server.config_path()).parent_path() / "uploads" / upload_service;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) files.push_back(entry.path());
    return files;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void require_reply(const http_reply& reply, int status, const std::string& body_part,
                   const std::string& what) {
    require(reply.status == status && reply.body.find(body_part) != std::string::npos,
            what + ": expected " + std::to_string(status) + " with \"" + body_part + "\", got " +
                reply.to_string().substr(0, 2000));
}

// Polls `done` for up to 10 s.
template <typename Check>
bool eventually(Check done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
}

}  // namespace

STARLING_SCENARIO(upload_put_then_get_serves_the_same_bytes) {
    server_fixture server(options);
    const auto port = start_upload_server(server, "max_file_size: 5000000");
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();

    // The host lists the service; the service says what it is and how large a file may be.
    auto items = a.request("<iq type='get' to='example.test' id='items'><query "
                           "xmlns='http://jabber.org/protocol/disco#items'/></iq>",
                           "items");
    require(stanza_text(items.get()).find("jid=\"upload.example.test\"") != std::string::npos,
            "the host's disco#items does not list the upload service: " + stanza_text(items.get()));
    auto info = a.request("<iq type='get' to='upload.example.test' id='info'><query "
                          "xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                          "info");
    const auto info_text = stanza_text(info.get());
    for (const std::string part :
         {"category=\"store\"", "type=\"file\"", "var=\"urn:xmpp:http:upload:0\"",
          "<value>urn:xmpp:http:upload:0</value>", "var=\"max-file-size\"", "<value>5000000</value>"})
        require(info_text.find(part) != std::string::npos,
                "the service's disco#info lacks " + part + ": " + info_text);

    const auto content = binary_content(300 * 1024 + 17);
    auto slot = request_slot(a, "holiday photo.jpg", content.size(), "image/jpeg", port);
    require(slot.path.ends_with("/holiday%20photo.jpg"),
            "the URL does not end with the encoded file name: " + slot.put_url);

    {
        // A client that waits for 100 Continue before sending the body (curl does, past 1 KiB).
        http_client client(port);
        client.start_tls("example.test");
        client.send("PUT " + slot.path + " HTTP/1.1\r\nHost: example.test\r\nAuthorization: " +
                    slot.authorization + "\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                    std::to_string(content.size()) + "\r\nExpect: 100-continue\r\n\r\n");
        auto interim = client.next_reply(std::chrono::seconds(5));
        require(interim && interim->status == 100,
                "no 100 Continue before the body: " + (interim ? interim->to_string() : "nothing"));
        client.send(content);
        auto created = client.next_reply(std::chrono::seconds(10));
        require(created && created->status == 201 && created->keep_alive,
                "the PUT: " + (created ? created->to_string() : std::string("no answer")));
        require(created->header("access-control-allow-origin") == "*",
                "the PUT's answer has no CORS header: " + created->to_string());
        // kill -9 right after the 201: what was acknowledged must still be there.
        server.kill();
    }
    server.start();

    auto whole = get(port, slot.path);
    require(whole.status == 200 && whole.body == content,
            "GET after the upload and a kill -9: status " + std::to_string(whole.status) + ", " +
                std::to_string(whole.body.size()) + " bytes, " +
                (whole.body == content ? "the same" : "not the same") + " as uploaded");
    require(whole.header("content-length") == std::to_string(content.size()) &&
                whole.header("content-type") == "image/jpeg" &&
                whole.header("accept-ranges") == "bytes" &&
                whole.header("access-control-allow-origin") == "*" &&
                whole.header("x-content-type-options") == "nosniff",
            "GET headers: " + whole.to_string().substr(0, 600));
    const auto etag = whole.header("etag");
    const auto cache = whole.header("cache-control");
    require(etag.size() > 10 && etag.front() == '"' && etag.back() == '"',
            "no strong ETag: " + etag);
    require(cache.rfind("public, max-age=", 0) == 0 && cache.ends_with(", immutable"),
            "Cache-Control is not public, max-age, immutable: " + cache);
    const auto max_age = std::stol(cache.substr(16));
    require(max_age > 29 * 86400 && max_age <= 30 * 86400,
            "max-age should be the time left of 30 days: " + cache);
    const auto stored = stored_files(server);
    require(stored.size() == 1 && read_file(stored.front()) == content,
            "the blob directory should hold exactly the uploaded bytes");

    auto head = get(port, slot.path, {}, "HEAD");
    require(head.status == 200 && head.body.empty() &&
                head.header("content-length") == std::to_string(content.size()),
            "HEAD: " + head.to_string());
    auto part = get(port, slot.path, {{"Range", "bytes=1000-1999"}});
    require(part.status == 206 && part.body == content.substr(1000, 1000) &&
                part.header("content-range") ==
                    "bytes 1000-1999/" + std::to_string(content.size()),
            "Range bytes=1000-1999: " + part.to_string().substr(0, 400));
    auto tail = get(port, slot.path, {{"Range", "bytes=-10"}});
    require(tail.status == 206 && tail.body == content.substr(content.size() - 10),
            "Range bytes=-10: " + tail.to_string().substr(0, 400));
    auto past = get(port, slot.path, {{"Range", "bytes=99999999-"}});
    require_reply(past, 416, "past the end", "a range past the end");
    require(past.header("content-range") == "bytes */" + std::to_string(content.size()),
            "416 without Content-Range: " + past.to_string());
    auto cached = get(port, slot.path, {{"If-None-Match", etag}});
    require(cached.status == 304 && cached.body.empty(), "If-None-Match: " + cached.to_string());
    auto preflight = get(port, slot.path,
                         {{"Origin", "https://web.example.test"},
                          {"Access-Control-Request-Method", "PUT"},
                          {"Access-Control-Request-Headers", "authorization,content-type"}},
                         "OPTIONS");
    require(preflight.status == 204 && preflight.header("access-control-allow-origin") == "*" &&
                preflight.header("access-control-allow-methods").find("PUT") != std::string::npos &&
                preflight.header("access-control-allow-headers").find("Authorization") !=
                    std::string::npos,
            "CORS preflight: " + preflight.to_string());

    // The same PUT again (a retry after a lost answer) is answered the same, and changes nothing.
    require_reply(put(port, slot, content, "image/jpeg"), 201, "stored", "a repeated PUT");
    require(get(port, slot.path).body == content, "the file changed after a repeated PUT");

    const auto usage = server.ctl({"upload", "usage", "example.test"});
    require(usage.exited_with(0) &&
                usage.out == "a@example.test\t1 files\t" + std::to_string(content.size()) + " bytes\n",
            "starlingctl upload usage: " + usage.describe());
}

STARLING_SCENARIO(upload_refusals_name_what_is_wrong) {
    server_fixture server(options);
    const auto port = start_upload_server(server, "max_file_size: 1000, quota: 1500");
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();

    // Too large: not-acceptable, with the limit in <file-too-large/>.
    auto large = a.request("<iq type='get' to='upload.example.test' id='big'><request xmlns='" +
                               std::string(ns_upload) +
                               "' filename='big.bin' size='1001' content-type='application/octet-stream'/></iq>",
                           "big");
    const auto large_text = stanza_text(large.get());
    require(stanza_error_condition(large.get()) == "not-acceptable" &&
                large_text.find("<file-too-large xmlns=\"urn:xmpp:http:upload:0\"><max-file-size>1000"
                                "</max-file-size></file-too-large>") != std::string::npos &&
                stanza_attribute(stanza_child(large.get(), "error", nullptr), "type") == "modify",
            "a file over max_file_size: " + large_text);
    auto no_size = a.request("<iq type='get' to='upload.example.test' id='nosize'><request xmlns='" +
                                 std::string(ns_upload) + "' filename='x.bin'/></iq>",
                             "nosize");
    require(stanza_error_condition(no_size.get()) == "bad-request",
            "a request without a size: " + stanza_text(no_size.get()));

    // The quota counts open slots: 800 + 800 > 1500.
    auto slot = request_slot(a, "a.txt", 800, "text/plain", port);
    auto over = a.request("<iq type='get' to='upload.example.test' id='over'><request xmlns='" +
                              std::string(ns_upload) + "' filename='b.txt' size='800'/></iq>",
                          "over");
    require(stanza_error_condition(over.get()) == "resource-constraint" &&
                stanza_attribute(stanza_child(over.get(), "error", nullptr), "type") == "wait" &&
                stanza_text(over.get()).find("quota of 1500 bytes") != std::string::npos,
            "a slot past the quota: " + stanza_text(over.get()));

    const std::string body(800, 'x');
    const auto send_put = [&](const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& data, const std::string& path) {
        http_client client(port);
        client.start_tls("example.test");
        return client.request("PUT", path, headers, data);
    };
    require_reply(send_put({{"Content-Type", "text/plain"}}, body, slot.path), 403,
                  "no upload token", "a PUT without the token");
    require_reply(send_put({{"Authorization", "Bearer 00"}, {"Content-Type", "text/plain"}}, body,
                           slot.path),
                  403, "no slot with this token", "a PUT with a wrong token");
    require_reply(send_put({{"Authorization", slot.authorization}, {"Content-Type", "text/plain"}},
                           std::string(799, 'x'), slot.path),
                  400, "is not the slot's size 800", "a PUT of the wrong size");
    require_reply(send_put({{"Authorization", slot.authorization}, {"Content-Type", "image/png"}},
                           body, slot.path),
                  400, "is not the slot's \"text/plain\"", "a PUT of another content type");
    {
        // Chunked, without Content-Length: the size cannot be checked before the body.
        http_client client(port);
        client.start_tls("example.test");
        client.send("PUT " + slot.path + " HTTP/1.1\r\nHost: example.test\r\nAuthorization: " +
                    slot.authorization + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        auto reply = client.next_reply(std::chrono::seconds(5));
        require(reply.has_value(), "no answer to a chunked PUT");
        require_reply(*reply, 411, "Content-Length", "a chunked PUT");
    }
    auto unknown = slot;
    unknown.path.replace(unknown.path.find("/upload/upload.example.test/") + 28, 32,
                         std::string(32, '0'));
    require_reply(send_put({{"Authorization", slot.authorization}}, body, unknown.path), 403,
                  "no slot with this token", "a PUT to an unknown slot");
    require_reply(get(port, slot.path), 404, "no such file", "a GET before the upload");
    require_reply(get(port, unknown.path), 404, "no such file", "a GET of an unknown slot");
    require_reply(get(port, "/upload/upload.example.test/../../etc/passwd"), 404, "",
                  "a path that climbs out");
    auto deleted = get(port, slot.path, {}, "DELETE");
    require_reply(deleted, 405, "uploads take PUT", "DELETE");
    require(deleted.header("allow") == "GET, HEAD, PUT, OPTIONS", "405 without Allow: " + deleted.to_string());

    // A user of another host, and a stranger's server, may not upload here.
    server.add_account("c@other.test", "carol-secret-3");
    strophe_client c("c@other.test", "carol-secret-3", server.c2s_port());
    c.login();
    auto foreign = c.request("<iq type='get' to='upload.example.test' id='f'><request xmlns='" +
                                 std::string(ns_upload) + "' filename='x' size='1'/></iq>",
                             "f");
    require(stanza_error_condition(foreign.get()) == "not-allowed",
            "a user of another host: " + stanza_text(foreign.get()));

    // The right PUT still works after all that, and nothing else was stored.
    require_reply(send_put({{"Authorization", slot.authorization}, {"Content-Type", "text/plain"}},
                           body, slot.path),
                  201, "stored", "the correct PUT");
    require(stored_files(server).size() == 1, "refused uploads left files behind");
    // Only the bytes stored count as uploaded.
    const auto status = server.ctl({"status"});
    require(status.out.find("\nhttp_upload.uploaded_bytes 800\n") != std::string::npos,
            "starlingctl status does not count the 800 bytes uploaded: " + status.out);
}

STARLING_SCENARIO(upload_files_expire_and_go_with_their_account) {
    server_fixture server(options);
    const auto port = start_upload_server(server, "expire_check: 1s");
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    a.login();
    b.login();
    const std::string content = "encrypted bytes the server cannot read";
    auto old_file = request_slot(a, "old.bin", content.size(), "application/octet-stream", port);
    require_reply(put(port, old_file, content, "application/octet-stream"), 201, "stored", "PUT");
    auto late = request_slot(a, "late.bin", 4, "application/octet-stream", port);
    auto bobs = request_slot(b, "bob.bin", 3, "application/octet-stream", port);
    require_reply(put(port, bobs, "bob", "application/octet-stream"), 201, "stored", "bob's PUT");
    auto bobs_second = request_slot(b, "bob2.bin", 2, "application/octet-stream", port);
    require_reply(put(port, bobs_second, "b2", "application/octet-stream"), 201, "stored", "PUT");
    require(stored_files(server).size() == 3, "three files should be stored");

    // Purging bob's files deletes both, and only his.
    const auto purge = server.ctl({"upload", "purge", bob.jid});
    require(purge.exited_with(0) && purge.out == "purged 2 of 2 files of b@example.test\n",
            "starlingctl upload purge: " + purge.describe());
    require_reply(get(port, bobs.path), 404, "no such file", "a purged file");
    require(get(port, old_file.path).body == content, "alice's file went with bob's purge");

    // Bob uploads again, then his account is deleted: his file is no longer served, and the
    // sweep deletes it from the disk.
    auto bobs_third = request_slot(b, "bob3.bin", 3, "application/octet-stream", port);
    require_reply(put(port, bobs_third, "bo3", "application/octet-stream"), 201, "stored", "PUT");
    require(server.ctl({"deluser", bob.jid}).exited_with(0), "deluser failed");
    require_reply(get(port, bobs_third.path), 404, "no such file", "a deleted account's file");
    require(eventually([&] { return stored_files(server).size() == 1; }),
            "the deleted account's file is still on disk after the sweep");

    // The clock moves 6 minutes: the open slot has lapsed, the stored file is still served.
    server.modules = "[disco, ping, {http_upload: {expire_check: 1s, clock_offset: 360}}]";
    server.write_config();
    require(server.ctl({"reload"}).exited_with(0), "reload failed");
    require_reply(put(port, late, "late", "application/octet-stream"), 403, "the slot has expired",
                  "a PUT after the slot's timeout");
    require(get(port, old_file.path).body == content, "the file was not served before expiry");

    // 31 days on: the file is past its 30 days, no longer served, and swept from the disk.
    server.modules = "[disco, ping, {http_upload: {expire_check: 1s, clock_offset: 31d}}]";
    server.write_config();
    require(server.ctl({"reload"}).exited_with(0), "reload failed");
    require_reply(get(port, old_file.path), 404, "no such file", "an expired file");
    require(eventually([&] { return stored_files(server).empty(); }),
            "the expired file is still on disk");
    const auto usage = server.ctl({"upload", "usage", "example.test"});
    require(usage.exited_with(0) && usage.out.empty(), "usage after expiry: " + usage.describe());
}

// OMEMO media sharing (XEP-0454): alice encrypts a file with a fresh AES-256-GCM key, uploads
// the ciphertext, and sends its aesgcm:// URL (IV and key in the fragment, which never reaches
// the server) inside an OMEMO-shaped message; bob decrypts the message, downloads the file and
// decrypts it. The message's key element is encrypted here with a secret the two clients share,
// standing in for their Signal session: the server routes the envelope either way. What the
// server stores and serves is the ciphertext, never the plaintext.
STARLING_SCENARIO(upload_omemo_media_is_stored_and_served_as_ciphertext) {
    server_fixture server(options);
    const auto port = start_upload_server(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    a.login();
    b.login();
    b.send("<presence/>");
    b.request("<iq type='get' id='sync'><ping xmlns='urn:xmpp:ping'/></iq>", "sync");

    std::string plaintext;
    while (plaintext.size() < 200 * 1024) plaintext += "PLAINTEXT-PHOTO-BYTES " + std::to_string(plaintext.size());
    const auto file_key = random_string(32), file_iv = random_string(12);
    const auto ciphertext = *aes_256_gcm(true, file_key, file_iv, plaintext);
    auto slot = request_slot(a, "photo.jpg", ciphertext.size(), "application/octet-stream", port);
    require_reply(put(port, slot, ciphertext, "application/octet-stream"), 201, "stored", "the PUT");
    const std::string aesgcm_url =
        "aesgcm://" + slot.get_url.substr(std::string("https://").size()) + "#" + hex(file_iv) + hex(file_key);

    // The OMEMO envelope: the URL encrypted with a message key, the message key encrypted for
    // bob's device.
    const auto device_secret = random_string(32);
    const auto message_key = random_string(32), message_iv = random_string(12), key_iv = random_string(12);
    const auto payload = *aes_256_gcm(true, message_key, message_iv, aesgcm_url);
    const auto wrapped_key = key_iv + *aes_256_gcm(true, device_secret, key_iv, message_key);
    a.send("<message to='" + std::string(bob.jid) + "' type='chat' id='media'>"
           "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1001'>"
           "<key rid='2002'>" + base64(wrapped_key) + "</key><iv>" + base64(message_iv) +
           "</iv></header><payload>" + base64(payload) + "</payload></encrypted>"
           "<store xmlns='urn:xmpp:hints'/></message>");

    auto received = b.wait_for(stanza_named("message", "media"), "alice's encrypted message");
    auto* encrypted = stanza_child(received.get(), "encrypted", "eu.siacs.conversations.axolotl");
    auto* header = stanza_child(encrypted, "header", nullptr);
    const auto their_wrapped = unbase64(stanza_content(stanza_child(header, "key", nullptr)));
    require(their_wrapped.size() > 12, "no key for bob's device: " + stanza_text(received.get()));
    const auto their_key = aes_256_gcm(false, device_secret, their_wrapped.substr(0, 12),
                                       their_wrapped.substr(12));
    require(their_key.has_value(), "bob cannot unwrap the message key");
    const auto url = aes_256_gcm(false, *their_key,
                                 unbase64(stanza_content(stanza_child(header, "iv", nullptr))),
                                 unbase64(stanza_content(stanza_child(encrypted, "payload", nullptr))));
    require(url && *url == aesgcm_url, "bob cannot decrypt the payload, or it changed on the way");

    // Bob's client turns aesgcm:// into https://, keeps the fragment to itself, downloads, decrypts.
    const auto hash = url->find('#');
    const auto fragment = url->substr(hash + 1);
    require(fragment.size() == 88, "the fragment is not a 12-byte IV and a 32-byte key in hex: " + fragment);
    const auto authority_end = url->find('/', std::string("aesgcm://").size());
    const auto download = get(port, url->substr(authority_end, hash - authority_end));
    require(download.status == 200 && download.body == ciphertext,
            "the download is not the uploaded ciphertext: " + download.to_string().substr(0, 300));
    require(download.body.find("PLAINTEXT-PHOTO") == std::string::npos,
            "the server served plaintext");
    const auto decrypted = aes_256_gcm(false, unhex(fragment.substr(24)), unhex(fragment.substr(0, 24)),
                                       download.body);
    require(decrypted && *decrypted == plaintext, "bob's decryption does not give alice's file back");

    const auto stored = stored_files(server);
    require(stored.size() == 1, "one blob should be stored");
    const auto blob = read_file(stored.front());
    require(blob == ciphertext && blob.find("PLAINTEXT-PHOTO") == std::string::npos,
            "the stored blob is not exactly the ciphertext");
    require(server.log_text().find(hex(file_key)) == std::string::npos,
            "the file key reached the server's log");
}

}  // namespace starling::scenarios
