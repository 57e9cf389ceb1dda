// Test-only: NSS (Thunderbird's crypto library) via `cmsutil`, with a throw-away certificate database
// built by certutil/pk12util from PKCS#12 files made by openssl. cmsutil speaks DER CMS only, so the
// caller wraps/unwraps MIME with test/peers/mime-extract.ts. Trust level: test harness.
// Observed capabilities of NSS 3.87 (Debian 12) cmsutil: RSA PKCS#1 v1.5 key transport only (no OAEP,
// no ECDH, no AuthEnvelopedData); it always encrypts with AES-128-CBC when it knows no capabilities.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestPki } from './pki.js';
import { P12_PASSWORD } from './pki.js';
import { run, runOk } from './run.js';

export class NssPeer {
  private constructor(readonly dir: string) {}

  private get db(): string {
    return `sql:${this.dir}`;
  }

  /** A database trusting the test CA for e-mail, holding the private keys of `withKeys`. */
  static async create(pki: TestPki, withKeys: string[]): Promise<NssPeer> {
    const dir = await mkdtemp(join(tmpdir(), 'sealgate-nss-'));
    const p = new NssPeer(dir);
    await runOk('certutil', ['-N', '-d', p.db, '--empty-password']);
    await runOk('certutil', ['-A', '-d', p.db, '-n', 'testca', '-t', 'C,C,C', '-i', pki.caCertPath]);
    for (const name of withKeys) {
      await runOk('pk12util', ['-i', pki.ids[name].p12Path, '-d', p.db, '-W', P12_PASSWORD, '-K', '']);
    }
    for (const id of Object.values(pki.ids)) {
      if (!withKeys.includes(id.name)) await runOk('certutil', ['-A', '-d', p.db, '-n', id.name, '-t', ',,', '-i', id.certPath]);
    }
    return p;
  }

  private async io(args: string[], input: Buffer, extra?: { name: string; data: Buffer }): Promise<{ code: number; out: Buffer; stderr: string }> {
    const inPath = join(this.dir, `in-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    const outPath = `${inPath}.out`;
    await writeFile(inPath, input);
    const extraArgs: string[] = [];
    if (extra) {
      await writeFile(`${inPath}.${extra.name}`, extra.data);
      extraArgs.push('-c', `${inPath}.${extra.name}`);
    }
    const r = await run('cmsutil', [...args, ...extraArgs, '-d', this.db, '-i', inPath, '-o', outPath]);
    const out = r.code === 0 ? await readFile(outPath).catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
    await rm(inPath, { force: true });
    await rm(outPath, { force: true });
    return { code: r.code, out, stderr: r.stderr + r.stdout.toString('utf8') };
  }

  async encrypt(content: Buffer, recipientEmails: string[]): Promise<Buffer> {
    const r = await this.io(['-E', '-r', recipientEmails.join(',')], content);
    if (r.code !== 0) throw new Error(`cmsutil -E failed: ${r.stderr.trim()}`);
    return r.out;
  }

  async decrypt(der: Buffer): Promise<Buffer> {
    const r = await this.io(['-D'], der);
    if (r.code !== 0) throw new Error(`cmsutil -D failed: ${r.stderr.trim()}`);
    return r.out;
  }

  async sign(content: Buffer, nick: string, opts: { detached: boolean; digest: 'SHA256' | 'SHA384' | 'SHA512' }): Promise<Buffer> {
    const r = await this.io(['-S', '-N', nick, '-H', opts.digest, '-G', '-P', ...(opts.detached ? ['-T'] : [])], content);
    if (r.code !== 0) throw new Error(`cmsutil -S failed: ${r.stderr.trim()}`);
    return r.out;
  }

  /** Verifies (signature and chain to the trusted CA, usage e-mail signer). */
  async verify(der: Buffer, detachedContent?: Buffer): Promise<{ ok: boolean; content: Buffer; stderr: string }> {
    const r = await this.io(['-D', '-u', '4'], der, detachedContent ? { name: 'content', data: detachedContent } : undefined);
    return { ok: r.code === 0, content: r.out, stderr: r.stderr };
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
