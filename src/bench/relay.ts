// Benchmark: Sealgate relaying (no crypto stages) vs Debian's Postfix relaying the same load, in the
// same run. Throughput: Postfix's smtp-source as the client, smtp-sink as the next hop. Latency:
// a small client that stamps each message and a sink that records its arrival, for both systems.
// Prints messages/s, p50/p99 latency, the Sealgate/Postfix ratio and Sealgate's peak RSS.
// Usage: npm run bench:relay [-- --count 2000 --sizes 10240,51200]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostfix } from './postfix.js';
import { freePort, waitPort } from './net.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const COUNT = Number(arg('count', '2000'));
const SIZES = arg('sizes', '10240,51200').split(',').map(Number);
const SESSIONS = Number(arg('sessions', '20'));
const LAT_COUNT = Number(arg('latency-count', '300'));
const LAT_CONCURRENCY = Number(arg('latency-concurrency', '4'));
/** Postfix and Sealgate are measured alternately this many times; medians are reported. */
const ROUNDS = Number(arg('rounds', '3'));

/** Postfix's smtp-sink with its message counter parsed from stdout. */
function startSinkBinary(port: number) {
  const p = spawn('/usr/sbin/smtp-sink', ['-u', 'postfix', '-c', `127.0.0.1:${port}`, '512'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let count = 0;
  p.stdout.on('data', (d: Buffer) => {
    const all = [...d.toString().matchAll(/mesg=(\d+)/g)];
    if (all.length) count = Number(all[all.length - 1]![1]);
  });
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  return {
    count: () => count,
    stop: async () => {
      p.kill('SIGKILL');
      await exited;
    },
  };
}

function runSmtpSource(port: number, size: number, count: number, sessions: number): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn('/usr/sbin/smtp-source', ['-c', '-l', String(size), '-m', String(count), '-s', String(sessions), '-f', 'sender@hospital.test', '-t', 'rcpt@partner.test', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`smtp-source exited ${code}: ${err}`))));
  });
}

async function waitCount(get: () => number, n: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (get() < n) {
    if (Date.now() > end) throw new Error(`only ${get()} of ${n} messages arrived`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Minimal sink recording arrival time per X-Bench-Id (latency phase). */
function startLatencySink(port: number): Promise<{ arrivals: Map<string, number>; server: Server }> {
  const arrivals = new Map<string, number>();
  const server = createServer((s) => {
    let buf = Buffer.alloc(0);
    let inData = false;
    s.write('220 sink ESMTP\r\n');
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const m = /X-Bench-Id: (\S+)/.exec(buf.subarray(0, Math.min(end, 4096)).toString('latin1'));
          if (m) arrivals.set(m[1]!, performance.now());
          buf = buf.subarray(end + 5);
          inData = false;
          s.write('250 2.0.0 ok\r\n');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.subarray(0, nl).toString('latin1').toUpperCase();
        buf = buf.subarray(nl + 2);
        if (line.startsWith('EHLO')) s.write('250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
        else if (line.startsWith('DATA')) { s.write('354 go\r\n'); inData = true; }
        else if (line.startsWith('QUIT')) { s.end('221 bye\r\n'); return; }
        else s.write('250 2.0.0 ok\r\n');
      }
    });
    s.on('error', () => {});
  });
  return new Promise((res) => server.listen(port, '127.0.0.1', () => res({ arrivals, server })));
}

function smtpSend(port: number, id: string, body: Buffer): Promise<number> {
  return new Promise((res, rej) => {
    const s: Socket = connect(port, '127.0.0.1');
    let step = 0;
    let buf = '';
    let t0 = 0;
    const cmds = ['EHLO bench.test\r\n', 'MAIL FROM:<sender@hospital.test>\r\n', 'RCPT TO:<rcpt@partner.test>\r\n', 'DATA\r\n'];
    s.setTimeout(30000, () => { s.destroy(); rej(new Error('timeout')); });
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const m = /^(\d{3}) .*\r\n/m.exec(buf);
        if (!m) return;
        buf = buf.slice(m.index + m[0].length);
        const code = Number(m[1]);
        if (code >= 400) { s.destroy(); rej(new Error(`reply ${m[0].trim()}`)); return; }
        if (step < cmds.length) {
          if (step === 3) t0 = performance.now();
          s.write(cmds[step++]!);
        } else if (step === cmds.length) {
          step++;
          s.write(Buffer.concat([Buffer.from(`X-Bench-Id: ${id}\r\nSubject: bench\r\n\r\n`), body, Buffer.from('\r\n.\r\n')]));
        } else {
          s.end('QUIT\r\n');
          res(t0);
          return;
        }
      }
    });
    s.on('error', rej);
  });
}

async function latency(port: number, sink: { arrivals: Map<string, number> }, size: number, tag: string) {
  const line = 'x'.repeat(76) + '\r\n';
  const body = Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size - 2) + '\r\n');
  const sent = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < LAT_COUNT) {
      const id = `${tag}-${next++}`;
      sent.set(id, await smtpSend(port, id, body));
    }
  };
  await Promise.all(Array.from({ length: LAT_CONCURRENCY }, worker));
  await waitCount(() => [...sent.keys()].filter((k) => sink.arrivals.has(k)).length, sent.size, 120000);
  const lat = [...sent].map(([k, t]) => sink.arrivals.get(k)! - t).sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  return { p50: q(0.5), p99: q(0.99) };
}

interface Sut {
  name: string;
  port: number;
  pid?: number;
  stop(): Promise<void> | void;
}

async function startSealgate(sinkPort: number): Promise<Sut & { child: ChildProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-'));
  const port = await freePort();
  const inPort = await freePort();
  const cli = join(ROOT, 'bin', 'sealgate.js');
  await new Promise<void>((res, rej) => {
    const p = spawn(process.execPath, [cli, 'init', '--dir', dir, '--domain', 'hospital.test', '--inbound', `127.0.0.1:${inPort}`, '--outbound', `127.0.0.1:${port}`, '--smarthost', `127.0.0.1:${sinkPort}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('exit', (c) => (c === 0 ? res() : rej(new Error(`init exited ${c}`))));
  });
  // Benchmark settings: warn-level logs; the limits stay at their defaults. The relay core is what
  // is compared with Postfix, so outbound domain signing (an RSA signature per message, on by
  // default) is off; the policy decision stage still scores every message.
  const cfgFile = join(dir, 'sealgate.yaml');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(cfgFile, `${readFileSync(cfgFile, 'utf8').replace('level: info', 'level: warn')}\noutbound:\n  domainSign: false\n`);
  const child = spawn(process.execPath, [cli, 'start', '--config', cfgFile], { stdio: ['ignore', 'ignore', 'ignore'] });
  await waitPort(port);
  return {
    name: 'sealgate',
    port,
    pid: child.pid,
    child,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function measure(kind: 'postfix' | 'sealgate', size: number) {
  const sinkPort = await freePort();
  const sink = startSinkBinary(sinkPort);
  await waitPort(sinkPort);
  const sut: Sut = kind === 'postfix'
    ? await (async () => { const port = await freePort(); const pf = startPostfix(port, sinkPort); await waitPort(port); return { name: 'postfix', port, stop: () => pf.stop() }; })()
    : await startSealgate(sinkPort);
  try {
    // warm-up
    await runSmtpSource(sut.port, size, 50, 5);
    await waitCount(sink.count, 50, 60000);
    const base = sink.count();
    const t0 = performance.now();
    await runSmtpSource(sut.port, size, COUNT, SESSIONS);
    await waitCount(() => sink.count() - base, COUNT, 600000);
    const secs = (performance.now() - t0) / 1000;
    await sink.stop();
    const latSink = await startLatencySink(sinkPort);
    const lat = await latency(sut.port, latSink, size, `${kind}-${size}`);
    latSink.server.close();
    const rss = sut.pid ? peakRssMb(sut.pid) : undefined;
    return { rate: COUNT / secs, ...lat, rss };
  } finally {
    await sink.stop();
    await sut.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: string[] = [];
console.log(`relay benchmark: ${COUNT} messages per size, ${SESSIONS} parallel sessions (smtp-source -> system -> smtp-sink); latency: ${LAT_COUNT} messages, ${LAT_CONCURRENCY} clients; ${ROUNDS} alternating rounds, medians`);
for (const size of SIZES) {
  const pfs: Awaited<ReturnType<typeof measure>>[] = [];
  const sgs: Awaited<ReturnType<typeof measure>>[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const pf = await measure('postfix', size);
    const sg = await measure('sealgate', size);
    pfs.push(pf);
    sgs.push(sg);
    ratios.push(sg.rate / pf.rate);
    console.log(`  round ${r + 1}, ${Math.round(size / 1024)} KB: postfix ${pf.rate.toFixed(0)} msg/s, sealgate ${sg.rate.toFixed(0)} msg/s, ratio ${(sg.rate / pf.rate).toFixed(2)}`);
  }
  const pf = { rate: median(pfs.map((x) => x.rate)), p50: median(pfs.map((x) => x.p50)), p99: median(pfs.map((x) => x.p99)) };
  const sg = { rate: median(sgs.map((x) => x.rate)), p50: median(sgs.map((x) => x.p50)), p99: median(sgs.map((x) => x.p99)), rss: Math.max(...sgs.map((x) => x.rss ?? 0)) };
  const ratio = median(ratios);
  const kb = `${Math.round(size / 1024)} KB`;
  rows.push(`| ${kb} | ${pf.rate.toFixed(0)} | ${sg.rate.toFixed(0)} | **${ratio.toFixed(2)}** (${ratios.map((x) => x.toFixed(2)).join(', ')}) | ${pf.p50.toFixed(1)} / ${pf.p99.toFixed(1)} | ${sg.p50.toFixed(1)} / ${sg.p99.toFixed(1)} | ${sg.rss.toFixed(0)} |`);
  console.log(`${kb}: postfix ${pf.rate.toFixed(0)} msg/s (p50 ${pf.p50.toFixed(1)} ms, p99 ${pf.p99.toFixed(1)} ms); sealgate ${sg.rate.toFixed(0)} msg/s (p50 ${sg.p50.toFixed(1)} ms, p99 ${sg.p99.toFixed(1)} ms); median ratio sealgate/postfix = ${ratio.toFixed(2)}; sealgate peak RSS ${sg.rss.toFixed(0)} MB`);
}
console.log('\n| size | Postfix msg/s | Sealgate msg/s | ratio Sealgate/Postfix, median (per round) | Postfix p50/p99 ms | Sealgate p50/p99 ms | Sealgate peak RSS MB |\n|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
process.exit(0);
