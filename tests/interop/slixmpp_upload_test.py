#!/usr/bin/python3
"""HTTP File Upload with a third-party client: alice's client finds the upload service through
service discovery of her domain (identity store/file and the feature) and reads the largest file
size from the service's XEP-0128 form; slixmpp's XEP-0363 plugin refuses a larger file itself,
asks for a slot and PUTs a file with aiohttp (forwarding the slot's Authorization header); bob
then downloads the URL alice sends him and gets the same bytes.

The discovery is done here as the plugin's find_upload_service does it (disco#items of the
domain, disco#info of each item): in slixmpp 1.8.3 that function hands asyncio.wait bare
coroutines, which Python 3.11 refuses.

Driven by the scenario runner (scenario slixmpp_upload), which starts the server with the
http_upload module on a plain http listener and url http://127.0.0.1:PORT, so that aiohttp
neither resolves a name nor has to trust the test certificate. Prints one "ok:" line per step
passed and exits 0 only if every step passed, each within --timeout seconds.
"""

import asyncio
import io
import os
import ssl
import sys

import aiohttp
import slixmpp
from slixmpp.plugins.xep_0363.http_upload import FileTooBig

from interop_steps import StepFailed, TwoAccountSteps, main

MAX_FILE_SIZE = 200000


class Account(slixmpp.ClientXMPP):
    def __init__(self, name, jid, password):
        super().__init__(jid, password)
        self.name = name
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0128")
        self.register_plugin("xep_0363")
        self.started = False
        self.gone = False
        self.messages = []
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("message", self.on_message)

    def on_session_start(self, _event):
        self.started = True

    def on_disconnected(self, _event):
        self.gone = True

    def on_message(self, message):
        if message["body"]:
            self.messages.append(message["body"])


class Steps(TwoAccountSteps):
    async def log_in(self, name, jid, password):
        account = Account(name, jid, password)
        account.connect(address=("127.0.0.1", self.args.port), force_starttls=True)
        await self.wait_until(lambda: account.started or account.gone, f"{name} to log in")
        if not account.started:
            raise StepFailed(f"{name} ({jid}) could not log in")
        account.send_presence()
        return account

    async def discover(self):
        disco = self.alice["xep_0030"]
        items = await disco.get_items(jid="example.test", timeout=self.args.timeout)
        for jid, _node, _name in items["disco_items"]["items"]:
            info = await disco.get_info(jid=jid, timeout=self.args.timeout)
            identities = {(i[0], i[1]) for i in info["disco_info"]["identities"]}
            if ("store", "file") not in identities:
                continue
            if "urn:xmpp:http:upload:0" not in info["disco_info"]["features"]:
                raise StepFailed(f"{jid} is a file store without the upload feature")
            for form in info["disco_info"].iterables:
                values = form["values"]
                if values["FORM_TYPE"] == ["urn:xmpp:http:upload:0"]:
                    upload = self.alice["xep_0363"]
                    upload.upload_service = info["from"]
                    upload.max_file_size = int(values["max-file-size"])
                    print(f"ok: alice found the upload service {jid}", flush=True)
                    return
            raise StepFailed(f"{jid} has no upload form with max-file-size")
        raise StepFailed("no upload service among example.test's disco items")

    async def upload(self):
        content = os.urandom(150000)
        upload = self.alice["xep_0363"]
        url = await upload.upload_file("voice note.m4a", size=len(content),
                                       content_type="audio/mp4",
                                       input_file=io.BytesIO(content),
                                       timeout=self.args.timeout)
        if upload.upload_service != "upload.example.test":
            raise StepFailed(f"slixmpp found the upload service at {upload.upload_service}")
        if upload.max_file_size != MAX_FILE_SIZE:
            raise StepFailed(f"slixmpp read the largest file size as {upload.max_file_size}")
        if not url.endswith("/voice%20note.m4a"):
            raise StepFailed(f"unexpected URL {url}")
        print("ok: alice uploaded a file", flush=True)
        try:
            await upload.upload_file("film.mp4", size=MAX_FILE_SIZE + 1,
                                     input_file=io.BytesIO(b"x"), timeout=self.args.timeout)
            raise StepFailed("slixmpp uploaded a file larger than max-file-size")
        except FileTooBig:
            print("ok: slixmpp refused a file over max-file-size itself", flush=True)
        return url, content

    async def share(self, url, content):
        self.alice.send_message(mto=self.args.bob_jid, mbody=url, mtype="chat")
        await self.wait_until(lambda: url in self.bob.messages, "bob to receive the URL")
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as response:
                body = await response.read()
                if response.status != 200 or body != content:
                    raise StepFailed(f"bob's download: {response.status}, {len(body)} bytes, "
                                     f"{'the same' if body == content else 'not the same'}")
                if response.headers.get("Content-Type") != "audio/mp4":
                    raise StepFailed(f"Content-Type {response.headers.get('Content-Type')}")
        print("ok: bob downloaded the same bytes", flush=True)

    async def run(self):
        self.alice = await self.log_in("alice", self.args.alice_jid, self.args.alice_password)
        self.bob = await self.log_in("bob", self.args.bob_jid, self.args.bob_password)
        print("ok: both logged in", flush=True)
        await self.discover()
        url, content = await self.upload()
        await self.share(url, content)
        for account in (self.alice, self.bob):
            await account.disconnect(wait=self.args.timeout)


if __name__ == "__main__":
    sys.exit(main("slixmpp_upload_test", __doc__, Steps))
