// `npm run eval:phi`: precision / recall / F1 of the PHI scorer on the labelled dev corpus
// (../shared/corpus/phi-dev), per kind, the pii confusion, and the misclassified files with their
// masked reasons. Also a k-fold style stability check: the same metrics on disjoint folds.
// Trust level: developer tool over synthetic data; prints only masked reasons.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type PolicyConfig, scoreMessage, type PhiDecision } from '../policy/index.js';
import { loadBundledTerms } from '../policy/lexicon.js';
import { generateHoldout } from './holdout-gen.js';
import { generateHoldoutB } from './holdout-gen-b.js';
import { generateHoldoutC } from './holdout-gen-c.js';
import { generateHoldoutD } from './holdout-gen-d.js';
import { generateHoldoutE } from './holdout-gen-e.js';

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
  /** Threshold chosen on 4 folds (best F1), measured on the 5th: held-out precision/recall. */
  cv: { precision: number; recall: number; thresholds: number[] };
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
  return evaluateMessages(loadLabels(dir).map((l) => ({ ...l, raw: () => readFileSync(join(dir, l.file)) })), cfg, folds);
}

/** The same metrics over labelled messages held in memory (`raw` read lazily). */
export function evaluateMessages(labels: Array<Label & { raw: Buffer | (() => Buffer) }>, cfg?: PolicyConfig, folds = 5): EvalResult {
  let tp = 0, fp = 0, fn = 0, tn = 0;
  const perKind = new Map<string, { label: string; n: number; positive: number }>();
  const pii = new Map<string, { phi: number; pii: number; none: number }>();
  const errors: EvalResult['errors'] = [];
  const foldCounts = Array.from({ length: folds }, () => ({ tp: 0, fp: 0, fn: 0, n: 0 }));
  const scored: Array<{ fold: number; truth: boolean; score: number }> = [];
  labels.forEach((l, idx) => {
    const d = scoreMessage(typeof l.raw === 'function' ? l.raw() : l.raw, cfg);
    scored.push({ fold: idx % folds, truth: l.label === 'phi', score: d.score });
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
  // k-fold threshold selection: pick the F1-best threshold on the other folds, apply it to this one
  const cvCounts = { tp: 0, fp: 0, fn: 0 };
  const thresholds: number[] = [];
  for (let f = 0; f < folds; f++) {
    const train = scored.filter((x) => x.fold !== f);
    let bestT = 50;
    let bestF1 = -1;
    for (let t = 1; t <= 100; t++) {
      let a = 0, b = 0, c = 0;
      for (const x of train) {
        const p = x.score >= t;
        if (p && x.truth) a++;
        else if (p) b++;
        else if (x.truth) c++;
      }
      const f1 = prf(a, b, c).f1;
      // ties: prefer the threshold nearest the default (middle of the plateau, not its edge)
      if (f1 > bestF1 || (f1 === bestF1 && Math.abs(t - 50) < Math.abs(bestT - 50))) {
        bestF1 = f1;
        bestT = t;
      }
    }
    thresholds.push(bestT);
    for (const x of scored.filter((y) => y.fold === f)) {
      const p = x.score >= bestT;
      if (p && x.truth) cvCounts.tp++;
      else if (p) cvCounts.fp++;
      else if (x.truth) cvCounts.fn++;
    }
  }
  const cvm = prf(cvCounts.tp, cvCounts.fp, cvCounts.fn);
  return {
    cv: { precision: cvm.precision, recall: cvm.recall, thresholds },
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
  out.push(`5-fold held-out (threshold chosen on 4 folds, applied to the 5th): precision ${pct(r.cv.precision)}  recall ${pct(r.cv.recall)}  thresholds ${r.cv.thresholds.join(',')}`);
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

/**
 * Unseen-vocabulary simulation: neutralise a random fraction of the bundled lexicon (weight 0,
 * fixed seeds) and re-evaluate. The hidden corpus uses other drugs, diagnoses and wording; this
 * shows how much the decision leans on any particular term list.
 */
export function ablationConfigs(fraction: number, seeds = [1, 2, 3]): PolicyConfig[] {
  const terms = loadBundledTerms();
  return seeds.map((seed) => {
    let a = seed * 2654435761;
    const rnd = () => ((a = (Math.imul(a ^ (a >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 4294967296);
    return { terms: terms.filter(() => rnd() < fraction).map((t) => ({ term: t.term, category: t.category, weight: 0 })) };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const ai = args.indexOf('--ablate');
  const fraction = ai >= 0 ? Number(args.splice(ai, 2)[1]) : 0;
  // --holdout[-b|-c|-d|-e] [SEED]: a generated hold-out corpus (src/bench/holdout-gen*.ts, each written
  // independently; default seeds below) instead of a directory
  const generators: Record<string, { name: string; seed: number; make: (seed: number) => Array<Label & { raw: Buffer }> }> = {
    '--holdout': { name: '', seed: 14, make: generateHoldout },
    '--holdout-b': { name: ' B', seed: 7, make: generateHoldoutB },
    '--holdout-c': { name: ' C', seed: 21, make: generateHoldoutC },
    '--holdout-d': { name: ' D', seed: 31, make: generateHoldoutD },
    '--holdout-e': { name: ' E', seed: 41, make: generateHoldoutE },
  };
  const hi = args.findIndex((a) => a in generators);
  const gen = hi >= 0 ? generators[args[hi]!]! : undefined;
  const seed = gen && /^\d+$/.test(args[hi + 1] ?? '') ? Number(args[hi + 1]) : gen?.seed ?? 0;
  if (gen) args.splice(hi, /^\d+$/.test(args[hi + 1] ?? '') ? 2 : 1);
  const holdout = gen?.make(seed);
  const dir = gen ? `generated hold-out${gen.name} (seed ${seed})` : args[0] ? resolve(args[0]) : DEFAULT_CORPUS;
  const run = (cfg?: PolicyConfig) => (holdout ? evaluateMessages(holdout, cfg) : evaluate(dir, cfg));
  const r = run();
  process.stdout.write(report(r, dir) + '\n');
  if (fraction > 0) {
    process.stdout.write(`\nlexicon ablation: ${Math.round(fraction * 100)}% of bundled terms neutralised (3 seeds)\n`);
    for (const [i, cfg] of ablationConfigs(fraction).entries()) {
      const a = run(cfg);
      process.stdout.write(`  seed ${i + 1}: precision ${pct(a.precision)}  recall ${pct(a.recall)}  F1 ${pct(a.f1)}  (${a.fn} missed: ${[...new Set(a.errors.filter((e) => e.label === 'phi').map((e) => e.kind))].join(', ')})\n`);
    }
  }
  process.exitCode = r.recall >= 0.98 && r.precision >= 0.95 ? 0 : 1;
}
