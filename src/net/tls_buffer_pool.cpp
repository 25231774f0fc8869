#include "net/tls_buffer_pool.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace starling::net {
namespace {

// OpenSSL 3's record buffers: 16 KiB of plaintext plus the record's header, the encryption
// overhead and alignment, a little over 17 KB for reading and for writing. Requests in this
// range get a block of the range's top size, so any of them can reuse any freed one.
constexpr std::size_t pooled_min = 16 * 1024 + 1;
constexpr std::size_t pooled_block = 20 * 1024;
// Blocks kept per thread: enough for the records in flight at once, 1.3 MB at most.
constexpr std::size_t kept_per_thread = 64;

// Every allocation carries its usable size in front, so that free and realloc know what they
// hold; 16 bytes keep malloc's alignment.
constexpr std::size_t header = 16;

// Set when the thread's blocks are gone (its thread_locals are destroyed): OpenSSL may still
// free memory after that, at exit, and then it goes straight back to malloc.
thread_local bool blocks_gone = false;

struct FreeBlocks {
    std::vector<void*> blocks;
    ~FreeBlocks() {
        blocks_gone = true;
        for (void* block : blocks) std::free(block);
    }
};

// Null once the thread's blocks are gone.
std::vector<void*>* free_blocks() {
    if (blocks_gone) return nullptr;
    thread_local FreeBlocks kept;
    return &kept.blocks;
}

std::size_t& usable_size(void* base) {
    return *static_cast<std::size_t*>(base);
}

void* user_pointer(void* base) {
    return static_cast<char*>(base) + header;
}

void* base_of(void* user) {
    return static_cast<char*>(user) - header;
}

void* pool_malloc(std::size_t size, const char*, int) {
    const bool pooled = size >= pooled_min && size <= pooled_block;
    if (auto* kept = pooled ? free_blocks() : nullptr; kept && !kept->empty()) {
        void* base = kept->back();
        kept->pop_back();
        return user_pointer(base);
    }
    const std::size_t usable = pooled ? pooled_block : size;
    void* base = std::malloc(header + usable);
    if (!base) return nullptr;
    usable_size(base) = usable;
    return user_pointer(base);
}

void pool_free(void* user, const char*, int) {
    if (!user) return;
    void* base = base_of(user);
    if (auto* kept = usable_size(base) == pooled_block ? free_blocks() : nullptr;
        kept && kept->size() < kept_per_thread) {
        // reserve() once, so that keeping a block never allocates.
        if (kept->capacity() == 0) kept->reserve(kept_per_thread);
        kept->push_back(base);
        return;
    }
    std::free(base);
}

void* pool_realloc(void* user, std::size_t size, const char* file, int line) {
    if (!user) return pool_malloc(size, file, line);
    if (size == 0) {
        pool_free(user, file, line);
        return nullptr;
    }
    const std::size_t old_size = usable_size(base_of(user));
    if (size <= old_size && old_size == pooled_block) return user;
    void* fresh = pool_malloc(size, file, line);
    if (!fresh) return nullptr;
    std::memcpy(fresh, user, std::min(old_size, size));
    pool_free(user, file, line);
    return fresh;
}

}  // namespace

bool install_tls_buffer_pool() {
    return CRYPTO_set_mem_functions(pool_malloc, pool_realloc, pool_free) == 1;
}

}  // namespace starling::net
