// Test-only: GnuPG 2.2 (`gpg`) as the independent OpenPGP peer, in a throw-away GNUPGHOME (loopback
// pinentry, no passphrases, every imported key trusted). close() stops the agent and removes the home.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../peers/run.js';

export class GpgPeer {
  private n = 0;
  private constructor(readonly home: string) {}

  private get env(): NodeJS.ProcessEnv {
    return { ...process.env, GNUPGHOME: this.home, LC_ALL: 'C' };
  }

  static async create(): Promise<GpgPeer> {
    const home = await mkdtemp(join(tmpdir(), 'sg-gpg-'));
    await chmod(home, 0o700);
    await writeFile(join(home, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
    await writeFile(join(home, 'gpg.conf'), 'trust-model always\nno-auto-key-locate\n');
    return new GpgPeer(home);
  }

  /** Runs gpg with --batch and the status on fd 2 (stderr); files in and out through the home. */
  async gpg(args: string[], input?: Buffer | string): Promise<{ code: number; out: Buffer; status: string }> {
    const base = ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', '--status-fd', '2'];
    const r = await run('gpg', [...base, ...args], { env: this.env, ...(input !== undefined ? { input } : {}) });
    return { code: r.code, out: r.stdout, status: r.stderr };
  }

  async ok(args: string[], input?: Buffer | string): Promise<Buffer> {
    const r = await this.gpg(args, input);
    if (r.code !== 0) throw new Error(`gpg ${args.join(' ')} failed: ${r.status}`);
    return r.out;
  }

  /** A new key pair for `address`: ed25519 + cv25519 (GnuPG's "future-default" on 2.2) or RSA 3072. Returns the fingerprint. */
  async generate(address: string, algo: 'curve25519' | 'rsa3072' = 'curve25519'): Promise<string> {
    const a = algo === 'rsa3072' ? ['rsa3072', 'sign'] : ['ed25519', 'sign'];
    await this.ok(['--quick-generate-key', `Test <${address}>`, ...a, 'never']);
    const fpr = await this.fingerprint(address);
    await this.ok(['--quick-add-key', fpr, algo === 'rsa3072' ? 'rsa3072' : 'cv25519', 'encr', 'never']);
    return fpr;
  }

  async fingerprint(address: string): Promise<string> {
    const out = (await this.ok(['--with-colons', '--list-keys', `<${address}>`])).toString();
    return /^fpr:+([0-9A-F]{40}):/m.exec(out)![1]!;
  }

  async exportPublic(address: string, armor = true): Promise<Buffer> {
    return this.ok([...(armor ? ['--armor'] : []), '--export', `<${address}>`]);
  }

  async exportSecret(address: string): Promise<Buffer> {
    return this.ok(['--armor', '--export-secret-keys', `<${address}>`]);
  }

  async import(key: Buffer | string): Promise<void> {
    await this.ok(['--import'], key);
  }

  async file(data: Buffer | string): Promise<string> {
    const p = join(this.home, `f${++this.n}`);
    await writeFile(p, data);
    return p;
  }

  async read(p: string): Promise<Buffer> {
    return readFile(p);
  }

  async close(): Promise<void> {
    await run('gpgconf', ['--kill', 'all'], { env: this.env }).catch(() => undefined);
    await rm(this.home, { recursive: true, force: true });
  }
}
