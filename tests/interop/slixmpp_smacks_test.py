#!/usr/bin/python3
"""XEP-0198 with a third-party client: slixmpp (its xep_0198 plugin) enables stream management
with resumption, its TCP connection is cut (the transport aborted, no </stream:stream>), another
account sends it messages meanwhile, and it reconnects, resumes the session and receives exactly
those messages, in order.

Driven by the scenario runner (scenario slixmpp_smacks_resume), which starts the server with
mod_smacks. Both clients run in this one process, connect to 127.0.0.1 directly (no DNS) with
STARTTLS, and accept the self-signed test certificate. Prints one "ok:" line per step passed and
exits 0 only if every step passed, each within --timeout seconds.
"""

import asyncio
import ssl
import sys

import slixmpp

from interop_steps import StepFailed, TwoAccountSteps, main


class Account(slixmpp.ClientXMPP):
    def __init__(self, name, jid, password, stream_management):
        super().__init__(jid, password)
        self.name = name
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0199")
        if stream_management:
            self.register_plugin("xep_0198", {"allow_resume": True})
        self.started = False
        self.gone = False
        self.auth_failed = False
        self.sm_enabled = False
        self.resumed = False
        self.sm_failed = False
        self.bodies = []
        self.add_event_handler("session_start", lambda _e: setattr(self, "started", True))
        self.add_event_handler("failed_all_auth", lambda _e: setattr(self, "auth_failed", True))
        self.add_event_handler("disconnected", lambda _e: setattr(self, "gone", True))
        self.add_event_handler("sm_enabled", lambda _e: setattr(self, "sm_enabled", True))
        self.add_event_handler("session_resumed", lambda _e: setattr(self, "resumed", True))
        self.add_event_handler("sm_failed", lambda _e: setattr(self, "sm_failed", True))
        self.add_event_handler("message", self.on_message)

    def on_message(self, message):
        if message["type"] in ("chat", "normal") and message["body"]:
            self.bodies.append(message["body"])


class Steps(TwoAccountSteps):
    async def log_in(self, name, jid, password, stream_management):
        account = Account(name, jid, password, stream_management)
        account.connect(address=("127.0.0.1", self.args.port), force_starttls=True)
        await self.wait_until(lambda: account.started or account.auth_failed or account.gone,
                              f"{name} to log in")
        if not account.started:
            raise StepFailed(f"{name} could not log in")
        account.send_presence()
        return account

    async def run(self):
        args = self.args
        self.bob = await self.log_in("bob", args.bob_jid, args.bob_password, True)
        await self.wait_until(lambda: self.bob.sm_enabled, "stream management to be enabled")
        sm_id = self.bob.plugin["xep_0198"].sm_id
        if not sm_id:
            raise StepFailed("<enabled/> carried no resumption id")
        print(f"ok: bob enabled stream management with resumption", flush=True)
        self.alice = await self.log_in("alice", args.alice_jid, args.alice_password, False)
        bob_full = self.bob.boundjid.full
        await self.alice.plugin["xep_0199"].send_ping(bob_full, timeout=args.timeout)

        # The network goes: the TCP connection is cut, without a closing stream tag.
        self.bob.transport.abort()
        await self.wait_until(lambda: self.bob.gone, "bob's connection to drop")
        print("ok: bob's connection cut", flush=True)
        sent = [f"sent while away {i} \u2713" for i in range(1, 4)]
        for i, body in enumerate(sent, 1):
            self.alice.send_message(mto=bob_full, mbody=body, mtype="chat")
        # A ping answered after the messages proves the server took them.
        await self.alice.plugin["xep_0199"].send_ping(args.alice_jid.split("@")[1],
                                                      timeout=args.timeout)
        print("ok: alice sent 3 messages meanwhile", flush=True)

        self.bob.gone = False
        self.bob.connect(address=("127.0.0.1", args.port), force_starttls=True)
        await self.wait_until(lambda: self.bob.resumed or self.bob.sm_failed or self.bob.gone,
                              "bob to resume")
        if not self.bob.resumed:
            raise StepFailed("the server refused the resumption")
        if self.bob.plugin["xep_0198"].sm_id != sm_id:
            raise StepFailed("the resumed session has another id")
        print("ok: bob resumed the session", flush=True)
        await self.wait_until(lambda: len(self.bob.bodies) >= 3, "the messages sent meanwhile")
        await asyncio.sleep(0.5)  # anything sent twice would arrive by now
        if self.bob.bodies != sent:
            raise StepFailed(f"bob got {self.bob.bodies!r}, expected {sent!r}")
        print("ok: bob received exactly the 3 messages, in order", flush=True)
        await self.alice.disconnect(wait=args.timeout)
        await self.bob.disconnect(wait=args.timeout)


if __name__ == "__main__":
    sys.exit(main("slixmpp_smacks_test", __doc__.splitlines()[0], Steps))
