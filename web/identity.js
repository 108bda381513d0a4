// SPDX-License-Identifier: GPL-3.0-or-later
// A peer's identity as docs/protocol.md's "Identity" has it: an Ed25519 key (WebCrypto), its
// peer id (BLAKE2b-80 of the key in base 31), and signatures over a domain and fields.
(() => {
'use strict';

const ID_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
const utf8 = new TextEncoder();
// WebCrypto exists only in secure contexts (https, localhost); on plain http (a LAN server)
// signatures come from TweetNaCl (tweetnacl.js) and digests from sha256() below.
const subtle = window.isSecureContext && window.crypto && crypto.subtle ? crypto.subtle : null;
const PKCS8_ED25519 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b,
  0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

const K256 = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);

// FIPS 180-4 SHA-256, for map and mute-list digests where there is no WebCrypto.
function sha256js(data) {
  const len = data.length;
  const padded = new Uint8Array(((len + 9 + 63) >> 6) << 6);
  padded.set(data);
  padded[len] = 0x80;
  const bits = len * 8;
  const dv = new DataView(padded.buffer);
  dv.setUint32(padded.length - 8, Math.floor(bits / 0x100000000));
  dv.setUint32(padded.length - 4, bits >>> 0);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f,
    0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr32 = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr32(w[i - 15], 7) ^ rotr32(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr32(w[i - 2], 17) ^ rotr32(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i]) >>> 0;
      const t2 = ((rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const odv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) odv.setUint32(i * 4, h[i]);
  return out;
}

async function sha256Hex(data) {
  const digest = subtle ? new Uint8Array(await subtle.digest('SHA-256', data)) : sha256js(data);
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

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
    if (!subtle) return window.nacl.sign.detached.verify(signedBytes(domain, fields), sig, raw);
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

// One key per browser profile, kept in localStorage (its 32-byte seed) so that a reload is the
// same peer (and its chat seq goes on from where it was), whichever implementation signs.
class Identity {
  static async load() {
    const self = new Identity();
    let seed = null;
    try {
      seed = b64urlDecode(JSON.parse(localStorage.getItem('canopy-identity') || 'null').seed);
    } catch (e) {
      seed = null;
    }
    if (!seed || seed.length !== 32) {
      seed = crypto.getRandomValues(new Uint8Array(32));
      localStorage.setItem('canopy-identity', JSON.stringify({ seed: b64urlEncode(seed) }));
    }
    if (subtle) {
      const pkcs8 = new Uint8Array(48);
      pkcs8.set(PKCS8_ED25519);
      pkcs8.set(seed, 16);
      self.privateKey = await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
      // The public key is the JWK's "x" (WebCrypto derives it; it does not export raw from a
      // private key).
      self.key = (await subtle.exportKey('jwk', self.privateKey)).x;
    } else if (window.nacl) {
      self.pair = window.nacl.sign.keyPair.fromSeed(seed);
      self.key = b64urlEncode(self.pair.publicKey);
    } else {
      throw new Error('no Ed25519');
    }
    self.id = idForKey(self.key);
    return self;
  }

  async sign(domain, fields) {
    const bytes = signedBytes(domain, fields);
    if (!subtle) return b64urlEncode(window.nacl.sign.detached(bytes, this.pair.secretKey));
    return b64urlEncode(new Uint8Array(await subtle.sign({ name: 'Ed25519' }, this.privateKey, bytes)));
  }

  // Statement and chat counters that only grow, across reloads.
  next(counter, floor) {
    const name = 'canopy-' + counter + '-' + this.id;
    const value = Math.max(Number(localStorage.getItem(name) || 0) + 1, floor || 0);
    localStorage.setItem(name, String(value));
    return value;
  }
}

window.CanopyIdentity = { Identity, idForKey, verifySignature, signedBytes, b64urlEncode, sha256Hex,
  secure: subtle !== null };
})();
