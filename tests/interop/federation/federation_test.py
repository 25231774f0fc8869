#!/usr/bin/python3
"""Federation interop test: Starling against real Prosody or ejabberd, on loopback.

    /usr/bin/python3 tests/interop/federation/federation_test.py \\
        --starlingd PATH --starlingctl PATH --module-path DIR --schemas DIR \\
        --peer prosody|ejabberd [--auth certificates|dialback] [--work DIR] \\
        [--timeout SECONDS] [--verbose]

Generates a private CA and a certificate per server, starts a DNS stub (dns_stub.py) through
which the peer finds Starling (SRV _xmpp-server._tcp), Starling (SQLite, debug log, s2s.hosts
pointing at the peer), and the peer as its own Debian user from a scratch directory. With
--auth certificates (the default) each server trusts the CA that signed the other's
certificate, so streams authenticate by SASL EXTERNAL; with --auth dialback neither does, and
both sides fall back to Server Dialback (XEP-0220). Creates
accounts on both sides, runs the cross-domain checks with slixmpp clients, prints one
"PASS name" or "FAIL name: reason" line per check and finally
"federation-<peer>: N passed, N failed". Exit status 0 only if every check passed. Everything it
started is stopped by PID on every exit path (the overall --timeout included).

Must run as root (Prosody and ejabberd are started as their own users with setpriv), with
Debian's interpreter, which has python3-slixmpp and python3-dnslib.
"""

import argparse
import asyncio
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import servers  # noqa: E402
from servers import SetupError  # noqa: E402
from xmpp_client import (CheckFailed, Client, has_child, is_message,  # noqa: E402
                         is_presence)

NS_RECEIPTS = "urn:xmpp:receipts"
NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_EVENT = "http://jabber.org/protocol/pubsub#event"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_MAM = "urn:xmpp:mam:2"
NS_DELAY = "urn:xmpp:delay"
OMEMO_DEVICELIST = "eu.siacs.conversations.axolotl.devicelist"
OMEMO_BUNDLES = "eu.siacs.conversations.axolotl.bundles"
NS_OMEMO = "eu.siacs.conversations.axolotl"

PASSWORD = "fed-secret-{}"


class Harness:
    def __init__(self, args):
        self.args = args
        self.results = []
        self.cleanups = []
        self.clients = []
        self.logfile = None
        self.timeout = 15.0

    def note(self, text):
        if self.logfile:
            self.logfile.write(f"{time.time():.3f} {text}\n")
            self.logfile.flush()
        if self.args.verbose:
            print(f"  | {text[:2000]}", flush=True)

    def record(self, name, failure):
        if failure is None:
            line = f"PASS {name}"
        else:
            line = f"FAIL {name}: {failure}"
        self.results.append((name, failure))
        print(line, flush=True)
        self.note(line)

    def client(self, jid, password, port, **kw):
        c = Client(jid, password, port, self.timeout, log=self.note, **kw)
        self.clients.append(c)
        return c


# --- the checks -----------------------------------------------------------------------------

async def check(h, name, coro, timeout=60):
    try:
        await asyncio.wait_for(coro, timeout)
    except CheckFailed as failure:
        h.record(name, str(failure))
        return False
    except asyncio.TimeoutError:
        h.record(name, f"timed out after {timeout} s")
        return False
    except Exception as error:  # noqa: BLE001 - any error is this check's failure
        h.record(name, f"{type(error).__name__}: {error}\n{traceback.format_exc()}")
        return False
    h.record(name, None)
    return True


def bare(c):
    return c.boundjid.bare


def full(c):
    return c.boundjid.full


async def chat_with_receipt(sender, recipient, tag):
    """sender -> recipient's bare JID, a chat message asking for a receipt; the recipient's
    client answers with <received/>, which must come back to the sender."""
    mid = f"{tag}-msg"
    body = f"hello from {bare(sender)} ({tag})"
    sender.raw(f"<message to='{bare(recipient)}' id='{mid}' type='chat'><body>{body}</body>"
               f"<request xmlns='{NS_RECEIPTS}'/></message>")
    got = await recipient.wait_for(is_message(id=mid), f"message {mid} from {full(sender)}")
    if got["from"].full != full(sender):
        raise CheckFailed(f"the message came from {got['from']}, not {full(sender)}: {got}")
    if got["body"] != body:
        raise CheckFailed(f"the body did not cross intact: {got}")
    if not has_child(got, f"{{{NS_RECEIPTS}}}request"):
        raise CheckFailed(f"the receipt request was lost on the way: {got}")
    recipient.raw(f"<message to='{full(sender)}' id='{tag}-rcpt'>"
                  f"<received xmlns='{NS_RECEIPTS}' id='{mid}'/></message>")
    receipt = await sender.wait_for(
        lambda s: s.name == "message" and s.xml.find(f"{{{NS_RECEIPTS}}}received") is not None
        and s.xml.find(f"{{{NS_RECEIPTS}}}received").get("id") == mid,
        f"XEP-0184 receipt for {mid}")
    if receipt["from"].full != full(recipient):
        raise CheckFailed(f"the receipt came from {receipt['from']}: {receipt}")


async def subscribe(user, contact, tag):
    """RFC 6121 §3.1: user asks, contact approves, user sees subscribed and contact's presence."""
    user.raw(f"<presence to='{bare(contact)}' type='subscribe' id='{tag}-sub'/>")
    req = await contact.wait_for(is_presence(bare_from=bare(user), ptype="subscribe"),
                                 f"subscription request from {bare(user)}")
    if req["from"].full != bare(user):
        raise CheckFailed(f"the subscription request must come from the bare JID: {req}")
    contact.raw(f"<presence to='{bare(user)}' type='subscribed' id='{tag}-ok'/>")
    ok = await user.wait_for(is_presence(bare_from=bare(contact), ptype="subscribed"),
                             f"'subscribed' from {bare(contact)}")
    if ok["from"].full != bare(contact):
        raise CheckFailed(f"'subscribed' must come from the bare JID: {ok}")
    await user.wait_for(is_presence(frm=full(contact), ptype="available"),
                        f"{full(contact)}'s presence after the approval")
    roster = await user.iq("get", None, "<query xmlns='jabber:iq:roster'/>")
    if f"jid=\"{bare(contact)}\"" not in roster and f"jid='{bare(contact)}'" not in roster:
        raise CheckFailed(f"{bare(contact)} is not in {bare(user)}'s roster: {roster}")
    if "subscription=\"to\"" not in roster and "subscription=\"both\"" not in roster:
        raise CheckFailed(f"{bare(user)}'s roster does not show the subscription: {roster}")


async def presence_broadcast(a, b):
    # send_presence, not raw XML: slixmpp adds the XEP-0115 caps (with the +notify features).
    a.send_presence(pshow="away", pstatus="fed away")
    got = await b.wait_for(is_presence(frm=full(a), show="away"), f"{full(a)}'s away presence")
    if "fed away" not in str(got):
        raise CheckFailed(f"the status did not cross: {got}")
    b.send_presence(pshow="dnd", pstatus="fed dnd")
    await a.wait_for(is_presence(frm=full(b), show="dnd"), f"{full(b)}'s dnd presence")


async def relogin(h, old, port, password, other, tag, holder, key):
    """old logs out (other must see it leave), logs in again with initial presence: its server
    probes the other domain (old must get other's presence) and other sees it come back."""
    jid = full(old)
    await old.logout()
    await other.wait_for(is_presence(frm=jid, ptype="unavailable"),
                         f"{jid}'s unavailable presence when it logged out")
    new = h.client(jid, password, port, features=[OMEMO_DEVICELIST + "+notify"])
    await new.login(presence=False)
    holder[key] = new
    new.send_presence()
    await new.wait_for(is_presence(frm=full(other), ptype="available"),
                       f"{full(other)}'s presence answering the probe")
    await other.wait_for(is_presence(frm=full(new), ptype="available"),
                         f"{full(new)}'s presence when it returned")


async def last_activity(asker, target):
    answer = await asker.iq("get", bare(target), "<query xmlns='jabber:iq:last'/>")
    if "seconds=" not in answer:
        raise CheckFailed(f"no seconds in the last-activity answer: {answer}")


async def vcard_roundtrip(owner, reader, fn):
    await owner.iq("set", None, f"<vCard xmlns='vcard-temp'><FN>{fn}</FN>"
                                f"<NICKNAME>{fn.split()[0]}</NICKNAME></vCard>")
    answer = await reader.iq("get", bare(owner), "<vCard xmlns='vcard-temp'/>")
    if fn not in answer:
        raise CheckFailed(f"the vCard fetched across domains lacks FN {fn!r}: {answer}")


def open_publish_options():
    return ("<publish-options><x xmlns='jabber:x:data' type='submit'>"
            "<field var='FORM_TYPE' type='hidden'>"
            "<value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
            "<field var='pubsub#access_model'><value>open</value></field>"
            "</x></publish-options>")


def devicelist(ids):
    return (f"<pubsub xmlns='{NS_PUBSUB}'><publish node='{OMEMO_DEVICELIST}'>"
            f"<item id='current'><list xmlns='{NS_OMEMO}'>"
            + "".join(f"<device id='{i}'/>" for i in ids)
            + f"</list></item></publish>{open_publish_options()}</pubsub>")


def bundle(device):
    return (f"<pubsub xmlns='{NS_PUBSUB}'><publish node='{OMEMO_BUNDLES}:{device}'>"
            f"<item id='current'><bundle xmlns='{NS_OMEMO}'>"
            f"<signedPreKeyPublic signedPreKeyId='1'>BYn5mvmKUCq0yHSmAz3a7Ck2Zp0Qv8ut5d+Ok6NnvBRo"
            f"</signedPreKeyPublic>"
            f"<signedPreKeySignature>sig{device}AAAA</signedPreKeySignature>"
            f"<identityKey>BRFQ0Q5y0yqyXEcMo4XBczD2wWBlJzSKpGx/ZRqMNi8V</identityKey>"
            f"<prekeys>"
            + "".join(f"<preKeyPublic preKeyId='{k}'>BWoXH0Hf2pk{device}{k}wA==</preKeyPublic>"
                      for k in range(1, 21))
            + f"</prekeys></bundle></item></publish>{open_publish_options()}</pubsub>")


async def omemo_publish_fetch(owner, reader, device):
    await owner.iq("set", None, devicelist([device]))
    await owner.iq("set", None, bundle(device))
    items = await reader.iq("get", bare(owner),
                            f"<pubsub xmlns='{NS_PUBSUB}'><items node='{OMEMO_DEVICELIST}'/>"
                            f"</pubsub>")
    if f"id=\"{device}\"" not in items:
        raise CheckFailed(f"device {device} is not in the devicelist fetched across domains: "
                          f"{items}")
    got = await reader.iq("get", bare(owner),
                          f"<pubsub xmlns='{NS_PUBSUB}'><items node='{OMEMO_BUNDLES}:{device}'"
                          f" max_items='1'/></pubsub>")
    if "signedPreKeyPublic" not in got or "preKeyPublic" not in got:
        raise CheckFailed(f"the bundle fetched across domains is incomplete: {got}")


async def pep_notify(owner, contact, devices):
    await owner.iq("set", None, devicelist(devices))
    marker = f"id=\"{devices[-1]}\""

    def event(s):
        if s.name != "message" or s["from"].bare != bare(owner):
            return False
        items = s.xml.find(f"{{{NS_EVENT}}}event/{{{NS_EVENT}}}items")
        return items is not None and items.get("node") == OMEMO_DEVICELIST and marker in str(s)
    await contact.wait_for(event, f"+notify PEP event from {bare(owner)} with device "
                                  f"{devices[-1]}")


async def offline_delivery(h, sender, recipient_jid, password, port, tag):
    body = f"while you were away ({tag})"
    sender.raw(f"<message to='{recipient_jid}' id='{tag}' type='chat'><body>{body}</body>"
               f"</message>")
    await asyncio.sleep(2)  # let it cross and be stored before the recipient logs in
    bounced = [s for s in sender.received if s.name == "message" and s["id"] == tag]
    if bounced:
        raise CheckFailed(f"the message bounced: {bounced[0]}")
    r = h.client(recipient_jid + "/offline", password, port)
    await r.login()
    got = await r.wait_for(is_message(id=tag), f"the offline message {tag}")
    if got["from"].bare != bare(sender) or body not in str(got):
        raise CheckFailed(f"the offline message arrived altered: {got}")
    if not has_child(got, f"{{{NS_DELAY}}}delay"):
        raise CheckFailed(f"the offline message has no XEP-0203 delay: {got}")
    await r.logout()


async def mam_query(user, peer_bare, bodies):
    qid = "fedmam"
    await user.iq("set", None,
                  f"<query xmlns='{NS_MAM}' queryid='{qid}'><x xmlns='jabber:x:data' type='submit'>"
                  f"<field var='FORM_TYPE' type='hidden'><value>{NS_MAM}</value></field>"
                  f"<field var='with'><value>{peer_bare}</value></field></x></query>")
    results = []
    while True:
        found = [s for s in user.received if s.name == "message"
                 and s.xml.find(f"{{{NS_MAM}}}result") is not None]
        if not found:
            break
        for s in found:
            user.received.remove(s)
            results.append(str(s))
    text = "\n".join(results)
    missing = [b for b in bodies if b not in text]
    if missing:
        raise CheckFailed(f"the archive of {bare(user)} with {peer_bare} lacks {missing}; "
                          f"{len(results)} result(s): {text[:3000]}")


async def muc_join(client, room, nick, create=False):
    client.raw(f"<presence to='{room}/{nick}'><x xmlns='{NS_MUC}'>"
               f"<history maxstanzas='0'/></x></presence>")

    def self_presence(s):
        if s.name != "presence" or s["from"].full != f"{room}/{nick}":
            return False
        if s.xml.get("type") == "error":
            return True
        x = s.xml.find(f"{{{NS_MUC_USER}}}x")
        return x is not None and any(st.get("code") == "110"
                                     for st in x.findall(f"{{{NS_MUC_USER}}}status"))
    got = await client.wait_for(self_presence, f"its own presence in {room}")
    if got.xml.get("type") == "error":
        raise CheckFailed(f"{bare(client)} could not enter {room}: {got}")
    if create:
        await client.iq("set", room, "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                                     "<x xmlns='jabber:x:data' type='submit'/></query>")
    return got


async def muc_exchange(owner, owner_nick, guest, guest_nick, room, tag):
    await muc_join(owner, room, owner_nick, create=True)
    await muc_join(guest, room, guest_nick)
    await owner.wait_for(is_presence(frm=f"{room}/{guest_nick}"),
                         f"{guest_nick}'s presence in {room}")
    guest.raw(f"<message to='{room}' type='groupchat' id='{tag}-g'><body>from {guest_nick}"
              f"</body></message>")
    await owner.wait_for(is_message(frm=f"{room}/{guest_nick}", mtype="groupchat",
                                    body=f"from {guest_nick}"),
                         f"{guest_nick}'s groupchat message in {room}")
    await guest.wait_for(is_message(frm=f"{room}/{guest_nick}", mtype="groupchat",
                                    body=f"from {guest_nick}"),
                         f"the reflection of its own groupchat message in {room}")
    owner.raw(f"<message to='{room}' type='groupchat' id='{tag}-o'><body>from {owner_nick}"
              f"</body></message>")
    await guest.wait_for(is_message(frm=f"{room}/{owner_nick}", mtype="groupchat",
                                    body=f"from {owner_nick}"),
                         f"{owner_nick}'s groupchat message in {room}")


async def muc_invite(owner, owner_nick, guest, room, tag):
    """The room on one server invites a user of the other domain (XEP-0045 §7.8.2, mediated):
    the invitation goes out from the room's own domain."""
    await muc_join(owner, room, owner_nick, create=True)
    owner.raw(f"<message to='{room}' id='{tag}'><x xmlns='{NS_MUC_USER}'>"
              f"<invite to='{bare(guest)}'><reason>federation test</reason></invite></x></message>")

    def invitation(s):
        if s.name != "message" or s["from"].bare != room:
            return False
        x = s.xml.find(f"{{{NS_MUC_USER}}}x")
        return x is not None and x.find(f"{{{NS_MUC_USER}}}invite") is not None
    got = await guest.wait_for(invitation, f"the invitation to {room}")
    if s_type(got) == "error":
        raise CheckFailed(f"the invitation bounced: {got}")


def s_type(stanza):
    return stanza.xml.get("type", "")


async def push_notification(h, alice, bob, app, pwd, port):
    node = "fedpushnode"
    await alice.iq("set", None, f"<enable xmlns='urn:xmpp:push:0' jid='{full(app)}' "
                                f"node='{node}'/>")
    await alice.logout()
    await asyncio.sleep(1)
    bob.raw(f"<message to='{bare(alice)}' id='push-trigger' type='chat'>"
            f"<body>wake up</body></message>")
    iq = await app.wait_pubsub_iq(f"the XEP-0357 publish for {bare(alice)}", timeout=20)
    text = str(iq)
    h.note(f"push publish received: {text}")
    if f"node=\"{node}\"" not in text or "urn:xmpp:push:summary" not in text:
        raise CheckFailed(f"the push publish lacks the node or the summary form: {text}")
    if "wake up" in text:
        raise CheckFailed(f"the push publish leaks the message body: {text}")
    if iq["from"].bare != bare(alice) and iq["from"].full != alice.boundjid.domain:
        raise CheckFailed(f"the push publish came from {iq['from']}: {text}")


async def stream_management(starling, peer, expected, bidi):
    """XEP-0198 on the s2s streams between Starling and the peer, as `starlingctl s2s` shows
    them: on every stream when `expected`, on none otherwise. With `bidi` the peer and Starling
    share streams both ways (XEP-0288): at least one stream, each bidirectional; without it,
    one stream each way."""
    lines = [line for line in starling.ctl("s2s").stdout.splitlines() if peer.domain in line]
    directions = {line.split("\t")[0] for line in lines}
    shapes = {line.split("\t")[-1] for line in lines}
    if bidi and (not lines or shapes != {"bidi"}):
        raise CheckFailed("not bidirectional streams with " + peer.domain + ":\n"
                          + "\n".join(lines))
    if not bidi and (directions != {"in", "out"} or shapes != {"one-way"}):
        raise CheckFailed("not one stream each way with " + peer.domain + ":\n" + "\n".join(lines))
    wrong = [line for line in lines if (line.split("\t")[-2] == "sm on") != expected]
    if wrong:
        raise CheckFailed(f"stream management {'off' if expected else 'on'} on:\n"
                          + "\n".join(wrong))


async def run_checks(h, starling, peer):
    P = peer.name
    sd, pd = starling.domain, peer.domain
    notify = [OMEMO_DEVICELIST + "+notify"]
    alice = h.client(f"alice@{sd}/desk", PASSWORD.format("alice"), starling.c2s_port,
                     features=notify)
    bob = h.client(f"bob@{pd}/phone", PASSWORD.format("bob"), peer.c2s_port, features=notify)
    await alice.login()
    await bob.login()

    # 1. Chat both ways, with receipts.
    await check(h, f"chat-starling-to-{P}-with-receipt", chat_with_receipt(alice, bob, "s2p"))
    await check(h, f"chat-{P}-to-starling-with-receipt", chat_with_receipt(bob, alice, "p2s"))
    # Prosody enables stream management on streams authenticated by SASL EXTERNAL, both ways;
    # ejabberd has none on s2s, and over dialback nobody offers it.
    # Prosody loads mod_s2s_bidi (XEP-0288), ejabberd has no bidirectional streams.
    sm_expected = P == "prosody" and h.args.auth != "dialback"
    await check(h, f"s2s-stream-management-{'on' if sm_expected else 'off'}-with-{P}",
                stream_management(starling, peer, sm_expected, bidi=P == "prosody"))

    # 2. Subscriptions, broadcast, probes.
    await check(h, f"subscribe-starling-user-to-{P}-user", subscribe(alice, bob, "s2p"))
    await check(h, f"subscribe-{P}-user-to-starling-user", subscribe(bob, alice, "p2s"))
    await check(h, "presence-broadcast-both-ways", presence_broadcast(alice, bob))
    holder = {}

    async def probe_peer_side():
        await relogin(h, bob, peer.c2s_port, PASSWORD.format("bob"), alice, "pb", holder, "bob")
    await check(h, f"presence-probe-when-{P}-user-returns", probe_peer_side())
    bob = holder.get("bob", bob)

    async def probe_starling_side():
        await relogin(h, alice, starling.c2s_port, PASSWORD.format("alice"), bob, "pa",
                      holder, "alice")
    await check(h, "presence-probe-when-starling-user-returns", probe_starling_side())
    alice = holder.get("alice", alice)

    # 3. Last activity and vCards.
    await check(h, f"last-activity-of-{P}-user-from-starling", last_activity(alice, bob))
    await check(h, f"last-activity-of-starling-user-from-{P}", last_activity(bob, alice))
    await check(h, f"vcard-of-starling-user-from-{P}",
                vcard_roundtrip(alice, bob, "Alice Starling"))
    await check(h, f"vcard-of-{P}-user-from-starling",
                vcard_roundtrip(bob, alice, f"Bob {P.capitalize()}"))

    # 4. PEP / OMEMO.
    await check(h, f"omemo-devicelist-and-bundle-of-{P}-user-from-starling",
                omemo_publish_fetch(bob, alice, 2222))
    await check(h, f"omemo-devicelist-and-bundle-of-starling-user-from-{P}",
                omemo_publish_fetch(alice, bob, 1111))
    await check(h, f"pep-notify-starling-publish-to-{P}-contact",
                pep_notify(alice, bob, [1111, 1112]))
    await check(h, f"pep-notify-{P}-publish-to-starling-contact",
                pep_notify(bob, alice, [2222, 2223]))

    # 5. Offline storage and MAM.
    await check(h, f"offline-message-to-{P}-user",
                offline_delivery(h, alice, f"olivia@{pd}", PASSWORD.format("olivia"),
                                 peer.c2s_port, "off-s2p"))
    await check(h, f"offline-message-to-starling-user",
                offline_delivery(h, bob, f"oscar@{sd}", PASSWORD.format("oscar"),
                                 starling.c2s_port, "off-p2s"))
    await check(h, f"mam-starling-archive-has-federated-chat",
                mam_query(alice, bare(bob), [f"hello from {bare(alice)} (s2p)",
                                             f"hello from {bare(bob)} (p2s)"]))

    # 6. MUC.
    await check(h, f"muc-invitation-from-starling-room-to-{P}-user",
                muc_invite(alice, "alice", bob, f"fedroom0@{starling.muc}", "inv"))
    await check(h, f"muc-{P}-user-in-starling-room",
                muc_exchange(alice, "alice", bob, "bob", f"fedroom1@{starling.muc}", "m1"))
    await check(h, f"muc-starling-user-in-{P}-room",
                muc_exchange(bob, "bob", alice, "alice", f"fedroom2@{peer.muc}", "m2"))

    # 7. Push: the app server is a client on the peer's domain.
    app = h.client(f"pushsvc@{pd}/app", PASSWORD.format("pushsvc"), peer.c2s_port,
                   answer_pubsub=True)

    async def push():
        await app.login()
        await push_notification(h, alice, bob, app, PASSWORD.format("alice"),
                                starling.c2s_port)
    await check(h, f"push-notification-to-{P}-app-server", push())

    for c in h.clients:
        await c.logout()


# --- setup and teardown ---------------------------------------------------------------------

def start_dns(h, work, zone):
    zone_file = os.path.join(work, "dns-zone.json")
    with open(zone_file, "w") as f:
        json.dump(zone, f, indent=1)
    port_file = os.path.join(work, "dns-port")
    log = os.path.join(work, "dns-queries.log")
    proc = servers.Process("dns_stub", ["/usr/bin/python3", os.path.join(HERE, "dns_stub.py"),
                                        "--zone", zone_file, "--log", log,
                                        "--port-file", port_file],
                           os.path.join(work, "dns-stub.out"))
    h.cleanups.append(proc.stop)
    servers.wait_until(lambda: os.path.exists(port_file), 10, "the DNS stub", proc)
    with open(port_file) as f:
        return int(f.read()), log


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starlingd", required=True)
    parser.add_argument("--starlingctl", required=True)
    parser.add_argument("--module-path", required=True)
    parser.add_argument("--schemas", required=True)
    parser.add_argument("--peer", required=True, choices=["prosody", "ejabberd"])
    parser.add_argument("--auth", default="certificates", choices=["certificates", "dialback"],
                        help="how the servers authenticate each other")
    parser.add_argument("--work", help="scratch directory (default: a new one under /tmp, kept)")
    parser.add_argument("--timeout", type=float, default=600, help="overall time limit, seconds")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--strace", action="store_true",
                        help="run the peer under strace and check that it sent nothing to a DNS "
                             "port or a non-loopback address (the 'no-dns-leak' check)")
    args = parser.parse_args()
    # The generated configs live elsewhere: relative paths would resolve against them.
    for name in ("starlingd", "starlingctl", "module_path", "schemas"):
        setattr(args, name, os.path.abspath(getattr(args, name)))
    for path in (args.starlingd, args.starlingctl):
        if not os.access(path, os.X_OK):
            sys.exit(f"{path} is not executable")
    if os.geteuid() != 0:
        sys.exit("run as root: Prosody and ejabberd are started as their own users (setpriv)")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.CRITICAL)

    work = args.work or tempfile.mkdtemp(prefix=f"starling-fed-{args.peer}.")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)
    h = Harness(args)
    h.logfile = open(os.path.join(work, "harness.log"), "a")
    label = f"federation-{args.peer}" + ("-dialback" if args.auth == "dialback" else "")
    print(f"{label}: scratch directory {work}", flush=True)

    class OverallTimeout(Exception):
        pass

    def on_alarm(_signum, _frame):
        raise OverallTimeout(f"the overall time limit of {args.timeout:.0f} s was reached")

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.setitimer(signal.ITIMER_REAL, args.timeout)
    started = time.monotonic()
    setup_failure = None
    try:
        pki = servers.Pki(os.path.join(work, "pki"))
        if args.auth == "dialback":
            # Both servers trust only a CA that signed neither certificate.
            pki.trusted = servers.Pki(os.path.join(work, "stranger")).ca_cert
        peer_cls = servers.Prosody if args.peer == "prosody" else servers.Ejabberd
        # Ports first: the peer's s2s port goes into Starling's s2s.hosts, Starling's into the
        # zone the peer resolves.
        zone_placeholder = {}
        starling_s2s = servers.free_port()
        # The zone: SRV _xmpp-server._tcp for Starling's domain and its MUC service. ejabberd
        # (p1_xmpp's xmpp_stream_out) looks the SRV up with inet_res (the stub) but resolves the
        # target with net:getaddrinfo (libc, /etc/resolv.conf): its target is "localhost", which
        # libc answers from /etc/hosts without any DNS query. Prosody resolves everything with
        # libunbound, forwarded to the stub: its target is starling.test.
        target = "localhost" if args.peer == "ejabberd" else servers.Starling.domain
        zone = {"a": {servers.Starling.domain: "127.0.0.1", servers.Starling.muc: "127.0.0.1"},
                "srv": {f"_xmpp-server._tcp.{d}": [[0, 5, starling_s2s, target]]
                        for d in (servers.Starling.domain, servers.Starling.muc)}}
        dns_port, dns_log = start_dns(h, work, zone)
        h.note(f"DNS stub on 127.0.0.1:{dns_port} (udp+tcp), zone {zone}")
        peer = peer_cls(args, work, pki, dns_port)
        starling = servers.Starling(args, work, pki, [peer.domain, peer.muc], peer.s2s_port,
                                    starling_s2s)
        for user in ("alice", "oscar"):
            starling.add_user(user, PASSWORD.format(user))
        h.cleanups.append(starling.stop)
        starling.start(20)
        h.note(f"starlingd PID {starling.process.pid}, c2s {starling.c2s_port}, "
               f"s2s {starling.s2s_port}, log {starling.log}")
        peer.prepare()
        if args.peer == "prosody":
            for user in ("bob", "olivia", "pushsvc"):
                peer.add_user(user, PASSWORD.format(user))
        h.cleanups.append(peer.stop)
        peer.start(90)
        if args.peer == "ejabberd":
            for user in ("bob", "olivia", "pushsvc"):
                peer.add_user(user, PASSWORD.format(user))
        h.note(f"{args.peer} PID {peer.process.main_pid}, c2s {peer.c2s_port}, "
               f"s2s {peer.s2s_port}, log {peer.log}")
        asyncio.run(run_checks(h, starling, peer))
    except OverallTimeout as error:
        setup_failure = str(error)
    except (SetupError, CheckFailed) as error:
        setup_failure = str(error)
    except KeyboardInterrupt as error:
        setup_failure = f"interrupted ({error})"
    except Exception as error:  # noqa: BLE001
        setup_failure = f"{type(error).__name__}: {error}\n{traceback.format_exc()}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for stop in reversed(h.cleanups):
            try:
                stop()
            except Exception as error:  # noqa: BLE001
                print(f"cleanup: {type(error).__name__}: {error}", file=sys.stderr)
    if setup_failure:
        h.record("harness", setup_failure)
    if args.strace and os.path.exists(os.path.join(work, f"{args.peer}.strace")):
        total, bad = servers.network_report(os.path.join(work, f"{args.peer}.strace"))
        h.record(f"no-dns-leak-from-{args.peer}",
                 None if not bad and total else
                 (f"{len(bad)} of {total} destinations were a DNS port or not loopback: "
                  + "\n      ".join(bad[:10])) if bad else "strace saw no destinations at all")
    passed = sum(1 for _, f in h.results if f is None)
    failed = len(h.results) - passed
    print(f"(took {time.monotonic() - started:.0f} s; logs under {work})", flush=True)
    print(f"{label}: {passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
