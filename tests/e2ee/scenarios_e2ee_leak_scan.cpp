// The leak scan of the end-to-end scenarios must be able to fail: messages sent in the clear
// to an offline account land in the offline store, and the scan finds their text there, as it
// is and inside base64 at any alignment, on both storage drivers, and in the raw SQLite files
// on their own. It needs no PEP.
#include "scenario.hpp"
#include "scram_client.hpp"
#include "stored_data.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"

#include <chrono>
#include <thread>

namespace starling::e2ee {
namespace {

using scenarios::require;
using scenarios::scenario_failure;

bool scan_finds(const stored_data& data, const std::string& secret) {
    try {
        require_absent(data, {secret});
    } catch (const scenario_failure&) {
        return true;
    }
    return false;
}

}  // namespace

STARLING_SCENARIO(e2ee_leak_scan_finds_plaintext_in_storage) {
    scenarios::server_fixture server(options);
    server.modules = "[disco, ping, offline]";
    server.write_config();
    scenarios::start_with_accounts(server);
    scenarios::strophe_client a(std::string(scenarios::alice.jid) + "/desk",
                                scenarios::alice.password, server.c2s_port());
    a.login();
    const std::string clear = "Cleartext secret that the scan must find";
    // Behind one and two bytes of prefix, the secret's base64 starts at the other two
    // alignments of a base64 group.
    const std::string shifted_one = "Shifted secret one, hidden in base64";
    const std::string shifted_two = "Shifted secret two, hidden in base64";
    const std::string never_sent = "A secret that was never sent anywhere";
    const std::vector<std::string> bodies{clear, scenarios::base64_encode("x" + shifted_one),
                                          scenarios::base64_encode("xy" + shifted_two)};
    for (std::size_t i = 0; i < bodies.size(); ++i)
        a.send("<message type='chat' to='" + std::string(scenarios::bob.jid) + "' id='clear-" +
               std::to_string(i) + "'><body>" + bodies[i] + "</body></message>");
    a.request("<iq type='get' id='settle'><ping xmlns='urn:xmpp:ping'/></iq>", "settle");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    require(server.stop() == 0, "the server did not stop cleanly");

    // The log is left out, so what is found was found in the database.
    stored_data data = read_stored_data(server);
    data.log.clear();
    require(scan_finds(data, clear), "the scan missed a body stored in the clear");
    require(scan_finds(data, shifted_one), "the scan missed base64 at offset 1");
    require(scan_finds(data, shifted_two), "the scan missed base64 at offset 2");
    require(!scan_finds(data, never_sent), "the scan found a secret that was never sent");
    // On SQLite the raw files are searched on their own as well: the database file (or its
    // WAL) holds the body without help from the table scan.
    if (server.postgres_conninfo().empty()) {
        require(!data.files.empty(), "the SQLite files were not read");
        data.database.clear();
        require(scan_finds(data, clear), "the scan of the SQLite files missed a stored body");
    }
}

}  // namespace starling::e2ee
