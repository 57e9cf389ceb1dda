// Interoperability with a real, independent SMTP client: the swaks CLI (no TLS support on this
// machine, so STARTTLS is covered by openssl s_client in starttls.test.ts).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

function swaks(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('swaks', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, out });
    });
  });
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

describe('swaks', () => {
  const base = () => ['--server', '127.0.0.1', '--port', String(h.port), '--helo', 'swaks.example', '--from', 'sender@partner.example'];

  it('delivers a message, with and without pipelining', async () => {
    for (const extra of [[], ['--pipeline']]) {
      const before = h.store.messages.length;
      const r = await swaks([...base(), '--to', 'doc@hospital.example', '--header', 'Subject: swaks test', '--body', 'line one\n.dot line\nline three', ...extra]);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/<-\s+250 2\.0\.0 OK queued as/);
      expect(h.store.messages.length).toBe(before + 1);
      const data = h.store.messages.at(-1)!.data.toString();
      expect(data).toContain('Subject: swaks test\r\n');
      expect(data).toContain('\r\nline one\r\n.dot line\r\nline three\r\n');
      expect(data).not.toMatch(/(?<!\r)\n/);
    }
  });

  it('gets 550 5.7.1 when relaying to a foreign domain', async () => {
    const r = await swaks([...base(), '--to', 'someone@foreign.example']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/<\*\*\s+550 5\.7\.1 Relaying denied/);
  });

  it('sees no software name in banner or EHLO', async () => {
    const r = await swaks([...base(), '--to', 'doc@hospital.example', '--quit-after', 'EHLO']);
    expect(r.code).toBe(0);
    const serverLines = r.out.split('\n').filter((l) => /^\s*<-/.test(l));
    expect(serverLines.join('\n')).toMatch(/220 mx\.sealgate\.test ESMTP ready/);
    expect(serverLines.join('\n')).not.toMatch(/sealgate(?!\.test)|node|version/i);
  });
});
