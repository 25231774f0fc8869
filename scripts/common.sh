# Shared by dev-server.sh and test-all.sh (sourced, not run): installing what is missing and
# building out of tree into build/.

# What building Starling needs on Debian 12.
build_packages=(build-essential autoconf automake libtool pkg-config ccache libexpat1-dev
    libssl-dev libboost1.74-dev libboost-program-options1.74-dev libyaml-cpp-dev libspdlog-dev
    libfmt-dev libpq-dev libsqlite3-dev libidn11-dev libidn2-dev libc-ares-dev libcppunit-dev
    libstrophe-dev libsignal-protocol-c-dev openssl)
# What running the tests needs on top: a PostgreSQL server, the interop client, clang with its
# runtime libraries for the libFuzzer targets (scripts/fuzz.sh), and the servers the federation
# tests federate with (Prosody, with libunbound to resolve through the tests' DNS stub, and
# ejabberd) with that stub's DNS library; and Chromium for the browser test, whose converse.js
# and playwright-core come from npm with the machine's Node.js (20 or later: Debian 12's own
# nodejs is 18, which playwright-core refuses, and its npm package conflicts with NodeSource's).
test_packages=(postgresql python3-slixmpp python3-aiohttp clang libclang-rt-14-dev prosody lua-unbound ejabberd
    python3-dnslib chromium)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs the packages that are not installed yet; apt-get update runs only if one is missing.
install_missing() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] ||
        die "missing packages: ${missing[*]} -- run this script as root (or with sudo)"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # Installing a server (PostgreSQL, Prosody, ejabberd) must not start its system instance:
    # the tests start their own, and nothing else should listen or run. policy-rc.d says so to
    # the packages' scripts, for this install only.
    local policy=/usr/sbin/policy-rc.d created="" status=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1
    fi
    apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
    [ -n "$created" ] && rm -f "$policy"
    return $status
}

# The compiler command for CXX: COMPILER behind ccache when ccache is installed.
cached() {
    if command -v ccache >/dev/null; then echo "ccache $1"; else echo "$1"; fi
}

# Bootstraps if needed and configures BUILDDIR once, with the configure arguments that follow
# (CXX=..., CXXFLAGS=...); a BUILDDIR that has a Makefile is left as it is.
configure_in() {
    local builddir=$1
    shift
    [ -x ./configure ] || { say "bootstrapping"; ./bootstrap; }
    mkdir -p "$builddir"
    [ -f "$builddir/Makefile" ] && return 0
    say "configuring $builddir ($*)"
    (cd "$builddir" && ../configure "$@") >/dev/null
}

# Configures BUILDDIR once if needed (g++, -O2 -g), then builds the given make targets in it.
build_in() {
    local builddir=$1
    shift
    configure_in "$builddir" CXX="$(cached g++)" CXXFLAGS="-O2 -g" || return
    say "building $* in $builddir"
    make -C "$builddir" -j"$(nproc)" "$@"
}
