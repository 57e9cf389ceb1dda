// Interoperability: Postfix's smtp-sink (an independent SMTP implementation) as the next hop. It
// dumps each received message to a file (LF line endings, its own X-* and Received lines first,
// one empty line appended), which we compare with what we sent.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultLimits } from '../../src/config/limits.js';
import { createDeliveryAgent } from '../../src/delivery/agent.js';

const SMTP_SINK = '/usr/sbin/smtp-sink';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitListening(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error('smtp-sink did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!existsSync(SMTP_SINK))('Postfix smtp-sink as the next hop', () => {
  let dir: string;
  let port: number;
  let child: ChildProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pf-sink-'));
    port = await freePort();
    child = spawn(SMTP_SINK, ['-u', 'root', '-d', join(dir, 'msg.'), '-c', `127.0.0.1:${port}`, '100'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitListening(port, 5000);
  });

  afterAll(async () => {
    if (child.pid && child.exitCode === null) child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  test('messages arrive intact, recipients and parameters as sent, over one connection', async () => {
    const agent = createDeliveryAgent({ mode: 'internal', host: '127.0.0.1', port }, { hostname: 'gw.sealgate.test', limits: defaultLimits(), logger: { debug() {}, info() {}, warn() {} } });
    const bodies = [
      Buffer.from('From: a@hospital.test\r\nSubject: one\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n'),
      Buffer.concat([Buffer.from('Subject: two\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf'), Buffer.from([0xc3, 0xa9]), Buffer.from('\r\n' + 'x'.repeat(900) + '\r\n')]),
    ];
    const r1 = await agent.deliver({ messageId: 'a', direction: 'inbound', sender: 's@partner.test', recipients: ['x@hospital.test', 'y@hospital.test'], body: bodies[0]! });
    const r2 = await agent.deliver({ messageId: 'b', direction: 'inbound', sender: 's@partner.test', recipients: ['z@hospital.test'], body: bodies[1]!, params: { BODY: '8BITMIME' } });
    expect([...r1, ...r2].map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(agent.stats.connectionsOpened).toBe(1);
    await agent.close();

    // Dumps are written when each transaction ends.
    let files: string[] = [];
    for (let i = 0; i < 50 && files.length < 2; i++) {
      files = (await readdir(dir)).filter((f) => f.startsWith('msg.'));
      if (files.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    const dumps = await Promise.all(files.map((f) => readFile(join(dir, f))));
    expect(dumps).toHaveLength(2);
    const bySubject = (s: string) => dumps.find((d) => d.includes(`Subject: ${s}`))!;
    for (const [i, subject] of [[0, 'one'], [1, 'two']] as const) {
      const dump = bySubject(subject);
      const text = dump.toString('latin1');
      // The sink's own lines end with its 3-line Received header.
      let start = text.indexOf('\nReceived: ') + 1;
      for (let line = 0; line < 3; line++) start = text.indexOf('\n', start) + 1;
      const received = dump.subarray(start);
      const expected = Buffer.from(bodies[i]!.toString('latin1').replace(/\r\n/g, '\n') + '\n', 'latin1');
      expect(received.toString("latin1")).toBe(expected.toString("latin1"));
    }
    const one = bySubject('one').toString();
    // smtp-sink offers PIPELINING, 8BITMIME and DSN but not SIZE.
    expect(one).toContain('X-Mail-Args: <s@partner.test>\n');
    expect(one).toContain('X-Rcpt-Args: <x@hospital.test>');
    expect(one).toContain('X-Rcpt-Args: <y@hospital.test>');
    expect(bySubject('two').toString()).toContain('X-Mail-Args: <s@partner.test> BODY=8BITMIME\n');
  });
});
