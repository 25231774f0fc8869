#pragma once
// The one header that brings in Asio. Boost 1.74's awaitable.hpp uses std::exchange without
// including <utility>, so it must come first; keep this header out of widely included headers
// (an Asio + SSL translation unit takes seconds to compile).

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

namespace starling {
namespace asio = boost::asio;
using boost::system::error_code;
}  // namespace starling
