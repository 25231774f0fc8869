#!/usr/bin/python3
"""bench/upload_bench.py: HTTP File Upload throughput and server memory.

Starts its own starlingd from a build tree (SQLite, one account, mod_http_upload behind an http
or https listener on loopback), asks for N slots over XMPP (slixmpp), then PUTs N files of SIZE
bytes with curl, C transfers at a time, and GETs them back the same way. Reports MB/s each way
(bytes of file bodies over wall time, curl's own time included) and the server's resident memory
before, and its peak during each phase (sampled from /proc every 20 ms). Run it at two sizes to
see whether the server's memory depends on the file size (it should not: bodies stream in and out
64 KiB at a time).

    bench/upload_bench.py --builddir build --files 256 --size 1048576 --parallel 8 --tls
    bench/upload_bench.py --builddir build --files 4 --size 268435456 --parallel 4 --tls

Every file is checked: each PUT must answer 201 and each GET 200 with the full size.
"""

import argparse
import asyncio
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import slixmpp


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class PeakSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)

    def stop(self):
        self.running = False
        self.join()
        return self.peak


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0363")
        self.ready = asyncio.Event()
        self.add_event_handler("session_start", lambda _: self.ready.set())


async def request_slots(port, count, size):
    client = Client("bench@example.test", "bench-password")
    client.connect(address=("127.0.0.1", port), force_starttls=True)
    await asyncio.wait_for(client.ready.wait(), 20)
    upload = client["xep_0363"]
    slots = []
    for start in range(0, count, 50):
        batch = [upload.request_slot(slixmpp.JID("upload.example.test"), f"file{i}.bin", size,
                                     "application/octet-stream", timeout=30)
                 for i in range(start, min(count, start + 50))]
        for iq in await asyncio.gather(*batch):
            slot = iq["http_upload_slot"]
            headers = {h["name"]: h["value"] for h in slot["put"]["headers"]}
            slots.append((slot["put"]["url"], headers["Authorization"], slot["get"]["url"]))
    await client.disconnect()
    return slots


def run_curl(config, parallel, expected_status, expected_size):
    """Runs curl on a config file; returns the wall time. Fails unless every transfer answered
    `expected_status` with `expected_size` bytes (uploaded or downloaded)."""
    started = time.monotonic()
    result = subprocess.run(
        ["curl", "--parallel", "--parallel-max", str(parallel), "-K", config],
        capture_output=True, text=True)
    elapsed = time.monotonic() - started
    lines = result.stdout.split()
    answers = [lines[i:i + 3] for i in range(0, len(lines), 3)]
    for code, up, down in answers:
        moved = int(float(up)) if expected_status == "201" else int(float(down))
        if code != expected_status or moved != expected_size:
            sys.exit(f"a transfer answered {code} with {moved} bytes (all: {answers}; curl: {result.stderr})")
    return elapsed, len(answers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--builddir", default="build")
    parser.add_argument("--files", type=int, default=256)
    parser.add_argument("--size", type=int, default=1024 * 1024)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--tls", action="store_true", help="an https listener (default http)")
    args = parser.parse_args()

    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = os.path.abspath(args.builddir)
    work = tempfile.mkdtemp(prefix="upload-bench-")
    c2s, http = free_port(), free_port()
    scheme = "https" if args.tls else "http"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30", "-keyout",
                    f"{work}/key.pem", "-out", f"{work}/cert.pem", "-subj", "/CN=example.test",
                    "-addext", "subjectAltName=DNS:example.test"],
                   check=True, capture_output=True)
    with open(f"{work}/starling.yml", "w") as config:
        config.write(f"""hosts: [example.test]
listen:
  - {{type: c2s, address: 127.0.0.1, port: {c2s}}}
  - {{type: {scheme}, address: 127.0.0.1, port: {http}}}
tls: {{certificate: {work}/cert.pem, key: {work}/key.pem}}
storage: {{driver: sqlite, path: {work}/db.sqlite}}
module_path: {build}/modules/.libs
schema_path: {top}/schemas
modules: [disco, ping, {{http_upload: {{url: '{scheme}://127.0.0.1:{http}',
          max_file_size: {args.size}, quota: {args.size * args.files * 2 + 1}}}}}]
log: {{level: warn, file: {work}/starlingd.log}}
control_socket: {work}/ctl.sock
""")
    ctl = [f"{build}/src/starlingctl" if os.path.exists(f"{build}/src/starlingctl")
           else f"{build}/starlingctl", "--config", f"{work}/starling.yml"]
    subprocess.run(ctl + ["adduser", "bench@example.test", "bench-password"], check=True,
                   capture_output=True)
    daemon = f"{build}/src/starlingd" if os.path.exists(f"{build}/src/starlingd") else f"{build}/starlingd"
    server = subprocess.Popen([daemon, "--config", f"{work}/starling.yml"])
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", c2s), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        slots = asyncio.run(request_slots(c2s, args.files, args.size))
        body = f"{work}/body.bin"
        with open(body, "wb") as out:
            chunk = os.urandom(1024 * 1024)
            left = args.size
            while left > 0:
                out.write(chunk[:min(left, len(chunk))])
                left -= len(chunk)
        # Each transfer's options end with `next`: curl otherwise adds them all to every one.
        each = 'insecure\nsilent\nwrite-out = "%{http_code} %{size_upload} %{size_download}\\n"\n'
        with open(f"{work}/put.cfg", "w") as cfg:
            cfg.write("next\n".join(
                f'{each}url = "{put_url}"\nupload-file = "{body}"\n'
                f'header = "Authorization: {authorization}"\n'
                f'header = "Content-Type: application/octet-stream"\n'
                f'header = "Expect:"\noutput = "/dev/null"\n'
                for put_url, authorization, _ in slots))
        with open(f"{work}/get.cfg", "w") as cfg:
            cfg.write("next\n".join(f'{each}url = "{get_url}"\noutput = "/dev/null"\n'
                                    for _, _, get_url in slots))

        before = rss_kib(server.pid)
        sampler = PeakSampler(server.pid)
        sampler.start()
        put_time, puts = run_curl(f"{work}/put.cfg", args.parallel, "201", args.size)
        put_peak = sampler.stop()
        sampler = PeakSampler(server.pid)
        sampler.start()
        get_time, gets = run_curl(f"{work}/get.cfg", args.parallel, "200", args.size)
        get_peak = sampler.stop()
        total_mb = args.size * args.files / 1e6
        print(f"{scheme}: {puts} PUTs and {gets} GETs of {args.size} bytes, {args.parallel} at a time")
        print(f"  upload   {total_mb / put_time:8.1f} MB/s ({put_time:.2f} s)")
        print(f"  download {total_mb / get_time:8.1f} MB/s ({get_time:.2f} s)")
        print(f"  server RSS: {before / 1024:.1f} MiB before, peak {put_peak / 1024:.1f} MiB "
              f"uploading, {get_peak / 1024:.1f} MiB downloading")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
