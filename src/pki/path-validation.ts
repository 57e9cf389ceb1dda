// Certification path building and validation (RFC 5280 §6.1). Pure: certificates, CRLs and the
// validation time come in as values; the answer is a value.
// Trust level: the leaf and most intermediates come from untrusted messages; only trustAnchors are
// trusted, as given by configuration.
//
// What is checked: name chaining (RFC 5280 §7.1 comparison: case- and whitespace-insensitive strings),
// each signature (DSA parameter inheritance included), validity periods (UTCTime and GeneralizedTime),
// basicConstraints cA and pathLenConstraint (self-issued certificates do not count), keyUsage
// (keyCertSign on CAs, cRLSign on CRL signers), extendedKeyUsage emailProtection on the leaf when asked,
// name constraints (directoryName, rfc822Name, dNSName, URI, iPAddress; §4.2.1.10, §6.1.3 (b)(c)),
// certificate policies (the §6.1 valid_policy_tree with policy mappings, policyConstraints and
// inhibitAnyPolicy, under the default inputs: user-initial-policy-set anyPolicy, no initial explicit
// policy / mapping inhibit / anyPolicy inhibit), unknown critical extensions (rejected), and revocation
// from CRLs (see crl.ts). Paths are built breadth first from the leaf by issuer name (AKI/SKI and
// validity as ranking hints), within a work budget.
// The trust anchor is used as a name and key (§6.1.1 (d)); its own validity period and extensions are
// not checked, except cRLSign when it signs CRLs. Results: docs/pkits-coverage.md.

import { createHash, type KeyObject } from 'node:crypto';
import { SmimeError } from '../smime/errors.js';
import { resolveSigAlg, verifySignature } from '../smime/sig-oids.js';
import {
  certPublicKey,
  effectiveDsaParams,
  OID_EMAIL_ADDRESS_ATTR,
  type GeneralNameValue,
  KU,
  OID_ANY_EKU,
  OID_EXT,
  OID_KP_EMAIL_PROTECTION,
  parseCert,
  type ParsedCert,
} from './cert-util.js';
import { parseCrl, REASON_NAMES, revocationStatus, type CrlSignerCandidate, type ParsedCrl, type RevocationContext } from './crl.js';

/** Longest path (certificates below the trust anchor) we will build. */
export const MAX_PATH_CERTS = 10;
/** Most complete candidate paths tried before giving up. */
export const MAX_CANDIDATE_PATHS = 16;
/** How deep CRL-signer validation may recurse (a CRL signer whose status needs another CRL signer...). */
export const MAX_CRL_SIGNER_DEPTH = 3;
/**
 * Work budget for one validatePath call, shared by path building, path checks and CRL-signer
 * validation: a message full of same-named certificates must not make path building exponential.
 */
export const MAX_PATH_WORK = 4000;
/** Partial paths one path-building run may queue (a share of MAX_PATH_WORK). */
export const MAX_BUILD_STEPS = 1500;
/** Cached certificate-signature verification results. */
export const SIGNATURE_RESULT_CACHE_ENTRIES = 4096;

export type Purpose = 'emailProtection' | 'any';
/**
 * 'require': every certificate below the anchor needs a good status from a usable CRL (PKITS).
 * 'best-effort': a certificate found revoked on a usable CRL fails; an unknown status is accepted.
 *   For CRLs that merely travel inside a message: whoever sent it could have left them out.
 * 'off': no revocation checking.
 */
export type RevocationMode = 'require' | 'best-effort' | 'off';

export interface PathOptions {
  trustAnchors: Buffer[];
  intermediates?: Buffer[];
  crls?: Buffer[];
  at: Date;
  purpose?: Purpose;
  /** Default: 'require' when `crls` is given, otherwise 'off'. */
  revocation?: RevocationMode;
}

export interface PathResult {
  valid: boolean;
  /** Leaf first, trust anchor last (the best candidate when invalid; may be just the leaf). */
  chain: Buffer[];
  failures: string[];
}

/** Extensions we process or that cannot change the outcome of the checks above. */
const RECOGNIZED_CRITICAL = new Set<string>([
  OID_EXT.basicConstraints,
  OID_EXT.keyUsage,
  OID_EXT.extKeyUsage,
  OID_EXT.subjectAltName,
  OID_EXT.subjectKeyIdentifier,
  OID_EXT.authorityKeyIdentifier,
  OID_EXT.certificatePolicies,
  OID_EXT.cRLDistributionPoints,
  OID_EXT.issuerAltName,
  OID_EXT.nameConstraints,
  OID_EXT.policyMappings,
  OID_EXT.policyConstraints,
  OID_EXT.inhibitAnyPolicy,
]);

interface Store {
  readonly anchors: ParsedCert[];
  readonly bySubject: Map<string, ParsedCert[]>;
  readonly anchorFps: Set<string>;
  readonly crlsByIssuer: Map<string, ParsedCrl[]>;
  readonly at: Date;
  readonly revocation: RevocationMode;
  readonly work: { left: number; exhausted: boolean };
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

class SigCache {
  private readonly map = new Map<string, boolean>();
  get(k: string) {
    return this.map.get(k);
  }
  set(k: string, v: boolean) {
    if (this.map.size >= SIGNATURE_RESULT_CACHE_ENTRIES) this.map.delete(this.map.keys().next().value as string);
    this.map.set(k, v);
  }
}
const sigCache = new SigCache();

/** Does `key` (from the certificate `issuerFp`, with `paramsTag` for inherited DSA parameters) sign `child`? */
function certSignatureOk(child: ParsedCert, key: KeyObject, issuerId: string): { ok: boolean; why?: string } {
  const cacheKey = `${child.fingerprint}|${issuerId}`;
  const hit = sigCache.get(cacheKey);
  if (hit !== undefined) return { ok: hit };
  if (!child.sigAlgConsistent) return { ok: false, why: 'signature algorithm fields disagree' };
  let ok: boolean;
  try {
    ok = verifySignature(resolveSigAlg(child.sigAlgOid, child.sigAlgParams), child.tbs, key, child.signature);
  } catch (e) {
    return { ok: false, why: e instanceof SmimeError ? e.message : 'signature cannot be checked' };
  }
  sigCache.set(cacheKey, ok);
  return { ok };
}

function tryParse(der: Buffer): ParsedCert | undefined {
  try {
    return parseCert(der);
  } catch {
    return undefined;
  }
}

function buildStore(opts: PathOptions, extraCerts: ParsedCert[] = []): Store {
  const anchors: ParsedCert[] = [];
  const bySubject = new Map<string, ParsedCert[]>();
  const anchorFps = new Set<string>();
  const seen = new Set<string>();
  const add = (c: ParsedCert) => {
    if (seen.has(c.fingerprint)) return;
    seen.add(c.fingerprint);
    const list = bySubject.get(c.subjectKey);
    if (list) list.push(c);
    else bySubject.set(c.subjectKey, [c]);
  };
  for (const d of opts.trustAnchors) {
    const c = tryParse(d);
    if (!c) continue;
    if (!anchorFps.has(c.fingerprint)) anchors.push(c);
    anchorFps.add(c.fingerprint);
  }
  for (const d of opts.intermediates ?? []) {
    const c = tryParse(d);
    if (c && !anchorFps.has(c.fingerprint)) add(c);
  }
  for (const c of extraCerts) if (!anchorFps.has(c.fingerprint)) add(c);
  const crlsByIssuer = new Map<string, ParsedCrl[]>();
  for (const d of opts.crls ?? []) {
    let crl: ParsedCrl;
    try {
      crl = parseCrl(d);
    } catch {
      continue; // an unreadable CRL is simply not usable
    }
    const list = crlsByIssuer.get(crl.issuerKey);
    if (list) {
      if (!list.some((x) => x.fingerprint === crl.fingerprint)) list.push(crl);
    } else crlsByIssuer.set(crl.issuerKey, [crl]);
  }
  const revocation = opts.revocation ?? (opts.crls ? 'require' : 'off');
  return { anchors, bySubject, anchorFps, crlsByIssuer, at: opts.at, revocation, work: { left: MAX_PATH_WORK, exhausted: false } };
}

/**
 * Candidate paths leaf → ... → anchor (anchor last), best candidates first, and the longest dead end
 * (for the error message when there is no candidate).
 */
function buildPaths(leaf: ParsedCert, store: Store, anchors: ParsedCert[]): { paths: ParsedCert[][]; deadEnd: ParsedCert[] } {
  const out: ParsedCert[][] = [];
  let deadEnd: ParsedCert[] = [leaf];
  if (anchors.some((a) => a.fingerprint === leaf.fingerprint)) return { paths: [[leaf]], deadEnd };
  const at = store.at.getTime();
  const rank = (child: ParsedCert, c: ParsedCert) =>
    (child.akiKeyId && c.ski && child.akiKeyId.equals(c.ski) ? 0 : child.akiKeyId && c.ski ? 2 : 1) +
    (c.notBefore.getTime() <= at && at <= c.notAfter.getTime() ? 0 : 4);
  // Breadth first, so the shortest paths are found before any long detour through look-alike
  // certificates; every queued partial path costs one unit of the shared work budget.
  // A path is completed by an anchor as soon as it is queued, so a short valid path is never stuck
  // behind the expansion of its look-alike siblings.
  const complete = (path: ParsedCert[]) => {
    const c = path[path.length - 1]!;
    for (const a of anchors.filter((x) => x.subjectKey === c.issuerKey).sort((x, y) => rank(c, x) - rank(c, y))) {
      if (out.length >= MAX_CANDIDATE_PATHS) break;
      out.push([...path, a]);
    }
  };
  const queue: ParsedCert[][] = [[leaf]];
  complete([leaf]);
  let steps = MAX_BUILD_STEPS;
  for (let q = 0; q < queue.length && out.length < MAX_CANDIDATE_PATHS; q++) {
    const path = queue[q]!;
    queue[q] = []; // release
    if (path.length > deadEnd.length) deadEnd = path;
    const c = path[path.length - 1]!;
    if (path.length >= MAX_PATH_CERTS) continue;
    const next = (store.bySubject.get(c.issuerKey) ?? [])
      .filter((x) => !path.some((p) => p.fingerprint === x.fingerprint))
      .sort((x, y) => rank(c, x) - rank(c, y));
    let stop = false;
    for (const n of next) {
      if (store.work.left-- <= 0 || steps-- <= 0) {
        store.work.exhausted = true;
        stop = true;
        break;
      }
      const longer = [...path, n];
      queue.push(longer);
      complete(longer);
    }
    if (stop) break;
  }
  return { paths: out, deadEnd };
}

interface Ctx {
  readonly store: Store;
  /** Certificates whose revocation status is being determined (cycle guard for CRL signers). */
  readonly visiting: Set<string>;
  readonly depth: number;
}

interface PathCheck {
  failures: string[];
}

function checkPath(path: ParsedCert[], purpose: Purpose, ctx: Ctx): PathCheck {
  const failures: string[] = [];
  const anchor = path[path.length - 1]!;
  const store = ctx.store;
  const at = store.at;
  const who = (c: ParsedCert) => `'${c.subjectText}'`;

  if (path.length === 1) {
    // The leaf is itself a trust anchor: it is trusted as configured, but must be in date to be used.
    const c = anchor;
    if (at < c.notBefore) failures.push(`certificate not yet valid until ${isoDay(c.notBefore)} (${who(c)})`);
    if (at > c.notAfter) failures.push(`certificate expired ${isoDay(c.notAfter)} (${who(c)})`);
    leafChecks(c, purpose, failures);
    return { failures };
  }

  const certs = path.slice(0, -1).reverse(); // top CA first, leaf last
  const n = certs.length;
  let workingKey: KeyObject;
  let workingParams: Buffer | undefined;
  try {
    workingKey = certPublicKey(anchor);
    workingParams = effectiveDsaParams(anchor);
  } catch (e) {
    return { failures: [`trust anchor ${who(anchor)}: ${e instanceof Error ? e.message : 'unusable key'}`] };
  }
  let workingIssuer = anchor;
  let workingIssuerId = anchor.fingerprint;
  let maxPathLength = n;
  // Keys trusted so far, by subject, for CRL signer lookup (issuer keys already validated on this path).
  const trustedKeys: { cert: ParsedCert; key: KeyObject }[] = [{ cert: anchor, key: workingKey }];

  const nc: NcState = { permitted: [], excluded: [] };
  const pol = newPolicyState(n);

  for (let i = 0; i < n; i++) {
    const c = certs[i]!;
    const isLeaf = i === n - 1;
    store.work.left--;
    // (b)(c) name constraints from the CAs above (self-issued intermediates are exempt).
    if (isLeaf || !c.selfIssued) failures.push(...nameConstraintFailures(c, nc));
    // (a)(1) signature
    const sig = certSignatureOk(c, workingKey, workingIssuerId);
    if (!sig.ok) failures.push(`signature of certificate ${who(c)} does not verify${sig.why ? ': ' + sig.why : ''}`);
    // (a)(2) validity
    if (at < c.notBefore) failures.push(`certificate not yet valid until ${isoDay(c.notBefore)} (${who(c)})`);
    if (at > c.notAfter) failures.push(`certificate expired ${isoDay(c.notAfter)} (${who(c)})`);
    // (a)(4) name chaining
    if (c.issuerKey !== workingIssuer.subjectKey) failures.push(`issuer of ${who(c)} does not match the subject of ${who(workingIssuer)}`);
    // unknown critical extensions
    for (const e of c.extensions) {
      if (e.critical && !RECOGNIZED_CRITICAL.has(e.oid)) failures.push(`certificate ${who(c)} has an unsupported critical extension ${e.oid}`);
    }
    // (a)(3) revocation: only worth the effort on an otherwise sound path.
    if (failures.length === 0 && store.revocation !== 'off') {
      const problem = checkRevocation(c, workingIssuer, trustedKeys, anchor, ctx);
      if (problem) failures.push(problem);
    }
    // (d)(e)(f) certificate policies
    const polProblem = processPolicies(pol, c, i + 1, n);
    if (polProblem) failures.push(polProblem.replace('%s', who(c)));
    if (isLeaf) {
      const wrap = policyWrapUp(pol, c);
      if (wrap) failures.push(wrap.replace('%s', who(c)));
      leafChecks(c, purpose, failures);
      break;
    }
    const prep = preparePolicies(pol, c, i + 1);
    if (prep) failures.push(prep.replace('%s', who(c)));
    // Preparation for certificate i+1 (RFC 5280 §6.1.4).
    if (c.version < 3 || !c.basicConstraints?.ca) failures.push(`certificate ${who(c)} is not a CA certificate (basicConstraints cA not set)`);
    if (!c.selfIssued) {
      if (maxPathLength <= 0) failures.push(`path length constraint exceeded at ${who(c)}`);
      maxPathLength--;
    }
    const pl = c.basicConstraints?.pathLen;
    if (pl !== undefined && pl < maxPathLength) maxPathLength = pl;
    // (g) name constraints this CA sets for the rest of the path.
    if (c.nameConstraints) {
      const { permitted, excluded } = c.nameConstraints;
      if ([...(permitted ?? []), ...(excluded ?? [])].some((g) => g.type === 'other' && g.tag === -1)) {
        failures.push(`certificate ${who(c)} has name constraints with minimum/maximum, which are not supported`);
      }
      if (permitted) nc.permitted.push(permitted);
      if (excluded) nc.excluded.push(...excluded);
    }
    if (c.keyUsage !== undefined && ((c.keyUsage >> KU.keyCertSign) & 1) === 0) {
      failures.push(`CA certificate ${who(c)} key usage does not allow certificate signing`);
    }
    try {
      workingKey = certPublicKey(c, workingParams);
      workingParams = effectiveDsaParams(c, workingParams);
    } catch (e) {
      failures.push(`certificate ${who(c)}: ${e instanceof Error ? e.message : 'unusable key'}`);
      break;
    }
    workingIssuer = c;
    workingIssuerId = c.fingerprint + (workingParams && !c.keyParams ? ':' + createHash('sha256').update(workingParams).digest('hex') : '');
    trustedKeys.push({ cert: c, key: workingKey });
  }
  return { failures: [...new Set(failures)] };
}

// ---------------------------------------------------------------------------------------------
// Certificate policies (RFC 5280 §6.1.2 (a), (d), (e), (f), §6.1.4 (a), (b), (h)-(j), §6.1.5 (a), (b))
// ---------------------------------------------------------------------------------------------

const ANY_POLICY = '2.5.29.32.0';

interface PolicyNode {
  readonly validPolicy: string;
  expected: Set<string>;
  readonly parent?: PolicyNode;
  readonly children: PolicyNode[];
}

interface PolicyState {
  /** levels[d] = nodes at depth d; null once the tree is empty. */
  levels: PolicyNode[][] | null;
  explicitPolicy: number;
  policyMapping: number;
  inhibitAnyPolicy: number;
}

function newPolicyState(n: number): PolicyState {
  const root: PolicyNode = { validPolicy: ANY_POLICY, expected: new Set([ANY_POLICY]), children: [] };
  return { levels: [[root]], explicitPolicy: n + 1, policyMapping: n + 1, inhibitAnyPolicy: n + 1 };
}

function addChild(st: PolicyState, parent: PolicyNode, depth: number, policy: string, expected: Set<string>) {
  const node: PolicyNode = { validPolicy: policy, expected, parent, children: [] };
  parent.children.push(node);
  (st.levels![depth] ??= []).push(node);
}

/** Remove childless nodes above `depth`, bottom-up; the tree becomes null when the root goes. */
function prune(st: PolicyState, depth: number) {
  if (!st.levels) return;
  for (let d = depth - 1; d >= 0; d--) {
    const keep = st.levels[d]!.filter((x) => x.children.length > 0);
    for (const gone of st.levels[d]!.filter((x) => x.children.length === 0)) {
      if (gone.parent) gone.parent.children.splice(gone.parent.children.indexOf(gone), 1);
    }
    st.levels[d] = keep;
  }
  if (st.levels[0]!.length === 0) st.levels = null;
}

/** Certificate i (1-based) of n: (d), (e), (f). Returns a failure text with %s for the subject. */
function processPolicies(st: PolicyState, c: ParsedCert, i: number, n: number): string | undefined {
  if (c.policies && st.levels) {
    const parents = st.levels[i - 1] ?? [];
    st.levels[i] = [];
    for (const p of c.policies) {
      if (p === ANY_POLICY) continue;
      const matched = parents.filter((x) => x.expected.has(p));
      if (matched.length) for (const m of matched) addChild(st, m, i, p, new Set([p]));
      else for (const a of parents.filter((x) => x.validPolicy === ANY_POLICY)) addChild(st, a, i, p, new Set([p]));
    }
    if (c.policies.includes(ANY_POLICY) && (st.inhibitAnyPolicy > 0 || (i < n && c.selfIssued))) {
      for (const x of parents) {
        for (const v of x.expected) {
          if (!x.children.some((ch) => ch.validPolicy === v)) addChild(st, x, i, v, new Set([v]));
        }
      }
    }
    prune(st, i);
  } else st.levels = null;
  if (st.explicitPolicy <= 0 && !st.levels) return 'no acceptable certificate policy at %s (explicit policy required)';
  return undefined;
}

/** Preparation for certificate i+1: (a), (b), (h), (i), (j). */
function preparePolicies(st: PolicyState, c: ParsedCert, i: number): string | undefined {
  let problem: string | undefined;
  if (c.policyMappings) {
    if (c.policyMappings.some(([a, b]) => a === ANY_POLICY || b === ANY_POLICY)) problem = 'policy mapping to or from anyPolicy at %s';
    else if (st.levels) {
      const byIssuer = new Map<string, Set<string>>();
      for (const [a, b] of c.policyMappings) (byIssuer.get(a) ?? byIssuer.set(a, new Set()).get(a)!).add(b);
      const level = st.levels[i] ?? [];
      for (const [idp, subjects] of byIssuer) {
        if (st.policyMapping > 0) {
          const nodes = level.filter((x) => x.validPolicy === idp);
          if (nodes.length) for (const x of nodes) x.expected = new Set(subjects);
          else {
            const any = level.find((x) => x.validPolicy === ANY_POLICY);
            if (any?.parent) addChild(st, any.parent, i, idp, new Set(subjects));
          }
        } else {
          for (const x of level.filter((y) => y.validPolicy === idp)) {
            x.parent!.children.splice(x.parent!.children.indexOf(x), 1);
            st.levels[i] = st.levels[i]!.filter((y) => y !== x);
          }
          prune(st, i);
          if (!st.levels) break;
        }
      }
    }
  }
  if (!c.selfIssued) {
    if (st.explicitPolicy > 0) st.explicitPolicy--;
    if (st.policyMapping > 0) st.policyMapping--;
    if (st.inhibitAnyPolicy > 0) st.inhibitAnyPolicy--;
  }
  const pc = c.policyConstraints;
  if (pc?.requireExplicitPolicy !== undefined && pc.requireExplicitPolicy < st.explicitPolicy) st.explicitPolicy = pc.requireExplicitPolicy;
  if (pc?.inhibitPolicyMapping !== undefined && pc.inhibitPolicyMapping < st.policyMapping) st.policyMapping = pc.inhibitPolicyMapping;
  if (c.inhibitAnyPolicy !== undefined && c.inhibitAnyPolicy < st.inhibitAnyPolicy) st.inhibitAnyPolicy = c.inhibitAnyPolicy;
  return problem;
}

/** Wrap-up (a), (b), (g) with user-initial-policy-set = anyPolicy. */
function policyWrapUp(st: PolicyState, leaf: ParsedCert): string | undefined {
  if (st.explicitPolicy > 0) st.explicitPolicy--;
  if (leaf.policyConstraints?.requireExplicitPolicy === 0) st.explicitPolicy = 0;
  if (st.explicitPolicy <= 0 && !st.levels) return 'no acceptable certificate policy for the path ending at %s (explicit policy required)';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Name constraints (RFC 5280 §4.2.1.10)
// ---------------------------------------------------------------------------------------------

interface NcState {
  /** One permitted list per CA that set one: a name must fall within each list that has its type. */
  permitted: (readonly GeneralNameValue[])[];
  excluded: GeneralNameValue[];
}

function uriHost(uri: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(uri);
  return m && m[1] ? m[1].toLowerCase() : undefined;
}

function dnsWithin(host: string, base: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const b = base.toLowerCase();
  if (b === '') return true;
  if (b.startsWith('.')) return h.endsWith(b);
  return h === b || h.endsWith('.' + b);
}

/** Is `name` inside the subtree `base` (same name form)? Unknown forms are never inside. */
function within(name: GeneralNameValue, base: GeneralNameValue): boolean {
  if (name.type !== base.type) return false;
  switch (name.type) {
    case 'dn': {
      const b = (base as typeof name).rdns;
      return b.length <= name.rdns.length && b.every((r, i) => r === name.rdns[i]);
    }
    case 'rfc822': {
      const b = (base as typeof name).value;
      const at = name.value.lastIndexOf('@');
      if (at < 0) return false;
      const local = name.value.slice(0, at);
      const host = name.value.slice(at + 1).toLowerCase();
      if (b.includes('@')) {
        const bat = b.lastIndexOf('@');
        return local === b.slice(0, bat) && host === b.slice(bat + 1).toLowerCase();
      }
      if (b.startsWith('.')) return host.endsWith(b.toLowerCase());
      return host === b.toLowerCase();
    }
    case 'dns':
      return dnsWithin(name.value, (base as typeof name).value);
    case 'uri': {
      const host = uriHost(name.value);
      if (!host) return false;
      const b = (base as typeof name).value.toLowerCase();
      return b.startsWith('.') ? host.endsWith(b) : host === b;
    }
    case 'ip': {
      const b = (base as typeof name).bytes;
      if (b.length !== name.bytes.length * 2) return false;
      for (let i = 0; i < name.bytes.length; i++) {
        const mask = b[name.bytes.length + i]!;
        if ((name.bytes[i]! & mask) !== (b[i]! & mask)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function describeName(g: GeneralNameValue): string {
  if (g.type === 'dn') return 'directory name';
  if (g.type === 'ip') return `IP address ${[...g.bytes].join('.')}`;
  if (g.type === 'other') return 'name of an unsupported form';
  return `${g.type} ${g.value}`;
}

function nameConstraintFailures(c: ParsedCert, st: NcState): string[] {
  if (st.permitted.length === 0 && st.excluded.length === 0) return [];
  const names: GeneralNameValue[] = [...c.altNames];
  if (c.subjectRdns.length) names.push({ type: 'dn', rdns: c.subjectRdns });
  // RFC 5280 §4.2.1.10: rfc822Name constraints also apply to emailAddress attributes in the subject.
  for (const rdn of c.subjectName) for (const ava of rdn) if (ava.type === OID_EMAIL_ADDRESS_ATTR) names.push({ type: 'rfc822', value: ava.value.toString() });
  const out: string[] = [];
  for (const n of names) {
    if (n.type === 'other') {
      const constrained = st.excluded.some((e) => e.type === 'other') || st.permitted.some((p) => p.some((e) => e.type === 'other'));
      if (constrained) out.push(`certificate '${c.subjectText}' has a ${describeName(n)} under name constraints of that form (not supported)`);
      continue;
    }
    if (st.excluded.some((e) => within(n, e))) out.push(`${describeName(n)} of '${c.subjectText}' is excluded by name constraints`);
    for (const p of st.permitted) {
      const sameForm = p.filter((e) => e.type === n.type);
      if (sameForm.length && !sameForm.some((e) => within(n, e))) {
        out.push(`${describeName(n)} of '${c.subjectText}' is outside the permitted name constraints`);
        break;
      }
    }
  }
  return out;
}

function leafChecks(c: ParsedCert, purpose: Purpose, failures: string[]) {
  if (purpose === 'emailProtection' && c.extKeyUsage) {
    if (!c.extKeyUsage.includes(OID_KP_EMAIL_PROTECTION) && !c.extKeyUsage.includes(OID_ANY_EKU)) {
      failures.push(`certificate '${c.subjectText}' extended key usage does not include emailProtection`);
    }
  }
}

function checkRevocation(
  c: ParsedCert,
  issuer: ParsedCert,
  trustedKeys: { cert: ParsedCert; key: KeyObject }[],
  anchor: ParsedCert,
  ctx: Ctx,
): string | undefined {
  const store = ctx.store;
  const visiting = new Set(ctx.visiting).add(c.fingerprint);
  const rctx: RevocationContext = {
    at: store.at,
    crlsFor: (issuerKey: string) => store.crlsByIssuer.get(issuerKey) ?? [],
    signerCandidates: function* (crl: ParsedCrl): Iterable<CrlSignerCandidate> {
      // Already-validated keys of this CA on the current path (the issuer first, then older self-issued ones).
      for (let k = trustedKeys.length - 1; k >= 0; k--) {
        const t = trustedKeys[k]!;
        if (t.cert.subjectKey === crl.issuerKey) yield { key: t.key, cert: t.cert, trusted: true };
      }
      // A CRL issuer's certificate covered by a CRL it signed itself (PKITS 4.14.30): its key is as
      // validated as the path up to it, which is all the check of its own status can rely on. Only for
      // certificates whose CA explicitly granted cRLSign.
      if (c.subjectKey === crl.issuerKey && c.keyUsage !== undefined && ((c.keyUsage >> KU.cRLSign) & 1) === 1) {
        try {
          yield { key: certPublicKey(c, effectiveDsaParams(issuer)), cert: c, trusted: true };
        } catch {
          // unusable key: no candidate
        }
      }
      // Other certificates of the same CA name (separate CRL-signing keys): need their own path.
      for (const other of store.bySubject.get(crl.issuerKey) ?? []) {
        if (trustedKeys.some((t) => t.cert.fingerprint === other.fingerprint)) continue;
        if (visiting.has(other.fingerprint)) continue;
        let key: KeyObject;
        try {
          key = certPublicKey(other, effectiveDsaParams(issuer));
        } catch {
          continue;
        }
        yield { key, cert: other, trusted: false };
      }
    },
    validateSigner: (signer: ParsedCert) => {
      if (ctx.depth >= MAX_CRL_SIGNER_DEPTH) return false;
      const sub: Ctx = { store, visiting, depth: ctx.depth + 1 };
      // RFC 5280 §6.3.3 (f): the CRL signer's path must end at the same trust anchor.
      return validateWith(signer, 'any', [anchor], sub).valid;
    },
  };
  const st = revocationStatus(c, rctx);
  if (st.status === 'good') return undefined;
  if (st.status === 'revoked') {
    return `certificate revoked ${isoDay(st.date)}${st.reason ? ` (reason ${st.reason})` : ''} ('${c.subjectText}')`;
  }
  if (store.revocation === 'best-effort') return undefined;
  return `revocation status unknown for '${c.subjectText}': ${st.why}`;
}

function validateWith(leaf: ParsedCert, purpose: Purpose, anchors: ParsedCert[], ctx: Ctx): PathResult {
  const { paths, deadEnd } = buildPaths(leaf, ctx.store, anchors);
  const gaveUp = 'path building gave up: too many candidate certificates';
  if (paths.length === 0) {
    const top = deadEnd[deadEnd.length - 1]!;
    return {
      valid: false,
      chain: deadEnd.map((c) => c.der),
      failures: ctx.store.work.exhausted ? [gaveUp] : [`no certification path to a trust anchor: issuer '${top.issuerText}' of '${top.subjectText}' not found`],
    };
  }
  let best: { path: ParsedCert[]; failures: string[] } | undefined;
  // Checking is bounded (≤ MAX_CANDIDATE_PATHS × MAX_PATH_CERTS); nested CRL-signer validation draws
  // on the shared budget and fails closed once it is spent.
  for (const p of paths) {
    const r = checkPath(p, purpose, ctx);
    if (r.failures.length === 0) return { valid: true, chain: p.map((c) => c.der), failures: [] };
    if (!best || r.failures.length < best.failures.length) best = { path: p, failures: r.failures };
  }
  if (!best) return { valid: false, chain: [leaf.der], failures: [gaveUp] };
  return { valid: false, chain: best.path.map((c) => c.der), failures: best.failures };
}

/**
 * Validate `leaf` (DER) against the trust anchors at time `at`. Never throws for bad certificates:
 * problems come back as failures.
 */
export function validatePath(leaf: Buffer, opts: PathOptions): PathResult {
  let leafCert: ParsedCert;
  try {
    leafCert = parseCert(leaf);
  } catch (e) {
    return { valid: false, chain: [leaf], failures: [`certificate does not parse: ${e instanceof Error ? e.message : 'malformed'}`] };
  }
  return validateParsed(leafCert, opts);
}

/** Same as validatePath, for a parsed leaf and extra (already parsed) candidate intermediates. */
export function validateParsed(leaf: ParsedCert, opts: PathOptions, extraIntermediates: ParsedCert[] = []): PathResult {
  const store = buildStore(opts, extraIntermediates);
  if (store.anchors.length === 0) return { valid: false, chain: [leaf.der], failures: ['no usable trust anchors configured'] };
  return validateWith(leaf, opts.purpose ?? 'emailProtection', store.anchors, { store, visiting: new Set(), depth: 0 });
}

export { REASON_NAMES };
