// Test-only: runs a real OpenLDAP server (Debian's /usr/sbin/slapd) on a free loopback port with a
// temp slapd.conf (schemas core, cosine, inetorgperson from /etc/ldap/schema; one mdb database for
// the given suffix, whose base entry is created at start). No system configuration is read or
// written. Entries are loaded with the real `ldapadd` (ldap-utils). Trust level: test harness.
//
// Usage:
//   const ldap = await startSlapd({ suffix: 'dc=partner,dc=test' });
//   await ldap.add(personLdif(ldap.suffix, 'alice@partner.test', certDer));  // inetOrgPerson + userCertificate;binary
//   ldap.url  // 'ldap://127.0.0.1:PORT'    ldap.rootDn / ldap.rootPw  // bind as the manager
//   await ldap.stop();                        // stop slapd and remove the temp folder
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/bench/net.js';

export interface SlapdOptions {
  /** Default 'dc=example,dc=test'. */
  suffix?: string;
  /** Default 'secret'. */
  rootPw?: string;
  /** Extra slapd.conf lines appended to the database section (e.g. 'index mail eq'). */
  extraConfig?: string[];
}

export interface SlapdProcess {
  url: string;
  port: number;
  suffix: string;
  rootDn: string;
  rootPw: string;
  dir: string;
  /** Adds the entries of an LDIF text with ldapadd (bound as rootDn); throws with ldapadd's stderr on failure. */
  add(ldif: string): Promise<void>;
  /** Runs the real ldapsearch bound as rootDn; returns its stdout (LDIF, unwrapped with -o ldif-wrap=no). */
  search(filter: string, attrs?: string[], base?: string): string;
  stop(): Promise<void>;
}

/** The base entry for a suffix whose first RDN is dc=, o= or ou=. */
export function baseEntryLdif(suffix: string): string {
  const [attr, value] = suffix.split(',')[0]!.split('=') as [string, string];
  const a = attr.trim().toLowerCase();
  if (a === 'dc') return `dn: ${suffix}\nobjectClass: dcObject\nobjectClass: organization\ndc: ${value}\no: ${value}\n`;
  if (a === 'o') return `dn: ${suffix}\nobjectClass: organization\no: ${value}\n`;
  if (a === 'ou') return `dn: ${suffix}\nobjectClass: organizationalUnit\nou: ${value}\n`;
  throw new Error(`slapd harness: unsupported suffix ${suffix} (first RDN must be dc=, o= or ou=)`);
}

/** An inetOrgPerson entry `mail=ADDRESS,BASE` with the address and, when given, DER certificates as userCertificate;binary. */
export function personLdif(base: string, mail: string, certs: Uint8Array[] = [], extra: Record<string, string> = {}): string {
  const local = mail.split('@')[0]!;
  const lines = [`dn: mail=${mail},${base}`, 'objectClass: inetOrgPerson', `cn: ${local}`, `sn: ${local}`, `mail: ${mail}`];
  for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
  for (const c of certs) lines.push(`userCertificate;binary:: ${Buffer.from(c).toString('base64')}`);
  return lines.join('\n') + '\n';
}

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res, rej) => {
    const c = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('error', rej);
    c.on('close', (code) => res({ code: code ?? -1, out, err }));
    if (c.stdin) {
      // The tool may exit before reading all of its input (e.g. on a bind error): not our error.
      c.stdin.on('error', () => undefined);
      c.stdin.end(input);
    }
  });
}

async function waitAnswering(url: string, child: { dead: boolean; stderr: string }, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (child.dead) throw new Error(`slapd exited during start: ${child.stderr}`);
    const r = await run('ldapsearch', ['-x', '-H', url, '-s', 'base', '-b', '', '-o', 'nettimeout=2', 'objectClass=*', 'namingContexts']);
    if (r.code === 0) return;
    if (Date.now() > end) throw new Error(`slapd did not answer on ${url} within ${ms} ms: ${child.stderr}`);
    await new Promise((r2) => setTimeout(r2, 100));
  }
}

export async function startSlapd(opts: SlapdOptions = {}): Promise<SlapdProcess> {
  const suffix = opts.suffix ?? 'dc=example,dc=test';
  const rootDn = `cn=admin,${suffix}`;
  const rootPw = opts.rootPw ?? 'secret';
  const dir = mkdtempSync(join(tmpdir(), 'sg-slapd-'));
  mkdirSync(join(dir, 'db'));
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const conf = [
    ...['core', 'cosine', 'inetorgperson'].map((s) => `include /etc/ldap/schema/${s}.schema`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'database mdb',
    `suffix "${suffix}"`,
    `rootdn "${rootDn}"`,
    `rootpw ${rootPw}`,
    `directory ${join(dir, 'db')}`,
    'maxsize 104857600',
    'index objectClass eq',
    'index mail eq',
    ...(opts.extraConfig ?? []),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'slapd.conf'), conf);

  const c: ChildProcess = spawn('/usr/sbin/slapd', ['-d', '0', '-f', join(dir, 'slapd.conf'), '-h', `${url}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const state = { dead: false, stderr: '' };
  c.stderr!.on('data', (d) => (state.stderr += d));
  const exited = new Promise<void>((res) => c.once('exit', () => ((state.dead = true), res())));
  try {
    await waitAnswering(url, state);
  } catch (e) {
    c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  async function add(ldif: string): Promise<void> {
    const r = await run('ldapadd', ['-x', '-H', url, '-D', rootDn, '-w', rootPw], ldif);
    if (r.code !== 0) throw new Error(`ldapadd failed (${r.code}): ${r.err}`);
  }
  await add(baseEntryLdif(suffix));

  return {
    url,
    port,
    suffix,
    rootDn,
    rootPw,
    dir,
    add,
    search(filter, attrs = [], base = suffix) {
      const r = spawnSync('ldapsearch', ['-x', '-LLL', '-o', 'ldif-wrap=no', '-H', url, '-D', rootDn, '-w', rootPw, '-b', base, filter, ...attrs], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ldapsearch failed (${r.status}): ${r.stderr}`);
      return r.stdout;
    },
    async stop() {
      if (!state.dead) {
        c.kill('SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The DER values of `userCertificate;binary` in ldapsearch LDIF output (attribute:: base64 lines). */
export function certsFromLdif(ldif: string): Buffer[] {
  return ldif
    .split('\n')
    .filter((l) => /^userCertificate(;binary)?::/i.test(l))
    .map((l) => Buffer.from(l.slice(l.indexOf('::') + 2).trim(), 'base64'));
}
