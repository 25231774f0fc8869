#pragma once
// What the end-to-end scenarios share: the server they run against, and the checks on keys,
// claims and storage that each of them makes.

#include "omemo_client.hpp"
#include "omemo_device.hpp"
#include "prekey_ledger.hpp"
#include "server_fixture.hpp"
#include "test_accounts.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace starling::e2ee {

/// A third account, for a claimant that is neither sender nor recipient.
inline constexpr scenarios::test_account carol{"c", "c@example.test", "carol-secret-3"};
/// How many one-time prekeys each device publishes, as Conversations does at least.
inline constexpr unsigned published_pre_keys = 20;

/// Loads pep and offline, creates alice, bob and carol, and starts the server. `pep_options`
/// (a YAML flow mapping) configures pep; `more_modules` (items of a YAML flow sequence, such
/// as "muc") are loaded too, and `more_accounts` created.
void start_server(scenarios::server_fixture& server, const std::string& pep_options = "{}",
                  const std::string& more_modules = "",
                  const std::vector<scenarios::test_account>& more_accounts = {});

/// Fails unless `fetched` (from a fetch or a claim, named by `how`) holds the keys `device`
/// published, with exactly `expected_pre_keys` of its one-time prekeys.
void require_published(const omemo_bundle& fetched, const omemo_device& device,
                       std::size_t expected_pre_keys, const std::string& how);

/// A claim by `claimant` of `owner`'s bundle: one prekey `owner` published, never handed out
/// before (the ledger records it), and `remaining` unclaimed ones left.
omemo_client::claim_result claim(omemo_client& claimant, const omemo_device& owner,
                                 prekey_ledger& ledger, std::uint32_t remaining);

/// One claim per claimant of `owner`'s bundle, all sent before any reply is read, so they are
/// in flight together: each must get a prekey never handed out before, and the `remaining`
/// counts must lie below `remaining_before` and reach exactly `remaining_before - n`.
void concurrent_claims(const std::vector<omemo_client*>& claimants, const omemo_device& owner,
                       prekey_ledger& ledger, std::uint32_t remaining_before);

/// Returns once what `sender` sent has reached the server and its writes have committed.
void settle(omemo_client& sender);

/// Stops the server, then reads every table and the log: none of `secrets` may appear in any
/// form, and each of `stored` must, proving the scan sees what the server wrote.
void require_no_plaintext_stored(scenarios::server_fixture& server,
                                 const std::vector<std::string>& secrets,
                                 const std::vector<std::string>& stored);

/// The device's identity key as its bundle carries it on the wire (and in storage).
std::string identity_base64(const omemo_device& device);

}  // namespace starling::e2ee
