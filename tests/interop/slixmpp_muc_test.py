#!/usr/bin/python3
"""Group chat with a third-party client: slixmpp's XEP-0045 plugin. Alice creates a room (status
201) and makes it an instant room with the plugin's configuration call, bob joins with
join_muc_wait (which returns once the subject arrives), they exchange groupchat messages, bob
changes his nick and alice's room roster follows, and bob leaves.

Driven by the scenario runner (scenario slixmpp_muc), which starts the server with the muc
module. Prints one "ok:" line per step passed and exits 0 only if every step passed, each within
--timeout seconds.
"""

import asyncio
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout, PresenceError

from interop_steps import StepFailed, TwoAccountSteps, main

ROOM = "slix@conference.example.test"


class Account(slixmpp.ClientXMPP):
    def __init__(self, name, jid, password):
        super().__init__(jid, password)
        self.name = name
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0004")
        self.register_plugin("xep_0045")
        self.started = False
        self.gone = False
        self.groupchat = []  # (from nick, body)
        self.add_event_handler("session_start", lambda _e: setattr(self, "started", True))
        self.add_event_handler("disconnected", lambda _e: setattr(self, "gone", True))
        self.add_event_handler("groupchat_message", self.on_groupchat)

    def on_groupchat(self, message):
        if message["body"]:
            self.groupchat.append((message["mucnick"], message["body"]))


class Steps(TwoAccountSteps):
    async def log_in(self, name, jid, password):
        account = Account(name, jid, password)
        account.connect(address=("127.0.0.1", self.args.port), force_starttls=True)
        await self.wait_until(lambda: account.started or account.gone, f"{name} to log in")
        if not account.started:
            raise StepFailed(f"{name} ({jid}) could not log in")
        account.send_presence()
        return account

    async def create_room(self):
        muc = self.alice["xep_0045"]
        try:
            presence, _subject, _occupants, _history = await muc.join_muc_wait(
                ROOM, "alice", maxstanzas=0, timeout=self.args.timeout)
        except PresenceError as error:
            raise StepFailed(f"alice could not create the room: {error.presence}") from error
        codes = presence["muc"]["status_codes"]
        if 110 not in codes or 201 not in codes:
            raise StepFailed(f"alice's self-presence lacks 110 and 201: {presence}")
        form = self.alice["xep_0004"].make_form(ftype="submit")
        try:
            await muc.set_room_config(ROOM, form, timeout=self.args.timeout)
        except (IqError, IqTimeout) as error:
            raise StepFailed(f"the instant room configuration failed: {error}") from error
        print("ok: alice created an instant room (status 201)", flush=True)

    async def join(self):
        muc = self.bob["xep_0045"]
        try:
            presence, _subject, occupants, _history = await muc.join_muc_wait(
                ROOM, "bob", maxstanzas=10, timeout=self.args.timeout)
        except PresenceError as error:
            raise StepFailed(f"bob could not join: {error.presence}") from error
        if presence["muc"]["role"] != "participant":
            raise StepFailed(f"bob's role is {presence['muc']['role']}: {presence}")
        nicks = sorted(occupant["from"].resource for occupant in occupants)
        if "alice" not in nicks:
            raise StepFailed(f"bob did not see alice in the room: {nicks}")
        await self.wait_until(lambda: "bob" in self.alice["xep_0045"].get_roster(ROOM),
                              "alice to see bob in the room")
        print("ok: bob joined and each sees the other", flush=True)

    async def exchange(self):
        self.alice.send_message(mto=ROOM, mbody="hello room", mtype="groupchat")
        await self.wait_until(lambda: ("alice", "hello room") in self.bob.groupchat,
                              "bob to receive alice's groupchat message")
        self.bob.send_message(mto=ROOM, mbody="hello alice", mtype="groupchat")
        await self.wait_until(lambda: ("bob", "hello alice") in self.alice.groupchat,
                              "alice to receive bob's groupchat message")
        # The room reflects each message to its sender too.
        await self.wait_until(lambda: ("bob", "hello alice") in self.bob.groupchat,
                              "bob to receive his own message back")
        print("ok: groupchat messages both ways, reflected to the sender", flush=True)

    async def change_nick(self):
        # A nick change is a presence to the new occupant JID (XEP-0045 §7.6), as clients send it.
        self.bob.send_presence(pto=f"{ROOM}/robert")
        roster = self.alice["xep_0045"].get_roster
        await self.wait_until(lambda: "robert" in roster(ROOM) and "bob" not in roster(ROOM),
                              f"alice's room roster to show robert instead of bob")
        self.bob.send_message(mto=ROOM, mbody="new name", mtype="groupchat")
        await self.wait_until(lambda: ("robert", "new name") in self.alice.groupchat,
                              "alice to receive robert's message")
        print("ok: bob changed his nick to robert", flush=True)

    async def leave(self):
        self.bob["xep_0045"].leave_muc(ROOM, "robert", "bye")
        roster = self.alice["xep_0045"].get_roster
        await self.wait_until(lambda: "robert" not in roster(ROOM), "alice to see robert leave")
        print("ok: bob left the room", flush=True)

    async def run(self):
        self.alice = await self.log_in("alice", self.args.alice_jid, self.args.alice_password)
        self.bob = await self.log_in("bob", self.args.bob_jid, self.args.bob_password)
        print("ok: both logged in", flush=True)
        await self.create_room()
        await self.join()
        await self.exchange()
        await self.change_nick()
        await self.leave()
        for account in (self.alice, self.bob):
            await account.disconnect(wait=self.args.timeout)


if __name__ == "__main__":
    sys.exit(main("slixmpp_muc_test", __doc__, Steps))
