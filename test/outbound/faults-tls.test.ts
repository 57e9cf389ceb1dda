// TLS-enforced delivery fails closed: a message variant marked requireTls (the 'tls' protection
// method) is delivered by the real delivery agent only over TLS 1.2+ with a certificate that
// verifies (system store or the configured trust anchors); a server without STARTTLS or with an
// unverifiable certificate gets nothing and the recipient is deferred. The requirement survives in
// the variant's spool key (retries, restarts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryAgent } from '../../src/delivery/agent.js';
import { defaultLimits } from '../../src/config/limits.js';
import { variantKey, variantRequiresTls } from '../../src/queue/manager.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const quiet = { debug() {}, info() {}, warn() {} };
const body = Buffer.from('From: a@hospital.test\r\nTo: b@partner.test\r\nSubject: x\r\n\r\nconfidential\r\n');
const req = (requireTls: boolean) => ({ messageId: 'q1', direction: 'outbound' as const, sender: 'a@hospital.test', recipients: ['b@partner.test'], body, requireTls });

describe('requireTls delivery', () => {
  let plain: SmtpSink;
  let secure: SmtpSink;
  beforeAll(async () => {
    plain = await startSmtpSink();
    secure = await startSmtpSink({ tls: true });
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), secure?.close()]);
  });

  const agent = (sink: SmtpSink, anchors?: Buffer[]) =>
    createDeliveryAgent({ mode: 'smarthost', host: '127.0.0.1', port: sink.port }, { hostname: 'gw.test', limits: defaultLimits(), logger: quiet, ...(anchors ? { tls: { requestTrustAnchors: anchors } } : {}) });

  it('a server that offers no STARTTLS gets nothing; the recipient is deferred', async () => {
    const a = agent(plain);
    const [r] = await a.deliver(req(true));
    await a.close();
    expect(r).toMatchObject({ status: 'deferred', tls: false });
    expect(r!.reply).toMatch(/TLS required/);
    expect(plain.messages).toHaveLength(0);
  });

  it('a certificate that does not verify (no trust anchor for it) gets nothing', async () => {
    const a = agent(secure);
    const [r] = await a.deliver(req(true));
    await a.close();
    expect(r).toMatchObject({ status: 'deferred' });
    expect(secure.messages).toHaveLength(0);
  });

  it('verified TLS 1.2+ delivers, and the sink saw the message over TLS', async () => {
    const a = agent(secure, [Buffer.from(secure.certPem!)]);
    const [r] = await a.deliver(req(true));
    await a.close();
    expect(r).toMatchObject({ status: 'delivered', tls: true });
    expect(secure.messages).toHaveLength(1);
    expect(secure.messages[0]!.tls).toBe(true);
  });

  it('without requireTls the agent stays opportunistic (plaintext to a server without STARTTLS)', async () => {
    const a = agent(plain);
    const [r] = await a.deliver(req(false));
    await a.close();
    expect(r).toMatchObject({ status: 'delivered', tls: false });
  });

  it('the requirement is kept in the variant spool key', () => {
    expect(variantRequiresTls(variantKey('20261129ABC', 0, true))).toBe(true);
    expect(variantRequiresTls(variantKey('20261129ABC', 3, false))).toBe(false);
    expect(variantRequiresTls('20261129ABC')).toBe(false);
  });
});
