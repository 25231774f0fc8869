#include "postgres_database.hpp"

#include "process.hpp"
#include "scenario.hpp"

#include <atomic>
#include <unistd.h>

namespace starling::scenarios {
namespace {

command_result run_psql(const std::string& conninfo, const std::string& sql) {
    return run_command({"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql},
                       std::chrono::seconds(30));
}

}  // namespace

postgres_database::postgres_database(std::string conninfo)
    : cluster_conninfo_(std::move(conninfo)) {
    require(!cluster_conninfo_.empty(), "--driver postgres needs --conninfo");
    static std::atomic<int> counter{0};
    name_ = "starling_test_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    auto result = run_psql(cluster_conninfo_, "CREATE DATABASE " + name_);
    require(result.exited_with(0), "cannot create database " + name_ + " (" +
                                       describe_status(result.status) + "): " + result.output);
}

postgres_database::~postgres_database() {
    run_psql(cluster_conninfo_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
}

std::string postgres_database::conninfo() const {
    // In a key=value conninfo the last occurrence of a key wins, so this overrides any dbname.
    return cluster_conninfo_ + " dbname=" + name_;
}

}  // namespace starling::scenarios
