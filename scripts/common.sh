# Shared by dev-server.sh and test-all.sh (sourced, not run): installing what is missing and
# building out of tree into build/.

# What building Starling needs on Debian 12.
build_packages=(build-essential autoconf automake libtool pkg-config ccache libexpat1-dev
    libssl-dev libboost1.74-dev libboost-program-options1.74-dev libyaml-cpp-dev libspdlog-dev
    libfmt-dev libpq-dev libsqlite3-dev libidn11-dev libidn2-dev libc-ares-dev libcppunit-dev
    libstrophe-dev libsignal-protocol-c-dev openssl)
# What running the tests needs on top: a PostgreSQL server and the interop client.
test_packages=(postgresql python3-slixmpp)

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
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Bootstraps if needed, configures build/ once, then builds the given make targets in it.
build_in() {
    local builddir=$1
    shift
    [ -x ./configure ] || { say "bootstrapping"; ./bootstrap; }
    mkdir -p "$builddir"
    if [ ! -f "$builddir/Makefile" ]; then
        local cxx=g++
        command -v ccache >/dev/null && cxx="ccache g++"
        say "configuring $builddir (CXX=$cxx)"
        (cd "$builddir" && ../configure CXX="$cxx" CXXFLAGS="-O2 -g") >/dev/null
    fi
    say "building $* in $builddir"
    make -C "$builddir" -j"$(nproc)" "$@"
}
