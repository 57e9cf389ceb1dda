// Scanner trouble never lets mail through unscanned (real clamd, stopped mid-run): temp-fail by
// default, hold when configured, hold for messages larger than the scanner accepts, temp-fail for
// a daemon that hangs (through the real pipeline runner). health() raises alarms for an old
// signature database and for an unreachable daemon.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClamdClient, parseClamdAddress } from '../../src/antivirus/clamd.js';
import { createAntivirusStage } from '../../src/antivirus/stage.js';
import { createPipeline } from '../../src/pipeline/run.js';
import { createLogger } from '../../src/log/logger.js';
import { EICAR, startClamd, type ClamdProcess } from '../helpers/clamd.js';
import { ctx, plainMessage, stageMessage, withAttachments } from './mail.js';

let av: ClamdProcess;
beforeAll(async () => {
  av = await startClamd({ dbAgeHours: 100 });
});
afterAll(async () => {
  await av?.close();
});

function logCapture() {
  const lines: Array<Record<string, unknown>> = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: createLogger('info', dest), lines };
}

function stageWith(o: { onError?: 'tempfail' | 'hold'; maxSignatureAgeHours?: number; timeoutMs?: number; address?: string; streamMaxLength?: number } = {}) {
  const log = logCapture();
  const stage = createAntivirusStage({
    client: createClamdClient({ address: parseClamdAddress(o.address ?? av.address)!, timeoutMs: o.timeoutMs ?? 2000, streamMaxLength: o.streamMaxLength ?? av.streamMaxLength }),
    inbound: { action: 'quarantine' },
    outbound: { action: 'reject' },
    ...(o.onError ? { onError: o.onError } : {}),
    ...(o.maxSignatureAgeHours ? { maxSignatureAgeHours: o.maxSignatureAgeHours } : {}),
    postmaster: 'postmaster@hospital.test',
    hostname: 'mx.hospital.test',
    logger: log.logger,
  });
  return { stage, lines: log.lines };
}

describe('clamd stopped mid-run', () => {
  test('default: temp-fail (clean and infected alike), then scanning resumes when clamd is back', async () => {
    const { stage } = stageWith();
    const clean = stageMessage(plainMessage('hello'));
    const infected = stageMessage(withAttachments([{ filename: 'x.com', type: 'application/octet-stream', data: EICAR }]), 'outbound');
    expect(await stage.process(clean, ctx())).toEqual({ kind: 'continue' });
    await av.stop();
    try {
      for (const m of [clean, infected]) {
        expect(await stage.process(m, ctx())).toEqual({ kind: 'tempfail', reason: 'antivirus: scanner unavailable (unreachable); message not scanned' });
      }
      expect(stage.health()).toMatchObject({ status: 'error', reachable: false, alarms: expect.arrayContaining([expect.stringMatching(/^clamd unreachable/)]) });
    } finally {
      await av.start();
    }
    expect(await stage.process(clean, ctx())).toEqual({ kind: 'continue' });
    expect((await stage.process(infected, ctx())).kind).toBe('reject');
  });

  test('onError: hold holds the message instead', async () => {
    const { stage } = stageWith({ onError: 'hold' });
    await av.stop();
    try {
      expect(await stage.process(stageMessage(plainMessage('hello')), ctx())).toEqual({ kind: 'hold', reason: expect.stringMatching(/scanner unavailable/) });
    } finally {
      await av.start();
    }
  });

  test('through the pipeline runner: the outcome is tempfail, never deliver', async () => {
    const { stage } = stageWith();
    const run = createPipeline({ stages: [stage], timeoutMs: 5000 });
    await av.stop();
    try {
      expect(await run(stageMessage(plainMessage('hello')))).toMatchObject({ kind: 'tempfail', stage: 'antivirus' });
    } finally {
      await av.start();
    }
    expect(await run(stageMessage(plainMessage('hello')))).toMatchObject({ kind: 'deliver' });
  });
});

describe('other scanner failures', () => {
  test('a daemon that accepts the connection and never answers: temp-fail after the timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-hang-'));
    const conns: net.Socket[] = [];
    const srv = net.createServer({ allowHalfOpen: true }, (s) => {
      conns.push(s);
      s.resume();
      s.on('error', () => {});
    });
    await new Promise<void>((r) => srv.listen(join(dir, 's'), r));
    try {
      const { stage } = stageWith({ address: join(dir, 's'), timeoutMs: 300 });
      expect(await stage.process(stageMessage(plainMessage('hello')), ctx())).toEqual({ kind: 'tempfail', reason: expect.stringMatching(/scanner unavailable \(timeout\)/) });
    } finally {
      conns.forEach((s) => s.destroy());
      await new Promise<void>((r) => srv.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a message larger than the scanner accepts is held, not delivered and not retried forever', async () => {
    const { stage } = stageWith({ streamMaxLength: 64 * 1024 });
    const big = plainMessage('clean line of text\r\n'.repeat(5000));
    expect(await stage.process(stageMessage(big), ctx())).toEqual({ kind: 'hold', reason: expect.stringMatching(/too large to scan/) });
    // Even if we are told the daemon takes more than it does, its refusal is not "clean".
    const { stage: wrong } = stageWith({ streamMaxLength: 16 * 1024 * 1024 });
    const huge = plainMessage('clean line of text\r\n'.repeat(60_000));
    expect(huge.length).toBeGreaterThan(av.streamMaxLength);
    const v = await wrong.process(stageMessage(huge), ctx());
    expect(['hold', 'tempfail']).toContain(v.kind);
  });
});

describe('health', () => {
  test('a signature database older than maxSignatureAgeHours raises an alarm (and a log line)', async () => {
    const { stage, lines } = stageWith({ maxSignatureAgeHours: 48 });
    const h = await stage.checkHealth();
    expect(h.status).toBe('warning');
    expect(h.reachable).toBe(true);
    expect(h.dbVersion).toBe(27000);
    expect(h.dbAgeHours).toBeGreaterThan(99);
    expect(h.dbAgeHours).toBeLessThan(101);
    expect(h.alarms).toEqual([expect.stringMatching(/^signature database is 1\d\d(\.\d)? hours old \(limit 48\)$/)]);
    expect(lines.some((l) => l.alarm === 'antivirus' && l.level === 40)).toBe(true);
    expect({ ...stage.health(), dbAgeHours: h.dbAgeHours }).toEqual(h); // age is recomputed per call
  });

  test('a fresh enough database is ok', async () => {
    const { stage, lines } = stageWith({ maxSignatureAgeHours: 200 });
    const h = await stage.checkHealth();
    expect(h).toMatchObject({ status: 'ok', alarms: [], maxSignatureAgeHours: 200 });
    expect(lines.some((l) => l.alarm === 'antivirus')).toBe(false);
  });

  test('periodic checks notice an outage and the recovery without any mail flowing', async () => {
    const stage = createAntivirusStage({
      client: createClamdClient({ address: parseClamdAddress(av.address)!, timeoutMs: 1000 }),
      inbound: { action: 'quarantine' },
      outbound: { action: 'quarantine' },
      healthIntervalMs: 100,
      postmaster: 'postmaster@hospital.test',
      hostname: 'mx.hospital.test',
    });
    const stopChecks = stage.startHealthChecks();
    const until = async (ok: () => boolean) => {
      const end = Date.now() + 5000;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`health stayed ${JSON.stringify(stage.health())}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(() => stage.health().reachable === true);
      await av.stop();
      try {
        await until(() => stage.health().reachable === false);
        expect(stage.health().status).toBe('error');
      } finally {
        await av.start();
      }
      await until(() => stage.health().reachable === true);
    } finally {
      stopChecks();
    }
  });

  test('a daemon without an official (dated) database raises an alarm too', async () => {
    const bare = await startClamd({ dbAgeHours: null });
    try {
      const { stage } = stageWith({ address: bare.address });
      const h = await stage.checkHealth();
      expect(h).toMatchObject({ status: 'warning', reachable: true, alarms: [expect.stringMatching(/^signature database date unknown/)] });
      expect(h.dbDate).toBeUndefined();
    } finally {
      await bare.close();
    }
  });

  test('an unreachable daemon is an error-level health state', async () => {
    const { stage } = stageWith({ address: '/nonexistent/clamd.sock' });
    expect(stage.health().reachable).toBeNull();
    const h = await stage.checkHealth();
    expect(h).toMatchObject({ status: 'error', reachable: false, lastError: 'unreachable' });
  });
});
