// SPDX-License-Identifier: GPL-3.0-or-later
// A browser viewer: a leaf of the room's tree (capacity 0), speaking docs/protocol.md like a
// native peer: hello with an Ed25519 key, join, answer the parent's offer, ping on ctrl, an
// `attach` edge statement, signed chat, and the host's signed map.
(() => {
'use strict';

const { el } = Canopy;
const { Identity, idForKey, verifySignature, sha256Hex } = CanopyIdentity;

const roomId = Canopy.normalizeRoomId(decodeURIComponent(location.pathname.replace(/^\/r\//, '')));
const video = document.getElementById('video');
const stateLabel = document.getElementById('state');
const messagesList = document.getElementById('messages');
const chatText = document.getElementById('chat-text');
const chatSend = document.getElementById('chat-send');

// Everything the page knows, also read by tests (tests/browser).
const view = window.canopyView = {
  room: roomId, me: null, name: null, host: null, parent: null, state: 'starting',
  pc: null, ctrl: null, chat: null, beat: null, map: null, mapVersion: -1, mutes: new Set(),
  chatLog: [], joins: 0, ended: null, iceServers: [],
};

let identity = null;
let ws = null;
let everIdentified = false;
let pendingCandidates = [];
let pingTimer = 0;
let watchTimer = 0;
let heardAt = 0;        // performance.now() of the parent's last ctrl message (pongs too)
let mediaAt = 0;        // ...and of the last time its video grew
let mediaPackets = -1;
let parts = null;
const seen = new Map(); // origin -> highest seq delivered

function setState(state, text) {
  view.state = state;
  stateLabel.textContent = text;
  stateLabel.dataset.state = state;
}

function send(message) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

function showEnded(title, text) {
  view.ended = title;
  setState('ended', 'Ended');
  document.getElementById('ended-title').textContent = title;
  document.getElementById('ended-text').textContent = text || '';
  document.getElementById('ended').hidden = false;
  chatText.disabled = chatSend.disabled = true;
  closeEdge();
  if (ws) { ws.onclose = null; ws.close(); }
}

// --- the tree -----------------------------------------------------------------------------

function renderTree() {
  const box = document.getElementById('tree');
  box.replaceChildren();
  if (!view.map) return;
  const build = (node, depth) => {
    const li = el('li', 'node');
    const label = el('span', 'node-name', node.name);
    li.append(label);
    if (node.id === view.me) li.append(' ', el('span', 'badge you', 'you'));
    if (depth === 0) li.append(' ', el('span', 'badge', 'host'));
    if (node.childNodes.length > 0 && depth < 64) {
      const ul = el('ul');
      for (const c of node.childNodes) ul.append(build(c, depth + 1));
      li.append(ul);
    }
    return li;
  };
  const ul = el('ul', 'tree-root');
  ul.append(build(view.map, 0));
  box.append(ul);
  const count = countNodes(view.map) - 1;
  document.getElementById('room-meta').textContent = Canopy.viewersText(count);
}

function countNodes(node) {
  return 1 + node.childNodes.reduce((n, c) => n + countNodes(c), 0);
}

// A node as the map carries it; null when anything is off.
function readNode(json, depth) {
  if (!json || typeof json !== 'object' || depth > 256) return null;
  if (typeof json.id !== 'string' || typeof json.name !== 'string' ||
      !Number.isInteger(json.capacity)) return null;
  const node = { id: json.id, name: json.name, capacity: json.capacity, childNodes: [] };
  for (const c of Array.isArray(json.childNodes) ? json.childNodes : []) {
    const child = readNode(c, depth + 1);
    if (!child) return null;
    node.childNodes.push(child);
  }
  return node;
}

function cloneNode(n) {
  return { id: n.id, name: n.name, capacity: n.capacity, childNodes: n.childNodes.map(cloneNode) };
}

function index(root) {
  const nodes = new Map();
  const walk = (n, parent) => { nodes.set(n.id, { node: n, parent }); n.childNodes.forEach((c) => walk(c, n)); };
  walk(root, null);
  return nodes;
}

function applyOps(root, ops) {
  const map = cloneNode(root);
  for (const op of ops) {
    const nodes = index(map);
    if (!op || typeof op !== 'object') return null;
    if (op.op === 'add') {
      const parent = nodes.get(op.parent);
      const node = readNode(op.node, 0);
      if (!parent || !node) return null;
      parent.node.childNodes.push(node);
    } else if (op.op === 'remove') {
      const entry = nodes.get(op.id);
      if (!entry || !entry.parent) return null;
      entry.parent.childNodes = entry.parent.childNodes.filter((c) => c.id !== op.id);
    } else if (op.op === 'move') {
      const entry = nodes.get(op.id);
      const parent = nodes.get(op.parent);
      if (!entry || !entry.parent || !parent) return null;
      entry.parent.childNodes = entry.parent.childNodes.filter((c) => c.id !== op.id);
      parent.node.childNodes.push(entry.node);
    } else if (op.op === 'set') {
      const entry = nodes.get(op.id);
      if (!entry) return null;
      if (typeof op.name === 'string') entry.node.name = op.name;
      if (Number.isInteger(op.capacity)) entry.node.capacity = op.capacity;
    } else {
      return null;
    }
  }
  return map;
}

// SHA-256 over every node sorted by id: id, parent id, name, capacity, each followed by NUL.
async function mapDigest(root) {
  const rows = [];
  const walk = (n, parentId) => { rows.push([n.id, parentId, n.name, String(n.capacity)]); n.childNodes.forEach((c) => walk(c, n.id)); };
  walk(root, '');
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const enc = new TextEncoder();
  const chunks = [];
  for (const row of rows) for (const f of row) { chunks.push(enc.encode(f), new Uint8Array([0])); }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of chunks) { all.set(c, pos); pos += c.length; }
  return sha256Hex(all);
}

async function handleMap(m) {
  if (!Number.isInteger(m.version)) return;
  let map = null;
  if (m.nodesMap) map = readNode(m.nodesMap, 0);
  else if (Array.isArray(m.ops) && view.map && m.version === view.mapVersion + 1) map = applyOps(view.map, m.ops);
  if (!map) {
    if (Array.isArray(m.ops)) sendCtrl({ type: 'map-sync' });
    return;
  }
  // The host's, signed for this room and version: nobody on the way can change it.
  const ok = map.id === view.host && idForKey(m.key) === view.host &&
    await verifySignature(m.key, m.sig, 'canopy-map', [roomId, String(m.version), await mapDigest(map)]);
  if (!ok) {
    console.warn('Refusing a map the host did not sign');
    if (Array.isArray(m.ops)) sendCtrl({ type: 'map-sync' });
    return;
  }
  view.map = map;
  view.mapVersion = m.version;
  renderTree();
}

async function handleMutes(m) {
  if (!Number.isInteger(m.version) || !Array.isArray(m.ids) || idForKey(m.key) !== view.host) return;
  const ids = m.ids.filter((i) => typeof i === 'string').sort();
  const enc = new TextEncoder();
  const bytes = ids.flatMap((i) => [...enc.encode(i), 0]);
  const hex = await sha256Hex(new Uint8Array(bytes));
  if (await verifySignature(m.key, m.sig, 'canopy-mutes', [roomId, String(m.version), hex]))
    view.mutes = new Set(ids);
}

// --- chat ---------------------------------------------------------------------------------

// canopy_text_sanitize() (src/protocol/canopy-text.c, docs/protocol.md "Text hygiene"), code
// point for code point: the receivers clean a chat's name and text before they check its
// signature, so we sign exactly what they will make of it. One difference is left: a code point
// this browser's Unicode knows but GLib's tables (Unicode 15.0 on Debian 12) do not is kept here
// and removed there, and that message is refused by native peers.
const BASE = 0, SPACE = 1, BREAK = 2, MARK = 3, SELECTOR = 4, JOINER = 5, TAG = 6, REMOVED = 7;
const MARKS_MAX = 4, TAG_SPEC_MAX = 6, CANCEL_TAG = 0xe007f;

function classify(ch) {
  if (ch === undefined) return REMOVED; // past the end, as C's NUL
  const c = ch.codePointAt(0);
  if (c > 0x20 && c < 0x7f) return BASE;
  switch (c) {
    case 0x20: return SPACE;
    case 0x09: case 0x0a: case 0x0d: case 0x85: case 0x2028: case 0x2029: return BREAK;
    case 0x200c: case 0x200d: return JOINER;
    case 0xfe0e: case 0xfe0f: return SELECTOR;
    case 0x034f: case 0x115f: case 0x1160: case 0x3164: case 0xffa0: case 0xfffc: return REMOVED;
    default: break;
  }
  if (c >= 0xe0020 && c <= CANCEL_TAG) return TAG;
  if ((c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) === 0xfffe) return REMOVED;
  if (/[\p{Cc}\p{Cf}\p{Cn}\p{Co}\p{Cs}]/u.test(ch)) return REMOVED;
  if (/\p{M}/u.test(ch)) return MARK;
  if (/\p{Z}/u.test(ch)) return SPACE;
  return BASE;
}

// The length of the well-formed tag sequence starting at chars[i], or 0.
function tagSequenceLength(chars, i) {
  for (let n = 0; n <= TAG_SPEC_MAX; n++) {
    const c = i + n < chars.length ? chars[i + n].codePointAt(0) : 0;
    if (c === CANCEL_TAG) return n > 0 ? n + 1 : 0;
    if (!(c >= 0xe0030 && c <= 0xe0039) && !(c >= 0xe0061 && c <= 0xe007a)) return 0;
  }
  return 0;
}

function clean(text) {
  // Lone surrogates become U+FFFD, as g_utf8_make_valid() does with invalid bytes.
  const chars = Array.from(String(text), (ch) => /\p{Cs}/u.test(ch) ? '\ufffd' : ch);
  let out = '', marks = 0, onBase = false, afterBase = false, joinable = false, tagsLeft = 0;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    const kind = classify(ch);
    let keep;
    switch (kind) {
      case BASE: case SPACE: case BREAK: keep = true; break;
      case MARK: keep = onBase && marks < MARKS_MAX; break;
      case SELECTOR: keep = afterBase; break;
      case JOINER: keep = joinable && classify(chars[i + 1]) === BASE; break;
      case TAG: keep = tagsLeft > 0; if (keep) tagsLeft--; break;
      default: keep = false;
    }
    joinable = keep && kind !== SPACE && kind !== BREAK && kind !== JOINER;
    if (!keep) continue;
    out += kind === BREAK ? ' ' : ch;
    afterBase = kind === BASE;
    if (kind === MARK) marks++;
    else if (kind === BASE || kind === SPACE || kind === BREAK) { onBase = kind === BASE; marks = 0; }
    if (ch === '\u{1f3f4}') tagsLeft = tagSequenceLength(chars, i + 1);
  }
  return out;
}

// A display name: cleaned, ends trimmed (ASCII white space, as g_strstrip), at most 64
// characters, cleaned again so that the cut leaves no joiner at its end.
function cleanName(text) {
  return clean(Array.from(clean(text).replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, ''))
    .slice(0, 64).join('')).replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '');
}

function showChat(message, own) {
  view.chatLog.push({ origin: message.origin, name: message.name, text: message.text, own });
  const item = el('li', own ? 'message own' : 'message');
  item.append(el('span', 'author', message.name), ' ', el('span', 'text', message.text));
  messagesList.append(item);
  while (messagesList.children.length > 200) messagesList.firstChild.remove();
  messagesList.scrollTop = messagesList.scrollHeight;
}

async function handleChat(text) {
  view.chatIn = (view.chatIn || 0) + 1;
  if (text.length > 16384) return;
  let m;
  try { m = JSON.parse(text); } catch (e) { return; }
  if (!m || m.type !== 'chat' || typeof m.origin !== 'string' || !Number.isInteger(m.seq) ||
      m.seq < 1 || typeof m.name !== 'string' || !Number.isInteger(m.time) ||
      typeof m.text !== 'string' || m.text.length > 2000 || m.origin === view.me) return;
  if ((seen.get(m.origin) || 0) >= m.seq || view.mutes.has(m.origin)) return;
  if (idForKey(m.key) !== m.origin ||
      !await verifySignature(m.key, m.sig, 'canopy-chat',
        [roomId, m.origin, String(m.seq), m.name, String(m.time), m.text])) {
    view.chatRefused = (view.chatRefused || 0) + 1;
    return;
  }
  // A leaf delivers as it comes: its only neighbour keeps each origin's order.
  seen.set(m.origin, m.seq);
  showChat(m, false);
}

async function sendChat(text) {
  const body = clean(text).trim() ? clean(text) : '';
  if (!body || !view.chat || view.chat.readyState !== 'open') return;
  const message = {
    type: 'chat', origin: view.me, seq: identity.next('chat'), name: view.name,
    time: Date.now(), text: body, hops: 1, key: identity.key,
  };
  message.sig = await identity.sign('canopy-chat', [roomId, message.origin, String(message.seq),
    message.name, String(message.time), message.text]);
  view.chat.send(JSON.stringify(message));
  showChat(message, true);
}

// --- the edge to the parent ----------------------------------------------------------------

// Pings go on the parent's unordered, unreliable "beat" channel when it made one: a lost
// ping there holds nothing up, where on ctrl it stalls every message after it until resent.
function sendPing() {
  const text = JSON.stringify({ type: 'ping', t: Date.now() });
  if (view.beat && view.beat.readyState === 'open') view.beat.send(text);
  else if (view.ctrl && view.ctrl.readyState === 'open') view.ctrl.send(text);
}

function sendCtrl(message) {
  if (view.ctrl && view.ctrl.readyState === 'open') view.ctrl.send(JSON.stringify(message));
}

function handleCtrl(text) {
  heardAt = performance.now();
  if (text.length > 262144) return;
  let m;
  try { m = JSON.parse(text); } catch (e) { return; }
  if (!m || typeof m.type !== 'string') return;
  if (m.type === 'part') {
    if (!Number.isInteger(m.n) || !Number.isInteger(m.of) || typeof m.data !== 'string') return;
    if (m.n === 0) parts = { text: '', next: 0, of: m.of };
    if (!parts || m.n !== parts.next || m.of !== parts.of) { parts = null; return; }
    parts.text += m.data;
    parts.next++;
    if (parts.text.length > 16 * 1024 * 1024) { parts = null; return; }
    if (parts.next === parts.of) { const whole = parts.text; parts = null; if (!whole.startsWith('{"type":"part"')) handleCtrl(whole); }
  } else if (m.type === 'map') {
    handleMap(m);
  } else if (m.type === 'mutes') {
    handleMutes(m);
  }
}

function closeEdge() {
  clearInterval(pingTimer);
  pingTimer = 0;
  clearInterval(watchTimer);
  watchTimer = 0;
  if (view.pc) view.pc.close();
  view.pc = view.ctrl = view.chat = view.beat = null;
  pendingCandidates = [];
  chatText.disabled = chatSend.disabled = true;
}

async function onCtrlOpen() {
  // "I am attached to my parent", signed: the host puts us in its map only with it.
  const seq = identity.next('edge', Date.now() * 1000);
  const fields = [roomId, 'attach', view.me, view.parent, String(seq)];
  const sig = await identity.sign('canopy-edge', fields);
  send({ type: 'edge', statement: { kind: 'attach', room: roomId, peer: view.me, other: view.parent, seq, key: identity.key, sig } });
  pingTimer = setInterval(sendPing, 100);
  heardAt = mediaAt = performance.now();
  mediaPackets = -1;
  view.leftParents = [];
  view.fullSince = 0;
  watchTimer = setInterval(watchParent, 500);
  setState('watching', 'Live');
}

// A parent that crashed or hangs answers nothing, and the server may never say so (its
// connection can stay open): as native children do (docs/protocol.md, "Liveness"), leave a
// parent that sent nothing for 2 s while its media stopped too, or for 10 s whatever its
// media does, report it and ask for a new place without it.
async function watchParent() {
  const pc = view.pc;
  if (!pc) return;
  let packets = 0;
  try {
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') packets += r.packetsReceived || 0;
    });
  } catch (e) { return; }
  if (pc !== view.pc) return;
  const now = performance.now();
  if (packets > mediaPackets) { mediaPackets = packets; mediaAt = now; }
  const quiet = now - heardAt;
  if (!(quiet > 10000 || (quiet > 2000 && now - mediaAt > 2000))) return;
  const parent = view.parent;
  send({ type: 'report', peer: parent, reason: 'silent' });
  setState('reconnecting', 'Reconnecting…');
  closeEdge();
  view.leftParents = (view.leftParents || []).concat(parent).slice(-8);
  join(view.leftParents);
}

function newEdge() {
  closeEdge();
  const pc = view.pc = new RTCPeerConnection({ iceServers: view.iceServers, bundlePolicy: 'max-bundle' });
  const stream = new MediaStream();
  pc.ontrack = (event) => {
    stream.addTrack(event.track);
    if (video.srcObject !== stream) {
      video.srcObject = stream;
      if (video.requestVideoFrameCallback)
        video.requestVideoFrameCallback(() => { view.firstFrameMs = performance.now() - view.placedAt; });
      video.muted = false;
      video.play().catch(() => {
        // Autoplay with sound needs a click here: play muted until then.
        video.muted = true;
        video.play().catch(() => {});
        document.getElementById('unmute').hidden = false;
      });
    }
  };
  pc.onicecandidate = (event) => {
    if (event.candidate && event.candidate.candidate)
      send({ type: 'signal', to: view.parent, data: { candidate: event.candidate.candidate, mline: event.candidate.sdpMLineIndex || 0 } });
  };
  pc.ondatachannel = (event) => {
    const channel = event.channel;
    if (channel.label === 'ctrl') {
      view.ctrl = channel;
      channel.onmessage = (e) => { if (typeof e.data === 'string') handleCtrl(e.data); };
      channel.onopen = onCtrlOpen;
      if (channel.readyState === 'open') onCtrlOpen();
    } else if (channel.label === 'beat') {
      view.beat = channel;
      channel.onmessage = (e) => {
        if (typeof e.data === 'string' && e.data.length <= 96 && e.data.startsWith('{"type":"pong"')) handleCtrl(e.data);
      };
    } else if (channel.label === 'chat') {
      view.chat = channel;
      channel.onmessage = (e) => { if (typeof e.data === 'string') handleChat(e.data); };
      const open = () => { chatText.disabled = chatSend.disabled = false; };
      channel.onopen = open;
      if (channel.readyState === 'open') open();
    }
  };
  pc.onconnectionstatechange = () => {
    if (pc !== view.pc) return;
    if (pc.connectionState === 'failed') {
      // No ICE restart on the native side either: a new parent.
      setState('reconnecting', 'Reconnecting…');
      closeEdge();
      join([view.parent]);
    }
  };
}

async function handleSignal(from, data) {
  if (from !== view.parent || !data || typeof data !== 'object') return;
  if (typeof data.sdp === 'string' && data.sdp_type === 'offer') {
    newEdge();
    const pc = view.pc;
    await pc.setRemoteDescription({ type: 'offer', sdp: data.sdp });
    for (const c of pendingCandidates) pc.addIceCandidate(c).catch(() => {});
    pendingCandidates = [];
    await pc.setLocalDescription(await pc.createAnswer());
    send({ type: 'signal', to: view.parent, data: { sdp: pc.localDescription.sdp, sdp_type: 'answer' } });
  } else if (typeof data.candidate === 'string' && Number.isInteger(data.mline)) {
    const c = { candidate: data.candidate, sdpMLineIndex: data.mline };
    if (view.pc && view.pc.remoteDescription) view.pc.addIceCandidate(c).catch(() => {});
    else pendingCandidates.push(c);
  }
}

// --- signalling ----------------------------------------------------------------------------

function join(avoid) {
  view.joins++;
  view.parent = null;
  const message = { type: 'join', room: roomId, name: view.name, capacity: 0 };
  if (avoid && avoid.length) message.avoid = avoid.filter(Boolean).slice(0, 8);
  send(message);
}

async function onServerMessage(m) {
  switch (m.type) {
  case 'welcome':
    view.iceServers = Array.isArray(m.ice_servers) ? m.ice_servers.filter((s) => s && Array.isArray(s.urls)) : [];
    send({ type: 'hello', key: identity.key, signature: await identity.sign('canopy-hello', [m.challenge, identity.key]) });
    break;
  case 'identified':
    if (m.peer !== identity.id) console.warn('The server names us', m.peer, 'not', identity.id);
    view.me = m.peer;
    send({ type: 'subscribe' });
    if (everIdentified && view.parent) {
      send({ type: 'resume', peer: view.me, room: roomId, name: view.name, capacity: 0, parent: view.parent });
    } else {
      setState('joining', 'Joining…');
      join();
    }
    everIdentified = true;
    break;
  case 'resumed':
    if (view.state === 'reconnecting') setState('watching', 'Live');
    break;
  case 'placed':
    view.placedAt = performance.now();
    view.parent = m.parent;
    view.host = m.host;
    if (typeof m.name === 'string') view.name = m.name;
    setState('connecting', 'Connecting…');
    break;
  case 'signal':
    handleSignal(m.from, m.data);
    break;
  case 'refused':
  case 'parent-left':
    setState('reconnecting', 'Reconnecting…');
    closeEdge();
    join();
    break;
  case 'join-rejected':
    if (m.reason === 'retry') setTimeout(() => join(view.leftParents), 1000);
    else if (m.reason === 'full' && view.leftParents && view.leftParents.length) {
      // The place we left is most likely freed in a second or two (its parent drops a silent
      // child); after 3 s, a parent that only stalled beats no parent.
      view.fullSince = view.fullSince || performance.now();
      if (performance.now() - view.fullSince > 3000) view.leftParents = [];
      setTimeout(() => join(view.leftParents), 1000);
    } else if (m.reason === 'full') setTimeout(join, 10000);
    else showEnded('You cannot join this room', m.reason === 'password' ? 'It needs a password.' : m.reason === 'locked' ? 'It takes no newcomers right now.' : 'The host removed you from it.');
    break;
  case 'room-closed':
    if (m.reason === 'host-lost') {
      setState('reconnecting', 'The host is reconnecting…');
      hostLost(Date.now());
    } else {
      showEnded('This room has ended', m.reason === 'host-ended' ? 'The host ended it.' : 'The host left.');
    }
    break;
  case 'kicked':
    showEnded('You were removed from this room', '');
    break;
  case 'rooms':
    for (const e of Array.isArray(m.rooms) ? m.rooms : []) showEntry(e);
    break;
  case 'room-added':
  case 'room-updated':
    showEntry(m.room);
    break;
  case 'error':
    if (m.ref === 'resume') join();
    else if (m.ref === 'join' && m.code === 'unknown-room') showEnded('No such room', 'It has ended, or the link is wrong.');
    break;
  default:
    break;
  }
}

// A lost host comes back with `resume`; its members keep resuming until then, for 30 s.
function hostLost(since) {
  if (view.ended) return;
  if (Date.now() - since > 30000) { showEnded('This room has ended', 'The host did not come back.'); return; }
  send({ type: 'resume', peer: view.me, room: roomId, name: view.name, capacity: 0, parent: view.parent || undefined });
  setTimeout(() => { if (view.state === 'reconnecting') hostLost(since); }, 500);
}

function showEntry(e) {
  if (!e || e.room !== roomId) return;
  if (typeof e.title === 'string') {
    document.getElementById('title').textContent = e.title;
    document.title = e.title + ' – Canopy';
  }
}

function connect() {
  ws = new WebSocket(Canopy.wsUrl());
  ws.onmessage = (event) => {
    let m;
    try { m = JSON.parse(event.data); } catch (e) { return; }
    if (m && typeof m.type === 'string') onServerMessage(m);
  };
  ws.onclose = () => {
    if (view.ended) return;
    // The tree streams on without the server; we come back and resume our place.
    setState('reconnecting', 'Reconnecting…');
    setTimeout(connect, 1000);
  };
}

async function start(name) {
  view.name = name;
  try {
    identity = await Identity.load();
    view.key = identity.key;
  } catch (e) {
    showEnded('This browser cannot join', 'It cannot make an Ed25519 key: ' + e.message);
    return;
  }
  connect();
}

document.getElementById('unmute').addEventListener('click', () => {
  video.muted = false;
  video.play().catch(() => {});
  document.getElementById('unmute').hidden = true;
});

document.getElementById('chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = chatText.value;
  chatText.value = '';
  sendChat(text.slice(0, 2000));
});

document.getElementById('title').textContent = roomId;
fetch('/rooms').then((r) => r.json()).then((d) => (d.rooms || []).forEach(showEntry)).catch(() => {});

(function askName() {
  const params = new URLSearchParams(location.search);
  const given = params.get('name') || localStorage.getItem('canopy-name');
  const dialog = document.getElementById('name-dialog');
  const input = document.getElementById('name-input');
  if (given) input.value = given.slice(0, 64);
  if (params.get('name')) { start(cleanName(given) || 'Viewer'); return; }
  document.getElementById('name-form').addEventListener('submit', () => {
    const name = cleanName(input.value) || 'Viewer';
    localStorage.setItem('canopy-name', name);
    start(name);
  });
  dialog.showModal();
})();
})();
