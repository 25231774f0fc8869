#!/usr/bin/python3
"""Interoperability peer: slixmpp logs in with exactly one SASL mechanism over STARTTLS, sends a
chat message to a peer, and waits for the peer's answer.

Driven by the scenario runner (scenario slixmpp_interop), which plays the peer with libstrophe.
Connects to 127.0.0.1 directly (no DNS), accepts the self-signed test certificate, and exits
0 only if the login used the requested mechanism and the expected answer arrived in time.
"""

import argparse
import asyncio
import logging
import ssl
import sys

import slixmpp


class InteropClient(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password, sasl_mech=args.mechanism)
        self.args = args
        self.outcome = None
        # The test certificate is self-signed for example.test; trust it without verification.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("failed_all_auth", self.on_auth_failed)
        self.add_event_handler("disconnected", self.on_disconnected)

    def on_session_start(self, _event):
        used = self["feature_mechanisms"].mech.name
        if used != self.args.mechanism:
            self.finish(f"logged in with {used}, not {self.args.mechanism}")
            return
        print(f"logged in as {self.boundjid.full} with {used}", flush=True)
        self.send_message(mto=self.args.peer, mbody=self.args.send, mtype="chat")

    def on_message(self, message):
        if message["from"].full != self.args.peer:
            return
        body = message["body"]
        if body == self.args.expect:
            print(f"received: {body}", flush=True)
            self.finish(None)
        else:
            self.finish(f"unexpected body {body!r} from {message['from']}")

    def on_auth_failed(self, _event):
        self.finish(f"authentication with {self.args.mechanism} failed")

    def on_disconnected(self, reason):
        if self.outcome is None:
            self.outcome = f"disconnected before the exchange finished: {reason}"

    def finish(self, failure):
        if self.outcome is None:
            self.outcome = failure or "ok"
        self.disconnect()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--jid", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--peer", required=True, help="full JID to talk to")
    parser.add_argument("--send", required=True, help="body sent to the peer")
    parser.add_argument("--expect", required=True, help="body expected back from the peer")
    parser.add_argument("--mechanism", default="SCRAM-SHA-256")
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR)

    client = InteropClient(args)
    client.connect(address=("127.0.0.1", args.port), force_starttls=True)
    loop = asyncio.get_event_loop()
    deadline = loop.time() + args.timeout

    async def wait_for_outcome():
        while client.outcome is None and loop.time() < deadline:
            await asyncio.sleep(0.05)

    loop.run_until_complete(wait_for_outcome())
    if client.outcome is None:
        client.outcome = f"timed out after {args.timeout} s"
        client.disconnect()
    # Let the closing </stream:stream> go out before the loop stops.
    loop.run_until_complete(asyncio.sleep(0.2))
    if client.outcome != "ok":
        print(f"slixmpp_test: {client.outcome}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
