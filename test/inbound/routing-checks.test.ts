// The inbound stage after decryption, without a gateway: loop detection by hop count (reject with
// the reason), the Direct-style envelope check in each configured action, the harvest callback
// getting each valid signer's certificate, chain and capabilities (and nothing for an invalid
// one), and the visible note keeping the signed entity byte-identical (OpenSSL still verifies it).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPrivateKey } from 'node:crypto';
import { createInboundSmimeStage, type InboundSmimeOptions } from '../../src/inbound/decrypt-stage.js';
import { envelopeMismatches, addressesIn } from '../../src/inbound/routing.js';
import { smimeEncryptMessage, smimeSignMessage } from '../../src/smime/index.js';
import type { Envelope } from '../../src/queue/types.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { cleanup } from '../helpers/gateway.js';
import { runOk } from '../peers/run.js';

const HOST = 'mx.hospital.test';
let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
}, 60_000);
afterAll(() => {
  if (pki) cleanup(pki.dir);
});

const env = (sender: string, recipients: string[]): Envelope => ({ direction: 'inbound', sender, recipients, clientIp: '127.0.0.1', clientHelo: 'x', tls: false, receivedAt: new Date() });
const ctx = { now: () => new Date(), signal: new AbortController().signal };
const base = (o: Partial<InboundSmimeOptions> = {}): InboundSmimeOptions => ({ hostname: HOST, keys: async () => [], trustAnchors: async () => [pki.caCertDer], ...o });
const plain = (head: string) => Buffer.from(`${head}Subject: s\r\n\r\nbody\r\n`, 'latin1');

async function run(body: Buffer, e: Envelope, o: Partial<InboundSmimeOptions>) {
  return createInboundSmimeStage(base(o)).process({ id: 'q1', envelope: e, body }, ctx);
}

describe('loop detection', () => {
  test('more Received fields than the limit: reject naming the count and the limit', async () => {
    const hops = Array.from({ length: 6 }, (_, i) => `Received: from h${i} by h${i + 1}; Sun, 29 Nov 2026 20:00:00 +0000\r\n`).join('');
    const msg = plain(`${hops}From: a@example.test\r\nTo: b@hospital.test\r\n`);
    expect(await run(msg, env('a@example.test', ['b@hospital.test']), { hopLimit: 5 })).toEqual({
      kind: 'reject',
      reason: 'inbound: mail loop: 6 Received header fields after decryption (limit 5)',
    });
    expect((await run(msg, env('a@example.test', ['b@hospital.test']), { hopLimit: 6 })).kind).toBe('continue');
  });
});

describe('envelope check', () => {
  const msg = plain('From: "Alice (partner)" <Alice@Example.test>\r\nTo: Bob <bob@hospital.test>, carol@hospital.test\r\nCc: (x) dave@hospital.test\r\n');

  test('addresses are read from display names, comments and angle brackets', () => {
    expect(addressesIn('"Smith, J" <j@x.test>, k@y.test (Kay), <l@z.test>')).toEqual(['j@x.test', 'k@y.test', 'l@z.test']);
    expect(envelopeMismatches(msg, { sender: 'alice@example.test', recipients: ['BOB@hospital.test', 'dave@hospital.test'] })).toEqual([]);
  });

  test('a recipient not in To/Cc and a sender that is not From/Sender are both named', () => {
    expect(envelopeMismatches(msg, { sender: 'mallory@evil.test', recipients: ['eve@hospital.test', 'bob@hospital.test'] })).toEqual([
      'envelope recipient eve@hospital.test not in To/Cc',
      'envelope sender mallory@evil.test is not the From or Sender address',
    ]);
    // A bounce (null reverse-path) has no sender to compare.
    expect(envelopeMismatches(msg, { sender: '', recipients: ['bob@hospital.test'] })).toEqual([]);
  });

  test('actions: off passes, annotate adds our field (a forged one is removed), hold and reject stop with the reason', async () => {
    const e = env('mallory@evil.test', ['bob@hospital.test']);
    const forged = Buffer.concat([Buffer.from('X-Sealgate-Envelope-Check: ok\r\n'), msg]);
    const off = await run(forged, e, { tamperCheck: 'off' });
    expect(off.kind === 'continue' && off.body!.equals(msg)).toBe(true);
    const ann = await run(forged, e, { tamperCheck: 'annotate' });
    expect(ann.kind === 'continue' && ann.body!.toString('latin1')).toBe(
      'X-Sealgate-Envelope-Check: mismatch (envelope sender mallory@evil.test is not the From or Sender address)\r\n' + msg.toString('latin1'),
    );
    for (const action of ['hold', 'reject'] as const) {
      expect(await run(msg, e, { tamperCheck: action })).toEqual({
        kind: action,
        reason: 'inbound: envelope does not match the message header: envelope sender mallory@evil.test is not the From or Sender address',
      });
    }
    const consistent = await run(msg, env('alice@example.test', ['bob@hospital.test']), { tamperCheck: 'reject' });
    expect(consistent).toEqual({ kind: 'continue' });
  });
});

function signedByAlice(subject: string, signatureTypes?: Array<'originatorSig' | 'domainSig'>): Buffer {
  const alice = pki.ids.alice!;
  return smimeSignMessage(
    Buffer.from(`From: alice@example.test\r\nTo: bob@hospital.test\r\nSubject: ${subject}\r\n\r\nhello\r\n`),
    { certificate: alice.certDer, privateKey: createPrivateKey(alice.keyPem) },
    signatureTypes ? { signatureTypes } : {},
  );
}

describe('harvesting', () => {
  test('a valid signature hands the signer certificate, chain and capabilities to the directory', async () => {
    const calls: Array<{ address: string; der: Buffer; opts: { chain?: Buffer[]; capabilities?: string[]; messageId?: string } }> = [];
    const harvest = async (address: string, der: Buffer, opts: { chain?: Buffer[]; capabilities?: string[]; messageId?: string }) => {
      calls.push({ address, der, opts });
      return true;
    };
    const v = await run(signedByAlice('harvest me'), env('alice@example.test', ['bob@hospital.test']), { harvest });
    expect(v.kind === 'continue' && v.note).toMatch(/harvested 1 certificate/);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.address).toBe('alice@example.test');
    expect(calls[0]!.der.equals(pki.ids.alice!.certDer)).toBe(true);
    expect(calls[0]!.opts.messageId).toBe('q1');
    expect(calls[0]!.opts.chain!.map((c) => c.equals(pki.caCertDer))).toEqual([true]);
    expect(calls[0]!.opts.capabilities?.length).toBeGreaterThan(0);
  });

  test('an untrusted or tampered signature harvests nothing; a failing directory does not stop the message', async () => {
    let n = 0;
    const counting = async () => {
      n++;
      return true;
    };
    await run(signedByAlice('untrusted'), env('alice@example.test', ['bob@hospital.test']), { harvest: counting, trustAnchors: async () => [pki.ids.carol!.certDer] });
    const tampered = Buffer.from(signedByAlice('tampered').toString('latin1').replace('hello', 'HELLO'), 'latin1');
    await run(tampered, env('alice@example.test', ['bob@hospital.test']), { harvest: counting });
    expect(n).toBe(0);
    const broken = await run(signedByAlice('dir down'), env('alice@example.test', ['bob@hospital.test']), {
      harvest: async () => {
        throw new Error('directory unavailable');
      },
    });
    expect(broken.kind).toBe('continue');
  });
});

describe('visible note', () => {
  test('signed mail gets a note part first; the signed entity is unchanged and still verifies', async () => {
    const signed = signedByAlice('noted', ['originatorSig']);
    const v = await run(signed, env('alice@example.test', ['bob@hospital.test']), { visibleNote: true });
    const out = v.kind === 'continue' ? v.body!.toString('latin1') : '';
    expect(out).toMatch(/^Authentication-Results: mx\.hospital\.test;\r\n smime=pass \(originatorSig\)/);
    expect(out).toMatch(/Content-Type: multipart\/mixed; boundary="sealgate-note-/);
    expect(out).toContain('Digital signature: valid, signed by alice@example.test (originatorSig).');
    // The original body (the signed parts) follows the note part, byte for byte.
    const s = signed.toString('latin1');
    expect(out).toContain(s.slice(s.indexOf('\r\n\r\n')));
    const part = out.slice(out.lastIndexOf('Content-Type: multipart/signed'), out.lastIndexOf('\r\n--sealgate-note-'));
    await runOk('openssl', ['cms', '-verify', '-CAfile', pki.caCertPath, '-purpose', 'smimesign', '-out', '/dev/null'], { input: Buffer.from(part, 'latin1') });
  });

  test('off by default; plain unsigned, unencrypted mail never gets a note', async () => {
    const signed = signedByAlice('no note');
    const v = await run(signed, env('alice@example.test', ['bob@hospital.test']), {});
    expect(v.kind === 'continue' && v.body!.toString('latin1')).not.toMatch(/sealgate-note/);
    const p = plain('From: a@example.test\r\nTo: b@hospital.test\r\n');
    expect(await run(p, env('a@example.test', ['b@hospital.test']), { visibleNote: true })).toEqual({ kind: 'continue' });
  });
});

describe('undecryptable: deliver', () => {
  test('delivered as received with the reason on top (a forged field of ours removed), audited as delivered; default holds', async () => {
    const enc = smimeEncryptMessage(Buffer.from('Subject: secret\r\n\r\nsecret\r\n'), [{ certificate: pki.ids.carol!.certDer }]);
    const forged = Buffer.concat([Buffer.from('X-Sealgate-Decryption: ok\r\n'), enc]);
    const audits: Array<Record<string, unknown>> = [];
    const audit = async (e: { data: Record<string, unknown> }) => audits.push(e.data);
    const keys = async () => [{ privateKey: createPrivateKey(pki.ids.alice!.keyPem) }];
    const v = await run(forged, env('a@example.test', ['b@hospital.test']), { keys, audit, undecryptable: 'deliver' });
    expect(v.kind).toBe('continue');
    const out = (v as { body: Buffer }).body;
    const field = 'X-Sealgate-Decryption: failed (inbound-smime: cannot decrypt: not encrypted to a key of ours no matching recipient, or the key does not open it)\r\n';
    expect(out.toString('latin1')).toBe(field + enc.toString('latin1'));
    expect(audits).toEqual([{ reason: expect.stringMatching(/^inbound-smime: cannot decrypt/), delivered: true }]);
    expect((await run(enc, env('a@example.test', ['b@hospital.test']), { keys })).kind).toBe('hold');
  });
});
