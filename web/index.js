// SPDX-License-Identifier: GPL-3.0-or-later
// The room directory: GET /rooms, then live updates from `subscribe` on the WebSocket.
(() => {
'use strict';

const rooms = new Map();
const list = document.getElementById('rooms');
const status = document.getElementById('status');

function render() {
  list.replaceChildren();
  const entries = [...rooms.values()].sort((a, b) => String(a.started).localeCompare(String(b.started)));
  for (const room of entries) {
    const item = Canopy.el('li', 'room');
    const link = Canopy.el('a', 'room-link');
    link.href = '/r/' + encodeURIComponent(room.room);
    const cover = Canopy.el('div', 'cover');
    const url = Canopy.coverUrl(room.cover);
    if (url) {
      const img = Canopy.el('img');
      img.src = url;
      img.alt = '';
      cover.append(img);
    } else {
      cover.textContent = String(room.title || '?').slice(0, 1);
    }
    const text = Canopy.el('div', 'room-text');
    text.append(Canopy.el('h2', 'room-title', room.title));
    text.append(Canopy.el('p', 'room-host', room.host));
    if (room.summary) text.append(Canopy.el('p', 'room-summary', room.summary));
    const meta = Canopy.el('p', 'room-meta');
    meta.append(Canopy.el('span', 'live', 'LIVE'), ' ', Canopy.el('span', 'viewers', Canopy.viewersText(room.viewers)));
    if (room.locked) meta.append(' ', Canopy.el('span', 'badge', 'locked'));
    if (room.password) meta.append(' ', Canopy.el('span', 'badge', 'password'));
    text.append(meta);
    link.append(cover, text);
    item.append(link);
    list.append(item);
  }
  status.textContent = rooms.size === 0 ? 'No live rooms right now.' : '';
}

function isEntry(e) {
  return e && typeof e === 'object' && typeof e.room === 'string' && e.room.length <= 64;
}

function connect() {
  const ws = new WebSocket(Canopy.wsUrl());
  ws.onopen = () => ws.send(JSON.stringify({ type: 'subscribe' }));
  ws.onmessage = (event) => {
    let m;
    try { m = JSON.parse(event.data); } catch (e) { return; }
    if (m.type === 'rooms' && Array.isArray(m.rooms)) {
      rooms.clear();
      for (const e of m.rooms) if (isEntry(e)) rooms.set(e.room, e);
    } else if ((m.type === 'room-added' || m.type === 'room-updated') && isEntry(m.room)) {
      rooms.set(m.room.room, m.room);
    } else if (m.type === 'room-removed') {
      rooms.delete(m.room);
    } else {
      return;
    }
    render();
  };
  ws.onclose = () => {
    status.textContent = 'Reconnecting…';
    setTimeout(connect, 2000);
  };
}

document.getElementById('by-id').addEventListener('submit', (event) => {
  event.preventDefault();
  const id = Canopy.normalizeRoomId(document.getElementById('room-id').value);
  if (id) location.href = '/r/' + encodeURIComponent(id);
});

fetch('/rooms').then((r) => r.json()).then((data) => {
  if (data && Array.isArray(data.rooms)) for (const e of data.rooms) if (isEntry(e)) rooms.set(e.room, e);
  render();
}).catch(() => {}).finally(connect);
})();
