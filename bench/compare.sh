#!/bin/bash
# bench/compare.sh: run the same xmpp-bench scenarios against Starling, Prosody and ejabberd, one
# server at a time, on loopback, and write a Markdown table of the figures and of the ratios
# Starling / Prosody and Starling / ejabberd.
#
# For each server: make a scratch directory, render bench/servers/<server>.* into it (one virtual
# host example.test on 127.0.0.1, STARTTLS on one port and direct TLS on another, the same
# self-signed certificate, no shaper or rate limit), start the server in the foreground as a child
# of this script, wait until its c2s port accepts, create the accounts by in-band registration,
# run the scenarios, stop the server by PID (SIGTERM, then SIGKILL), and move on to the next.
# The s2s scenarios then start a pair of the same server (a.example.test and b.example.test, each
# with a certificate from one private test CA, finding each other through a loopback DNS stub or,
# for Starling, s2s.hosts), register the accounts on both, and send from one to the other.
#
# Run it as root (Prosody and ejabberd run as their Debian users, through setpriv), from a build
# tree where `make` has built src/starlingd, the modules and bench/xmpp-bench.

set -uo pipefail

usage() {
    cat <<'EOF'
usage: bench/compare.sh [--builddir DIR] [--users N] [--repeat R] [--quick] [--profile P]
                        [--servers starling,prosody,ejabberd] [--scenarios LIST] [--out FILE.md]

  --builddir DIR   build tree with src/starlingd, modules/.libs and bench/xmpp-bench
                   (default: build/ at the top of this checkout)
  --users N        accounts on each server, and connections held by the idle scenario
                   (default 10000; 100 with --quick). The issue asks for 10000 and 19000; the
                   open-files hard limit (ulimit -Hn) caps N a little below it.
  --repeat R       runs of each throughput scenario; the table quotes the median (default 3;
                   1 with --quick)
  --quick          a smoke run: 100 clients, 2-second scenarios, 1000 offline messages
  --profile P      base (default): disco, roster, presence, offline and in-band registration.
                   mobile: base plus each server's message archive (XEP-0313, archiving every
                   chat message with a body), carbons (XEP-0280), PEP (XEP-0163), stream
                   management (XEP-0198) and client state indication (XEP-0352). xmpp-bench's
                   clients enable none of them, so what mobile adds to the figures is the
                   server-side cost of archiving and of having the modules loaded. After the
                   run, the report counts each server's archived messages.
  --servers LIST   which servers, in this order (default starling,prosody,ejabberd)
  --scenarios LIST which scenarios, of idle, idle_plain, login, chat_fixed, chat_fixed_plain,
                   chat_ws, chat_max, offline, muc, chat_s2s, chat_s2s_max (default all); the accounts
                   are always registered first. muc loads each server's MUC service (the lines
                   marked @MUC@ in bench/servers/*.in) on conference.example.test, for that run
                   only. chat_s2s and chat_s2s_max run on a pair of the same server,
                   a.example.test and b.example.test (the lines marked @S2S@), federating over
                   loopback with certificates from one private test CA (SASL EXTERNAL, no
                   dialback): the chat clients of a.example.test send to as many accounts of
                   b.example.test over one s2s stream, at the chat rate (chat_s2s) and as fast
                   as they are delivered (chat_s2s_max). Each chat_s2s run starts on a freshly
                   started pair, so its first message also times the s2s set-up. Prosody and
                   ejabberd find their peer through DNS: a stub on loopback
                   (tests/interop/federation/dns_stub.py, python3-dnslib) is their only resolver.
  --muc-big-room N occupants of muc's big room (default 1000; 50 with --quick); 0: none
  --muc-rooms N    rooms in muc, the big one included (default 10; 3 with --quick)
  --muc-occupants N  occupants of each other room (default 20; 10 with --quick)
  --muc-big-rate R messages/s into the big room (default 10)
  --muc-rate R     messages/s spread over the other rooms (default 90: 10 per room)
  --muc-chat-rate R  1:1 chat messages/s between the occupants beside the rooms (default 100)
  --out FILE.md    also copy the Markdown report there. It is always printed, and written to
                   report.md in the scratch directory /tmp/starling-compare.*, which is kept
                   with every server's config, log and raw JSON results.
EOF
}

die() { echo "compare.sh: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
builddir="$here/../build"
users=""
repeat=""
quick=0
profile=base
servers="starling,prosody,ejabberd"
all_scenarios="idle,idle_plain,login,chat_fixed,chat_fixed_plain,chat_ws,chat_max,offline,muc,chat_s2s,chat_s2s_max"
scenarios=$all_scenarios
out=""
work=""
muc_big_room=""
muc_rooms=""
muc_occupants=""
muc_big_rate=10
muc_rate=90
muc_chat_rate=100
while [ $# -gt 0 ]; do
    case $1 in
        --builddir) builddir=${2:?--builddir needs a directory}; shift 2 ;;
        --users) users=${2:?--users needs a number}; shift 2 ;;
        --repeat) repeat=${2:?--repeat needs a number}; shift 2 ;;
        --quick) quick=1; shift ;;
        --profile) profile=${2:?--profile needs base or mobile}; shift 2 ;;
        --servers) servers=${2:?--servers needs a list}; shift 2 ;;
        --scenarios) scenarios=${2:?--scenarios needs a list}; shift 2 ;;
        --out) out=${2:?--out needs a file}; shift 2 ;;
        --muc-big-room) muc_big_room=${2:?--muc-big-room needs a number}; shift 2 ;;
        --muc-rooms) muc_rooms=${2:?--muc-rooms needs a number}; shift 2 ;;
        --muc-occupants) muc_occupants=${2:?--muc-occupants needs a number}; shift 2 ;;
        --muc-big-rate) muc_big_rate=${2:?--muc-big-rate needs a rate}; shift 2 ;;
        --muc-rate) muc_rate=${2:?--muc-rate needs a rate}; shift 2 ;;
        --muc-chat-rate) muc_chat_rate=${2:?--muc-chat-rate needs a rate}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

# --- sizes -------------------------------------------------------------------------------------
if [ "$quick" = 1 ]; then
    users=${users:-100}
    repeat=${repeat:-1}
    chat_duration=2
    chat_grace=2
    idle_hold=2
    offline_messages=1000
    offline_grace=10
    muc_big_room=${muc_big_room:-50}
    muc_rooms=${muc_rooms:-3}
    muc_occupants=${muc_occupants:-10}
else
    users=${users:-10000}
    repeat=${repeat:-3}
    chat_duration=10
    chat_grace=5
    idle_hold=10
    offline_messages=10000
    offline_grace=30
    muc_big_room=${muc_big_room:-1000}
    muc_rooms=${muc_rooms:-10}
    muc_occupants=${muc_occupants:-20}
fi
[[ $users =~ ^[0-9]+$ ]] && [ "$users" -ge 2 ] || die "--users must be a number >= 2, got $users"
[[ $repeat =~ ^[0-9]+$ ]] && [ "$repeat" -ge 1 ] || die "--repeat must be a number >= 1, got $repeat"
case $profile in base|mobile) ;; *) die "--profile must be base or mobile, got \"$profile\"" ;; esac
IFS=, read -r -a scenario_list <<<"$scenarios"
for s in "${scenario_list[@]}"; do
    [[ ,$all_scenarios, == *,$s,* ]] || die "unknown scenario \"$s\" in --scenarios (use $all_scenarios)"
done
wanted() { [[ ,$scenarios, == *,$1,* ]]; }
# Whether any scenario runs on one server (then the accounts are registered there first), and
# whether any runs on an s2s pair.
single_wanted=0
s2s_wanted=0
for s in "${scenario_list[@]}"; do
    case $s in chat_s2s|chat_s2s_max) s2s_wanted=1 ;; *) single_wanted=1 ;; esac
done
for n in "$muc_big_room" "$muc_rooms" "$muc_occupants"; do
    [[ $n =~ ^[0-9]+$ ]] || die "--muc-big-room, --muc-rooms and --muc-occupants take numbers, got $n"
done
# Each account is in one room: the big room, then rooms-1 rooms of muc_occupants (or rooms of
# muc_occupants when there is no big room).
if [ "$muc_big_room" -gt 0 ]; then
    muc_accounts=$((muc_big_room + (muc_rooms - 1) * muc_occupants))
else
    muc_accounts=$((muc_rooms * muc_occupants))
fi
if wanted muc && [ "$muc_accounts" -gt "$users" ]; then
    die "muc needs $muc_accounts accounts but --users is $users"
fi
chat_clients=$((users < 1000 ? users : 1000))
chat_rate=5000
chat_window=8
# Generator threads where the generator's own CPU would otherwise be the limit (one thread was
# saturated driving Starling as fast as it goes); the same for every server.
generator_threads=2
concurrency=100
password="bench-password"
# Several source addresses, so the client side never runs short of ephemeral ports.
sources="127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4"
address=127.0.0.1

# --- tools -------------------------------------------------------------------------------------
[ -d "$builddir" ] || die "no build tree at $builddir; give --builddir"
builddir=$(cd "$builddir" && pwd)
xmpp_bench="$builddir/bench/xmpp-bench"
[ -x "$xmpp_bench" ] || die "$xmpp_bench is missing; run make in $builddir first"
srcdir=$(sed -n 's/^abs_top_srcdir = //p' "$builddir/Makefile" 2>/dev/null)
[ -n "$srcdir" ] || srcdir=$(cd "$here/.." && pwd)

IFS=, read -r -a server_list <<<"$servers"
for s in "${server_list[@]}"; do
    case $s in
        starling)
            starlingd=""
            for c in "$builddir/src/starlingd" "$builddir/starlingd"; do
                [ -x "$c" ] && { starlingd=$c; break; }
            done
            [ -n "$starlingd" ] || die "no starlingd in $builddir/src or $builddir"
            [ -d "$builddir/modules/.libs" ] || die "no modules in $builddir/modules/.libs" ;;
        prosody)
            command -v prosody >/dev/null || die "prosody is not installed (apt-get install prosody)"
            id prosody >/dev/null 2>&1 || die "there is no prosody user" ;;
        ejabberd)
            [ -x /usr/sbin/ejabberdctl ] || die "ejabberd is not installed (apt-get install ejabberd)"
            id ejabberd >/dev/null 2>&1 || die "there is no ejabberd user" ;;
        *) die "unknown server \"$s\" in --servers (use starling, prosody, ejabberd)" ;;
    esac
done
[ "$(id -u)" = 0 ] || die "run as root: Prosody and ejabberd are started as their own users"
for t in openssl jq setpriv timeout ss; do
    command -v $t >/dev/null || die "$t is needed"
done
dns_stub="$srcdir/tests/interop/federation/dns_stub.py"
if [ "$s2s_wanted" = 1 ]; then
    [ -f "$dns_stub" ] || die "the s2s scenarios need $dns_stub"
    /usr/bin/python3 -c 'import dnslib' 2>/dev/null ||
        die "the s2s scenarios need python3-dnslib for the DNS stub (apt-get install python3-dnslib)"
    # Without lua-unbound Prosody would ignore its resolver settings and ask /etc/resolv.conf's.
    if [[ ,$servers, == *,prosody,* ]]; then
        dpkg-query -W -f '${Status}' lua-unbound 2>/dev/null | grep -q 'ok installed' ||
            die "Prosody's s2s pair needs lua-unbound (apt-get install lua-unbound)"
    fi
fi

# Every server and the generator get the hard open-files limit (the servers inherit it).
ulimit -n "$(ulimit -Hn)" || die "cannot raise the open-files limit"
fd_limit=$(ulimit -n)
if [ "$users" -gt $((fd_limit - 500)) ]; then
    die "--users $users needs about $((users + 500)) open files per process; the limit is $fd_limit"
fi

work=$(mktemp -d /tmp/starling-compare.XXXXXX) || die "cannot make a scratch directory"
chmod 755 "$work"
mkdir -p "$work/results"
commands="$work/commands.txt"
: >"$commands"
log "scratch directory: $work"

# --- the shared certificate ------------------------------------------------------------------
# One self-signed P-256 certificate for example.test (CN and SAN), used by every server.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj /CN=example.test -addext subjectAltName=DNS:example.test \
    -keyout "$work/example.test.key" -out "$work/example.test.crt" >/dev/null 2>&1 ||
    die "openssl could not make the certificate"

# --- per-server state --------------------------------------------------------------------------
launcher_pid=""  # the child this script started (setpriv/ejabberdctl/starlingd)
main_pid=""      # the server process we signal and measure
server_dir=""
current=""
domain=example.test
cert=""
key=""
s2s=0            # 1 while an s2s pair runs: render keeps the @S2S@ lines
ejabberd_node=starlingbench

# Below the kernel's ephemeral range (32768 and up): with 19,000 client connections a port
# there may be some socket's local port, and ejabberd's distribution listener then fails with
# eaddrinuse (it does not set SO_REUSEADDR).
port_of() {
    case $1 in starling) echo 15222 ;; prosody) echo 25222 ;; ejabberd) echo 27222 ;; esac
}
tls_port_of() {
    case $1 in starling) echo 15223 ;; prosody) echo 25223 ;; ejabberd) echo 27223 ;; esac
}
# Each server's https listener, whose /xmpp-websocket chat_ws uses (RFC 7395 over TLS).
https_port_of() {
    case $1 in starling) echo 15443 ;; prosody) echo 25443 ;; ejabberd) echo 27443 ;; esac
}
ejabberd_dist_port=27270

# render TEMPLATE OUTPUT: substitutes the placeholders of bench/servers/*.in. A line that starts
# with @MOBILE@ belongs to the mobile profile: kept without the marker there, dropped in base, so
# that base renders exactly the configs of the issue-4 figures. A line that starts with @MUC@ is
# the MUC service, kept only while the muc scenario runs (muc_service=1), so that the other
# scenarios measure the servers without it. Lines that start with @S2S@ are kept only in an s2s
# pair (s2s=1), those with @NO_S2S@ only outside one.
render() {
    local profile_sed muc_sed s2s_sed no_s2s_sed
    if [ "$profile" = mobile ]; then profile_sed='s|^@MOBILE@||'; else profile_sed='/^@MOBILE@/d'; fi
    if [ "${muc_service:-0}" = 1 ]; then muc_sed='s|^@MUC@||'; else muc_sed='/^@MUC@/d'; fi
    if [ "$s2s" = 1 ]; then
        s2s_sed='s|^@S2S@||'
        no_s2s_sed='/^@NO_S2S@/d'
    else
        s2s_sed='/^@S2S@/d'
        no_s2s_sed='s|^@NO_S2S@||'
    fi
    sed -e "$profile_sed" -e "$muc_sed" -e "$s2s_sed" -e "$no_s2s_sed" \
        -e "s|@DOMAIN@|$domain|g" \
        -e "s|@DIR@|$server_dir|g" -e "s|@PORT@|$port|g" -e "s|@TLS_PORT@|$tls_port|g" \
        -e "s|@HTTPS_PORT@|${https_port:-}|g" \
        -e "s|@CERT@|$cert|g" -e "s|@KEY@|$key|g" -e "s|@ADDRESS@|$address|g" \
        -e "s|@S2S_PORT@|${s2s_port:-}|g" -e "s|@PEER_DOMAIN@|${peer_domain:-}|g" \
        -e "s|@PEER_S2S_PORT@|${peer_s2s_port:-}|g" -e "s|@CA@|${pair_ca:-}|g" \
        -e "s|@DNS_PORT@|${dns_port:-}|g" \
        -e "s|@MODULE_PATH@|$builddir/modules/.libs|g" -e "s|@SCHEMA_PATH@|$srcdir/schemas|g" \
        "$1" >"$2" || die "cannot render $1"
    grep -q '@[A-Z_]*@' "$2" && die "$2 still has a placeholder: $(grep -o '@[A-Z_]*@' "$2" | head -1)"
    return 0
}

port_busy() { ss -Htln "sport = :$1" | grep -q .; }

accepts() { (exec 3<>"/dev/tcp/$address/$1") 2>/dev/null; }

# wait_for_port PORT: until the port accepts, the server dies, or 90 s pass.
wait_for_port() {
    local i
    for i in $(seq 1 180); do
        accepts "$1" && return 0
        kill -0 "$launcher_pid" 2>/dev/null || return 1
        sleep 0.5
    done
    return 1
}

ejabberdctl_cmd() {
    (cd "$server_dir" && HOME="$server_dir" setpriv --reuid=ejabberd --regid=ejabberd --init-groups \
        /usr/sbin/ejabberdctl --config-dir "$server_dir" --ctl-config "$server_dir/ejabberdctl.cfg" \
        --spool "$server_dir/spool" --logs "$server_dir/logs" "$@")
}

start_starling() {
    render "$here/servers/starling.yml.in" "$server_dir/starling.yml"
    # A mobile module this build tree lacks (a branch without it) is left out and said so in the
    # report, rather than failing the run: the figures are then those of the modules listed.
    if [ "$profile" = mobile ]; then
        local m
        for m in $(sed -n 's/^@MOBILE@  - \([a-z_]*\).*/\1/p' "$here/servers/starling.yml.in"); do
            [ -e "$builddir/modules/.libs/mod_$m.so" ] && continue
            sed -i "/^  - $m\$/d" "$server_dir/starling.yml"
            grep -qx "starling: mod_$m is not built, left out of the mobile profile" "$meta" ||
                echo "starling: mod_$m is not built, left out of the mobile profile" >>"$meta"
            log "starling: mod_$m is not built; left out of the mobile profile"
        done
    fi
    "$starlingd" --config "$server_dir/starling.yml" --check-config >"$server_dir/check.log" 2>&1 ||
        { cat "$server_dir/check.log" >&2; return 1; }
    echo "$starlingd --config $server_dir/starling.yml" >>"$commands"
    "$starlingd" --config "$server_dir/starling.yml" >"$server_dir/stdout.log" 2>&1 &
    launcher_pid=$!
    main_pid=$launcher_pid
    wait_for_port "$port"
}

start_prosody() {
    render "$here/servers/prosody.cfg.lua.in" "$server_dir/prosody.cfg.lua"
    mkdir -p "$server_dir/data"
    chown -R prosody:prosody "$server_dir"
    # -F keeps it in the foreground; setpriv execs, so $! is Prosody's own PID.
    local cmd=(setpriv --reuid=prosody --regid=prosody --init-groups
               prosody -F --config "$server_dir/prosody.cfg.lua")
    echo "${cmd[*]}" >>"$commands"
    "${cmd[@]}" >"$server_dir/stdout.log" 2>&1 &
    launcher_pid=$!
    main_pid=$launcher_pid
    wait_for_port "$port"
}

start_ejabberd() {
    render "$here/servers/ejabberd.yml.in" "$server_dir/ejabberd.yml"
    mkdir -p "$server_dir/spool" "$server_dir/logs"
    if [ "$s2s" = 1 ]; then
        # As tests/interop/federation/servers.py: the Erlang resolver (inet_res, which looks up
        # the peer's SRV record) asks the stub only. The SRV target is "localhost", which
        # ejabberd resolves with libc (getaddrinfo) from /etc/hosts, without a DNS query.
        cat >"$server_dir/inetrc" <<EOF
{resolv_conf, ""}.
{hosts_file, ""}.
{host, {127,0,0,1}, ["localhost"]}.
{nameserver, {127,0,0,1}, $dns_port}.
{lookup, [file, dns]}.
{timeout, 2000}.
{retry, 2}.
EOF
    else
        cp /etc/ejabberd/inetrc "$server_dir/inetrc" 2>/dev/null || : >"$server_dir/inetrc"
    fi
    # ejabberdctl sources this file after its command line, so it must name our config, or the
    # system's /etc/ejabberd/ejabberd.yml wins. ERL_DIST_PORT makes the node listen on a fixed
    # distribution port without epmd, so nothing is shared with a system instance.
    cat >"$server_dir/ejabberdctl.cfg" <<EOF
ERLANG_NODE=$ejabberd_node@localhost
ERL_DIST_PORT=$ejabberd_dist_port
INET_DIST_INTERFACE=127.0.0.1
ERL_MAX_PORTS=$((fd_limit + 1000))
ERL_PROCESSES=2000000
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
EJABBERD_PID_PATH=$server_dir/ejabberd.pid
EJABBERD_CONFIG_PATH=$server_dir/ejabberd.yml
CONTRIB_MODULES_PATH=$server_dir/contrib
CONTRIB_MODULES_CONF_DIR=$server_dir/modules.d
EJABBERD_BYPASS_WARNINGS=true
EOF
    # A private Erlang cookie ($HOME is the scratch directory).
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$server_dir/.erlang.cookie"
    chmod 400 "$server_dir/.erlang.cookie"
    chown -R ejabberd:ejabberd "$server_dir"
    echo "HOME=$server_dir setpriv --reuid=ejabberd --regid=ejabberd --init-groups" \
        "ejabberdctl --config-dir $server_dir --ctl-config $server_dir/ejabberdctl.cfg" \
        "--spool $server_dir/spool --logs $server_dir/logs foreground" >>"$commands"
    (cd "$server_dir" && HOME="$server_dir" exec setpriv --reuid=ejabberd --regid=ejabberd \
        --init-groups /usr/sbin/ejabberdctl --config-dir "$server_dir" \
        --ctl-config "$server_dir/ejabberdctl.cfg" --spool "$server_dir/spool" \
        --logs "$server_dir/logs" foreground) >"$server_dir/stdout.log" 2>&1 &
    launcher_pid=$!
    wait_for_port "$port" || return 1
    # ejabberdctl (bash) runs erl, which execs beam.smp: the VM is the launcher's child. Its own
    # child erl_child_setup only forks ports; no epmd runs (ERL_DIST_PORT). We measure beam.smp.
    main_pid=$(ps -o pid=,comm= --ppid "$launcher_pid" | awk '$2 == "beam.smp" {print $1}')
    [ -n "$main_pid" ] || { echo "no beam.smp under ejabberdctl ($launcher_pid)" >&2; return 1; }
    ejabberdctl_cmd status >"$server_dir/status.txt" 2>&1 || true
}

# stop_server: SIGTERM to the server's PID, SIGKILL after 30 s, then reap the launcher.
stop_server() {
    [ -n "$launcher_pid" ] || return 0
    local pid=${main_pid:-$launcher_pid} i
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for i in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "$current (PID $pid) did not stop within 30 s of SIGTERM: SIGKILL"
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    if kill -0 "$launcher_pid" 2>/dev/null; then
        for i in $(seq 1 20); do
            kill -0 "$launcher_pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -0 "$launcher_pid" 2>/dev/null && kill -KILL "$launcher_pid" 2>/dev/null
    fi
    wait "$launcher_pid" 2>/dev/null
    launcher_pid=""
    main_pid=""
}

on_exit() {
    stop_server
    [ "$s2s" = 1 ] && stop_pair
    [ -n "$work" ] && echo "compare.sh: configs, logs and raw results are in $work" >&2
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# run_bench TAG TIMEOUT ARGS...: one xmpp-bench run against the current server; its JSON goes
# to results/<server>/<TAG>.json. A run that fails leaves a .err file and no .json.
run_bench() {
    local tag=$1 limit=$2
    shift 2
    local res="$work/results/$current"
    local cmd=("$xmpp_bench" "$@" --host "$address" --port "${bench_port:-$port}" --domain "$domain"
               --user-prefix bench --password "$password" --sources "$sources"
               --server-pid "$main_pid" --output json)
    echo "${cmd[*]}" >>"$commands"
    log "$current: $tag"
    if timeout --kill-after=10 "$limit" "${cmd[@]}" >"$res/$tag.out" 2>"$res/$tag.err" &&
        jq -e . "$res/$tag.out" >/dev/null 2>&1; then
        mv "$res/$tag.out" "$res/$tag.json"
    else
        log "$current: $tag failed (exit $?): $(tail -c 300 "$res/$tag.err" | tr '\n' ' ')"
    fi
    # Let the server close the sessions before the next run measures anything.
    sleep 2
    wait_quiet "$tag"
}

# cpu_ticks PID: utime + stime of the process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }

# wait_quiet TAG: until the server uses less than a tenth of a core over a second, at most 60 s.
# A server that could not keep up with a run still has its queue to work off (and, in the mobile
# profile, to archive); without this the next run would measure that backlog as its own. A wait
# longer than the first second is written to quiet.txt, and the report lists it.
wait_quiet() {
    local tick before after waited=0 quiet=0
    tick=$(getconf CLK_TCK)
    before=$(cpu_ticks "$main_pid")
    [ -n "$before" ] || return 0
    while [ "$waited" -lt 60 ]; do
        sleep 1
        waited=$((waited + 1))
        after=$(cpu_ticks "$main_pid")
        [ -n "$after" ] || return 0
        [ $(((after - before) * 10)) -lt "$tick" ] && { quiet=1; break; }
        before=$after
    done
    if [ "$quiet" = 0 ]; then
        echo "$current after $1: still busy after 60 s" >>"$work/quiet.txt"
    elif [ "$waited" -gt 1 ]; then
        echo "$current after $1: ${waited} s until quiet" >>"$work/quiet.txt"
    fi
    return 0
}

# restart_server: the same server as a fresh process, so that an idle scenario's RSS delta counts
# its own connections only (memory an earlier scenario freed would be reused, uncounted).
restart_server() {
    stop_server
    "start_$current" && log "$current restarted, PID $main_pid" && return 0
    log "$current did not restart"
    return 1
}

run_scenarios() {
    local r slow=600
    run_bench register "$slow" --scenario register --users "$users" --first 1 \
        --concurrency "$concurrency"
    if wanted idle; then
        restart_server || return 1
        run_bench idle $((idle_hold + slow)) --scenario idle --users "$users" --first 1 \
            --tls starttls --concurrency "$concurrency" --hold "$idle_hold"
    fi
    if wanted idle_plain; then
        restart_server || return 1
        run_bench idle_plain $((idle_hold + slow)) --scenario idle --users "$users" --first 1 \
            --tls none --concurrency "$concurrency" --hold "$idle_hold"
    fi
    for r in $(seq 1 "$repeat"); do
        wanted login && run_bench "login.$r" "$slow" --scenario login --users "$users" --first 1 \
            --concurrency "$concurrency" --roster-get --threads "$generator_threads"
    done
    for r in $(seq 1 "$repeat"); do
        wanted chat_fixed && run_bench "chat_fixed.$r" $((chat_duration + chat_grace + slow)) \
            --scenario chat --users "$chat_clients" --first 1 --concurrency "$concurrency" \
            --rate "$chat_rate" --window "$chat_window" --duration "$chat_duration" \
            --grace "$chat_grace"
        wanted chat_fixed_plain && run_bench "chat_fixed_plain.$r" \
            $((chat_duration + chat_grace + slow)) --scenario chat --tls none \
            --users "$chat_clients" --first 1 --concurrency "$concurrency" --rate "$chat_rate" \
            --window "$chat_window" --duration "$chat_duration" --grace "$chat_grace"
        # The same chat over wss on each server's https listener, one stanza per message.
        wanted chat_ws && bench_port=$https_port run_bench "chat_ws.$r" \
            $((chat_duration + chat_grace + slow)) --scenario chat --tls direct \
            --websocket /xmpp-websocket --users "$chat_clients" --first 1 \
            --concurrency "$concurrency" --rate "$chat_rate" --window "$chat_window" \
            --duration "$chat_duration" --grace "$chat_grace"
    done
    for r in $(seq 1 "$repeat"); do
        wanted chat_max && run_bench "chat_max.$r" $((chat_duration + chat_grace + slow)) \
            --scenario chat --users "$chat_clients" --first 1 --concurrency "$concurrency" \
            --rate 0 --window "$chat_window" --duration "$chat_duration" --grace "$chat_grace" \
            --threads "$generator_threads"
    done
    for r in $(seq 1 "$repeat"); do
        # The grace period is how long the receiver waits for the queue to drain: long enough
        # for a server far slower than the design's 10k messages in 1 s to report its time.
        wanted offline && run_bench "offline.$r" "$slow" --scenario offline --users 2 --first 1 \
            --messages "$offline_messages" --grace "$offline_grace"
    done
    if wanted muc; then
        # The same server with its MUC service loaded, then the configs without it again.
        muc_service=1
        restart_server || { muc_service=0; return 1; }
        local big=()
        [ "$muc_big_room" -gt 0 ] && big=(--big-room "$muc_big_room" --big-room-rate "$muc_big_rate")
        for r in $(seq 1 "$repeat"); do
            run_bench "muc.$r" $((chat_duration + chat_grace + slow)) --scenario muc --first 1 \
                --concurrency "$concurrency" --rooms "$muc_rooms" --occupants "$muc_occupants" \
                "${big[@]}" --rate "$muc_rate" --chat-rate "$muc_chat_rate" \
                --duration "$chat_duration" --grace "$chat_grace"
        done
        muc_service=0
    fi
    return 0
}

# --- s2s pairs ----------------------------------------------------------------------------------
# Two instances of the current server kind, a.example.test and b.example.test, each with its own
# certificate from one private test CA (made as tests/interop/federation/servers.py makes it), so
# that each authenticates the other by SASL EXTERNAL.
declare -A side_launcher side_main
pair_ca=""
dns_pid=""
dns_port=""

# make_pair_pki: the CA and the two domains' certificates, once per run.
make_pair_pki() {
    local pki="$work/pki" d
    [ -n "$pair_ca" ] && return 0
    mkdir -p "$pki" && chmod 755 "$pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
        -subj "/CN=Starling benchmark s2s CA" -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$pki/ca.key" -out "$pki/ca.crt" >/dev/null 2>&1 || die "openssl could not make the CA"
    for d in a.example.test b.example.test; do
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$d" \
            -keyout "$pki/$d.key" -out "$pki/$d.csr" >/dev/null 2>&1 &&
            printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$d" >"$pki/$d.ext" &&
            openssl x509 -req -in "$pki/$d.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
                -CAcreateserial -days 30 -extfile "$pki/$d.ext" -out "$pki/$d.crt" >/dev/null 2>&1 ||
            die "openssl could not make the certificate of $d"
    done
    chmod 644 "$pki/ca.crt"
    pair_ca="$pki/ca.crt"
}

# pair_port SIDE: side a's or b's STARTTLS c2s port; direct TLS is the next, s2s the one after.
pair_port() {
    echo $(($(port_of "$current") + $([ "$1" = a ] && echo 10 || echo 20)))
}

# select_side a|b: points the variables that start_*, render and run_bench use (domain, ports,
# scratch directory, certificate, ejabberd's node, the PIDs) at one side of the pair.
select_side() {
    local side=$1 other
    [ "$side" = a ] && other=b || other=a
    domain=$side.example.test
    peer_domain=$other.example.test
    port=$(pair_port "$side")
    tls_port=$((port + 1))
    s2s_port=$((port + 2))
    peer_s2s_port=$(($(pair_port "$other") + 2))
    server_dir="$work/$current-s2s-$side"
    cert="$server_dir/certs/$domain.crt"
    key="$server_dir/certs/$domain.key"
    ejabberd_node=starlingbench_$side
    ejabberd_dist_port=$([ "$side" = a ] && echo 27271 || echo 27272)
    launcher_pid=${side_launcher[$side]:-}
    main_pid=${side_main[$side]:-}
}

# start_dns_stub: the loopback DNS stub of the federation interop test, with the SRV records of
# both domains (and their A records, for Prosody, which resolves the SRV target through the stub
# too; ejabberd's target is localhost, from /etc/hosts). It picks a free port and writes it down.
start_dns_stub() {
    local i target_a=a.example.test target_b=b.example.test
    [ "$current" = ejabberd ] && { target_a=localhost; target_b=localhost; }
    cat >"$work/$current-dns-zone.json" <<EOF
{"a": {"a.example.test": "127.0.0.1", "b.example.test": "127.0.0.1"},
 "srv": {"_xmpp-server._tcp.a.example.test": [[0, 5, $(($(pair_port a) + 2)), "$target_a"]],
         "_xmpp-server._tcp.b.example.test": [[0, 5, $(($(pair_port b) + 2)), "$target_b"]]}}
EOF
    rm -f "$work/$current-dns-port"
    /usr/bin/python3 "$dns_stub" --zone "$work/$current-dns-zone.json" \
        --log "$work/$current-dns-queries.log" --port-file "$work/$current-dns-port" \
        >"$work/$current-dns-stub.out" 2>&1 &
    dns_pid=$!
    for i in $(seq 1 50); do
        [ -s "$work/$current-dns-port" ] && { dns_port=$(cat "$work/$current-dns-port"); return 0; }
        kill -0 "$dns_pid" 2>/dev/null || break
        sleep 0.2
    done
    log "the DNS stub did not start: $(tail -c 300 "$work/$current-dns-stub.out")"
    return 1
}

stop_dns_stub() {
    [ -n "$dns_pid" ] || return 0
    kill -TERM "$dns_pid" 2>/dev/null
    wait "$dns_pid" 2>/dev/null
    dns_pid=""
}

# start_pair: the DNS stub, then side a and side b of the current server kind.
start_pair() {
    local side p
    s2s=1
    make_pair_pki
    start_dns_stub || return 1
    for side in a b; do
        select_side "$side"
        mkdir -p "$server_dir/certs"
        cp "$work/pki/$domain.crt" "$work/pki/$domain.key" "$server_dir/certs/"
        for p in "$port" "$tls_port" "$s2s_port" $([ "$current" = ejabberd ] && echo "$ejabberd_dist_port"); do
            port_busy "$p" && { log "port $p is already in use"; return 1; }
        done
        "start_$current"
        side_launcher[$side]=$launcher_pid
        side_main[$side]=$main_pid
        if [ -z "$main_pid" ] || ! wait_for_port "$s2s_port"; then
            log "$current ($domain) did not start; its log:"
            tail -n 30 "$server_dir"/*.log "$server_dir"/logs/*.log >&2 2>/dev/null
            return 1
        fi
        log "$current ($domain) is up, PID $main_pid, c2s $port, s2s $s2s_port"
    done
}

# stop_pair: both sides by PID, then the stub.
stop_pair() {
    local side
    for side in b a; do
        select_side "$side"
        stop_server
        side_launcher[$side]=""
        side_main[$side]=""
    done
    stop_dns_stub
    s2s=0
}

# run_s2s_scenarios: on a pair of the current server kind, register chat_clients accounts on each
# side, then chat from a to b. Every chat_s2s run gets a freshly started pair, so that the first
# message of each sets the s2s stream up (s2s_setup_ms); chat_s2s_max runs on the last pair, over
# the stream already open.
run_s2s_scenarios() {
    local r side slow=600 b_port b_pid
    for r in $(seq 1 "$repeat"); do
        if [ "$r" = 1 ] || wanted chat_s2s; then
            [ "$r" = 1 ] || stop_pair
            start_pair || { stop_pair; return 1; }
        fi
        if [ "$r" = 1 ]; then
            for side in a b; do
                select_side "$side"
                record_version
                run_bench "s2s_register_$side" "$slow" --scenario register --users "$chat_clients" \
                    --first 1 --concurrency "$concurrency"
            done
        fi
        select_side b
        b_port=$port
        b_pid=$main_pid
        select_side a
        wanted chat_s2s && run_bench "chat_s2s.$r" $((chat_duration + chat_grace + slow)) \
            --scenario chat --users "$chat_clients" --first 1 --concurrency "$concurrency" \
            --peer-domain b.example.test --peer-port "$b_port" --server-pid "$b_pid" \
            --rate "$chat_rate" --window "$chat_window" --duration "$chat_duration" \
            --grace "$chat_grace"
    done
    for r in $(seq 1 "$repeat"); do
        wanted chat_s2s_max && run_bench "chat_s2s_max.$r" $((chat_duration + chat_grace + slow)) \
            --scenario chat --users "$chat_clients" --first 1 --concurrency "$concurrency" \
            --peer-domain b.example.test --peer-port "$b_port" --server-pid "$b_pid" \
            --rate 0 --window "$chat_window" --duration "$chat_duration" --grace "$chat_grace" \
            --threads "$generator_threads"
    done
    stop_pair
    return 0
}

# count_archive: after the server stopped, how many messages its archive holds (one line of
# archive.txt). In the mobile profile every server should archive each chat message twice (the
# sender's copy and the recipient's), so a count far below that means a module did nothing and
# its figures are not the cost of archiving. Counted from the store on disc, after the stop, so
# that everything the server accepted has been written.
count_archive() {
    local n=""
    case $current in
        starling)
            n=$(/usr/bin/python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM archive_messages").fetchone()[0])' \
                "$server_dir/starling.db" 2>/dev/null) ;;
        prosody)
            # mod_storage_internal appends one item({...}) call per message to
            # data/<host>/archive/<user>.list.
            n=$(cat "$server_dir"/data/example%2etest/archive/*.list 2>/dev/null | grep -c '^item(') ;;
        ejabberd)
            # mod_mam_mnesia's archive_msg table is disc_only_copies: a dets file in the spool
            # (a bag keyed by the record's first field), closed by the stop, so it can be opened
            # read-only here.
            n=$(ERL_CRASH_DUMP_BYTES=0 erl -noshell -eval '{ok, T} = dets:open_file(t, [{file, "'"$server_dir"'/spool/archive_msg.DAT"}, {access, read}, {type, bag}, {keypos, 2}]), io:format("~b", [dets:info(T, size)]), halt().' 2>/dev/null)
            [[ $n =~ ^[0-9]+$ ]] || n="" ;;
    esac
    echo "$current: ${n:-?} archived messages" >>"$work/archive.txt"
    log "$current archive: ${n:-?} messages"
}

# --- the machine and the versions ------------------------------------------------------------
meta="$work/meta.txt"
{
    echo "machine: $(nproc) CPUs ($(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))," \
        "$(awk '/^MemTotal/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo)," \
        "kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "open files per process: $fd_limit; scratch filesystem: $(df -PT "$work" | awk 'NR == 2 {print $2}')"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "profile: $profile"
} >"$meta"
versions="$work/versions.txt"
: >"$versions"

# record_version: one line per server kind in versions.txt, from the server just started.
record_version() {
    local label
    case $current in starling) label=Starling ;; prosody) label=Prosody ;; ejabberd) label=ejabberd ;; esac
    grep -q "^$label:" "$versions" 2>/dev/null && return 0
    case $current in
        starling) echo "Starling: $("$starlingd" --version 2>&1 | head -1)" >>"$versions" ;;
        prosody) echo "Prosody: $(dpkg-query -W -f '${Version}' prosody) (Debian package)," \
            "$(dpkg-query -W -f 'lua5.4 ${Version}' lua5.4 2>/dev/null)," \
            "network backend epoll" >>"$versions" ;;
        ejabberd) echo "ejabberd: $(dpkg-query -W -f '${Version}' ejabberd) (Debian package)," \
            "Erlang/OTP $(dpkg-query -W -f '${Version}' erlang-base 2>/dev/null);" \
            "$(tr '\n' ' ' <"$server_dir/status.txt" 2>/dev/null)" >>"$versions" ;;
    esac
}

# run_single_server: the current server kind alone on example.test, and its scenarios.
run_single_server() {
    domain=example.test
    port=$(port_of "$current")
    tls_port=$(tls_port_of "$current")
    https_port=$(https_port_of "$current")
    server_dir="$work/$current"
    cert="$server_dir/certs/example.test.crt"
    key="$server_dir/certs/example.test.key"
    ejabberd_node=starlingbench
    ejabberd_dist_port=27270
    mkdir -p "$server_dir/certs"
    cp "$work/example.test.crt" "$work/example.test.key" "$server_dir/certs/"
    for p in "$port" "$tls_port" $([ "$current" = ejabberd ] && echo $ejabberd_dist_port); do
        port_busy "$p" && die "port $p is already in use; stop whatever listens there"
    done
    log "starting $current on $address:$port (STARTTLS) and :$tls_port (direct TLS)"
    if ! "start_$current"; then
        log "$current did not start; its log:"
        tail -n 30 "$server_dir"/*.log >&2 2>/dev/null
        stop_server
        return 1
    fi
    log "$current is up, PID $main_pid"
    record_version
    run_scenarios
    rss=$(awk '/^VmHWM/ {print $2}' "/proc/$main_pid/status" 2>/dev/null)
    echo "$current peak RSS: ${rss:-?} kB" >>"$meta"
    stop_server
    log "$current stopped"
    [ "$profile" = mobile ] && count_archive
    return 0
}

# --- run ---------------------------------------------------------------------------------------
for current in "${server_list[@]}"; do
    mkdir -p "$work/results/$current"
    [ "$single_wanted" = 1 ] && run_single_server
    if [ "$s2s_wanted" = 1 ]; then
        log "$current: s2s pair"
        run_s2s_scenarios || log "$current: the s2s pair did not run"
    fi
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$meta"

# --- the report --------------------------------------------------------------------------------
report="$work/report.md"
muc_desc="$muc_rooms rooms"
[ "$muc_big_room" -gt 0 ] && muc_desc="$muc_desc: 1 of $muc_big_room occupants at $muc_big_rate msgs/s and $((muc_rooms - 1)) of $muc_occupants sharing $muc_rate msgs/s" ||
    muc_desc="$muc_desc of $muc_occupants sharing $muc_rate msgs/s"
muc_desc="$muc_desc, 1:1 chat at $muc_chat_rate/s, $chat_duration s"
/usr/bin/python3 - "$work" "$servers" "$repeat" "$users" "$chat_clients" "$chat_rate" \
    "$chat_duration" "$offline_messages" "$quick" "$profile" "$muc_desc" >"$report" <<'PYTHON'
import json, os, statistics, sys

(work, servers, repeat, users, chat_clients, chat_rate, duration, offline_messages, quick,
 profile, muc_desc) = sys.argv[1:]
servers = servers.split(",")
names = {"starling": "Starling", "prosody": "Prosody", "ejabberd": "ejabberd"}

def runs(server, tag):
    out = []
    d = os.path.join(work, "results", server)
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if f.endswith(".json") and (f == tag + ".json" or f.startswith(tag + ".")):
            with open(os.path.join(d, f)) as fh:
                out.append(json.load(fh))
    return out

def get(doc, path):
    for key in path.split("."):
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc if isinstance(doc, (int, float)) else None

def value(server, tag, path, derive=None):
    vals = []
    for doc in runs(server, tag):
        v = derive(doc) if derive else get(doc, path)
        if v is not None:
            vals.append(v)
    return (statistics.median(vals), len(vals)) if vals else (None, 0)

def rate_of(count, seconds):
    def f(doc):
        c, s = get(doc, count), get(doc, seconds)
        return c / s if c is not None and s else None
    return f

R = f"median of {repeat}" if int(repeat) > 1 else "1 run"
rows = [
    # (figure, tag, json path or derive, better)
    (f"register: accounts created per s ({users} accounts, in-band)", "register", None, "higher",
     rate_of("created", "seconds")),
    ("register: failed", "register", "failed", "lower", None),
    (f"idle: connections held (STARTTLS, asked {users})", "idle", "connections", "higher", None),
    ("idle: server bytes per connection", "idle", "bytes_per_connection", "lower", None),
    ("idle: server RSS before, kB", "idle", "server_rss_before_kb", "lower", None),
    ("idle: server RSS after, kB", "idle", "server_rss_after_kb", "lower", None),
    ("idle: kernel socket memory, kB", "idle", "kernel_sockets_kb", "lower", None),
    (f"idle plain TCP: connections held (asked {users})", "idle_plain", "connections", "higher",
     None),
    ("idle plain TCP: server bytes per connection", "idle_plain", "bytes_per_connection", "lower",
     None),
    (f"login storm: logins per s ({users}, SCRAM-SHA-256 + bind + roster; {R})", "login",
     "logins_per_s", "higher", None),
    ("login storm: login p50, ms", "login", "login_ms.p50", "lower", None),
    ("login storm: login p99, ms", "login", "login_ms.p99", "lower", None),
    ("login storm: failed", "login", "failed", "lower", None),
    ("login storm: server CPU, s", "login", "server_cpu_s", "lower", None),
    ("login storm: generator CPU, s", "login", "generator_cpu_s", "lower", None),
    (f"chat at {chat_rate}/s, {chat_clients} clients, {duration} s: delivered per s ({R})",
     "chat_fixed", "delivered_per_s", "higher", None),
    ("chat fixed rate: sent per s", "chat_fixed", "sent_per_s", "higher", None),
    ("chat fixed rate: latency p50, ms", "chat_fixed", "latency_ms.p50", "lower", None),
    ("chat fixed rate: latency p90, ms", "chat_fixed", "latency_ms.p90", "lower", None),
    ("chat fixed rate: latency p99, ms", "chat_fixed", "latency_ms.p99", "lower", None),
    ("chat fixed rate: latency p99.9, ms", "chat_fixed", "latency_ms.p999", "lower", None),
    ("chat fixed rate: latency max, ms", "chat_fixed", "latency_ms.max", "lower", None),
    ("chat fixed rate: server CPU ms per 1k messages", "chat_fixed", "server_cpu_ms_per_1k_msgs",
     "lower", None),
    ("chat fixed rate: lost", "chat_fixed", "lost", "lower", None),
    ("chat fixed rate: duplicated", "chat_fixed", "duplicated", "lower", None),
    ("chat fixed rate: bounced", "chat_fixed", "bounced", "lower", None),
    ("chat fixed rate: dropped connections", "chat_fixed", "dropped_connections", "lower", None),
    ("chat fixed rate: generator CPU, s", "chat_fixed", "generator_cpu_s", "lower", None),
    (f"chat at {chat_rate}/s over plain TCP: delivered per s ({R})", "chat_fixed_plain",
     "delivered_per_s", "higher", None),
    ("chat fixed rate, plain TCP: latency p50, ms", "chat_fixed_plain", "latency_ms.p50", "lower",
     None),
    ("chat fixed rate, plain TCP: latency p99, ms", "chat_fixed_plain", "latency_ms.p99", "lower",
     None),
    ("chat fixed rate, plain TCP: latency max, ms", "chat_fixed_plain", "latency_ms.max", "lower",
     None),
    ("chat fixed rate, plain TCP: server CPU ms per 1k messages", "chat_fixed_plain",
     "server_cpu_ms_per_1k_msgs", "lower", None),
    ("chat fixed rate, plain TCP: lost", "chat_fixed_plain", "lost", "lower", None),
    (f"chat at {chat_rate}/s over WebSocket (wss): delivered per s ({R})", "chat_ws",
     "delivered_per_s", "higher", None),
    ("chat fixed rate, WebSocket: latency p50, ms", "chat_ws", "latency_ms.p50", "lower", None),
    ("chat fixed rate, WebSocket: latency p99, ms", "chat_ws", "latency_ms.p99", "lower", None),
    ("chat fixed rate, WebSocket: latency max, ms", "chat_ws", "latency_ms.max", "lower", None),
    ("chat fixed rate, WebSocket: server CPU ms per 1k messages", "chat_ws",
     "server_cpu_ms_per_1k_msgs", "lower", None),
    ("chat fixed rate, WebSocket: lost", "chat_ws", "lost", "lower", None),
    (f"chat as fast as possible, {chat_clients} clients, {duration} s: delivered per s ({R})",
     "chat_max", "delivered_per_s", "higher", None),
    ("chat max: latency p50, ms", "chat_max", "latency_ms.p50", "lower", None),
    ("chat max: latency p99, ms", "chat_max", "latency_ms.p99", "lower", None),
    ("chat max: server CPU ms per 1k messages", "chat_max", "server_cpu_ms_per_1k_msgs", "lower",
     None),
    ("chat max: lost", "chat_max", "lost", "lower", None),
    ("chat max: dropped connections", "chat_max", "dropped_connections", "lower", None),
    ("chat max: generator CPU, s", "chat_max", "generator_cpu_s", "lower", None),
    (f"chat over s2s at {chat_rate}/s, {chat_clients} senders on a.example.test to "
     f"{chat_clients} accounts on b.example.test, {duration} s: delivered per s ({R})",
     "chat_s2s", "delivered_per_s", "higher", None),
    ("chat over s2s, fixed rate: latency p50, ms", "chat_s2s", "latency_ms.p50", "lower", None),
    ("chat over s2s, fixed rate: latency p90, ms", "chat_s2s", "latency_ms.p90", "lower", None),
    ("chat over s2s, fixed rate: latency p99, ms", "chat_s2s", "latency_ms.p99", "lower", None),
    ("chat over s2s, fixed rate: latency p99.9, ms", "chat_s2s", "latency_ms.p999", "lower", None),
    ("chat over s2s, fixed rate: latency max, ms", "chat_s2s", "latency_ms.max", "lower", None),
    ("chat over s2s, fixed rate: CPU of both servers, ms per 1k messages", "chat_s2s",
     "server_cpu_ms_per_1k_msgs", "lower", None),
    ("chat over s2s, fixed rate: lost", "chat_s2s", "lost", "lower", None),
    ("chat over s2s, fixed rate: bounced", "chat_s2s", "bounced", "lower", None),
    (f"s2s set-up on a fresh pair (first message, TLS + EXTERNAL), ms ({R})", "chat_s2s",
     "s2s_setup_ms", "lower", None),
    (f"chat over s2s as fast as possible, {chat_clients} senders: delivered per s ({R})",
     "chat_s2s_max", "delivered_per_s", "higher", None),
    ("chat over s2s max: latency p50, ms", "chat_s2s_max", "latency_ms.p50", "lower", None),
    ("chat over s2s max: latency p99, ms", "chat_s2s_max", "latency_ms.p99", "lower", None),
    ("chat over s2s max: CPU of both servers, ms per 1k messages", "chat_s2s_max",
     "server_cpu_ms_per_1k_msgs", "lower", None),
    ("chat over s2s max: lost", "chat_s2s_max", "lost", "lower", None),
    ("chat over s2s max: generator CPU, s", "chat_s2s_max", "generator_cpu_s", "lower", None),
    (f"offline: drain of {offline_messages} messages, s ({R})", "offline", "drain_seconds",
     "lower", None),
    ("offline: delivered", "offline", "delivered", "higher", None),
    (f"muc: {muc_desc}; big room: last occupant's join, ms ({R})", "muc",
     "join.big_room_last_join_ms", "lower", None),
    ("muc: big room filled (all but its last occupant, 50 entries in flight), s", "muc",
     "join.big_room_fill_s", "lower", None),
    ("muc: server CPU of creating and filling the rooms, s", "muc", "join.server_cpu_s",
     "lower", None),
    ("muc: big room, send to last occupant p50, ms", "muc",
     "big_room_traffic.to_last_occupant_ms.p50", "lower", None),
    ("muc: big room, send to last occupant p99, ms", "muc",
     "big_room_traffic.to_last_occupant_ms.p99", "lower", None),
    ("muc: big room, send to each occupant p50, ms", "muc",
     "big_room_traffic.to_each_occupant_ms.p50", "lower", None),
    ("muc: big room, send to each occupant p99, ms", "muc",
     "big_room_traffic.to_each_occupant_ms.p99", "lower", None),
    ("muc: big room, lost deliveries", "muc", "big_room_traffic.lost", "lower", None),
    ("muc: big room, duplicated deliveries", "muc", "big_room_traffic.duplicated", "lower", None),
    ("muc: other rooms, send to last occupant p99, ms", "muc",
     "rooms_traffic.to_last_occupant_ms.p99", "lower", None),
    ("muc: other rooms, send to each occupant p99, ms", "muc",
     "rooms_traffic.to_each_occupant_ms.p99", "lower", None),
    ("muc: other rooms, lost deliveries", "muc", "rooms_traffic.lost", "lower", None),
    ("muc: room stanzas delivered per s", "muc", "room_stanzas_delivered_per_s", "higher", None),
    ("muc: 1:1 chat beside the rooms, latency p50, ms", "muc", "chat.latency_ms.p50", "lower",
     None),
    ("muc: 1:1 chat beside the rooms, latency p99, ms", "muc", "chat.latency_ms.p99", "lower",
     None),
    ("muc: 1:1 chat beside the rooms, lost", "muc", "chat.lost", "lower", None),
    ("muc: server CPU per delivered stanza, µs", "muc", "server_cpu_us_per_delivered_stanza",
     "lower", None),
    ("muc: generator CPU, s", "muc", "generator_cpu_s", "lower", None),
]

def fmt(v):
    if v is None:
        return "—"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    return f"{int(v):,}"

def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}"

title = "Starling, Prosody and ejabberd side by side, profile " + profile + (
    " (--quick smoke run)" if quick == "1" else "")
print(f"# {title}\n")
print("Ratios are Starling / other: above 1 means Starling is higher, which is better for rates")
print("and worse for times, memory and CPU (the last column of each row says which is better).")
print("A dash is a figure the run did not produce (the server failed the scenario, or the")
print("generator does not report it). \"lost\" counts messages not delivered by the end of the")
print("grace period after sending stopped: for a server that cannot keep up with the fixed rate,")
print("most of them are late (still queued), not dropped.\n")
cols = [names[s] for s in servers]
other = [s for s in ("prosody", "ejabberd") if s in servers]
header = ["figure"] + cols
if "starling" in servers:
    header += [f"Starling / {names[s]}" for s in other]
header.append("better")
print("| " + " | ".join(header) + " |")
print("|" + "|".join(["---"] + ["---:"] * (len(header) - 2) + ["---"]) + "|")
for label, tag, path, better, derive in rows:
    vals = {s: value(s, tag, path, derive)[0] for s in servers}
    if all(v is None for v in vals.values()):
        continue
    cells = [label] + [fmt(vals[s]) for s in servers]
    if "starling" in servers:
        cells += [ratio(vals["starling"], vals[s]) for s in other]
    cells.append(better)
    print("| " + " | ".join(cells) + " |")

def section(name, fname):
    p = os.path.join(work, fname)
    if os.path.exists(p):
        print(f"\n## {name}\n\n```")
        print(open(p).read().rstrip())
        print("```")

print("""
## What is the same, and what cannot be

- The same: one host example.test on 127.0.0.1, STARTTLS offered on c2s (every scenario uses it
  but the two marked plain TCP), TLS 1.2 or later, one self-signed P-256 certificate,
  SCRAM-SHA-256 with 4096 iterations, the same modules (disco, roster, presence, offline,
  in-band registration; in the mobile profile also message archive, carbons, PEP, stream
  management and client state indication), no c2s shaper or rate limit, no session or
  offline cap, logging at warn, the same accounts (created by xmpp-bench through XEP-0077), the
  same generator on the same machine (two threads for the login storm and chat as fast as
  possible, one elsewhere), one server running at a time.
- Not the same: Prosody is single-threaded and uses one core; Starling (one I/O thread per core)
  and ejabberd (one Erlang scheduler per core) use all of them. The generator shares the cores
  with the server under test.
- Not the same: storage. Starling keeps its default SQLite in WAL mode with synchronous=FULL (an
  fsync per commit; writes queued together share one); Prosody's file store and ejabberd's Mnesia
  do not fsync at all. This handicaps Starling in the offline and register figures.""")
if profile == "mobile":
    print("""- Mobile profile: every server archives every chat message with a body, twice (the sender's
  copy and the recipient's). Starling's archive is a table of the same SQLite database (fsync'd
  commits, grouped); Prosody's is mod_storage_internal's one file per user (appended, no fsync);
  ejabberd's is Mnesia's archive_msg table, disc_only_copies (a dets file, no fsync). The
  generator's clients enable neither stream management nor carbons nor CSI, and publish no PEP
  items, so the mobile figures are the cost of archiving and of the loaded modules' hooks.""")
print("""
- Not the same: a Starling registration derives SCRAM secrets for SHA-1, SHA-256 and SHA-512
  (three PBKDF2 runs); Prosody and ejabberd store only SCRAM-SHA-256 (one).
- ejabberd's figures are those of beam.smp alone: erl_child_setup only forks port programs, and no
  epmd runs (the node uses a fixed distribution port).""")
if any(runs(s, "muc") for s in servers):
    print("""- muc: each server restarted with its MUC service on conference.example.test, with its own
  defaults (20 messages of history, rooms locked until configured) except the occupant caps
  (ejabberd's 200 per room and its 1,000 above which it stops broadcasting presences, Starling's
  1,000 per room) raised. Every room is new and instant. "server CPU per delivered stanza" is
  the server's CPU over the traffic phase divided by the room copies and 1:1 messages delivered
  in it. Prosody is single-threaded: a room load above one core's worth queues, and its
  latencies are then mostly queueing.""")
if any(runs(s, "chat_s2s") or runs(s, "chat_s2s_max") for s in servers):
    print("""- chat over s2s: two instances of the same server, a.example.test and b.example.test, on
  loopback, with the base profile plus s2s; each has a certificate from one private test CA and
  trusts it, and none allows dialback, so the one stream from a to b is authenticated by SASL
  EXTERNAL. Starling finds its peer through s2s.hosts, Prosody (lua-unbound) and ejabberd
  (inet_res) through SRV records in a DNS stub on loopback. The generator's senders are logged
  in to a, its receivers to b; the latency is from writing a message to a's c2s socket to
  reading it from b's. The two servers and the generator share the machine's cores. The set-up
  figure is the first message of a run on a freshly started pair, sent alone: the sending
  server's lookup, TCP connect, TLS and SASL EXTERNAL (and the receiver's certificate check),
  plus one delivery.""")

failures = []
for s in servers:
    d = os.path.join(work, "results", s)
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if not f.endswith(".err"):
            continue
        tag = f[:-4]
        lines = [l.strip() for l in open(os.path.join(d, f), errors="replace") if l.strip()]
        if not lines:
            continue
        state = "ok, but" if os.path.exists(os.path.join(d, tag + ".json")) else "FAILED:"
        failures.append(f"{names[s]} {tag}: {state} {lines[-1][:300]}")
if failures:
    print("\n## Failures and warnings from xmpp-bench\n")
    for line in failures:
        print(f"- {line}")

if profile == "mobile":
    print("\n## Archived messages (counted in each store after the server stopped)\n")
    for s in servers:
        sent = delivered = 0
        for tag in ("chat_fixed", "chat_fixed_plain", "chat_ws", "chat_max", "offline"):
            for doc in runs(s, tag):
                sent += get(doc, "sent" if tag != "offline" else "delivered") or 0
                delivered += get(doc, "delivered") or 0
        print(f"- {names[s]}: between {2 * delivered:,} and {2 * sent:,}: twice the {delivered:,} "
              f"messages delivered within their runs and the {sent:,} sent (the sender's and the "
              "recipient's copy; a message still queued at the end of its run may have been "
              "archived later, or for its sender only)")
    p = os.path.join(work, "archive.txt")
    if os.path.exists(p):
        print("\n```\n" + open(p).read().rstrip() + "\n```")

section("Waits for the server to work off its queue before the next run", "quiet.txt")
section("Machine", "meta.txt")
section("Versions", "versions.txt")
section("Command lines", "commands.txt")
PYTHON
[ -n "$out" ] && cp "$report" "$out" && log "report written to $out"
cat "$report"
