"""A small slixmpp client for the federation checks: it logs in to 127.0.0.1 on a given port,
keeps every message and presence it receives so that a check can wait for one that matches,
answers pubsub iq sets (as a XEP-0357 app server would) and sends raw XML when asked.

Subscriptions are never answered automatically: the checks do each step of RFC 6121 by hand.
"""

import asyncio
import ssl
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath, StanzaPath

NS_CLIENT = "jabber:client"


class CheckFailed(Exception):
    pass


def xml_text(element):
    return ET.tostring(element, encoding="unicode")


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, port, timeout, features=(), log=None, answer_pubsub=False):
        super().__init__(jid, password)
        self.port = port
        self.timeout = timeout
        self.log = log
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0115")
        self.register_plugin("xep_0199")
        for feature in features:
            self["xep_0030"].add_feature(feature)
        self.roster.auto_authorize = None
        self.roster.auto_subscribe = False
        self.received = []           # messages and presences not yet claimed by a wait
        self.everything = []         # every message/presence/pubsub iq, as text, for reports
        self.arrived = asyncio.Event()
        self.started = asyncio.Event()
        self.failure = None
        self.answer_pubsub = answer_pubsub
        self.pubsub_iqs = []
        self.register_handler(Callback("fed messages", StanzaPath("message"), self._keep))
        self.register_handler(Callback("fed presences", StanzaPath("presence"), self._keep))
        if answer_pubsub:
            self.register_handler(Callback(
                "fed pubsub sets",
                MatchXPath("{%s}iq/{http://jabber.org/protocol/pubsub}pubsub" % NS_CLIENT),
                self._pubsub_iq))
        self.add_event_handler("session_start", self._session_start)
        self.add_event_handler("failed_all_auth", lambda _e: self._fail("authentication failed"))
        self.add_event_handler("connection_failed", lambda e: self._fail(f"connection failed: {e}"))

    def _note(self, direction, text):
        if self.log:
            self.log(f"[{self.boundjid.full or self.requested_jid}] {direction} {text}")

    def _fail(self, why):
        self.failure = why
        self.started.set()

    async def _session_start(self, _event):
        try:
            await self.get_roster(timeout=self.timeout)
            await self["xep_0115"].update_caps(broadcast=False)
        except Exception as error:  # noqa: BLE001 - reported as the login failure
            self._fail(f"after login: {type(error).__name__}: {error}")
            return
        self.started.set()

    def _keep(self, stanza):
        text = str(stanza)
        self._note("<<", text)
        self.everything.append(text)
        self.received.append(stanza)
        self.arrived.set()

    def _pubsub_iq(self, iq):
        text = str(iq)
        self._note("<<", text)
        self.everything.append(text)
        if iq["type"] == "set":
            self.pubsub_iqs.append(iq)
            iq.reply(clear=True).send()
            self.arrived.set()

    async def login(self, presence=True):
        self.connect(address=("127.0.0.1", self.port), force_starttls=True)
        try:
            await asyncio.wait_for(self.started.wait(), self.timeout)
        except asyncio.TimeoutError:
            raise CheckFailed(f"{self.requested_jid} did not log in within {self.timeout} s")
        if self.failure:
            raise CheckFailed(f"{self.requested_jid}: {self.failure}")
        if presence:
            self.send_presence()
        return self

    async def logout(self):
        try:
            done = self.disconnect(wait=1.0)
            await asyncio.wait_for(done, 5)
        except Exception:  # noqa: BLE001 - a stream already gone is logged out too
            pass

    def raw(self, text):
        self._note(">>", text)
        self.send_raw(text)

    async def wait_for(self, predicate, what, timeout=None):
        """The first received message/presence for which predicate(stanza) is true, removed from
        the queue; CheckFailed naming `what` and what did arrive if none within the timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout or self.timeout)
        while True:
            for i, stanza in enumerate(self.received):
                try:
                    ok = predicate(stanza)
                except Exception:  # noqa: BLE001 - a predicate that cannot judge it says no
                    ok = False
                if ok:
                    del self.received[i]
                    return stanza
            left = deadline - loop.time()
            if left <= 0:
                recent = "\n      ".join(t[:600] for t in self.everything[-6:]) or "(nothing)"
                raise CheckFailed(f"{self.boundjid.full} got no {what} within "
                                  f"{timeout or self.timeout} s; last stanzas it received:\n"
                                  f"      {recent}")
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def wait_pubsub_iq(self, what, timeout=None):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout or self.timeout)
        while not self.pubsub_iqs:
            left = deadline - loop.time()
            if left <= 0:
                raise CheckFailed(f"{self.boundjid.full} got no {what} within "
                                  f"{timeout or self.timeout} s")
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except asyncio.TimeoutError:
                pass
        return self.pubsub_iqs.pop(0)

    async def iq(self, itype, to, payload, timeout=None, expect_error=False):
        """Sends an iq with `payload` (XML text; None for none) and returns the answer's XML
        text. An error answer raises CheckFailed with the stanza, unless expect_error."""
        iq = self.make_iq(id=self.new_id(), ito=to, itype=itype)
        if payload:
            iq.append(ET.fromstring(payload))
        self._note(">>", str(iq))
        try:
            answer = await iq.send(timeout=timeout or self.timeout)
        except IqError as error:
            text = str(error.iq)
            self._note("<<", text)
            if expect_error:
                return text
            raise CheckFailed(f"iq {itype} to {to} answered with an error: {text}")
        except IqTimeout:
            raise CheckFailed(f"iq {itype} to {to} got no answer within "
                              f"{timeout or self.timeout} s: {iq}")
        text = str(answer)
        self._note("<<", text)
        return text


# --- matchers -------------------------------------------------------------------------------

def is_message(id=None, frm=None, bare_from=None, body=None, mtype=None):
    def match(s):
        if s.name != "message":
            return False
        if id is not None and s["id"] != id:
            return False
        if frm is not None and s["from"].full != frm:
            return False
        if bare_from is not None and s["from"].bare != bare_from:
            return False
        if body is not None and body not in (s["body"] or ""):
            return False
        if mtype is not None and s["type"] != mtype:
            return False
        return True
    return match


def has_child(stanza, path):
    """True if stanza.xml has a descendant matching ElementTree `path` (with {ns} names)."""
    return stanza.xml.find(path) is not None


def is_presence(frm=None, bare_from=None, ptype=None, show=None):
    def match(s):
        if s.name != "presence":
            return False
        if frm is not None and s["from"].full != frm:
            return False
        if bare_from is not None and s["from"].bare != bare_from:
            return False
        t = s.xml.get("type", "available")
        if ptype is not None and t != ptype:
            return False
        if show is not None and s["show"] != show:
            return False
        return True
    return match
