#include "signal_stores.hpp"

namespace starling::e2ee {
namespace {

signal_stores& self(void* user_data) {
    return *static_cast<signal_stores*>(user_data);
}

signal_stores::address_key key_of(const signal_protocol_address* address) {
    return {std::string(address->name, address->name_len), address->device_id};
}

std::string bytes(const uint8_t* data, size_t len) {
    return std::string(reinterpret_cast<const char*>(data), len);
}

signal_buffer* buffer_of(const std::string& data) {
    return signal_buffer_create(reinterpret_cast<const uint8_t*>(data.data()), data.size());
}

// The stores belong to the test device, not to the library, so destroying a context frees
// nothing here.
void keep(void*) {}

// Identity store: our key pair and registration id, and the remote identities seen so far.
// Trust on first use: an unknown identity is trusted and remembered, a changed one is not.
int get_identity_key_pair(signal_buffer** public_data, signal_buffer** private_data,
                          void* user_data) {
    *public_data = buffer_of(self(user_data).identity_public_);
    *private_data = buffer_of(self(user_data).identity_private_);
    return *public_data && *private_data ? 0 : SG_ERR_NOMEM;
}

int get_local_registration_id(void* user_data, uint32_t* registration_id) {
    *registration_id = self(user_data).registration_id_;
    return 0;
}

int save_identity(const signal_protocol_address* address, uint8_t* key_data, size_t key_len,
                  void* user_data) {
    if (key_data == nullptr)
        self(user_data).remote_identities_.erase(key_of(address));
    else
        self(user_data).remote_identities_[key_of(address)] = bytes(key_data, key_len);
    return 0;
}

int is_trusted_identity(const signal_protocol_address* address, uint8_t* key_data, size_t key_len,
                        void* user_data) {
    const auto& known = self(user_data).remote_identities_;
    auto found = known.find(key_of(address));
    return found == known.end() || found->second == bytes(key_data, key_len) ? 1 : 0;
}

// One-time and signed prekey stores: records by id.
int load_record(const std::map<uint32_t, std::string>& records, signal_buffer** record,
                uint32_t id) {
    auto found = records.find(id);
    if (found == records.end()) return SG_ERR_INVALID_KEY_ID;
    *record = buffer_of(found->second);
    return *record ? 0 : SG_ERR_NOMEM;
}

int load_pre_key(signal_buffer** record, uint32_t id, void* user_data) {
    return load_record(self(user_data).pre_keys_, record, id);
}
int store_pre_key(uint32_t id, uint8_t* record, size_t record_len, void* user_data) {
    self(user_data).pre_keys_[id] = bytes(record, record_len);
    return 0;
}
int contains_pre_key(uint32_t id, void* user_data) {
    return self(user_data).pre_keys_.count(id) ? 1 : 0;
}
int remove_pre_key(uint32_t id, void* user_data) {
    self(user_data).pre_keys_.erase(id);
    return 0;
}

int load_signed_pre_key(signal_buffer** record, uint32_t id, void* user_data) {
    return load_record(self(user_data).signed_pre_keys_, record, id);
}
int store_signed_pre_key(uint32_t id, uint8_t* record, size_t record_len, void* user_data) {
    self(user_data).signed_pre_keys_[id] = bytes(record, record_len);
    return 0;
}
int contains_signed_pre_key(uint32_t id, void* user_data) {
    return self(user_data).signed_pre_keys_.count(id) ? 1 : 0;
}
int remove_signed_pre_key(uint32_t id, void* user_data) {
    self(user_data).signed_pre_keys_.erase(id);
    return 0;
}

// Session store: one record per remote (name, device id); no user records are kept.
int load_session(signal_buffer** record, signal_buffer** user_record,
                 const signal_protocol_address* address, void* user_data) {
    const auto& sessions = self(user_data).sessions_;
    auto found = sessions.find(key_of(address));
    if (found == sessions.end()) return 0;
    *record = buffer_of(found->second);
    *user_record = nullptr;
    return *record ? 1 : SG_ERR_NOMEM;
}

int get_sub_device_sessions(signal_int_list** sessions, const char* name, size_t name_len,
                            void* user_data) {
    signal_int_list* list = signal_int_list_alloc();
    if (list == nullptr) return SG_ERR_NOMEM;
    const std::string wanted(name, name_len);
    for (const auto& [key, record] : self(user_data).sessions_)
        if (key.first == wanted) signal_int_list_push_back(list, key.second);
    *sessions = list;
    return static_cast<int>(signal_int_list_size(list));
}

int store_session(const signal_protocol_address* address, uint8_t* record, size_t record_len,
                  uint8_t*, size_t, void* user_data) {
    self(user_data).sessions_[key_of(address)] = bytes(record, record_len);
    return 0;
}

int contains_session(const signal_protocol_address* address, void* user_data) {
    return self(user_data).sessions_.count(key_of(address)) ? 1 : 0;
}

int delete_session(const signal_protocol_address* address, void* user_data) {
    return self(user_data).sessions_.erase(key_of(address)) ? 1 : 0;
}

int delete_all_sessions(const char* name, size_t name_len, void* user_data) {
    auto& sessions = self(user_data).sessions_;
    const std::string wanted(name, name_len);
    int deleted = 0;
    for (auto it = sessions.begin(); it != sessions.end();) {
        if (it->first.first == wanted) {
            it = sessions.erase(it);
            ++deleted;
        } else {
            ++it;
        }
    }
    return deleted;
}

// Sender key store (group messaging): OMEMO 1:1 never uses it, but the library requires one.
int store_sender_key(const signal_protocol_sender_key_name* name, uint8_t* record,
                     size_t record_len, uint8_t*, size_t, void* user_data) {
    self(user_data).sender_keys_[{std::string(name->group_id, name->group_id_len),
                                  std::string(name->sender.name, name->sender.name_len),
                                  name->sender.device_id}] = bytes(record, record_len);
    return 0;
}

int load_sender_key(signal_buffer** record, signal_buffer** user_record,
                    const signal_protocol_sender_key_name* name, void* user_data) {
    const auto& keys = self(user_data).sender_keys_;
    auto found =
        keys.find({std::string(name->group_id, name->group_id_len),
                   std::string(name->sender.name, name->sender.name_len), name->sender.device_id});
    if (found == keys.end()) return 0;
    *record = buffer_of(found->second);
    *user_record = nullptr;
    return *record ? 1 : SG_ERR_NOMEM;
}

}  // namespace

signal_stores::signal_stores(std::string identity_public, std::string identity_private,
                             std::uint32_t registration_id)
    : identity_public_(std::move(identity_public)),
      identity_private_(std::move(identity_private)),
      registration_id_(registration_id) {}

std::set<std::uint32_t> signal_stores::pre_key_ids() const {
    std::set<std::uint32_t> ids;
    for (const auto& [id, record] : pre_keys_) ids.insert(id);
    return ids;
}

void signal_stores::install(signal_protocol_store_context* context) {
    signal_protocol_identity_key_store identity{get_identity_key_pair,
                                                get_local_registration_id,
                                                save_identity,
                                                is_trusted_identity,
                                                keep,
                                                this};
    signal_protocol_pre_key_store pre_keys{load_pre_key,   store_pre_key, contains_pre_key,
                                           remove_pre_key, keep,          this};
    signal_protocol_signed_pre_key_store signed_pre_keys{load_signed_pre_key,
                                                         store_signed_pre_key,
                                                         contains_signed_pre_key,
                                                         remove_signed_pre_key,
                                                         keep,
                                                         this};
    signal_protocol_session_store sessions{
        load_session,   get_sub_device_sessions, store_session, contains_session,
        delete_session, delete_all_sessions,     keep,          this};
    signal_protocol_sender_key_store sender_keys{store_sender_key, load_sender_key, keep, this};
    signal_protocol_store_context_set_identity_key_store(context, &identity);
    signal_protocol_store_context_set_pre_key_store(context, &pre_keys);
    signal_protocol_store_context_set_signed_pre_key_store(context, &signed_pre_keys);
    signal_protocol_store_context_set_session_store(context, &sessions);
    signal_protocol_store_context_set_sender_key_store(context, &sender_keys);
}

}  // namespace starling::e2ee
