// RFC 6238 time-based one-time passwords (HMAC-SHA1, 30 s steps, 6 digits: what every
// authenticator app implements) and RFC 4648 base32 for the shared secret. Pure; the clock is a
// parameter. Trust level: handles second-factor secrets; callers keep them sealed at rest.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of now (clock drift between the phone and the server). */
export const TOTP_WINDOW = 1;

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new Error('invalid base32 secret');
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new 160-bit secret, base32 (what authenticator apps take). */
export const newTotpSecret = (): string => base32Encode(randomBytes(20));

/** RFC 4226 HOTP value for `counter`. */
export function hotp(secret: Buffer, counter: number, digits = TOTP_DIGITS, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(msg).digest();
  const off = mac[mac.length - 1]! & 0x0f;
  const bin = ((mac[off]! & 0x7f) << 24) | (mac[off + 1]! << 16) | (mac[off + 2]! << 8) | mac[off + 3]!;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

export function totp(secretB32: string, at: Date, digits = TOTP_DIGITS): string {
  return hotp(base32Decode(secretB32), Math.floor(at.getTime() / 1000 / TOTP_STEP_SECONDS), digits);
}

/** True when `code` matches the step of `at` or one of its TOTP_WINDOW neighbours. */
export function verifyTotp(secretB32: string, code: string, at: Date): boolean {
  if (!/^\d{6}$/.test(code.trim())) return false;
  const step = Math.floor(at.getTime() / 1000 / TOTP_STEP_SECONDS);
  const key = base32Decode(secretB32);
  let ok = false;
  for (let d = -TOTP_WINDOW; d <= TOTP_WINDOW; d++) {
    if (timingSafeEqual(Buffer.from(hotp(key, step + d)), Buffer.from(code.trim()))) ok = true;
  }
  return ok;
}

/** otpauth:// URI for enrolment in an authenticator app. */
export const otpauthUri = (issuer: string, account: string, secretB32: string): string =>
  `otpauth://totp/${encodeURIComponent(`${issuer}:${account}`)}?secret=${secretB32}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_STEP_SECONDS}`;
