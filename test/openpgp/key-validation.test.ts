// What discovery accepts for an address: a valid key is used; expired, revoked, sign-only and
// wrong-address keys are refused with the reason (and the next source is tried). Also: the
// ADK stage with openpgp.adk.missing: allow lets desktop-encrypted mail pass with an audit record,
// and a key carried by a verified signed inbound message is harvested for later encryption.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as openpgp from 'openpgp';
import { tempKeyStore, plainMessage, crlf, type TempKeys } from './fixtures.js';
import { checkKeyFor, PGP_CONFIG } from '../../src/openpgp/keys.js';
import { createDiscovery } from '../../src/openpgp/discovery.js';
import { resolveOpenPgpConfig } from '../../src/openpgp/config.js';
import { createAdkStage } from '../../src/openpgp/adk-stage.js';
import { processInboundPgp } from '../../src/openpgp/inbound-stage.js';
import { ATTR } from '../../src/outbound/types.js';
import { wkdHash, zbase32 } from '../../src/openpgp/wkd.js';

let t: TempKeys;
const now = new Date();
const gen = (email: string, extra: Record<string, unknown> = {}) =>
  openpgp.generateKey({ userIDs: [{ email }], type: 'ecc', curve: 'curve25519Legacy', format: 'object', config: PGP_CONFIG, ...extra } as never) as unknown as Promise<{ privateKey: openpgp.PrivateKey; publicKey: openpgp.PublicKey }>;

beforeAll(async () => {
  t = await tempKeyStore();
});
afterAll(async () => t?.close());

describe('key validation', () => {
  test('a valid key passes; each defect is named', async () => {
    const ok = await gen('bob@partner.test');
    const at = new Date(Date.now() + 2000); // after the keys were made (the module's clock is older)
    expect(await checkKeyFor(ok.publicKey, 'Bob@Partner.test', at)).toEqual({ ok: true });
    expect(await checkKeyFor(ok.publicKey, 'other@partner.test', at)).toEqual({ ok: false, why: 'no user ID names other@partner.test' });
    const expired = await gen('old@partner.test', { date: new Date(now.getTime() - 10 * 86_400_000), keyExpirationTime: 86_400 });
    expect(await checkKeyFor(expired.publicKey, 'old@partner.test', at)).toEqual({ ok: false, why: 'key expired' });
    const { publicKey: revoked } = (await openpgp.revokeKey({ key: ok.privateKey, format: 'object' })) as unknown as { publicKey: openpgp.PublicKey };
    expect(await checkKeyFor(revoked, 'bob@partner.test', at)).toEqual({ ok: false, why: 'key revoked' });
    const signOnly = await gen('signer@partner.test', { subkeys: [] });
    expect(await checkKeyFor(signOnly.publicKey, 'signer@partner.test', at)).toEqual({ ok: false, why: 'no valid encryption-capable subkey' });
  });

  test('discovery skips an unusable local key and says why', async () => {
    const signOnly = await gen('dave@partner.test', { subkeys: [] });
    await t.keys.importKeys([signOnly.publicKey], { internalDomains: ['hospital.test'] });
    const d = createDiscovery(t.keys, resolveOpenPgpConfig({ wkd: { enabled: false } }, '/', () => {}));
    const r = await d.lookup('dave@partner.test', now);
    expect(r.kind).toBe('none');
    if (r.kind === 'none') expect(r.why).toMatch(/local key [0-9a-f]{16}: no valid encryption-capable subkey/);
  });

  test('WKD hash: z-base-32 of SHA-1 of the lower-cased local part (the draft\'s example)', () => {
    expect(wkdHash('Joe.Doe')).toBe('iy9q119eutrkn8s1mk4r39qejnbu3n5q');
    expect(zbase32(Buffer.from([0xf0]))).toBe('6y');
  });
});

describe('ADK missing with openpgp.adk.missing: allow', () => {
  test('passes with an audit record; the policy stage gets the visible header only', async () => {
    const bob = await gen('bob@partner.test');
    const audits: Array<{ type: string; data: Record<string, unknown> }> = [];
    const stage = createAdkStage({ keys: t.keys, domains: ['hospital.test'], missing: 'allow', audit: async (e) => audits.push(e) });
    const armored = await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'secret 3001' }), encryptionKeys: bob.publicKey, config: PGP_CONFIG });
    const body = plainMessage('alice@hospital.test', 'bob@partner.test', 'no adk', armored as string);
    const msg = { id: 'q1', body, attrs: {} as Record<string, unknown>, envelope: { direction: 'outbound' as const, sender: 'alice@hospital.test', recipients: ['bob@partner.test'], clientIp: '127.0.0.1', clientHelo: 'x', tls: false, receivedAt: now } };
    const v = await stage.process(msg, { now: () => now, signal: new AbortController().signal });
    expect(v.kind).toBe('continue');
    expect('body' in v && v.body).toBeFalsy();
    expect(msg.attrs[ATTR.userEncrypted]).toBe('openpgp');
    expect((msg.attrs[ATTR.inspectBody] as Buffer).toString()).toMatch(/^From: alice@hospital\.test\r\nTo: bob@partner\.test\r\nSubject: no adk\r\n/);
    expect(audits).toEqual([expect.objectContaining({ type: 'openpgp-adk-missing', data: expect.objectContaining({ action: 'allow' }) })]);
    expect(JSON.stringify(audits)).not.toContain('secret 3001');
  });
});

describe('harvesting', () => {
  test('a signed message carrying its signer\'s key: neutral now, harvested, then used by discovery', async () => {
    const carol = await gen('carol@harvest.test');
    const content = crlf('Content-Type: text/plain\n\nhello 4001\n');
    const sig = await openpgp.sign({ message: await openpgp.createMessage({ binary: content }), signingKeys: carol.privateKey, detached: true, config: PGP_CONFIG });
    const keydata = Buffer.from(carol.publicKey.write()).toString('base64');
    const m = Buffer.concat([
      crlf(`From: carol@harvest.test\nAutocrypt: addr=carol@harvest.test; keydata=${keydata}\nMIME-Version: 1.0\nContent-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="h"\n\n--h\n`),
      content,
      crlf(`\n--h\nContent-Type: application/pgp-signature\n\n${sig}\n--h--\n`),
    ]);
    const discovery = createDiscovery(t.keys, resolveOpenPgpConfig({ wkd: { enabled: false } }, '/', () => {}));
    const r = await processInboundPgp(m, { hostname: 'mail.hospital.test', keys: t.keys, discovery, harvest: true }, new Date());
    expect(r.kind === 'continue' && r.reports[0]?.result).toBe('neutral');
    const found = await discovery.lookup('carol@harvest.test', new Date());
    expect(found).toMatchObject({ kind: 'found', source: 'harvested' });
  });
});

describe('HKP keyserver', () => {
  test('after WKD finds nothing, the configured keyserver is asked (op=get, machine-readable)', async () => {
    const { createServer } = await import('node:http');
    const erin = await gen('erin@hkp.test');
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/pks/lookup' && u.searchParams.get('op') === 'get' && u.searchParams.get('search') === 'erin@hkp.test') res.end(erin.publicKey.armor());
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const cfg = resolveOpenPgpConfig({ wkd: { resolve: { 'hkp.test': `127.0.0.1:${port}` }, timeoutSeconds: 2 }, hkp: `http://127.0.0.1:${port}` }, '/', () => {});
      const r = await createDiscovery(t.keys, cfg).lookup('erin@hkp.test', new Date());
      expect(r).toMatchObject({ kind: 'found', source: 'hkp', fingerprint: erin.publicKey.getFingerprint() });
      expect(seen.some((x) => x.startsWith('/pks/lookup?op=get&options=mr&search=erin%40hkp.test'))).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('malformed PGP/MIME', () => {
  test('a multipart/encrypted with an over-long boundary is not treated as OpenPGP (no throw, no tempfail loop)', async () => {
    const { pgpKind } = await import('../../src/openpgp/mime.js');
    const b = 'x'.repeat(80);
    const m = crlf(`From: a@b.test\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="${b}"\n\n--${b}\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--${b}--\n`);
    expect(pgpKind(m)).toEqual({ kind: 'none' });
  });
});
