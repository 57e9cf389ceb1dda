// The pure checks of src/directory/validate.ts on certificates made by openssl: which keys can be
// encrypted to, and what counts as the address (exact, or domain-bound).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCert } from '../../src/pki/cert-util.js';
import { addressMatches, encryptionProblem, validateCandidate } from '../../src/directory/validate.js';
import { runOk } from '../peers/run.js';
import { pemToDer } from '../peers/pki.js';

let dir: string;
const made: Record<string, Buffer> = {};

async function selfSigned(name: string, keyArgs: string[], exts: string[]): Promise<void> {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.pem`);
  await runOk('openssl', ['genpkey', ...keyArgs, '-out', key]);
  await runOk('openssl', ['req', '-x509', '-new', '-key', key, '-out', crt, '-days', '30', '-subj', `/CN=${name}`, ...exts.flatMap((e) => ['-addext', e])]);
  made[name] = pemToDer(readFileSync(crt, 'utf8'));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-validate-'));
  await selfSigned('ed', ['-algorithm', 'ED25519'], ['subjectAltName=email:ed@partner.test']);
  await selfSigned('ec', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['subjectAltName=email:ec@partner.test', 'keyUsage=keyAgreement']);
  await selfSigned('ecsig', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['subjectAltName=email:ec@partner.test', 'keyUsage=digitalSignature']);
  await selfSigned('domain', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['subjectAltName=email:partner.test']);
  await selfSigned('tls', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], ['subjectAltName=email:tls@partner.test', 'extendedKeyUsage=serverAuth']);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encryption use', () => {
  it('refuses keys that cannot encrypt and key usages that forbid it', () => {
    expect(encryptionProblem(parseCert(made.ed!))).toBe('not for encryption: 1.3.101.112 keys cannot encrypt');
    expect(encryptionProblem(parseCert(made.ec!))).toBeUndefined();
    expect(encryptionProblem(parseCert(made.ecsig!))).toBe('not for encryption: keyUsage lacks keyAgreement');
    expect(encryptionProblem(parseCert(made.tls!))).toBe('not for encryption: extendedKeyUsage lacks emailProtection');
  });
});

describe('address match', () => {
  it('matches the exact address case-insensitively, or a domain-bound certificate for the domain', () => {
    expect(addressMatches(parseCert(made.ec!), 'EC@Partner.Test')).toBe(true);
    expect(addressMatches(parseCert(made.ec!), 'other@partner.test')).toBe(false);
    expect(addressMatches(parseCert(made.domain!), 'anyone@partner.test')).toBe(true);
    expect(addressMatches(parseCert(made.domain!), 'anyone@other.test')).toBe(false);
  });

  it('a self-signed certificate nobody configured is untrusted even when everything else fits', () => {
    const v = validateCandidate({ der: made.ec!, chain: [] }, { address: 'ec@partner.test', at: new Date(), trustAnchors: [made.domain!], crls: [], revocation: 'crl' });
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toMatch(/^untrusted: /);
  });
});
