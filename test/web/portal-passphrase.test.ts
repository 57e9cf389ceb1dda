// The sender-set passphrase header is removed from the top-level header block (folded lines too,
// any case), its value returned; bodies and messages without it are left byte-identical. The
// protection stage takes it out before any method runs (each method, whichever it is, receives
// bytes without it and finds the value in the run's attrs) and on the paths that pass the message
// on (plain delivery without signing, desktop-encrypted mail).
import { describe, expect, it } from 'vitest';
import { createProtectStage } from '../../src/outbound/protect-stage.js';
import type { MethodContext, MethodName, PolicyDecision, ProtectionMethod } from '../../src/outbound/types.js';
import type { StageMessage } from '../../src/pipeline/stage.js';
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

  describe('in the protection stage', () => {
    const RAW = 'From: dr@hospital.test\r\nTo: a@p.example, b@p.example\r\nX-Sealgate-Portal-Passphrase: s3cret words\r\nSubject: x\r\n\r\nbody\r\n';
    const decision = (action: PolicyDecision['action']): PolicyDecision => ({ action, phi: action === 'protect', pii: false, score: 0, threshold: 1, reasons: [], why: [], notAllowed: [] });
    const seen: Array<{ method: MethodName; body: string; passphrase?: string }> = [];
    // Stand-ins for two different methods (what they receive is what this test is about).
    const method = (name: MethodName, serves: string): ProtectionMethod => ({
      name,
      async protect(ctx: MethodContext) {
        if (ctx.recipient !== serves) return { kind: 'unavailable', why: 'not this one' };
        seen.push({ method: name, body: ctx.body.toString('latin1'), ...(portalPassphraseOf(ctx.msg) ? { passphrase: portalPassphraseOf(ctx.msg)! } : {}) });
        return { kind: 'protected', body: Buffer.from(`${name}:${ctx.body.toString('latin1')}`), why: name };
      },
    });
    const stage = createProtectStage({
      keys: {} as never,
      methods: new Map<MethodName, ProtectionMethod>([['smime', method('smime', 'a@p.example')], ['portal', method('portal', 'b@p.example')]]),
      order: ['smime', 'portal', 'hold'],
      domainSign: false,
      domains: ['hospital.test'],
      audit: async () => undefined,
    });
    const run = (attrs: Record<string, unknown>) =>
      stage.process({ id: 'q1', envelope: { direction: 'outbound', sender: 'dr@hospital.test', recipients: ['a@p.example', 'b@p.example'] } as never, body: Buffer.from(RAW), attrs } as StageMessage, { now: () => new Date(), signal: new AbortController().signal });

    it('every method gets the message without the header; the value is in attrs', async () => {
      const v = await run({ policy: decision('protect') });
      expect(seen.map((x) => x.method)).toEqual(['smime', 'portal']);
      for (const x of seen) {
        expect(x.body).not.toMatch(/portal-passphrase/i);
        expect(x.passphrase).toBe('s3cret words');
      }
      expect(v.kind === 'continue' && v.variants!.map((x) => x.body.toString('latin1')).join('')).not.toMatch(/portal-passphrase|s3cret/i);
    });
    it('plain delivery and desktop-encrypted mail pass on without it', async () => {
      for (const attrs of [{ policy: decision('deliver') }, { userEncrypted: 'smime' }]) {
        const v = await run(attrs);
        expect(v.kind).toBe('continue');
        expect(v.kind === 'continue' && v.body!.toString('latin1')).toBe(RAW.replace('X-Sealgate-Portal-Passphrase: s3cret words\r\n', ''));
      }
    });
  });
});
