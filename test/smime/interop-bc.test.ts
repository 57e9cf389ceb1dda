// Interop with Bouncy Castle 1.72 (Debian libbcprov/libbcpkix; what Java gateways and Direct Project
// HISPs use), both directions, every algorithm BC has: AES-CBC/GCM (EnvelopedData and
// AuthEnvelopedData), RSA PKCS#1 v1.5 / OAEP SHA-1 / OAEP SHA-256, ECDH P-256, RSA/PSS/ECDSA
// signatures with SHA-2. The Java harness is compiled by javac here and runs every job in one JVM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smimeDecryptMessage, smimeEncryptMessage, smimeSignMessage, smimeVerifyMessage } from '../../src/smime/index.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { BcHarness, type BcJobResult } from '../peers/bc.js';
import { InteropMatrix } from '../peers/matrix.js';
import { extractMultipartSigned, extractP7m, wrapMultipartSigned, wrapP7m } from '../peers/mime-extract.js';
import { assertEndsWith, assertHeaderProtected, keyOf, largeMessage, sampleEntity, sampleMessage } from '../peers/fixtures.js';

const CIPHERS = ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc', 'aes-128-gcm', 'aes-256-gcm'] as const;
const KTS = ['rsa-pkcs1', 'rsa-oaep', 'rsa-oaep-sha256', 'ecdh-p256'] as const;
const DIGESTS = ['sha256', 'sha384', 'sha512'] as const;
const SCHEMES = ['rsa-pkcs1', 'rsa-pss', 'ecdsa-p256'] as const;
const FORMS = ['detached', 'opaque'] as const;
const BC_KT = { 'rsa-pkcs1': 'pkcs1', 'rsa-oaep': 'oaep', 'rsa-oaep-sha256': 'oaep256', 'ecdh-p256': 'pkcs1' } as const;
const BC_SCHEME = { 'rsa-pkcs1': 'rsa', 'rsa-pss': 'pss', 'ecdsa-p256': 'ecdsa' } as const;

let pki: TestPki;
let bc: BcHarness;
let work: string;
const matrix = new InteropMatrix();

beforeAll(async () => {
  [pki, bc, work] = await Promise.all([makeTestPki(), BcHarness.compile(), mkdtemp(join(tmpdir(), 'sealgate-bcwork-'))]);
}, 180_000);

afterAll(async () => {
  console.log(`\nInterop matrix: Bouncy Castle 1.72\n${matrix.render()}\n`);
  for (const d of [pki?.dir, bc?.classDir, work]) if (d) await rm(d, { recursive: true, force: true });
});

describe('Bouncy Castle 1.72', () => {
  it('encryption and signatures, both directions, in one JVM batch', async () => {
    const msg = sampleMessage('bc');
    const entity = sampleEntity('bc');
    const entityPath = join(work, 'entity.txt');
    await writeFile(entityPath, entity);
    const jobs = new Map<string, string[]>();
    const checks: { op: string; alg: string; dir: 'ours→peer' | 'peer→ours'; job: string; check: (r: BcJobResult) => Promise<void> }[] = [];
    const f = (name: string) => join(work, name);
    let n = 0;

    for (const cipher of CIPHERS) {
      for (const kt of KTS) {
        const id = kt === 'ecdh-p256' ? pki.ids.bob! : pki.ids.alice!;
        const alg = `${cipher} + ${kt}`;
        // ours → BC
        const j1 = `e${n++}`;
        try {
          const enc = smimeEncryptMessage(msg, [{ certificate: id.certDer }], { cipher, keyTransport: kt === 'ecdh-p256' ? undefined : kt });
          await writeFile(f(`${j1}.der`), extractP7m(enc));
          jobs.set(j1, ['decrypt', f(`${j1}.der`), f(`${j1}.out`), id.certPath, id.keyPath]);
          checks.push({ op: 'encrypt', alg, dir: 'ours→peer', job: j1, check: async () => assertHeaderProtected(await readFile(f(`${j1}.out`)), msg) });
        } catch (e) {
          checks.push({ op: 'encrypt', alg, dir: 'ours→peer', job: j1, check: async () => { throw e; } });
        }
        // BC → ours
        const j2 = `e${n++}`;
        jobs.set(j2, ['encrypt', cipher.replace(/-/g, ''), BC_KT[kt], entityPath, f(`${j2}.der`), id.certPath]);
        checks.push({
          op: 'encrypt',
          alg,
          dir: 'peer→ours',
          job: j2,
          check: async () => {
            const der = await readFile(f(`${j2}.der`));
            const m = wrapP7m(der, cipher.endsWith('gcm') ? 'authEnveloped-data' : 'enveloped-data');
            const { message, layer } = smimeDecryptMessage(m, { certificate: id.certDer, privateKey: keyOf(id) });
            assertEndsWith(message, entity, 'decrypted');
            expect(layer.cipher).toBe(cipher);
          },
        });
      }
    }
    // 3 MB: above MimeLimits.streamEncryptBytes, so ours is streamed indefinite-length BER.
    {
      const big = largeMessage(3 * 1024 * 1024);
      const bob = pki.ids.bob!;
      await writeFile(f('big.der'), extractP7m(smimeEncryptMessage(big, [{ certificate: bob.certDer }], { cipher: 'aes-128-gcm' })));
      jobs.set('big', ['decrypt', f('big.der'), f('big.out'), bob.certPath, bob.keyPath]);
      checks.push({ op: 'encrypt', alg: '3 MB message, streamed BER (aes-128-gcm + ecdh-p256)', dir: 'ours→peer', job: 'big', check: async () => assertHeaderProtected(await readFile(f('big.out')), big) });
    }
    // Three recipients of mixed key types in one message, OAEP-SHA256 for the RSA ones.
    {
      const all = [pki.ids.alice!, pki.ids.bob!, pki.ids.carol!];
      const enc = smimeEncryptMessage(msg, all.map((i) => ({ certificate: i.certDer, keyTransport: 'rsa-oaep-sha256' as const })), { cipher: 'aes-256-gcm' });
      await writeFile(f('multi.der'), extractP7m(enc));
      for (const i of all) {
        jobs.set(`m-${i.name}`, ['decrypt', f('multi.der'), f(`multi-${i.name}.out`), i.certPath, i.keyPath]);
        checks.push({
          op: 'encrypt',
          alg: `aes-256-gcm, 3 recipients: ${i.name}`,
          dir: 'ours→peer',
          job: `m-${i.name}`,
          check: async () => assertHeaderProtected(await readFile(f(`multi-${i.name}.out`)), msg),
        });
      }
    }

    for (const digest of DIGESTS) {
      for (const scheme of SCHEMES) {
        for (const form of FORMS) {
          const id = scheme === 'ecdsa-p256' ? pki.ids.bob! : pki.ids.alice!;
          const alg = `${scheme} ${digest} ${form}`;
          const j1 = `s${n++}`;
          try {
            const signed = smimeSignMessage(
              msg,
              { certificate: id.certDer, privateKey: keyOf(id), chain: [pki.caCertDer] },
              { detached: form === 'detached', digest, rsaPss: scheme === 'rsa-pss', signatureTypes: ['domainSig'] },
            );
            if (form === 'detached') {
              const { content, signature } = extractMultipartSigned(signed);
              await writeFile(f(`${j1}.p7s`), signature);
              await writeFile(f(`${j1}.content`), content);
              jobs.set(j1, ['verify', f(`${j1}.p7s`), f(`${j1}.out`), pki.caCertPath, f(`${j1}.content`)]);
              checks.push({ op: 'sign', alg, dir: 'ours→peer', job: j1, check: async () => assertHeaderProtected(await readFile(f(`${j1}.content`)), msg) });
            } else {
              await writeFile(f(`${j1}.p7m`), extractP7m(signed));
              jobs.set(j1, ['verify', f(`${j1}.p7m`), f(`${j1}.out`), pki.caCertPath]);
              checks.push({ op: 'sign', alg, dir: 'ours→peer', job: j1, check: async () => assertHeaderProtected(await readFile(f(`${j1}.out`)), msg) });
            }
          } catch (e) {
            checks.push({ op: 'sign', alg, dir: 'ours→peer', job: j1, check: async () => { throw e; } });
          }
          const j2 = `s${n++}`;
          jobs.set(j2, ['sign', digest, BC_SCHEME[scheme], form === 'detached' ? 'detached' : 'encap', entityPath, f(`${j2}.der`), id.certPath, id.keyPath, pki.caCertPath]);
          checks.push({
            op: 'sign',
            alg,
            dir: 'peer→ours',
            job: j2,
            check: async () => {
              const der = await readFile(f(`${j2}.der`));
              const m = form === 'detached' ? wrapMultipartSigned(entity, der, `sha-${digest.slice(3)}`) : wrapP7m(der, 'signed-data');
              const v = smimeVerifyMessage(m, { trustAnchors: [pki.caCertDer] });
              if (!v.valid) throw new Error(`not valid: ${v.layer.signers.flatMap((s) => s.failures).join('; ')}`);
              assertEndsWith(v.message, entity, 'verified');
            },
          });
        }
      }
    }
    // Negative cells: tampered detached content must fail on both sides.
    {
      const signed = smimeSignMessage(msg, { certificate: pki.ids.alice!.certDer, privateKey: keyOf(pki.ids.alice!) });
      const { content, signature } = extractMultipartSigned(signed);
      await writeFile(f('t.p7s'), signature);
      await writeFile(f('t.content'), Buffer.from(content.toString('latin1').replace('6.1%', '9.1%'), 'latin1'));
      jobs.set('tamper-out', ['verify', f('t.p7s'), f('t.out'), pki.caCertPath, f('t.content')]);
      jobs.set('tamper-in', ['sign', 'sha256', 'rsa', 'detached', entityPath, f('tin.der'), pki.ids.alice!.certPath, pki.ids.alice!.keyPath]);
    }

    const results = await bc.batch(jobs);

    for (const c of checks) {
      await matrix.cell('bc', c.op, c.alg, c.dir, true, async () => {
        const r = results.get(c.job)!;
        if (!r.ok) throw new Error(`BC: ${r.details}`);
        await c.check(r);
      });
    }
    await matrix.cell('bc', 'sign', 'tampered content must fail', 'ours→peer', true, async () => {
      if (results.get('tamper-out')!.ok) throw new Error('BC accepted tampered content');
    });
    await matrix.cell('bc', 'sign', 'tampered content must fail', 'peer→ours', true, async () => {
      const der = await readFile(f('tin.der'));
      const bad = Buffer.from(entity.toString('latin1').replace('0099887', '0099888'), 'latin1');
      if (smimeVerifyMessage(wrapMultipartSigned(bad, der, 'sha-256'), { trustAnchors: [pki.caCertDer] }).valid) throw new Error('accepted');
    });

    expect(matrix.failures()).toEqual([]);
    expect(matrix.cells.length).toBeGreaterThan(80);
  });

  it('MIME level: bcmail on javax.mail parses our S/MIME messages and writes ones we parse', async () => {
    const msg = sampleMessage('bcmail');
    const entity = sampleEntity('bcmail');
    const entityPath = join(work, 'm-entity.txt');
    await writeFile(entityPath, entity);
    const f = (name: string) => join(work, name);
    const jobs = new Map<string, string[]>();
    const checks: { op: string; alg: string; dir: 'ours→peer' | 'peer→ours'; job: string; check: () => Promise<void> }[] = [];
    const sigCases = [
      ['rsa-pkcs1', 'sha256', pki.ids.alice!],
      ['rsa-pss', 'sha384', pki.ids.alice!],
      ['ecdsa-p256', 'sha512', pki.ids.bob!],
    ] as const;
    for (const [scheme, digest, id] of sigCases) {
      for (const form of FORMS) {
        const alg = `MIME: ${scheme} ${digest} ${form}`;
        const j1 = `mv-${scheme}-${form}`;
        await writeFile(f(`${j1}.eml`), smimeSignMessage(msg, { certificate: id.certDer, privateKey: keyOf(id), chain: [pki.caCertDer] }, { detached: form === 'detached', digest, rsaPss: scheme === 'rsa-pss' }));
        jobs.set(j1, ['mverify', f(`${j1}.eml`), f(`${j1}.out`), pki.caCertPath]);
        checks.push({ op: 'sign', alg, dir: 'ours→peer', job: j1, check: async () => assertEndsWith(await readFile(f(`${j1}.out`)), msg, 'content seen by bcmail') });
        const j2 = `ms-${scheme}-${form}`;
        jobs.set(j2, ['msign', digest, BC_SCHEME[scheme], form === 'detached' ? 'detached' : 'encap', entityPath, f(`${j2}.eml`), id.certPath, id.keyPath, pki.caCertPath]);
        checks.push({
          op: 'sign',
          alg,
          dir: 'peer→ours',
          job: j2,
          check: async () => {
            const v = smimeVerifyMessage(await readFile(f(`${j2}.eml`)), { trustAnchors: [pki.caCertDer] });
            if (!v.valid) throw new Error(`not valid: ${v.layer.signers.flatMap((x) => x.failures).join('; ')}`);
            expect(v.message.toString('latin1')).toContain('PHI from bcmail: MRN 0099887.\r\nSecond line.\r\n');
          },
        });
      }
    }
    for (const cipher of CIPHERS) {
      for (const kt of ['rsa-pkcs1', 'rsa-oaep-sha256', 'ecdh-p256'] as const) {
        const id = kt === 'ecdh-p256' ? pki.ids.bob! : pki.ids.alice!;
        const alg = `MIME: ${cipher} + ${kt}`;
        const j1 = `md-${cipher}-${kt}`;
        await writeFile(f(`${j1}.eml`), smimeEncryptMessage(msg, [{ certificate: id.certDer }], { cipher, keyTransport: kt === 'ecdh-p256' ? undefined : kt }));
        jobs.set(j1, ['mdecrypt', f(`${j1}.eml`), f(`${j1}.out`), id.certPath, id.keyPath]);
        checks.push({ op: 'encrypt', alg, dir: 'ours→peer', job: j1, check: async () => assertHeaderProtected(await readFile(f(`${j1}.out`)), msg) });
        if (cipher.endsWith('gcm')) continue; // bcmail 1.72 has no AuthEnvelopedData generator
        const j2 = `me-${cipher}-${kt}`;
        jobs.set(j2, ['mencrypt', cipher.replace(/-/g, ''), BC_KT[kt], entityPath, f(`${j2}.eml`), id.certPath]);
        checks.push({
          op: 'encrypt',
          alg,
          dir: 'peer→ours',
          job: j2,
          check: async () => {
            const d = smimeDecryptMessage(await readFile(f(`${j2}.eml`)), { certificate: id.certDer, privateKey: keyOf(id) });
            expect(d.layer.cipher).toBe(cipher);
            expect(d.message.toString('latin1')).toContain('PHI from bcmail: MRN 0099887.\r\nSecond line.\r\n');
            expect(d.message.toString('latin1')).toMatch(/^Subject: bcmail interop\r$/m);
          },
        });
      }
    }
    const results = await bc.batch(jobs);
    for (const c of checks) {
      await matrix.cell('bc', c.op, c.alg, c.dir, true, async () => {
        const r = results.get(c.job)!;
        if (!r.ok) throw new Error(`BC: ${r.details}`);
        await c.check();
      });
    }
    expect(matrix.failures()).toEqual([]);
  });
});
