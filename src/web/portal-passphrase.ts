// The sender-set pickup passphrase: an internal sender adds `X-Sealgate-Portal-Passphrase: …` to an
// outbound message; the protection stage takes it out of the message before any method or the
// plain delivery path sees the bytes (so no copy that leaves carries it), keeping the value only in
// the run's in-memory attrs, where the 'portal' method reads it and stores an argon2id hash.
// Pure: bytes in, bytes out. Trust level: handles a secret; never logs or audits it.
import type { StageMessage } from '../pipeline/stage.js';

export const PORTAL_PASSPHRASE_HEADER = 'X-Sealgate-Portal-Passphrase';
/** attrs key (never persisted, see StageMessage.attrs). */
export const PORTAL_PASSPHRASE_ATTR = 'portalPassphrase';

const FIELD = /^x-sealgate-portal-passphrase[ \t]*:/i;

/** The message without any passphrase header fields (top-level header block), and the last value. */
export function stripPortalPassphrase(body: Buffer): { body: Buffer; passphrase?: string } {
  const text = body.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end >= 0 ? text.slice(0, end) : text;
  if (!/(^|\n)x-sealgate-portal-passphrase[ \t]*:/i.test(head)) return { body };
  const lines = head.split(/(?<=\n)/);
  const kept: string[] = [];
  let value: string | undefined;
  let inField = false;
  for (const line of lines) {
    if (inField && /^[ \t]/.test(line)) {
      value += ` ${line.trim()}`;
      continue;
    }
    inField = FIELD.test(line);
    if (inField) value = line.replace(FIELD, '').trim();
    else kept.push(line);
  }
  const rest = end >= 0 ? text.slice(end) : '';
  const passphrase = value ? Buffer.from(value, 'latin1').toString('utf8') : undefined;
  return { body: Buffer.from(joinHead(kept.join(''), rest), 'latin1'), ...(passphrase ? { passphrase } : {}) };
}

/** Joins the kept header lines and the rest (which starts with the line break ending the last header). */
function joinHead(head: string, rest: string): string {
  return rest ? head.replace(/\r?\n$/, '') + rest : head;
}

/** The message for the protection stage: header removed, the value kept in attrs for the portal method. */
export function takePortalPassphrase(msg: StageMessage): StageMessage {
  const r = stripPortalPassphrase(msg.body);
  if (r.body === msg.body) return msg;
  if (r.passphrase && msg.attrs) msg.attrs[PORTAL_PASSPHRASE_ATTR] = r.passphrase;
  return { ...msg, body: r.body };
}

export function portalPassphraseOf(msg: StageMessage): string | undefined {
  const v = msg.attrs?.[PORTAL_PASSPHRASE_ATTR];
  return typeof v === 'string' && v ? v : undefined;
}
