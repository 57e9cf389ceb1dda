// Malformed input never crashes or hangs the decryptor: mutated and truncated ciphertexts (ours and
// openssl's -stream BER), random bytes, absurd nesting and huge length fields all end in either a
// decryption or a SmimeError. CI runs ~2,000 inputs; the fuzz script calls fuzzEnveloped(100_000).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzEnveloped, makeFuzzSeeds, mutate, prng, runOne, type FuzzSeed } from '../../src/smime/fuzz-enveloped.js';
import { walkBer, type BerNode } from '../../src/smime/der-limits.js';
import { decryptEnveloped } from '../../src/smime/enveloped.js';
import { loadPrivateKey, pemToDer } from '../../src/smime/keys.js';
import { SmimeError } from '../../src/smime/errors.js';

let dir: string;
let seeds: FuzzSeed[];
let trees: BerNode[][];
const SLOW_MS = 1000;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealgate-fuzz-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=fuzz', '-days', '2',
    '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'pipe' });
  writeFileSync(join(dir, 'm.txt'), 'Content-Type: text/plain\r\n\r\nhello from openssl\r\n');
  const key = { certificate: pemToDer(readFileSync(join(dir, 'c.pem')), ['CERTIFICATE']), privateKey: loadPrivateKey(readFileSync(join(dir, 'k.pem'))) };
  const peer = (args: string[]) => execFileSync('openssl', ['cms', '-encrypt', '-binary', '-outform', 'DER', '-in', join(dir, 'm.txt'), ...args, '-recip', join(dir, 'c.pem')]);
  seeds = [
    ...makeFuzzSeeds(),
    { der: peer(['-stream', '-aes-256-cbc']), key },
    { der: peer(['-stream', '-aes-128-gcm']), key },
    { der: peer(['-des3']), key },
  ];
  for (const s of seeds) expect(runOne(s.der, s.key)).toBe('decrypted');
  trees = seeds.map((s) => {
    const out: BerNode[] = [];
    const walk = (n: BerNode) => { out.push(n); n.children?.forEach(walk); };
    walk(walkBer(s.der).root);
    return out;
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(input: Buffer, s: FuzzSeed): void {
  const t0 = performance.now();
  try {
    decryptEnveloped(input, s.key);
  } catch (e) {
    if (!(e instanceof SmimeError)) throw e;
  }
  expect(performance.now() - t0).toBeLessThan(SLOW_MS);
}

describe('fuzzing decryptEnveloped / listRecipients', () => {
  it('mutated valid ciphertexts (fast-check, 800 runs) only ever throw SmimeError', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 3 }), fc.integer(), (si, n, rseed) => {
        const i = si % seeds.length;
        const rnd = prng(rseed);
        let input = seeds[i]!.der;
        for (let k = 0; k < n; k++) input = mutate(input, trees[i]!, rnd);
        check(input, seeds[i]!);
      }),
      { numRuns: 800 },
    );
  });

  it('truncation at every 7th offset of a BER (openssl -stream) ciphertext', () => {
    const s = seeds[seeds.length - 3]!;
    for (let cut = 0; cut < s.der.length; cut += 7) {
      expect(() => decryptEnveloped(s.der.subarray(0, cut), s.key)).toThrow(SmimeError);
    }
  });

  it('random bytes, and random bytes behind a plausible ContentInfo header (fast-check, 300 runs)', () => {
    const header = seeds[0]!.der.subarray(0, 30);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (bytes, withHeader) => {
        check(withHeader ? Buffer.concat([header, bytes]) : Buffer.from(bytes), seeds[0]!);
      }),
      { numRuns: 300 },
    );
  });

  it('absurd nesting and huge lengths are refused as malformed, quickly', () => {
    const deep = Buffer.concat([Buffer.alloc(200_000, Buffer.from([0x30, 0x80]))]);
    const t0 = performance.now();
    expect(() => decryptEnveloped(deep, seeds[0]!.key)).toThrow(expect.objectContaining({ code: 'malformed' }));
    const huge = Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x06, 0x00]);
    expect(() => decryptEnveloped(huge, seeds[0]!.key)).toThrow(expect.objectContaining({ code: 'malformed' }));
    const tooLongLen = Buffer.from([0x30, 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => decryptEnveloped(tooLongLen, seeds[0]!.key)).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(performance.now() - t0).toBeLessThan(SLOW_MS);
  });

  it('fuzzEnveloped(1000) reports no crash and no slow input', () => {
    const report = fuzzEnveloped(1000, { seed: 12345, extraSeeds: seeds.slice(-3) });
    expect(report.failures).toEqual([]);
    expect(report.outcomes.crash ?? 0).toBe(0);
    expect(report.maxMs).toBeLessThan(SLOW_MS);
    // The mix must actually reach deep code: some inputs fail in parsing, some at decryption.
    expect(report.outcomes.malformed ?? 0).toBeGreaterThan(50);
    expect((report.outcomes['decrypt-failed'] ?? 0) + (report.outcomes.decrypted ?? 0)).toBeGreaterThan(20);
  }, 60_000);
});
