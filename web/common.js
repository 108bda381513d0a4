// SPDX-License-Identifier: GPL-3.0-or-later
// What both pages share. Every string from the network goes into the page as textContent.
(() => {
'use strict';

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function wsUrl() {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
}

// Covers are data: images or http(s) URLs (the server checked them); anything else is left out.
function coverUrl(cover) {
  if (typeof cover !== 'string') return null;
  if (/^data:image\/(png|jpeg|webp);base64,[A-Za-z0-9+/=]+$/.test(cover)) return cover;
  if (/^https?:\/\/[^\s"'<>]+$/.test(cover)) return cover;
  return null;
}

function viewersText(n) {
  const count = Number.isInteger(n) && n >= 0 ? n : 0;
  return count === 1 ? '1 viewer' : count + ' viewers';
}

// Room IDs are typed in any case, with spaces or dashes.
function normalizeRoomId(text) {
  return String(text || '').toLowerCase().replace(/[\s-]/g, '');
}

window.Canopy = { el, wsUrl, coverUrl, viewersText, normalizeRoomId };
})();
