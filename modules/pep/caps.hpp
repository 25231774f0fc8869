#pragma once
// XEP-0115 entity capabilities: the verification string of a disco#info result (§5.1, extended
// forms included) and its hash, and the module's cache: features by verified (hash, ver), and
// which caps each online resource last advertised.

#include "xml/element.hpp"

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace starling::pep {

inline constexpr const char* ns_caps = "http://jabber.org/protocol/caps";

using CapsFeatures = std::set<std::string>;

/// The ver a disco#info <query/> hashes to with `hash` (an IANA name: sha-1, sha-256 …), or
/// nullopt when the hash is unknown or the result is ill-formed per §5.4 (a duplicate identity,
/// feature or form type, or a form without FORM_TYPE).
std::optional<std::string> caps_ver(const xml::Element& query, const std::string& hash);

/// Thread-safe: presence hooks, iq replies and notifications run on any thread.
///
/// Every client picks its own (hash, ver), and one that makes up a new ver for each presence
/// (answering each disco#info to match, or not) would otherwise grow the cache without end: so
/// the verified and the rejected keys are each bounded, the oldest going first. A resource that
/// advertised an evicted key keeps its features (it holds them); a new one asks again.
class CapsCache {
public:
    static constexpr std::size_t default_max_keys = 10000;
    explicit CapsCache(std::size_t max_keys = default_max_keys) : max_keys_(max_keys) {}

    /// The features of a verified (hash, ver), or null.
    std::shared_ptr<const CapsFeatures> known(const std::string& key) const;
    void store(const std::string& key, CapsFeatures features);
    /// Marks a (hash, ver) whose disco#info did not hash to it, so it is not asked again.
    void reject(const std::string& key);
    bool rejected(const std::string& key) const;

    /// The key a resource last advertised ("" when none), and its features once verified.
    std::string session_key(const std::string& full_jid) const;
    std::shared_ptr<const CapsFeatures> session_features(const std::string& full_jid) const;
    void set_session(const std::string& full_jid, const std::string& key,
                     std::shared_ptr<const CapsFeatures> features);
    void forget(const std::string& full_jid);

    /// Adds a resource (a full JID, local or remote) waiting for the features of `key`; true when
    /// it is the first, and so the caller asks for them.
    bool wait(const std::string& key, const std::string& full_jid);
    /// The resources that waited for `key`, now that its query ended. One that went away since
    /// no longer advertises `key` (session_key), which the caller checks.
    std::vector<std::string> take_waiting(const std::string& key);

private:
    struct SessionCaps {
        std::string key;
        std::shared_ptr<const CapsFeatures> features;
    };
    // Forgets the oldest of `order` (and so of `keys`) until one more fits.
    template <typename Keys>
    void make_room(Keys& keys, std::deque<std::string>& order) {
        while (!order.empty() && keys.size() >= max_keys_) {
            keys.erase(order.front());
            order.pop_front();
        }
    }

    const std::size_t max_keys_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<const CapsFeatures>> verified_;
    std::deque<std::string> verified_order_;  // oldest first
    std::unordered_set<std::string> rejected_;
    std::deque<std::string> rejected_order_;
    std::unordered_map<std::string, SessionCaps> sessions_;
    std::unordered_map<std::string, std::vector<std::string>> waiting_;
};

}  // namespace starling::pep
