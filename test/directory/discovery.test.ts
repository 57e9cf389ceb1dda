// Discovery of a recipient's certificate over real peers: a real OpenLDAP slapd (configured, and
// found through DNS SRV), DNS CERT records (PKIX and IPKIX) from a loopback DNS server, CRLs from a
// loopback HTTP server. Each source finds and validates a good certificate and rejects an expired,
// revoked, wrong-address, untrusted, signing-only and unreachable-CRL one with the reason shown by
// `sealgate cert lookup --json`; an LDAP server that never answers times out and the chain moves on;
// the cache is honoured and invalidated; found and harvested certificates are kept for later.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { resolveDirectoryConfig, type DirectoryConfig } from '../../src/directory/config.js';
import { createDirectory, type Directory } from '../../src/directory/directory.js';
import type { RecipientCertificate } from '../../src/directory/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { freePort } from '../../src/bench/net.js';
import { toPem } from '../../src/pki/ca.js';
import { startSlapd, personLdif, type SlapdProcess } from '../helpers/slapd.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { CLI } from '../helpers/gateway.js';
import { run } from '../peers/run.js';
import { makePartnerPki, type PartnerPki } from './partner-pki.js';

let tmp: string;
let pki: PartnerPki;
let http: HttpServer;
let httpBase: string;
let slapd: SlapdProcess;
let dns: DnsServer;
let blackhole: TcpServer;
let blackholePort: number;
const held: Socket[] = [];
let store: OpenedStore;
const SUFFIX = 'dc=partner,dc=test';

const listen = (s: HttpServer | TcpServer) => new Promise<number>((res) => s.listen(0, '127.0.0.1', () => res((s.address() as { port: number }).port)));

function dirConfig(raw: Record<string, unknown>): DirectoryConfig {
  const problems: string[] = [];
  const c = resolveDirectoryConfig(raw, tmp, (p, m) => problems.push(`${p}: ${m}`));
  if (problems.length) throw new Error(problems.join('; '));
  return c;
}

const anchors = () => ({ trustAnchors: [pki.rootPath] });
const rawConfig = (sources: string[], extra: Record<string, unknown> = {}) => ({
  sources,
  ldap: [{ url: slapd.url, baseDn: SUFFIX, timeoutMs: 5000, ...anchors() }],
  srv: { timeoutMs: 5000, ...anchors() },
  dnsCert: { timeoutMs: 5000, ...anchors() },
  harvested: anchors(),
  crl: { timeoutMs: 3000 },
  ...extra,
});

function directory(sources: string[], extra: Record<string, unknown> = {}): Directory {
  return createDirectory({ config: dirConfig(rawConfig(sources, extra)), dnsServers: [dns.address], store, logger: silentLogger() });
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'sg-discovery-'));
  const files = new Map<string, Buffer>();
  http = createHttpServer((req, res) => {
    const body = files.get(req.url ?? '');
    res.writeHead(body ? 200 : 404).end(body);
  });
  httpBase = `http://127.0.0.1:${await listen(http)}`;
  pki = await makePartnerPki(httpBase, `http://127.0.0.1:${await freePort()}/dead.crl`);
  files.set('/partner.crl', pki.crlDer);
  files.set('/uri.pem', Buffer.from(toPem(pki.certs.uri)));

  const c = pki.certs;
  const bad = [c.expired, c.revoked, c.wrong, c.untrusted, c.signOnly, c.noCrl];
  slapd = await startSlapd({ suffix: SUFFIX });
  await slapd.add([
    personLdif(SUFFIX, 'alice@partner.test', [c.good]),
    personLdif(SUFFIX, 'bad@partner.test', bad),
    personLdif(SUFFIX, 'p7@partner.test', [], { 'userSMIMECertificate:': pki.p7Bundle.toString('base64') }),
  ].join('\n'));

  const cert = (name: string, der: Buffer, certType = 1) => ({ name, type: 'CERT' as const, data: { certType, keyTag: 0, algorithm: 0, cert: der } });
  dns = await startDnsServer([
    { name: '_ldap._tcp.partner.test', type: 'SRV', data: { priority: 0, weight: 0, port: slapd.port, target: 'ldap.partner.test' } },
    { name: 'ldap.partner.test', type: 'A', data: '127.0.0.1' },
    cert('alice.partner.test', c.good),
    ...bad.map((d) => cert('bad.partner.test', d)),
    cert('uri.partner.test', Buffer.from(`${httpBase}/uri.pem`), 4),
    cert('direct.test', c.domain),
  ]);

  // An LDAP server that accepts connections and never answers.
  blackhole = createTcpServer((s) => void held.push(s));
  blackholePort = await listen(blackhole);

  store = await openStore({ database: { kind: 'sqlite', file: join(tmp, 'db.sqlite') }, spoolDir: join(tmp, 'spool') });
}, 180_000);

afterAll(async () => {
  await store?.close();
  held.forEach((s) => s.destroy());
  await new Promise((r) => (blackhole ? blackhole.close(r) : r(undefined)));
  await new Promise((r) => (http ? http.close(r) : r(undefined)));
  await dns?.close();
  await slapd?.stop();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

/** The reasons every source must give for bad@partner.test's certificates. */
function expectAllRejections(reasons: string[]): void {
  expect(reasons).toContainEqual('expired 2021-01-01');
  expect(reasons.some((r) => /^revoked \d{4}-\d\d-\d\d \(reason keyCompromise\)$/.test(r))).toBe(true);
  expect(reasons.some((r) => r.startsWith('address does not match (certificate is for other@partner.test)'))).toBe(true);
  expect(reasons.some((r) => r.startsWith('untrusted: no certification path to a trust anchor'))).toBe(true);
  expect(reasons).toContainEqual('not for encryption: keyUsage lacks keyEncipherment');
  expect(reasons.some((r) => /^revocation unknown: CRL http:\/\/127\.0\.0\.1:\d+\/dead\.crl unreachable \(ECONNREFUSED/.test(r))).toBe(true);
  expect(reasons).toHaveLength(6);
}

const SOURCES = [
  { source: 'ldap', origin: () => slapd.url },
  { source: 'ldap-srv', origin: () => `ldap://ldap.partner.test:${slapd.port} (SRV _ldap._tcp.partner.test)` },
  { source: 'dns-cert', origin: () => 'CERT alice.partner.test' },
] as const;

describe.each(SOURCES)('source $source', ({ source, origin }) => {
  it('finds and validates the good certificate', async () => {
    const r = await directory([source]).lookup('Alice@Partner.test');
    expect(r.errors).toEqual([]);
    expect(r.rejected).toEqual([]);
    expect(r.certificate).toMatchObject({ address: 'alice@partner.test', source, origin: origin() });
    expect(r.certificate!.der.equals(pki.certs.good)).toBe(true);
    expect(r.trail.at(-1)).toMatchObject({ source, outcome: 'found' });
  });

  it('rejects expired, revoked, wrong-address, untrusted, signing-only and unreachable-CRL certificates with reasons in `cert lookup --json`', async () => {
    const cfgFile = join(tmp, `${source}.yaml`);
    writeFileSync(cfgFile, stringify({
      domains: ['hospital.test'],
      database: `sqlite:${join(tmp, `${source}.db`)}`,
      dataDir: tmp,
      dns: { servers: [dns.address] },
      directory: rawConfig([source]),
    }));
    const r = await run(process.execPath, [CLI, 'cert', 'lookup', 'bad@partner.test', '--config', cfgFile, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1); // nothing usable
    const json = JSON.parse(r.stdout.toString('utf8'));
    expect(json.certificate).toBeNull();
    expect(json.errors).toEqual([]);
    expect(json.rejected.every((x: { source: string }) => x.source === source)).toBe(true);
    expectAllRejections(json.rejected.map((x: { reason: string }) => x.reason));
    // six certificates do not fit a UDP answer: the CERT client retried over TCP
    if (source === 'dns-cert') expect(dns.queries.some((q) => q.name === 'bad.partner.test' && q.type === 37 && q.tcp)).toBe(true);
  }, 60_000);
});

it('LDAP: a certificate in userSMIMECertificate (PKCS#7 bundle with the root) is found and validated', async () => {
  const r = await directory(['ldap']).lookup('p7@partner.test');
  expect(r.rejected).toEqual([]);
  expect(r.certificate?.der.equals(pki.certs.p7)).toBe(true);
});

it('cert lookup (text) lists the sources consulted, each rejected candidate with its reason, and source errors', async () => {
  const cfgFile = join(tmp, 'text.yaml');
  writeFileSync(cfgFile, stringify({
    domains: ['hospital.test'],
    database: `sqlite:${join(tmp, 'text.db')}`,
    dataDir: tmp,
    dns: { servers: [dns.address] },
    directory: rawConfig(['ldap'], { ldap: [
      { url: `ldap://127.0.0.1:${blackholePort}`, baseDn: SUFFIX, timeoutMs: 500, ...anchors() },
      { url: slapd.url, baseDn: SUFFIX, timeoutMs: 5000, ...anchors() },
    ] }),
  }));
  const r = await run(process.execPath, [CLI, 'cert', 'lookup', 'bad@partner.test', '--config', cfgFile]);
  const out = r.stdout.toString('utf8');
  expect(r.code).toBe(1);
  expect(out).toMatch(/^bad@partner\.test: no usable certificate \(some sources failed: the answer is unknown, not "none"\)$/m);
  expect(out).toMatch(new RegExp(`^ {2}ldap +error +\\d+ ms {2}ldap://127\\.0\\.0\\.1:${blackholePort}$`, 'm'));
  expect(out).toMatch(new RegExp(`^ {2}ldap +rejected +\\d+ ms {2}${slapd.url.replace(/\./g, '\\.')}$`, 'm'));
  expect(out).toMatch(/^rejected:$/m);
  expect(out).toMatch(/ CN=expired +[0-9A-F:]+…: expired 2021-01-01$/m);
  expect(out).toMatch(/^errors:\n {2}ldap +ldap:\/\/127\.0\.0\.1:\d+: .*time/m);
}, 60_000);

describe('DNS CERT specifics', () => {
  it('fetches an IPKIX (type 4) certificate by URL and validates it', async () => {
    const r = await directory(['dns-cert']).lookup('uri@partner.test');
    expect(r.certificate?.der.equals(pki.certs.uri)).toBe(true);
    expect(r.certificate?.origin).toBe(`CERT uri.partner.test (IPKIX ${httpBase}/uri.pem)`);
  });

  it('falls back to a domain-bound certificate at the domain name', async () => {
    const r = await directory(['dns-cert']).lookup('anyone@direct.test');
    expect(r.certificate?.der.equals(pki.certs.domain)).toBe(true);
    expect(r.certificate?.origin).toBe('CERT direct.test');
    expect(r.trail.map((t) => t.outcome)).toEqual(['none', 'found']);
  });
});

describe('chain behaviour', () => {
  it('an LDAP server that never answers times out, is reported, and the chain moves on', async () => {
    const d = directory(['ldap'], {
      ldap: [
        { url: `ldap://127.0.0.1:${blackholePort}`, baseDn: SUFFIX, timeoutMs: 800, ...anchors() },
        { url: slapd.url, baseDn: SUFFIX, timeoutMs: 5000, ...anchors() },
      ],
    });
    const started = Date.now();
    const r = await d.lookup('alice@partner.test');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ source: 'ldap', origin: `ldap://127.0.0.1:${blackholePort}` });
    expect(r.errors[0]!.error).toMatch(/timeout|timed out/i);
    expect(r.trail.map((t) => t.outcome)).toEqual(['error', 'found']);
    expect(r.certificate?.origin).toBe(slapd.url);
  });

  it('a configured CRL (directory.crl.files) stands in for a distribution point that cannot be reached', async () => {
    const crlFile = join(tmp, 'partner.crl');
    writeFileSync(crlFile, pki.crlDer);
    const r = await directory(['ldap'], { crl: { timeoutMs: 3000, files: [crlFile] } }).lookup('bad@partner.test');
    // the only candidate that is fine apart from its unreachable CRL is now usable; the revoked one is still refused
    expect(r.certificate?.der.equals(pki.certs.noCrl)).toBe(true);
    const reasons = r.rejected.map((x) => x.reason);
    expect(reasons.some((x) => x.startsWith('revoked '))).toBe(true);
    expect(reasons.some((x) => x.startsWith('revocation unknown'))).toBe(false);
  });

  it('honours the cache, bypasses it when asked, and forgets on invalidate', async () => {
    const d = directory(['dns-cert']);
    const asked = () => dns.queries.filter((q) => q.name === 'alice.partner.test').length;
    const before = asked();
    expect((await d.lookup('alice@partner.test')).cached).toBe(false);
    const afterFirst = asked();
    expect(afterFirst).toBeGreaterThan(before);
    const second = await d.lookup('alice@partner.test');
    expect(second.cached).toBe(true);
    expect(second.certificate?.der.equals(pki.certs.good)).toBe(true);
    expect(asked()).toBe(afterFirst);
    expect((await d.lookup('alice@partner.test', { fresh: true })).cached).toBe(false);
    const afterFresh = asked();
    expect(afterFresh).toBeGreaterThan(afterFirst);
    d.invalidate('alice@partner.test');
    expect((await d.lookup('alice@partner.test')).cached).toBe(false);
    expect(asked()).toBeGreaterThan(afterFresh);
  });

  it('caches a negative answer only when every source answered', async () => {
    const d = directory(['dns-cert']);
    expect((await d.lookup('nobody@partner.test')).cached).toBe(false);
    expect((await d.lookup('nobody@partner.test')).cached).toBe(true);
    dns.fail('broken.partner.test');
    const failing = directory(['dns-cert']);
    const first = await failing.lookup('broken@partner.test');
    expect(first.errors[0]?.source).toBe('dns-cert');
    expect((await failing.lookup('broken@partner.test')).cached).toBe(false);
    dns.fail();
  });

  it('keeps what it found: the local source finds it next time, validated again', async () => {
    await directory(['ldap']).lookup('alice@partner.test');
    const r = await directory(['local']).lookup('alice@partner.test');
    expect(r.certificate?.source).toBe('local');
    expect(r.certificate?.origin).toBe(`ldap ${slapd.url}`);
    // without the partner root configured anywhere, the stored certificate no longer validates
    const strict = createDirectory({ config: dirConfig({ sources: ['local'] }), dnsServers: [dns.address], store, logger: silentLogger() });
    const r2 = await strict.lookup('alice@partner.test');
    expect(r2.certificate).toBeUndefined();
    expect(r2.rejected[0]?.reason).toMatch(/^untrusted: /);
  });
});

describe('harvesting', () => {
  it('stores a valid certificate from signed mail with its capabilities and tells the listeners; refuses an invalid one', async () => {
    const d = directory(['harvested']);
    const seen: RecipientCertificate[] = [];
    d.addHarvestListener((c) => void seen.push(c));
    expect(await d.harvest('bad@partner.test', pki.certs.expired, { messageId: 'M1' })).toBe(false);
    expect(seen).toHaveLength(0);
    const caps = ['2.16.840.1.101.3.4.1.46', '2.16.840.1.101.3.4.1.42'];
    expect(await d.harvest('uri@partner.test', pki.certs.uri, { capabilities: caps, messageId: 'M2' })).toBe(true);
    expect(seen.map((c) => c.address)).toEqual(['uri@partner.test']);
    const r = await d.lookup('uri@partner.test');
    expect(r.certificate).toMatchObject({ source: 'harvested', capabilities: caps });
    expect(r.certificate?.der.equals(pki.certs.uri)).toBe(true);
  });

  it('issue() without an issuer fails clearly (the caller holds or defers)', async () => {
    await expect(directory(['local']).issue('new@partner.test', { requestedBy: 'doctor@hospital.test' })).rejects.toThrow(/no issuer/);
  });
});
