// The smime-inspect stage's key lookup and its fail-closed answers, against a real PKI in a
// throw-away SQLite database: a RecipientInfo is ours only when it names a certificate we issued
// that is bound to the domain encryption key (the domain confidentiality certificate or a proxy
// encryption certificate) with our issuer, or that key's subjectKeyIdentifier; a KEK problem
// retries later; our certificate with a key that does not open it holds. (The end-to-end behaviour
// with openssl as the desktop client is in smime-desktop.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { createDomainPki, type DomainPki } from '../../src/pki/ca.js';
import { defaultPkiConfig } from '../../src/pki/config.js';
import { generateKekSecret, kekFromSecret } from '../../src/pki/keystore.js';
import { domainCertificate, issueProxyCertificate } from '../../src/pki/issue.js';
import { smimeEncryptMessage, type RecipientId } from '../../src/smime/index.js';
import { createSmimeInspectStage, domainKeyLookup } from '../../src/outbound/smime-inspect-stage.js';
import { ATTR } from '../../src/outbound/types.js';
import type { StageMessage } from '../../src/pipeline/stage.js';

const DOMAIN = 'hospital.test';
let dir: string;
let store: OpenedStore;
let pki: DomainPki;
let lookup: ReturnType<typeof domainKeyLookup>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-smime-inspect-'));
  store = await openStore({ database: { kind: 'sqlite', file: join(dir, 'db.sqlite') }, spoolDir: join(dir, 'spool') });
  pki = await createDomainPki({ store, domains: [DOMAIN], algorithm: 'p-256', kek: kekFromSecret(generateKekSecret()), config: defaultPkiConfig(dir, `mail.${DOMAIN}`, [DOMAIN]) });
  lookup = domainKeyLookup(async () => pki);
}, 60_000);

afterAll(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function ridOf(der: Buffer, issuerDer?: Buffer): RecipientId {
  const c = new x509.X509Certificate(der);
  return { type: 'ktri', issuerDer: issuerDer ?? Buffer.from(c.issuerName.toArrayBuffer()), serialNumber: c.serialNumber.toLowerCase(), keyEncryptionAlgorithm: '1.2.840.113549.1.1.1', algorithm: 'rsaEncryption' };
}

const skiOf = (der: Buffer) => new x509.X509Certificate(der).getExtension(x509.SubjectKeyIdentifierExtension)!.keyId.toLowerCase();

describe('domainKeyLookup', () => {
  it('the domain confidentiality certificate and a proxy encryption certificate are ours', async () => {
    const conf = await domainCertificate(pki, 'confidentiality', DOMAIN);
    const proxy = (await issueProxyCertificate(pki, `alice@${DOMAIN}`)).encryption;
    const keys = await lookup([ridOf(conf.der), ridOf(proxy.der)]);
    expect(keys.length).toBe(2);
    expect(keys.map((k) => k.certificate)).toEqual([conf.der, proxy.der]);
  });

  it('the same serial under another issuer, a proxy signing certificate, a password recipient: not ours', async () => {
    const conf = await domainCertificate(pki, 'confidentiality', DOMAIN);
    const otherIssuer = Buffer.from(new x509.Name('CN=Someone Else CA').toArrayBuffer());
    const signing = (await issueProxyCertificate(pki, `alice@${DOMAIN}`)).signing;
    const pwri: RecipientId = { type: 'pwri', keyEncryptionAlgorithm: '', algorithm: 'pwri' };
    expect(await lookup([ridOf(conf.der, otherIssuer), ridOf(signing.der), pwri])).toEqual([]);
  });

  it('by subjectKeyIdentifier: the domain key is ours, another key is not', async () => {
    const conf = await domainCertificate(pki, 'confidentiality', DOMAIN);
    const base = { type: 'ktri' as const, keyEncryptionAlgorithm: '1.2.840.113549.1.1.1', algorithm: 'rsaEncryption' };
    const keys = await lookup([{ ...base, ski: skiOf(conf.der) }, { ...base, ski: '00'.repeat(20) }]);
    expect(keys.length).toBe(1);
    expect(keys[0]!.certificate).toEqual(conf.der);
  });
});

describe('the stage', () => {
  const message = (body: Buffer): StageMessage => ({ id: 'm1', envelope: { sender: `alice@${DOMAIN}`, recipients: ['bob@partner.test'], receivedAt: new Date() }, body } as unknown as StageMessage);
  const ctx = { now: () => new Date(), signal: new AbortController().signal };
  const plain = Buffer.from(`From: alice@${DOMAIN}\r\nTo: bob@partner.test\r\nSubject: labs\r\nContent-Type: text/plain\r\n\r\nMRN 12345678\r\n`);
  const encryptedToUs = async () => smimeEncryptMessage(plain, [{ certificate: (await domainCertificate(pki, 'confidentiality', DOMAIN)).der }]);

  it('opens a message encrypted to the domain certificate: plaintext for inspection, body unchanged', async () => {
    const msg = message(await encryptedToUs());
    const before = Buffer.from(msg.body);
    const v = await createSmimeInspectStage({ keysFor: lookup }).process(msg, ctx);
    expect(v.kind).toBe('continue');
    expect(msg.body.equals(before)).toBe(true);
    expect(msg.attrs?.[ATTR.userEncrypted]).toBe('smime');
    expect((msg.attrs?.[ATTR.inspectBody] as Buffer).toString('latin1')).toContain('MRN 12345678');
  });

  it('plain mail and unreadable S/MIME pass untouched (the decision stage judges them)', async () => {
    const stage = createSmimeInspectStage({ keysFor: lookup });
    const broken = Buffer.from('Subject: x\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n');
    for (const body of [plain, broken]) {
      const msg = message(body);
      expect((await stage.process(msg, ctx)).kind).toBe('continue');
      expect(msg.attrs?.[ATTR.inspectBody]).toBeUndefined();
    }
  });

  it('the domain key unavailable (KEK): temp-fail; our certificate with a key that does not open it: hold', async () => {
    const body = await encryptedToUs();
    const down = await createSmimeInspectStage({ keysFor: () => Promise.reject(new Error('pki.kek: unreadable')) }).process(message(body), ctx);
    expect(down.kind).toBe('tempfail');
    const wrongKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const certificate = (await domainCertificate(pki, 'confidentiality', DOMAIN)).der;
    const v = await createSmimeInspectStage({ keysFor: async () => [{ certificate, privateKey: wrongKey }] }).process(message(body), ctx);
    expect(v).toEqual({ kind: 'hold', reason: 'smime-inspect: our domain certificate is a recipient but the message does not decrypt' });
  });
});
