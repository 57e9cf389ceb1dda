// An S/MIME message that OpenSSL encrypted, wrapped on the way in multipart/mixed with a list
// footer: the inbound stage puts the plaintext in place of the encrypted part and leaves the rest
// byte for byte; it says which part was encrypted (X-Sealgate-Decryption) and which part a
// signature covers (body.smime-part). A nested part that is not ours is held like a whole message
// (or delivered as received with `undecryptable: deliver`); a .p7m in a forwarded message or an
// attached .p7m file is left alone; the depth limit; a boundary inside the plaintext.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPrivateKey } from 'node:crypto';
import { createInboundSmimeStage, processInbound, type InboundSmimeOptions } from '../../src/inbound/decrypt-stage.js';
import { findMultipartParts, parseContentType, parseEntity } from '../../src/smime/mime-entity.js';
import type { Envelope } from '../../src/queue/types.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { cleanup } from '../helpers/gateway.js';
import { runOk } from '../peers/run.js';

const HOST = 'mx.hospital.test';
let pki: TestPki;
let opts: InboundSmimeOptions;
beforeAll(async () => {
  pki = await makeTestPki();
  // alice's certificate stands in for our domain certificate; carol's is someone else's.
  opts = { hostname: HOST, keys: async () => [{ privateKey: createPrivateKey(pki.ids.alice!.keyPem) }], trustAnchors: async () => [pki.caCertDer] };
}, 60_000);
afterAll(() => {
  if (pki) cleanup(pki.dir);
});

const crlf = (s: string | Buffer) => Buffer.from(s.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
const env: Envelope = { direction: 'inbound', sender: 'alice@example.test', recipients: ['dr.jones@hospital.test'], clientIp: '127.0.0.1', clientHelo: 'x', tls: false, receivedAt: new Date() };
const ctx = { now: () => new Date(), signal: new AbortController().signal };

/** OpenSSL's encrypted message reduced to its Content-* fields and body: the entity a relay wraps. */
async function encryptedPart(content: Buffer, recip = pki.ids.alice!.certPath): Promise<Buffer> {
  const out = crlf(await runOk('openssl', ['cms', '-encrypt', '-binary', '-aes-256-cbc', '-recip', recip], { input: content })).toString('latin1');
  const [head, body] = [out.slice(0, out.indexOf('\r\n\r\n') + 2), out.slice(out.indexOf('\r\n\r\n') + 4)];
  const fields = head.split(/\r\n(?![ \t])/).filter((f) => /^content-/i.test(f));
  return Buffer.from(`${fields.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

const OUTER = 'Received: from relay.partner.example by mx.hospital.test; Sun, 29 Nov 2026 20:00:00 +0000\r\nFrom: Alice <alice@example.test>\r\nTo: dr.jones@hospital.test\r\nSubject: [partner-list] lab results\r\nMIME-Version: 1.0\r\n';
const FOOTER = crlf('Content-Type: text/plain; charset=us-ascii\n\n-- \nSent through the partner-list. This footer was added by the list.\n');

function wrap(parts: Buffer[], boundary = 'list-b1', head = OUTER): Buffer {
  const pieces: Buffer[] = [Buffer.from(`${head}Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\nPreamble.\r\n`, 'latin1')];
  for (const p of parts) pieces.push(Buffer.from(`--${boundary}\r\n`, 'latin1'), p, Buffer.from('\r\n', 'latin1'));
  pieces.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(pieces);
}

/** `msg` with the bytes `from` replaced by `to` (exactly once). */
function swap(msg: Buffer, from: Buffer, to: Buffer): Buffer {
  const at = msg.indexOf(from);
  expect(at).toBeGreaterThan(0);
  expect(msg.indexOf(from, at + 1)).toBe(-1);
  return Buffer.concat([msg.subarray(0, at), to, msg.subarray(at + from.length)]);
}

describe('an encrypted message with a list footer', () => {
  test('classic S/MIME entity: the plaintext in place of part 1, everything else byte for byte', async () => {
    const entity = crlf('Content-Type: text/plain; charset=us-ascii\n\nPotassium 4.1 mmol/L, marker-nested-1.\n');
    const part = await encryptedPart(entity);
    const msg = wrap([part, FOOTER]);
    const r = await processInbound(msg, opts, new Date());
    expect(r.kind).toBe('continue');
    if (r.kind !== 'continue') return;
    expect(r.body.equals(swap(msg, part, entity))).toBe(true);
    expect(r.decrypted).toBe(1);
    expect(r.partial).toEqual({ decrypted: ['1'], others: ['2'] });
  });

  test('through the stage: X-Sealgate-Decryption says only part 1 was encrypted; a forged field of that name is removed', async () => {
    const entity = crlf('Content-Type: text/plain\n\nmarker-nested-2\n');
    const part = await encryptedPart(entity);
    const msg = wrap([part, FOOTER], 'list-b2', `X-Sealgate-Decryption: none needed\r\n${OUTER}`);
    const v = await createInboundSmimeStage(opts).process({ id: 'q1', envelope: env, body: msg }, ctx);
    expect(v.kind).toBe('continue');
    const body = (v as { body: Buffer }).body;
    const field = 'X-Sealgate-Decryption: partial;\r\n part 1 was encrypted (S/MIME) and is decrypted; part 2 was not encrypted\r\n';
    expect(body.toString('latin1').startsWith(field)).toBe(true);
    expect(body.subarray(field.length).equals(swap(msg.subarray('X-Sealgate-Decryption: none needed\r\n'.length), part, entity))).toBe(true);
    expect((v as { note?: string }).note).toBe('decrypted 1 layer(s) in part(s) 1');
  });

  test('with the visible note, the recipient reads which part was protected and which was not', async () => {
    const part = await encryptedPart(crlf('Content-Type: text/plain\n\nmarker-nested-note\n'));
    const v = await createInboundSmimeStage({ ...opts, visibleNote: true }).process({ id: 'q1', envelope: env, body: wrap([part, FOOTER]) }, ctx);
    const text = (v as { body: Buffer }).body.toString('latin1');
    expect(text).toContain('Only part 1 of this message was sent encrypted; decrypted on arrival.');
    expect(text).toContain('Not protected on the way (added by a list or relay, or sent in the clear): part(s) 2.');
  });

  test('header protection: the inner message becomes a message/rfc822 part; a forged result inside it is removed', async () => {
    const inner = crlf(`Authentication-Results: ${HOST}; smime=pass header.from=ceo@hospital.test\nFrom: alice@example.test\nSubject: protected subject\nMIME-Version: 1.0\nContent-Type: text/plain\n\nmarker-nested-3\n`);
    const part = await encryptedPart(Buffer.concat([crlf('Content-Type: message/rfc822\n\n'), inner]));
    const msg = wrap([part, FOOTER]);
    const r = await processInbound(msg, opts, new Date());
    if (r.kind !== 'continue') throw new Error(r.reason);
    const withoutForged = inner.subarray(inner.indexOf('From:'));
    expect(r.body.equals(swap(msg, part, Buffer.concat([crlf('Content-Type: message/rfc822\n\n'), withoutForged])))).toBe(true);
    expect(r.removedForged).toBe(1);
  });

  test('signed then encrypted: smime=pass for the signer, body.smime-part=1, the comment says it covers part 1 only', async () => {
    const a = pki.ids.alice!;
    const signed = crlf(await runOk('openssl', ['cms', '-sign', '-signer', a.certPath, '-inkey', a.keyPath, '-md', 'sha256'], { input: crlf('Content-Type: text/plain\n\nsigned marker-nested-4\n') }));
    const part = await encryptedPart(signed);
    const r = await processInbound(wrap([part, FOOTER]), opts, new Date());
    if (r.kind !== 'continue') throw new Error(r.reason);
    expect(r.body.toString('latin1')).toMatch(
      /^Authentication-Results: mx\.hospital\.test;\r\n smime=pass header\.from=alice@example\.test body\.smime-serial=1000 body\.smime-part=1\r\n \(part 1 only: valid signature, trusted signer\)\r\n(Received|Content-Type|From)/,
    );
    expect(r.body.toString('latin1')).toContain('multipart/signed');
    expect(r.body.toString('latin1')).toContain('This footer was added by the list.');
  });

  test('a boundary line inside the plaintext: the multipart gets a fresh boundary and stays valid', async () => {
    const entity = crlf('Content-Type: text/plain\n\nbefore\n--list-b9\nContent-Type: text/html\n\n<script>x</script>\n--list-b9--\nmarker-nested-5\n');
    const msg = wrap([await encryptedPart(entity), FOOTER], 'list-b9');
    const r = await processInbound(msg, opts, new Date());
    if (r.kind !== 'continue') throw new Error(r.reason);
    const top = parseEntity(r.body);
    expect(top.header.toString('latin1').startsWith(OUTER)).toBe(true);
    const b = parseContentType(top.fields.find((f) => f.key === 'content-type')!.value).params.get('boundary')!;
    expect(b).not.toBe('list-b9');
    const { parts, closed } = findMultipartParts(top.body, b);
    expect(closed).toBe(true);
    expect(parts.map((p) => top.body.subarray(p.start, p.end).toString('latin1'))).toEqual([entity.toString('latin1'), FOOTER.toString('latin1')]);
  });
});

describe('fail closed, and what is not ours', () => {
  test('a nested part encrypted to someone else: held, naming the part', async () => {
    const msg = wrap([await encryptedPart(crlf('Content-Type: text/plain\n\nsecret\n'), pki.ids.carol!.certPath), FOOTER]);
    expect(await processInbound(msg, opts, new Date())).toEqual({ kind: 'hold', reason: expect.stringMatching(/^inbound-smime: part 1: cannot decrypt: not encrypted to a key of ours/) });
    const audits: Array<{ type: string; data: Record<string, unknown> }> = [];
    const held = await createInboundSmimeStage({ ...opts, audit: async (e) => audits.push(e) }).process({ id: 'q1', envelope: env, body: msg }, ctx);
    expect(held.kind).toBe('hold');
    expect(audits.map((a) => a.type)).toEqual(['smime-undecryptable']);
  });

  test('one part ours, another not: the whole message is held (no partial delivery)', async () => {
    const ours = await encryptedPart(crlf('Content-Type: text/plain\n\nours\n'));
    const theirs = await encryptedPart(crlf('Content-Type: text/plain\n\ntheirs\n'), pki.ids.carol!.certPath);
    const r = await processInbound(wrap([ours, FOOTER, theirs]), opts, new Date());
    expect(r).toEqual({ kind: 'hold', reason: expect.stringMatching(/^inbound-smime: part 3: cannot decrypt: /) });
  });

  test('undecryptable: deliver: the message as received with the reason naming the part', async () => {
    const msg = wrap([await encryptedPart(crlf('Content-Type: text/plain\n\nsecret\n'), pki.ids.carol!.certPath), FOOTER]);
    const v = await createInboundSmimeStage({ ...opts, undecryptable: 'deliver' }).process({ id: 'q1', envelope: env, body: msg }, ctx);
    const body = (v as { body: Buffer }).body.toString('latin1');
    expect(body).toMatch(/^X-Sealgate-Decryption: failed \(inbound-smime: part 1: cannot decrypt: not encrypted to a key of ours/);
    expect(body.endsWith(msg.toString('latin1'))).toBe(true);
  });

  test('an encrypted message forwarded as message/rfc822, and an attached report.p7m: left alone, same bytes', async () => {
    const part = await encryptedPart(crlf('Content-Type: text/plain\n\nforwarded secret\n'));
    const forwarded = Buffer.concat([crlf('Content-Type: message/rfc822\nContent-Disposition: attachment; filename="fwd.eml"\n\nFrom: bob@example.test\nSubject: fwd\nMIME-Version: 1.0\n'), part]);
    const file = Buffer.from(part.toString('latin1').replace(/smime\.p7m/g, 'report.p7m'), 'latin1');
    expect(file.toString('latin1')).toMatch(/filename="report\.p7m"/);
    const msg = wrap([FOOTER, forwarded, file]);
    const r = await processInbound(msg, opts, new Date());
    expect(r).toEqual({ kind: 'continue', body: msg, decrypted: 0, reports: [], removedForged: 0 });
    expect((r as { body: Buffer }).body).toBe(msg);
  });

  test('depth limit: a part in multipart/mixed four levels down is left alone by default, opened with maxDepth 4', async () => {
    const entity = crlf('Content-Type: text/plain\n\nmarker-deep\n');
    const part = await encryptedPart(entity);
    const level = (inner: Buffer, b: string) => Buffer.concat([Buffer.from(`Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n--${b}\r\n`), inner, Buffer.from(`\r\n--${b}--\r\n`)]);
    const msg = wrap([level(level(level(part, 'd4'), 'd3'), 'd2'), FOOTER]);
    const r = await processInbound(msg, opts, new Date());
    expect((r as { body: Buffer }).body).toBe(msg);
    const deeper = await processInbound(msg, { ...opts, nested: { maxDepth: 4, maxParts: 100 } }, new Date());
    if (deeper.kind !== 'continue') throw new Error(deeper.reason);
    expect(deeper.body.equals(swap(msg, part, entity))).toBe(true);
    expect(deeper.partial).toEqual({ decrypted: ['1.1.1.1'], others: ['2'] });
  });

  test('part limit: an encrypted part after the first maxParts parts is not looked at', async () => {
    const msg = wrap([FOOTER, FOOTER, await encryptedPart(crlf('Content-Type: text/plain\n\nlate\n'))]);
    expect((await processInbound(msg, { ...opts, nested: { maxDepth: 3, maxParts: 2 } }, new Date()) as { body: Buffer }).body).toBe(msg);
  });
});
