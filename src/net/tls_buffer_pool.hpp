#pragma once
// The pool behind SSL_MODE_RELEASE_BUFFERS (DESIGN.md, "Memory"). With that mode an idle TLS
// connection holds no record buffers, but a busy one gets a fresh ~17 KB buffer from malloc for
// every write and every read and frees it right after: a room's message to 1,000 occupants is
// 1,000 such round trips, and a request of that size sends glibc through its large bins and
// consolidation each time. The pool keeps a few freed record buffers per thread for the next
// record, so idle connections still hold nothing and busy ones stop paying malloc for them.

namespace starling::net {

/// Routes OpenSSL's allocations through the pool. Call it first thing in main(), before anything
/// uses OpenSSL: OpenSSL refuses new memory functions once it has allocated, and then this
/// returns false and everything works as before, unpooled.
bool install_tls_buffer_pool();

}  // namespace starling::net
