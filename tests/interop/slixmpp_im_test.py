#!/usr/bin/python3
"""Instant messaging with a third-party client: two slixmpp accounts subscribe to each other, see
each other's presence come and go, exchange messages with XEP-0184 receipts, and one receives a
message sent while it was offline, with its XEP-0203 delay stamp.

Driven by the scenario runner (scenario slixmpp_im), which starts the server with the roster,
presence and offline modules. Both clients run in this one process, connect to 127.0.0.1
directly (no DNS) with STARTTLS, and accept the self-signed test certificate. Prints one "ok:" line
per step passed and exits 0 only if every step passed, each within --timeout seconds.
"""

import asyncio
import datetime
import re
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.plugins import xep_0082

from interop_steps import StepFailed, TwoAccountSteps, main

# XEP-0082 DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD.
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


class Account(slixmpp.ClientXMPP):
    """One logged-in user; records what the server sends so the steps can wait for it."""

    def __init__(self, name, jid, password):
        # No mechanism pinned: slixmpp 1.8 tries the -PLUS mechanisms first with tls-unique,
        # which TLS 1.3 lacks, and must fall back to plain SCRAM as an unmodified client does.
        super().__init__(jid, password)
        self.name = name
        # The test certificate is self-signed for example.test; trust it without verification.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        # The steps answer subscription requests themselves, so slixmpp must not.
        self.auto_authorize = None
        self.auto_subscribe = False
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0184", {"auto_ack": True, "auto_request": False})
        self.register_plugin("xep_0199")
        self.register_plugin("xep_0203")
        self.started = False
        self.gone = False
        self.auth_failed = False
        self.roster_pushes = []  # (bare JID, subscription, ask) per item of each roster push
        self.subscribe_requests = []  # bare JIDs
        self.presences = []  # (type, full JID)
        self.messages = []
        self.receipts = []
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("failed_all_auth", self.on_auth_failed)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("roster_update", self.on_roster_update)
        self.add_event_handler("presence_subscribe", self.on_subscribe)
        self.add_event_handler("presence_available", self.on_presence)
        self.add_event_handler("presence_unavailable", self.on_presence)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("receipt_received", self.on_receipt)

    def on_session_start(self, _event):
        self.started = True

    def on_auth_failed(self, _event):
        self.auth_failed = True

    def on_disconnected(self, _reason):
        self.gone = True

    def on_roster_update(self, iq):
        if iq["type"] != "set":
            return
        for jid, item in iq["roster"]["items"].items():
            self.roster_pushes.append((jid.bare, item["subscription"], item["ask"]))

    def on_subscribe(self, presence):
        self.subscribe_requests.append(presence["from"].bare)

    def on_presence(self, presence):
        self.presences.append((presence["type"], presence["from"].full))

    def on_message(self, message):
        # Receipts are messages too; only messages with a body are the ones under test.
        if message["body"]:
            self.messages.append(message)

    def on_receipt(self, message):
        self.receipts.append((message["receipt"], message["from"].full))

    def send_chat(self, to, body, message_id, request_receipt):
        message = self.make_message(mto=to, mbody=body, mtype="chat")
        message["id"] = message_id
        if request_receipt:
            message["request_receipt"] = True
        message.send()


class Steps(TwoAccountSteps):
    async def log_in(self, name, jid, password):
        account = Account(name, jid, password)
        account.connect(address=("127.0.0.1", self.args.port), force_starttls=True)
        await self.wait_until(lambda: account.started or account.auth_failed or account.gone,
                              f"{name} ({jid}) to log in")
        if not account.started:
            reason = "authentication failed" if account.auth_failed else "disconnected"
            raise StepFailed(f"{name} ({jid}) could not log in: {reason}")
        try:
            await account.get_roster(timeout=self.args.timeout)
        except IqError as error:
            raise StepFailed(f"{name}'s roster get failed: {error.iq}") from error
        except IqTimeout as error:
            raise StepFailed(f"{name}'s roster get got no answer") from error
        account.send_presence()
        return account

    async def log_out(self, account):
        await account.disconnect(wait=self.args.timeout)
        await self.wait_until(lambda: account.gone, f"{account.name}'s stream to close")

    def saw_push(self, account, peer, subscription):
        return any(jid == peer and sub == subscription
                   for jid, sub, _ask in account.roster_pushes)

    async def wait_for_push(self, account, peer, subscription):
        await self.wait_until(
            lambda: self.saw_push(account, peer, subscription),
            f"a roster push to {account.name} with {peer} subscription='{subscription}' "
            f"(pushes so far: {account.roster_pushes})")

    async def subscribe_both_ways(self):
        alice, bob = self.alice, self.bob
        a, b = alice.boundjid.bare, bob.boundjid.bare
        alice.send_presence_subscription(pto=b, ptype="subscribe")
        await self.wait_for_push(alice, b, "none")
        await self.wait_until(lambda: a in bob.subscribe_requests,
                              "bob to receive alice's subscription request")
        bob.send_presence(pto=a, ptype="subscribed")
        await self.wait_for_push(bob, a, "from")
        await self.wait_for_push(alice, b, "to")
        bob.send_presence_subscription(pto=a, ptype="subscribe")
        await self.wait_until(lambda: b in alice.subscribe_requests,
                              "alice to receive bob's subscription request")
        alice.send_presence(pto=b, ptype="subscribed")
        await self.wait_for_push(alice, b, "both")
        await self.wait_for_push(bob, a, "both")
        for account, peer in ((alice, b), (bob, a)):
            state = account.client_roster[peer]["subscription"]
            if state != "both":
                raise StepFailed(f"{account.name}'s client roster has {peer} as '{state}'")
            pending = account.client_roster[peer]["pending_out"]
            if pending:
                raise StepFailed(f"{account.name}'s roster still has ask='subscribe' for {peer}")
        print("ok: subscribed both ways (roster pushes show subscription 'both')", flush=True)

    def saw_presence(self, account, presence_type, full_jid):
        return (presence_type, full_jid) in account.presences

    async def wait_for_presence(self, account, presence_type, full_jid):
        await self.wait_until(
            lambda: self.saw_presence(account, presence_type, full_jid),
            f"{account.name} to see {presence_type} presence from {full_jid} "
            f"(presences so far: {account.presences})")

    async def see_each_other_online(self):
        await self.wait_for_presence(self.alice, "available", self.bob.boundjid.full)
        await self.wait_for_presence(self.bob, "available", self.alice.boundjid.full)
        print("ok: each sees the other's available presence", flush=True)

    async def message_with_receipt(self, sender, receiver, body, message_id):
        sender.send_chat(receiver.boundjid.full, body, message_id, request_receipt=True)
        await self.wait_until(lambda: receiver.messages,
                              f"{receiver.name} to receive {sender.name}'s message")
        message = receiver.messages.pop(0)
        if message["body"] != body or message["from"].full != sender.boundjid.full:
            raise StepFailed(f"{receiver.name} received {message['body']!r} from "
                             f"{message['from']}, not {body!r} from {sender.boundjid.full}")
        if not message["request_receipt"]:
            raise StepFailed(f"{receiver.name}'s copy lost the receipt request: {message}")
        await self.wait_until(lambda: sender.receipts,
                              f"{sender.name} to receive the receipt for id '{message_id}'")
        receipt_id, receipt_from = sender.receipts.pop(0)
        if receipt_id != message_id or receipt_from != receiver.boundjid.full:
            raise StepFailed(f"{sender.name} got a receipt for id '{receipt_id}' from "
                             f"{receipt_from}, expected id '{message_id}' from "
                             f"{receiver.boundjid.full}")
        print(f"ok: {sender.name} -> {receiver.name} message delivered and receipt returned",
              flush=True)

    async def offline_message(self):
        alice = self.alice
        bob_full = self.bob.boundjid.full
        await self.log_out(self.bob)
        await self.wait_for_presence(alice, "unavailable", bob_full)
        print("ok: alice sees bob go offline", flush=True)

        body = "sent while you were away \u2709"
        sent_at = datetime.datetime.now(datetime.timezone.utc)
        alice.send_chat(self.args.bob_jid, body, "offline-1", request_receipt=False)
        # The server answers a ping only after handling what came before it on the stream; the
        # store is written asynchronously, so a short pause then lets the insert commit before bob
        # logs back in (as the offline scenarios do).
        await alice.plugin["xep_0199"].send_ping(alice.boundjid.host, timeout=self.args.timeout)
        await asyncio.sleep(0.3)

        alice.presences.clear()
        self.bob = await self.log_in("bob", self.args.bob_jid, self.args.bob_password)
        bob = self.bob
        await self.wait_for_presence(alice, "available", bob.boundjid.full)
        state = bob.client_roster[alice.boundjid.bare]["subscription"]
        if state != "both":
            raise StepFailed(f"bob's roster after logging back in has alice as '{state}'")
        print("ok: alice sees bob come back online", flush=True)

        await self.wait_until(lambda: bob.messages, "bob to receive the offline message")
        message = bob.messages.pop(0)
        received_at = datetime.datetime.now(datetime.timezone.utc)
        if message["body"] != body or message["from"].bare != alice.boundjid.bare:
            raise StepFailed(f"bob's offline message is {message['body']!r} from "
                             f"{message['from']}, not {body!r} from {alice.boundjid.bare}")
        delay = message.xml.find("{urn:xmpp:delay}delay")
        if delay is None:
            raise StepFailed("the offline message has no <delay xmlns='urn:xmpp:delay'/>: "
                             f"{message}")
        delay_from = delay.get("from")
        if delay_from != alice.boundjid.host:
            raise StepFailed(f"the delay's from is {delay_from!r}, not "
                             f"'{alice.boundjid.host}': {message}")
        stamp_text = delay.get("stamp") or ""
        if not DATETIME.match(stamp_text):
            raise StepFailed(f"the delay stamp {stamp_text!r} is not an XEP-0082 DateTime")
        stamp = xep_0082.parse(stamp_text)
        if stamp.utcoffset() != datetime.timedelta(0):
            raise StepFailed(f"the delay stamp {stamp_text!r} is not in UTC")
        # A stamp may be truncated to whole seconds, so allow it a second before sent_at.
        slack = datetime.timedelta(seconds=1)
        if stamp < sent_at - slack or stamp > received_at + slack:
            raise StepFailed(f"the delay stamp {stamp_text} is outside "
                             f"[{sent_at.isoformat()}, {received_at.isoformat()}]")
        print(f"ok: bob receives the offline message with delay from {delay_from} "
              f"stamped {stamp_text}", flush=True)

    async def run(self):
        args = self.args
        self.alice = await self.log_in("alice", args.alice_jid, args.alice_password)
        self.bob = await self.log_in("bob", args.bob_jid, args.bob_password)
        print("ok: both logged in with roster and initial presence", flush=True)
        await self.subscribe_both_ways()
        await self.see_each_other_online()
        await self.message_with_receipt(self.alice, self.bob, "hello bob \u2713", "a-to-b-1")
        await self.message_with_receipt(self.bob, self.alice, "hello alice \u2713", "b-to-a-1")
        await self.offline_message()
        await self.log_out(self.bob)
        await self.log_out(self.alice)


if __name__ == "__main__":
    sys.exit(main("slixmpp_im_test", __doc__.splitlines()[0], Steps))
