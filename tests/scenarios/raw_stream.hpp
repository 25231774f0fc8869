#pragma once

#include "certificate.hpp"
#include "xml_stream_reader.hpp"

#include <openssl/ssl.h>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace starling::scenarios {

/// A byte-level client connection to 127.0.0.1: plain TCP that can switch to TLS (OpenSSL, with
/// SNI) at any point, for scenarios that must send what no well-behaved client library would.
/// Everything the server sends goes through an xml_stream_reader.
class raw_stream {
public:
    /// `receive_buffer` > 0 sets SO_RCVBUF before connecting, so that a scenario's client that
    /// stops reading makes the server's writes block after a few KB rather than megabytes.
    explicit raw_stream(std::uint16_t port, int receive_buffer = 0);
    /// A connection a scenario's listener accepted: the scenario plays the server's side.
    struct accepted {
        int fd;
    };
    explicit raw_stream(accepted connection);
    ~raw_stream();
    raw_stream(const raw_stream&) = delete;
    raw_stream& operator=(const raw_stream&) = delete;

    void send(std::string_view bytes);
    /// As send(), but false instead of a failed scenario when the connection is gone.
    bool try_send(std::string_view bytes);

    /// TLS handshake as a client offering `server_name` via SNI, and `own` (when given) as its
    /// certificate, as a server connecting to another does. The peer's certificate is not
    /// verified here: scenarios inspect `peer_certificate` themselves.
    void start_tls(const std::string& server_name, const certificate_files* own = nullptr);

    /// TLS handshake as the server side, presenting `own` (a peer server that STARTTLS was
    /// asked of). The client's certificate is neither asked for nor checked.
    void accept_tls(const certificate_files& own);

    /// Waits for the next complete top-level element; nothing on timeout or end of stream.
    std::optional<xml_element> next_element(std::chrono::milliseconds timeout);

    /// Waits for the next element and requires it to be `name` in `ns`.
    xml_element expect_element(const std::string& name, const std::string& ns,
                               std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// Waits for the server's stream header (the reader holds it afterwards).
    const xml_element& expect_header(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// Reads until the server closes the stream or the connection; true if it did in time.
    bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// Requires that no element arrives for `quiet` and that the stream is still open after it:
    /// a stream that ended (closed, a stream error, a TLS or socket error) fails with `what`,
    /// since a dead stream cannot show that nothing was sent.
    void expect_silence(std::chrono::milliseconds quiet, const std::string& what);

    /// True once the stream is over: the server closed it, or the connection ended or broke.
    bool ended() const { return reader_.closed() || eof_; }
    /// How it ended, for failure messages; "" while it has not.
    std::string end_reason() const;

    /// Forgets the current stream so the next bytes start a new one.
    void restart_stream() { reader_.reset(); }

    /// Reads once, waiting at most `timeout`, bypassing the XML reader (for other protocols
    /// on the socket, such as HTTP): the bytes ("" when TLS read a record without data), or
    /// nothing on timeout, end of connection or error.
    std::optional<std::string> read_bytes(std::chrono::milliseconds timeout);

    SSL* ssl() const { return ssl_; }
    /// The certificate the server presented, nullptr before TLS.
    X509* peer_certificate() const;
    xml_stream_reader& reader() { return reader_; }

private:
    /// Reads once, waiting at most `timeout`; false on timeout, end of connection or error.
    bool read_some(std::chrono::milliseconds timeout);

    int fd_ = -1;
    SSL_CTX* tls_context_ = nullptr;
    SSL* ssl_ = nullptr;
    bool eof_ = false;
    std::string read_error_;  // why the last read ended the connection, "" for a clean close
    xml_stream_reader reader_;
};

}  // namespace starling::scenarios
