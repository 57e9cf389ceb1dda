// `npm run bench:policy`: PHI scorer throughput, single core — (1) the labelled dev corpus,
// (2) a generated message with a 10 MB text attachment (base64). Reports MB/s of message bytes.
// Trust level: developer tool; synthetic data only; prints numbers, never content.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scoreMessage } from '../policy/index.js';

const TARGET_MBPS = 20;

/** Deterministic PRNG (mulberry32) so every run scores the same bytes. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Roughly the mix of a clinical notes export: about one word in five is a health term; the rest is
// ordinary prose and scheduling/administrative language.
const WORDS = ('the patient was seen today for follow up of hypertension and type 2 diabetes mellitus with ' +
  'we will call you next week to discuss the results and any questions you may have about the plan ' +
  'please bring your insurance card and a list of questions to the front desk before the visit ' +
  'she reports that she has been walking every morning and sleeping better since the last time ' +
  'the family was updated by phone and agreed with the plan as discussed at length in the office ' +
  'metformin 500 mg twice daily lisinopril blood pressure reviewed labs including hemoglobin a1c creatinine ' +
  'and lipid panel plan to continue current medications return in three months meeting agenda budget ' +
  'schedule staff training facilities parking update quarterly report committee minutes review of systems ' +
  'negative chest x ray unremarkable referral to cardiology for atrial fibrillation warfarin inr').split(' ');

/** A MIME message with a base64 text/plain attachment of `size` bytes of clinical-looking prose. */
export function makeLargeMessage(size: number, seed = 42): Buffer {
  const r = rng(seed);
  const parts: string[] = [];
  let n = 0;
  let line = '';
  while (n < size) {
    const w = WORDS[Math.floor(r() * WORDS.length)]!;
    line += (line ? ' ' : '') + w;
    if (line.length > 70) {
      if (r() < 0.02) line += ` MRN ${String(Math.floor(r() * 1e8)).padStart(8, '0')}`;
      if (r() < 0.01) line += ` DOB 0${1 + Math.floor(r() * 9)}/1${Math.floor(r() * 9)}/19${50 + Math.floor(r() * 49)}`;
      parts.push(line);
      n += line.length + 2;
      line = '';
    }
  }
  const text = parts.join('\r\n');
  const b64 = Buffer.from(text, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  const head = [
    'From: Bench <bench@sealgate.example>',
    'To: Partner <partner@clinic.example>',
    'Subject: notes export',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'See attached.',
    '--b1',
    'Content-Type: text/plain; charset=utf-8; name="notes.txt"',
    'Content-Disposition: attachment; filename="notes.txt"',
    'Content-Transfer-Encoding: base64',
    '',
  ].join('\r\n');
  return Buffer.from(`${head}\r\n${b64}\r\n--b1--\r\n`, 'latin1');
}

/**
 * CPU seconds (user + system) of this process while fn runs. The target is per core, and the CI
 * machine is shared, so CPU time — not wall time — is what measures the scorer; wall time is
 * reported alongside.
 */
function time(fn: () => void): number {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  lastWall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}
let lastWall = 0;

export function benchCorpus(dir: string, passes = 3): { bytes: number; seconds: number; wall: number; mbps: number; messages: number } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
  const msgs = files.map((f) => readFileSync(join(dir, f)));
  const bytes = msgs.reduce((a, b) => a + b.length, 0);
  for (const m of msgs) scoreMessage(m); // warm-up (lexicon build, JIT)
  const seconds = time(() => {
    for (let p = 0; p < passes; p++) for (const m of msgs) scoreMessage(m);
  });
  return { bytes: bytes * passes, seconds, wall: lastWall, mbps: (bytes * passes) / 1e6 / seconds, messages: msgs.length * passes };
}

export function benchLarge(size = 10 * 1024 * 1024, runs = 3): { bytes: number; seconds: number; wall: number; mbps: number; score: number } {
  const msg = makeLargeMessage(size);
  let score = 0;
  score = scoreMessage(msg).score; // warm-up
  const seconds = time(() => {
    for (let i = 0; i < runs; i++) score = scoreMessage(msg).score;
  });
  return { bytes: msg.length * runs, seconds, wall: lastWall, mbps: (msg.length * runs) / 1e6 / seconds, score };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ? resolve(process.argv[2]) : resolve(process.cwd(), '../shared/corpus/phi-dev');
  const c = benchCorpus(dir);
  process.stdout.write(`dev corpus: ${c.messages} messages, ${(c.bytes / 1e6).toFixed(1)} MB in ${c.seconds.toFixed(2)} CPU-s (${c.wall.toFixed(2)} s wall) = ${c.mbps.toFixed(1)} MB/s per core\n`);
  const l = benchLarge();
  process.stdout.write(`10 MB text attachment (base64 message ${(l.bytes / 3 / 1e6).toFixed(1)} MB): ${l.mbps.toFixed(1)} MB/s per core (${((l.bytes / 1e6) / l.wall).toFixed(1)} MB/s wall; score ${l.score})\n`);
  const ok = c.mbps >= TARGET_MBPS && l.mbps >= TARGET_MBPS;
  process.stdout.write(`target >= ${TARGET_MBPS} MB/s per core: ${ok ? 'met' : 'NOT met'}\n`);
}
