#!/usr/bin/env node
// Headless-browser interop test: converse.js (a real web XMPP client) running
// in Chromium logs in to starlingd over WebSocket (RFC 7395) or BOSH, waits
// for a contact to come online, sends a message through the chat UI and waits
// for the reply.  Prints `STEP ...` lines as it goes; `FAIL <reason>` and exit
// status 1 on any failure or on the overall timeout.
//
// Setup: (cd tests/browser && npm ci) -- converse.js is served from
// node_modules/converse.js/dist; Chromium is Debian's (--chromium PATH).
// The contact must be a mutual (subscription=both) contact and online, and
// reply with the --expect text to the --send message (the peer is not here).
//
// Example:
//   node converse_test.mjs --transport websocket \
//     --url ws://127.0.0.1:15280/xmpp-websocket \
//     --jid alice@example.test --password alice-pw --contact bob@example.test \
//     --send 'hello from converse' --expect 'hello from the peer' \
//     --screenshot artefacts/ws.png
import { createReadStream, mkdirSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.join(here, 'node_modules', 'converse.js', 'dist');

const { values: opt } = parseArgs({
    options: {
        chromium: { type: 'string', default: '/usr/bin/chromium' },
        transport: { type: 'string', default: 'websocket' },
        url: { type: 'string' },
        jid: { type: 'string' },
        password: { type: 'string' },
        contact: { type: 'string' },
        send: { type: 'string', default: 'hello from converse' },
        expect: { type: 'string' },
        screenshot: { type: 'string', default: path.join(here, 'artefacts', 'converse.png') },
        timeout: { type: 'string', default: '60' },
    },
});
for (const k of ['url', 'jid', 'password', 'contact', 'expect']) {
    if (!opt[k]) usage(`--${k} is required`);
}
if (!['websocket', 'bosh'].includes(opt.transport)) usage('--transport must be websocket or bosh');
function usage(msg) {
    console.log(`FAIL usage: ${msg}`);
    process.exit(2);
}

const started = Date.now();
const deadline = started + Number(opt.timeout) * 1000;
const remaining = () => Math.max(1, deadline - Date.now());
mkdirSync(path.dirname(path.resolve(opt.screenshot)), { recursive: true });
const logPath = `${opt.screenshot}.log`;
writeFileSync(logPath, '');
// Everything the page says (converse's debug log, transport frames, errors)
// goes to PATH.log with a timestamp relative to the start of the run.
const logLines = [];
function plog(line) {
    const l = `${((Date.now() - started) / 1000).toFixed(3)} ${line}`;
    logLines.push(l);
    appendFileSync(logPath, l + '\n');
}
const step = (s) => console.log(`STEP ${s} (${((Date.now() - started) / 1000).toFixed(1)}s)`);

// converse.initialize() settings.  Only the ones that matter for a
// deterministic, offline, headless run are set; the rest stay at defaults so
// the server sees what a real deployment would send.
const settings = {
    authentication: 'login',
    auto_login: true,
    jid: opt.jid,
    password: opt.password,
    ...(opt.transport === 'websocket' ? { websocket_url: opt.url } : { bosh_service_url: opt.url }),
    discover_connection_methods: false, // no XEP-0156 host-meta fetch from https://example.test
    auto_reconnect: false, // a dropped stream is a test failure, not something to hide
    view_mode: 'fullscreen',
    loglevel: 'debug',
    assets_path: '/dist/', // lazy chunks (locales, emoji) come from our own server
    i18n: 'en',
    persistent_store: 'sessionStorage', // nothing survives the run anyway (fresh profile)
    // Features that fetch from the internet or need extra crypto plumbing:
    blacklisted_plugins: ['converse-omemo', 'converse-omemo-views', 'converse-push'],
    omemo_default: false,
    use_system_emojis: true, // otherwise emoji images come from a twemoji CDN
    xmpp_providers_url: '',
    autocomplete_providers_url: '',
    fetch_url_headers: false,
    render_media: false,
    show_images_inline: false,
    play_sounds: false,
    show_desktop_notifications: false,
    whitelisted_plugins: ['starling-test'],
};

// The page: converse.js plus a tiny plugin that hands its API to the test
// (converse keeps the API private to whitelisted plugins) and records
// connection events so that a failed login is reported at once.
const page_html = `<!doctype html>
<html><head><meta charset="utf-8"><title>starling converse test</title>
<link rel="stylesheet" href="/dist/converse.min.css">
<script>
window.starlingTest = { events: [], fatal: null };
// An uncaught error (e.g. converse failing to load) ends the test at once.
addEventListener('error', (e) => { window.starlingTest.fatal ??= 'page error: ' + e.message; });
</script>
<script type="module" src="/dist/converse.min.js"></script>
</head><body class="converse-fullscreen"><script type="module">
// converse 14's dist is an ES module (it uses import.meta); module scripts run
// in document order, so window.converse exists here.
converse.plugins.add('starling-test', {
    initialize() {
        const api = this._converse.api;
        const t = window.starlingTest;
        t.api = api;
        t._converse = this._converse;
        const note = (e) => { t.events.push(e); console.info('starling-test event: ' + e); };
        api.listen.on('connected', () => note('connected'));
        api.listen.on('reconnected', () => note('reconnected'));
        api.listen.on('disconnected', () => {
            const fb = t.events.filter((e) => e.startsWith('connfeedback')).pop();
            t.fatal = 'disconnected (last ' + (fb || 'connfeedback: none') + ')';
            note('disconnected');
        });
        api.listen.on('connfeedback', (fb) => note('connfeedback ' + fb.get('connection_status') + ' ' + (fb.get('message') || '')));
        api.listen.on('noResumeableBOSHSession', () => note('noResumeableBOSHSession'));
        api.waitUntil('rosterContactsFetched').then(() => note('rosterContactsFetched'));
    },
});
converse.initialize(${JSON.stringify(settings).replace(/</g, '\\u003c')}).catch((e) => {
    window.starlingTest.fatal = 'converse.initialize failed: ' + e;
});
</script></body></html>`;

const MIME = {
    '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
    '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
    '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.map': 'application/json',
    '.mp3': 'audio/mpeg', '.ogg': 'audio/ogg',
};

// Static server for the page and converse's dist/ (no CDN: the machine has
// no internet, and the test must not depend on it).
const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/' || u.pathname === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        return res.end(page_html);
    }
    if (u.pathname.startsWith('/dist/')) {
        const file = path.normalize(path.join(DIST, decodeURIComponent(u.pathname.slice(6))));
        if (file.startsWith(DIST + path.sep)) {
            try {
                if (statSync(file).isFile()) {
                    res.writeHead(200, { 'content-type': MIME[path.extname(file)] || 'application/octet-stream' });
                    return createReadStream(file).pipe(res);
                }
            } catch { /* fall through to 404 */ }
        }
    }
    plog(`http 404 ${req.url}`);
    res.writeHead(404).end();
});

let browser, page, failure = null;
let wireSent = false; // the --send text went out in a <body> on the wire
let phase = 'starting'; // what the run is doing, for the timeout message
try {
    await new Promise((ok, ko) => server.once('error', ko).listen(0, '127.0.0.1', ok));
    const origin = `http://127.0.0.1:${server.address().port}`;
    plog(`serving ${origin} transport=${opt.transport} url=${opt.url}`);

    // Whole-run bound: whatever step is pending when it fires fails the run.
    const timeout = new Promise((_, ko) =>
        setTimeout(() => ko(new Error(`timeout after ${opt.timeout}s while ${phase}`)), remaining()).unref());
    await Promise.race([run(origin), timeout]);
} catch (e) {
    failure = e;
}

// Screenshot whatever state we are in (also on failure: it shows how far
// converse got), then tear everything down.
if (page) {
    try {
        await page.screenshot({ path: opt.screenshot, timeout: 10000 });
        if (!failure) step(`screenshot ${opt.screenshot}`);
    } catch (e) {
        plog(`screenshot failed: ${e.message}`);
    }
}
await browser?.close().catch(() => {});
server.closeAllConnections?.();
server.close();

if (failure) {
    console.log(`FAIL ${failure.message.split('\n')[0]}`);
    console.log(`--- last page log lines (full log: ${logPath}) ---`);
    for (const l of logLines.slice(-25)) console.log(l.length > 600 ? l.slice(0, 600) + '...' : l);
    process.exit(1);
}
console.log(`PASS converse.js ${opt.transport} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
process.exit(0);

async function run(origin) {
    phase = 'launching chromium';
    browser = await chromium.launch({
        executablePath: opt.chromium,
        headless: true,
        timeout: remaining(),
        args: [
            '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
            '--disable-background-networking', '--disable-component-update', '--no-first-run',
            '--disable-quic', '--disable-sync',
            // The server's certificate is self-signed (for wss:// and https BOSH).
            '--ignore-certificate-errors',
            // Never resolve anything: the XMPP domain must not reach DNS.
            '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
        ],
    });
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(remaining());

    // Strophe logs stanzas as "%c%s color: darkcyan <xml>" (sent) and
    // "... darkgoldenrod <xml>" (received); turn that into arrows.
    const dir = { darkcyan: 'SENT', darkgoldenrod: 'RECV' };
    page.on('console', (m) => plog(`console.${m.type()} ${m.text()
        .replace(/^%c%s color: (\w+) /, (_, c) => `${dir[c] || c} `)}`));
    page.on('pageerror', (e) => plog(`pageerror ${e.stack || e}`));
    page.on('requestfailed', (r) => plog(`requestfailed ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
    // Raw transport traffic, to tell what the server said apart from what
    // converse made of it; also how we know the message really left.
    const esc = (x) => x.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const body = [esc(opt.send), esc(opt.send).replace(/'/g, '&apos;').replace(/"/g, '&quot;')]
        .map((b) => `>${b}</body>`);
    const sawBody = (payload) => { if (body.some((b) => String(payload).includes(b))) wireSent = true; };
    page.on('websocket', (ws) => {
        plog(`ws open ${ws.url()}`);
        ws.on('framesent', (f) => { sawBody(f.payload); plog(`ws> ${f.payload}`); });
        ws.on('framereceived', (f) => plog(`ws< ${f.payload}`));
        ws.on('socketerror', (e) => plog(`ws error ${e}`));
        ws.on('close', () => plog('ws close'));
    });
    // BOSH requests and responses go to the log too.  No request interception
    // (page.route): Playwright would then answer CORS preflights itself and
    // hide whether the server's BOSH endpoint handles them.
    const isBosh = (u) => opt.transport === 'bosh' && u.startsWith(opt.url);
    page.on('request', (r) => {
        if (isBosh(r.url())) {
            sawBody(r.postData());
            plog(`bosh> ${r.method()} ${r.postData() ?? ''}`);
        } else if (!r.url().startsWith(origin + '/') && !r.url().startsWith('data:')) {
            // e.g. the sponsor logos on converse's fullscreen login screen:
            // --host-resolver-rules makes these fail at once, without DNS.
            plog(`external request ${r.method()} ${r.url()}`);
        }
    });
    page.on('response', async (r) => {
        if (isBosh(r.url())) plog(`bosh< ${r.status()} ${await r.text().catch((e) => `(no body: ${e.message})`)}`);
    });

    await page.goto(origin + '/', { waitUntil: 'load' });

    // Wait for a page-side condition, failing early when converse has
    // recorded a fatal connection event.
    const waitFor = async (label, fn, arg) => {
        phase = `waiting for ${label}`;
        const h = await page.waitForFunction(
            ([src, a]) => window.starlingTest?.fatal ? { fatal: window.starlingTest.fatal }
                : (new Function('t', 'a', `return (${src})(t, a)`))(window.starlingTest, a),
            [fn.toString(), arg], { timeout: remaining(), polling: 100 },
        ).catch((e) => { throw new Error(`waiting for ${label}: ${e.message.split('\n')[0]}`); });
        const v = await h.jsonValue();
        if (v?.fatal) throw new Error(`waiting for ${label}: ${v.fatal}`);
        return v;
    };

    await waitFor('login', (t) => t.api?.connection.connected() && t.events.includes('connected'));
    step('logged-in');

    // Synchronous checks only: waitForFunction polls, and an awaited promise
    // that never settles would stall the polling (and the fatal check).
    await waitFor('roster', (t) => t.events.includes('rosterContactsFetched'));
    const status = await waitFor(`${opt.contact} online`, (t, jid) => {
        const s = t._converse.state.roster?.get(jid)?.getStatus?.();
        return s && s !== 'offline' ? s : false;
    }, opt.contact);
    step(`contact-online ${opt.contact} (${status})`);

    // The real UI path: click the contact in the roster, type, press Enter.
    phase = 'opening the chat';
    // (first(): with unread messages the contact is listed twice, also under
    // "New messages"; both entries open the same chat.)
    await page.locator(`a.open-chat[data-jid="${opt.contact}"]`).first().click();
    const chat = page.locator(`converse-chat[jid="${opt.contact}"]`);
    const textarea = chat.locator('textarea.chat-textarea');
    await textarea.waitFor();
    // Opening the chat loads history from the server's archive (MAM), which
    // holds earlier runs' identical texts: only messages that arrive live
    // after this instant count.
    await page.evaluate(() => { window.starlingTest.sentAt = new Date().toISOString(); });
    await textarea.fill(opt.send);
    await textarea.press('Enter');
    // Page-side: msgid of a live message (not from the archive, not delayed
    // offline delivery, not a carbon, not older than sentAt) with this sender
    // ('me'/'them') and text, else false.
    const liveMessage = (t, [jid, sender, text]) => t._converse.state.chatboxes?.get(jid)
        ?.messages.find((m) => m.get('sender') === sender && !m.get('is_archived') &&
            !m.get('is_delayed') && !m.get('is_carbon') &&
            (m.get('body') ?? m.get('message')) === text &&
            (m.get('received') ?? m.get('time')) >= t.sentAt)?.get('msgid') ?? false;
    const shown = (msgid, text) => chat.locator(`.chat-msg[data-msgid="${msgid}"] .chat-msg__text`, { hasText: text }).waitFor();
    const sentId = await waitFor('the sent message in the chat', liveMessage, [opt.contact, 'me', opt.send]);
    await shown(sentId, opt.send);
    phase = 'waiting for the sent message on the wire';
    while (!wireSent) await new Promise((r) => setTimeout(r, 50)); // bounded by the run timeout
    step('sent');

    const gotId = await waitFor(`${JSON.stringify(opt.expect)} from ${opt.contact}`, liveMessage, [opt.contact, 'them', opt.expect]);
    await shown(gotId, opt.expect);
    step('received');
}
