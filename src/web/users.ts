// Console accounts: argon2id password hashes, roles, sealed TOTP secrets, lockout after repeated
// failures. Used by `sealgate user …`, `sealgate init` and the login page. Every change is audited.
// Trust level: handles passwords in memory only; the database holds hashes and sealed secrets.
import { randomBytes } from 'node:crypto';
import { argon2Verify, argon2id } from 'hash-wasm';
import type { Kysely, Selectable } from 'kysely';
import type { AuditLog } from '../store/types.js';
import type { WebDatabase, WebUsersTable } from '../store/schema.js';

type UserRow = Selectable<WebUsersTable>;
import { openSecret, sealSecret, type Kek } from '../pki/keystore.js';
import { generatePassword } from '../pki/password.js';
import { newTotpSecret, verifyTotp } from './totp.js';

export const ROLES = ['admin', 'privacy-officer', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Failed logins before the account is locked, and for how long. */
export const LOCKOUT_THRESHOLD = 5;
export const LOCKOUT_MS = 15 * 60_000;
/** argon2id cost (OWASP: m=19 MiB, t=2, p=1). */
export const ARGON2 = { memorySize: 19456, iterations: 2, parallelism: 1, hashLength: 32 } as const;

export class UserError extends Error {}

export interface WebUser {
  username: string;
  role: Role;
  hasTotp: boolean;
  disabled: boolean;
  lockedUntil: Date | null;
}

export const hashPassword = (password: string): Promise<string> =>
  argon2id({ password, salt: randomBytes(16), ...ARGON2, outputType: 'encoded' });

export const checkPassword = (password: string, hash: string): Promise<boolean> => argon2Verify({ password, hash }).catch(() => false);

const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function parseRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw new UserError(`role must be one of ${ROLES.join(', ')} (got ${role})`);
  return role as Role;
}

const toUser = (r: UserRow): WebUser => ({
  username: r.username,
  role: r.role as Role,
  hasTotp: r.totp_secret !== null,
  disabled: Number(r.disabled) === 1,
  lockedUntil: r.locked_until === null ? null : new Date(Number(r.locked_until)),
});

export type LoginResult = { ok: true; user: WebUser } | { ok: false; why: 'bad-credentials' | 'locked' | 'disabled' };

export class UserStore {
  private readonly db: Kysely<WebDatabase>;
  constructor(
    db: Kysely<any>,
    private readonly audit: AuditLog,
    private readonly kek: Kek,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.db = db as Kysely<WebDatabase>;
  }

  private row(username: string) {
    return this.db.selectFrom('web_users').selectAll().where('username', '=', username.toLowerCase()).executeTakeFirst() as Promise<UserRow | undefined>;
  }

  async get(username: string): Promise<WebUser | null> {
    const r = await this.row(username);
    return r ? toUser(r) : null;
  }

  async list(): Promise<WebUser[]> {
    return ((await this.db.selectFrom('web_users').selectAll().orderBy('username').execute()) as UserRow[]).map(toUser);
  }

  /**
   * Creates a user with a generated password (returned once). Admins always get a TOTP secret
   * (returned once too); other roles get one when `totp` is true.
   */
  async add(username: string, role: Role, actor: string, opts: { totp?: boolean; password?: string } = {}): Promise<{ password: string; totpSecret?: string }> {
    const name = username.toLowerCase();
    if (!USERNAME.test(name)) throw new UserError(`username must be 1-64 of a-z 0-9 . _ - (got ${username})`);
    if (await this.row(name)) throw new UserError(`user ${name} already exists`);
    const password = opts.password ?? generatePassword();
    const totpSecret = role === 'admin' || opts.totp ? newTotpSecret() : undefined;
    const at = this.now().getTime();
    await this.db
      .insertInto('web_users')
      .values({ username: name, password_hash: await hashPassword(password), role, totp_secret: totpSecret ? sealSecret(totpSecret, this.kek) : null, disabled: 0, failed_count: 0, locked_until: null, created_at: at, updated_at: at })
      .execute();
    await this.audit.append({ type: 'web-user-added', actor, data: { username: name, role, totp: !!totpSecret } });
    return { password, ...(totpSecret ? { totpSecret } : {}) };
  }

  /** New password (and a new TOTP secret for admins or when asked); clears lockout; re-enables. */
  async reset(username: string, actor: string, opts: { totp?: boolean } = {}): Promise<{ password: string; totpSecret?: string }> {
    const r = await this.row(username);
    if (!r) throw new UserError(`no user ${username}`);
    const password = generatePassword();
    const totpSecret = r.role === 'admin' || opts.totp ? newTotpSecret() : undefined;
    await this.db
      .updateTable('web_users')
      .set({ password_hash: await hashPassword(password), totp_secret: totpSecret ? sealSecret(totpSecret, this.kek) : null, disabled: 0, failed_count: 0, locked_until: null, updated_at: this.now().getTime() })
      .where('username', '=', r.username)
      .execute();
    await this.db.deleteFrom('web_sessions').where('kind', '=', 'console').where('subject', '=', r.username).execute();
    await this.audit.append({ type: 'web-user-reset', actor, data: { username: r.username, totp: !!totpSecret } });
    return { password, ...(totpSecret ? { totpSecret } : {}) };
  }

  async disable(username: string, actor: string): Promise<void> {
    const r = await this.row(username);
    if (!r) throw new UserError(`no user ${username}`);
    await this.db.updateTable('web_users').set({ disabled: 1, updated_at: this.now().getTime() }).where('username', '=', r.username).execute();
    await this.db.deleteFrom('web_sessions').where('kind', '=', 'console').where('subject', '=', r.username).execute();
    await this.audit.append({ type: 'web-user-disabled', actor, data: { username: r.username } });
  }

  /** Password check with lockout: LOCKOUT_THRESHOLD failures lock the account for LOCKOUT_MS. */
  async login(username: string, password: string, ip: string): Promise<LoginResult> {
    const r = await this.row(username);
    const at = this.now().getTime();
    const fail = async (why: 'bad-credentials' | 'locked' | 'disabled', extra: Record<string, unknown> = {}): Promise<LoginResult> => {
      await this.audit.append({ type: 'web-login-failed', actor: `web:${ip}`, data: { username: username.toLowerCase().slice(0, 64), why, ...extra } });
      return { ok: false, why };
    };
    if (!r) {
      await hashPassword(password); // same work as a real check: no user enumeration by timing
      return fail('bad-credentials');
    }
    if (Number(r.disabled) === 1) return fail('disabled');
    if (r.locked_until !== null && Number(r.locked_until) > at) return fail('locked');
    if (!(await checkPassword(password, r.password_hash))) {
      const failed = Number(r.failed_count) + 1;
      const lock = failed >= LOCKOUT_THRESHOLD;
      await this.db.updateTable('web_users').set({ failed_count: lock ? 0 : failed, locked_until: lock ? at + LOCKOUT_MS : r.locked_until === null ? null : Number(r.locked_until) }).where('username', '=', r.username).execute();
      if (lock) await this.audit.append({ type: 'web-user-locked', actor: 'system', data: { username: r.username, minutes: LOCKOUT_MS / 60_000 } });
      return fail('bad-credentials', { failed });
    }
    await this.db.updateTable('web_users').set({ failed_count: 0, locked_until: null }).where('username', '=', r.username).execute();
    return { ok: true, user: toUser(r) };
  }

  async checkTotp(username: string, code: string): Promise<boolean> {
    const r = await this.row(username);
    if (!r?.totp_secret) return false;
    return verifyTotp(openSecret(r.totp_secret, this.kek), code, this.now());
  }
}
