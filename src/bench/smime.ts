// `npm run bench:smime`: throughput of the S/MIME engine on 50 KB messages, on one core, beside the
// raw node:crypto bound and PKIjs doing the same work; timing of RSA PKCS#1 v1.5 implicit rejection
// (corrupted padding vs wrong key); and a fuzz run of the EnvelopedData parser.
// Trust level: benchmark tool; generates throw-away keys in memory, reads and writes no key files.
// Options: --seconds N (per measurement, default 3), --fuzz N (default 100000; 0 skips),
//          --timing N (implicit-rejection samples per kind, default 2000), --write-docs FILE.
import 'reflect-metadata';
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign as rsaSign,
  verify as rsaVerify,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';
import * as asn1js from 'asn1js';
import { decryptEnveloped, encryptEnveloped, smimeProtectMessage, unwrapSmime } from '../smime/index.js';
import { SmimeError } from '../smime/errors.js';
import { timeImplicitDecrypt } from '../smime/rsa-pkcs1-implicit.js';

x509.cryptoProvider.set(webcrypto as never);

const MESSAGE_BYTES = 50 * 1024;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const SECONDS = arg('seconds', 3);
const FUZZ = arg('fuzz', 100_000);
const TIMING = arg('timing', 2000);
const docsIdx = process.argv.indexOf('--write-docs');
const DOCS = docsIdx > 0 ? process.argv[docsIdx + 1] : undefined;

interface Identity {
  certDer: Buffer;
  key: KeyObject;
  cryptoKey: webcrypto.CryptoKey;
  pkcs8: Buffer;
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

async function makeIdentities(): Promise<{ ca: Buffer; ee: Identity }> {
  const caKeys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Bench Root CA, O=Sealgate Bench',
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 86_400_000),
    keys: caKeys,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const eeKeys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ee = await x509.X509CertificateGenerator.create({
    serialNumber: '1001',
    subject: 'CN=bench, E=bench@example.test',
    issuer: ca.subject,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 86_400_000),
    publicKey: eeKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.emailProtection]),
      new x509.SubjectAlternativeNameExtension([{ type: 'email', value: 'bench@example.test' }]),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', eeKeys.privateKey));
  return {
    ca: Buffer.from(ca.rawData),
    ee: { certDer: Buffer.from(ee.rawData), key: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }), cryptoKey: eeKeys.privateKey, pkcs8 },
  };
}

function message(bytes: number): Buffer {
  const head =
    'From: Dr A <a@clinic.example.test>\r\nTo: b@partner.example.test\r\nSubject: bench\r\n' +
    'Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <bench@clinic.example.test>\r\nMIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=us-ascii\r\n\r\n';
  const lines: string[] = [];
  let n = head.length;
  for (let i = 0; n < bytes; i++) {
    const l = `Patient ${i} MRN ${String(100000 + i)} HbA1c ${(5 + (i % 30) / 10).toFixed(1)}% follow-up in ${i % 12} weeks.`;
    lines.push(l);
    n += l.length + 2;
  }
  return Buffer.from(head + lines.join('\r\n') + '\r\n', 'latin1');
}

/**
 * Measures several functions interleaved in 250 ms slices (SECONDS of work each, after a warm-up),
 * so that load changes on a shared machine hit every contender alike; returns operations per second.
 */
async function measureInterleaved(fns: Record<string, () => unknown>): Promise<Record<string, number>> {
  const SLICE_NS = 250_000_000n;
  const rounds = Math.max(1, Math.round(SECONDS * 4));
  const count: Record<string, number> = {};
  const ns: Record<string, bigint> = {};
  for (const [name, fn] of Object.entries(fns)) {
    count[name] = 0;
    ns[name] = 0n;
    const warm = Date.now() + 300;
    while (Date.now() < warm) await fn();
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(fns)) {
      const t0 = process.hrtime.bigint();
      let now = t0;
      while (now - t0 < SLICE_NS) {
        await fn();
        count[name]!++;
        now = process.hrtime.bigint();
      }
      ns[name]! += now - t0;
    }
  }
  return Object.fromEntries(Object.keys(fns).map((k) => [k, count[k]! / (Number(ns[k]!) / 1e9)]));
}

// --- PKIjs: SignedData (with signed attributes) then EnvelopedData (RSA-OAEP: WebCrypto has no PKCS#1 v1.5 encryption)
function pkijsSetup(): void {
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'] }));
}

async function pkijsSignEnvelope(content: Buffer, certDer: Buffer, key: webcrypto.CryptoKey): Promise<ArrayBuffer> {
  const cert = pkijs.Certificate.fromBER(certDer);
  const digest = createHash('sha256').update(content).digest();
  const signed = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: '1.2.840.113549.1.7.1',
      eContent: new asn1js.OctetString({ valueHex: new Uint8Array(content).buffer }),
    }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new pkijs.Attribute({ type: '1.2.840.113549.1.9.3', values: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' })] }),
            new pkijs.Attribute({ type: '1.2.840.113549.1.9.5', values: [new asn1js.UTCTime({ valueDate: new Date() })] }),
            new pkijs.Attribute({ type: '1.2.840.113549.1.9.4', values: [new asn1js.OctetString({ valueHex: digest })] }),
          ],
        }),
      }),
    ],
    certificates: [cert],
  });
  await signed.sign(key as unknown as Parameters<typeof signed.sign>[0], 0, 'SHA-256');
  const signedDer = new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: signed.toSchema(true) }).toSchema().toBER(false);
  const env = new pkijs.EnvelopedData();
  env.addRecipientByCertificate(cert, { oaepHashAlgorithm: 'SHA-256' }, 1);
  await env.encrypt({ name: 'AES-CBC', length: 256 } as Parameters<typeof env.encrypt>[0], signedDer);
  return new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.3', content: env.toSchema() }).toSchema().toBER(false);
}

async function pkijsDecryptVerify(der: ArrayBuffer, certDer: Buffer, pkcs8: Buffer, caDer: Buffer): Promise<boolean> {
  const cert = pkijs.Certificate.fromBER(certDer);
  const env = new pkijs.EnvelopedData({ schema: pkijs.ContentInfo.fromBER(der).content });
  const signedDer = await env.decrypt(0, { recipientCertificate: cert, recipientPrivateKey: new Uint8Array(pkcs8).buffer });
  const signed = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(signedDer).content });
  const r = await signed.verify({ signer: 0, trustedCerts: [pkijs.Certificate.fromBER(caDer)], checkChain: true });
  return r === true;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Replaces the 256-byte encryptedKey of the (single) RSA RecipientInfo. */
function withEncryptedKey(der: Buffer, ek: Buffer): Buffer {
  const marker = Buffer.from([0x04, 0x82, 0x01, 0x00]);
  const i = der.indexOf(marker);
  if (i < 0) throw new Error('encryptedKey not found');
  const out = Buffer.from(der);
  ek.copy(out, i + 4);
  return out;
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const say = (s: string) => {
    lines.push(s);
    console.log(s);
  };
  const { ca, ee } = await makeIdentities();
  const msg = message(MESSAGE_BYTES);
  const signer = { certificate: ee.certDer, privateKey: ee.key };
  const recipients = [{ certificate: ee.certDer }];
  const keys = [{ certificate: ee.certDer, privateKey: ee.key }];
  const send = () => smimeProtectMessage(msg, [{ sign: signer }, { encrypt: recipients }]);
  const sample = send();
  const check = unwrapSmime(sample, { keys, trustAnchors: [ca] });
  if (!check.signaturesValid || !check.message.equals(msg)) throw new Error('round trip failed: the benchmark would measure nothing');
  const receive = () => unwrapSmime(sample, { keys, trustAnchors: [ca] });

  const priv = ee.key;
  const rawSend = () => {
    const sig = rsaSign('sha256', msg, priv);
    const cek = randomBytes(32);
    const iv = randomBytes(16);
    const c = createCipheriv('aes-256-cbc', cek, iv);
    const ct = Buffer.concat([c.update(msg), c.final()]);
    const ek = publicEncrypt({ key: priv, padding: constants.RSA_PKCS1_PADDING }, cek);
    return [sig, ct, ek];
  };
  const rawCek = randomBytes(32);
  const rawIv = randomBytes(16);
  const rawCt = (() => {
    const c = createCipheriv('aes-256-cbc', rawCek, rawIv);
    return Buffer.concat([c.update(msg), c.final()]);
  })();
  const rawEk = publicEncrypt({ key: priv, padding: constants.RSA_PKCS1_OAEP_PADDING }, rawCek);
  const rawSig = rsaSign('sha256', msg, priv);
  const rawReceive = () => {
    const cek = privateDecrypt({ key: priv, padding: constants.RSA_PKCS1_OAEP_PADDING }, rawEk);
    const d = createDecipheriv('aes-256-cbc', cek, rawIv);
    const pt = Buffer.concat([d.update(rawCt), d.final()]);
    return rsaVerify('sha256', pt, priv, rawSig);
  };

  pkijsSetup();
  const pkijsSample = await pkijsSignEnvelope(msg, ee.certDer, ee.cryptoKey);
  let pkijsReceiveOk = false;
  try {
    pkijsReceiveOk = await pkijsDecryptVerify(pkijsSample, ee.certDer, ee.pkcs8, ca);
  } catch (e) {
    say(`(PKIjs decrypt+verify failed: ${(e as Error).message})`);
  }

  say(`S/MIME engine benchmark: ${MESSAGE_BYTES / 1024} KB message, RSA-2048, SHA-256, AES-256-CBC, RSA PKCS#1 v1.5 key transport, one core, ${SECONDS} s per contender, interleaved in 250 ms slices`);
  say(`node ${process.version}, ${new Date().toISOString()}`);
  const sendRates = await measureInterleaved({ ours: send, raw: rawSend, pkijs: () => pkijsSignEnvelope(msg, ee.certDer, ee.cryptoKey) });
  const recvRates = await measureInterleaved({
    ours: receive,
    raw: rawReceive,
    ...(pkijsReceiveOk ? { pkijs: () => pkijsDecryptVerify(pkijsSample, ee.certDer, ee.pkcs8, ca) } : {}),
  });
  const [oursSend, rawS, pkiS] = [sendRates.ours!, sendRates.raw!, sendRates.pkijs!];
  const [oursRecv, rawR, pkiR] = [recvRates.ours!, recvRates.raw!, recvRates.pkijs ?? NaN];
  const f = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(0));
  const r = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(2));
  say('');
  say('| operation | ours (MIME + CMS) ops/s | raw node:crypto bound ops/s | PKIjs ops/s | ours/raw (target ≥ 0.5) | ours/PKIjs (target ≥ 3) |');
  say('|---|---|---|---|---|---|');
  say(`| sign + encrypt | ${f(oursSend)} | ${f(rawS)} | ${f(pkiS)} | ${r(oursSend / rawS)} | ${r(oursSend / pkiS)} |`);
  say(`| decrypt + verify | ${f(oursRecv)} | ${f(rawR)} | ${f(pkiR)} | ${r(oursRecv / rawR)} | ${r(oursRecv / pkiR)} |`);
  say('');
  say('raw bound, send: one RSA-2048 PKCS#1 v1.5 SHA-256 signature over the message + AES-256-CBC over it + one RSA public-key encryption (PKCS#1 v1.5).');
  say('raw bound, receive: one RSA-2048 private decryption (OAEP: Node 20 refuses PKCS#1 v1.5 private decryption) + AES-256-CBC decryption + one RSA signature verification.');
  say('ours, send: smimeProtectMessage(sign (multipart/signed, signed attributes, header protection), encrypt (EnvelopedData, base64 MIME)).');
  say('ours, receive: unwrapSmime (parse MIME, decrypt with implicit rejection, verify signature and the certificate path to the CA: one more RSA verification than the raw bound).');
  say('PKIjs 4.0 with node webcrypto: SignedData with signed attributes, then EnvelopedData with RSA-OAEP-SHA256 (its only RSA key transport on WebCrypto); no MIME; receive = decrypt + verify with chain check.');

  // --- implicit rejection timing: full decryptEnveloped path, corrupted padding vs wrong key
  const pubKey = ee.key;
  const k = pubKey.asymmetricKeyDetails!.modulusLength! / 8;
  const base = encryptEnveloped(msg, recipients, { cipher: 'aes-256-cbc', keyTransport: 'rsa-pkcs1' });
  const badPadding = () => {
    const m = randomBytes(k);
    m[0] = 0;
    m[1] = 0x03; // block type must be 0x02
    return publicEncrypt({ key: pubKey, padding: constants.RSA_NO_PADDING }, m);
  };
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const n = Buffer.from(pubKey.export({ format: 'jwk' }).n as string, 'base64url');
  // A wrong-key ciphertext numerically ≥ our modulus is rejected publicly (as OpenSSL does) and says
  // nothing about padding; keep only those below n, which is what an attacker would send.
  const wrongKey = (): Buffer => {
    for (;;) {
      const c = publicEncrypt({ key: other.publicKey, padding: constants.RSA_PKCS1_PADDING }, randomBytes(32));
      if (Buffer.compare(c, n) < 0) return c;
    }
  };
  const kinds = ['corrupted padding', 'wrong key'] as const;
  const make = { 'corrupted padding': badPadding, 'wrong key': wrongKey };
  const sets = Object.fromEntries(kinds.map((kd) => [kd, Array.from({ length: 32 }, () => withEncryptedKey(base, make[kd]()))])) as Record<(typeof kinds)[number], Buffer[]>;
  const times: Record<string, number[]> = { 'corrupted padding': [], 'wrong key': [] };
  const outcomes: Record<string, Record<string, number>> = { 'corrupted padding': {}, 'wrong key': {} };
  const key = { certificate: ee.certDer, privateKey: ee.key };
  for (let i = 0; i < 50; i++) for (const s of Object.values(sets)) try { decryptEnveloped(s[0]!, key); } catch { /* warm-up */ }
  for (let i = 0; i < TIMING; i++) {
    for (const name of kinds) {
      const s = sets[name];
      let o: string;
      const t0 = process.hrtime.bigint();
      try {
        decryptEnveloped(s[i % s.length]!, key);
        o = 'returned garbage (valid CBC padding by chance)';
      } catch (e) {
        o = e instanceof SmimeError ? `SmimeError ${e.code} "${e.message}"` : `crash: ${(e as Error).message}`;
      }
      times[name]!.push(Number(process.hrtime.bigint() - t0) / 1000);
      outcomes[name]![o] = (outcomes[name]![o] ?? 0) + 1;
    }
  }
  const cp = times['corrupted padding']!;
  const wk = times['wrong key']!;
  say('');
  say(`Implicit rejection (decryptEnveloped of a 50 KB AES-256-CBC EnvelopedData, ${TIMING} samples each, interleaved; 32 distinct ciphertexts of each kind):`);
  say('| ciphertext | mean µs | p99 µs | outcomes |');
  say('|---|---|---|---|');
  for (const name of kinds) {
    const xs = times[name]!;
    say(`| ${name} | ${mean(xs).toFixed(0)} | ${pct(xs, 99).toFixed(0)} | ${Object.entries(outcomes[name]!).map(([o, c]) => `${o}: ${c}`).join('; ')} |`);
  }
  say(`ratio corrupted/wrong-key: mean ${(mean(cp) / mean(wk)).toFixed(3)}, p99 ${(pct(cp, 99) / pct(wk, 99)).toFixed(3)}`);
  const rsaOnly = timeImplicitDecrypt(ee.key, [sets['corrupted padding'].map(() => badPadding()), sets['wrong key'].map(() => wrongKey())], TIMING);
  say(`RSA step alone (timeImplicitDecrypt, medians): corrupted ${(rsaOnly.medianNs[0]! / 1000).toFixed(0)} µs, wrong key ${(rsaOnly.medianNs[1]! / 1000).toFixed(0)} µs, ratio ${(rsaOnly.medianNs[0]! / rsaOnly.medianNs[1]!).toFixed(3)}`);

  // --- fuzz
  if (FUZZ > 0) {
    let fuzz: ((n: number) => { iterations: number; outcomes: Record<string, number>; maxMs: number; totalMs: number; failures: unknown[] }) | undefined;
    try {
      fuzz = (await import('../smime/fuzz-enveloped.js')).fuzzEnveloped;
    } catch {
      say('fuzzEnveloped not available: fuzz run skipped');
    }
    if (fuzz) {
      const rep = fuzz(FUZZ);
      say('');
      say(`Fuzz: ${rep.iterations} mutated EnvelopedData/AuthEnvelopedData inputs through decryptEnveloped in ${(rep.totalMs / 1000).toFixed(1)} s, slowest ${rep.maxMs.toFixed(1)} ms`);
      say(`outcomes: ${Object.entries(rep.outcomes).map(([o, n]) => `${o} ${n}`).join(', ')}; crashes: ${rep.outcomes.crash ?? 0}`);
    }
  }

  if (DOCS) await writeDocs(DOCS, lines);
}

const HEADING = '## S/MIME engine (npm run bench:smime)';

/** Replaces (or appends) only this benchmark's section of the file. */
async function writeDocs(path: string, lines: string[]): Promise<void> {
  const old = await readFile(path, 'utf8').catch(() => '# Benchmarks\n');
  const body: string[] = [];
  for (const l of lines) {
    const prevTable = body.length > 0 && body[body.length - 1]!.startsWith('|');
    if (!l.startsWith('|') && body.length && body[body.length - 1] !== '') body.push('');
    else if (l.startsWith('|') && !prevTable && body.length && body[body.length - 1] !== '') body.push('');
    body.push(l);
  }
  const section =
    `${HEADING}\n\nCommand: \`npm run bench:smime\` (= \`npm run build && node dist/bench/smime.js\`; options ` +
    `\`--seconds N --fuzz N --timing N --write-docs docs/benchmarks.md\`). Shared 2-core VM with other jobs running: ` +
    `absolute numbers vary from run to run; the ratios compare measurements taken in the same process.\n\n` +
    `${body.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
  const start = old.indexOf(HEADING);
  let next: string;
  if (start < 0) next = `${old.trimEnd()}\n\n${section}`;
  else {
    const after = old.indexOf('\n## ', start + HEADING.length);
    next = old.slice(0, start) + section + (after < 0 ? '' : old.slice(after + 1));
  }
  await writeFile(path, next.endsWith('\n') ? next : `${next}\n`);
}

await main();
