// SPDX-License-Identifier: GPL-3.0-or-later
// A peer's identity as docs/protocol.md's "Identity" has it: an Ed25519 key (WebCrypto), its
// peer id (BLAKE2b-80 of the key in base 31), and signatures over a domain and fields.
(() => {
'use strict';

const ID_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
const utf8 = new TextEncoder();

function b64urlEncode(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function b64urlDecode(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

// BLAKE2b (RFC 7693) for the short digest peer ids are made of; inputs are 32-byte keys.
const B2_IV = [0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n];
const B2_SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0]];
const M64 = (1n << 64n) - 1n;
const rotr = (x, n) => ((x >> n) | (x << (64n - n))) & M64;

function blake2b(input, outlen) {
  const h = B2_IV.slice();
  h[0] ^= 0x01010000n ^ BigInt(outlen);
  const blocks = Math.max(1, Math.ceil(input.length / 128));
  for (let bi = 0; bi < blocks; bi++) {
    const block = new Uint8Array(128);
    block.set(input.subarray(bi * 128, bi * 128 + 128));
    const m = [];
    for (let i = 0; i < 16; i++) {
      let w = 0n;
      for (let j = 7; j >= 0; j--) w = (w << 8n) | BigInt(block[i * 8 + j]);
      m.push(w);
    }
    const last = bi === blocks - 1;
    const t = BigInt(last ? input.length : (bi + 1) * 128);
    const v = h.concat(B2_IV);
    v[12] ^= t & M64;
    v[13] ^= t >> 64n;
    if (last) v[14] ^= M64;
    const g = (a, b, c, d, x, y) => {
      v[a] = (v[a] + v[b] + x) & M64; v[d] = rotr(v[d] ^ v[a], 32n);
      v[c] = (v[c] + v[d]) & M64; v[b] = rotr(v[b] ^ v[c], 24n);
      v[a] = (v[a] + v[b] + y) & M64; v[d] = rotr(v[d] ^ v[a], 16n);
      v[c] = (v[c] + v[d]) & M64; v[b] = rotr(v[b] ^ v[c], 63n);
    };
    for (let r = 0; r < 12; r++) {
      const s = B2_SIGMA[r % 10];
      g(0, 4, 8, 12, m[s[0]], m[s[1]]); g(1, 5, 9, 13, m[s[2]], m[s[3]]);
      g(2, 6, 10, 14, m[s[4]], m[s[5]]); g(3, 7, 11, 15, m[s[6]], m[s[7]]);
      g(0, 5, 10, 15, m[s[8]], m[s[9]]); g(1, 6, 11, 12, m[s[10]], m[s[11]]);
      g(2, 7, 8, 13, m[s[12]], m[s[13]]); g(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (let i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
  }
  const out = new Uint8Array(outlen);
  for (let i = 0; i < outlen; i++) out[i] = Number((h[i >> 3] >> BigInt(8 * (i & 7))) & 0xffn);
  return out;
}

// "p" and 16 characters of the id alphabet: the first 80 bits of BLAKE2b(key) in base 31.
function idForKey(keyText) {
  const key = b64urlDecode(keyText);
  if (key === null || key.length !== 32) return null;
  let n = 0n;
  for (const b of blake2b(key, 10)) n = (n << 8n) | BigInt(b);
  const digits = [];
  for (let i = 0; i < 16; i++) {
    digits.unshift(ID_ALPHABET[Number(n % 31n)]);
    n /= 31n;
  }
  return 'p' + digits.join('');
}

// The domain, a NUL, then each field as its length in bytes, ":" and its bytes.
function signedBytes(domain, fields) {
  const parts = [utf8.encode(domain), new Uint8Array([0])];
  for (const f of fields) {
    const bytes = utf8.encode(String(f));
    parts.push(utf8.encode(bytes.length + ':'), bytes);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) { out.set(p, pos); pos += p.length; }
  return out;
}

const verifyKeys = new Map();

async function verifySignature(keyText, sigText, domain, fields) {
  try {
    const raw = b64urlDecode(keyText);
    const sig = b64urlDecode(sigText);
    if (raw === null || raw.length !== 32 || sig === null || sig.length !== 64) return false;
    let key = verifyKeys.get(keyText);
    if (!key) {
      key = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
      if (verifyKeys.size > 1000) verifyKeys.clear();
      verifyKeys.set(keyText, key);
    }
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, signedBytes(domain, fields));
  } catch (e) {
    return false;
  }
}

// One key per browser profile, kept in localStorage so that a reload is the same peer (and
// its chat seq goes on from where it was).
class Identity {
  static async load() {
    const self = new Identity();
    const stored = localStorage.getItem('canopy-identity');
    if (stored) {
      try {
        const { pkcs8, pub } = JSON.parse(stored);
        self.privateKey = await crypto.subtle.importKey('pkcs8', b64urlDecode(pkcs8),
          { name: 'Ed25519' }, false, ['sign']);
        self.key = pub;
      } catch (e) {
        self.privateKey = null;
      }
    }
    if (!self.privateKey) {
      const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
      self.privateKey = pair.privateKey;
      self.key = b64urlEncode(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)));
      const pkcs8 = b64urlEncode(new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey)));
      localStorage.setItem('canopy-identity', JSON.stringify({ pkcs8, pub: self.key }));
    }
    self.id = idForKey(self.key);
    return self;
  }

  async sign(domain, fields) {
    const sig = await crypto.subtle.sign({ name: 'Ed25519' }, this.privateKey,
      signedBytes(domain, fields));
    return b64urlEncode(new Uint8Array(sig));
  }

  // Statement and chat counters that only grow, across reloads.
  next(counter, floor) {
    const name = 'canopy-' + counter + '-' + this.id;
    const value = Math.max(Number(localStorage.getItem(name) || 0) + 1, floor || 0);
    localStorage.setItem(name, String(value));
    return value;
  }
}

window.CanopyIdentity = { Identity, idForKey, verifySignature, signedBytes, b64urlEncode };
})();
