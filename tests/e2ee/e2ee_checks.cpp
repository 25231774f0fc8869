#include "e2ee_checks.hpp"

#include "scenario.hpp"
#include "scram_client.hpp"
#include "stored_data.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace starling::e2ee {

using scenarios::require;
using scenarios::server_fixture;

void start_server(server_fixture& server, const std::string& pep_options,
                  const std::string& more_modules,
                  const std::vector<scenarios::test_account>& more_accounts) {
    server.modules = "[disco, ping, offline, {pep: " + pep_options + "}" +
                     (more_modules.empty() ? "" : ", " + more_modules) + "]";
    server.write_config();
    server.add_account(carol.jid, carol.password);
    for (const auto& account : more_accounts) server.add_account(account.jid, account.password);
    scenarios::start_with_accounts(server);
}

// The keys a fetch or a claim returned are the ones the device published, with
// `expected_pre_keys` of its one-time prekeys.
void require_published(const omemo_bundle& fetched, const omemo_device& device,
                       std::size_t expected_pre_keys, const std::string& how) {
    const omemo_bundle published = device.bundle_with_every_pre_key();
    const std::string what =
        how + " of " + device.bare_jid() + " device " + std::to_string(device.device_id());
    require(fetched.identity_key == published.identity_key, what + ": identity key differs");
    require(fetched.signed_pre_key_id == published.signed_pre_key_id &&
                fetched.signed_pre_key_public == published.signed_pre_key_public &&
                fetched.signed_pre_key_signature == published.signed_pre_key_signature,
            what + ": signed prekey differs");
    require(fetched.pre_keys.size() == expected_pre_keys,
            what + ": " + std::to_string(fetched.pre_keys.size()) + " prekeys, expected " +
                std::to_string(expected_pre_keys));
    for (const auto& key : fetched.pre_keys) {
        bool found = false;
        for (const auto& mine : published.pre_keys)
            found = found || (mine.id == key.id && mine.public_key == key.public_key);
        require(found, what + ": prekey " + std::to_string(key.id) + " was never published");
    }
}

// A claim by `claimant` of one of `owner`'s bundles: one fresh prekey, `remaining` left.
omemo_client::claim_result claim(omemo_client& claimant, const omemo_device& owner,
                                 prekey_ledger& ledger, std::uint32_t remaining) {
    auto result = claimant.claim_bundle(owner.bare_jid(), owner.device_id());
    require_published(result.bundle, owner, 1, "the claim");
    ledger.record(owner.bare_jid(), owner.device_id(), result.bundle.pre_keys[0].id);
    require(result.remaining == remaining,
            "claim of " + bundle_node(owner.device_id()) + " says remaining='" +
                std::to_string(result.remaining) + "', expected " + std::to_string(remaining));
    return result;
}

void concurrent_claims(const std::vector<omemo_client*>& claimants, const omemo_device& owner,
                       prekey_ledger& ledger, std::uint32_t remaining_before) {
    const std::string node = bundle_node(owner.device_id());
    std::vector<std::string> ids;
    for (omemo_client* claimant : claimants)
        ids.push_back(claimant->send_claim(owner.bare_jid(), node));
    // The server counts what is left after a claim's own update, so a count may already
    // include other claims of the round: each lies between the two ends, and the count read
    // last, after every update, is exact.
    std::uint32_t lowest = remaining_before;
    std::string reported;
    const auto fewest = static_cast<std::uint32_t>(remaining_before - claimants.size());
    for (std::size_t i = 0; i < claimants.size(); ++i) {
        const auto result = claimants[i]->await_claim(ids[i], node);
        require_published(result.bundle, owner, 1, "the claim " + ids[i]);
        ledger.record(owner.bare_jid(), owner.device_id(), result.bundle.pre_keys[0].id);
        require(result.remaining >= fewest && result.remaining < remaining_before,
                "claim " + ids[i] + " of " + node + " says remaining='" +
                    std::to_string(result.remaining) + "' after " + std::to_string(i + 1) + " of " +
                    std::to_string(claimants.size()) + " concurrent claims from " +
                    std::to_string(remaining_before));
        lowest = std::min(lowest, result.remaining);
        reported += " " + std::to_string(result.remaining);
    }
    require(lowest == fewest, "concurrent claims of " + node + " reported remaining" + reported +
                                  ": none says the " + std::to_string(fewest) + " left");
}

// A message reaches the offline store only once the sender's stream has been read and the
// insert committed: the ping proves the first, the pause covers the second (the same settle
// as the offline scenarios).
void settle(omemo_client& sender) {
    sender.xmpp().request("<iq type='get' id='settle'><ping xmlns='urn:xmpp:ping'/></iq>",
                          "settle");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

// The leak check every scenario ends with. `stored` are values that must be found (the
// identity keys the PEP tables hold), which proves the scan reads what the server wrote.
void require_no_plaintext_stored(server_fixture& server, const std::vector<std::string>& secrets,
                                 const std::vector<std::string>& stored) {
    require(server.stop() == 0, "the server did not stop cleanly");
    const stored_data data = read_stored_data(server);
    for (const auto& value : stored)
        require(data.database.find(value) != std::string::npos,
                "the database scan did not find '" + value + "', which the server stores");
    require(!data.log.empty(), "the server log is empty");
    require_absent(data, secrets);
}

std::string identity_base64(const omemo_device& device) {
    return scenarios::base64_encode(device.bundle().identity_key);
}

}  // namespace starling::e2ee
