// Test-only DeliveryAgent: a deliberately small SMTP client (no TLS, no pipelining) that delivers
// one transaction to a fixed host:port over a real socket, so the queue manager tests do not depend
// on the delivery module that is being built in parallel (src/delivery/agent.ts). Maps replies the
// way the contract says: 2xx delivered, 4xx or connection trouble deferred, 5xx failed.
import net from 'node:net';
import type { DeliveryAgent, DeliveryRequest, RecipientResult } from '../../src/delivery/types.js';

export interface TestAgent extends DeliveryAgent {
  calls: DeliveryRequest[];
}

export function createTestAgent(target: { host: string; port: number }, timeoutMs = 5000): TestAgent {
  const calls: DeliveryRequest[] = [];
  return {
    calls,
    async deliver(req: DeliveryRequest, signal?: AbortSignal): Promise<RecipientResult[]> {
      calls.push(req);
      const all = (status: RecipientResult['status'], reply: string): RecipientResult[] =>
        req.recipients.map((address) => ({ address, status, reply }));
      let sock: net.Socket | null = null;
      try {
        sock = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(target.port, target.host, () => resolve(s));
          s.once('error', reject);
        });
        const s = sock;
        s.setTimeout(timeoutMs, () => s.destroy(new Error('timeout')));
        signal?.addEventListener('abort', () => s.destroy(new Error('aborted')), { once: true });
        let buf = '';
        const waiting: Array<(r: string) => void> = [];
        let failure: Error | null = null;
        const failWaiters = (e: Error) => {
          failure = e;
          waiting.splice(0).forEach((w) => w(`421 4.4.2 ${e.message}`));
        };
        s.on('error', failWaiters);
        s.on('close', () => failWaiters(new Error('connection closed')));
        s.on('data', (d: Buffer) => {
          buf += d.toString('latin1');
          for (;;) {
            const m = /^(\d{3}) [^\r\n]*\r\n/m.exec(buf);
            if (!m) break;
            const end = m.index + m[0].length;
            const reply = buf.slice(m.index, end - 2);
            buf = buf.slice(end);
            waiting.shift()?.(reply);
          }
        });
        const next = (): Promise<string> =>
          failure ? Promise.resolve(`421 4.4.2 ${(failure as Error).message}`) : new Promise((r) => waiting.push(r));
        const cmd = (line: string): Promise<string> => {
          const p = next();
          s.write(line + '\r\n');
          return p;
        };
        const code = (r: string): number => Number(r.slice(0, 3));

        let r = await next();
        if (code(r) !== 220) return all(code(r) >= 500 ? 'failed' : 'deferred', r);
        r = await cmd('EHLO test-agent.test');
        if (code(r) !== 250) return all('deferred', r);
        r = await cmd(`MAIL FROM:<${req.sender}>`);
        if (code(r) !== 250) return all(code(r) >= 500 ? 'failed' : 'deferred', r);
        const results = new Map<string, RecipientResult>();
        const accepted: string[] = [];
        for (const address of req.recipients) {
          r = await cmd(`RCPT TO:<${address}>`);
          if (code(r) >= 200 && code(r) < 300) accepted.push(address);
          else results.set(address, { address, status: code(r) >= 500 ? 'failed' : 'deferred', reply: r });
        }
        if (accepted.length > 0) {
          r = await cmd('DATA');
          if (code(r) !== 354) {
            for (const a of accepted) results.set(a, { address: a, status: code(r) >= 500 ? 'failed' : 'deferred', reply: r });
          } else {
            const stuffed = req.body.toString('latin1').replace(/(^|\r\n)\./g, '$1..');
            const p = next();
            s.write(Buffer.from(stuffed + (stuffed.endsWith('\r\n') ? '' : '\r\n') + '.\r\n', 'latin1'));
            r = await p;
            const st: RecipientResult['status'] = code(r) < 300 ? 'delivered' : code(r) >= 500 ? 'failed' : 'deferred';
            for (const a of accepted) results.set(a, { address: a, status: st, reply: r, remoteHost: target.host });
          }
        }
        s.write('QUIT\r\n');
        s.end();
        return req.recipients.map((a) => results.get(a)!);
      } catch (err) {
        return all('deferred', `421 4.4.1 connection failed: ${(err as Error).message}`);
      } finally {
        sock?.destroy();
      }
    },
  };
}
