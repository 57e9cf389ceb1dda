// The `inbound:` section of sealgate.yaml: typed values and their validation. Pure. Called by
// src/config/load.ts, which collects problems with their key paths like every other section.
import { isAbsolute, resolve } from 'node:path';
import { type ConfigFail as Fail, DOMAIN_RE, show } from '../config/describe.js';

export type TamperAction = 'off' | 'annotate' | 'hold' | 'reject';
export type CrlCheck = 'off' | 'soft' | 'hard';
export type UndecryptableAction = 'hold' | 'deliver';

export interface TrustBundleConfig {
  /** Sender domain whose signatures are validated against this bundle (lower-case). */
  domain: string;
  /** An http(s) URL, or an absolute file path, of a PKCS#7 certs-only bundle (DER or PEM) or PEM certificates. */
  source: string;
  refreshMinutes: number;
}

export interface InboundConfig {
  /** Extra trust anchors (absolute paths) besides our own root CA, for every sender. */
  trustAnchors: string[];
  /** Direct-style per-domain trust bundles. */
  trustBundles: TrustBundleConfig[];
  /** CRL checking of signer certificates: off, soft (unreachable CRL: still pass, said in the result), hard (unreachable: neutral). */
  crlCheck: CrlCheck;
  /** One CRL download (connect to last byte). */
  crlTimeoutSeconds: number;
  /** Envelope versus header check (recipients in To/Cc, sender is From/Sender). */
  tamperCheck: TamperAction;
  /** A short visible note for the recipient (a text part before the message) when we decrypted or verified. */
  visibleNote: boolean;
  /** What cannot be decrypted: held with the reason (default), or delivered as received with the reason in a header field. */
  undecryptable: UndecryptableAction;
}

export const INBOUND_NUMBERS = {
  refreshMinutes: { default: 60, min: 1, max: 10080 },
  crlTimeoutSeconds: { default: 5, min: 1, max: 60 },
} as const;

const TAMPER_ACTIONS: readonly TamperAction[] = ['off', 'annotate', 'hold', 'reject'];
const CRL_CHECKS: readonly CrlCheck[] = ['off', 'soft', 'hard'];
const KEYS = ['trustAnchors', 'trustBundles', 'crlCheck', 'crlTimeoutSeconds', 'tamperCheck', 'visibleNote', 'undecryptable'];
const UNDECRYPTABLE: readonly UndecryptableAction[] = ['hold', 'deliver'];

function wholeNumber(v: unknown, path: string, spec: { default: number; min: number; max: number }, fail: Fail): number {
  const n = v ?? spec.default;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < spec.min || n > spec.max) {
    fail(path, `expected a whole number between ${spec.min} and ${spec.max}, got ${show(n)}`);
    return spec.default;
  }
  return n;
}

function oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[], def: T, fail: Fail): T {
  const s = v ?? def;
  if (typeof s !== 'string' || !(allowed as readonly string[]).includes(s)) {
    fail(path, `expected one of ${allowed.join(', ')}, got ${show(s)}`);
    return def;
  }
  return s as T;
}

function resolveBundle(v: unknown, path: string, dir: string, fail: Fail): TrustBundleConfig | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return void fail(path, `expected a mapping with domain, source, refreshMinutes, got ${show(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['domain', 'source', 'refreshMinutes'].includes(k)) fail(`${path}.${k}`, 'unknown key (expected one of: domain, source, refreshMinutes)');
  if (typeof o.domain !== 'string' || !DOMAIN_RE.test(o.domain)) return void fail(`${path}.domain`, `expected a domain name, got ${show(o.domain)}`);
  if (typeof o.source !== 'string' || o.source.length === 0) return void fail(`${path}.source`, `expected a file path or an http(s) URL, got ${show(o.source)}`);
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(o.source);
  if (url && !/^https?:\/\//i.test(o.source)) return void fail(`${path}.source`, `only http and https URLs are supported, got ${show(o.source)}`);
  const source = url || isAbsolute(o.source) ? o.source : resolve(dir, o.source);
  const refreshMinutes = wholeNumber(o.refreshMinutes, `${path}.refreshMinutes`, INBOUND_NUMBERS.refreshMinutes, fail);
  return { domain: o.domain.toLowerCase(), source, refreshMinutes };
}

/** Resolves `inbound:` (absent = defaults). Relative paths resolve against `dir`. */
export function resolveInboundConfig(raw: unknown, dir: string, fail: Fail): InboundConfig {
  const out: InboundConfig = { trustAnchors: [], trustBundles: [], crlCheck: 'soft', crlTimeoutSeconds: INBOUND_NUMBERS.crlTimeoutSeconds.default, tamperCheck: 'off', visibleNote: false, undecryptable: 'hold' };
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    fail('inbound', `expected a mapping, got ${show(raw)}`);
    return out;
  }
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) fail(`inbound.${k}`, `unknown key (expected one of: ${KEYS.join(', ')})`);
  if (o.trustAnchors !== undefined) {
    if (!Array.isArray(o.trustAnchors)) fail('inbound.trustAnchors', `expected a list of certificate file paths, got ${show(o.trustAnchors)}`);
    else
      o.trustAnchors.forEach((v, i) => {
        if (typeof v !== 'string' || v.length === 0) fail(`inbound.trustAnchors[${i}]`, `expected a non-empty string, got ${show(v)}`);
        else out.trustAnchors.push(isAbsolute(v) ? v : resolve(dir, v));
      });
  }
  if (o.trustBundles !== undefined) {
    if (!Array.isArray(o.trustBundles)) fail('inbound.trustBundles', `expected a list of {domain, source, refreshMinutes}, got ${show(o.trustBundles)}`);
    else
      o.trustBundles.forEach((v, i) => {
        const b = resolveBundle(v, `inbound.trustBundles[${i}]`, dir, fail);
        if (b) out.trustBundles.push(b);
      });
  }
  out.crlCheck = oneOf(o.crlCheck, 'inbound.crlCheck', CRL_CHECKS, 'soft', fail);
  out.crlTimeoutSeconds = wholeNumber(o.crlTimeoutSeconds, 'inbound.crlTimeoutSeconds', INBOUND_NUMBERS.crlTimeoutSeconds, fail);
  out.tamperCheck = oneOf(o.tamperCheck, 'inbound.tamperCheck', TAMPER_ACTIONS, 'off', fail);
  out.undecryptable = oneOf(o.undecryptable, 'inbound.undecryptable', UNDECRYPTABLE, 'hold', fail);
  if (o.visibleNote !== undefined && typeof o.visibleNote !== 'boolean') fail('inbound.visibleNote', `expected true or false, got ${show(o.visibleNote)}`);
  else if (o.visibleNote !== undefined) out.visibleNote = o.visibleNote as boolean;
  return out;
}
