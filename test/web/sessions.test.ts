// Console and portal sessions against a real SQLite store with an injected clock: the cookie token
// is never stored (only its hash), sessions end after the idle timeout and after the absolute
// timeout even when used, and a session of one kind is not accepted as the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { CONSOLE_ABSOLUTE_MS, CONSOLE_IDLE_MS, Sessions } from '../../src/web/auth.js';
import type { Ctx } from '../../src/web/http.js';

let dir: string;
let store: OpenedStore;
let now = Date.UTC(2026, 10, 29, 8, 0, 0);
const clock = () => new Date(now);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-sess-'));
  store = await openStore({ database: { kind: 'sqlite', file: join(dir, 'db.sqlite') }, spoolDir: join(dir, 'spool') });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A request/response pair carrying cookies, enough for Sessions. */
function ctxWith(cookies: Record<string, string>): Ctx & { setCookies: string[] } {
  const headers = new Map<string, unknown>();
  const res = { setHeader: (k: string, v: unknown) => headers.set(k.toLowerCase(), v), getHeader: (k: string) => headers.get(k.toLowerCase()) } as unknown as ServerResponse;
  const c = { req: {} as IncomingMessage, res, url: new URL('https://x/'), method: 'GET', params: {}, ip: '127.0.0.1', cookies } as Ctx;
  Object.defineProperty(c, 'setCookies', { get: () => (headers.get('set-cookie') as string[] | undefined) ?? [] });
  return c as Ctx & { setCookies: string[] };
}

async function started(kind: 'console' | 'portal') {
  const sessions = new Sessions(store.db, clock);
  const c = ctxWith({});
  await sessions.start(c, kind, 'alice', true);
  const line = c.setCookies[c.setCookies.length - 1]!;
  const [name, token] = line.split(';')[0]!.split('=');
  return { sessions, cookies: { [name!]: token! }, line };
}

describe('sessions', () => {
  it('sets a Secure HttpOnly SameSite=Strict cookie and stores only the token hash', async () => {
    const { line, cookies } = await started('console');
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/Secure/);
    expect(line).toMatch(/SameSite=Strict/);
    const token = Object.values(cookies)[0]!;
    const rows = (await store.db.selectFrom('web_sessions' as never).selectAll().execute()) as Array<{ id: string }>;
    expect(rows.some((r) => r.id === token)).toBe(false);
  });

  it('ends after the idle timeout', async () => {
    const { sessions, cookies } = await started('console');
    now += CONSOLE_IDLE_MS - 1000;
    expect(await sessions.load(ctxWith(cookies), 'console')).not.toBeNull();
    now += CONSOLE_IDLE_MS + 1000;
    expect(await sessions.load(ctxWith(cookies), 'console')).toBeNull();
  });

  it('ends after the absolute timeout even when kept busy', async () => {
    const { sessions, cookies } = await started('console');
    const end = now + CONSOLE_ABSOLUTE_MS + 1000;
    while (now < end - CONSOLE_IDLE_MS / 2) {
      now += CONSOLE_IDLE_MS / 2;
      expect(await sessions.load(ctxWith(cookies), 'console')).not.toBeNull();
    }
    now = end;
    expect(await sessions.load(ctxWith(cookies), 'console')).toBeNull();
  });

  it('does not accept a portal session as a console session', async () => {
    const { sessions, cookies } = await started('portal');
    expect(await sessions.load(ctxWith({ sg_session: Object.values(cookies)[0]! }), 'console')).toBeNull();
    expect(await sessions.load(ctxWith(cookies), 'portal')).not.toBeNull();
  });
});
