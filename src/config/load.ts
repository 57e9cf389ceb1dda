// Configuration loader: reads sealgate.yaml, validates every key, and resolves it into the typed
// Config. Pure apart from reading the file. Every problem is reported with the key path, e.g.
//   smtp.inbound.listen: expected host:port, got "2525x"
// and all problems are collected, so an administrator fixes the file in one pass.
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isIP } from 'node:net';
import { parseDocument } from 'yaml';
import type { Config, HostPort } from './types.js';
import { LIMITS, defaultLimits, type LimitName } from './limits.js';
import { resolvePkiConfig } from '../pki/config.js';
import { resolveInboundConfig } from '../inbound/config.js';
import { resolveOutboundConfig } from '../outbound/config.js';
import { resolvePolicySection } from '../policy/config.js';
import { resolveDirectoryConfig } from '../directory/config.js';
import { resolveOpenPgpConfig } from '../openpgp/config.js';
import { DOMAIN_RE, show } from './describe.js';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(`${file}: ${problems.length} configuration problem(s):\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Obj = Record<string, unknown>;

const KNOWN_TOP = new Set([
  'hostname', 'domains', 'database', 'dataDir', 'smtp', 'delivery', 'web', 'tls', 'dns', 'limits', 'log', 'nodeName', 'pki', 'antivirus', 'inbound', 'directory', 'openpgp',
  'outbound', 'policy',
]);

/** Parses "host:port" or "[v6]:port". Port 0 means "any free port" (tests). */
export function parseHostPort(value: string): HostPort | null {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(value) ?? /^([^:\s\[\]]+):(\d{1,5})$/.exec(value);
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  const host = m[1]!;
  if (!isIP(host) && !DOMAIN_RE.test(host) && host !== 'localhost') return null;
  return { host, port };
}

/** Validates an IPv4/IPv6 CIDR such as 10.0.0.0/8 or ::1/128 (a bare address means a single host). */
export function parseCidr(value: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [addr, pfx, ...rest] = value.split('/');
  if (rest.length || !addr) return null;
  const v = isIP(addr);
  if (!v) return null;
  const max = v === 4 ? 32 : 128;
  const prefix = pfx === undefined ? max : /^\d{1,3}$/.test(pfx) ? Number(pfx) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return null;
  return { address: addr, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

class Checker {
  readonly problems: string[] = [];
  constructor(private readonly baseDir: string) {}

  fail(path: string, msg: string): undefined {
    this.problems.push(`${path}: ${msg}`);
    return undefined;
  }

  obj(v: unknown, path: string, known?: string[]): Obj | undefined {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) return this.fail(path, `expected a mapping, got ${show(v)}`);
    if (known) for (const k of Object.keys(v)) if (!known.includes(k)) this.fail(`${path}.${k}`, `unknown key (expected one of: ${known.join(', ')})`);
    return v as Obj;
  }

  str(v: unknown, path: string, def?: string): string | undefined {
    if (v === undefined || v === null) return def ?? this.fail(path, 'required');
    if (typeof v !== 'string' || v.length === 0) return this.fail(path, `expected a non-empty string, got ${show(v)}`);
    return v;
  }

  hostPort(v: unknown, path: string, def: string): HostPort | undefined {
    const s = v === undefined || v === null ? def : v;
    if (typeof s !== 'string') return this.fail(path, `expected host:port, got ${show(s)}`);
    return parseHostPort(s) ?? this.fail(path, `expected host:port, got ${show(s)}`);
  }

  port(v: unknown, path: string, def: number): number | undefined {
    const n = v === undefined || v === null ? def : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) return this.fail(path, `expected a port number 1-65535, got ${show(n)}`);
    return n;
  }

  path(v: unknown, path: string, def: string): string {
    const s = this.str(v, path, def) ?? def;
    return isAbsolute(s) ? s : resolve(this.baseDir, s);
  }
}

/** Validates a parsed YAML document. `file` is used for relative paths and messages. */
export function resolveConfig(raw: unknown, file: string): Config {
  const dir = dirname(resolve(file));
  const c = new Checker(dir);
  const top = c.obj(raw, '(top level)') ?? {};
  for (const k of Object.keys(top)) if (!KNOWN_TOP.has(k)) c.fail(k, `unknown key (expected one of: ${[...KNOWN_TOP].join(', ')})`);

  const domains: string[] = [];
  if (!Array.isArray(top.domains) || top.domains.length === 0) c.fail('domains', `expected a non-empty list of domain names, got ${show(top.domains)}`);
  else top.domains.forEach((d, i) => {
    if (typeof d !== 'string' || !DOMAIN_RE.test(d)) c.fail(`domains[${i}]`, `expected a domain name, got ${show(d)}`);
    else domains.push(d.toLowerCase());
  });

  const hostname = c.str(top.hostname, 'hostname', domains[0] ? `mail.${domains[0]}` : 'localhost') ?? 'localhost';
  if (!DOMAIN_RE.test(hostname)) c.fail('hostname', `expected a host name, got ${show(hostname)}`);
  const dataDir = c.path(top.dataDir, 'dataDir', '.');

  let database: Config['database'] = { kind: 'sqlite', file: resolve(dataDir, 'sealgate.db') };
  const db = top.database;
  if (db === undefined || db === 'sqlite') {
    // default
  } else if (typeof db === 'string' && /^postgres(ql)?:\/\//.test(db)) {
    database = { kind: 'postgres', url: db };
  } else if (typeof db === 'string' && db.startsWith('sqlite:')) {
    const f = db.slice('sqlite:'.length);
    database = { kind: 'sqlite', file: isAbsolute(f) ? f : resolve(dir, f) };
  } else c.fail('database', `expected "sqlite", "sqlite:FILE" or a postgres:// URL, got ${show(db)}`);

  const smtp = c.obj(top.smtp, 'smtp', ['inbound', 'outbound']) ?? {};
  const inbound = c.obj(smtp.inbound, 'smtp.inbound', ['listen']) ?? {};
  const outbound = c.obj(smtp.outbound, 'smtp.outbound', ['listen', 'clients']) ?? {};
  const inListen = c.hostPort(inbound.listen, 'smtp.inbound.listen', '0.0.0.0:25');
  const outListen = c.hostPort(outbound.listen, 'smtp.outbound.listen', '127.0.0.1:10025');
  const clients: string[] = [];
  const rawClients = outbound.clients ?? ['127.0.0.0/8', '::1/128'];
  if (!Array.isArray(rawClients)) c.fail('smtp.outbound.clients', `expected a list of CIDRs, got ${show(rawClients)}`);
  else rawClients.forEach((v, i) => {
    if (typeof v !== 'string' || !parseCidr(v)) c.fail(`smtp.outbound.clients[${i}]`, `expected a CIDR such as 10.0.0.0/8, got ${show(v)}`);
    else clients.push(v);
  });

  const delivery = c.obj(top.delivery, 'delivery', ['internal', 'external', 'mxPort']) ?? {};
  const internal = c.obj(delivery.internal, 'delivery.internal', ['host', 'port']) ?? {};
  const external = c.obj(delivery.external, 'delivery.external', ['mode', 'host', 'port']) ?? {};
  const internalHost = c.str(internal.host, 'delivery.internal.host', '127.0.0.1');
  const internalPort = c.port(internal.port, 'delivery.internal.port', 25);
  let ext: Config['delivery']['external'] = { mode: 'mx' };
  const mode = external.mode ?? 'mx';
  if (mode === 'smarthost') {
    const h = c.str(external.host, 'delivery.external.host');
    const p = c.port(external.port, 'delivery.external.port', 25);
    if (h && p) ext = { mode: 'smarthost', host: h, port: p };
  } else if (mode !== 'mx') c.fail('delivery.external.mode', `expected "mx" or "smarthost", got ${show(mode)}`);
  const mxPort = c.port(delivery.mxPort, 'delivery.mxPort', 25) ?? 25;

  const web = c.obj(top.web, 'web', ['listen', 'portalExpiryDays']) ?? {};
  const webListen = c.hostPort(web.listen, 'web.listen', '127.0.0.1:8443');
  // Days a message waits for web pickup (src/web/portal-store.ts).
  const portalExpiryDays = web.portalExpiryDays ?? 30;
  if (typeof portalExpiryDays !== 'number' || !Number.isInteger(portalExpiryDays) || portalExpiryDays < 1 || portalExpiryDays > 365) c.fail('web.portalExpiryDays', `expected a whole number of days from 1 to 365, got ${show(portalExpiryDays)}`);

  const tls = c.obj(top.tls, 'tls', ['cert', 'key', 'minVersion']) ?? {};
  const minVersion = tls.minVersion ?? 'TLSv1.2';
  if (minVersion !== 'TLSv1.2' && minVersion !== 'TLSv1.3') c.fail('tls.minVersion', `expected "TLSv1.2" or "TLSv1.3", got ${show(minVersion)}`);

  const dns = c.obj(top.dns, 'dns', ['servers']) ?? {};
  const servers: string[] = [];
  const rawServers = dns.servers ?? [];
  if (!Array.isArray(rawServers)) c.fail('dns.servers', `expected a list of resolver addresses, got ${show(rawServers)}`);
  else rawServers.forEach((s, i) => {
    if (typeof s === 'string' && (isIP(s) || parseHostPort(s))) servers.push(s);
    else c.fail(`dns.servers[${i}]`, `expected an IP address or ip:port, got ${show(s)}`);
  });

  const limits = defaultLimits();
  const rawLimits = c.obj(top.limits, 'limits', Object.keys(LIMITS)) ?? {};
  for (const [k, v] of Object.entries(rawLimits)) {
    const spec = LIMITS[k as LimitName];
    if (!spec) continue; // already reported as unknown
    if (typeof v !== 'number' || !Number.isInteger(v)) c.fail(`limits.${k}`, `expected a whole number of ${spec.unit}, got ${show(v)}`);
    else if (v < spec.min || v > spec.max) c.fail(`limits.${k}`, `must be between ${spec.min} and ${spec.max} ${spec.unit}, got ${v}`);
    else limits[k as LimitName] = v;
  }
  if (limits.retryMax < limits.retryBase) c.fail('limits.retryMax', `must be at least limits.retryBase (${limits.retryBase})`);

  const log = c.obj(top.log, 'log', ['level']) ?? {};
  const level = log.level ?? 'info';
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
  if (typeof level !== 'string' || !levels.includes(level)) c.fail('log.level', `expected one of ${levels.join(', ')}, got ${show(level)}`);

  // Unique per process by default, so two processes on one host never share leases. A cluster node
  // with a stable configured name takes back its own in-flight work at once after a restart;
  // otherwise a dead node's work is taken over when its leases expire (limits.leaseTime).
  const nodeName = c.str(top.nodeName, 'nodeName', `${osHostname()}:${process.pid}`) ?? 'node';

  const antivirus = top.antivirus === undefined ? undefined : resolveAntivirus(c, top.antivirus, dir, limits.stageTimeout);

  const pki = resolvePkiConfig(top.pki, dir, hostname, domains, (p, m) => c.fail(p, m));
  const directory = resolveDirectoryConfig(top.directory, dir, (p, m) => c.fail(p, m));
  const openpgp = resolveOpenPgpConfig(top.openpgp, dir, (p, m) => c.fail(p, m));

  // inbound.*: trust anchors and bundles, CRL checking, envelope check, visible note (src/inbound/config.ts).
  const inboundCfg = resolveInboundConfig(top.inbound, dir, (p, m) => c.fail(p, m));

  // outbound.* (src/outbound/config.ts) and policy.* (src/policy/config.ts): the outbound decision and PHI scorer.
  const outboundPolicy = resolveOutboundConfig(top.outbound, (p, m) => c.fail(p, m), dir);
  const policy = resolvePolicySection(top.policy, (p, m) => c.fail(p, m));

  if (c.problems.length) throw new ConfigError(file, c.problems);
  return {
    file: resolve(file),
    dir,
    dataDir,
    hostname,
    domains,
    database,
    smtp: {
      inbound: { listen: inListen! },
      outbound: { listen: outListen!, clients },
      requireTlsForAuth: true,
    },
    delivery: { internal: { host: internalHost!, port: internalPort! }, external: ext, mxPort },
    web: { listen: webListen!, portalExpiryDays: typeof portalExpiryDays === 'number' ? portalExpiryDays : 30 },
    tls: {
      certFile: c.path(tls.cert, 'tls.cert', 'tls/cert.pem'),
      keyFile: c.path(tls.key, 'tls.key', 'tls/key.pem'),
      minVersion: minVersion as 'TLSv1.2' | 'TLSv1.3',
    },
    dns: { servers },
    limits,
    log: { level: level as Config['log']['level'] },
    nodeName,
    pki,
    directory,
    openpgp,
    ...(antivirus ? { antivirus } : {}),
    inbound: inboundCfg,
    outbound: outboundPolicy,
    ...(policy ? { policy } : {}),
  };
}

const AV_ACTIONS = ['reject', 'quarantine', 'cleanse', 'destroy'] as const;
/** antivirus.* (src/antivirus): named settings with defaults and bounds. */
const AV_NUMBERS = {
  maxSignatureAgeHours: { default: 48, min: 1, max: 8760, unit: 'hours' },
  timeoutSeconds: { default: 30, min: 1, max: 600, unit: 'seconds' },
  streamMaxLength: { default: 25 * 1024 * 1024, min: 1024, max: 4 * 1024 * 1024 * 1024 - 1, unit: 'bytes' },
} as const;

function resolveAntivirus(c: Checker, raw: unknown, dir: string, stageTimeout: number): NonNullable<Config['antivirus']> | undefined {
  const av = c.obj(raw, 'antivirus', ['clamd', 'inbound', 'outbound', 'onError', ...Object.keys(AV_NUMBERS)]);
  if (!av) return undefined;
  let clamd: NonNullable<Config['antivirus']>['clamd'] | undefined;
  if (typeof av.clamd !== 'string' || av.clamd.length === 0) c.fail('antivirus.clamd', `expected a unix socket path or host:port, got ${show(av.clamd)}`);
  else if (av.clamd.includes('/')) clamd = { kind: 'unix', path: isAbsolute(av.clamd) ? av.clamd : resolve(dir, av.clamd) };
  else {
    const hp = parseHostPort(av.clamd);
    if (!hp || hp.port === 0) c.fail('antivirus.clamd', `expected a unix socket path (containing "/") or host:port, got ${show(av.clamd)}`);
    else clamd = { kind: 'tcp', host: hp.host, port: hp.port };
  }
  const action = (d: 'inbound' | 'outbound') => {
    const o = c.obj(av[d], `antivirus.${d}`, ['action']) ?? {};
    const a = o.action ?? 'quarantine';
    if (typeof a !== 'string' || !(AV_ACTIONS as readonly string[]).includes(a)) {
      c.fail(`antivirus.${d}.action`, `expected one of ${AV_ACTIONS.join(', ')}, got ${show(a)}`);
      return undefined;
    }
    return a as (typeof AV_ACTIONS)[number];
  };
  const inbound = action('inbound');
  const outbound = action('outbound');
  const onError = av.onError ?? 'tempfail';
  if (onError !== 'tempfail' && onError !== 'hold') c.fail('antivirus.onError', `expected "tempfail" or "hold", got ${show(onError)}`);
  const nums = {} as Record<keyof typeof AV_NUMBERS, number>;
  for (const [k, spec] of Object.entries(AV_NUMBERS) as [keyof typeof AV_NUMBERS, (typeof AV_NUMBERS)[keyof typeof AV_NUMBERS]][]) {
    const v = av[k] ?? spec.default;
    if (typeof v !== 'number' || !Number.isInteger(v)) c.fail(`antivirus.${k}`, `expected a whole number of ${spec.unit}, got ${show(v)}`);
    else if (v < spec.min || v > spec.max) c.fail(`antivirus.${k}`, `must be between ${spec.min} and ${spec.max} ${spec.unit}, got ${v}`);
    nums[k] = v as number;
  }
  // A cleanse scans the message, each part and the result: give the stage room for a few exchanges.
  if (Number.isInteger(nums.timeoutSeconds) && nums.timeoutSeconds >= stageTimeout) {
    c.fail('antivirus.timeoutSeconds', `must be less than limits.stageTimeout (${stageTimeout} seconds), got ${nums.timeoutSeconds}`);
  }
  if (!clamd || !inbound || !outbound) return undefined;
  return {
    clamd,
    inbound: { action: inbound },
    outbound: { action: outbound },
    onError: onError as 'tempfail' | 'hold',
    maxSignatureAgeHours: nums.maxSignatureAgeHours,
    timeoutSeconds: nums.timeoutSeconds,
    streamMaxLength: nums.streamMaxLength,
  };
}

/** Reads and validates a config file. Throws ConfigError naming the file, key path and problem. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${(err as NodeJS.ErrnoException).code ?? 'error'}`]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(file, doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`));
  }
  return resolveConfig(doc.toJS(), file);
}
