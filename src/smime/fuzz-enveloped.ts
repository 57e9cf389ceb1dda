// Mutation fuzzer for the CMS decryption entry points (decryptEnveloped, listRecipients). Not used
// in the mail path: called by the CI fuzz test (a few thousand inputs) and by the benchmark/fuzz
// script (100,000). Pure and self-contained: keys and certificates are made in memory with
// node:crypto, the PRNG is seeded, so a failing input is reproducible from (seed, iteration).
// Property checked: every input either decrypts or throws SmimeError; nothing else escapes, and no
// single input takes long (no hang, no super-linear blow-up).

import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Extension,
  Extensions,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { SmimeError } from './errors.js';
import { walkBer, type BerNode } from './der-limits.js';
import {
  createBerEncryptor,
  decryptEnveloped,
  encryptEnveloped,
  listRecipients,
  type DecryptionKey,
  type EncryptOptions,
  type RecipientSpec,
} from './enveloped.js';

export interface FuzzSeed {
  der: Buffer;
  key: DecryptionKey;
}

export interface FuzzReport {
  iterations: number;
  /** How inputs ended: 'decrypted' or an SmimeError code. */
  outcomes: Record<string, number>;
  /** Slowest single input, milliseconds. */
  maxMs: number;
  totalMs: number;
  /** Inputs that threw something other than SmimeError (should be empty). */
  failures: { iteration: number; error: string; inputHex: string }[];
}

export interface FuzzOptions {
  seed?: number;
  /** Extra valid ciphertexts (e.g. produced by openssl) to mutate, with the key that opens them. */
  extraSeeds?: FuzzSeed[];
  /** Stop collecting failures after this many. */
  maxFailures?: number;
}

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A throwaway self-signed certificate for `publicKey`, signed with `signKey` (fuzzing/tests only). */
export function makeTestCertificate(publicKey: KeyObject, signKey: KeyObject, cn: string, serial: number): Buffer {
  const name = new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: cn }) }),
    ]),
  ]);
  const spkiDer = publicKey.export({ format: 'der', type: 'spki' });
  const spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  const ski = createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest();
  const rsa = signKey.asymmetricKeyType === 'rsa';
  const sigAlg = new AlgorithmIdentifier(
    rsa ? { algorithm: '1.2.840.113549.1.1.11', parameters: null } : { algorithm: '1.2.840.10045.4.3.2' },
  );
  const tbs = new TBSCertificate({
    version: 2,
    serialNumber: new Uint8Array([serial & 0x7f, 1, 2, 3]).buffer,
    signature: sigAlg,
    issuer: name,
    validity: new Validity({ notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 86400_000) }),
    subject: name,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions([
      new Extension({
        extnID: id_ce_subjectKeyIdentifier,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new SubjectKeyIdentifier(ski))),
      }),
    ]),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const sig = sign(rsa ? 'sha256' : 'sha256', tbsDer, rsa ? signKey : { key: signKey, dsaEncoding: 'der' });
  return Buffer.from(
    AsnConvert.serialize(new Certificate({ tbsCertificate: tbs, signatureAlgorithm: sigAlg, signatureValue: new Uint8Array(sig).buffer })),
  );
}

/** Valid ciphertexts covering every structure we decrypt: CBC/GCM, ktri (3 paddings, SKI), kari, BER. */
export function makeFuzzSeeds(): FuzzSeed[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const rsaCert = makeTestCertificate(rsa.publicKey, rsa.privateKey, 'fuzz-rsa', 1);
  const ecCert = makeTestCertificate(ec.publicKey, ec.privateKey, 'fuzz-ec', 2);
  const rsaKey: DecryptionKey = { certificate: rsaCert, privateKey: rsa.privateKey };
  const ecKey: DecryptionKey = { certificate: ecCert, privateKey: ec.privateKey };
  const content = Buffer.from('Content-Type: text/plain\r\n\r\nfuzz seed body, a little longer than one block.\r\n');
  const seeds: FuzzSeed[] = [];
  const add = (r: RecipientSpec[], o: EncryptOptions, key: DecryptionKey) => seeds.push({ der: encryptEnveloped(content, r, o), key });
  add([{ certificate: rsaCert }], { cipher: 'aes-256-cbc' }, rsaKey);
  add([{ certificate: rsaCert, keyTransport: 'rsa-oaep' }], { cipher: 'aes-128-gcm' }, rsaKey);
  add([{ certificate: rsaCert, keyTransport: 'rsa-oaep-sha256', useSki: true }], { cipher: 'aes-192-cbc' }, rsaKey);
  add([{ certificate: ecCert }, { certificate: rsaCert }], { cipher: 'aes-256-gcm' }, ecKey);
  add([{ certificate: ecCert, useSki: true }], { cipher: 'aes-128-cbc' }, ecKey);
  // BER form, as from a streaming peer, with small segments so there are several.
  const parts: Buffer[] = [];
  const enc = createBerEncryptor([{ certificate: rsaCert }], { cipher: 'aes-256-cbc' }, (b) => parts.push(b));
  for (let i = 0; i < 3; i++) enc.update(content);
  enc.final();
  seeds.push({ der: Buffer.concat(parts), key: rsaKey });
  return seeds;
}

function nodesOf(root: BerNode): BerNode[] {
  const out: BerNode[] = [];
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    out.push(n);
    for (const c of n.children ?? []) stack.push(c);
  }
  return out;
}

/** One random mutation of `input`. `nodes` are the TLVs of the original seed (for structure-aware edits). */
export function mutate(input: Buffer, nodes: BerNode[], rnd: () => number): Buffer {
  const r = (n: number) => Math.floor(rnd() * n);
  const b = Buffer.from(input);
  if (b.length === 0) return Buffer.from([r(256)]);
  switch (r(11)) {
    case 0: { // bit flips
      const k = 1 + r(8);
      for (let i = 0; i < k; i++) b[r(b.length)]! ^= 1 << r(8);
      return b;
    }
    case 1: { // interesting byte values
      const vals = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x84, 0xff, 0x30, 0xa0, 0x24, 0x04];
      b[r(b.length)] = vals[r(vals.length)]!;
      return b;
    }
    case 2: // truncate
      return b.subarray(0, r(b.length));
    case 3: { // delete a range
      const s = r(b.length);
      return Buffer.concat([b.subarray(0, s), b.subarray(s + 1 + r(64))]);
    }
    case 4: { // insert random bytes
      const s = r(b.length);
      const ins = Buffer.alloc(1 + r(16));
      for (let i = 0; i < ins.length; i++) ins[i] = r(256);
      return Buffer.concat([b.subarray(0, s), ins, b.subarray(s)]);
    }
    case 5: { // duplicate a range
      const s = r(b.length);
      const e = Math.min(b.length, s + 1 + r(256));
      return Buffer.concat([b.subarray(0, e), b.subarray(s, e), b.subarray(e)]);
    }
    case 6: { // length field of a TLV: huge, indefinite, off by one
      const n = nodes[r(nodes.length)]!;
      const lenPos = n.start + 1;
      if (lenPos >= b.length) return b;
      const choices = [
        Buffer.from([0x84, 0xff, 0xff, 0xff, 0xff]),
        Buffer.from([0x80]),
        Buffer.from([0x88, 1, 0, 0, 0, 0, 0, 0, 0]),
        Buffer.from([(b[lenPos]! + 1) & 0x7f]),
        Buffer.from([0x82, 0xff, 0xff]),
      ];
      const lenBytes = (b[lenPos]! & 0x80) ? 1 + (b[lenPos]! & 0x7f) : 1;
      return Buffer.concat([b.subarray(0, lenPos), choices[r(choices.length)]!, b.subarray(lenPos + lenBytes)]);
    }
    case 7: { // change a tag
      const n = nodes[r(nodes.length)]!;
      if (n.start < b.length) b[n.start] = [0x30, 0x31, 0x04, 0x24, 0x02, 0x06, 0xa0, 0xa1, 0x80, 0x1f, 0x00][r(11)]!;
      return b;
    }
    case 8: { // absurd nesting around or inside
      const depth = 20 + r(3000);
      const open = Buffer.alloc(depth * 2);
      for (let i = 0; i < depth; i++) { open[2 * i] = 0x30; open[2 * i + 1] = 0x80; }
      const s = r(b.length);
      return Buffer.concat([b.subarray(0, s), open, b.subarray(s)]);
    }
    case 9: { // replace an OID's content with random arcs
      const oids = nodes.filter((n) => n.tagClass === 0 && n.tagNumber === 6 && n.contentEnd <= b.length);
      if (oids.length === 0) return b;
      const n = oids[r(oids.length)]!;
      for (let i = n.contentStart; i < n.contentEnd; i++) b[i] = r(256);
      return b;
    }
    default: { // splice in a subtree from elsewhere
      const a = nodes[r(nodes.length)]!;
      const c = nodes[r(nodes.length)]!;
      if (a.end > b.length || c.end > b.length) return b;
      return Buffer.concat([b.subarray(0, a.start), input.subarray(c.start, c.end), b.subarray(a.end)]);
    }
  }
}

/** Runs one input through both entry points; returns the outcome label or throws the stray error. */
export function runOne(input: Buffer, key: DecryptionKey): string {
  let outcome = 'decrypted';
  try {
    decryptEnveloped(input, key);
  } catch (e) {
    if (!(e instanceof SmimeError)) throw e;
    outcome = e.code;
  }
  try {
    listRecipients(input);
  } catch (e) {
    if (!(e instanceof SmimeError)) throw e;
  }
  return outcome;
}

/**
 * Mutates valid ciphertexts `iterations` times (1–3 mutations each) and feeds them to
 * decryptEnveloped and listRecipients. Returns counts by outcome and any input that made them throw
 * anything but SmimeError.
 */
export function fuzzEnveloped(iterations: number, opts: FuzzOptions = {}): FuzzReport {
  const seed = opts.seed ?? 0x5ea1 ^ Date.now();
  const rnd = prng(seed);
  const seeds = [...makeFuzzSeeds(), ...(opts.extraSeeds ?? [])];
  const trees = seeds.map((s) => nodesOf(walkBer(s.der).root));
  const report: FuzzReport = { iterations, outcomes: {}, maxMs: 0, totalMs: 0, failures: [] };
  const maxFailures = opts.maxFailures ?? 20;
  const t0 = performance.now();
  for (let it = 0; it < iterations; it++) {
    const si = Math.floor(rnd() * seeds.length);
    let input = seeds[si]!.der;
    const k = 1 + Math.floor(rnd() * 3);
    for (let m = 0; m < k; m++) input = mutate(input, trees[si]!, rnd);
    const start = performance.now();
    try {
      const o = runOne(input, seeds[si]!.key);
      report.outcomes[o] = (report.outcomes[o] ?? 0) + 1;
    } catch (e) {
      report.outcomes.crash = (report.outcomes.crash ?? 0) + 1;
      if (report.failures.length < maxFailures) {
        report.failures.push({
          iteration: it,
          error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
          inputHex: input.subarray(0, 4096).toString('hex'),
        });
      }
    }
    const ms = performance.now() - start;
    if (ms > report.maxMs) report.maxMs = ms;
  }
  report.totalMs = performance.now() - t0;
  return report;
}
