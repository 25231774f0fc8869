#include "core/http_routes.hpp"

#include <algorithm>

namespace starling {

std::string_view HttpRequest::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (key == name) return value;
    return {};
}

HttpResponse HttpResponse::text(int status, std::string_view text) {
    HttpResponse response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    response.body = std::string(text) + "\n";
    return response;
}

Registration HttpRoutes::add(std::string path, HttpHandler handler) {
    return add_route(std::move(path), HttpRoute{std::move(handler), nullptr, nullptr, {}});
}

Registration HttpRoutes::add_streamed(std::string path, HttpStreamHandler handler) {
    return add_route(std::move(path), HttpRoute{nullptr, std::move(handler), nullptr, {}});
}

Registration HttpRoutes::add_websocket(std::string path, std::string protocol,
                                       HttpWebSocketHandler handler) {
    return add_route(std::move(path),
                     HttpRoute{nullptr, nullptr, std::move(handler), std::move(protocol)});
}

Registration HttpRoutes::add_route(std::string path, HttpRoute route) {
    std::lock_guard lock(mutex_);
    const auto id = next_id_++;
    routes_[path].push_back({id, std::make_shared<const HttpRoute>(std::move(route))});
    return Registration([this, path = std::move(path), id] {
        std::lock_guard lock(mutex_);
        auto it = routes_.find(path);
        if (it == routes_.end()) return;
        std::erase_if(it->second, [id](const Entry& e) { return e.id == id; });
        if (it->second.empty()) routes_.erase(it);
    });
}

std::shared_ptr<const HttpRoute> HttpRoutes::find(std::string_view path) const {
    std::lock_guard lock(mutex_);
    if (auto it = routes_.find(path); it != routes_.end()) return it->second.back().route;
    // The longest registered prefix ending in '/': try each '/' of the path from the right.
    for (auto slash = path.rfind('/'); slash != std::string_view::npos;
         slash = slash == 0 ? std::string_view::npos : path.rfind('/', slash - 1)) {
        if (auto it = routes_.find(path.substr(0, slash + 1)); it != routes_.end())
            return it->second.back().route;
    }
    return nullptr;
}

}  // namespace starling
