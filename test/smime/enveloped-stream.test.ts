// Streaming encryption: a 25 MB message is encrypted chunk by chunk into indefinite-length BER
// (as `openssl cms -stream` writes it), streamed to disk, and decrypted by the real openssl.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptEnveloped, encryptEnvelopedStream, STREAM_SEGMENT_BYTES } from '../../src/smime/enveloped.js';
import { loadPrivateKey, pemToDer } from '../../src/smime/keys.js';
import { walkBer } from '../../src/smime/der-limits.js';

let dir: string;
const p = (f: string) => join(dir, f);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealgate-stream-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=stream', '-days', '2',
    '-keyout', p('k.pem'), '-out', p('c.pem')], { stdio: 'pipe' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function source(totalBytes: number, chunk: number, hash: ReturnType<typeof createHash>): Readable {
  let left = totalBytes;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(chunk, left);
      const b = randomBytes(n);
      hash.update(b);
      left -= n;
      this.push(b);
    },
  });
}

describe('encryptEnvelopedStream', () => {
  it('a 25 MB message encrypted as a stream (AES-256-CBC) decrypts with openssl cms', async () => {
    const cert = pemToDer(readFileSync(p('c.pem')), ['CERTIFICATE']);
    const h = createHash('sha256');
    await pipeline(source(25 * 1024 * 1024, 1024 * 1024 + 7, h), encryptEnvelopedStream([{ certificate: cert }]), createWriteStream(p('big.p7m')));
    const first = readFileSync(p('big.p7m')).subarray(0, 2);
    expect(first.equals(Buffer.from([0x30, 0x80]))).toBe(true); // indefinite-length BER
    execFileSync('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', p('big.p7m'), '-recip', p('c.pem'),
      '-inkey', p('k.pem'), '-out', p('big.out')], { stdio: 'pipe' });
    const got = createHash('sha256').update(readFileSync(p('big.out'))).digest('hex');
    expect(got).toBe(h.digest('hex'));
  }, 120_000);

  it('AES-GCM stream (AuthEnvelopedData) decrypts with openssl and with us; segments stay bounded', async () => {
    const cert = pemToDer(readFileSync(p('c.pem')), ['CERTIFICATE']);
    const h = createHash('sha256');
    await pipeline(source(300_000, 4096, h), encryptEnvelopedStream([{ certificate: cert }], { cipher: 'aes-128-gcm' }), createWriteStream(p('gcm.p7m')));
    const der = readFileSync(p('gcm.p7m'));
    const plain = decryptEnveloped(der, { certificate: cert, privateKey: loadPrivateKey(readFileSync(p('k.pem'))) });
    const want = h.digest('hex');
    expect(createHash('sha256').update(plain).digest('hex')).toBe(want);
    const theirs = execFileSync('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', p('gcm.p7m'), '-recip', p('c.pem'), '-inkey', p('k.pem')], { maxBuffer: 1 << 24 });
    expect(createHash('sha256').update(theirs).digest('hex')).toBe(want);
    // The encrypted content is a constructed [0] of OCTET STRING segments, none over the bound.
    const { root } = walkBer(der);
    const eci = root.children![1]!.children![0]!.children![2]!;
    const ec = eci.children![2]!;
    expect(ec.constructed && ec.indefinite).toBe(true);
    for (const seg of ec.children!) expect(seg.contentEnd - seg.contentStart).toBeLessThanOrEqual(STREAM_SEGMENT_BYTES + 4096);
  });

  it('a bad recipient certificate fails at once, not on the first write', () => {
    expect(() => encryptEnvelopedStream([{ certificate: Buffer.from('not a certificate') }])).toThrow(expect.objectContaining({ code: 'invalid-input' }));
  });
});
