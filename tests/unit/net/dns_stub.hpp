#pragma once
// A DNS server for tests: UDP on 127.0.0.1 at a port the kernel picks, served from the test's
// io_context and answering from a table, so resolver tests never ask a real server. A name in the
// table answers with its records of the asked type (none: NODATA), any other name gets NXDOMAIN,
// and a name marked silent gets nothing at all. The wire format is written by hand on purpose:
// this is scaffolding that must not depend on the code it tests.

#include "net/asio.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace starling::net::test {

class DnsStub {
public:
    static constexpr std::uint16_t type_a = 1;
    static constexpr std::uint16_t type_aaaa = 28;
    static constexpr std::uint16_t type_srv = 33;

    explicit DnsStub(asio::io_context& io)
        : socket_(io, asio::ip::udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)) {
        receive();
    }

    /// The address to hand a resolver as its only server: "127.0.0.1:<port>".
    std::string server() const {
        return "127.0.0.1:" + std::to_string(socket_.local_endpoint().port());
    }

    /// An SRV record; `target` "." says the service is not offered.
    void srv(const std::string& name, std::uint16_t priority, std::uint16_t weight,
             std::uint16_t port, const std::string& target) {
        add(name, type_srv, u16(priority) + u16(weight) + u16(port) + wire_name(target));
    }
    void a(const std::string& name, const std::string& address) {
        const auto bytes = asio::ip::make_address_v4(address).to_bytes();
        add(name, type_a, std::string(bytes.begin(), bytes.end()));
    }
    void aaaa(const std::string& name, const std::string& address) {
        const auto bytes = asio::ip::make_address_v6(address).to_bytes();
        add(name, type_aaaa, std::string(bytes.begin(), bytes.end()));
    }
    /// The name exists, so a type it has no records of gets NODATA rather than NXDOMAIN.
    void exists(const std::string& name) { records_[lower(name)]; }
    /// Questions about the name are received and counted but never answered.
    void never_answer(const std::string& name) { silent_.insert(lower(name)); }

    /// Every question received so far, as "name TYPE" ("_xmpp-server._tcp.a.test SRV").
    const std::vector<std::string>& questions() const { return questions_; }

private:
    struct Record {
        std::uint16_t type;
        std::string data;
    };

    static std::string lower(std::string name) {
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return name;
    }
    static std::string u16(std::uint16_t value) {
        return {static_cast<char>(value >> 8), static_cast<char>(value & 0xff)};
    }
    static std::string wire_name(const std::string& name) {
        std::string wire;
        std::size_t start = 0;
        while (start < name.size()) {
            std::size_t end = name.find('.', start);
            if (end == std::string::npos) end = name.size();
            wire += static_cast<char>(end - start);
            wire += name.substr(start, end - start);
            start = end + 1;
        }
        return wire + '\0';
    }
    static std::string type_name(std::uint16_t type) {
        switch (type) {
            case type_a:
                return "A";
            case type_aaaa:
                return "AAAA";
            case type_srv:
                return "SRV";
            default:
                return std::to_string(type);
        }
    }

    void add(const std::string& name, std::uint16_t type, std::string data) {
        records_[lower(name)].push_back({type, std::move(data)});
    }

    void receive() {
        socket_.async_receive_from(asio::buffer(query_), client_,
                                   [this](error_code ec, std::size_t length) {
                                       if (ec == asio::error::operation_aborted) return;
                                       if (!ec) answer(length);
                                       receive();
                                   });
    }

    void answer(std::size_t length) {
        const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(query_[at]); };
        if (length < 12) return;
        // The question: length-prefixed labels (queries are never compressed), type, class.
        std::string name;
        std::size_t at = 12;
        while (at < length && byte(at) != 0 && byte(at) < 64) {
            if (!name.empty()) name += '.';
            name.append(&query_[at + 1], std::min<std::size_t>(byte(at), length - at - 1));
            at += 1 + byte(at);
        }
        const std::size_t question_end = at + 5;
        if (question_end > length) return;
        const std::uint16_t type = static_cast<std::uint16_t>(byte(at + 1) << 8 | byte(at + 2));
        name = lower(name);
        questions_.push_back(name + " " + type_name(type));
        if (silent_.count(name)) return;

        const auto found = records_.find(name);
        std::vector<const Record*> answers;
        if (found != records_.end())
            for (const Record& record : found->second)
                if (record.type == type) answers.push_back(&record);
        const std::uint16_t rcode = found == records_.end() ? 3 : 0;  // NXDOMAIN, or NOERROR
        // QR, AA and the client's RD bit.
        const std::uint16_t flags = 0x8000 | 0x0400 | (byte(2) & 0x01) << 8 | rcode;

        std::string reply(query_.data(), 2);  // the query's id
        reply +=
            u16(flags) + u16(1) + u16(static_cast<std::uint16_t>(answers.size())) + u16(0) + u16(0);
        reply.append(&query_[12], question_end - 12);
        for (const Record* record : answers) {
            // The owner name points back at the question's (offset 12); TTL 60.
            reply += u16(0xc00c) + u16(record->type) + u16(1) + u16(0) + u16(60) +
                     u16(static_cast<std::uint16_t>(record->data.size())) + record->data;
        }
        error_code ignored;
        socket_.send_to(asio::buffer(reply), client_, 0, ignored);
    }

    asio::ip::udp::socket socket_;
    asio::ip::udp::endpoint client_;
    std::array<char, 1500> query_{};
    std::map<std::string, std::vector<Record>> records_;
    std::set<std::string> silent_;
    std::vector<std::string> questions_;
};

}  // namespace starling::net::test
