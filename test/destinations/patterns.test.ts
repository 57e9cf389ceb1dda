// Registry patterns: what an operator may register, how it is normalized, and which entry wins.
import { describe, expect, test } from 'vitest';
import { DestinationError, candidatePatterns, effectiveWindow, normalizePattern, pickMostSpecific } from '../../src/destinations/index.js';

describe('normalizePattern', () => {
  test('domains, subdomain patterns and addresses are lowercased and typed', () => {
    expect(normalizePattern(' Partner.Example. ')).toEqual({ pattern: 'partner.example', type: 'domain' });
    expect(normalizePattern('.Partner.example')).toEqual({ pattern: '.partner.example', type: 'subdomains' });
    expect(normalizePattern('Dr.Who@Clinic.Example')).toEqual({ pattern: 'dr.who@clinic.example', type: 'address' });
    expect(normalizePattern('bücher.example').pattern).toBe('xn--bcher-kva.example');
  });

  test.each([
    ['', 'is empty'],
    ['com', 'at least two labels'],
    ['.com', 'at least two labels'],
    ['-bad.example', 'not a valid domain'],
    ['a..example', 'not a valid domain'],
    ['192.168.1.1', 'IP address'],
    ['a b@x.example', 'space'],
    ['@x.example', 'not a valid address'],
    ['a@b@x.example', 'not a valid address'],
    ['a..b@x.example', 'invalid local part'],
    ['x'.repeat(65) + '@x.example', 'invalid local part'],
  ])('refuses %j, naming the field', (raw, why) => {
    try {
      normalizePattern(raw);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DestinationError);
      expect((e as DestinationError).field).toBe('pattern');
      expect((e as Error).message).toMatch(/^pattern: /);
      expect((e as Error).message).toContain(why);
    }
  });
});

describe('effective dates', () => {
  test('from is inclusive from 00:00 UTC, until includes its whole day', () => {
    expect(effectiveWindow('2026-01-01', '2026-01-31')).toEqual({ from: Date.UTC(2026, 0, 1), until: Date.UTC(2026, 1, 1) });
  });
  test('bad dates name their field', () => {
    expect(() => effectiveWindow('2026-02-30', undefined)).toThrow(/^effective_from: .*not a calendar date/);
    expect(() => effectiveWindow(undefined, '31/01/2026')).toThrow(/^effective_until: .*YYYY-MM-DD/);
    expect(() => effectiveWindow('2026-02-01', '2026-01-01')).toThrow(/^effective_until: is before effective_from/);
  });
});

describe('most specific entry', () => {
  const e = (pattern: string, from?: number, until?: number) => ({ pattern, effectiveFrom: from ? new Date(from) : null, effectiveUntil: until ? new Date(until) : null });
  const at = new Date(Date.UTC(2026, 5, 1));

  test('candidates run from the address to the widest subdomain pattern', () => {
    expect(candidatePatterns('Bob@Lab.East.Partner.Example')).toEqual([
      'bob@lab.east.partner.example',
      'lab.east.partner.example',
      '.lab.east.partner.example',
      '.east.partner.example',
      '.partner.example',
    ]);
    expect(() => candidatePatterns('partner.example')).toThrow(/^address: /);
  });

  test('address beats exact domain beats subdomain pattern; a closer parent beats a farther one', () => {
    const all = [e('.partner.example'), e('.east.partner.example'), e('lab.east.partner.example'), e('bob@lab.east.partner.example')];
    const pick = (addr: string, entries = all) => pickMostSpecific(candidatePatterns(addr), entries, at)?.pattern ?? null;
    expect(pick('bob@lab.east.partner.example')).toBe('bob@lab.east.partner.example');
    expect(pick('ann@lab.east.partner.example')).toBe('lab.east.partner.example');
    expect(pick('ann@x.east.partner.example')).toBe('.east.partner.example');
    expect(pick('ann@west.partner.example')).toBe('.partner.example');
    expect(pick('ann@partner.example')).toBe('.partner.example');
    expect(pick('ann@partner.example.evil')).toBeNull();
    expect(pick('ann@notpartner.example')).toBeNull();
    // A plain domain entry does not cover its subdomains.
    expect(pick('ann@sub.clinic.example', [e('clinic.example')])).toBeNull();
  });

  test('entries outside their effective window are skipped for the next match', () => {
    const expired = e('bob@partner.example', Date.UTC(2025, 0, 1), Date.UTC(2026, 0, 1));
    const future = e('partner.example', Date.UTC(2027, 0, 1));
    expect(pickMostSpecific(candidatePatterns('bob@partner.example'), [expired, future], at)).toBeNull();
    expect(pickMostSpecific(candidatePatterns('bob@partner.example'), [expired, e('.partner.example')], at)?.pattern).toBe('.partner.example');
    // until is exclusive, from inclusive
    const w = e('partner.example', at.getTime(), at.getTime() + 1);
    expect(pickMostSpecific(['partner.example'], [w], at)).not.toBeNull();
    expect(pickMostSpecific(['partner.example'], [w], new Date(at.getTime() + 1))).toBeNull();
  });
});
