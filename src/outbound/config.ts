// The `outbound:` section of sealgate.yaml: what the policy decision stage (decide-stage.ts) and the
// protection stage do with outgoing mail. Pure. Called by src/config/load.ts, which collects
// problems with their key paths like every other section; every key has a default, so an absent
// section means the documented defaults. Trust level: operator configuration.
import { isAbsolute, resolve } from 'node:path';
import type { MethodName } from './types.js';
import { type ConfigFail as Fail, show } from '../config/describe.js';

export type SubjectPhiAction = 'block' | 'replace';

export interface OutboundConfig {
  // --- decision stage (src/outbound/decide-stage.ts) ---
  /** Subject tag with which a sender asks for protection; removed from the Subject. '' = none. Default '[secure]'. */
  subjectTag: string;
  /** PHI in the Subject line: hold/reject the message (block) or replace the outer Subject (replace). Default replace. */
  subjectPhi: SubjectPhiAction;
  /** The outer Subject used when subjectPhi is replace (the real one travels inside, header protection). */
  subjectReplacement: string;
  /** PHI with a recipient whose destination is not allowed: hold for review (default) or reject. */
  onNotAllowed: 'hold' | 'reject';
  /** Desktop-encrypted mail the gateway cannot read: hold it (default) or let it pass unchanged. */
  inspectEncrypted: 'hold' | 'allow';
  /** Who reviews held messages, named in the notice to the sender. Default 'the privacy officer'. */
  reviewer: string;
  // --- protection stage (src/outbound, helper D2) ---
  /** Sign every outbound message with the domain signing key (RFC 3183 domainSig). Default true. */
  domainSign: boolean;
  /** Protection methods tried per recipient, in order (fail closed: 'hold' ends the list). */
  methods: MethodName[];
  // D2: further protection-stage keys go here (and in OUTBOUND_KEYS and resolveOutboundConfig below).
  /**
   * Trust anchors (absolute paths of PEM/DER files) for the server certificates of tls-required
   * partners, used by the TLS probe and by delivery; empty (default) = the system store.
   */
  tlsTrustAnchors: string[];
  /** How long the TLS probe of a tls-required partner's server may take. Default 10 s. */
  tlsProbeTimeoutSeconds: number;
}

export const METHOD_NAMES: readonly MethodName[] = ['smime', 'openpgp', 'tls', 'issue', 'portal', 'hold'];

export const OUTBOUND_DEFAULTS: Readonly<OutboundConfig> = Object.freeze({
  subjectTag: '[secure]',
  subjectPhi: 'replace',
  subjectReplacement: 'Secure message',
  onNotAllowed: 'hold',
  inspectEncrypted: 'hold',
  reviewer: 'the privacy officer',
  domainSign: true,
  methods: ['smime', 'tls', 'issue', 'portal', 'hold'] as MethodName[],
  tlsTrustAnchors: [] as string[],
  tlsProbeTimeoutSeconds: 10,
});

/** Bounds of outbound.tlsProbeTimeoutSeconds. */
export const TLS_PROBE_TIMEOUT = { min: 1, max: 120 } as const;

/** Every key the section accepts (decision stage first, then protection stage). */
export const OUTBOUND_KEYS = ['subjectTag', 'subjectPhi', 'subjectReplacement', 'onNotAllowed', 'inspectEncrypted', 'reviewer', 'domainSign', 'methods', 'tlsTrustAnchors', 'tlsProbeTimeoutSeconds'];

/** Longest subject tag / replacement text. */
export const MAX_SUBJECT_TEXT = 200;

/** Validates `outbound:`; problems go to `fail` with their key path; returns defaults for bad values. */
export function resolveOutboundConfig(raw: unknown, fail: Fail, dir: string = process.cwd()): OutboundConfig {
  let o: Record<string, unknown> = {};
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'object' || Array.isArray(raw)) fail('outbound', `expected a mapping, got ${show(raw)}`);
    else o = raw as Record<string, unknown>;
  }
  for (const k of Object.keys(o)) if (!OUTBOUND_KEYS.includes(k)) fail(`outbound.${k}`, `unknown key (expected one of: ${OUTBOUND_KEYS.join(', ')})`);

  const pick = <T extends string>(key: keyof OutboundConfig, allowed: readonly T[]): T => {
    const def = OUTBOUND_DEFAULTS[key] as T;
    const v = o[key] ?? def;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    fail(`outbound.${key}`, `expected one of ${allowed.join(', ')}, got ${show(v)}`);
    return def;
  };
  const text = (key: 'subjectTag' | 'subjectReplacement' | 'reviewer', allowEmpty: boolean): string => {
    const v = o[key] ?? OUTBOUND_DEFAULTS[key];
    if (typeof v === 'string' && v.length <= MAX_SUBJECT_TEXT && !/[\r\n]/.test(v) && (allowEmpty || v.trim() !== '')) return v.trim();
    fail(`outbound.${key}`, `expected ${allowEmpty ? 'a' : 'a non-empty'} single-line text of at most ${MAX_SUBJECT_TEXT} characters, got ${show(v)}`);
    return OUTBOUND_DEFAULTS[key];
  };

  let domainSign = OUTBOUND_DEFAULTS.domainSign;
  if (o.domainSign !== undefined) {
    if (typeof o.domainSign === 'boolean') domainSign = o.domainSign;
    else fail('outbound.domainSign', `expected true or false, got ${show(o.domainSign)}`);
  }

  let methods = [...OUTBOUND_DEFAULTS.methods];
  if (o.methods !== undefined) {
    if (!Array.isArray(o.methods) || o.methods.length === 0) fail('outbound.methods', `expected a non-empty list of ${METHOD_NAMES.join(', ')}, got ${show(o.methods)}`);
    else {
      const seen = new Set<string>();
      o.methods.forEach((m, i) => {
        if (typeof m !== 'string' || !(METHOD_NAMES as readonly string[]).includes(m)) fail(`outbound.methods[${i}]`, `expected one of ${METHOD_NAMES.join(', ')}, got ${show(m)}`);
        else if (seen.has(m)) fail(`outbound.methods[${i}]`, `"${m}" is listed twice`);
        else seen.add(m);
      });
      methods = o.methods as MethodName[];
    }
  }

  return {
    subjectTag: text('subjectTag', true),
    subjectPhi: pick<SubjectPhiAction>('subjectPhi', ['block', 'replace']),
    subjectReplacement: text('subjectReplacement', false),
    onNotAllowed: pick<'hold' | 'reject'>('onNotAllowed', ['hold', 'reject']),
    inspectEncrypted: pick<'hold' | 'allow'>('inspectEncrypted', ['hold', 'allow']),
    reviewer: text('reviewer', false),
    domainSign,
    methods,
    ...resolveProtectionKeys(o, fail, dir),
  };
}

// --- D2: protection-stage keys (TLS-enforced delivery) ---
function resolveProtectionKeys(o: Record<string, unknown>, fail: Fail, dir: string): Pick<OutboundConfig, 'tlsTrustAnchors' | 'tlsProbeTimeoutSeconds'> {
  const tlsTrustAnchors: string[] = [];
  const ta = o.tlsTrustAnchors ?? [];
  if (!Array.isArray(ta)) fail('outbound.tlsTrustAnchors', `expected a list of certificate file paths, got ${show(ta)}`);
  else {
    ta.forEach((v, i) => {
      if (typeof v !== 'string' || v.trim() === '') fail(`outbound.tlsTrustAnchors[${i}]`, `expected a file path, got ${show(v)}`);
      else tlsTrustAnchors.push(isAbsolute(v) ? v : resolve(dir, v));
    });
  }
  let tlsProbeTimeoutSeconds = OUTBOUND_DEFAULTS.tlsProbeTimeoutSeconds;
  const t = o.tlsProbeTimeoutSeconds;
  if (t !== undefined) {
    if (typeof t !== 'number' || !Number.isInteger(t) || t < TLS_PROBE_TIMEOUT.min || t > TLS_PROBE_TIMEOUT.max) {
      fail('outbound.tlsProbeTimeoutSeconds', `expected a whole number of seconds between ${TLS_PROBE_TIMEOUT.min} and ${TLS_PROBE_TIMEOUT.max}, got ${show(t)}`);
    } else tlsProbeTimeoutSeconds = t;
  }
  return { tlsTrustAnchors, tlsProbeTimeoutSeconds };
}
