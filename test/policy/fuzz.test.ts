// Hostile input never crashes or hangs the scorer: random bytes, and random mutations (byte flips,
// truncations, duplicated boundaries) of real dev-corpus messages. Each input must score in
// bounded time and give a well-formed decision.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scoreMessage } from '../../src/policy/index.js';

const DEV = resolve(process.cwd(), '../shared/corpus/phi-dev');
const samples = readdirSync(DEV).filter((f) => f.endsWith('.eml')).sort().slice(0, 40).map((f) => readFileSync(join(DEV, f)));

function wellFormed(raw: Buffer): void {
  const t0 = Date.now();
  const d = scoreMessage(raw);
  expect(Date.now() - t0).toBeLessThan(2000);
  expect(d.score).toBeGreaterThanOrEqual(0);
  expect(d.score).toBeLessThanOrEqual(100);
  expect(Array.isArray(d.reasons)).toBe(true);
}

describe('scorer robustness', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => wellFormed(Buffer.from(bytes))), { numRuns: 200, seed: 7 });
  });

  it('mutated real messages (flips, cuts, inserted boundaries and encodings)', () => {
    const junk = ['\r\n--', '\r\n\r\n', 'Content-Type: multipart/mixed; boundary=x\r\n', '=?utf-8?B?', '=\r\n', '<td>', '%PDF-1.4 stream\n', 'PK\x03\x04', '{\\rtf1 ', '\x00'];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: junk.length - 1 })), { minLength: 1, maxLength: 8 }),
        (i, edits) => {
          let b = Buffer.from(samples[i]!);
          for (const [pos, kind, j] of edits) {
            const p = b.length ? pos % b.length : 0;
            if (kind === 0 && b.length) b[p] = b[p]! ^ 0xff;
            else if (kind === 1) b = b.subarray(0, p);
            else b = Buffer.concat([b.subarray(0, p), Buffer.from(junk[j]!, 'latin1'), b.subarray(p)]);
          }
          wellFormed(b);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});
