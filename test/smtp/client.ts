// Test-only raw SMTP client: sends exact bytes (including malformed ones) over a real TCP socket
// and parses the server's replies. Trust level: test harness.
import net from 'node:net';
import tls from 'node:tls';

export interface Reply {
  code: number;
  /** Enhanced status code of the last line, or '' when absent. */
  enhanced: string;
  /** Text of every line, without code and enhanced code. */
  lines: string[];
  /** The reply exactly as received. */
  raw: string;
}

const ENH = /^([245]\.\d{1,3}\.\d{1,3}) /;

export class SmtpTestClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private socket: net.Socket | tls.TLSSocket;
  isClosed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<SmtpTestClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host });
      s.once('connect', () => resolve(new SmtpTestClient(s)));
      s.once('error', reject);
    });
  }

  private attach(s: net.Socket): void {
    s.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    s.on('error', () => {});
    s.on('close', () => {
      this.isClosed = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private waitData(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms; have ${JSON.stringify(this.buf.toString('latin1'))}`)), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Read the next complete (possibly multi-line) reply. */
  async reply(timeoutMs = 5000): Promise<Reply> {
    for (;;) {
      const parsed = this.tryParse();
      if (parsed) return parsed;
      if (this.isClosed) throw new Error(`connection closed; unparsed ${JSON.stringify(this.buf.toString('latin1'))}`);
      await this.waitData(timeoutMs);
    }
  }

  private tryParse(): Reply | null {
    let off = 0;
    const lines: string[] = [];
    let code = 0;
    let enhanced = '';
    for (;;) {
      const lf = this.buf.indexOf('\r\n', off);
      if (lf === -1) return null;
      const line = this.buf.subarray(off, lf).toString('latin1');
      off = lf + 2;
      const m = /^(\d{3})([ -])(.*)$/.exec(line);
      if (!m) throw new Error(`malformed reply line ${JSON.stringify(line)}`);
      code = Number(m[1]);
      let text = m[3]!;
      const e = ENH.exec(text);
      enhanced = e ? e[1]! : '';
      if (e) text = text.slice(e[0].length);
      lines.push(text);
      if (m[2] === ' ') {
        const raw = this.buf.subarray(0, off).toString('latin1');
        this.buf = this.buf.subarray(off);
        return { code, enhanced, lines, raw };
      }
    }
  }

  /** Send one command line (CRLF added) and read its reply. */
  async cmd(line: string, timeoutMs = 5000): Promise<Reply> {
    this.send(`${line}\r\n`);
    return this.reply(timeoutMs);
  }

  /** Read `n` replies (pipelining). */
  async replies(n: number, timeoutMs = 5000): Promise<Reply[]> {
    const out: Reply[] = [];
    for (let i = 0; i < n; i++) out.push(await this.reply(timeoutMs));
    return out;
  }

  /** Resolves when the server has closed the connection (or rejects after timeoutMs). */
  async closed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isClosed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('server did not close the connection');
      await this.waitData(left).catch(() => {});
    }
  }

  /** Bytes received but not parsed as replies. */
  get pending(): string {
    return this.buf.toString('latin1');
  }

  /** Upgrade to TLS after the server's 220 to STARTTLS. Any unread plaintext is dropped. */
  async startTls(): Promise<tls.TLSSocket> {
    const plain = this.socket as net.Socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    this.buf = Buffer.alloc(0);
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure as unknown as net.Socket);
    return secure;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Dot-stuff a message body that already uses CRLF line endings (RFC 5321 §4.5.2). */
export function dotStuff(body: Buffer): Buffer {
  const s = body.toString('latin1');
  return Buffer.from((s.startsWith('.') ? '.' : '') + s.replace(/\r\n\./g, '\r\n..'), 'latin1');
}
