// Validation of a recipient certificate offered by a directory source, before it may be used to
// encrypt. Pure: the candidate, the trust anchors for its source, the CRLs already fetched (and the
// ones that could not be) and the time come in as values; a verdict with a readable reason comes out.
// Trust level: candidates are untrusted input from the network (LDAP, DNS, signed mail).
//
// Checks, in order (the first failure is the reason shown):
//   1. it parses;
//   2. the address matches: an rfc822Name (or subject emailAddress) equal to the address, or, for a
//      domain-bound certificate, an rfc822Name or dNSName equal to the address's domain;
//   3. valid now (reason 'expired YYYY-MM-DD' / 'not yet valid until YYYY-MM-DD');
//   4. usable for encryption: an RSA or EC key; keyUsage (when present) has keyEncipherment (RSA) or
//      keyAgreement (EC), and extendedKeyUsage (when present) has emailProtection or anyExtendedKeyUsage;
//   5. a certification path to one of the source's trust anchors (src/pki/path-validation.ts);
//   6. revocation ('crl' mode): a certificate that names a CRL distribution point must have a usable
//      CRL: unreachable → rejected ('revocation unknown: …'), never silently accepted. One that names
//      none is checked against the configured CRLs only (revoked there → rejected).
//      ('store' mode: our own issued certificates, whose revocation is pki_certs.revoked_at, checked
//      by the caller.)
import { fingerprint as sha256Fingerprint } from '../pki/ca.js';
import { KU, OID_ANY_EKU, OID_KP_EMAIL_PROTECTION, parseCert, type ParsedCert } from '../pki/cert-util.js';
import { validateParsed } from '../pki/path-validation.js';

export interface Candidate {
  der: Buffer;
  chain: Buffer[];
}

export interface ValidationContext {
  /** Lower-cased address the certificate is for. */
  address: string;
  at: Date;
  trustAnchors: Buffer[];
  /** CRLs (DER) fetched from distribution points or configured. */
  crls: Buffer[];
  revocation: 'crl' | 'store';
  /** Distribution point URLs that could not be fetched, with why. */
  crlErrors?: ReadonlyMap<string, string>;
}

export type Verdict =
  | { ok: true; subject: string; fingerprint: string; notAfter: Date; chain: Buffer[] }
  | { ok: false; subject: string; fingerprint: string; reason: string };

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const OID_RSA = '1.2.840.113549.1.1.1';
const OID_RSA_OAEP = '1.2.840.113549.1.1.7';
const OID_EC = '1.2.840.10045.2.1';

/** http(s) CRL distribution point URLs named by a certificate. */
export function crlUrlsOf(c: ParsedCert): string[] {
  const out: string[] = [];
  for (const dp of c.crlDistributionPoints ?? []) {
    for (const gn of dp.distributionPoint?.fullName ?? []) {
      const uri = gn.uniformResourceIdentifier;
      if (uri && /^https?:\/\//i.test(uri) && !out.includes(uri)) out.push(uri);
    }
  }
  return out;
}

/** The CRL URLs to fetch for a candidate: its own and those of the intermediates that came with it. */
export function crlUrlsFor(c: Candidate): string[] {
  const out = new Set<string>();
  for (const der of [c.der, ...c.chain]) {
    try {
      for (const u of crlUrlsOf(parseCert(der))) out.add(u);
    } catch {
      // unparsable intermediates are ignored here; path validation reports what matters
    }
  }
  return [...out];
}

/** Whether the certificate is for `address`: exactly, or domain-bound for its domain. */
export function addressMatches(c: ParsedCert, address: string): boolean {
  const a = address.toLowerCase();
  const domain = a.slice(a.lastIndexOf('@') + 1);
  if (c.emails.some((e) => e.toLowerCase() === a || e.toLowerCase() === domain)) return true;
  return c.altNames.some((g) => g.type === 'dns' && g.value.toLowerCase() === domain);
}

/** Why the key cannot be used to encrypt to, or undefined. */
export function encryptionProblem(c: ParsedCert): string | undefined {
  const rsa = c.keyAlgOid === OID_RSA || c.keyAlgOid === OID_RSA_OAEP;
  // RSA-PSS, DSA, Ed25519 and the like sign only: nothing can be encrypted to them.
  if (!rsa && c.keyAlgOid !== OID_EC) return `not for encryption: ${c.keyAlgOid} keys cannot encrypt`;
  if (c.keyUsage !== undefined) {
    const bit = rsa ? KU.keyEncipherment : KU.keyAgreement;
    if (((c.keyUsage >> bit) & 1) !== 1) return `not for encryption: keyUsage lacks ${rsa ? 'keyEncipherment' : 'keyAgreement'}`;
  }
  if (c.extKeyUsage && !c.extKeyUsage.includes(OID_KP_EMAIL_PROTECTION) && !c.extKeyUsage.includes(OID_ANY_EKU)) {
    return 'not for encryption: extendedKeyUsage lacks emailProtection';
  }
  return undefined;
}

function pathReason(failures: string[]): string {
  const revoked = failures.find((f) => f.startsWith('certificate revoked'));
  if (revoked) return revoked.replace(/^certificate revoked/, 'revoked').replace(/ \('.*'\)$/, '');
  const unknown = failures.find((f) => f.startsWith('revocation status unknown'));
  if (unknown) return `revocation unknown: ${unknown.slice(unknown.indexOf(':') + 1).trim()}`;
  return `untrusted: ${failures[0] ?? 'no path to a trust anchor'}`;
}

/** Validates one candidate for `ctx.address`. Never throws for a bad certificate. */
export function validateCandidate(cand: Candidate, ctx: ValidationContext): Verdict {
  let c: ParsedCert;
  try {
    c = parseCert(cand.der);
  } catch (e) {
    return { ok: false, subject: '(unparsable)', fingerprint: sha256Fingerprint(cand.der), reason: `malformed: ${e instanceof Error ? e.message : 'does not parse'}` };
  }
  const fp = sha256Fingerprint(cand.der);
  const reject = (reason: string): Verdict => ({ ok: false, subject: c.subjectText, fingerprint: fp, reason });
  if (!addressMatches(c, ctx.address)) return reject(`address does not match (certificate is for ${c.emails.join(', ') || 'no e-mail address'})`);
  if (c.notAfter.getTime() < ctx.at.getTime()) return reject(`expired ${isoDay(c.notAfter)}`);
  if (c.notBefore.getTime() > ctx.at.getTime()) return reject(`not yet valid until ${isoDay(c.notBefore)}`);
  const enc = encryptionProblem(c);
  if (enc) return reject(enc);

  const urls = ctx.revocation === 'crl' ? crlUrlsOf(c) : [];
  const r = validateParsed(c, {
    trustAnchors: ctx.trustAnchors,
    intermediates: cand.chain,
    crls: ctx.crls,
    at: ctx.at,
    purpose: 'emailProtection',
    revocation: ctx.revocation === 'store' ? 'off' : urls.length ? 'require' : 'best-effort',
  });
  // An unreachable distribution point is reported as such (rather than as "no usable CRL").
  const unreachable = urls.find((u) => ctx.crlErrors?.has(u));
  if (!r.valid && unreachable && !r.failures.some((f) => f.startsWith('certificate revoked'))) {
    return reject(`revocation unknown: CRL ${unreachable} unreachable (${ctx.crlErrors!.get(unreachable)})`);
  }
  if (!r.valid) return reject(pathReason(r.failures));
  return { ok: true, subject: c.subjectText, fingerprint: fp, notAfter: c.notAfter, chain: r.chain.slice(1, -1) };
}
