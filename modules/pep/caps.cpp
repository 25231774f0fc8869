#include "caps.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace starling::pep {

namespace {

const EVP_MD* digest_named(const std::string& hash) {
    if (hash == "sha-1") return EVP_sha1();
    if (hash == "sha-224") return EVP_sha224();
    if (hash == "sha-256") return EVP_sha256();
    if (hash == "sha-384") return EVP_sha384();
    if (hash == "sha-512") return EVP_sha512();
    return nullptr;
}

std::string base64(const unsigned char* bytes, unsigned int size) {
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes,
                                        static_cast<int>(size));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

}  // namespace

std::optional<std::string> caps_ver(const xml::Element& query, const std::string& hash) {
    const EVP_MD* md = digest_named(hash);
    if (md == nullptr) return std::nullopt;
    using IdentityKey = std::tuple<std::string, std::string, std::string, std::string>;
    std::set<IdentityKey> identities;
    std::set<std::string> features;
    // FORM_TYPE -> (var -> sorted values)
    std::map<std::string, std::map<std::string, std::vector<std::string>>> forms;
    for (const xml::Element* child : query.child_elements()) {
        if (child->name() == "identity") {
            IdentityKey key{std::string(child->attr("category")), std::string(child->attr("type")),
                            std::string(child->attr("xml:lang")), std::string(child->attr("name"))};
            if (!identities.insert(key).second) return std::nullopt;
        } else if (child->name() == "feature") {
            if (!features.insert(std::string(child->attr("var"))).second) return std::nullopt;
        } else if (child->name() == "x" && child->xmlns() == "jabber:x:data") {
            std::string form_type;
            std::map<std::string, std::vector<std::string>> fields;
            bool has_form_type = false;
            for (const xml::Element* field : child->child_elements()) {
                if (field->name() != "field") continue;
                const std::string var(field->attr("var"));
                std::vector<std::string> values;
                for (const xml::Element* value : field->child_elements())
                    if (value->name() == "value") values.push_back(value->text());
                if (var == "FORM_TYPE") {
                    // §5.4 3.6: a FORM_TYPE that is not hidden makes the form not count;
                    // several values are ill-formed.
                    if (field->attr("type") != "hidden") {
                        has_form_type = false;
                        break;
                    }
                    if (values.size() != 1) return std::nullopt;
                    form_type = values[0];
                    has_form_type = true;
                } else {
                    std::sort(values.begin(), values.end());
                    fields[var] = std::move(values);
                }
            }
            if (!has_form_type) continue;  // ignored, as §5.4 3.6 says
            if (!forms.emplace(form_type, std::move(fields)).second) return std::nullopt;
        }
    }
    std::string s;
    for (const auto& [category, type, lang, name] : identities)
        s += category + "/" + type + "/" + lang + "/" + name + "<";
    for (const auto& feature : features) s += feature + "<";
    for (const auto& [form_type, fields] : forms) {
        s += form_type + "<";
        for (const auto& [var, values] : fields) {
            s += var + "<";
            for (const auto& value : values) s += value + "<";
        }
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(s.data(), s.size(), digest, &size, md, nullptr) != 1) return std::nullopt;
    return base64(digest, size);
}

std::shared_ptr<const CapsFeatures> CapsCache::known(const std::string& key) const {
    std::lock_guard lock(mutex_);
    const auto it = verified_.find(key);
    return it == verified_.end() ? nullptr : it->second;
}

void CapsCache::store(const std::string& key, CapsFeatures features) {
    std::lock_guard lock(mutex_);
    auto found = verified_.find(key);
    if (found != verified_.end()) {
        found->second = std::make_shared<const CapsFeatures>(std::move(features));
        return;
    }
    make_room(verified_, verified_order_);
    verified_.emplace(key, std::make_shared<const CapsFeatures>(std::move(features)));
    verified_order_.push_back(key);
}

void CapsCache::reject(const std::string& key) {
    std::lock_guard lock(mutex_);
    if (rejected_.count(key)) return;
    make_room(rejected_, rejected_order_);
    rejected_.insert(key);
    rejected_order_.push_back(key);
}

bool CapsCache::rejected(const std::string& key) const {
    std::lock_guard lock(mutex_);
    return rejected_.count(key) > 0;
}

std::string CapsCache::session_key(const std::string& full_jid) const {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(full_jid);
    return it == sessions_.end() ? std::string() : it->second.key;
}

std::shared_ptr<const CapsFeatures> CapsCache::session_features(const std::string& full_jid) const {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(full_jid);
    return it == sessions_.end() ? nullptr : it->second.features;
}

void CapsCache::set_session(const std::string& full_jid, const std::string& key,
                            std::shared_ptr<const CapsFeatures> features) {
    std::lock_guard lock(mutex_);
    sessions_[full_jid] = {key, std::move(features)};
}

void CapsCache::forget(const std::string& full_jid) {
    std::lock_guard lock(mutex_);
    sessions_.erase(full_jid);
}

bool CapsCache::wait(const std::string& key, const std::string& full_jid) {
    std::lock_guard lock(mutex_);
    auto& list = waiting_[key];
    list.push_back(full_jid);
    return list.size() == 1;
}

std::vector<std::string> CapsCache::take_waiting(const std::string& key) {
    std::lock_guard lock(mutex_);
    const auto it = waiting_.find(key);
    if (it == waiting_.end()) return {};
    auto waiting = std::move(it->second);
    waiting_.erase(it);
    return waiting;
}

}  // namespace starling::pep
