// The sender-set passphrase header is removed from the top-level header block (folded lines too,
// any case), its value returned; bodies and messages without it are left byte-identical.
import { describe, expect, it } from 'vitest';
import { stripPortalPassphrase, takePortalPassphrase, portalPassphraseOf } from '../../src/web/portal-passphrase.js';

const strip = (s: string) => {
  const r = stripPortalPassphrase(Buffer.from(s, 'latin1'));
  return { body: r.body.toString('latin1'), passphrase: r.passphrase };
};

describe('portal passphrase header', () => {
  it('removes the field and keeps the rest exactly, including a body line that looks like it', () => {
    expect(strip('From: a\r\nX-Sealgate-Portal-Passphrase: horse battery\r\nSubject: x\r\n\r\nbody\r\nX-Sealgate-Portal-Passphrase: no\r\n')).toEqual({
      body: 'From: a\r\nSubject: x\r\n\r\nbody\r\nX-Sealgate-Portal-Passphrase: no\r\n',
      passphrase: 'horse battery',
    });
  });
  it('handles the last field, folding and case', () => {
    expect(strip('From: a\r\nSubject: x\r\nx-sealgate-portal-passphrase:  long\r\n  folded\r\n\r\nbody')).toEqual({ body: 'From: a\r\nSubject: x\r\n\r\nbody', passphrase: 'long folded' });
    expect(strip('X-Sealgate-Portal-Passphrase: p\r\nFrom: a\r\n\r\nb')).toEqual({ body: 'From: a\r\n\r\nb', passphrase: 'p' });
  });
  it('leaves other messages untouched (same buffer)', () => {
    const b = Buffer.from('From: a\r\n\r\nX-Sealgate-Portal-Passphrase: body\r\n');
    expect(stripPortalPassphrase(b).body).toBe(b);
  });
  it('keeps the value in the run attrs only', () => {
    const attrs: Record<string, unknown> = {};
    const msg = takePortalPassphrase({ id: 'q1', envelope: { direction: 'outbound', sender: 's@h', recipients: ['r@p'] } as never, body: Buffer.from('X-Sealgate-Portal-Passphrase: pw\r\nFrom: a\r\n\r\nb'), attrs });
    expect(msg.body.toString()).toBe('From: a\r\n\r\nb');
    expect(portalPassphraseOf(msg)).toBe('pw');
  });
});
