#!/bin/bash
# bench/callgrind.sh: instructions per routed message, counted by valgrind's callgrind, a figure
# the noise of a shared machine does not move (docs/benchmarks.md records it so that a change
# can be compared with the runs before it).
#
# Two runs of starlingd under callgrind take the same logins and the same chat load at the same
# rate, and differ only in how long the chat lasts. Everything but the messages (start-up,
# registration, TLS handshakes, SCRAM, shutdown) costs the same in both, so the difference of
# the two instruction totals over the difference of the messages delivered is the cost of one
# routed message: read, parse, route, serialize, write, on both streams, with TLS unless told.
#
# usage: bench/callgrind.sh [--builddir DIR] [--tls starttls|none] [--users N] [--rate R]
#                           [--short S] [--long S]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
builddir="$here/../build"
tls=starttls
users=20
rate=100
short=5
long=15
while [ $# -gt 0 ]; do
    case $1 in
        --builddir) builddir=$2; shift 2 ;;
        --tls) tls=$2; shift 2 ;;
        --users) users=$2; shift 2 ;;
        --rate) rate=$2; shift 2 ;;
        --short) short=$2; shift 2 ;;
        --long) long=$2; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "callgrind.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
builddir=$(cd "$builddir" && pwd)
bench="$builddir/bench/xmpp-bench"
for needed in "$builddir/starlingd" "$bench" "$builddir/libtool"; do
    [ -x "$needed" ] || { echo "callgrind.sh: $needed is missing: build first (make)" >&2; exit 1; }
done
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 1; }

work=$(mktemp -d /tmp/starling-callgrind.XXXXXX)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=example.test -addext subjectAltName=DNS:example.test \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

server_pid=""
cleanup() { [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; true; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run SECONDS: one server under callgrind, the load, and the server's instruction total. The
# server runs compare.sh's base profile (the lines marked @MOBILE@ are left out).
run() {
    local seconds=$1 dir="$work/run-$1" port tls_port
    mkdir -p "$dir"
    port=$(free_port)
    tls_port=$(free_port)
    sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@TLS_PORT@|$tls_port|g" \
        -e "s|@CERT@|$work/cert.pem|g" -e "s|@KEY@|$work/key.pem|g" -e "s|@ADDRESS@|127.0.0.1|g" \
        -e "s|@MODULE_PATH@|$builddir/modules/.libs|g" \
        -e "s|@SCHEMA_PATH@|$here/../schemas|g" -e '/^@MOBILE@/d' \
        "$here/servers/starling.yml.in" >"$dir/starling.yml"
    [ "$tls" = none ] && sed -i 's/^  required: true/  required: false/' "$dir/starling.yml"
    # One I/O thread: the count must not depend on how connections spread over threads.
    sed -i 's/^threads: 0/threads: 1/' "$dir/starling.yml"
    "$builddir/libtool" --mode=execute valgrind --tool=callgrind \
        --callgrind-out-file="$dir/callgrind.out" \
        "$builddir/starlingd" --config "$dir/starling.yml" >"$dir/valgrind.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 600); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    "$bench" --scenario register --port "$port" --users "$users" --tls "$tls" --output json \
        >"$dir/register.json"
    "$bench" --scenario chat --port "$port" --users "$users" --tls "$tls" --rate "$rate" \
        --duration "$seconds" --grace 10 --output json >"$dir/chat.json"
    kill -TERM "$server_pid"
    wait "$server_pid" || true
    server_pid=""
    local instructions delivered
    instructions=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$dir/callgrind.out")
    delivered=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["delivered"] if r["lost"] == 0 else -1)' "$dir/chat.json")
    [ "$delivered" -ge 0 ] || { echo "callgrind.sh: messages were lost: $(cat "$dir/chat.json")" >&2; exit 1; }
    echo "$instructions $delivered"
}

read -r short_ir short_msgs < <(run "$short")
read -r long_ir long_msgs < <(run "$long")
per_message=$(( (long_ir - short_ir) / (long_msgs - short_msgs) ))
cat <<EOF
callgrind: $users clients, $rate msgs/s, tls $tls, one I/O thread
  short run: $short_msgs messages, $short_ir instructions
  long run:  $long_msgs messages, $long_ir instructions
instructions per routed message: $per_message
(files kept in $work)
EOF
