// The clamd client against a real clamd (unix socket and TCP): PING, VERSION with the database
// date, INSTREAM verdicts, streaming in chunks, and every failure being an error, never "clean":
// oversize (client and daemon side), daemon down, daemon silent, nonsense replies.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClamdError, createClamdClient, parseClamdAddress, parseScanReply, parseVersion, type ClamdClient } from '../../src/antivirus/clamd.js';
import { EICAR, MARKER, startClamd, type ClamdProcess } from '../helpers/clamd.js';

let av: ClamdProcess;
beforeAll(async () => {
  av = await startClamd({ tcp: true, dbAgeHours: 5 });
});
afterAll(async () => {
  await av?.close();
});

function clients(): Array<[string, ClamdClient]> {
  return [
    ['unix socket', createClamdClient({ address: parseClamdAddress(av.address)! })],
    ['TCP', createClamdClient({ address: parseClamdAddress(av.tcpAddress!)! })],
  ];
}

async function errorOf(p: Promise<unknown>): Promise<ClamdError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ClamdError);
    return e as ClamdError;
  }
  throw new Error('expected a ClamdError, got a result');
}

/** A unix-socket server that plays a broken clamd. */
async function fakeDaemon(onConn: (s: net.Socket) => void): Promise<{ path: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-fakeclamd-'));
  const path = join(dir, 's');
  const conns = new Set<net.Socket>();
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    s.on('error', () => {});
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(path, r));
  return {
    path,
    close: () =>
      new Promise<void>((r) => {
        for (const s of conns) s.destroy();
        srv.close(() => {
          rmSync(dir, { recursive: true, force: true });
          r();
        });
      }),
  };
}

describe('talking to a real clamd', () => {
  test.each([0, 1])('PING and VERSION (%#: unix socket, TCP)', async (i) => {
    const [, c] = clients()[i]!;
    await c.ping();
    const v = await c.version();
    expect(v.engine).toMatch(/^ClamAV \d+\.\d+/);
    expect(v.dbVersion).toBe(27000);
    // ctime has one-second resolution; the helper wrote a build time 5 hours ago.
    expect(Math.abs(v.dbDate!.getTime() - av.dbDate.getTime())).toBeLessThan(1000);
  });

  test.each([0, 1])('INSTREAM verdicts: EICAR, marker, clean (%#: unix socket, TCP)', async (i) => {
    const [, c] = clients()[i]!;
    expect(await c.scan(EICAR)).toEqual({ infected: true, threats: [expect.stringMatching(/^Sealgate\.Test\.EICAR/)] });
    expect(await c.scan(Buffer.from(`some text ${MARKER} more`))).toEqual({ infected: true, threats: ['Sealgate.Test.Marker.UNOFFICIAL'] });
    expect(await c.scan(Buffer.from('a perfectly clean message\r\n'))).toEqual({ infected: false });
  });

  test('streams in chunks: a signature split across chunks and iterator pieces is still found', async () => {
    const c = createClamdClient({ address: parseClamdAddress(av.address)!, chunkBytes: 7 });
    async function* pieces() {
      const data = Buffer.concat([Buffer.alloc(50_000, 0x41), EICAR, Buffer.alloc(10_000, 0x42)]);
      for (let i = 0; i < data.length; i += 4093) yield data.subarray(i, i + 4093);
    }
    const r = await c.scan(pieces());
    expect(r.infected).toBe(true);
  });
});

describe('failing closed', () => {
  test('a message larger than the configured StreamMaxLength is refused before sending', async () => {
    const c = createClamdClient({ address: { kind: 'unix', path: '/nonexistent/clamd.sock' }, streamMaxLength: 1000 });
    const e = await errorOf(c.scan(Buffer.alloc(1001)));
    expect(e.code).toBe('too-large');
  });

  test('a streamed message that grows past StreamMaxLength is an error, not a verdict', async () => {
    const c = createClamdClient({ address: parseClamdAddress(av.address)!, streamMaxLength: 100_000 });
    async function* pieces() {
      for (let i = 0; i < 30; i++) yield Buffer.alloc(10_000, 0x41);
    }
    expect((await errorOf(c.scan(pieces()))).code).toBe('too-large');
  });

  test('when the daemon accepts less than we were told, its refusal is an error, not clean', async () => {
    // The daemon runs with StreamMaxLength 1 MiB; the client is misconfigured to 8 MiB.
    const c = createClamdClient({ address: parseClamdAddress(av.tcpAddress!)!, streamMaxLength: 8 * 1024 * 1024 });
    const e = await errorOf(c.scan(Buffer.alloc(av.streamMaxLength + 100_000, 0x41)));
    expect(['too-large', 'protocol']).toContain(e.code);
  });

  test('a stopped daemon is "unreachable"; after restart it answers again', async () => {
    const c = createClamdClient({ address: parseClamdAddress(av.address)!, timeoutMs: 2000 });
    await av.stop();
    try {
      expect((await errorOf(c.ping())).code).toBe('unreachable');
      expect((await errorOf(c.scan(Buffer.from('hello')))).code).toBe('unreachable');
      const tcp = createClamdClient({ address: parseClamdAddress(av.tcpAddress!)!, timeoutMs: 2000 });
      expect((await errorOf(tcp.scan(Buffer.from('hello')))).code).toBe('unreachable');
    } finally {
      await av.start();
    }
    expect(await c.scan(Buffer.from('hello'))).toEqual({ infected: false });
  });

  test('a daemon that never answers times out', async () => {
    const fake = await fakeDaemon((s) => s.resume());
    try {
      const c = createClamdClient({ address: { kind: 'unix', path: fake.path }, timeoutMs: 300 });
      const t0 = Date.now();
      expect((await errorOf(c.scan(Buffer.from('hello')))).code).toBe('timeout');
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await fake.close();
    }
  });

  test('nonsense, empty and ERROR replies are errors', async () => {
    for (const [reply, code] of [
      ['stream: banana\0', 'protocol'],
      ['', 'protocol'],
      ['INSTREAM size limit exceeded. ERROR\0', 'too-large'],
      ['stream: Can\'t allocate memory ERROR\0', 'daemon-error'],
    ] as const) {
      const fake = await fakeDaemon((s) => {
        s.once('data', () => s.end(reply));
        s.on('error', () => {});
      });
      try {
        const c = createClamdClient({ address: { kind: 'unix', path: fake.path }, timeoutMs: 2000 });
        expect((await errorOf(c.scan(Buffer.from('hello')))).code, JSON.stringify(reply)).toBe(code);
      } finally {
        await fake.close();
      }
    }
  });

  test('the caller can abort a scan', async () => {
    const fake = await fakeDaemon((s) => s.resume());
    try {
      const c = createClamdClient({ address: { kind: 'unix', path: fake.path }, timeoutMs: 10_000 });
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(), 100);
      expect((await errorOf(c.scan(Buffer.from('x'), ctl.signal))).code).toBe('aborted');
    } finally {
      await fake.close();
    }
  });
});

describe('pure parsers', () => {
  test('VERSION replies', () => {
    const v = parseVersion('ClamAV 1.0.3/27000/Mon Nov 28 09:31:02 2022\0');
    expect(v).toMatchObject({ engine: 'ClamAV 1.0.3', dbVersion: 27000 });
    expect(v.dbDate!.getFullYear()).toBe(2022);
    expect(v.dbDate!.getMonth()).toBe(10);
    expect(v.dbDate!.getDate()).toBe(28);
    expect(v.dbDate!.getHours()).toBe(9);
    expect(parseVersion('ClamAV 1.4.6')).toEqual({ engine: 'ClamAV 1.4.6' });
    expect(() => parseVersion('Hello')).toThrow(ClamdError);
  });

  test('scan replies', () => {
    expect(parseScanReply(['stream: OK'])).toEqual({ infected: false });
    expect(parseScanReply(['stream: Win.Test.EICAR_HDB-1 FOUND'])).toEqual({ infected: true, threats: ['Win.Test.EICAR_HDB-1'] });
    expect(parseScanReply(['stream: A FOUND', 'stream: B FOUND'])).toEqual({ infected: true, threats: ['A', 'B'] });
    expect(() => parseScanReply([])).toThrow(ClamdError);
    expect(() => parseScanReply(['stream: OK', 'what'])).toThrow(ClamdError);
  });

  test('addresses', () => {
    expect(parseClamdAddress('/run/clamav/clamd.ctl')).toEqual({ kind: 'unix', path: '/run/clamav/clamd.ctl' });
    expect(parseClamdAddress('127.0.0.1:3310')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 3310 });
    expect(parseClamdAddress('[::1]:3310')).toEqual({ kind: 'tcp', host: '::1', port: 3310 });
    expect(parseClamdAddress('clamd:0')).toBeNull();
    expect(parseClamdAddress('clamd')).toBeNull();
  });
});
