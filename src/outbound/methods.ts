// The protection methods the protection stage tries per recipient, in the configured order
// (outbound.methods): S/MIME to the recipient's certificate from the directory, TLS-enforced
// delivery to partners marked tls-required, a certificate issued on the spot (directory issue),
// secure web pickup (when that method exists), and hold. Every method fails closed: a source that
// errored means 'defer' (never "no certificate, so plaintext"); a failed TLS probe means the next
// method, never plaintext. Also a dry-run planner for `policy test --to` (no issuing, no sending).
// Trust level: sees plaintext (encrypts it); talks to the directory, the registry and next hops.
import type { CertificateDirectory, RecipientCertificate } from '../directory/types.js';
import type { MissingCertificateResolver } from '../directory/missing.js';
import { smimeEncryptMessage, type ContentCipher } from '../smime/index.js';
import type { MethodContext, MethodName, MethodResult, ProtectionMethod } from './types.js';
import type { TlsProber } from './tls-probe.js';

export interface MethodDeps {
  directory: Pick<CertificateDirectory, 'lookup'>;
  /** The destination registry's view: is this recipient's destination marked tls-required? */
  registry: { classify(address: string, at: Date): Promise<{ tlsRequired: boolean } | null> };
  probe: TlsProber;
  /** directory.missingCertificate handling (auto-issue, pending, portal, hold). */
  missing?: MissingCertificateResolver;
  /** Methods provided by other modules (web pickup 'portal', 'openpgp'); absent ones are unavailable. */
  extra?: ProtectionMethod[];
  /**
   * Our own addresses (a recipient in one of our domains on an outbound message): the proxy
   * encryption certificate, bound to the domain key, so the message crosses the network encrypted
   * and our inbound stage opens it. Throws when the PKI cannot be opened (then: defer).
   */
  ownCertificate?: (address: string) => Promise<RecipientCertificate | null>;
  /** directory.missingCertificate for a recipient (the planner says what 'issue' would do). */
  missingMode?: (recipient: string) => 'issue' | 'pending' | 'portal' | 'hold';
  /** The outer (unprotected) Subject of encrypted mail, when policy replaced it; default: keep. */
  outerSubject?: (ctx: MethodContext) => string | undefined;
}

const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1).toLowerCase();
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** AES-GCM when the recipient announced it (harvested SMIMECapabilities), else AES-256-CBC, which every client opens. */
function cipherFor(cert: RecipientCertificate): ContentCipher {
  return cert.capabilities?.includes('2.16.840.1.101.3.4.1.46') ? 'aes-256-gcm' : 'aes-256-cbc';
}

/** Encrypts the (signed) message to one certificate, with header protection: the whole message travels inside. */
export function encryptTo(ctx: MethodContext, cert: RecipientCertificate, subject: string | undefined): Buffer {
  return smimeEncryptMessage(ctx.body, [{ certificate: cert.der }], { headerProtection: 'wrap', cipher: cipherFor(cert), ...(subject !== undefined ? { subject } : {}) });
}

function describe(cert: RecipientCertificate): string {
  return `certificate ${cert.fingerprint.slice(0, 23)} from ${cert.source} (${cert.origin})`;
}

function smimeMethod(d: MethodDeps): ProtectionMethod {
  return {
    name: 'smime',
    async protect(ctx) {
      const own = await d.ownCertificate?.(ctx.recipient);
      if (own) return { kind: 'protected', body: encryptTo(ctx, own, d.outerSubject?.(ctx)), why: `S/MIME to our own proxy certificate ${own.fingerprint.slice(0, 23)} (opened by our inbound stage)` };
      const r = await d.directory.lookup(ctx.recipient, { signal: ctx.signal });
      if (r.certificate) return { kind: 'protected', body: encryptTo(ctx, r.certificate, d.outerSubject?.(ctx)), why: `S/MIME to ${describe(r.certificate)}` };
      if (r.errors.length > 0) {
        // A source that failed might have had a certificate: unknown, not "none".
        return { kind: 'defer', why: `certificate lookup incomplete: ${r.errors.map((e) => `${e.source} ${e.origin}: ${e.error}`).join('; ')}` };
      }
      const rejected = r.rejected.length ? ` (${r.rejected.length} rejected: ${r.rejected.map((x) => x.reason).join('; ')})` : '';
      return { kind: 'unavailable', why: `no certificate for ${ctx.recipient} in the directory${rejected}` };
    },
  };
}

function tlsMethod(d: MethodDeps): ProtectionMethod {
  return {
    name: 'tls',
    async protect(ctx) {
      const dest = await d.registry.classify(ctx.recipient, ctx.now());
      if (!dest?.tlsRequired) return { kind: 'unavailable', why: `${domainOf(ctx.recipient)} is not marked tls-required` };
      const p = await d.probe(domainOf(ctx.recipient), ctx.signal);
      if (!p.ok) return { kind: 'unavailable', why: `tls-required destination, but ${p.why}` };
      return { kind: 'protected', body: ctx.body, requireTls: true, why: `TLS-enforced delivery (${p.protocol} with ${p.host}, certificate verified)` };
    },
  };
}

function issueMethod(d: MethodDeps): ProtectionMethod {
  return {
    name: 'issue',
    async protect(ctx) {
      if (!d.missing) return { kind: 'unavailable', why: 'no missing-certificate handling configured' };
      // Issue only when the directory says, with every source answering, that none exists.
      const r = await d.directory.lookup(ctx.recipient, { signal: ctx.signal });
      if (r.certificate) return { kind: 'protected', body: encryptTo(ctx, r.certificate, d.outerSubject?.(ctx)), why: `S/MIME to ${describe(r.certificate)}` };
      if (r.errors.length > 0) return { kind: 'defer', why: `certificate lookup incomplete (${r.errors.map((e) => e.source).join(', ')}): not issuing` };
      let out;
      try {
        out = await d.missing.resolveMissing(ctx.recipient, ctx);
      } catch (e) {
        return { kind: 'defer', why: `missing-certificate handling failed: ${errText(e)}` };
      }
      switch (out.kind) {
        case 'certificate':
          return { kind: 'protected', body: encryptTo(ctx, out.cert, d.outerSubject?.(ctx)), why: `S/MIME to a newly issued ${describe(out.cert)}` };
        case 'portal':
          return { kind: 'unavailable', why: out.why };
        default:
          return out;
      }
    },
  };
}

const holdMethod: ProtectionMethod = {
  name: 'hold',
  protect: async () => ({ kind: 'hold', why: 'no protection method could serve this recipient' }),
};

/** The methods by name; a configured method that nobody provides is unavailable. */
export function createMethods(d: MethodDeps): Map<MethodName, ProtectionMethod> {
  const m = new Map<MethodName, ProtectionMethod>([
    ['smime', smimeMethod(d)],
    ['tls', tlsMethod(d)],
    ['issue', issueMethod(d)],
    ['hold', holdMethod],
  ]);
  for (const x of d.extra ?? []) m.set(x.name, x);
  return m;
}

export interface MethodAttempt {
  method: MethodName;
  kind: MethodResult['kind'];
  why: string;
}

export interface MethodChoice {
  /** The method whose result decided (protected, defer or hold); absent when all were unavailable. */
  method?: MethodName;
  result: MethodResult;
  /** Every method tried, in order, with its answer (for the audit trail). */
  tried: MethodAttempt[];
}

/** Tries the methods in order until one protects, defers or holds. All unavailable → hold. */
export async function chooseMethod(methods: Map<MethodName, ProtectionMethod>, order: MethodName[], ctx: MethodContext): Promise<MethodChoice> {
  const tried: MethodAttempt[] = [];
  for (const name of order) {
    const m = methods.get(name);
    let r: MethodResult;
    if (!m) r = { kind: 'unavailable', why: `method ${name} is not available in this gateway` };
    else {
      try {
        r = await m.protect(ctx);
      } catch (e) {
        // A method that throws (e.g. a signing or encryption error) must not fall through to a
        // weaker method silently: retry later.
        r = { kind: 'defer', why: `method ${name} failed: ${errText(e)}` };
      }
    }
    tried.push({ method: name, kind: r.kind, why: r.why });
    if (r.kind !== 'unavailable') return { method: name, result: r, tried };
  }
  return { result: { kind: 'hold', why: 'no configured protection method could serve this recipient' }, tried };
}

export interface PlannedMethod {
  method: MethodName;
  /** What the method would do now: 'protect' (certificate found, TLS verified), 'issue', 'unavailable', 'defer', 'hold', 'maybe'. */
  outcome: 'protect' | 'issue' | 'unavailable' | 'defer' | 'hold' | 'maybe';
  why: string;
}

/** What the 'issue' method would do for a recipient without a certificate (directory.missingCertificate). */
function planMissing(d: MethodDeps, recipient: string): PlannedMethod {
  if (!d.missing) return { method: 'issue', outcome: 'unavailable', why: 'no missing-certificate handling' };
  const mode = d.missingMode?.(recipient) ?? 'issue';
  if (mode === 'issue') return { method: 'issue', outcome: 'issue', why: 'no certificate anywhere: one would be issued and its PKCS#12 emailed' };
  if (mode === 'portal') return { method: 'issue', outcome: 'unavailable', why: 'no certificate anywhere: directory.missingCertificate is portal' };
  return { method: 'issue', outcome: 'hold', why: `no certificate anywhere: directory.missingCertificate is ${mode}` };
}

/**
 * Dry run for `policy test --to`: which method would serve `recipient`, without issuing,
 * encrypting or sending. Lists each method considered until the one that would decide.
 */
export async function planMethods(recipient: string, d: MethodDeps, order: MethodName[], now: Date = new Date(), signal?: AbortSignal): Promise<PlannedMethod[]> {
  const plan: PlannedMethod[] = [];
  const add = (p: PlannedMethod) => (plan.push(p), p.outcome !== 'unavailable');
  for (const name of order) {
    let decided = false;
    if (name === 'smime' || name === 'issue') {
      const r = await d.directory.lookup(recipient, signal ? { signal } : {});
      if (r.certificate) decided = add({ method: name, outcome: 'protect', why: `S/MIME to ${describe(r.certificate)}` });
      else if (r.errors.length) decided = add({ method: name, outcome: 'defer', why: `lookup incomplete: ${r.errors.map((e) => `${e.source}: ${e.error}`).join('; ')}` });
      else if (name === 'smime') decided = add({ method: name, outcome: 'unavailable', why: 'no certificate in the directory' });
      else decided = add(planMissing(d, recipient));
    } else if (name === 'tls') {
      const dest = await d.registry.classify(recipient, now);
      if (!dest?.tlsRequired) decided = add({ method: name, outcome: 'unavailable', why: 'destination not marked tls-required' });
      else {
        const p = await d.probe(domainOf(recipient), signal);
        decided = add(p.ok ? { method: name, outcome: 'protect', why: `TLS ${p.protocol} verified with ${p.host}` } : { method: name, outcome: 'unavailable', why: p.why });
      }
    } else if (name === 'hold') decided = add({ method: name, outcome: 'hold', why: 'held for review' });
    else {
      const present = (d.extra ?? []).some((x) => x.name === name);
      decided = add({ method: name, outcome: present ? 'maybe' : 'unavailable', why: present ? `${name} method available` : `method ${name} is not available in this gateway` });
    }
    if (decided) break;
  }
  return plan;
}
