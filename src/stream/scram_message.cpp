#include "stream/scram_message.hpp"

#include "stream/sasl.hpp"

#include <vector>

namespace starling::sasl {

namespace {

std::vector<std::string_view> split_fields(std::string_view message) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = message.find(',', start);
        if (comma == std::string_view::npos) {
            fields.push_back(message.substr(start));
            return fields;
        }
        fields.push_back(message.substr(start, comma - start));
        start = comma + 1;
    }
}

// Matches "x=value" for attribute name `name` and yields the value.
bool attribute(std::string_view field, char name, std::string_view& value) {
    if (field.size() < 2 || field[0] != name || field[1] != '=') return false;
    value = field.substr(2);
    return true;
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 5802 "printable": %x21-2B / %x2D-7E, i.e. visible ASCII except ','.
bool valid_nonce(std::string_view nonce) {
    if (nonce.empty()) return false;
    for (char c : nonce) {
        if (c < 0x21 || c > 0x7e || c == ',') return false;
    }
    return true;
}

bool valid_cb_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name) {
        if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '.' && c != '-') return false;
    }
    return true;
}

// Extensions we do not know are ignored, but must still look like attributes.
bool valid_extension(std::string_view field) {
    return field.size() >= 3 && is_alpha(field[0]) && field[1] == '=' &&
           field.find('\0') == std::string_view::npos;
}

}  // namespace

std::optional<std::string> decode_saslname(std::string_view name) {
    if (name.empty()) return std::nullopt;
    std::string out;
    out.reserve(name.size());
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (c == ',' || c == '\0') return std::nullopt;
        if (c != '=') {
            out += c;
            continue;
        }
        const std::string_view escape = name.substr(i + 1, 2);
        if (escape == "2C") {
            out += ',';
        } else if (escape == "3D") {
            out += '=';
        } else {
            return std::nullopt;
        }
        i += 2;
    }
    return out;
}

std::optional<ClientFirst> parse_client_first(std::string_view message, std::string& error) {
    const auto fields = split_fields(message);
    if (fields.size() < 4) {
        error = "client-first-message needs a GS2 header, a username and a nonce";
        return std::nullopt;
    }
    ClientFirst first;
    std::string_view value;
    if (fields[0] == "n" || fields[0] == "y") {
        first.cb_flag = fields[0][0];
    } else if (attribute(fields[0], 'p', value) && valid_cb_name(value)) {
        first.cb_flag = 'p';
        first.cb_name = value;
    } else {
        error = "the GS2 channel binding flag must be n, y or p=<type>";
        return std::nullopt;
    }
    if (!fields[1].empty()) {
        std::optional<std::string> authzid;
        if (attribute(fields[1], 'a', value)) authzid = decode_saslname(value);
        if (!authzid) {
            error = "the GS2 authzid must be a=<saslname>";
            return std::nullopt;
        }
        first.authzid = std::move(*authzid);
    }
    const std::size_t header_size = fields[0].size() + fields[1].size() + 2;
    first.gs2_header = message.substr(0, header_size);
    first.bare = message.substr(header_size);

    std::size_t next = 2;
    if (attribute(fields[next], 'm', value)) {
        error = "mandatory SCRAM extensions are not supported";
        return std::nullopt;
    }
    std::optional<std::string> username;
    if (attribute(fields[next], 'n', value)) username = decode_saslname(value);
    if (!username) {
        error = "client-first-message needs n=<saslname>";
        return std::nullopt;
    }
    first.username = std::move(*username);
    ++next;
    if (!attribute(fields[next], 'r', value) || !valid_nonce(value)) {
        error = "client-first-message needs r=<nonce> of printable characters";
        return std::nullopt;
    }
    first.nonce = value;
    for (++next; next < fields.size(); ++next) {
        if (!valid_extension(fields[next])) {
            error = "malformed attribute in client-first-message";
            return std::nullopt;
        }
    }
    return first;
}

std::optional<ClientFinal> parse_client_final(std::string_view message, std::string& error) {
    const auto fields = split_fields(message);
    if (fields.size() < 3) {
        error = "client-final-message needs c=, r= and p=";
        return std::nullopt;
    }
    ClientFinal final_message;
    std::string_view value;
    std::optional<std::string> decoded;
    if (attribute(fields[0], 'c', value)) decoded = base64_decode(value);
    if (!decoded) {
        error = "client-final-message needs c=<base64>";
        return std::nullopt;
    }
    final_message.channel_binding = std::move(*decoded);
    if (!attribute(fields[1], 'r', value) || !valid_nonce(value)) {
        error = "client-final-message needs r=<nonce>";
        return std::nullopt;
    }
    final_message.nonce = value;
    for (std::size_t i = 2; i + 1 < fields.size(); ++i) {
        if (!valid_extension(fields[i])) {
            error = "malformed attribute in client-final-message";
            return std::nullopt;
        }
    }
    decoded.reset();
    if (attribute(fields.back(), 'p', value)) decoded = base64_decode(value);
    if (!decoded || decoded->empty()) {
        error = "client-final-message must end with p=<base64 proof>";
        return std::nullopt;
    }
    final_message.proof = std::move(*decoded);
    final_message.without_proof = message.substr(0, message.size() - fields.back().size() - 1);
    return final_message;
}

}  // namespace starling::sasl
