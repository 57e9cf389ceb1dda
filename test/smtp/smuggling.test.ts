// SMTP smuggling (SEC Consult, Dec 2023): only <CRLF>.<CRLF> ends DATA. Each published end-of-data
// variant with bare CR / bare LF (and the NUL variant) is sent followed by a smuggled
// MAIL/RCPT/DATA sequence and the real end of data. The gateway must never produce a second
// message, never answer the smuggled commands, and refuse the carrier message (550 5.6.x), then
// close the connection: even where the vector holds a genuine <CRLF>.<CRLF> (CRCRLF.CRLF), nothing
// the client pipelined after a message with bare line endings is executed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import type { SmtpTestClient } from './client.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const VECTORS: Record<string, string> = {
  'LF.LF': '\n.\n',
  'LF.CRLF': '\n.\r\n',
  'CR.CRLF': '\r.\r\n',
  'CRLF.CR': '\r\n.\r',
  'CRLF.LF': '\r\n.\n',
  'LF.CR': '\n.\r',
  'CR.CR': '\r.\r',
  'CR.LF': '\r.\n',
  'CRLF NUL.CRLF': '\r\n\x00.\r\n',
  'LF.CRCRLF': '\n.\r\r\n',
  'CRLF.CRCRLF': '\r\n.\r\r\n',
  'CRCRLF.CRLF': '\r\r\n.\r\n',
  'CRLF.LFCRLF': '\r\n.\n\r\n',
};

const SMUGGLED =
  'MAIL FROM:<admin@hospital.example>\r\nRCPT TO:<victim@hospital.example>\r\nDATA\r\n' +
  'From: admin@hospital.example\r\nSubject: smuggled\r\n\r\nsecond message\r\n';

async function allRepliesUntilClose(c: SmtpTestClient): Promise<{ code: number; enhanced: string }[]> {
  const out: { code: number; enhanced: string }[] = [];
  for (;;) {
    try {
      out.push(await c.reply(3000));
    } catch {
      return out;
    }
  }
}

describe('SMTP smuggling vectors', () => {
  for (const [name, vector] of Object.entries(VECTORS)) {
    for (const split of [false, true]) {
      it(`${name}${split ? ' (split across writes)' : ''}: no second message, carrier refused`, async () => {
        const before = h.store.messages.length;
        const attempts = h.store.attempts;
        const c = await h.session();
        expect((await c.cmd('MAIL FROM:<sender@partner.example>')).code).toBe(250);
        expect((await c.cmd('RCPT TO:<doc@hospital.example>')).code).toBe(250);
        expect((await c.cmd('DATA')).code).toBe(354);
        const payload = 'From: sender@partner.example\r\nSubject: first\r\n\r\nfirst message' + vector + SMUGGLED + '.\r\nQUIT\r\n';
        if (!split) {
          c.send(payload);
        } else {
          // Cut right inside the vector so each bare CR/LF lands at a chunk edge.
          const at = payload.indexOf(vector);
          const cuts = [at, at + 1, at + 2, at + vector.length];
          let prev = 0;
          for (const cut of cuts) {
            c.send(payload.slice(prev, cut));
            prev = cut;
            await new Promise((r) => setTimeout(r, 15));
          }
          c.send(payload.slice(prev));
        }
        const rs = await allRepliesUntilClose(c);
        // Exactly: the refusal of the carrier, then 421 and close. No reply to any smuggled command.
        expect(rs.map((r) => r.code)).toEqual([550, 421]);
        expect(c.isClosed).toBe(true);
        expect(rs[0]!.enhanced).toMatch(/^5\.6\.[02]$/);
        if (vector.includes('\x00')) expect(rs[0]!.enhanced).toBe('5.6.0');
        else expect(rs[0]!.enhanced).toBe('5.6.2');
        expect(h.store.messages.length).toBe(before);
        expect(h.store.attempts - attempts).toBeLessThanOrEqual(1);
      });
    }
  }

  it('a bare LF in a command line is refused, not executed', async () => {
    const c = await h.session();
    c.send('MAIL FROM:<a@partner.example>\nRCPT TO:<doc@hospital.example>\r\nNOOP\r\n');
    const rs = await c.replies(2);
    expect(rs[0]!.code).toBe(500);
    expect(rs[0]!.enhanced).toBe('5.5.2');
    expect(rs[1]!.code).toBe(250);
    expect((await c.cmd('RCPT TO:<doc@hospital.example>')).code).toBe(503);
    c.destroy();
  });

  it('a bare CR in a command line is refused, not executed', async () => {
    const c = await h.session();
    const rs = await c.cmd('MAIL FROM:<a@partner.example>\rRSET');
    expect(rs.code).toBe(500);
    expect((await c.cmd('RCPT TO:<doc@hospital.example>')).code).toBe(503);
    c.destroy();
  });
});
