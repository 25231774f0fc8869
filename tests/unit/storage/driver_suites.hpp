#pragma once
// Runs a store's contract against both drivers: `Contract` is an abstract CppUnit fixture with
// `virtual std::string driver() const = 0`. The SQLite suite always runs; the PostgreSQL suite
// is registered only when STARLING_TEST_PG_CONNINFO names a database, since CppUnit cannot skip
// a test (test_postgres_storage.cpp says so once, for all of them).

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <string>

#define STARLING_DRIVER_SUITES(Contract)                                                \
    class Sqlite##Contract : public Contract {                                          \
        CPPUNIT_TEST_SUB_SUITE(Sqlite##Contract, Contract);                             \
        CPPUNIT_TEST_SUITE_END();                                                       \
                                                                                        \
    protected:                                                                          \
        std::string driver() const override { return "sqlite"; }                        \
    };                                                                                  \
    class Postgres##Contract : public Contract {                                        \
        CPPUNIT_TEST_SUB_SUITE(Postgres##Contract, Contract);                           \
        CPPUNIT_TEST_SUITE_END();                                                       \
                                                                                        \
    protected:                                                                          \
        std::string driver() const override { return "postgres"; }                     \
    };                                                                                  \
    CPPUNIT_TEST_SUITE_REGISTRATION(Sqlite##Contract);                                  \
    [[maybe_unused]] static const bool Contract##_on_postgres = [] {                    \
        const char* conninfo = std::getenv("STARLING_TEST_PG_CONNINFO");                \
        if (conninfo == nullptr || *conninfo == '\0') return false;                     \
        static CppUnit::AutoRegisterSuite<Postgres##Contract> registration;             \
        return true;                                                                    \
    }()
