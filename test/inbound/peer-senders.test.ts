// Every S/MIME peer as a SENDER into a real `sealgate start` over real SMTP: gpgsm, NSS cmsutil,
// Bouncy Castle and OpenSSL (RSA PKCS#1 v1.5 and RSA-OAEP) encrypt a header-protected message to the
// proxy certificate of an internal address and to the RFC 3183 domain confidentiality certificate
// (both exported with `sealgate cert export`); each arrives at the internal sink decrypted, the
// inner message byte for byte. Each peer also signs (detached, and opaque for the DER peers): the
// delivered message carries our Authentication-Results saying pass with the signer's address; the
// same signature over altered content says fail. Needs the built CLI (npm run build).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSmtpSink, type SmtpSink, type SinkMessage } from '../helpers/smtp-sink.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, withLimits, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { sendMail, withoutTrace } from '../helpers/send-mail.js';
import { makeTestPki, pemToDer, type TestPki } from '../peers/pki.js';
import { GpgsmPeer } from '../peers/gpgsm.js';
import { NssPeer } from '../peers/nss.js';
import { BcHarness } from '../peers/bc.js';
import { opensslEncrypt } from '../peers/openssl.js';
import { runOk } from '../peers/run.js';
import { wrapMultipartSigned, wrapP7m } from '../peers/mime-extract.js';
import { sinkMessageContaining } from '../helpers/wait-for.js';

const RCPT = 'dr.jones@hospital.test';
const DCA = 'domain-confidentiality-authority@hospital.test';
const SENDER = 'alice@example.test';
let internal: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess;
let pki: TestPki;
let work: string;
let gpgsm: GpgsmPeer;
let nss: NssPeer;
let bc: BcHarness;
/** Exported PEM files: [leaf, issuing CA, root] for the proxy and the domain confidentiality certificate. */
const chains: Record<string, string[]> = {};

function exportChain(address: string, tag: string): string[] {
  const r = sealgate(['cert', 'export', address, '--chain', '--config', setup.config]);
  expect(r.status, r.stderr).toBe(0);
  const pems = r.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!;
  expect(pems).toHaveLength(3);
  return pems.map((p, i) => {
    const f = join(work, `${tag}-${i}.pem`);
    writeFileSync(f, p);
    return f;
  });
}

/** Lets a peer encrypt to our certificates: imports the chain and trusts our root. */
async function trustOurChains(): Promise<void> {
  const env = { ...process.env, GNUPGHOME: gpgsm.home, LC_ALL: 'C' };
  const root = chains.proxy![2]!;
  const fpr = createHash('sha1').update(pemToDer(readFileSync(root, 'utf8'))).digest('hex').toUpperCase();
  appendFileSync(join(gpgsm.home, 'trustlist.txt'), `${fpr} S relax\n`);
  for (const f of [...chains.proxy!, chains.dca![0]!]) await runOk('gpgsm', ['--batch', '--import', f], { env });
  const db = `sql:${nss.dir}`;
  await runOk('certutil', ['-A', '-d', db, '-n', 'sealgate-root', '-t', 'C,C,C', '-i', root]);
  await runOk('certutil', ['-A', '-d', db, '-n', 'sealgate-issuing', '-t', ',,', '-i', chains.proxy![1]!]);
  await runOk('certutil', ['-A', '-d', db, '-n', 'sealgate-proxy', '-t', ',,', '-i', chains.proxy![0]!]);
  await runOk('certutil', ['-A', '-d', db, '-n', 'sealgate-dca', '-t', ',,', '-i', chains.dca![0]!]);
}

beforeAll(async () => {
  [internal, pki, bc] = await Promise.all([startSmtpSink(), makeTestPki(), BcHarness.compile()]);
  work = mkdtempSync(join(tmpdir(), 'sg-peers-in-'));
  setup = await setupGateway({
    internalPort: internal.port,
    edit: (y) => withLimits({ retryBase: 1, retryMax: 2 })(y) + `\ninbound:\n  trustAnchors:\n    - ${pki.caCertPath}\n`,
  });
  chains.proxy = exportChain(RCPT, 'proxy');
  chains.dca = exportChain(DCA, 'dca');
  [gpgsm, nss] = await Promise.all([GpgsmPeer.create(pki, ['alice']), NssPeer.create(pki, ['alice'])]);
  await trustOurChains();
  gw = await startGatewayProcess(setup);
}, 180_000);

afterAll(async () => {
  await gw?.stop();
  await internal?.close();
  await gpgsm?.close();
  await nss?.close();
  if (setup) cleanup(setup.dir);
  if (pki) cleanup(pki.dir);
  if (work) cleanup(work);
  if (bc) cleanup(bc.classDir);
});

const crlf = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

function innerMessage(tag: string): Buffer {
  return Buffer.from(
    [`From: Alice Partner <${SENDER}>`, `To: Dr Jones <${RCPT}>`, `Subject: protected ${tag}`, 'Date: Sun, 29 Nov 2026 20:00:00 +0000',
      `Message-ID: <${tag}@example.test>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=us-ascii', '',
      `Referral for the ${tag} patient, MRN 0012345.`, 'Second line with trailing spaces   ', ''].join('\r\n'),
    'latin1',
  );
}

const headerProtected = (inner: Buffer) => Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), inner]);
const outer = (subject: string, to = RCPT) => `From: ${SENDER}\r\nTo: ${to}\r\nSubject: ${subject}\r\n`;

async function send(data: Buffer) {
  const r = await sendMail(setup.inboundPort, { from: SENDER, to: [RCPT], data });
  expect(r.code, r.final).toBe(250);
}

const deliveredWith = (marker: string, ms = 30_000): Promise<SinkMessage> => sinkMessageContaining(internal, marker, ms);

async function expectDecrypted(tag: string, smime: Buffer, inner: Buffer) {
  await send(smime);
  const m = await deliveredWith(`protected ${tag}`);
  expect(m.recipients).toEqual([RCPT]);
  expect(withoutTrace(m.data).equals(inner)).toBe(true);
}

describe('encrypted by each peer to the proxy and the domain confidentiality certificate: decrypted byte-identical', () => {
  for (const target of ['proxy', 'dca'] as const) {
    const to = () => (target === 'proxy' ? RCPT : DCA);

    test(`gpgsm (RSA PKCS#1 v1.5, AES-256) to the ${target} certificate`, async () => {
      const inner = innerMessage(`gpgsm-${target}`);
      const der = await gpgsm.encrypt(headerProtected(inner), [to()], 'AES256');
      await expectDecrypted(`gpgsm-${target}`, wrapP7m(der, 'enveloped-data', outer('...')), inner);
    });

    test(`NSS cmsutil (RSA PKCS#1 v1.5) to the ${target} certificate`, async () => {
      const inner = innerMessage(`nss-${target}`);
      const der = await nss.encrypt(headerProtected(inner), [to()]);
      await expectDecrypted(`nss-${target}`, wrapP7m(der, 'enveloped-data', outer('...')), inner);
    });

    for (const kt of ['rsa-pkcs1', 'rsa-oaep'] as const) {
      test(`OpenSSL (${kt}, AES-256-CBC) to the ${target} certificate`, async () => {
        const inner = innerMessage(`openssl-${kt}-${target}`);
        const smime = crlf(await opensslEncrypt(headerProtected(inner), [chains[target]![0]!], 'aes-256-cbc', kt));
        await expectDecrypted(`openssl-${kt}-${target}`, smime, inner);
      });
    }
  }

  test('Bouncy Castle (RSA PKCS#1 v1.5 and OAEP, AES-CBC and AES-GCM) to both certificates', async () => {
    const jobs = new Map<string, string[]>();
    const inners = new Map<string, Buffer>();
    for (const target of ['proxy', 'dca'] as const) {
      for (const [kt, cipher] of [['pkcs1', 'aes128cbc'], ['oaep', 'aes256cbc'], ['oaep', 'aes256gcm']] as const) {
        const tag = `bc-${kt}-${cipher}-${target}`;
        const inner = innerMessage(tag);
        inners.set(tag, inner);
        writeFileSync(join(work, `${tag}.in`), headerProtected(inner));
        jobs.set(tag, ['encrypt', cipher, kt, join(work, `${tag}.in`), join(work, `${tag}.der`), chains[target]![0]!]);
      }
    }
    const results = await bc.batch(jobs);
    for (const [tag, r] of results) expect(r.ok, `${tag}: ${r.details}`).toBe(true);
    for (const [tag, inner] of inners) {
      const kind = tag.includes('gcm') ? 'authEnveloped-data' : 'enveloped-data';
      await expectDecrypted(tag, wrapP7m(readFileSync(join(work, `${tag}.der`)), kind, outer('...')), inner);
    }
  }, 120_000);
});

/** Our Authentication-Results fields at the top of a delivered message, unfolded. */
function results(data: Buffer): string[] {
  const out: string[] = [];
  let s = data.toString('latin1');
  for (;;) {
    const m = /^Authentication-Results:[^\r]*\r\n([ \t][^\r]*\r\n)*/.exec(s);
    if (!m) break;
    out.push(m[0].replace(/\r\n[ \t]/g, ' ').trim());
    s = s.slice(m[0].length);
  }
  return out;
}

const entity = (marker: string) => Buffer.from(`Content-Type: text/plain; charset=us-ascii\r\n\r\nPlease pay 100 dollars for ${marker}.\r\n`, 'latin1');

/** Sends a good and a tampered copy of one detached signature; checks pass and fail. */
async function expectPassAndFail(peer: string, sign: (content: Buffer) => Promise<Buffer>) {
  const content = entity(`signed-${peer}`);
  const sig = await sign(content);
  const good = wrapMultipartSigned(content, sig, 'sha-256', outer(`signed by ${peer}`));
  const bad = wrapMultipartSigned(Buffer.from(content.toString('latin1').replace('100 dollars', '900 dollars'), 'latin1'), sig, 'sha-256', outer(`tampered ${peer}`));
  await send(good);
  await send(bad);
  const g = results((await deliveredWith(`Subject: signed by ${peer}`)).data);
  expect(g).toHaveLength(1);
  expect(g[0]).toMatch(/; smime=pass header\.from=alice@example\.test body\.smime-serial=1000 \(valid signature, trusted signer/);
  const b = results((await deliveredWith(`Subject: tampered ${peer}`)).data);
  expect(b).toHaveLength(1);
  expect(b[0]).toMatch(/; smime=fail header\.from=alice@example\.test body\.smime-serial=1000 \(signature invalid: /);
}

/** The same for opaque signed-data (application/pkcs7-mime): the altered copy changes bytes inside the DER. */
async function expectOpaquePassAndFail(peer: string, sign: (content: Buffer) => Promise<Buffer>) {
  const der = await sign(entity(`opaque-${peer}`));
  const bad = Buffer.from(der.toString('latin1').replace('100 dollars', '900 dollars'), 'latin1');
  expect(bad.equals(der)).toBe(false);
  await send(wrapP7m(der, 'signed-data', outer(`opaque by ${peer}`)));
  await send(wrapP7m(bad, 'signed-data', outer(`opaque tampered ${peer}`)));
  const g = results((await deliveredWith(`Subject: opaque by ${peer}`)).data);
  expect(g).toEqual([expect.stringMatching(/; smime=pass header\.from=alice@example\.test body\.smime-serial=1000 \(valid signature, trusted signer/)]);
  const b = results((await deliveredWith(`Subject: opaque tampered ${peer}`)).data);
  expect(b).toEqual([expect.stringMatching(/; smime=fail header\.from=alice@example\.test body\.smime-serial=1000 \(signature invalid: /)]);
}

describe('opaque signed-data by each DER peer: pass; altered inside the DER: fail', () => {
  test('gpgsm', async () => {
    await expectOpaquePassAndFail('gpgsm', (c) => gpgsm.sign(c, SENDER, { detached: false, digest: 'SHA256' }));
  });

  test('NSS cmsutil', async () => {
    await expectOpaquePassAndFail('nss', (c) => nss.sign(c, 'alice', { detached: false, digest: 'SHA256' }));
  });

  test('Bouncy Castle', async () => {
    const alice = pki.ids.alice!;
    await expectOpaquePassAndFail('bc', async (c) => {
      writeFileSync(join(work, 'bc-opaque.in'), c);
      const r = await bc.batch(new Map([['s', ['sign', 'sha256', 'rsa', 'encap', join(work, 'bc-opaque.in'), join(work, 'bc-opaque.der'), alice.certPath, alice.keyPath, pki.caCertPath]]]));
      expect(r.get('s')!.ok, r.get('s')!.details).toBe(true);
      return readFileSync(join(work, 'bc-opaque.der'));
    });
  }, 120_000);
});

describe('signed by each peer: pass with the signer address; altered content: fail', () => {
  test('gpgsm', async () => {
    await expectPassAndFail('gpgsm', (c) => gpgsm.sign(c, SENDER, { detached: true, digest: 'SHA256' }));
  });

  test('NSS cmsutil', async () => {
    await expectPassAndFail('nss', (c) => nss.sign(c, 'alice', { detached: true, digest: 'SHA256' }));
  });

  test('OpenSSL', async () => {
    const alice = pki.ids.alice!;
    await expectPassAndFail('openssl', (c) =>
      runOk('openssl', ['cms', '-sign', '-binary', '-signer', alice.certPath, '-inkey', alice.keyPath, '-md', 'sha256', '-outform', 'DER'], { input: c }),
    );
  });

  test('Bouncy Castle', async () => {
    const alice = pki.ids.alice!;
    await expectPassAndFail('bc', async (c) => {
      writeFileSync(join(work, 'bc-sign.in'), c);
      const r = await bc.batch(new Map([['s', ['sign', 'sha256', 'rsa', 'detached', join(work, 'bc-sign.in'), join(work, 'bc-sign.der'), alice.certPath, alice.keyPath, pki.caCertPath]]]));
      expect(r.get('s')!.ok, r.get('s')!.details).toBe(true);
      return readFileSync(join(work, 'bc-sign.der'));
    });
  }, 120_000);
});
