// XEP-0202 Entity Time of the server: UTC with millisecond precision (XEP-0082) and its offset.

#include "core/module.hpp"

#include <fmt/chrono.h>

#include <chrono>
#include <ctime>

namespace {

using namespace starling;
constexpr const char* ns_time = "urn:xmpp:time";

void load(ModuleContext& ctx) {
    ctx.add_feature(ns_time);
    ctx.iq_handler(IqTarget::host, "get", ns_time, [&ctx](StanzaEvent& ev) {
        const auto now = std::chrono::system_clock::now();
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
        const std::time_t t = std::chrono::system_clock::to_time_t(now);
        std::tm utc{}, local{};
        ::gmtime_r(&t, &utc);
        ::localtime_r(&t, &local);
        const long offset = local.tm_gmtoff;
        auto query = xml::make_element("time", ns_time);
        query->add_child("tzo").add_text(fmt::format("{}{:02}:{:02}", offset < 0 ? '-' : '+',
                                                     std::abs(offset) / 3600, std::abs(offset) % 3600 / 60));
        query->add_child("utc").add_text(fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", utc, ms));
        ctx.send(make_iq_result(*ev.stanza, std::move(query)));
    });
}

}  // namespace

STARLING_MODULE("time", "XEP-0202 Entity Time", nullptr, nullptr, load)
