#pragma once

#include <signal_protocol.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>

namespace starling::e2ee {

/// The five protocol stores libsignal-protocol-c needs (identity, one-time prekeys, signed
/// prekeys, sessions, sender keys), kept in memory for one test device. The library hands the
/// stores serialized records; this object only files them by key. It must outlive the store
/// context it is installed in.
class signal_stores {
public:
    /// `identity_public` and `identity_private` are the serialized identity key pair.
    signal_stores(std::string identity_public, std::string identity_private,
                  std::uint32_t registration_id);
    signal_stores(const signal_stores&) = delete;
    signal_stores& operator=(const signal_stores&) = delete;

    /// Points every store callback of `context` at this object.
    void install(signal_protocol_store_context* context);

    /// The one-time prekey ids still held (a prekey message consumes its key).
    std::set<std::uint32_t> pre_key_ids() const;

    // The records, by the keys the library files them under; public for the callbacks.
    using address_key = std::pair<std::string, std::int32_t>;
    std::string identity_public_;
    std::string identity_private_;
    std::uint32_t registration_id_;
    std::map<address_key, std::string> remote_identities_;
    std::map<std::uint32_t, std::string> pre_keys_;
    std::map<std::uint32_t, std::string> signed_pre_keys_;
    std::map<address_key, std::string> sessions_;
    std::map<std::tuple<std::string, std::string, std::int32_t>, std::string> sender_keys_;
};

}  // namespace starling::e2ee
