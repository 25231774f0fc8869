#!/usr/bin/env bash
# Quick start, command 2 (and CI): installs what is missing, starts a throwaway PostgreSQL
# cluster and runs every test, each driver and each kind of build once:
#   - make distcheck (scripts/distcheck.sh): Starling as users get it, built with g++ -O2 from
#     the release tarball; make check runs the unit tests, and make installcheck every scenario
#     (the slixmpp interop tests among them) on PostgreSQL against the installed tree;
#   - an AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/): the unit tests and
#     every scenario on SQLite;
#   - each libFuzzer target over its corpus, then fuzzing for a bounded time (scripts/fuzz.sh).
# The browser scenarios (converse.js in Chromium) run in both scenario runs; their screenshots
# are kept in test-artefacts/.
# It stops what it started and ends with the line "N passed, N failed". Exits non-zero if
# anything failed. docs/testing.md says how to run one part.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

builddir=build
asan_builddir=build-asan
# Seconds each fuzz target fuzzes after replaying its corpus.
fuzz_seconds=20
# Debian's interpreter has slixmpp; the one first on PATH may be a pyenv build without it.
python=/usr/bin/python3

total_passed=0
total_failed=0
work=$(mktemp -d /tmp/starling-test-all.XXXXXX)
# The postgres user must be able to reach its cluster directory inside (but not list this one).
chmod 711 "$work"
pgdata="$work/pg/data"
pg_bin=""

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
    if [ -n "$pg_bin" ] && [ -f "$pgdata/postmaster.pid" ]; then
        as_postgres "$pg_bin/pg_ctl" stop -D "$pgdata" -m fast -w -t 30 >/dev/null 2>&1 ||
            say "could not stop PostgreSQL in $pgdata"
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() {
    echo "$total_passed passed, $total_failed failed"
    [ "$total_failed" -eq 0 ]
    exit
}

# Runs one part under a time bound and adds its "PREFIX: N passed, N failed" line to the totals.
# A part that exits non-zero without reporting a failure, or never reports, counts as one failure.
run_part() {
    local label=$1 limit=$2
    shift 2
    local log="$work/$label.log"
    say "running $label"
    timeout --kill-after=15 "$limit" "$@" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    local summary passed failed
    summary=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$summary" ]; then
        say "$label ended (status $status) without its summary line: counted as one failure"
        total_failed=$((total_failed + 1))
        return
    fi
    passed=$(sed -E 's/^[a-z]+: ([0-9]+) passed.*/\1/' <<<"$summary")
    failed=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$summary")
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
        say "$label exited with status $status: counted as one failure"
        failed=1
    fi
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
}

start_postgres() {
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$pg_bin" ] || { say "no PostgreSQL server binaries found"; return 1; }
    mkdir -p "$work/pg"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$work/pg"
    # PostgreSQL refuses to run as root: the cluster belongs to the postgres user. No TCP at all;
    # the socket lives in the cluster's own directory.
    as_postgres "$pg_bin/initdb" -D "$pgdata" -A trust -U postgres --no-sync \
        >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; return 1; }
    as_postgres "$pg_bin/pg_ctl" start -D "$pgdata" -w -t 60 -l "$work/pg/server.log" \
        -o "-c listen_addresses='' -k $work/pg -c fsync=off" >/dev/null ||
        { cat "$work/pg/server.log" >&2; return 1; }
    export STARLING_TEST_PG_CONNINFO="host=$work/pg port=5432 user=postgres dbname=postgres"
}

install_missing "${build_packages[@]}" "${test_packages[@]}" || { total_failed=1; finish; }
# The browser test's modules (converse.js, playwright-core; tests/browser/package-lock.json),
# installed beside a copy of its script outside the source tree, which distcheck makes
# read-only. The scenarios find it through STARLING_BROWSER_DIR and keep the screenshots in
# test-artefacts/.
browser_dir="$work/browser"
mkdir -p "$browser_dir"
command -v npm >/dev/null || say "npm is missing: the browser scenarios will fail (they need Node.js 20 or later with npm)"
cp tests/browser/package.json tests/browser/package-lock.json tests/browser/converse_test.mjs \
    "$browser_dir"/
if ! (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error >"$work/npm.log" 2>&1); then
    cat "$work/npm.log" >&2
    say "npm ci failed in $browser_dir: the browser scenarios will fail"
fi
export STARLING_BROWSER_DIR="$browser_dir"
export STARLING_TEST_ARTEFACTS="$PWD/test-artefacts"
mkdir -p "$STARLING_TEST_ARTEFACTS"
if ! start_postgres; then
    say "PostgreSQL did not start; the PostgreSQL parts cannot run"
    total_failed=$((total_failed + 1))
fi

# build/ is configured for make dist, and for dev-server.sh; distcheck builds elsewhere.
if configure_in "$builddir" CXX="$(cached g++)" CXXFLAGS="-O2 -g"; then
    run_part distcheck 3000 scripts/distcheck.sh "$builddir"
else
    say "configure failed in $builddir"
    total_failed=$((total_failed + 1))
fi

# The same code under AddressSanitizer and UndefinedBehaviorSanitizer. A finding ends the process
# that made it with a report on its stderr: the test that ran it fails, and starlingd's report
# lands in its scenario's starlingd.out. Leak detection is on, with no suppressions: none of the
# libraries leaks at exit. -O0 compiles in a third of -O1's time, and the scenarios wait on
# sockets far more than they compute.
sanitizer_env=(
    ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
)
# Scenarios that measure what sanitizers change, left to the distcheck run: three bound the
# server's RSS, which shadow memory, redzones and the quarantine of freed blocks inflate; one
# exhausts the server's descriptors, and UBSan's vptr check, which probes memory through a pipe,
# then reports every virtual call as one on an invalid object. The federation interop runs
# under the sanitizers by dialback only (the path with the most s2s code), to keep the run short.
sanitizer_skips=(
    --skip preauth_hostile_stanza_is_refused_and_holds_no_memory
    --skip preauth_elements_in_one_long_namespace_share_it
    --skip r_flood_from_a_client_that_does_not_read_closes_its_stream
    --skip accept_without_descriptors_pauses_instead_of_spinning
    --skip federation_with_prosody
    --skip federation_with_ejabberd
)
if configure_in "$asan_builddir" CXX="$(cached clang++)" \
    CXXFLAGS="-O0 -gline-tables-only -fsanitize=address,undefined -fno-omit-frame-pointer" &&
    build_in "$asan_builddir" all tests/unit/run_unit tests/scenarios/run_scenarios; then
    run_part unit-asan 900 env "${sanitizer_env[@]}" "$asan_builddir/tests/unit/run_unit"
    run_part scenarios-asan 2400 env "${sanitizer_env[@]}" \
        "$asan_builddir/tests/scenarios/run_scenarios" --driver sqlite --python "$python" \
        "${sanitizer_skips[@]}"
else
    say "the sanitizer build failed"
    total_failed=$((total_failed + 1))
fi

run_part fuzz 900 scripts/fuzz.sh "$fuzz_seconds"
finish
