// XEP-0198 Stream Management (v1.6): acknowledgements both ways, resumption of a session whose
// connection was lost, and a bounded queue of what the client has not acknowledged. The protocol
// lives in sm_stream.cpp, as a client-stream extension (core/client_stream.hpp); this file
// declares the module.

#include "core/module.hpp"
#include "sm_stream.hpp"
#include "xml/element.hpp"

namespace {

using namespace starling;

std::vector<OptionSpec> options() {
    return {
        {"resume_timeout", OptionType::duration, "300", 1, 86400,
         "how long a session whose connection was lost waits to be resumed; then its "
         "unacknowledged messages go to offline storage (or back to their senders)"},
        {"ack_timeout", OptionType::duration, "60", 0, 3600,
         "a client that does not answer the server's <r/> within this time is treated as "
         "disconnected (its session hibernates); 0 waits forever"},
        {"max_unacked", OptionType::integer, "500", 1, 100000,
         "stanzas a client may leave unacknowledged; past it the stream is closed with "
         "policy-violation and every queued message is stored offline or bounced"},
    };
}

void load(ModuleContext& ctx) {
    const auto& opts = ctx.options();
    // Made in place: the registry holds a mutex, which cannot move.
    auto module = std::shared_ptr<smacks::Module>(new smacks::Module{
        ctx.server(), ctx.host(),
        smacks::Settings{opts.get_int("resume_timeout"), opts.get_int("ack_timeout"),
                         static_cast<std::size_t>(opts.get_int("max_unacked"))},
        ctx.metric("resumed", "Sessions resumed with XEP-0198 stream management."),
        smacks::Registry{}});
    ctx.own(module);
    ctx.add_stream_feature(*xml::make_element("sm", std::string(ns_sm)));
    // Last in the chain: it counts what is actually written to the client, after client state
    // indication (order 100) held back what it holds.
    ctx.add_stream_extension(std::string(ns_sm), 1000, [module](ClientStream& stream) {
        return std::make_shared<smacks::SmStream>(module, stream);
    });
}

}  // namespace

STARLING_MODULE("smacks", "XEP-0198 Stream Management: acknowledgements and resumption", options,
                nullptr, load)
