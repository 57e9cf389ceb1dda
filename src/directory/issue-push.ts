// Auto-issue and PKCS#12 push (issue 4, item 4): the `issue()` step of the certificate directory.
// Issues a key pair and certificate for an external address from the external recipients CA,
// queues the PKCS#12 email to the recipient and a notice to the internal sender (both durable
// before it returns), and leaves the password sealed in the store for `sealgate cert password` and
// the web console. The private key is destroyed or escrowed by src/pki/issue.ts per
// `pki.externalKeys`. Trust level: holds the recipient's fresh private key and password in memory
// for the length of one call; never puts the password in an email, a log line or the audit trail.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/types.js';
import { fingerprint, normalizeAddress, type DomainPki } from '../pki/ca.js';
import { issueForExternalRecipient, repackageExternal, type ExternalIssue } from '../pki/issue.js';
import { buildPkcs12Email } from '../pki/p12-email.js';
import type { LocalSubmitter } from '../queue/submit.js';
import type { AuditLog } from '../store/types.js';
import type { IssueRequest, RecipientCertificate } from './types.js';

export interface IssuerOptions {
  pki: DomainPki;
  submitter: LocalSubmitter;
  config: Pick<Config, 'domains'>;
  clock: { now(): Date };
  audit: AuditLog;
  hostname: string;
}

export type Issuer = (address: string, req: IssueRequest) => Promise<RecipientCertificate>;

const CRLF = '\r\n';
const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').trim();

/** A short plain-text message from the gateway (ASCII, CRLF, auto-generated). */
export function gatewayNotice(n: { from: string; fromName: string; to: string; replyTo?: string; subject: string; text: string; hostname: string; date: Date }): Buffer {
  const ascii = (s: string) => s.replace(/[^\x20-\x7e\n]/g, '?');
  const lines = [
    `From: ${ascii(oneLine(n.fromName))} <${oneLine(n.from)}>`,
    `To: <${oneLine(n.to)}>`,
    ...(n.replyTo ? [`Reply-To: <${oneLine(n.replyTo)}>`] : []),
    `Subject: ${ascii(oneLine(n.subject))}`,
    `Date: ${n.date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${oneLine(n.hostname)}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    'Auto-Submitted: auto-generated',
    '',
    ...ascii(n.text).split('\n'),
    '',
  ];
  return Buffer.from(lines.join(CRLF), 'latin1');
}

/** The notice to the internal sender: no message content, only what happened and where the password is. */
export function issueNoticeText(recipient: string, organization: string): string {
  return [
    `Your message to ${recipient} is sent encrypted. ${recipient} had no`,
    'certificate for secure email, so the gateway issued one and emailed it to',
    'them as a file (PKCS#12) with instructions.',
    '',
    'To open that file they need its password, which is NOT in their email.',
    'Please give them the password yourself, by telephone or in person (not by',
    'email). You or an administrator can retrieve it:',
    '',
    `  - in the web console: Certificates > PKCS#12 password retrieval, enter ${recipient}`,
    `  - on the gateway: sealgate cert password ${recipient} --config FILE`,
    '',
    'Every retrieval of the password is recorded in the audit trail.',
    '',
    organization,
  ].join('\n');
}

/** Queues the PKCS#12 email and the sender's notice for an issued (or re-packaged) identity. */
async function push(o: IssuerOptions, address: string, requestedBy: string, pkg: Pick<ExternalIssue, 'pkcs12' | 'mobileconfig'>, notAfter: Date) {
  const postmaster = `postmaster@${o.config.domains[0]}`;
  const organization = o.pki.config.organization;
  const date = o.clock.now();
  const pkcs12MessageId = await o.submitter.submit({
    direction: 'outbound',
    sender: postmaster,
    recipients: [address],
    origin: 'pkcs12',
    body: buildPkcs12Email({ from: postmaster, to: address, organization, requestedBy, ...pkg, notAfter, hostname: o.hostname, date }),
  });
  const noticeMessageId = await o.submitter.submit({
    direction: 'inbound',
    sender: '',
    recipients: [requestedBy],
    origin: 'issue-notice',
    body: gatewayNotice({
      from: postmaster,
      fromName: organization,
      to: requestedBy,
      subject: `Certificate issued for ${address}: give them the password`,
      text: issueNoticeText(address, organization),
      hostname: o.hostname,
      date,
    }),
  });
  return { pkcs12MessageId, noticeMessageId };
}

function recipientCertificate(e: { record: ExternalIssue['record']; chain: Buffer[] }, issued: RecipientCertificate['issued']): RecipientCertificate {
  return {
    address: e.record.address!,
    der: e.record.der,
    chain: e.chain,
    source: 'issued',
    origin: 'external recipients CA',
    fingerprint: fingerprint(e.record.der),
    notAfter: e.record.notAfter,
    issued,
  };
}

export function createIssuer(o: IssuerOptions): Issuer {
  return async (address, req) => {
    const a = normalizeAddress(address);
    const requestedBy = normalizeAddress(req.requestedBy);
    req.signal?.throwIfAborted();
    const e = await issueForExternalRecipient(o.pki, a, { actor: 'system' });
    let ids: { pkcs12MessageId: string; noticeMessageId: string };
    try {
      ids = await push(o, a, requestedBy, e, e.record.notAfter);
    } catch (err) {
      // Nobody can ever get this key now: revoke the certificate so no lookup returns it.
      await o.pki.revoke(e.record.serial, 'cessationOfOperation').catch(() => {});
      await o.audit.append({ type: 'certificate-push-failed', actor: 'system', messageId: req.messageId ?? null, data: { serial: e.record.serial, address: a } });
      throw err;
    }
    await o.audit.append({
      type: 'certificate-pushed',
      actor: 'system',
      messageId: req.messageId ?? null,
      data: { serial: e.record.serial, address: a, requestedBy, pkcs12: e.profile, key: e.keyPolicy, ...ids },
    });
    return recipientCertificate(e, { serial: e.record.serial, ...ids });
  };
}

/**
 * Sends `address` its certificate again. With an escrowed key: the same identity (certificate,
 * key and password) re-packaged and queued. With a destroyed key that is impossible, so a new
 * certificate is issued (and the sender gets a new password).
 */
export async function resendCertificate(o: IssuerOptions, address: string, req: IssueRequest): Promise<RecipientCertificate & { reissued: boolean }> {
  const a = normalizeAddress(address);
  const [rec] = await o.pki.certs.listCerts({ address: a, kinds: ['external'], limit: 1 });
  const key = rec?.keyId ? await o.pki.certs.getKey(rec.keyId) : null;
  if (!rec || rec.notAfter <= o.clock.now() || !key?.sealedKey) return { ...(await createIssuer(o)(a, req)), reissued: true };
  const pkg = await repackageExternal(o.pki, rec.serial);
  const ids = await push(o, a, normalizeAddress(req.requestedBy), pkg, rec.notAfter);
  await o.audit.append({ type: 'certificate-resent', actor: 'system', messageId: req.messageId ?? null, data: { serial: rec.serial, address: a, pkcs12: pkg.profile, ...ids } });
  return { ...recipientCertificate({ record: rec, chain: await o.pki.chain('external') }, { serial: rec.serial, ...ids }), reissued: false };
}
