// Failures inside the gateway become 451 4.3.0 with the catalog text, never the internal error
// text; an acceptor that answers before it has the whole message is not trusted (fail closed).
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Envelope, MessageAcceptor } from '../../src/queue/types.js';
import { Replies, type SmtpReply } from '../../src/smtp/reply.js';
import { sendMessage, startHarness, type Harness } from './harness.js';

const SECRET = 'ENOSPC /var/lib/sealgate/spool/7f3a password=hunter2';
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function trySend(acceptor: MessageAcceptor) {
  h = await startHarness({ acceptor });
  const c = await h.session();
  const r = await sendMessage(c, 'a@p.example', ['d@hospital.example'], 'Subject: x\r\n\r\nbody\r\n.\r\n');
  const after = await c.cmd('NOOP');
  c.destroy();
  return { r, after };
}

describe('internal failures', () => {
  const cases: Record<string, MessageAcceptor> = {
    'throws synchronously': {
      accept() {
        throw new Error(SECRET);
      },
    },
    'rejects after reading': {
      async accept(_e: Envelope, body: Readable) {
        for await (const _ of body);
        throw new TypeError(SECRET);
      },
    },
    'rejects with a non-Error': {
      async accept() {
        throw SECRET;
      },
    },
    'resolves with a non-reply': {
      async accept(_e: Envelope, body: Readable) {
        for await (const _ of body);
        return SECRET as unknown as SmtpReply;
      },
    },
    'answers 250 before reading the body': {
      async accept() {
        return Replies.queued('too-early');
      },
    },
  };
  for (const [name, acceptor] of Object.entries(cases)) {
    it(`acceptor ${name}: 451 4.3.0, no internal text, session goes on`, async () => {
      const { r, after } = await trySend(acceptor);
      expect(r.raw).toBe('451 4.3.0 Local error in processing, try again later\r\n');
      expect(after.code).toBe(250);
    });
  }

  it("the acceptor's own SMTP reply is passed through", async () => {
    const { r } = await trySend({
      async accept(_e, body) {
        for await (const _ of body);
        return Replies.storageError;
      },
    });
    expect(r.raw).toBe('452 4.3.1 Insufficient system storage, try again later\r\n');
  });

  it('an acceptor that rejects early still lets the client finish DATA, then one reply', async () => {
    const { r, after } = await trySend({
      async accept() {
        throw Replies.storageError;
      },
    });
    expect(r.code).toBe(452);
    expect(after.code).toBe(250);
  });

  it('a slow acceptor applies backpressure without losing bytes', async () => {
    const got: Buffer[] = [];
    h = await startHarness({
      acceptor: {
        async accept(_e, body) {
          for await (const c of body) {
            got.push(c as Buffer);
            await new Promise((res) => setTimeout(res, 2));
          }
          return Replies.queued('slow');
        },
      },
    });
    const c = await h.session();
    const body = Buffer.from('Subject: slow\r\n\r\n' + ('q'.repeat(998) + '\r\n').repeat(3000), 'latin1'); // 3 MB
    const r = await sendMessage(c, 'a@p.example', ['d@hospital.example'], Buffer.concat([body, Buffer.from('.\r\n')]));
    expect(r.code).toBe(250);
    expect(Buffer.concat(got).equals(body)).toBe(true);
    c.destroy();
  });
});
