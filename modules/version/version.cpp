// XEP-0092 Software Version of the server.

#include "core/module.hpp"

#include <sys/utsname.h>

namespace {

using namespace starling;
constexpr const char* ns_version = "jabber:iq:version";

std::vector<OptionSpec> options() {
    return {{"show_os", OptionType::boolean, "true", 0, 0,
             "include the operating system; some operators prefer not to reveal it"}};
}

void load(ModuleContext& ctx) {
    ctx.add_feature(ns_version);
    std::string os;
    if (ctx.options().get_bool("show_os")) {
        utsname u{};
        if (::uname(&u) == 0) os = std::string(u.sysname) + " " + u.release;
    }
    ctx.iq_handler(IqTarget::host, "get", ns_version, [&ctx, os](StanzaEvent& ev) {
        auto query = xml::make_element("query", ns_version);
        query->add_child("name").add_text("Starling");
        query->add_child("version").add_text(PACKAGE_VERSION);
        if (!os.empty()) query->add_child("os").add_text(os);
        ctx.send(make_iq_result(*ev.stanza, std::move(query)));
    });
}

}  // namespace

STARLING_MODULE("version", "XEP-0092 Software Version", options, nullptr, load)
