// `npm run eval:phi`: precision / recall / F1 of the PHI scorer on the labelled dev corpus
// (../shared/corpus/phi-dev), per kind, the pii confusion, and the misclassified files with their
// masked reasons. Also a k-fold style stability check: the same metrics on disjoint folds.
// Trust level: developer tool over synthetic data; prints only masked reasons.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type PolicyConfig, scoreMessage, type PhiDecision } from '../policy/index.js';

export interface Label {
  file: string;
  label: 'phi' | 'clean' | 'pii_only';
  kind: string;
}

export interface EvalResult {
  tp: number; fp: number; fn: number; tn: number;
  precision: number; recall: number; f1: number;
  perKind: Map<string, { label: string; n: number; positive: number }>;
  pii: Map<string, { phi: number; pii: number; none: number }>;
  errors: Array<{ file: string; label: string; kind: string; d: PhiDecision }>;
  folds: Array<{ precision: number; recall: number; n: number }>;
}

export const DEFAULT_CORPUS = resolve(process.cwd(), '../shared/corpus/phi-dev');

export function loadLabels(dir: string): Label[] {
  return readFileSync(join(dir, 'labels.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Label);
}

function prf(tp: number, fp: number, fn: number) {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

export function evaluate(dir = DEFAULT_CORPUS, cfg?: PolicyConfig, folds = 5): EvalResult {
  const labels = loadLabels(dir);
  let tp = 0, fp = 0, fn = 0, tn = 0;
  const perKind = new Map<string, { label: string; n: number; positive: number }>();
  const pii = new Map<string, { phi: number; pii: number; none: number }>();
  const errors: EvalResult['errors'] = [];
  const foldCounts = Array.from({ length: folds }, () => ({ tp: 0, fp: 0, fn: 0, n: 0 }));
  labels.forEach((l, idx) => {
    const d = scoreMessage(readFileSync(join(dir, l.file)), cfg);
    const truth = l.label === 'phi';
    const f = foldCounts[idx % folds]!;
    f.n++;
    if (truth && d.phi) { tp++; f.tp++; }
    else if (!truth && d.phi) { fp++; f.fp++; }
    else if (truth && !d.phi) { fn++; f.fn++; }
    else tn++;
    if (truth !== d.phi) errors.push({ file: l.file, label: l.label, kind: l.kind, d });
    const k = perKind.get(l.kind) ?? { label: l.label, n: 0, positive: 0 };
    k.n++;
    if (d.phi) k.positive++;
    perKind.set(l.kind, k);
    const c = pii.get(l.label) ?? { phi: 0, pii: 0, none: 0 };
    if (d.phi) c.phi++;
    else if (d.pii) c.pii++;
    else c.none++;
    pii.set(l.label, c);
  });
  return {
    tp, fp, fn, tn, ...prf(tp, fp, fn), perKind, pii, errors,
    folds: foldCounts.map((f) => ({ ...prf(f.tp, f.fp, f.fn), n: f.n })),
  };
}

function pct(x: number): string {
  return x.toFixed(3);
}

export function report(r: EvalResult, dir: string): string {
  const out: string[] = [];
  out.push(`PHI scorer on ${dir}`);
  out.push(`messages: ${r.tp + r.fp + r.fn + r.tn}  tp=${r.tp} fp=${r.fp} fn=${r.fn} tn=${r.tn}`);
  out.push(`phi: precision ${pct(r.precision)}  recall ${pct(r.recall)}  F1 ${pct(r.f1)}  (targets: recall >= 0.98, precision >= 0.95)`);
  out.push('folds (file order modulo 5): ' + r.folds.map((f, i) => `#${i + 1} P=${pct(f.precision)} R=${pct(f.recall)}`).join('  '));
  out.push('', 'per kind:');
  for (const [kind, k] of [...r.perKind.entries()].sort((a, b) => a[1].label.localeCompare(b[1].label) || a[0].localeCompare(b[0]))) {
    const metric = k.label === 'phi' ? `recall ${pct(k.positive / k.n)}` : `false-positive rate ${pct(k.positive / k.n)}`;
    out.push(`  ${k.label.padEnd(8)} ${kind.padEnd(26)} n=${String(k.n).padStart(3)}  ${metric}`);
  }
  out.push('', 'pii confusion (label -> predicted phi / pii-only / none):');
  for (const [label, c] of r.pii) out.push(`  ${label.padEnd(8)} phi=${c.phi} pii=${c.pii} none=${c.none}`);
  out.push('', `misclassified (${r.errors.length}):`);
  for (const e of r.errors) {
    out.push(`  ${e.file} ${e.label}/${e.kind} -> phi=${e.d.phi} score=${e.d.score}`);
    for (const reason of e.d.reasons.slice(0, 8)) out.push(`      ${reason.category} x${reason.count} [${reason.where.join(', ')}] ${reason.samples.slice(0, 2).join('; ')}`);
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ? resolve(process.argv[2]) : DEFAULT_CORPUS;
  const r = evaluate(dir);
  process.stdout.write(report(r, dir) + '\n');
  process.exitCode = r.recall >= 0.98 && r.precision >= 0.95 ? 0 : 1;
}
