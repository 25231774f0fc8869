#include "remote_resources.hpp"

#include <algorithm>

namespace starling::pep {

RemoteResources::Arrival RemoteResources::arrive(const std::string& owner, const Jid& full) {
    const std::string jid = full.str();
    std::lock_guard lock(mutex_);
    auto& list = resources_[{owner, full.bare_str()}];
    Arrival arrival;
    const auto found = std::find(list.begin(), list.end(), jid);
    if (found != list.end()) {
        list.erase(found);
    } else {
        arrival.initial = true;
        if (list.size() >= max_per_contact_) {
            const std::string oldest = list.front();
            list.erase(list.begin());
            if (drop_owner(oldest, owner)) arrival.forgotten = oldest;
        }
        owners_[jid].insert(owner);
    }
    list.push_back(jid);
    return arrival;
}

bool RemoteResources::leave(const std::string& owner, const Jid& full) {
    const std::string jid = full.str();
    std::lock_guard lock(mutex_);
    const auto it = resources_.find({owner, full.bare_str()});
    if (it == resources_.end()) return false;
    auto& list = it->second;
    const auto found = std::find(list.begin(), list.end(), jid);
    if (found == list.end()) return false;
    list.erase(found);
    if (list.empty()) resources_.erase(it);
    return drop_owner(jid, owner);
}

std::vector<std::string> RemoteResources::resources(const std::string& owner,
                                                    const std::string& contact) const {
    std::lock_guard lock(mutex_);
    const auto it = resources_.find({owner, contact});
    return it == resources_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> RemoteResources::owners(const std::string& full) const {
    std::lock_guard lock(mutex_);
    const auto it = owners_.find(full);
    if (it == owners_.end()) return {};
    return {it->second.begin(), it->second.end()};
}

bool RemoteResources::drop_owner(const std::string& full, const std::string& owner) {
    const auto it = owners_.find(full);
    if (it == owners_.end()) return true;
    it->second.erase(owner);
    if (!it->second.empty()) return false;
    owners_.erase(it);
    return true;
}

}  // namespace starling::pep
