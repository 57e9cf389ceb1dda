// Hostile S/MIME messages: thousands of mutations (byte flips, truncations, duplicated slices,
// injected delimiters and header lines) of real signed, encrypted and triple-wrapped messages go
// through unwrapSmime. Every one must end in a result or an SmimeError, quickly; never another
// exception, never a hang. A valid-looking result of a tampered signed message must not be "valid"
// unless the signed bytes themselves were left untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import fc from 'fast-check';
import { SmimeError, smimeEncryptMessage, smimeProtectMessage, smimeSignMessage, unwrapSmime } from '../../src/smime/index.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { keyOf, sampleMessage } from '../peers/fixtures.js';

let pki: TestPki;
let seeds: { name: string; msg: Buffer }[];
let original: Buffer;
const RUNS = Number(process.env.SMIME_MIME_FUZZ_RUNS ?? 1500);

beforeAll(async () => {
  pki = await makeTestPki();
  const { alice, bob, carol } = pki.ids as Record<string, NonNullable<TestPki['ids'][string]>>;
  const msg = sampleMessage('fuzz');
  original = msg;
  const s = (id: typeof alice) => ({ certificate: id.certDer, privateKey: keyOf(id) });
  seeds = [
    { name: 'detached', msg: smimeSignMessage(msg, s(alice)) },
    { name: 'opaque', msg: smimeSignMessage(msg, s(bob), { detached: false }) },
    { name: 'enveloped', msg: smimeEncryptMessage(msg, [{ certificate: alice.certDer }]) },
    { name: 'authEnveloped', msg: smimeEncryptMessage(msg, [{ certificate: bob.certDer }], { cipher: 'aes-128-gcm' }) },
    {
      name: 'triple',
      msg: smimeProtectMessage(msg, [
        { sign: s(alice) },
        { encrypt: [{ certificate: alice.certDer }] },
        { sign: s(carol), options: { detached: false, signatureTypes: ['domainSig'] } },
      ]),
    },
  ];
});

afterAll(async () => {
  if (pki) await rm(pki.dir, { recursive: true, force: true });
});

const INJECT = ['\r\n', '\r\n--', '=', '\r\n\r\n', 'Content-Type: multipart/signed; boundary=x\r\n', '--\r\n', '\x00', 'é', '"', ';'];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ kind: fc.constant('inject' as const), at: fc.nat(), what: fc.constantFrom(...INJECT) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 200 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function apply(buf: Buffer, m: Mutation): Buffer {
  const at = m.at % (buf.length + 1);
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(buf);
      if (at < out.length) out[at]! ^= 1 << m.bit;
      return out;
    }
    case 'truncate':
      return buf.subarray(0, at);
    case 'dup':
      return Buffer.concat([buf.subarray(0, at), buf.subarray(at, at + m.len), buf.subarray(at)]);
    case 'inject':
      return Buffer.concat([buf.subarray(0, at), Buffer.from(m.what, 'latin1'), buf.subarray(at)]);
    case 'delete':
      return Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.len)]);
  }
}

describe('unwrapSmime on mutated messages', () => {
  it(`${RUNS} mutated signed/encrypted/triple-wrapped messages: result or SmimeError, each within 2 s`, () => {
    const outcomes: Record<string, number> = {};
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (si, ms) => {
        const seed = seeds[si % seeds.length]!;
        let input = seed.msg;
        for (const m of ms) input = apply(input, m);
        const t0 = Date.now();
        let outcome: string;
        try {
          const r = unwrapSmime(input, {
            keys: [
              { certificate: pki.ids.alice!.certDer, privateKey: keyOf(pki.ids.alice!) },
              { certificate: pki.ids.bob!.certDer, privateKey: keyOf(pki.ids.bob!) },
            ],
            trustAnchors: [pki.caCertDer],
          });
          outcome = r.layers.length === 0 ? 'no S/MIME' : r.signed ? (r.signaturesValid ? 'valid' : 'invalid signature') : 'decrypted';
          // Whatever was mutated, a message reported as validly signed is exactly the original.
          if (r.signaturesValid) expect(r.message.equals(original)).toBe(true);
        } catch (e) {
          if (!(e instanceof SmimeError)) throw new Error(`${seed.name}: non-SmimeError ${(e as Error)?.name}: ${(e as Error)?.message}`);
          outcome = `SmimeError ${e.code}`;
        }
        expect(Date.now() - t0).toBeLessThan(2000);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }),
      { numRuns: RUNS },
    );
    console.log('mutation outcomes:', outcomes);
    expect(Object.keys(outcomes).some((o) => o.startsWith('SmimeError'))).toBe(true);
  }, 120_000);
});
