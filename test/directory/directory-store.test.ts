// The directory_certs table (migration 0004_directory) on both real databases: a stored certificate
// is listed for its address (found ones apart from harvested ones), a second store refreshes its
// capabilities and message id without duplicating it, and removal works.
import { afterAll, describe, expect, it } from 'vitest';
import { makeBackend, type Backend } from '../store/backends.js';
import { DirectoryStore } from '../../src/directory/store.js';

const backends: Backend[] = [];
afterAll(async () => {
  for (const b of backends) await b.cleanup();
});

describe.each(['sqlite', 'postgres'] as const)('directory_certs on %s', (kind) => {
  it('stores, lists, refreshes and removes', async () => {
    const b = await makeBackend(kind, 'dircerts');
    backends.push(b);
    const t = new DirectoryStore((await b.open()).db);
    const base = { address: 'Alice@Partner.test', der: Buffer.from([0x30, 1, 2]), chain: [Buffer.from([0x30, 3])], notAfter: new Date(2030, 0, 1), addedAt: new Date(2026, 0, 1) };
    await t.put({ ...base, fingerprint: 'AA', source: 'ldap', origin: 'ldap://x' });
    await t.put({ ...base, fingerprint: 'BB', source: 'harvested', origin: 'signed mail', capabilities: ['2.16.840.1.101.3.4.1.46'], messageId: 'M1' });
    const found = await t.list('alice@partner.test', false);
    expect(found.map((c) => [c.fingerprint, c.source, c.origin])).toEqual([['AA', 'ldap', 'ldap://x']]);
    expect(found[0]!.chain[0]).toEqual(Buffer.from([0x30, 3]));
    expect(found[0]!.notAfter).toEqual(new Date(2030, 0, 1));
    const harvested = await t.list('alice@partner.test', true);
    expect(harvested).toHaveLength(1);
    expect(harvested[0]).toMatchObject({ capabilities: ['2.16.840.1.101.3.4.1.46'], messageId: 'M1' });

    // the same certificate harvested again from another message: refreshed, not duplicated
    await t.put({ ...base, fingerprint: 'BB', source: 'harvested', origin: 'signed mail', capabilities: ['2.16.840.1.101.3.4.1.6'], messageId: 'M2', addedAt: new Date(2026, 1, 1) });
    const again = await t.list('alice@partner.test', true);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ capabilities: ['2.16.840.1.101.3.4.1.6'], messageId: 'M2', addedAt: new Date(2026, 1, 1) });

    await t.remove('alice@partner.test', 'AA');
    expect(await t.list('alice@partner.test', false)).toEqual([]);
  }, 60_000);
});
