// XEP-0352 Client State Indication: a client on a phone says when nobody looks at it, and the
// server holds back what can wait (presence updates, chat states) until it is looked at again
// or something arrives that cannot wait. The protocol is in csi_stream.cpp, a client-stream
// extension (core/client_stream.hpp).

#include "core/module.hpp"
#include "csi_stream.hpp"
#include "xml/element.hpp"

namespace {

using namespace starling;

std::vector<OptionSpec> options() {
    return {
        {"max_held", OptionType::integer, "1000", 1, 100000,
         "stanzas held for one inactive client; past it everything held is sent"},
    };
}

void load(ModuleContext& ctx) {
    const auto max_held = static_cast<std::size_t>(ctx.options().get_int("max_held"));
    ctx.add_stream_feature(*xml::make_element("csi", csi::ns_csi));
    // Before stream management (order 1000): what is held is not yet sent, so not yet counted,
    // and a flush goes through stream management like any stanza.
    ctx.add_stream_extension(csi::ns_csi, 100, [&ctx, max_held](ClientStream&) {
        return std::make_shared<csi::CsiStream>(ctx.server(), max_held);
    });
}

}  // namespace

STARLING_MODULE("csi", "XEP-0352 Client State Indication", options, nullptr, load)
