// Test-only: what a partner does with what the gateway sent, using the openssl CLI (an independent
// implementation): decrypt with the partner's key, verify our domain signature against our root,
// print the SignerInfos' signature-type attribute. Trust level: test harness.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, runOk } from '../peers/run.js';

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

/** A sink filter: messages whose envelope names `rcpt`. */
export const to = (rcpt: string) => (m: { recipients: string[] }) => m.recipients.includes(rcpt);

/** Polls `cond` every 100 ms until it holds; throws after `ms`. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
