// Messages waiting for pickup: the bytes are encrypted (AES-256-GCM, a fresh key per message) and
// kept in the spool; the key is sealed under the KEK in portal_messages. Link tokens and one-time
// codes are stored only as SHA-256 hashes. Codes are short-lived, few per hour, few tries each.
// Trust level: holds message content (encrypted) and opens it for an authenticated recipient.
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { OpenedStore } from '../store/index.js';
import type { PortalMessagesTable, WebDatabase } from '../store/schema.js';
import { openSecret, sealSecret, type Kek } from '../pki/keystore.js';
import { checkPassword, hashPassword } from './users.js';

/** Default days a message can be picked up. */
export const PORTAL_EXPIRY_DAYS = 30;
/** One-time code: lifetime, codes per hour per message, wrong tries per code. */
export const CODE_TTL_MS = 10 * 60_000;
export const CODES_PER_HOUR = 5;
export const CODE_TRIES = 5;

export type PortalRow = Selectable<PortalMessagesTable>;
export type PortalState = 'ok' | 'expired' | 'revoked';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class PortalStore {
  private readonly db: Kysely<WebDatabase>;
  constructor(
    private readonly store: OpenedStore,
    private readonly kek: () => Kek,
    private readonly now: () => Date,
  ) {
    this.db = store.db as unknown as Kysely<WebDatabase>;
  }

  async create(o: { sender: string; recipient: string; body: Buffer; messageId?: string; passphrase?: string; readReceipt?: boolean; expiryDays?: number }): Promise<{ id: string; token: string; expiresAt: Date }> {
    const id = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(Buffer.from(id));
    const sealed = Buffer.concat([iv, c.update(o.body), c.final(), c.getAuthTag()]);
    const spoolKey = `portal-${id}`;
    await this.store.spool.write(spoolKey, sealed);
    const at = this.now().getTime();
    const expiresAt = at + (o.expiryDays ?? PORTAL_EXPIRY_DAYS) * 86400_000;
    await this.db
      .insertInto('portal_messages')
      .values({
        id,
        token_hash: sha256(token),
        message_id: o.messageId ?? null,
        sender: o.sender,
        recipient: o.recipient,
        spool_key: spoolKey,
        sealed_key: sealSecret(key.toString('hex'), this.kek()),
        passphrase_hash: o.passphrase ? await hashPassword(o.passphrase) : null,
        read_receipt: o.readReceipt ? 1 : 0,
        code_hash: null,
        code_expires: null,
        code_attempts: 0,
        codes_sent: 0,
        codes_window: null,
        created_at: at,
        expires_at: expiresAt,
        revoked_at: null,
        first_read_at: null,
      })
      .execute();
    return { id, token, expiresAt: new Date(expiresAt) };
  }

  async byToken(token: string): Promise<PortalRow | null> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    return ((await this.db.selectFrom('portal_messages').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst()) as PortalRow | undefined) ?? null;
  }

  async byId(id: string): Promise<PortalRow | null> {
    return ((await this.db.selectFrom('portal_messages').selectAll().where('id', '=', id).executeTakeFirst()) as PortalRow | undefined) ?? null;
  }

  async list(limit = 200): Promise<PortalRow[]> {
    return (await this.db.selectFrom('portal_messages').selectAll().orderBy('created_at', 'desc').limit(limit).execute()) as PortalRow[];
  }

  state(r: PortalRow): PortalState {
    if (r.revoked_at !== null) return 'revoked';
    return Number(r.expires_at) <= this.now().getTime() ? 'expired' : 'ok';
  }

  async open(r: PortalRow): Promise<Buffer> {
    const sealed = await this.store.spool.read(r.spool_key);
    const key = Buffer.from(openSecret(r.sealed_key, this.kek()), 'hex');
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
    d.setAAD(Buffer.from(r.id));
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
  }

  /** A new one-time code, or null when CODES_PER_HOUR were sent in the last hour. */
  async issueCode(r: PortalRow): Promise<string | null> {
    const at = this.now().getTime();
    const windowStart = r.codes_window === null || at - Number(r.codes_window) > 3600_000 ? at : Number(r.codes_window);
    const sent = windowStart === at ? 0 : Number(r.codes_sent);
    if (sent >= CODES_PER_HOUR) return null;
    const code = String(randomInt(0, 100_000_000)).padStart(8, '0');
    await this.db
      .updateTable('portal_messages')
      .set({ code_hash: sha256(`${r.id}:${code}`), code_expires: at + CODE_TTL_MS, code_attempts: 0, codes_sent: sent + 1, codes_window: windowStart })
      .where('id', '=', r.id)
      .execute();
    return code;
  }

  /** Checks the current code (and the passphrase when one is set); each wrong try counts. */
  async verify(r: PortalRow, code: string, passphrase: string): Promise<'ok' | 'wrong' | 'expired'> {
    const at = this.now().getTime();
    if (!r.code_hash || r.code_expires === null || Number(r.code_expires) < at || Number(r.code_attempts) >= CODE_TRIES) return 'expired';
    const given = Buffer.from(sha256(`${r.id}:${code.replace(/\D/g, '')}`));
    const codeOk = timingSafeEqual(given, Buffer.from(r.code_hash));
    const passOk = r.passphrase_hash ? await checkPassword(passphrase, r.passphrase_hash) : true;
    if (codeOk && passOk) {
      await this.db.updateTable('portal_messages').set({ code_hash: null, code_expires: null }).where('id', '=', r.id).execute();
      return 'ok';
    }
    await this.db.updateTable('portal_messages').set({ code_attempts: Number(r.code_attempts) + 1 }).where('id', '=', r.id).execute();
    return 'wrong';
  }

  /** Marks the first read; true only the first time (for the read receipt). */
  async markRead(r: PortalRow): Promise<boolean> {
    if (r.first_read_at !== null) return false;
    const res = await this.db.updateTable('portal_messages').set({ first_read_at: this.now().getTime() }).where('id', '=', r.id).where('first_read_at', 'is', null).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async revoke(id: string): Promise<boolean> {
    const res = await this.db.updateTable('portal_messages').set({ revoked_at: this.now().getTime() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** For tests and operators: move the expiry (e.g. to now). */
  async setExpiry(id: string, at: Date): Promise<void> {
    await this.db.updateTable('portal_messages').set({ expires_at: at.getTime() }).where('id', '=', id).execute();
  }
}
