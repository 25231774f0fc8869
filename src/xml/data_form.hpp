#pragma once
// XEP-0004 data forms: reading a submitted form and building a form to fill in or a result. The
// one place modules read and write jabber:x:data, so every form field is escaped and read alike.

#include "xml/element.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace starling::xml {

inline constexpr const char* ns_data = "jabber:x:data";

/// A submitted form (type 'submit'), or a stored one: FORM_TYPE and every other field's values.
struct SubmittedForm {
    std::string form_type;
    std::map<std::string, std::vector<std::string>> values;

    bool has(const std::string& var) const { return values.count(var) != 0; }
    /// The field's first value, or "" when it has none.
    std::string first(const std::string& var) const;
};

/// Reads `x` when it is a jabber:x:data form of type submit; nullopt otherwise.
std::optional<SubmittedForm> read_submitted_form(const Element* x);

/// XEP-0004 booleans: "1"/"true" and "0"/"false"; nullopt for anything else.
std::optional<bool> form_boolean(std::string_view value);

/// Builds a form of `type` (form, submit, result) with a hidden FORM_TYPE.
class FormBuilder {
public:
    FormBuilder(std::string_view type, std::string_view form_type, std::string_view title = {});
    /// Adds a field with its values (a list-single's options after `options` pairs of label and
    /// value); returns the field so a caller may add <required/> or a <desc/>.
    Element& field(std::string_view var, std::string_view type, std::string_view label,
                   const std::vector<std::string>& values,
                   const std::vector<std::pair<std::string, std::string>>& options = {});
    ElementPtr take() { return std::move(form_); }

private:
    ElementPtr form_;
};

}  // namespace starling::xml
