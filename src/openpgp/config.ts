// The `openpgp:` section of sealgate.yaml: typed values and their validation. Pure. Called by
// src/config/load.ts, which collects problems with their key paths like every other section.
// Absent section: every default (Curve25519 keys, WKD on, no HKP, ADK missing → hold).
import { isAbsolute, resolve } from 'node:path';

/** Key types GnuPG 2.2 can use. v6 (RFC 9580) keys and X25519/Ed25519 v6 algorithms are never generated. */
export type OpenPgpAlgorithm = 'curve25519' | 'rsa-3072';

export interface OpenPgpConfig {
  /** Organization (domain) and ADK keys: ed25519 + cv25519 v4 (default) or RSA 3072. */
  algorithm: OpenPgpAlgorithm;
  wkd: {
    enabled: boolean;
    /** PEM trust anchors for WKD HTTPS (absolute path); absent = the system's. */
    caFile?: string;
    /** Connect to HOST:PORT instead of DNS for these domains (tests, split-horizon setups). */
    resolve: Record<string, { host: string; port: number }>;
    timeoutSeconds: number;
  };
  /** HKP keyserver base URL (e.g. https://keys.example.org), absent = not used. */
  hkp?: string;
  adk: {
    /** Outbound message encrypted on a desktop without the ADK as a recipient: hold (default) or allow (audited). */
    missing: 'hold' | 'allow';
  };
  /** Keep keys attached to verified signed inbound mail (source "harvested"). */
  harvest: boolean;
}

export const OPENPGP_WKD_TIMEOUT = { default: 10, min: 1, max: 120 } as const;

const HOSTPORT = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function known(o: Obj, path: string, keys: string[], fail: (p: string, m: string) => void): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${path}.${k}`, `unknown key (expected one of: ${keys.join(', ')})`);
}

function resolveWkd(raw: unknown, dir: string, fail: (p: string, m: string) => void): OpenPgpConfig['wkd'] {
  const wkd: OpenPgpConfig['wkd'] = { enabled: true, resolve: {}, timeoutSeconds: OPENPGP_WKD_TIMEOUT.default };
  if (raw === undefined || raw === null) return wkd;
  if (!isObj(raw)) {
    fail('openpgp.wkd', 'expected a mapping');
    return wkd;
  }
  known(raw, 'openpgp.wkd', ['enabled', 'caFile', 'resolve', 'timeoutSeconds'], fail);
  if (raw.enabled !== undefined) {
    if (typeof raw.enabled !== 'boolean') fail('openpgp.wkd.enabled', 'expected true or false');
    else wkd.enabled = raw.enabled;
  }
  if (raw.caFile !== undefined) {
    if (typeof raw.caFile !== 'string' || !raw.caFile) fail('openpgp.wkd.caFile', 'expected a PEM file path');
    else wkd.caFile = isAbsolute(raw.caFile) ? raw.caFile : resolve(dir, raw.caFile);
  }
  if (raw.resolve !== undefined) {
    if (!isObj(raw.resolve)) fail('openpgp.wkd.resolve', 'expected a mapping DOMAIN: HOST:PORT');
    else
      for (const [d, v] of Object.entries(raw.resolve)) {
        const m = typeof v === 'string' ? HOSTPORT.exec(v) : null;
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) fail(`openpgp.wkd.resolve.${d}`, `expected HOST:PORT, got ${JSON.stringify(v)}`);
        else wkd.resolve[d.toLowerCase()] = { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
      }
  }
  if (raw.timeoutSeconds !== undefined) {
    const t = raw.timeoutSeconds;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < OPENPGP_WKD_TIMEOUT.min || t > OPENPGP_WKD_TIMEOUT.max) {
      fail('openpgp.wkd.timeoutSeconds', `must be a whole number between ${OPENPGP_WKD_TIMEOUT.min} and ${OPENPGP_WKD_TIMEOUT.max} seconds`);
    } else wkd.timeoutSeconds = t;
  }
  return wkd;
}

/** Validates `openpgp:`; reports problems through `fail(keyPath, message)`. */
export function resolveOpenPgpConfig(raw: unknown, dir: string, fail: (p: string, m: string) => void): OpenPgpConfig {
  const cfg: OpenPgpConfig = { algorithm: 'curve25519', wkd: resolveWkd(undefined, dir, fail), adk: { missing: 'hold' }, harvest: true };
  if (raw === undefined || raw === null) return cfg;
  if (!isObj(raw)) {
    fail('openpgp', 'expected a mapping');
    return cfg;
  }
  known(raw, 'openpgp', ['algorithm', 'wkd', 'hkp', 'adk', 'harvest'], fail);
  if (raw.algorithm !== undefined) {
    if (raw.algorithm !== 'curve25519' && raw.algorithm !== 'rsa-3072') fail('openpgp.algorithm', `expected "curve25519" or "rsa-3072", got ${JSON.stringify(raw.algorithm)}`);
    else cfg.algorithm = raw.algorithm;
  }
  cfg.wkd = resolveWkd(raw.wkd, dir, fail);
  if (raw.hkp !== undefined) {
    if (typeof raw.hkp !== 'string' || !/^(https?|hkps?):\/\/[^\s/]+/.test(raw.hkp)) fail('openpgp.hkp', `expected an http(s):// or hkp(s):// URL, got ${JSON.stringify(raw.hkp)}`);
    else cfg.hkp = raw.hkp.replace(/^hkps:/, 'https:').replace(/^hkp:\/\/([^/:]+)(?=\/|$)/, 'http://$1:11371').replace(/^hkp:/, 'http:');
  }
  if (raw.adk !== undefined) {
    if (!isObj(raw.adk)) fail('openpgp.adk', 'expected a mapping');
    else {
      known(raw.adk, 'openpgp.adk', ['missing'], fail);
      const m = raw.adk.missing ?? 'hold';
      if (m !== 'hold' && m !== 'allow') fail('openpgp.adk.missing', `expected "hold" or "allow", got ${JSON.stringify(m)}`);
      else cfg.adk.missing = m;
    }
  }
  if (raw.harvest !== undefined) {
    if (typeof raw.harvest !== 'boolean') fail('openpgp.harvest', 'expected true or false');
    else cfg.harvest = raw.harvest;
  }
  return cfg;
}
