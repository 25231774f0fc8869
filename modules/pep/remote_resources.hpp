#pragma once
// The resources of contacts on other domains that told a local account they are available. An
// account's nodes notify the available resources of its contacts (XEP-0163 §4.3), and a remote
// contact has no session here to find them by: its server's presence is all this server learns.

#include "jid/jid.hpp"

#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace starling::pep {

/// Thread-safe: presence hooks and notifications run on any thread.
///
/// A remote server names its users' resources, and one that never sends unavailable (its stream
/// broke) or makes up a resource per presence would otherwise grow this table without end. So
/// the caller records only contacts the owner's roster shows with a subscription from the owner,
/// and each such contact keeps at most max_per_contact resources per owner, the one quiet for
/// longest forgotten first.
class RemoteResources {
public:
    static constexpr std::size_t default_max_per_contact = 10;
    explicit RemoteResources(std::size_t max_per_contact = default_max_per_contact)
        : max_per_contact_(max_per_contact) {}

    struct Arrival {
        bool initial = false;   // not available to this owner before: its initial presence
        std::string forgotten;  // a resource pushed out past the bound that no owner has now
    };
    /// Records that `full` is available to `owner` (a bare JID).
    Arrival arrive(const std::string& owner, const Jid& full);
    /// Forgets that `full` is available to `owner`; true when no owner has it any more.
    bool leave(const std::string& owner, const Jid& full);
    /// The resources (full JIDs) of `contact` (a bare JID) available to `owner`.
    std::vector<std::string> resources(const std::string& owner, const std::string& contact) const;
    /// The owners `full` is available to.
    std::vector<std::string> owners(const std::string& full) const;

private:
    // Removes `full` from the owners that have it; true when none is left.
    bool drop_owner(const std::string& full, const std::string& owner);

    const std::size_t max_per_contact_;
    mutable std::mutex mutex_;
    // (owner, contact) -> the contact's resources, the latest presence last.
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> resources_;
    std::unordered_map<std::string, std::set<std::string>> owners_;
};

}  // namespace starling::pep
