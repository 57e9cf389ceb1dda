// What the generated PHI hold-outs (holdout-gen*.ts) share: the labels and message shape, the dev
// corpus's 28 kinds with their counts (../shared/corpus/phi-dev/README.md), and the small helpers
// that draw from a seeded PRNG. Each generator's wording and vocabularies stay its own author's.
// Trust level: developer tool; pure.

export type HoldoutLabel = 'phi' | 'clean' | 'pii_only';

export interface HoldoutMessage {
  file: string;
  label: HoldoutLabel;
  kind: string;
  raw: Buffer;
}

/** The dev corpus README's kinds and counts (each generator scales them to its total). */
export const HOLDOUT_KINDS: ReadonlyArray<[HoldoutLabel, string, number]> = [
  ['phi', 'referral_letter', 14], ['phi', 'discharge_summary', 13], ['phi', 'lab_result', 14],
  ['phi', 'pathology_report', 10], ['phi', 'radiology_report', 11], ['phi', 'claim_billing', 13],
  ['phi', 'remittance_advice', 10], ['phi', 'rx_refill_request', 12], ['phi', 'prior_authorization', 12],
  ['phi', 'appointment_followup', 13], ['phi', 'care_coordination_thread', 15], ['phi', 'patient_result_reply', 13],
  ['phi', 'patient_list_csv', 12], ['phi', 'attachment_only_phi', 18],
  ['clean', 'health_newsletter', 20], ['clean', 'aggregate_statistics', 20], ['clean', 'pharma_device_sales', 18],
  ['clean', 'conference_cme', 18], ['clean', 'research_abstract', 16], ['clean', 'operations_notice', 24],
  ['clean', 'staff_schedule', 18], ['clean', 'guideline_discussion', 18], ['clean', 'job_posting', 16],
  ['clean', 'general_business', 12],
  ['pii_only', 'payroll_hr', 12], ['pii_only', 'staff_directory', 10], ['pii_only', 'new_hire_paperwork', 10],
  ['pii_only', 'vendor_tax_form', 8],
];

/** A seeded PRNG (prng in src/smime/fuzz-enveloped.ts): floats in [0, 1). */
export type Rand = () => number;
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
export const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
export const digits = (r: Rand, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += String(int(r, 0, 9));
  return s;
};
export const chance = (r: Rand, p: number): boolean => r() < p;
export const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * The kinds to generate, `total` messages in the dev proportions (at least one of each), shuffled
 * with r (Fisher-Yates): the plan every generator follows.
 */
export function planKinds(r: Rand, total: number): Array<[HoldoutLabel, string]> {
  const sum = HOLDOUT_KINDS.reduce((a, k) => a + k[2], 0);
  const plan: Array<[HoldoutLabel, string]> = [];
  for (const [label, kind, n] of HOLDOUT_KINDS) for (let i = 0; i < Math.max(1, Math.round((n * total) / sum)); i++) plan.push([label, kind]);
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  return plan;
}

/** Another element of xs than `first` (which is in xs), drawn with r. */
export function another<T>(r: Rand, xs: readonly T[], first: T): T {
  return xs[(xs.indexOf(first) + int(r, 1, xs.length - 1)) % xs.length]!;
}
