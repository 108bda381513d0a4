// SPDX-License-Identifier: GPL-3.0-or-later
// A real browser as a Canopy viewer: Debian's headless Chromium, driven by playwright-core, in
// a network namespace of its own (Chromium ignores loopback for ICE), joins a room that
// `canopy-node` hosts, as the host's child with VP8 and with H.264, and with H.264 as the child
// of a `canopy-node` relay (which forwards RTP untouched). It checks decoded frames
// over a window, the resolution, audio packets, chat both ways, its node in the host's map, at
// most one keyframe request per join, and the ended page once the host leaves; it takes the
// screenshots of both pages for the README (CANOPY_SCREENSHOTS=DIR).
//
// node test-browser.js  (as root; env CANOPY_SIGNAL, CANOPY_NODE, CANOPY_WEB_DIR). Exit 77: skipped.
'use strict';

const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const SKIP = 77;
const WINDOW_MS = 5000;
const CHROMIUM = process.env.CANOPY_CHROMIUM || '/usr/bin/chromium';
const results = [];
let failures = 0;

function check(ok, what) {
  results.push(`${ok ? 'ok' : 'not ok'} ${results.length + 1} ${what}`);
  console.log(results[results.length - 1]);
  if (!ok) failures++;
  return ok;
}

function skip(why) {
  console.log(`1..0 # SKIP ${why}`);
  process.exit(SKIP);
}

let playwright;
try {
  playwright = require('playwright-core');
} catch (e) {
  skip('playwright-core is not installed (build-aux/install-deps)');
}
if (process.getuid() !== 0) skip('needs root for a network namespace');
if (!fs.existsSync(CHROMIUM)) skip(`no ${CHROMIUM} (apt-get install chromium)`);
for (const v of ['CANOPY_SIGNAL', 'CANOPY_NODE', 'CANOPY_WEB_DIR'])
  if (!process.env[v]) skip(`${v} is not set`);

// --- a namespace with one veth link to the root namespace ----------------------------------

const tag = 'cnb' + (process.pid % 100000);
const ns = tag;
const net = `10.99.${process.pid % 250}`;
const hostAddr = `${net}.1`;
const browserAddr = `${net}.2`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-browser-'));
const children = [];
let currentPage = null;

function ip(...args) {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

function netUp() {
  ip('netns', 'add', ns);
  ip('link', 'add', tag + 'a', 'type', 'veth', 'peer', 'name', tag + 'b');
  ip('link', 'set', tag + 'b', 'netns', ns);
  ip('addr', 'add', hostAddr + '/24', 'dev', tag + 'a');
  ip('link', 'set', tag + 'a', 'up');
  ip('-n', ns, 'addr', 'add', browserAddr + '/24', 'dev', tag + 'b');
  ip('-n', ns, 'link', 'set', tag + 'b', 'up');
  ip('-n', ns, 'link', 'set', 'lo', 'up');
}

function cleanUp() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  try { ip('link', 'del', tag + 'a'); } catch (e) { /* gone with the namespace */ }
  try { ip('netns', 'del', ns); } catch (e) { /* never made */ }
  fs.rmSync(tmp, { recursive: true, force: true });
}

// --- processes ------------------------------------------------------------------------------

function start(cmd, args, name) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.lines = [];
  child.waiters = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    child.lines.push(line);
    child.waiters = child.waiters.filter((w) => !w(line));
  });
  const log = fs.createWriteStream(path.join(tmp, name + '.log'));
  child.stderr.pipe(log);
  child.logPath = path.join(tmp, name + '.log');
  children.push(child);
  return child;
}

// The first line (or event) that @test accepts, seen or to come.
function waitLine(child, test, ms, what) {
  for (const line of child.lines) if (test(line)) return Promise.resolve(line);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for ' + what)), ms);
    child.waiters.push((line) => {
      if (!test(line)) return false;
      clearTimeout(timer);
      resolve(line);
      return true;
    });
  });
}

function event(line) {
  try { return JSON.parse(line); } catch (e) { return {}; }
}

const waitEvent = (child, test, ms, what) =>
  waitLine(child, (l) => test(event(l)), ms, what).then(event);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function poll(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}

function mapHas(node, id, parent) {
  if (!node) return false;
  for (const c of node.childNodes || []) {
    if (c.id === id && node.id === parent) return true;
    if (mapHas(c, id, parent)) return true;
  }
  return false;
}

// What Chromium's getStats() says about the edge.
async function stats(page) {
  return page.evaluate(async () => {
    const pc = window.canopyView.pc;
    const out = { video: null, audio: null };
    if (!pc) return out;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp') out[s.kind] = s;
    });
    return JSON.parse(JSON.stringify(out));
  });
}

// @pass: "vp8" or "h264" (the browser under the host), or "vp8-relay" (under a canopy-node
// relay, the host's only child: RTP the relay forwards untouched).
async function room(browser, url, pass, shots) {
  let codec = pass.replace(/-relay$/, '');
  const viaRelay = pass.endsWith('-relay');
  const host = start(process.env.CANOPY_NODE, ['host', '--server', url + 'ws', '--events',
    '--title', `Browser test (${codec})`, '--summary', 'A canopy-node host, a Chromium viewer',
    '-n', 'Host', '--codec', codec, '--width', '640', '--height', '360', '--fps', '15',
    '--k1', viaRelay ? '1' : '4',
    '--ice-address', hostAddr, '--chat', 'hello from the host', '--chat-every', '1'], 'host-' + pass);
  const roomId = (await waitEvent(host, (e) => e.event === 'room', 20000, 'the room')).room;
  let relayPeer = null;
  let relay = null;
  if (viaRelay) {
    relay = start(process.env.CANOPY_NODE, ['join', roomId, '--server', url + 'ws', '--events',
      '-n', 'Relay', '--capacity', '1', '--no-decode', '--ice-address', hostAddr], 'relay');
    relayPeer = (await waitEvent(relay, (e) => e.event === 'joined', 20000, 'the relay')).peer;
    // The relay's own join asked for a keyframe: a request within 500 ms of it waits for the
    // end of that interval (CANOPY_KEYFRAME_MIN_INTERVAL_MS), and Chromium asks again when no
    // keyframe came within ~200 ms. Measured here is one join on its own.
    await sleep(1500);
  }
  codec = pass;
  const httpBase = url.replace(/^ws/, 'http');

  if (shots) {
    const index = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    await index.goto(httpBase);
    await index.waitForSelector('.room-title', { timeout: 10000 });
    check(await index.locator('.room-title').first().textContent() === `Browser test (${codec})`,
      `${codec}: the index lists the room`);
    await index.screenshot({ path: path.join(shots, 'web-index.png') });
    await index.close();
  }

  const page = await browser.newPage({ viewport: shots ? { width: 1000, height: 640 } : { width: 390, height: 780 } });
  currentPage = page;
  page.on('console', (m) => { console.log(`# browser ${m.type()}: ${m.text()}`); });
  await page.goto(`${httpBase}r/${roomId}?name=Chromium`);
  await poll(() => page.evaluate(() => window.canopyView.state === 'watching'), 20000, 'the viewer to be watching');
  const me = await page.evaluate(() => window.canopyView.me);
  const hostPeer = await page.evaluate(() => window.canopyView.host);
  const parent = await page.evaluate(() => window.canopyView.parent);
  check(parent === (viaRelay ? relayPeer : hostPeer), `${codec}: joined as the ${viaRelay ? 'relay' : 'host'}'s child`);
  const idOk = await page.evaluate(() => CanopyIdentity.idForKey(window.canopyView.key) === window.canopyView.me);
  check(idOk, `${codec}: the peer id the page derives (BLAKE2b in JS) is the server's`);
  const secure = await page.evaluate(() => CanopyIdentity.secure);
  check(secure === codec.startsWith('vp8'), `${codec}: signs with ${secure ? 'WebCrypto (secure context)' : 'TweetNaCl (plain http)'}`);

  await poll(async () => { const s = await stats(page); return s.video && s.video.framesDecoded > 0; },
    15000, 'a decoded frame');
  const first = await page.evaluate(() => window.canopyView.firstFrameMs);
  const s0 = await stats(page);
  await sleep(WINDOW_MS);
  const s1 = await stats(page);
  const fps = (s1.video.framesDecoded - s0.video.framesDecoded) / (WINDOW_MS / 1000);
  const audio = s1.audio ? s1.audio.packetsReceived - (s0.audio ? s0.audio.packetsReceived : 0) : 0;
  const asks = (s1.video.pliCount || 0) + (s1.video.firCount || 0);
  console.log(`# ${codec}: join to first frame ${first ? first.toFixed(0) : '?'} ms, ` +
    `${fps.toFixed(1)} fps decoded over ${WINDOW_MS / 1000} s, ${s1.video.frameWidth}x${s1.video.frameHeight}, ` +
    `${audio} audio packets, ${s1.video.keyFramesDecoded} keyframes decoded, ${s1.video.pliCount} PLI, ` +
    `${s1.video.firCount} FIR, ${s1.video.nackCount} NACK sent, codec ${s1.video.codecId}`);
  check(fps >= 10, `${codec}: decodes >= 10 fps (host sends 15): ${fps.toFixed(1)}`);
  check(s1.video.frameWidth === 640 && s1.video.frameHeight === 360,
    `${codec}: 640x360 (${s1.video.frameWidth}x${s1.video.frameHeight})`);
  check(audio >= 150, `${codec}: audio packets (${audio} in ${WINDOW_MS / 1000} s, 50/s sent)`);
  check(asks <= 1, `${codec}: at most one keyframe request for the join (${asks})`);
  check(s1.video.keyFramesDecoded <= 2, `${codec}: no keyframe storm (${s1.video.keyFramesDecoded} decoded)`);

  await poll(() => page.evaluate(() => window.canopyView.chatLog.some(
    (m) => !m.own && m.text.startsWith('hello from the host #'))), 10000, 'the host\'s chat');
  check(true, `${codec}: host -> browser chat, signature checked`);
  const said = `hello from Chromium ${codec} <b>&amp;`;
  await page.fill('#chat-text', said);
  await page.click('#chat-send');
  const heard = await waitEvent(host, (e) => e.event === 'chat' && e.text === said, 10000,
    'the browser\'s chat at the host').catch(() => null);
  check(heard !== null && heard.origin === me && heard.hops === (viaRelay ? 2 : 1),
    `${codec}: browser -> host chat, verified by the host (origin, hops ${heard && heard.hops})`);
  const shown = await page.locator('.message.own .text').last().textContent();
  check(shown === said, `${codec}: chat shown as text, not markup`);

  // Text the receivers must clean (a bidi override, a zero-width space, six combining marks on
  // one letter, a joiner at the end) next to text they keep byte for byte (a ZWJ family, a
  // subdivision flag): the page signs what they make of it, so the host verifies it.
  const tricky = 'ok\u202eevil\u200b e\u0301\u0301\u0301\u0301\u0301\u0301 ' +
    '\u{1f468}\u200d\u{1f469}\u200d\u{1f467} \u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}' +
    '\u{e0074}\u{e007f} end\u200d';
  const cleaned = 'okevil e\u0301\u0301\u0301\u0301 \u{1f468}\u200d\u{1f469}\u200d\u{1f467} ' +
    '\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f} end';
  await page.fill('#chat-text', tricky);
  await page.click('#chat-send');
  const heardTricky = await waitEvent(host, (e) => e.event === 'chat' && e.origin === me &&
    e.text === cleaned, 10000, 'the browser\'s cleaned chat at the host').catch(() => null);
  check(heardTricky !== null, `${codec}: chat the receivers clean, signed as they clean it`);

  const inMap = await waitEvent(host, (e) => e.event === 'map' && mapHas(e.nodesMap, me, parent),
    10000, 'the browser in the host\'s map').catch(() => null);
  check(inMap !== null, `${codec}: the browser is in the host's map, under its parent`);
  await poll(() => page.evaluate((id) => {
    const has = (n) => n.childNodes.some((c) => c.id === id || has(c));
    return window.canopyView.map && has(window.canopyView.map);
  }, me), 10000, 'the browser\'s own map (host-signed) to show it').catch(() => null);
  check(await page.locator('.you').count() === 1, `${codec}: its tree shows it`);
  if (shots) await page.screenshot({ path: path.join(shots, 'web-room.png') });
  if (process.env.CANOPY_SCREENSHOTS && !shots)
    await page.screenshot({ path: path.join(process.env.CANOPY_SCREENSHOTS, 'web-room-phone.png'), fullPage: true });

  if (viaRelay) {
    // The relay hangs (SIGSTOP): its connection to the server stays open, so only the tree
    // can tell. The page must leave it, report it and play on under the host.
    const f0 = (await stats(page)).video.framesDecoded;
    const stoppedAt = Date.now();
    relay.kill('SIGSTOP');
    const moved = await poll(() => page.evaluate((id) => window.canopyView.parent !== id &&
      window.canopyView.state === 'watching', relayPeer), 30000, 'the browser to leave the stopped relay')
      .catch(() => false);
    const again = moved && await poll(async () => (await stats(page)).video.framesDecoded > f0 + 15,
      20000, 'frames again after the relay stopped').catch(() => false);
    const parentNow = await page.evaluate(() => window.canopyView.parent);
    console.log(`# ${codec}: the relay stopped; the browser under ${parentNow === hostPeer ? 'the host' : parentNow} ` +
      `decoding again after ${Date.now() - stoppedAt} ms`);
    check(moved && parentNow === hostPeer, `${codec}: leaves a stopped relay for the host`);
    check(again, `${codec}: decodes again after the relay stopped`);
    relay.kill('SIGCONT');
  }

  host.kill('SIGTERM');
  const ended = await poll(() => page.evaluate(() => window.canopyView.state === 'ended'), 10000,
    'the ended page').catch(() => false);
  check(ended && await page.locator('#ended').isVisible(), `${codec}: the ended page when the host leaves`);
  if (shots) await page.screenshot({ path: path.join(shots, 'web-ended.png') });
  await page.close();
  await new Promise((r) => (host.exitCode !== null ? r() : host.on('exit', r)));
}

(async () => {
  let browser = null;
  try {
    netUp();
    const signal = start(process.env.CANOPY_SIGNAL, ['--bind', hostAddr, '--port', '0'], 'signal');
    const listening = await waitLine(signal, (l) => l.startsWith('listening on '), 10000, 'canopy-signal');
    const url = listening.replace('listening on ', '').replace(/ws$/, '');
    // Chromium runs in the namespace: playwright talks to it over a pipe, which crosses it.
    const wrapper = path.join(tmp, 'chromium-in-ns');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`, { mode: 0o755 });
    const shots = process.env.CANOPY_SCREENSHOTS || null;
    for (const codec of (process.env.CANOPY_BROWSER_CODECS || 'vp8,h264,h264-relay').split(',')) {
    // VP8 in a secure context (WebCrypto signs), H.264 on plain http as a LAN page is (TweetNaCl).
    const secure = codec.startsWith('vp8');
    const t0 = Date.now();
    browser = await playwright.chromium.launch({
      executablePath: wrapper, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
        '--autoplay-policy=no-user-gesture-required',
        '--disable-features=WebRtcHideLocalIpsWithMdns',
        `--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE ${hostAddr}`,
        // WebCrypto is for secure contexts: https, or an origin the browser is told to trust.
        ...(secure ? [`--unsafely-treat-insecure-origin-as-secure=${url.replace(/^ws/, 'http').replace(/\/$/, '')}`] : [])],
    });
    console.log(`# Chromium up in ${Date.now() - t0} ms`);
    await room(browser, url, codec, codec === 'vp8' ? shots : null);
    await browser.close();
    browser = null;
    }
  } catch (e) {
    check(false, 'ran to the end: ' + e.message);
    if (currentPage) {
      const v = await currentPage.evaluate(() => { const v = window.canopyView; return v && { chatIn: v.chatIn, chatRefused: v.chatRefused, log: v.chatLog.length, state: v.state, me: v.me, parent: v.parent, joins: v.joins, pc: v.pc && v.pc.connectionState, ice: v.pc && v.pc.iceConnectionState }; }).catch((x) => String(x));
      console.log('# page: ' + JSON.stringify(v));
    }
    for (const c of children) if (c.logPath) console.log(`# ${c.logPath}:\n# ` + fs.readFileSync(c.logPath, 'utf8').split('\n').slice(-15).join('\n# '));
  } finally {
    if (browser) await browser.close().catch(() => {});
    cleanUp();
  }
  console.log(`1..${results.length}`);
  process.exit(failures ? 1 : 0);
})();
