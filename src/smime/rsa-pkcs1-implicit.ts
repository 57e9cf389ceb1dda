// RSAES-PKCS1-v1_5 decryption with implicit rejection (the "Marvin" countermeasure), as OpenSSL 3.2+
// does it in ossl_rsa_padding_check_PKCS1_type_2 / derive_kdk / ossl_rsa_prf, and as described in
// draft-irtf-cfrg-rsa-guidance. Pure module; holds private keys only for the duration of a call.
// Trust level: runs on attacker-chosen ciphertexts with the domain's private key.
//
// Why hand-written: Node 20 refuses RSA_PKCS1_PADDING in privateDecrypt unless its OpenSSL has
// implicit rejection, and Debian's OpenSSL 3.0 does not; --security-revert would bring back the
// padding oracle. So we do the raw RSA operation in OpenSSL (RSA_NO_PADDING, which is constant-time
// and blinded there) and the padding check here, branch-free over the secret bytes, returning a
// deterministic pseudo-random "synthetic" message when the padding is wrong. Callers cannot tell
// bad padding from a wrong key: both give a plausible-looking message. See
// docs/smime-implicit-rejection.md for what is and is not constant-time in JavaScript.

import { constants, createHash, createHmac, privateDecrypt, type KeyObject } from 'node:crypto';
import { SmimeError } from './errors.js';

const MAX_LEN_GEN_TRIES = 128;

interface KeySecrets {
  /** modulus length in bytes */
  k: number;
  /** SHA-256 of the private exponent d, big-endian, left-padded to k bytes */
  dHash: Buffer;
}

// Per-key cache: exporting d as JWK and hashing it costs more than the rest of the padding check.
const secretsCache = new WeakMap<KeyObject, KeySecrets>();

function keySecrets(key: KeyObject): KeySecrets {
  const hit = secretsCache.get(key);
  if (hit) return hit;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa') {
    throw new SmimeError('invalid-input', 'RSA PKCS#1 v1.5 decryption needs an RSA private key');
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new SmimeError('invalid-input', 'RSA key without modulus length');
  const k = Math.ceil(bits / 8);
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string') throw new SmimeError('invalid-input', 'RSA key without private exponent');
  const d = Buffer.from(jwk.d, 'base64url');
  const dPadded = Buffer.alloc(k);
  d.copy(dPadded, k - d.length);
  const dHash = createHash('sha256').update(dPadded).digest();
  dPadded.fill(0);
  d.fill(0);
  const s = { k, dHash };
  secretsCache.set(key, s);
  return s;
}

/** KDK = HMAC-SHA256(key = SHA256(d), msg = ciphertext left-padded with zeros to k bytes). */
export function deriveKdk(dHash: Buffer, paddedCiphertext: Buffer): Buffer {
  return createHmac('sha256', dHash).update(paddedCiphertext).digest();
}

/**
 * The PRF of OpenSSL's ossl_rsa_prf: for i = 0,1,...: HMAC-SHA256(kdk, i as uint16be || label ||
 * bitlen as uint16be), concatenated and truncated to `bytes`.
 */
export function implicitRejectionPrf(kdk: Buffer, label: string, bytes: number): Buffer {
  const bitlen = bytes * 8;
  if (bitlen > 0xffff) throw new SmimeError('invalid-input', 'PRF output too long');
  const out = Buffer.alloc(bytes);
  // One input buffer (iter || label || bitlen), its first two bytes rewritten per block: the HMAC
  // calls dominate, so no per-block allocations beyond the digest itself.
  const input = Buffer.alloc(2 + label.length + 2);
  input.write(label, 2, 'latin1');
  input[input.length - 2] = bitlen >> 8;
  input[input.length - 1] = bitlen & 0xff;
  for (let pos = 0, iter = 0; pos < bytes; pos += 32, iter++) {
    input[0] = iter >> 8;
    input[1] = iter & 0xff;
    const block = createHmac('sha256', kdk).update(input).digest();
    block.copy(out, pos, 0, Math.min(32, bytes - pos));
    block.fill(0);
  }
  return out;
}

// Constant-time helpers on small non-negative integers (< 2^31). They use only arithmetic and
// bit operations, no comparisons that V8 could turn into data-dependent branches.
/** 1 if a < b else 0 (a, b in [0, 2^31)). */
function ctLt(a: number, b: number): number {
  return ((a - b) >>> 31) & 1;
}
/** 1 if x === 0 else 0 (x in [0, 2^31)). */
function ctIsZero(x: number): number {
  return ((x - 1) >>> 31) & 1 & (~x >>> 31);
}
/** bit ? a : b, for bit in {0,1}. */
function ctSelect(bit: number, a: number, b: number): number {
  const mask = -bit | 0;
  return (a & mask) | (b & ~mask);
}

/**
 * Decrypts an RSAES-PKCS1-v1_5 ciphertext with implicit rejection. Never throws on bad padding:
 * returns the real message when the padding is valid, otherwise a synthetic message derived from
 * the key and the ciphertext (same inputs → same output). Throws SmimeError('decrypt-failed') only
 * for publicly invalid input (ciphertext longer than the modulus, or numerically ≥ n), exactly the
 * cases where OpenSSL also fails.
 */
export function rsaPkcs1v15DecryptImplicit(key: KeyObject, ciphertext: Uint8Array): Buffer {
  const { k, dHash } = keySecrets(key);
  if (ciphertext.length > k || k < 11) throw new SmimeError('decrypt-failed', 'decryption failed');
  const c = Buffer.alloc(k);
  c.set(ciphertext, k - ciphertext.length);
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, c);
  } catch {
    throw new SmimeError('decrypt-failed', 'decryption failed');
  }
  if (em.length !== k) {
    const t = Buffer.alloc(k);
    em.copy(t, k - em.length);
    em = t;
  }
  const kdk = deriveKdk(dHash, c);
  const out = padCheckType2Implicit(em, kdk);
  em.fill(0);
  return out;
}

/**
 * The padding check proper (ossl_rsa_padding_check_PKCS1_type_2): `em` is the k-byte result of the
 * raw RSA operation. Exported for tests and benchmarks.
 */
export function padCheckType2Implicit(em: Buffer, kdk: Buffer): Buffer {
  const flen = em.length;
  const synthetic = implicitRejectionPrf(kdk, 'message', flen);
  const candidates = implicitRejectionPrf(kdk, 'length', MAX_LEN_GEN_TRIES * 2);

  // Max message size: k - 2 (00 02) - 8 (minimum PS). Mask covering all bits of max_sep_offset.
  const maxSepOffset = flen - 2 - 8;
  let lenMask = maxSepOffset;
  lenMask |= lenMask >> 1;
  lenMask |= lenMask >> 2;
  lenMask |= lenMask >> 4;
  lenMask |= lenMask >> 8;
  let syntheticLength = 0;
  for (let i = 0; i < MAX_LEN_GEN_TRIES * 2; i += 2) {
    const cand = ((candidates[i]! << 8) | candidates[i + 1]!) & lenMask;
    syntheticLength = ctSelect(ctLt(cand, maxSepOffset), cand, syntheticLength);
  }
  const synthMsgIndex = flen - syntheticLength;

  let good = ctIsZero(em[0]!) & ctIsZero(em[1]! ^ 2);
  let foundZero = 0;
  let zeroIndex = 0;
  for (let i = 2; i < flen; i++) {
    const eq0 = ctIsZero(em[i]!);
    zeroIndex = ctSelect(~foundZero & eq0 & 1, i, zeroIndex);
    foundZero |= eq0;
  }
  // PS at least 8 bytes (zeroIndex >= 10); zeroIndex stays 0 when no separator was found.
  good &= 1 ^ ctLt(zeroIndex, 2 + 8);
  const msgIndex = ctSelect(good, zeroIndex + 1, synthMsgIndex);

  // Read both buffers at every position, so memory access does not depend on `good`.
  const mask = -good & 0xff;
  const outLen = flen - msgIndex;
  const out = Buffer.alloc(outLen);
  for (let i = msgIndex, j = 0; i < flen; i++, j++) {
    out[j] = (em[i]! & mask) | (synthetic[i]! & ~mask & 0xff);
  }
  synthetic.fill(0);
  return out;
}

/**
 * Returns exactly `length` bytes: `plain` when it has that length, otherwise `fallback` (which must
 * be `length` bytes long). Both inputs are read in full either way and the choice is made with a
 * mask, so a wrong-length (synthetic) key takes the same path as a right-length wrong key.
 */
export function selectKeyOfLength(plain: Uint8Array, length: number, fallback: Uint8Array): Buffer {
  const good = ctIsZero((plain.length ^ length) & 0x7fffffff);
  const mask = -good & 0xff;
  const padded = Buffer.alloc(length);
  padded.set(plain.subarray(0, length));
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (padded[i]! & mask) | (fallback[i]! & ~mask & 0xff);
  padded.fill(0);
  return out;
}

export interface ImplicitTiming {
  /** Median nanoseconds per decryption of each input set. */
  medianNs: number[];
  iterations: number;
}

/**
 * Timing probe for benchmarks: decrypts each ciphertext set round-robin (interleaved, so drift in
 * machine load affects every set alike) and reports the median time per call for each set. Use it
 * to compare valid-padding, invalid-padding and wrong-key ciphertexts.
 */
export function timeImplicitDecrypt(key: KeyObject, sets: Uint8Array[][], iterations: number): ImplicitTiming {
  const samples: number[][] = sets.map(() => []);
  rsaPkcs1v15DecryptImplicit(key, sets[0]![0]!); // warm caches
  for (let it = 0; it < iterations; it++) {
    for (let s = 0; s < sets.length; s++) {
      const set = sets[s]!;
      const ct = set[it % set.length]!;
      const t0 = process.hrtime.bigint();
      rsaPkcs1v15DecryptImplicit(key, ct);
      samples[s]!.push(Number(process.hrtime.bigint() - t0));
    }
  }
  const medianNs = samples.map((xs) => {
    xs.sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)] ?? 0;
  });
  return { medianNs, iterations };
}
