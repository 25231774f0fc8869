#include "stream/dialback_elements.hpp"

#include "xml/serializer.hpp"

namespace starling::dialback {
namespace {

constexpr std::string_view ns_stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";

// <db:NAME from to [id] [type]>, escaped; the caller closes it.
std::string open(std::string_view name, std::string_view from, std::string_view to,
                 std::string_view id, std::string_view type) {
    std::string out = "<db:";
    out.append(name).append(" from='");
    xml::escape(from, out);
    out += "' to='";
    xml::escape(to, out);
    if (!id.empty()) {
        out += "' id='";
        xml::escape(id, out);
    }
    if (!type.empty()) out.append("' type='").append(type);
    return out + "'";
}

std::string answer(std::string_view name, std::string_view from, std::string_view to,
                   std::string_view id, const Verdict& verdict) {
    switch (verdict.kind) {
        case Verdict::Kind::valid:
            return open(name, from, to, id, "valid") + "/>";
        case Verdict::Kind::invalid:
            return open(name, from, to, id, "invalid") + "/>";
        case Verdict::Kind::error:
            break;
    }
    std::string out = open(name, from, to, id, "error") + "><error type='cancel'><";
    xml::escape(verdict.condition, out);
    out.append(" xmlns='").append(ns_stanzas).append("'/></error></db:").append(name);
    return out + ">";
}

std::string request(std::string_view name, std::string_view from, std::string_view to,
                    std::string_view id, std::string_view key) {
    std::string out = open(name, from, to, id, {}) + ">";
    xml::escape(key, out);
    out.append("</db:").append(name);
    return out + ">";
}

}  // namespace

std::string result_request(std::string_view from, std::string_view to, std::string_view key) {
    return request("result", from, to, {}, key);
}

std::string result_answer(std::string_view from, std::string_view to, const Verdict& verdict) {
    return answer("result", from, to, {}, verdict);
}

std::string verify_request(std::string_view from, std::string_view to, std::string_view id,
                           std::string_view key) {
    return request("verify", from, to, id, key);
}

std::string verify_answer(std::string_view from, std::string_view to, std::string_view id,
                          const Verdict& verdict) {
    return answer("verify", from, to, id, verdict);
}

Verdict read_verdict(const xml::Element& answer) {
    const auto type = answer.attr("type");
    if (type == "valid") return Verdict::valid();
    if (type == "invalid") return Verdict::invalid();
    std::string condition = "undefined-condition";
    if (const auto* error = answer.child("error"))
        for (const auto& child : error->children())
            if (const auto* e = std::get_if<xml::ElementPtr>(&child))
                if ((*e)->xmlns() == ns_stanzas && (*e)->name() != "text") condition = (*e)->name();
    return Verdict::error(std::move(condition));
}

}  // namespace starling::dialback
