#include "core/control_socket.hpp"

#include "core/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

namespace starling {
namespace {

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    std::string current;
    for (char c : line) {
        if (c == control_separator) {
            out.push_back(std::move(current));
            current.clear();
        } else {
            current += c;
        }
    }
    out.push_back(std::move(current));
    return out;
}

}  // namespace

ControlSocket::ControlSocket(asio::io_context& io, Server& server, std::string path)
    : server_(server), path_(std::move(path)), acceptor_(io) {
    std::error_code fs_ec;
    std::filesystem::remove(path_, fs_ec);  // a stale socket of a server that died
    const auto old_mask = ::umask(077);     // created 0600: the socket is the admin interface
    error_code ec;
    acceptor_.open(asio::local::stream_protocol(), ec);
    if (!ec) acceptor_.bind(asio::local::stream_protocol::endpoint(path_), ec);
    ::umask(old_mask);
    if (!ec) acceptor_.listen(16, ec);
    if (ec) throw std::runtime_error("control_socket: cannot listen on '" + path_ + "': " + ec.message());
    ::chmod(path_.c_str(), 0600);
    do_accept();
}

ControlSocket::~ControlSocket() { close(); }

void ControlSocket::close() {
    if (!acceptor_.is_open()) return;
    error_code ec;
    acceptor_.close(ec);
    std::error_code fs_ec;
    std::filesystem::remove(path_, fs_ec);
}

void ControlSocket::do_accept() {
    acceptor_.async_accept([this](const error_code& ec, asio::local::stream_protocol::socket socket) {
        if (ec) return;
        // Commands run here, on the control thread, where waiting for the database is allowed.
        error_code read_ec;
        asio::streambuf buffer;
        asio::read_until(socket, buffer, '\n', read_ec);
        std::string line(asio::buffers_begin(buffer.data()), asio::buffers_end(buffer.data()));
        if (!line.empty() && line.back() == '\n') line.pop_back();
        auto words = split(line);
        CommandResult result{exit_status::usage, "empty request\n"};
        if (!words.empty() && !words.front().empty()) {
            auto name = words.front();
            words.erase(words.begin());
            // Two-word commands ("upload usage"): starlingctl joins only those it knows itself,
            // and a module's are known here alone.
            if (!words.empty() && !server_.commands().find(name) &&
                server_.commands().find(name + " " + words.front())) {
                name += " " + words.front();
                words.erase(words.begin());
            }
            const auto config = server_.config();
            CommandContext context{*config, server_.database(), &server_};
            try {
                result = server_.commands().run(context, name, words);
            } catch (const std::exception& e) {
                result = {exit_status::failed, name + ": " + e.what() + "\n"};
            }
            spdlog::info("control: {} -> {}", name, result.status);
        }
        const auto reply = std::to_string(result.status) + "\n" + result.output;
        asio::write(socket, asio::buffer(reply), read_ec);
        do_accept();
    });
}

std::pair<int, std::string> control_request(const std::string& path, const std::vector<std::string>& words) {
    asio::io_context io;
    asio::local::stream_protocol::socket socket(io);
    socket.connect(asio::local::stream_protocol::endpoint(path));  // throws system_error
    std::string request;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i) request += control_separator;
        request += words[i];
    }
    request += '\n';
    asio::write(socket, asio::buffer(request));
    std::string reply;
    error_code ec;
    asio::read(socket, asio::dynamic_buffer(reply), ec);
    if (ec && ec != asio::error::eof) throw std::system_error(ec);
    const auto newline = reply.find('\n');
    if (newline == std::string::npos) throw std::runtime_error("malformed reply from the server");
    return {std::stoi(reply.substr(0, newline)), reply.substr(newline + 1)};
}

}  // namespace starling
