#!/usr/bin/env bash
# make distcheck in BUILDDIR (default build/, configured by test-all.sh or dev-server.sh), the
# build of Starling as users get it: it makes the tarball; configures it out of tree, from a
# read-only copy, with g++ -O2; builds it and runs make check (the unit tests); installs it into
# a temporary prefix, where make installcheck runs every scenario against the installed
# starlingd, starlingctl, modules and migrations (on PostgreSQL when STARLING_TEST_PG_CONNINFO is
# set); uninstalls it and checks that nothing was left behind. A file missing from a local.mk
# fails it. Ends with "distcheck: N passed, N failed": the scenarios, and one more for the rest.
#
#   scripts/distcheck.sh [BUILDDIR]
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

builddir=${1:-build}
[ -f "$builddir/Makefile" ] || die "$builddir is not configured: run scripts/test-all.sh first"
log=$(mktemp /tmp/starling-distcheck.XXXXXX)
trap 'rm -f "$log"' EXIT
# No -g: this build is tested, not debugged, and debug info costs a third of its compile time.
# VERBOSE=1: a failing make check prints the unit tests' log.
make -C "$builddir" -j"$(nproc)" distcheck VERBOSE=1 \
    DISTCHECK_CONFIGURE_FLAGS="CXX='$(cached g++)' CXXFLAGS='-O2'" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
scenarios=$(grep -E '^scenarios: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
passed=$(sed -nE 's/^scenarios: ([0-9]+) passed.*/\1/p' <<<"$scenarios")
failed=$(sed -nE 's/.* ([0-9]+) failed$/\1/p' <<<"$scenarios")
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
elif [ "$failed" -eq 0 ]; then
    failed=1
fi
echo "distcheck: $passed passed, $failed failed"
[ "$status" -eq 0 ]
