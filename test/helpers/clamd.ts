// Test-only: runs a real ClamAV daemon (Debian's /usr/sbin/clamd) on a temp unix socket and/or a
// free loopback TCP port, with its own tiny signature database, so no download is needed:
//   test.hdb   MD5 of the EICAR test file          -> Sealgate.Test.EICAR-HDB
//   test.ndb   the EICAR string anywhere in a file  -> Sealgate.Test.EICAR-NDB
//              a made-up marker string             -> Sealgate.Test.Marker
//   daily.cud  an unsigned "daily" container (header + .info + one .ndb) whose build time is
//              `dbAgeHours` ago, so clamd's VERSION reports a database date like the real one.
// clamd needs no official main/daily database. Trust level: test harness.
//
// Usage:
//   const av = await startClamd({ tcp: true });   // unix socket always; TCP on request
//   av.socketPath / av.tcpPort / av.address ('PATH') / av.tcpAddress ('127.0.0.1:PORT')
//   await av.stop();  await av.start();            // outage tests: stop mid-run, start again
//   await av.close();                              // stop and remove the temp folder
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { freePort } from './gateway.js';

/** The 68-byte EICAR anti-malware test file. Built at runtime so this source file is not "infected". */
export const EICAR = Buffer.from(['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'].join(''), 'latin1');
/** A string our .ndb signature flags (name Sealgate.Test.Marker). */
export const MARKER = 'SEALGATE-TEST-MALWARE-' + '7f3a9c';

export interface ClamdOptions {
  /** Also listen on a free loopback TCP port. */
  tcp?: boolean;
  /** Age of the signature database reported by VERSION. Default 2 hours; null: no daily database (VERSION gives no date). */
  dbAgeHours?: number | null;
  /** clamd StreamMaxLength in bytes. Default 1 MiB (small, so oversize tests are cheap). */
  streamMaxLength?: number;
}

export interface ClamdProcess {
  dir: string;
  socketPath: string;
  tcpPort?: number;
  /** Unix socket path, for `antivirus.clamd`. */
  address: string;
  /** "127.0.0.1:PORT" (with tcp: true). */
  tcpAddress?: string;
  streamMaxLength: number;
  /** Database build time written into daily.cud (what VERSION reports). */
  dbDate: Date;
  running(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
  log(): string;
}

function tarFile(name: string, data: Buffer): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'latin1');
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(data.length.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, '0') + '\0', 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write('0', 156, 'latin1');
  h.write('ustar\0' + '00', 257, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad]);
}

/** An unsigned ClamAV database container (.cud): 512-byte header, then a gzip'd tar. */
function dailyCud(stime: number): Buffer {
  const ndb = Buffer.from(`Sealgate.Test.Daily:0:*:${Buffer.from('SEALGATE-DAILY-' + 'TEST').toString('hex')}\n`);
  const d = new Date(stime * 1000);
  const built = `${d.getUTCDate()} ${d.toUTCString().slice(8, 11)} ${d.getUTCFullYear()} ${String(d.getUTCHours()).padStart(2, '0')}-${String(d.getUTCMinutes()).padStart(2, '0')} +0000`;
  const header = `ClamAV-VDB:${built}:27000:1:90:${'0'.repeat(32)}:X:sealgate-test:${stime}`;
  const info = Buffer.from(`${header}\ndaily.ndb:${ndb.length}:${createHash('sha256').update(ndb).digest('hex')}\n`);
  const tar = Buffer.concat([tarFile('daily.info', info), tarFile('daily.ndb', ndb), Buffer.alloc(1024)]);
  const head = Buffer.alloc(512, 0x20);
  head.write(header, 0, 'latin1');
  return Buffer.concat([head, gzipSync(tar)]);
}

function ping(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path });
    let got = '';
    const t = setTimeout(() => (s.destroy(), resolve(false)), 1000);
    s.on('connect', () => s.end('zPING\0'));
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('error', () => (clearTimeout(t), resolve(false)));
    s.on('close', () => (clearTimeout(t), resolve(got.startsWith('PONG'))));
  });
}

export async function startClamd(opts: ClamdOptions = {}): Promise<ClamdProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-clamd-'));
  const db = join(dir, 'db');
  const socketPath = join(dir, 'clamd.sock');
  const streamMaxLength = opts.streamMaxLength ?? 1024 * 1024;
  const tcpPort = opts.tcp ? await freePort() : undefined;
  const stime = Math.floor(Date.now() / 1000 - (opts.dbAgeHours ?? 2) * 3600);
  mkdirSync(db);
  const eicarMd5 = createHash('md5').update(EICAR).digest('hex');
  writeFileSync(join(db, 'test.hdb'), `${eicarMd5}:${EICAR.length}:Sealgate.Test.EICAR-HDB\n`);
  writeFileSync(join(db, 'test.ndb'), [`Sealgate.Test.EICAR-NDB:0:*:${EICAR.toString('hex')}`, `Sealgate.Test.Marker:0:*:${Buffer.from(MARKER).toString('hex')}`, ''].join('\n'));
  if (opts.dbAgeHours !== null) writeFileSync(join(db, 'daily.cud'), dailyCud(stime));
  const conf = [
    'Foreground yes',
    `LocalSocket ${socketPath}`,
    ...(tcpPort ? [`TCPSocket ${tcpPort}`, 'TCPAddr 127.0.0.1'] : []),
    `DatabaseDirectory ${db}`,
    `StreamMaxLength ${streamMaxLength}`,
    `LogFile ${join(dir, 'clamd.log')}`,
    `PidFile ${join(dir, 'clamd.pid')}`,
    `TemporaryDirectory ${dir}`,
    'User root',
    'SelfCheck 0',
    'MaxThreads 4',
    'Bytecode no',
    // Report scan limits being hit instead of silently answering OK (what production should do too).
    'AlertExceedsMax yes',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'clamd.conf'), conf);

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';

  async function start(): Promise<void> {
    if (child) return;
    stderr = '';
    const c = spawn('/usr/sbin/clamd', ['-c', join(dir, 'clamd.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr!.on('data', (d) => (stderr += d));
    exited = new Promise((res) => c.once('exit', () => res()));
    let dead = false;
    void exited.then(() => {
      dead = true;
      if (child === c) child = undefined;
    });
    const end = Date.now() + 30_000;
    for (;;) {
      if (dead) throw new Error(`clamd exited during start: ${stderr}${readLog()}`);
      if (await ping(socketPath)) break;
      if (Date.now() > end) {
        c.kill('SIGKILL');
        throw new Error(`clamd did not answer PING within 30 s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (tcpPort) {
      for (;;) {
        const ok = await new Promise<boolean>((res) => {
          const s = net.connect(tcpPort, '127.0.0.1');
          s.once('connect', () => (s.destroy(), res(true)));
          s.once('error', () => res(false));
        });
        if (ok) break;
        if (Date.now() > end) throw new Error('clamd TCP port did not open');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async function stop(): Promise<void> {
    const c = child;
    if (!c) return;
    child = undefined;
    c.kill('SIGKILL');
    await exited;
    // SIGKILL leaves the socket file behind; a connect then fails with ECONNREFUSED, like a dead daemon.
  }

  function readLog(): string {
    try {
      return readFileSync(join(dir, 'clamd.log'), 'utf8');
    } catch {
      return '';
    }
  }

  await start();
  return {
    dir,
    socketPath,
    tcpPort,
    address: socketPath,
    tcpAddress: tcpPort ? `127.0.0.1:${tcpPort}` : undefined,
    streamMaxLength,
    dbDate: new Date(stime * 1000),
    running: () => child !== undefined,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: readLog,
  };
}
