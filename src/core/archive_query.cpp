#include "core/archive_query.hpp"

#include "core/datetime.hpp"
#include "storage/stored_xml.hpp"

#include <charconv>

namespace starling::mam {

namespace {

QueryError bad_request(std::string text) {
    return {"modify", "bad-request", std::move(text)};
}

std::vector<std::string> values_of(const xml::Element& field) {
    std::vector<std::string> values;
    for (const auto* value : field.child_elements())
        if (value->name() == "value") values.push_back(value->text());
    return values;
}

// The form's fields into `parsed`; an error for a field we do not know or cannot read.
std::optional<QueryError> read_form(const xml::Element& form, ParsedQuery& parsed) {
    auto& q = parsed.store;
    for (const auto* field : form.child_elements()) {
        if (field->name() != "field") continue;
        const std::string var(field->attr("var"));
        const auto values = values_of(*field);
        const std::string value = values.empty() ? "" : values.front();
        if (var == "FORM_TYPE") {
            if (value != ns_mam) return bad_request("FORM_TYPE must be urn:xmpp:mam:2");
        } else if (var == "with") {
            if (value.empty()) continue;
            const auto jid = Jid::parse(value);
            if (!jid) return bad_request("'with' is not a JID");
            q.with_bare = jid->bare_str();
            if (!jid->resource().empty()) q.with_resource = jid->resource();
        } else if (var == "start" || var == "end") {
            if (value.empty()) continue;
            const auto stamp = parse_datetime(value);
            if (!stamp) return bad_request("'" + var + "' is not a XEP-0082 DateTime");
            (var == "start" ? q.start : q.end) = *stamp;
        } else if (var == "after-id" || var == "before-id") {
            if (value.empty()) continue;
            (var == "after-id" ? q.after_id : q.before_id) = value;
        } else if (var == "ids") {
            for (const auto& id : values)
                if (!id.empty()) q.ids.push_back(id);
        } else {
            // XEP-0313 §4.1.5: a field the server does not recognise.
            return QueryError{"cancel", "feature-not-implemented", "unknown field '" + var + "'"};
        }
    }
    return std::nullopt;
}

std::optional<QueryError> read_rsm(const xml::Element& set, ParsedQuery& parsed,
                                   const PageLimits& limits) {
    auto& q = parsed.store;
    if (const auto* max = set.child("max", ns_rsm)) {
        const std::string text = max->text();
        std::int64_t value = -1;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size() || value < 0)
            return bad_request("<max/> must be a non-negative integer");
        q.max = std::min(value, limits.max_page);
    }
    const auto* after = set.child("after", ns_rsm);
    const auto* before = set.child("before", ns_rsm);
    if (after && before)
        return bad_request("<after/> and <before/> together: use after-id and before-id");
    if (after) {
        if (after->text().empty()) return bad_request("<after/> needs an id");
        q.after = after->text();
    }
    if (before) {
        q.page_before = true;
        if (!before->text().empty()) q.before = before->text();
    }
    if (set.child("index", ns_rsm))
        return QueryError{"cancel", "feature-not-implemented", "page jumping by index"};
    return std::nullopt;
}

}  // namespace

std::variant<ParsedQuery, QueryError> parse_query(const xml::Element& query, const Jid& user,
                                                  const PageLimits& limits) {
    ParsedQuery parsed;
    parsed.store.host = user.domain();
    parsed.store.user = user.local();
    parsed.store.max = limits.default_page;
    parsed.queryid = std::string(query.attr("queryid"));
    if (query.has_attr("node"))
        return QueryError{"cancel", "item-not-found", "a user archive has no nodes"};
    for (const auto* child : query.child_elements()) {
        std::optional<QueryError> error;
        if (child->name() == "x" && child->xmlns() == ns_data)
            error = read_form(*child, parsed);
        else if (child->name() == "set" && child->xmlns() == ns_rsm)
            error = read_rsm(*child, parsed, limits);
        else if (child->name() == "flip-page")
            parsed.flip = true;
        if (error) return *error;
    }
    if (parsed.store.ids.size() > static_cast<std::size_t>(limits.max_page))
        return QueryError{"modify", "policy-violation",
                          "at most " + std::to_string(limits.max_page) + " ids in one query"};
    return parsed;
}

xml::ElementPtr query_form() {
    auto query = xml::make_element("query", ns_mam);
    auto& form = query->add_child("x", ns_data);
    form.set_attr("type", "form");
    form.add_child("field")
        .set_attr("type", "hidden")
        .set_attr("var", "FORM_TYPE")
        .add_child("value")
        .add_text(ns_mam);
    form.add_child("field").set_attr("type", "jid-single").set_attr("var", "with");
    for (const char* var : {"start", "end", "before-id", "after-id"})
        form.add_child("field").set_attr("type", "text-single").set_attr("var", var);
    auto& ids = form.add_child("field");
    ids.set_attr("type", "list-multi").set_attr("var", "ids");
    ids.add_child("validate", "http://jabber.org/protocol/xdata-validate")
        .set_attr("datatype", "xs:string")
        .add_child("open");
    return query;
}

StanzaPtr result_message(const storage::ArchivedMessage& row, const std::string& queryid,
                         const Jid& archive, const Jid& querier) {
    auto message = xml::make_element("message", std::string(ns_client));
    message->set_attr("to", querier.str());
    message->set_attr("from", archive.str());
    auto& result = message->add_child("result", ns_mam);
    if (!queryid.empty()) result.set_attr("queryid", queryid);
    result.set_attr("id", row.archive_id);
    auto& forwarded = result.add_child("forwarded", ns_forward);
    forwarded.add_child("delay", ns_delay).set_attr("stamp", format_datetime(row.stored_at));
    if (auto original = storage::parse_stored_xml(row.stanza, ns_client))
        forwarded.add_child(std::move(original));
    return make_stanza(std::move(message));
}

xml::ElementPtr fin_element(const storage::ArchivePage& page) {
    auto fin = xml::make_element("fin", ns_mam);
    if (page.complete) fin->set_attr("complete", "true");
    auto& set = fin->add_child("set", ns_rsm);
    if (!page.messages.empty()) {
        set.add_child("first")
            .set_attr("index", std::to_string(page.first_index))
            .add_text(page.messages.front().archive_id);
        set.add_child("last").add_text(page.messages.back().archive_id);
    }
    set.add_child("count").add_text(std::to_string(page.count));
    return fin;
}

}  // namespace starling::mam
