// Test helper: a plain SMTP client over a real socket that sends one message and reports every
// reply, so tests can assert on exact codes. Dot-stuffs the data; expects CRLF input.
import { connect } from 'node:net';

export interface SendResult {
  /** Each reply line as received, e.g. "250 2.1.5 Recipient OK". */
  replies: string[];
  /** The final reply to DATA (or the first failure that stopped the transaction). */
  final: string;
  code: number;
}

export function dotStuff(data: Buffer): Buffer {
  const s = data.toString('latin1').replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(s.endsWith('\r\n') ? s : s + '\r\n', 'latin1');
}

export function sendMail(port: number, o: { from: string; to: string[]; data: Buffer | string; helo?: string; host?: string; timeoutMs?: number }): Promise<SendResult> {
  const data = typeof o.data === 'string' ? Buffer.from(o.data) : o.data;
  return new Promise((resolve, reject) => {
    const s = connect(port, o.host ?? '127.0.0.1');
    const replies: string[] = [];
    let buf = '';
    const queue: Array<() => void> = [];
    let accepted = 0;
    let done = false;
    let step = 0;
    const finish = (final: string) => {
      if (done) return;
      done = true;
      s.end('QUIT\r\n');
      resolve({ replies, final, code: Number(final.slice(0, 3)) });
    };
    s.setTimeout(o.timeoutMs ?? 30000, () => {
      s.destroy();
      reject(new Error(`timeout; replies so far: ${replies.join(' | ')}`));
    });
    s.on('error', (e) => reject(e));
    // A server that dies mid-transaction closes the socket without an error event.
    s.on('close', () => reject(new Error(`connection closed; replies so far: ${replies.join(' | ')}`)));
    const steps: Array<(reply: string) => void> = [
      () => s.write(`EHLO ${o.helo ?? 'client.test'}\r\n`),
      (r) => (r.startsWith('250') ? s.write(`MAIL FROM:<${o.from}>\r\n`) : finish(r)),
      (r) => {
        if (!r.startsWith('250')) return finish(r);
        for (const t of o.to) s.write(`RCPT TO:<${t}>\r\n`);
      },
    ];
    void queue;
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const m = /^(\d{3})([ -])(.*)\r\n/.exec(buf);
        if (!m) return;
        buf = buf.slice(m[0].length);
        if (m[2] === '-') continue;
        const line = `${m[1]} ${m[3]}`;
        replies.push(line);
        if (step < steps.length) {
          steps[step++]!(line);
          continue;
        }
        const rcptDone = step - steps.length;
        if (rcptDone < o.to.length) {
          step++;
          if (line.startsWith('250')) accepted++;
          if (rcptDone + 1 === o.to.length) {
            if (accepted === 0) return finish(line);
            s.write('DATA\r\n');
          }
          continue;
        }
        if (rcptDone === o.to.length) {
          step++;
          if (!line.startsWith('354')) return finish(line);
          s.write(Buffer.concat([dotStuff(data), Buffer.from('.\r\n')]));
          continue;
        }
        return finish(line);
      }
    });
  });
}

/** Builds a small RFC 5322 message with CRLF line endings. */
export function message(o: { from: string; to: string; subject: string; body: string; id?: string; extraHeaders?: string[] }): Buffer {
  const headers = [
    `From: <${o.from}>`,
    `To: <${o.to}>`,
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${o.id ?? Math.random().toString(36).slice(2)}@test>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    ...(o.extraHeaders ?? []),
  ];
  return Buffer.from(headers.join('\r\n') + '\r\n\r\n' + o.body.replace(/\r?\n/g, '\r\n') + (o.body.endsWith('\n') ? '' : '\r\n'));
}

/** Strips the trace headers a relay prepends (Received), for byte-intact comparisons. */
export function withoutTrace(data: Buffer): Buffer {
  let s = data.toString('latin1');
  for (;;) {
    const m = /^Received:[^\r]*\r\n([ \t][^\r]*\r\n)*/.exec(s);
    if (!m) break;
    s = s.slice(m[0].length);
  }
  return Buffer.from(s, 'latin1');
}
