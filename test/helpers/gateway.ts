// Test helper: runs real `sealgate` processes (the built CLI in dist/, `npm run build` first) from a
// config made by `sealgate init`, so tests exercise exactly what an administrator runs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'bin', 'sealgate.js');

export function sealgate(args: string[], opts: { input?: string } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input: opts.input, timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export { freePort, waitPort } from '../../src/bench/net.js';
import { freePort, waitPort } from '../../src/bench/net.js';

export interface GatewaySetup {
  dir: string;
  config: string;
  inboundPort: number;
  outboundPort: number;
  /** HTTPS console/portal port (web.listen), chosen at run time. */
  webPort: number;
}

export interface SetupOptions {
  domains?: string[];
  internalPort: number;
  smarthostPort?: number;
  database?: string;
  /** Extra YAML appended / replacing keys: simple textual edits of the generated file. */
  edit?: (yaml: string) => string;
  dir?: string;
}

export async function setupGateway(o: SetupOptions): Promise<GatewaySetup> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'sg-gw-'));
  const inboundPort = await freePort();
  const outboundPort = await freePort();
  const args = ['init', '--dir', dir, '--inbound', `127.0.0.1:${inboundPort}`, '--outbound', `127.0.0.1:${outboundPort}`, '--internal', `127.0.0.1:${o.internalPort}`];
  for (const d of o.domains ?? ['hospital.test']) args.push('--domain', d);
  if (o.smarthostPort) args.push('--smarthost', `127.0.0.1:${o.smarthostPort}`);
  if (o.database) args.push('--database', o.database);
  // P-256 CAs: the same PKI as the default RSA-3072, created in a fraction of the time.
  args.push('--pki-algorithm', 'p-256');
  const r = sealgate(args);
  if (r.status !== 0) throw new Error(`sealgate init failed: ${r.stderr}`);
  const config = join(dir, 'sealgate.yaml');
  const webPort = await freePort();
  let yaml = readFileSync(config, 'utf8').replace('level: info', 'level: warn').replace(/^(web:\n(?:\s*#.*\n)*\s*listen:) .*$/m, `$1 127.0.0.1:${webPort}`);
  if (o.edit) yaml = o.edit(yaml);
  writeFileSync(config, yaml);
  return { dir, config, inboundPort, outboundPort, webPort };
}

/** Sets limits in the generated config (replaces the commented defaults block entry). */
export function withLimits(limits: Record<string, number>): (yaml: string) => string {
  return (yaml) => {
    let out = yaml;
    for (const [k, v] of Object.entries(limits)) out = out.replace(new RegExp(`^  # ${k}: .*$`, 'm'), `  ${k}: ${v}`);
    return out;
  };
}

export interface GatewayProcess {
  child: ChildProcess;
  stderr(): string;
  /** The JSON log lines written so far (stdout). */
  stdout(): string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

export async function startGatewayProcess(setup: GatewaySetup, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [CLI, 'start', '--config', setup.config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  try {
    await Promise.race([
      Promise.all([waitPort(setup.inboundPort, 60000), waitPort(setup.outboundPort, 60000)]),
      exited.then(() => {
        throw new Error(`sealgate start exited: ${err}`);
      }),
    ]);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    child,
    stderr: () => err,
    stdout: () => out,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export function cleanup(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes our root CA (`sealgate ca show --pem`) to DIR/root.pem for openssl -CAfile; returns the path. */
export function writeRootPem(setup: GatewaySetup): string {
  const ca = sealgate(['ca', 'show', '--pem', '--config', setup.config]);
  if (ca.status !== 0) throw new Error(`sealgate ca show failed: ${ca.stderr}`);
  const path = join(setup.dir, 'root.pem');
  writeFileSync(path, ca.stdout);
  return path;
}
