// Graceful close: the listener stops accepting, idle sessions get 421 4.3.2 at once, a session
// inside DATA may finish its message (then 421), and close() resolves when all are gone.
import net from 'node:net';
import { expect, it } from 'vitest';
import { startHarness } from './harness.js';

it('graceful close lets in-flight DATA finish and sends 421 to idle sessions', async () => {
  const h = await startHarness();
  const idle = await h.session();
  const busy = await h.session();
  await busy.cmd('MAIL FROM:<a@p.example>');
  await busy.cmd('RCPT TO:<d@hospital.example>');
  expect((await busy.cmd('DATA')).code).toBe(354);
  busy.send('Subject: in flight\r\n\r\nfirst half ');
  await new Promise((r) => setTimeout(r, 50));

  const closing = h.listener.close(true);
  expect((await idle.reply()).raw).toBe('421 4.3.2 Service shutting down, try again later\r\n');
  await idle.closed();
  // New connections are no longer accepted.
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect({ port: h.port, host: '127.0.0.1' });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
  expect(refused).toBe(true);

  busy.send('second half\r\n.\r\n');
  expect((await busy.reply()).code).toBe(250);
  expect((await busy.reply()).code).toBe(421);
  await busy.closed();
  await closing;
  expect(h.listener.connections()).toBe(0);
  expect(h.store.messages.length).toBe(1);
  expect(h.store.messages[0]!.data.toString()).toBe('Subject: in flight\r\n\r\nfirst half second half\r\n');
});

it('after the grace period an unfinished DATA is cut off and nothing is stored', async () => {
  const h = await startHarness({ gracePeriodMs: 300 });
  const busy = await h.session();
  await busy.cmd('MAIL FROM:<a@p.example>');
  await busy.cmd('RCPT TO:<d@hospital.example>');
  await busy.cmd('DATA');
  busy.send('Subject: never finished\r\n\r\n');
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  await h.listener.close(true);
  expect(Date.now() - t0).toBeLessThan(3000);
  await busy.closed();
  expect(h.store.messages.length).toBe(0);
});
