// The stated memory bound of the S/MIME message layer (src/smime/mime.ts header): for a 25 MB
// message, sign+encrypt and decrypt+verify each raise peak RSS by at most 5 × message size + 64 MB.
// Measured in fresh child processes (process.resourceUsage().maxRSS is the peak), one per direction,
// running the compiled engine, so nothing from the test runner inflates or hides the numbers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, runOk } from '../peers/run.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';

const MESSAGE_BYTES = 25 * 1024 * 1024;
const K = 5;
const CONSTANT_BYTES = 64 * 1024 * 1024;

let pki: TestPki;
let out: string;
const root = process.cwd();

beforeAll(async () => {
  await runOk('mkdir', ['-p', join(root, '.test-work')]);
  out = await mkdtemp(join(root, '.test-work', 'mem-'));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [
    tsc, '--outDir', out, '--rootDir', 'src', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
    '--target', 'ES2022', '--experimentalDecorators', '--esModuleInterop', '--skipLibCheck', '--types', 'node',
    'src/smime/index.ts',
  ], { cwd: root, timeoutMs: 120_000 });
  pki = await makeTestPki();
  await writeFile(join(out, 'probe.mjs'), PROBE);
}, 180_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
  if (pki) await rm(pki.dir, { recursive: true, force: true });
});

// The child: builds (phase "send") or reads (phase "receive") the message, warms up on a small one,
// records RSS, runs the operation once on the big one, and reports peak RSS minus the pre-op RSS.
const PROBE = `
import { readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
const [,, phase, size, certPath, keyPath, caPath, file] = process.argv;
const m = await import(new URL('./smime/index.js', import.meta.url));
const der = (p) => Buffer.from(readFileSync(p, 'utf8').replace(/-----[^-]+-----|\\s+/g, ''), 'base64');
const cert = der(certPath), ca = der(caPath), key = createPrivateKey(readFileSync(keyPath));
function message(n) {
  const head = Buffer.from('From: a@example.test\\r\\nTo: b@example.test\\r\\nSubject: big\\r\\nMIME-Version: 1.0\\r\\nContent-Type: application/octet-stream\\r\\nContent-Transfer-Encoding: base64\\r\\n\\r\\n');
  const line = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\\r\\n');
  const body = Buffer.alloc(Math.floor((n - head.length) / line.length) * line.length);
  for (let i = 0; i < body.length; i += line.length) line.copy(body, i);
  return Buffer.concat([head, body]);
}
const signer = { certificate: cert, privateKey: key };
const send = (msg) => m.smimeProtectMessage(msg, [{ sign: signer }, { encrypt: [{ certificate: cert }], options: { cipher: 'aes-256-gcm' } }]);
const receive = (msg) => m.unwrapSmime(msg, { keys: [{ certificate: cert, privateKey: key }], trustAnchors: [ca] });
receive(send(message(64 * 1024)));  // warm-up: load code paths, JIT, caches
let input = phase === 'send' ? message(Number(size)) : readFileSync(file);
global.gc();
const before = process.memoryUsage().rss;
const t0 = Date.now();
let result;
if (phase === 'send') result = send(input);
else { const r = receive(input); if (!r.signaturesValid || !r.encrypted) throw new Error('unwrap failed'); result = r.message; }
const ms = Date.now() - t0;
const peak = process.resourceUsage().maxRSS * 1024;
if (phase === 'send') writeFileSync(file, result);
process.stdout.write(JSON.stringify({ inputBytes: input.length, outputBytes: result.length, before, peak, extra: peak - before, ms }));
`;

async function probe(phase: 'send' | 'receive', file: string) {
  const id = pki.ids.alice!;
  const r = await run(process.execPath, ['--expose-gc', join(out, 'probe.mjs'), phase, String(MESSAGE_BYTES), id.certPath, id.keyPath, pki.caCertPath, file], {
    cwd: root,
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`probe ${phase} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.toString()) as { inputBytes: number; outputBytes: number; before: number; peak: number; extra: number; ms: number };
}

describe('memory bound for a 25 MB message', () => {
  it(`sign+encrypt and decrypt+verify each stay within ${K} × size + 64 MB of extra peak RSS`, async () => {
    const file = join(out, 'big.eml');
    const send = await probe('send', file);
    const receive = await probe('receive', file);
    const mb = (n: number) => (n / 1048576).toFixed(1);
    console.log(
      `25 MB message: sign+encrypt extra peak RSS ${mb(send.extra)} MB (${(send.extra / send.inputBytes).toFixed(2)} × input, ${send.ms} ms); ` +
        `decrypt+verify extra peak RSS ${mb(receive.extra)} MB (${(receive.extra / send.inputBytes).toFixed(2)} × message, ${receive.ms} ms)`,
    );
    expect(send.inputBytes).toBeGreaterThan(MESSAGE_BYTES - 100);
    expect(send.extra).toBeLessThanOrEqual(K * send.inputBytes + CONSTANT_BYTES);
    expect(receive.extra).toBeLessThanOrEqual(K * send.inputBytes + CONSTANT_BYTES);
  });
});
