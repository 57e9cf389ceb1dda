// Our Received trace header (RFC 5321 §4.4), built as a pure function of the envelope. Form:
//   Received: from HELO ([IP])
//   	by HOSTNAME with ESMTP[S][A] id ID
//   	for <rcpt>; DATE
// No software name or version. We do no reverse DNS, so the TCP-info holds only the address
// literal. "for" names the recipient only when there is exactly one, so a Received header never
// discloses the other (possibly Bcc) recipients. "with" follows RFC 3848 (S = TLS, A = AUTH).
import { isIPv6 } from 'node:net';
import type { Envelope } from './types.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** RFC 5322 date-time in UTC, e.g. "Sun, 29 Nov 2026 19:34:06 +0000". */
export function rfc5322Date(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/**
 * Client-supplied text placed in a header: keep only characters that cannot end the header,
 * open a comment or break the syntax; anything else becomes "?". Bounded length.
 */
function clean(s: string, max: number): string {
  return s.replace(/[^A-Za-z0-9.\-_:@+=\[\]]/g, '?').slice(0, max) || 'unknown';
}

function addressLiteral(ip: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return `[${v4[1]}]`;
  return isIPv6(ip) ? `[IPv6:${clean(ip, 64)}]` : `[${clean(ip, 64)}]`;
}

export function receivedHeader(env: Envelope, hostname: string, id: string): string {
  const proto = `ESMTP${env.tls ? 'S' : ''}${env.authUser ? 'A' : ''}`;
  const forClause = env.recipients.length === 1 ? `\r\n\tfor <${clean(env.recipients[0]!, 256)}>` : '';
  return (
    `Received: from ${clean(env.clientHelo, 255)} (${addressLiteral(env.clientIp)})\r\n` +
    `\tby ${clean(hostname, 255)} with ${proto} id ${clean(id, 64)}${forClause};\r\n` +
    `\t${rfc5322Date(env.receivedAt)}\r\n`
  );
}
