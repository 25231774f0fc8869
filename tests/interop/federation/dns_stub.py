#!/usr/bin/python3
"""A tiny authoritative-only DNS responder for the federation interop tests.

It listens on one loopback port, UDP and TCP, and answers from a JSON zone file:

    {"a":   {"starling.test": "127.0.0.1", ...},
     "srv": {"_xmpp-server._tcp.starling.test": [[priority, weight, port, "target"], ...], ...}}

A name of the zone gets its records (an empty NOERROR answer, NODATA, for a type it has none
of); any other name under .test gets NXDOMAIN; every other name gets REFUSED. Nothing is ever
forwarded: no query leaves the machine. Every query is logged, one line each, to --log:

    <unix time> <udp|tcp> <client addr:port> <qname> <qtype> -> <rcode> <answers>

Run with Debian's interpreter (python3-dnslib): /usr/bin/python3 dns_stub.py --zone Z --log L
--port-file P [--port N]. With --port 0 (the default) it picks a free port, the same for UDP and
TCP, and writes it to --port-file once both listen.
"""

import argparse
import json
import socket
import sys
import threading
import time

from dnslib import QTYPE, RCODE, RR, A, SRV
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class ZoneResolver(BaseResolver):
    def __init__(self, zone, log):
        self.a = {k.lower().rstrip("."): v for k, v in zone.get("a", {}).items()}
        self.srv = {k.lower().rstrip("."): v for k, v in zone.get("srv", {}).items()}
        self.log = log
        self.lock = threading.Lock()

    def resolve(self, request, handler):
        reply = request.reply()
        reply.header.ra = 0
        reply.header.aa = 1
        qname = str(request.q.qname).lower().rstrip(".")
        qtype = QTYPE.get(request.q.qtype, str(request.q.qtype))
        known = qname in self.a or qname in self.srv
        if not (qname == "test" or qname.endswith(".test")):
            reply.header.rcode = RCODE.REFUSED
        elif not known:
            reply.header.rcode = RCODE.NXDOMAIN
        else:
            if qtype == "A" and qname in self.a:
                reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(self.a[qname]), ttl=5))
            elif qtype == "SRV" and qname in self.srv:
                for priority, weight, port, target in self.srv[qname]:
                    reply.add_answer(RR(request.q.qname, QTYPE.SRV, ttl=5,
                                        rdata=SRV(priority, weight, port, target + ".")))
                    # The target's address as additional data, as real servers do.
                    if target.lower() in self.a:
                        reply.add_ar(RR(target + ".", QTYPE.A, rdata=A(self.a[target.lower()]),
                                        ttl=5))
            # Otherwise NODATA: NOERROR without answers.
        proto = "tcp" if handler.protocol == "tcp" else "udp"
        answers = ",".join(f"{QTYPE.get(rr.rtype)}:{rr.rdata}" for rr in reply.rr) or "-"
        line = (f"{time.time():.3f} {proto} {handler.client_address[0]}:{handler.client_address[1]}"
                f" {qname} {qtype} -> {RCODE.get(reply.header.rcode)} {answers}\n")
        with self.lock:
            self.log.write(line)
            self.log.flush()
        return reply


class QuietLogger(DNSLogger):
    def __init__(self):
        super().__init__(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zone", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--address", default="127.0.0.1")
    args = parser.parse_args()
    if not args.address.startswith("127."):
        sys.exit("dns_stub: loopback addresses only")
    with open(args.zone) as f:
        zone = json.load(f)
    log = open(args.log, "a", buffering=1)
    resolver = ZoneResolver(zone, log)
    for attempt in range(50):
        try:
            udp = DNSServer(resolver, address=args.address, port=args.port, logger=QuietLogger())
            port = udp.server.server_address[1]
            try:
                tcp = DNSServer(resolver, address=args.address, port=port, tcp=True,
                                logger=QuietLogger())
            except OSError:
                udp.server.server_close()
                if args.port:
                    raise
                continue
            break
        except OSError as error:
            if args.port or attempt == 49:
                sys.exit(f"dns_stub: cannot listen: {error}")
    udp.start_thread()
    tcp.start_thread()
    with open(args.port_file + ".new", "w") as f:
        f.write(f"{port}\n")
    import os
    os.rename(args.port_file + ".new", args.port_file)
    log.write(f"{time.time():.3f} listening on {args.address}:{port} udp+tcp\n")
    try:
        while udp.isAlive() and tcp.isAlive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
