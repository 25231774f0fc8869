#include "core/listener_types.hpp"

#include <algorithm>

namespace starling {

const std::vector<ListenerType>& listener_types() {
    static const std::vector<ListenerType> types{
        {"c2s", StreamKind::c2s, false, "STARTTLS"},
        {"c2s_tls", StreamKind::c2s, true, "direct TLS, XEP-0368"},
        {"component", StreamKind::component, false, "XEP-0114"},
        {"s2s", StreamKind::s2s, false, "other servers, STARTTLS"},
        {"s2s_tls", StreamKind::s2s, true, "other servers, direct TLS"},
        {"http", StreamKind::http, false, "plain HTTP"},
        {"https", StreamKind::http, true, "HTTP over TLS"},
        {"metrics", StreamKind::metrics, false, "Prometheus /metrics, plain HTTP"},
    };
    return types;
}

const ListenerType* find_listener_type(std::string_view name) {
    const auto& types = listener_types();
    const auto it = std::find_if(types.begin(), types.end(),
                                 [name](const ListenerType& t) { return t.name == name; });
    return it == types.end() ? nullptr : &*it;
}

std::string listener_type_list() {
    const auto& types = listener_types();
    std::string out;
    for (std::size_t i = 0; i < types.size(); ++i) {
        if (i > 0) out += i + 1 == types.size() ? " or " : ", ";
        out += types[i].name;
        out += " (";
        out += types[i].doc;
        out += ")";
    }
    return out;
}

}  // namespace starling
