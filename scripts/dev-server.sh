#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds, writes a development config for the
# domain localhost under var/dev/ (self-signed certificate, SQLite database), creates the demo
# account demo@localhost, says how to log in, and runs starlingd in the foreground.
# Safe to run again: it keeps the certificate, the database and the demo password.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

install_missing "${build_packages[@]}"
build_in build all

root=$(pwd)
dev="$root/var/dev"
config="$dev/starling.yml"
mkdir -p "$dev"
chmod 700 "$dev"

if [ ! -f "$dev/localhost.crt" ] || [ ! -f "$dev/localhost.key" ]; then
    say "generating a self-signed certificate for localhost"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
        -keyout "$dev/localhost.key" -out "$dev/localhost.crt" \
        -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
    chmod 600 "$dev/localhost.key"
fi

cat > "$config" <<YAML
# Development config written by scripts/dev-server.sh; rewritten on every run.
# The annotated reference of every key is conf/starling.yml (man starling.yml).
hosts: [localhost]
listen:
  - {type: c2s, address: 127.0.0.1, port: 5222}
  - {type: c2s_tls, address: 127.0.0.1, port: 5223}
  - {type: https, address: 127.0.0.1, port: 5443}
tls:
  certificate: $dev/localhost.crt
  key: $dev/localhost.key
storage:
  driver: sqlite
  path: $dev/starling.db
module_path: $root/build/modules/.libs
schema_path: $root/schemas
modules: [disco, ping, version, time, roster, presence, last, offline, vcard, private, blocking,
          spam_limits, smacks, csi, carbons, mam, pep, muc, {http_upload: {directory: $dev/uploads}}]
log: {level: info, file: ""}
control_socket: $dev/starling.sock
YAML

starlingctl=(build/starlingctl --config "$config")
password_file="$dev/demo-password"
password=$(openssl rand -base64 18 | tr -d '/+=')
set +e
output=$("${starlingctl[@]}" adduser demo@localhost "$password" 2>&1)
status=$?
set -e
if [ $status -eq 0 ]; then
    (umask 077 && printf '%s\n' "$password" > "$password_file")
elif [ $status -eq 1 ] && grep -q exists <<<"$output"; then
    if [ -f "$password_file" ]; then
        password=$(cat "$password_file")
    else
        password="(unknown: set one with ${starlingctl[*]} passwd demo@localhost NEWPASSWORD)"
    fi
else
    die "creating the demo account failed (exit $status): $output"
fi

cat <<TEXT

Starling is starting for the domain localhost. Log in with any XMPP client
(Gajim, Profanity, Dino, ...):

    JID:       demo@localhost
    password:  $password
    server:    127.0.0.1, port 5222 (STARTTLS) or 5223 (direct TLS)

The certificate is self-signed (var/dev/localhost.crt): accept it when the client asks.
Files sent with the client's upload (XEP-0363) go through https://localhost:5443, with the
same certificate. Browser clients (converse.js) connect to wss://localhost:5443/xmpp-websocket
or, over BOSH, https://localhost:5443/http-bind.
More accounts:  ${starlingctl[*]} adduser USER@localhost
Stop with Ctrl-C.

TEXT
exec build/starlingd --config "$config"
