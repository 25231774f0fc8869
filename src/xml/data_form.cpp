#include "xml/data_form.hpp"

namespace starling::xml {

std::string SubmittedForm::first(const std::string& var) const {
    const auto it = values.find(var);
    return it == values.end() || it->second.empty() ? std::string() : it->second.front();
}

std::optional<SubmittedForm> read_submitted_form(const Element* x) {
    if (x == nullptr || x->name() != "x" || x->xmlns() != ns_data) return std::nullopt;
    if (x->attr("type") != "submit") return std::nullopt;
    SubmittedForm form;
    for (const Element* field : x->child_elements()) {
        if (field->name() != "field") continue;
        const std::string var(field->attr("var"));
        if (var.empty()) continue;
        std::vector<std::string> values;
        for (const Element* value : field->child_elements())
            if (value->name() == "value") values.push_back(value->text());
        if (var == "FORM_TYPE")
            form.form_type = values.empty() ? std::string() : values.front();
        else
            form.values[var] = std::move(values);
    }
    return form;
}

std::optional<bool> form_boolean(std::string_view value) {
    if (value == "1" || value == "true") return true;
    if (value == "0" || value == "false") return false;
    return std::nullopt;
}

FormBuilder::FormBuilder(std::string_view type, std::string_view form_type, std::string_view title)
    : form_(make_element("x", ns_data)) {
    form_->set_attr("type", type);
    if (!title.empty()) form_->add_child("title").add_text(title);
    auto& hidden = form_->add_child("field");
    hidden.set_attr("var", "FORM_TYPE");
    hidden.set_attr("type", "hidden");
    hidden.add_child("value").add_text(form_type);
}

Element& FormBuilder::field(std::string_view var, std::string_view type, std::string_view label,
                            const std::vector<std::string>& values,
                            const std::vector<std::pair<std::string, std::string>>& options) {
    auto& field = form_->add_child("field");
    field.set_attr("var", var);
    if (!type.empty()) field.set_attr("type", type);
    if (!label.empty()) field.set_attr("label", label);
    // The field's own values first, then its options, as XEP-0004's examples write them:
    // clients that take the first <value/> they meet (Profanity) show the current choice.
    for (const auto& value : values) field.add_child("value").add_text(value);
    for (const auto& [option_label, option_value] : options) {
        auto& option = field.add_child("option");
        option.set_attr("label", option_label);
        option.add_child("value").add_text(option_value);
    }
    return field;
}

}  // namespace starling::xml
