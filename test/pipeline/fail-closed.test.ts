// A stage that throws, hangs or answers nonsense must never let the message through.
import { describe, expect, test } from 'vitest';
import { createPipeline } from '../../src/pipeline/run.js';
import type { Stage, StageMessage } from '../../src/pipeline/stage.js';

const msg: StageMessage = {
  id: 'T1',
  envelope: { direction: 'outbound', sender: 'a@x.test', recipients: ['b@y.test'], clientIp: '127.0.0.1', clientHelo: 'x', tls: false, receivedAt: new Date() },
  body: Buffer.from('Subject: hi\r\n\r\nhello\r\n'),
};
const stage = (name: string, process: Stage['process'], directions: Stage['directions'] = ['outbound']): Stage => ({ name, directions, process });

describe('pipeline is fail-closed', () => {
  test('a throwing stage temp-fails the message and hides the error text', async () => {
    const run = createPipeline({ stages: [stage('boom', async () => { throw new Error('secret patient data'); })], timeoutMs: 1000 });
    const out = await run(msg);
    expect(out.kind).toBe('tempfail');
    expect(JSON.stringify(out)).not.toContain('secret');
  });

  test('a stage that never answers temp-fails after its time limit', async () => {
    const run = createPipeline({ stages: [stage('hang', () => new Promise(() => {}))], timeoutMs: 50 });
    const out = await run(msg);
    expect(out).toMatchObject({ kind: 'tempfail', stage: 'hang' });
  });

  test('a stage returning no verdict temp-fails', async () => {
    const run = createPipeline({ stages: [stage('odd', async () => ({ kind: 'maybe' }) as never)], timeoutMs: 1000 });
    expect((await run(msg)).kind).toBe('tempfail');
  });

  test('hold and reject stop the pipeline; later stages do not run', async () => {
    let ran = false;
    const run = createPipeline({
      stages: [stage('policy', async () => ({ kind: 'hold', reason: 'PHI to unregistered domain' })), stage('after', async () => { ran = true; return { kind: 'continue' }; })],
      timeoutMs: 1000,
    });
    expect(await run(msg)).toMatchObject({ kind: 'hold', reason: 'PHI to unregistered domain', stage: 'policy' });
    expect(ran).toBe(false);
  });

  test('continue with a new body and per-recipient variants reaches delivery', async () => {
    const run = createPipeline({
      stages: [
        stage('sign', async (m) => ({ kind: 'continue', body: Buffer.concat([Buffer.from('X-Signed: 1\r\n'), m.body]) })),
        stage('encrypt', async (m) => ({ kind: 'continue', variants: m.envelope.recipients.map((r) => ({ recipients: [r], body: Buffer.concat([Buffer.from(`X-For: ${r}\r\n`), m.body]) })) })),
        stage('inbound-only', async () => ({ kind: 'reject', reason: 'should not run' }), ['inbound']),
      ],
      timeoutMs: 1000,
    });
    const out = await run(msg);
    expect(out.kind).toBe('deliver');
    if (out.kind !== 'deliver') return;
    expect(out.variants?.[0]?.body.toString()).toBe('X-For: b@y.test\r\nX-Signed: 1\r\nSubject: hi\r\n\r\nhello\r\n');
  });
});
