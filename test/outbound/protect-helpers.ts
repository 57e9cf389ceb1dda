// Test-only: what a partner does with what the gateway sent, using the openssl CLI (an independent
// implementation): decrypt with the partner's key, verify our domain signature against our root,
// print the SignerInfos' signature-type attribute. Trust level: test harness.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, runOk } from '../peers/run.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, writeRootPem, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { personLdif, startSlapd, type SlapdProcess } from '../helpers/slapd.js';

export const OID_SIGNATURE_TYPE = '1.2.840.113549.1.9.16.2.28';
export const OID_DOMAIN_SIG = '1.2.840.113549.1.9.16.9.2';
export const OID_REVIEW_SIG = '1.2.840.113549.1.9.16.9.4';

/** The header section of a message as text (up to the first empty line). */
export function headerOf(msg: Buffer): string {
  const i = msg.indexOf('\r\n\r\n');
  return msg.subarray(0, i < 0 ? msg.length : i).toString('latin1');
}

export function bodyOf(msg: Buffer): Buffer {
  const i = msg.indexOf('\r\n\r\n');
  return i < 0 ? Buffer.alloc(0) : msg.subarray(i + 4);
}

export const isPlaintext = (msg: Buffer, marker: string): boolean => msg.toString('latin1').includes(marker);

/** `openssl cms -decrypt` with the recipient's certificate and key; strips a header-protection wrapper. */
export async function partnerDecrypt(msg: Buffer, certPath: string, keyPath: string): Promise<Buffer> {
  const out = await runOk('openssl', ['cms', '-decrypt', '-binary', '-recip', certPath, '-inkey', keyPath], { input: msg });
  return /^content-type:\s*message\/rfc822/i.test(headerOf(out)) ? bodyOf(out) : out;
}

/** `openssl cms -verify -CAfile` (text mode, as MUAs verify); returns the signed content. */
export async function partnerVerify(msg: Buffer, caPath: string): Promise<{ ok: boolean; content: Buffer; stderr: string }> {
  const r = await run('openssl', ['cms', '-verify', '-CAfile', caPath, '-purpose', 'smimesign'], { input: msg });
  return { ok: r.code === 0, content: r.stdout, stderr: r.stderr };
}

/** `openssl cms -cmsout -print` of the signature (detached or opaque): the SignerInfos in text. */
export async function printSignature(msg: Buffer, dir: string): Promise<string> {
  const f = join(dir, `sig-${Math.random().toString(36).slice(2)}.eml`);
  await writeFile(f, msg);
  const r = await runOk('openssl', ['cms', '-cmsout', '-print', '-inform', 'SMIME', '-in', f]);
  return r.toString('latin1');
}

// --- Gateway-process tests (e2e-protect, faults): the message, the config sections ---

export const SENDER = 'dr.jones@hospital.test';
export const PHI_TEXT = 'Patient: John Smith, DOB 03/14/1962, MRN 00451234.\r\nAssessment: type 2 diabetes mellitus (E11.9), HbA1c 8.2%. Continue metformin 1000 mg twice daily.\r\n';

export function phiMessage(to: string, subject = 'Follow-up visit'): string {
  return `From: ${SENDER}\r\nTo: ${to}\r\nSubject: ${subject}\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@hospital.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${PHI_TEXT}`;
}

/** Directory and outbound sections for the test config: local store and one LDAP server only. */
export function outboundYaml(o: { ldapUrl: string; ldapBase: string; anchors: string; ldapTimeoutMs?: number; sources?: string; extra?: string }): string {
  return [
    '',
    'directory:',
    `  sources: [${o.sources ?? 'local, ldap'}]`,
    '  ldap:',
    `    - url: ${o.ldapUrl}`,
    `      baseDn: "${o.ldapBase}"`,
    `      timeoutMs: ${o.ldapTimeoutMs ?? 3000}`,
    `      trustAnchors: [${o.anchors}]`,
    '  negativeCacheTtlSeconds: 0',
    '  missingCertificate: issue',
    'outbound:',
    '  tlsProbeTimeoutSeconds: 5',
    o.extra ?? '',
    '',
  ].join('\n');
}

export { to, waitUntil } from '../helpers/wait-for.js';

/** A running gateway whose outbound mail goes to `external`, with partner alice@example.test's certificate in a real slapd. */
export interface LdapGatewayEnv {
  partner: TestPki;
  ldap: SlapdProcess;
  internal: SmtpSink;
  external: SmtpSink;
  setup: GatewaySetup;
  gw: GatewayProcess;
  /** Our root CA as a PEM file (for openssl -CAfile). */
  rootPem: string;
  stop(): Promise<void>;
}

/**
 * Starts the partner PKI, slapd with alice's entry, the internal and external sinks and a gateway
 * configured by outboundYaml (plus `extra` outbound lines); registers `partners` (pattern and extra
 * `partner add` flags) before the gateway starts.
 */
export async function startLdapGateway(o: { extra?: string; partners?: ReadonlyArray<readonly [string, readonly string[]]> } = {}): Promise<LdapGatewayEnv> {
  const partner = await makeTestPki();
  const ldap = await startSlapd({ suffix: 'dc=example,dc=test' });
  await ldap.add(personLdif(ldap.suffix, 'alice@example.test', [partner.ids.alice!.certDer]));
  const internal = await startSmtpSink();
  const external = await startSmtpSink(); // the smarthost: no STARTTLS
  const setup = await setupGateway({
    internalPort: internal.port,
    smarthostPort: external.port,
    edit: (y) => y + outboundYaml({ ldapUrl: ldap.url, ldapBase: ldap.suffix, anchors: partner.caCertPath, ...(o.extra ? { extra: o.extra } : {}) }),
  });
  for (const [pattern, flags] of o.partners ?? []) {
    const r = sealgate(['partner', 'add', pattern, '--kind', 'business-associate', ...flags, '--config', setup.config]);
    if (r.status !== 0) throw new Error(`partner add ${pattern}: ${r.stderr}`);
  }
  const rootPem = writeRootPem(setup);
  const gw = await startGatewayProcess(setup);
  return {
    partner, ldap, internal, external, setup, gw, rootPem,
    async stop() {
      await gw.stop();
      await Promise.all([internal.close(), external.close(), ldap.stop()]);
      await rm(partner.dir, { recursive: true, force: true });
      cleanup(setup.dir);
    },
  };
}
