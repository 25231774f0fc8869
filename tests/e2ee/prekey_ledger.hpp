#pragma once

#include "omemo_bundle.hpp"
#include "scenario.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace starling::e2ee {

/// Every one-time prekey the server handed out through claims in one scenario, per bundle
/// node of an account, so that the scenario can assert that none came twice.
class prekey_ledger {
public:
    /// Records a claimed prekey; fails the scenario if any claim returned it before.
    void record(const std::string& jid, std::uint32_t device, std::uint32_t pre_key_id) {
        const bool fresh = claimed_[jid + " " + bundle_node(device)].insert(pre_key_id).second;
        scenarios::require(fresh, "prekey " + std::to_string(pre_key_id) + " of " + jid +
                                      " device " + std::to_string(device) +
                                      " was handed out by two claims");
    }

    const std::set<std::uint32_t>& claimed(const std::string& jid, std::uint32_t device) {
        return claimed_[jid + " " + bundle_node(device)];
    }

    /// Fails the scenario if `bundle`, from an ordinary fetch, still lists a claimed prekey.
    void require_unlisted(const std::string& jid, std::uint32_t device,
                          const omemo_bundle& bundle) {
        for (const auto& key : bundle.pre_keys)
            scenarios::require(!claimed(jid, device).count(key.id),
                               "claimed prekey " + std::to_string(key.id) + " of " + jid +
                                   " device " + std::to_string(device) +
                                   " is still in the bundle an items retrieval returns");
    }

private:
    std::map<std::string, std::set<std::uint32_t>> claimed_;
};

}  // namespace starling::e2ee
