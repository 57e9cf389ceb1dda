// The inbound S/MIME core without a gateway: forged Authentication-Results naming our host are
// removed (and only those), the result header names the RFC 3183 signature type and the signer
// certificate's serial, the signed bytes follow unchanged, and encrypted mail without a usable key
// is held. Signatures come from Sealgate's own signer over an OpenSSL-made test identity.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPrivateKey } from 'node:crypto';
import { removeForgedResults } from '../../src/inbound/headers.js';
import { processInbound } from '../../src/inbound/decrypt-stage.js';
import { smimeEncryptMessage, smimeSignMessage } from '../../src/smime/index.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { cleanup } from '../helpers/gateway.js';

const HOST = 'mx.hospital.test';
let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
}, 60_000);
afterAll(() => {
  if (pki) cleanup(pki.dir);
});

const msg = (head: string) => Buffer.from(`${head}From: a@example.test\r\nSubject: s\r\n\r\nbody line\r\nAuthentication-Results: ${HOST}; smime=pass\r\n`, 'latin1');

describe('forged results', () => {
  test('every field naming our host is removed, in any case, with comments or folded; others stay; the body is untouched', () => {
    const input = msg(
      `Authentication-Results: ${HOST}; smime=pass header.from=ceo@hospital.test\r\n` +
        `Authentication-Results: (comment) MX.Hospital.Test (c);\r\n dkim=pass\r\n` +
        `Authentication-Results: mx.partner.example; spf=pass\r\n` +
        `Authentication-Results:\r\n ${HOST}; smime=pass\r\n`,
    );
    const { message, removed } = removeForgedResults(input, HOST);
    expect(removed).toBe(3);
    expect(message.toString('latin1')).toBe(msg('Authentication-Results: mx.partner.example; spf=pass\r\n').toString('latin1'));
  });

  test('a host name that merely starts with ours is not ours; nothing removed returns the same bytes', () => {
    const input = msg(`Authentication-Results: ${HOST}.evil.example; smime=pass\r\n`);
    const r = removeForgedResults(input, HOST);
    expect(r.removed).toBe(0);
    expect(r.message).toBe(input);
  });
});

describe('result header', () => {
  test('domainSig signature from a trusted signer: pass, type, signer and serial; signed bytes follow unchanged', async () => {
    const alice = pki.ids.alice!;
    const signed = smimeSignMessage(
      Buffer.from('From: alice@example.test\r\nTo: dr.jones@hospital.test\r\nSubject: typed\r\n\r\nhello\r\n'),
      { certificate: alice.certDer, privateKey: createPrivateKey(alice.keyPem) },
      { signatureTypes: ['domainSig'] },
    );
    const r = await processInbound(signed, { hostname: HOST, keys: async () => [], trustAnchors: async () => [pki.caCertDer] }, new Date());
    expect(r.kind).toBe('continue');
    const out = (r as { body: Buffer }).body;
    const header = `Authentication-Results: ${HOST};\r\n smime=pass (domainSig) header.from=alice@example.test body.smime-serial=1000\r\n (valid signature, trusted signer)\r\n`;
    expect(out.subarray(0, header.length).toString('latin1')).toBe(header);
    expect(out.subarray(header.length).equals(signed)).toBe(true);
  });

  test('a personal signature by someone other than the From address: neutral, saying so', async () => {
    const alice = pki.ids.alice!;
    const signed = smimeSignMessage(
      Buffer.from('From: "The CEO" <ceo@hospital.test>\r\nSubject: wire money\r\n\r\nplease\r\n'),
      { certificate: alice.certDer, privateKey: createPrivateKey(alice.keyPem) },
    );
    const r = await processInbound(signed, { hostname: HOST, keys: async () => [], trustAnchors: async () => [pki.caCertDer] }, new Date());
    expect((r as { body: Buffer }).body.toString('latin1')).toMatch(
      /^Authentication-Results: mx\.hospital\.test;\r\n smime=neutral header\.from=alice@example\.test body\.smime-serial=1000\r\n \(valid signature, but the signer alice@example\.test is not the From address ceo@hospital\.test\)\r\n/,
    );
  });

  test('no trust anchor for the signer: neutral; the same signature with the anchor: pass', async () => {
    const alice = pki.ids.alice!;
    const signed = smimeSignMessage(Buffer.from('Subject: x\r\n\r\nhi\r\n'), { certificate: alice.certDer, privateKey: createPrivateKey(alice.keyPem) });
    const other = pki.ids.carol!.certDer; // a leaf, not alice's CA
    const r = await processInbound(signed, { hostname: HOST, keys: async () => [], trustAnchors: async () => [other] }, new Date());
    expect((r as { body: Buffer }).body.toString('latin1')).toMatch(/^Authentication-Results: mx\.hospital\.test;\r\n smime=neutral header\.from=alice@example\.test/);
  });

  test('encrypted to someone else: hold with the reason (never delivered opaque)', async () => {
    const enc = smimeEncryptMessage(Buffer.from('Subject: secret\r\n\r\nsecret\r\n'), [{ certificate: pki.ids.carol!.certDer }]);
    const aliceKey = createPrivateKey(pki.ids.alice!.keyPem);
    const r = await processInbound(enc, { hostname: HOST, keys: async () => [{ privateKey: aliceKey }], trustAnchors: async () => [] }, new Date());
    expect(r).toEqual({ kind: 'hold', reason: expect.stringMatching(/^inbound-smime: cannot decrypt: not encrypted to a key of ours/) });
    const none = await processInbound(enc, { hostname: HOST, keys: async () => [], trustAnchors: async () => [] }, new Date());
    expect(none).toEqual({ kind: 'hold', reason: 'inbound-smime: cannot decrypt: no domain decryption key configured' });
  });

  test('plain mail passes unchanged (same bytes)', async () => {
    const plain = Buffer.from('From: a@example.test\r\nSubject: hi\r\n\r\nplain\r\n');
    const r = await processInbound(plain, { hostname: HOST, keys: async () => [], trustAnchors: async () => [] }, new Date());
    expect((r as { body: Buffer }).body).toBe(plain);
  });
});
