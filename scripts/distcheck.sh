#!/usr/bin/env bash
# make distcheck in BUILDDIR (default build/), reported as one test ("distcheck: N passed, N
# failed"). It makes the tarball; configures it out of tree, from a read-only copy, with the
# compiler and flags test-all.sh gives build/; builds it and runs make check; installs it into a
# temporary prefix, where make installcheck runs scenarios against the installed starlingd,
# starlingctl, modules and migrations (tests/scenarios/local.mk); uninstalls it and checks that
# nothing was left behind. A file missing from a local.mk fails it.
#
#   scripts/distcheck.sh [BUILDDIR]
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

builddir=${1:-build}
[ -f "$builddir/Makefile" ] || die "$builddir is not configured: build it first (scripts/test-all.sh)"
# With a base directory ccache hashes paths below it relative to where the compiler runs, so a
# second distcheck of the same tree hits the cache of the first.
export CCACHE_BASEDIR=$PWD
if make -C "$builddir" -j"$(nproc)" distcheck \
    DISTCHECK_CONFIGURE_FLAGS="CXX='$(cached g++)' CXXFLAGS='-O2 -g'"; then
    echo "distcheck: 1 passed, 0 failed"
else
    echo "distcheck: 0 passed, 1 failed"
    exit 1
fi
