#pragma once

#include "server_fixture.hpp"

#include <string>

namespace starling::scenarios {

/// The accounts most scenarios log in with.
struct test_account {
    const char* localpart;
    const char* jid;
    const char* password;
};

inline constexpr test_account alice{"a", "a@example.test", "alice-secret-1"};
inline constexpr test_account bob{"b", "b@example.test", "bob-secret-2"};

/// Creates alice and bob, then starts the server.
inline void start_with_accounts(server_fixture& server) {
    server.add_account(alice.jid, alice.password);
    server.add_account(bob.jid, bob.password);
    server.start();
}

}  // namespace starling::scenarios
