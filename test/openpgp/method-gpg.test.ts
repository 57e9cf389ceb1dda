// The outbound 'openpgp' method's output read by GnuPG 2.2: the PGP/MIME message opens with the
// partner's gpg key (Curve25519 and RSA 3072), the inner RFC 3156 multipart/signed entity carries
// a domain signature `gpg --verify` accepts, and a recipient without a usable key is 'unavailable'.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GpgPeer } from './gpg-peer.js';
import { plainMessage, tempKeyStore, type TempKeys } from './fixtures.js';
import { createOpenPgpMethod } from '../../src/openpgp/method.js';
import { createDiscovery } from '../../src/openpgp/discovery.js';
import { resolveOpenPgpConfig } from '../../src/openpgp/config.js';
import { readKeysAny } from '../../src/openpgp/keys.js';
import { pgpKind } from '../../src/openpgp/mime.js';
import type { MethodContext } from '../../src/outbound/types.js';

let gpg: GpgPeer;
let t: TempKeys;

beforeAll(async () => {
  [gpg, t] = await Promise.all([GpgPeer.create(), tempKeyStore()]);
  await gpg.generate('bob@partner.test', 'curve25519');
  await gpg.generate('carol@rsa.test', 'rsa3072');
  for (const a of ['bob@partner.test', 'carol@rsa.test']) await t.keys.importKeys(await readKeysAny(await gpg.exportPublic(a)), { internalDomains: ['hospital.test'] });
  await gpg.import((await t.keys.orgKey('domain', 'hospital.test')).publicArmored);
}, 120_000);

afterAll(async () => {
  await gpg?.close();
  await t?.close();
});

function ctx(recipient: string, body: Buffer): MethodContext {
  return {
    msg: { id: 'm1', body, envelope: { direction: 'outbound', sender: 'alice@hospital.test', recipients: [recipient], clientIp: '127.0.0.1', clientHelo: 'x', tls: false, receivedAt: new Date() } },
    recipient,
    body,
    signal: new AbortController().signal,
    now: () => new Date(),
  };
}

const method = () => createOpenPgpMethod({ keys: t.keys, discovery: createDiscovery(t.keys, resolveOpenPgpConfig({ wkd: { enabled: false } }, '/', () => {})), domains: ['hospital.test'] });

describe('PGP/MIME from the openpgp method, opened by gpg', () => {
  for (const rcpt of ['bob@partner.test', 'carol@rsa.test']) {
    test(`${rcpt}: gpg --decrypt opens it; gpg --verify accepts the domain signature`, async () => {
      const body = plainMessage('alice@hospital.test', rcpt, 'Lab results', 'Patient MRN 12345678, HbA1c 7.2%');
      const r = await method().protect(ctx(rcpt, body));
      expect(r.kind, JSON.stringify(r)).toBe('protected');
      if (r.kind !== 'protected') return;
      const text = r.body.toString('latin1');
      expect(text).toMatch(/^Subject: Lab results\r$/m);
      expect(text).toMatch(/Content-Type: multipart\/encrypted;\r\n protocol="application\/pgp-encrypted"/);
      expect(text).not.toContain('12345678');
      const k = pgpKind(r.body);
      expect(k.kind).toBe('pgpmime-encrypted');
      if (k.kind !== 'pgpmime-encrypted') return;
      const dec = await gpg.gpg(['--decrypt'], k.armored);
      expect(dec.code, dec.status).toBe(0);
      expect(dec.status).toMatch(/DECRYPTION_OKAY/);
      const inner = dec.out;
      expect(inner.toString('utf8')).toContain('Patient MRN 12345678');
      const s = pgpKind(Buffer.concat([Buffer.from('Subject: x\r\n'), inner]));
      expect(s.kind).toBe('pgpmime-signed');
      if (s.kind !== 'pgpmime-signed') return;
      const v = await gpg.gpg(['--verify', await gpg.file(s.signature), await gpg.file(s.signed)]);
      expect(v.code, v.status).toBe(0);
      expect(v.status).toMatch(/GOODSIG .* hospital\.test secure mail gateway <openpgp-domain@hospital\.test>/);
      // A changed byte in the signed part: gpg says BADSIG.
      const bad = Buffer.from(s.signed);
      bad[bad.length - 3] ^= 1;
      const v2 = await gpg.gpg(['--verify', await gpg.file(s.signature), await gpg.file(bad)]);
      expect(v2.status).toMatch(/BADSIG/);
    }, 60_000);
  }

  test('no usable key: unavailable (the next method decides), never plaintext', async () => {
    const r = await method().protect(ctx('nobody@nokey.test', plainMessage('alice@hospital.test', 'nobody@nokey.test', 's', 'b')));
    expect(r.kind).toBe('unavailable');
  });
});
