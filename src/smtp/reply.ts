// SMTP replies: the one reply/error type of the gateway, and the catalog of named replies.
// Pure module. Network-facing code only ever sends text that comes from here, so internal error
// text can never reach a client: unknown failures map to `Replies.localError` (451 4.3.0).

export class SmtpReply extends Error {
  readonly code: number;
  readonly enhanced: string;
  readonly text: string;

  constructor(code: number, enhanced: string, text: string) {
    // Replies are values on the hot path (one per SMTP command); a stack trace is never useful
    // for them and capturing one costs more than the rest of the reply.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${code} ${enhanced} ${text}`);
    Error.stackTraceLimit = limit;
    this.name = 'SmtpReply';
    this.code = code;
    this.enhanced = enhanced;
    this.text = text;
  }

  get temporary(): boolean {
    return this.code >= 400 && this.code < 500;
  }

  get permanent(): boolean {
    return this.code >= 500;
  }

  get positive(): boolean {
    return this.code < 400;
  }

  /** Same code and enhanced code, different human text. */
  withText(text: string): SmtpReply {
    return new SmtpReply(this.code, this.enhanced, text);
  }

  /** Wire form, CRLF-terminated; multi-line text becomes a continuation reply. */
  toWire(): string {
    const lines = this.text.split('\n');
    return lines
      .map((line, i) => {
        const sep = i === lines.length - 1 ? ' ' : '-';
        const enh = this.enhanced ? `${this.enhanced} ` : '';
        return `${this.code}${sep}${enh}${line}\r\n`;
      })
      .join('');
  }

  override toString(): string {
    return `${this.code} ${this.enhanced} ${this.text}`;
  }

  /** Any thrown value becomes a reply; non-SmtpReply errors never leak their text. */
  static from(err: unknown): SmtpReply {
    return err instanceof SmtpReply ? err : Replies.localError;
  }
}

const r = (code: number, enhanced: string, text: string) => new SmtpReply(code, enhanced, text);

/** Named replies. Text is deliberately plain and reveals no software or version. */
export const Replies = {
  ok: r(250, '2.0.0', 'OK'),
  senderOk: r(250, '2.1.0', 'Sender OK'),
  recipientOk: r(250, '2.1.5', 'Recipient OK'),
  queued: (id: string) => r(250, '2.0.0', `OK queued as ${id}`),
  resetOk: r(250, '2.0.0', 'Reset OK'),
  noopOk: r(250, '2.0.0', 'OK'),
  vrfy: r(252, '2.5.0', 'Cannot verify user; send mail and delivery will be attempted'),
  startData: r(354, '', 'Start mail input; end with <CRLF>.<CRLF>'),
  readyTls: r(220, '2.0.0', 'Ready to start TLS'),
  bye: r(221, '2.0.0', 'Bye'),

  shuttingDown: r(421, '4.3.2', 'Service shutting down, try again later'),
  tooManyErrors: r(421, '4.7.0', 'Too many errors, closing connection'),
  idleTimeout: r(421, '4.4.2', 'Idle timeout, closing connection'),
  sessionTimeout: r(421, '4.4.2', 'Session time limit exceeded, closing connection'),
  tooManyConnections: r(421, '4.7.0', 'Too many connections, try again later'),
  tooManyConnectionsFromYou: r(421, '4.7.0', 'Too many connections from your address, try again later'),
  localError: r(451, '4.3.0', 'Local error in processing, try again later'),
  storageError: r(452, '4.3.1', 'Insufficient system storage, try again later'),
  tooManyRecipients: r(452, '4.5.3', 'Too many recipients'),
  tlsUnavailable: r(454, '4.7.0', 'TLS not available'),
  scannerUnavailable: r(451, '4.7.1', 'Content screening unavailable, try again later'),

  syntax: r(500, '5.5.2', 'Syntax error, command unrecognized'),
  lineTooLong: r(500, '5.5.6', 'Line too long'),
  paramSyntax: r(501, '5.5.4', 'Syntax error in parameters or arguments'),
  badAddress: r(501, '5.1.3', 'Bad address syntax'),
  badHelo: r(501, '5.5.4', 'HELO/EHLO requires a domain or address literal'),
  notImplemented: r(502, '5.5.1', 'Command not implemented'),
  expnRefused: r(502, '5.5.1', 'EXPN is not available'),
  badSequence: r(503, '5.5.1', 'Bad sequence of commands'),
  needHelo: r(503, '5.5.1', 'Send HELO/EHLO first'),
  needMail: r(503, '5.5.1', 'Need MAIL command first'),
  needRcpt: r(503, '5.5.1', 'Need RCPT command first'),
  paramNotImplemented: r(504, '5.5.4', 'Command parameter not implemented'),
  authRequired: r(530, '5.7.0', 'Authentication required'),
  mustStartTls: r(530, '5.7.0', 'Must issue a STARTTLS command first'),
  relayDenied: r(550, '5.7.1', 'Relaying denied'),
  clientNotAllowed: r(550, '5.7.1', 'Client host not permitted to relay'),
  malware: (name: string) => r(550, '5.7.1', `Message rejected: malware detected (${name})`),
  policyReject: (why: string) => r(550, '5.7.1', `Message rejected by policy: ${why}`),
  bareLineEnding: r(550, '5.6.2', 'Bare CR or LF in message data is not allowed; use CRLF'),
  sizeExceeded: r(552, '5.3.4', 'Message size exceeds fixed limit'),
  headerTooLarge: r(552, '5.3.4', 'Message header size exceeds limit'),
  mimeTooDeep: r(554, '5.6.0', 'MIME nesting too deep'),
  hopsExceeded: r(554, '5.4.6', 'Too many hops: mail loop detected'),
  tooLongLine: r(500, '5.5.6', 'Text line too long'),
  noValidRecipients: r(554, '5.5.1', 'No valid recipients'),
  transactionFailed: r(554, '5.0.0', 'Transaction failed'),
  // Appended by the SMTP listener (src/smtp/session.ts, parser.ts).
  help: r(214, '2.0.0', 'See RFC 5321'),
  authOk: r(235, '2.7.0', 'Authentication successful'),
  bareLineEndingCommand: r(500, '5.5.2', 'Bare CR or LF in command line; use CRLF'),
  authCancelled: r(501, '5.0.0', 'Authentication cancelled'),
  authBadResponse: r(501, '5.5.2', 'Cannot decode authentication response'),
  authMechanism: r(504, '5.5.4', 'Unrecognized authentication mechanism'),
  authFailed: r(535, '5.7.8', 'Authentication credentials invalid'),
  nulInData: r(550, '5.6.0', 'NUL characters in message data are not allowed'),
  paramUnknown: r(555, '5.5.4', 'MAIL/RCPT parameter not recognized'),
  utf8Required: r(553, '5.6.7', 'Non-ASCII address requires SMTPUTF8'),
  closingAfterBadData: r(421, '4.7.0', 'Malformed message data; closing connection'),
} as const;
