#include "net/connector.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>

namespace starling::net {
namespace {

// One connection attempt in progress: the targets left, the current target's addresses left,
// and what went wrong so far. Kept alive by the handler it waits on.
class Attempt : public std::enable_shared_from_this<Attempt> {
public:
    Attempt(asio::io_context& io, Resolver& resolver, std::string domain,
            std::chrono::milliseconds timeout, ConnectHandler done)
        : io_(io),
          resolver_(resolver),
          domain_(std::move(domain)),
          timeout_(timeout),
          timer_(io),
          done_(std::move(done)) {}

    void start(std::vector<Target> targets) {
        if (!targets.empty()) return use(std::move(targets));
        resolver_.find_server(
            domain_, [self = shared_from_this()](std::vector<Target> found, std::string error) {
                if (!error.empty()) return self->finish(std::nullopt, error);
                self->use(std::move(found));
            });
    }

private:
    void use(std::vector<Target> targets) {
        targets_ = std::move(targets);
        next_target();
    }

    void next_target() {
        if (next_ == targets_.size()) {
            return finish(std::nullopt,
                          "cannot connect to " + domain_ + ": " +
                              (tried_.empty() ? std::string("no server to try") : tried_));
        }
        const Target& target = targets_[next_];
        resolver_.addresses(target.host, target.port,
                            [self = shared_from_this()](
                                std::vector<asio::ip::tcp::endpoint> endpoints, std::string error) {
                                if (!error.empty()) {
                                    self->failed(self->targets_[self->next_].host, error);
                                    ++self->next_;
                                    return self->next_target();
                                }
                                self->endpoints_ = std::move(endpoints);
                                self->next_endpoint_ = 0;
                                self->next_endpoint();
                            });
    }

    void next_endpoint() {
        if (next_endpoint_ == endpoints_.size()) {
            ++next_;
            return next_target();
        }
        const auto endpoint = endpoints_[next_endpoint_++];
        socket_.emplace(io_);
        const auto attempt = ++attempts_;
        timed_out_ = false;
        timer_.expires_after(timeout_);
        timer_.async_wait([self = shared_from_this(), attempt](const error_code& ec) {
            // A timer that fires late must not close a later attempt's socket.
            if (ec || self->attempts_ != attempt || !self->socket_) return;
            self->timed_out_ = true;
            self->socket_->close();
        });
        socket_->async_connect(
            endpoint, [self = shared_from_this(), endpoint](const error_code& ec) {
                self->timer_.cancel();
                if (ec) {
                    std::ostringstream where;
                    where << endpoint;
                    self->failed(where.str(), self->timed_out_ ? "timed out" : ec.message());
                    return self->next_endpoint();
                }
                Connection connection{std::move(*self->socket_), self->targets_[self->next_]};
                self->socket_.reset();
                self->finish(std::move(connection), {});
            });
    }

    void failed(const std::string& where, const std::string& why) {
        if (!tried_.empty()) tried_ += "; ";
        tried_ += where + " (" + why + ")";
    }

    void finish(std::optional<Connection> connection, std::string error) {
        auto done = std::move(done_);
        done(std::move(connection), std::move(error));
    }

    asio::io_context& io_;
    Resolver& resolver_;
    std::string domain_;
    std::chrono::milliseconds timeout_;
    asio::steady_timer timer_;
    ConnectHandler done_;
    std::vector<Target> targets_;
    std::size_t next_ = 0;
    std::vector<asio::ip::tcp::endpoint> endpoints_;
    std::size_t next_endpoint_ = 0;
    std::optional<asio::ip::tcp::socket> socket_;
    std::uint64_t attempts_ = 0;  // which connect the timer belongs to
    bool timed_out_ = false;      // the current connect was cut short by the timer
    std::string tried_;
};

}  // namespace

void connect_to_domain(asio::io_context& io, Resolver& resolver, std::string domain,
                       std::vector<Target> targets, std::chrono::milliseconds attempt_timeout,
                       ConnectHandler done) {
    std::make_shared<Attempt>(io, resolver, std::move(domain), attempt_timeout, std::move(done))
        ->start(std::move(targets));
}

}  // namespace starling::net
