#pragma once

#include <string>

namespace starling::scenarios {

/// A database of its own for one scenario, so no scenario sees another one's accounts: created
/// on the test cluster with psql, dropped again (connections included) when this goes away.
class postgres_database {
public:
    /// `conninfo` is the key=value conninfo of the cluster (any database we may connect to).
    explicit postgres_database(std::string conninfo);
    ~postgres_database();
    postgres_database(const postgres_database&) = delete;
    postgres_database& operator=(const postgres_database&) = delete;

    /// The cluster conninfo with dbname pointing at the fresh database.
    std::string conninfo() const;

private:
    std::string cluster_conninfo_;
    std::string name_;
};

}  // namespace starling::scenarios
