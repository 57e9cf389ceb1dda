// PolicyConfig: what an organization may tune in the PHI scorer (YAML key `policy` maps onto it),
// and its validation into a compiled form built once (lexicon trie, compiled patterns).
// Trust level: operator configuration; invalid values throw an Error naming the key, so a bad
// configuration is refused at startup rather than silently weakening inspection.
import { type ExtractLimits, validateExtractLimits } from './limits.js';
import { Lexicon, type LexiconTerm, bundledLexicon, loadBundledTerms } from './lexicon.js';

export interface PolicyTerm {
  term: string;
  /** diagnosis | medication | procedure | test | clinical, or an organization category. */
  category?: string;
  /** Default 2. Use 0 to neutralise a bundled term. */
  weight?: number;
}

export interface PolicyConfig {
  /** Score (0-100) at or above which a message is PHI. Default 50. */
  threshold?: number;
  /** Extra (or re-weighted) lexicon terms. */
  terms?: PolicyTerm[];
  /** Identifier weights by category (e.g. { 'date-of-service': 2 }). */
  identifierWeights?: Record<string, number>;
  /** Organization MRN formats: JavaScript regular-expression sources, e.g. "\\bE\\d{7}\\b". */
  mrnPatterns?: string[];
  /** Organization member / plan ID formats (regex sources). */
  memberIdPatterns?: string[];
  /** Health evidence needed for full weight (default 4). */
  healthSaturation?: number;
  /** Identifier evidence needed for full weight (default 3). */
  identifierSaturation?: number;
  /** Extraction limits (depth, archive size, ...). */
  limits?: Partial<ExtractLimits>;
}

export const DEFAULT_THRESHOLD = 50;

/** Default identifier weights: patient-specific identifiers are strong; contact data is weak. */
export const DEFAULT_ID_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  ssn: 3,
  mrn: 3,
  dob: 3,
  mbi: 3,
  'member-id': 3,
  'account-number': 2.5,
  'reference-number': 0.5,
  'name-in-clinical-context': 3,
  'name-near-health': 2,
  'patient-contact': 2.5,
  'person-name': 0, // reported only (a name without health data around it)
  'tax-id': 0, // a labelled SSN/TIN outside the issued ranges: personal data, not a patient link
  'date-of-service': 1.5,
  phone: 0.6,
  email: 0.6,
  address: 0.8,
  npi: 0, // a provider's number, not the patient's
  'bank-account': 0,
  'employee-id': 0,
});

/** Categories that make the `pii` finding on their own. */
export const PII_CATEGORIES = new Set(['patient-contact', 'tax-id', 'ssn', 'dob', 'mbi', 'member-id', 'mrn', 'bank-account', 'employee-id', 'account-number']);
/** Weak identifiers: their combined weight is capped (signatures carry phones and addresses). */
export const WEAK_ID_CATEGORIES = new Set(['phone', 'email', 'address']);

export interface CompiledPolicy {
  threshold: number;
  lexicon: Lexicon;
  idWeights: Record<string, number>;
  mrnPatterns: RegExp[];
  memberIdPatterns: RegExp[];
  healthSaturation: number;
  identifierSaturation: number;
  limits: ExtractLimits;
}

function num(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new Error(`policy.${key}: must be a number between ${min} and ${max}`);
  return v;
}

function patterns(list: unknown, key: string): RegExp[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new Error(`policy.${key}: must be a list of regular expressions`);
  return list.map((src, i) => {
    if (typeof src !== 'string' || src.length === 0 || src.length > 500) throw new Error(`policy.${key}[${i}]: must be a non-empty string`);
    try {
      return new RegExp(src, 'g');
    } catch (e) {
      throw new Error(`policy.${key}[${i}]: invalid regular expression (${(e as Error).message})`);
    }
  });
}

const cache = new WeakMap<PolicyConfig, CompiledPolicy>();
let defaultCompiled: CompiledPolicy | undefined;

/** Validate and compile a PolicyConfig (cached per config object). */
export function compilePolicy(cfg?: PolicyConfig): CompiledPolicy {
  if (!cfg) return (defaultCompiled ??= compile({}));
  let c = cache.get(cfg);
  if (!c) {
    c = compile(cfg);
    cache.set(cfg, c);
  }
  return c;
}

function compile(cfg: PolicyConfig): CompiledPolicy {
  const threshold = cfg.threshold === undefined ? DEFAULT_THRESHOLD : num(cfg.threshold, 'threshold', 1, 100);
  const idWeights: Record<string, number> = { ...DEFAULT_ID_WEIGHTS };
  for (const [k, v] of Object.entries(cfg.identifierWeights ?? {})) {
    if (!(k in DEFAULT_ID_WEIGHTS)) throw new Error(`policy.identifierWeights.${k}: unknown identifier category`);
    idWeights[k] = num(v, `identifierWeights.${k}`, 0, 10);
  }
  let lexicon: Lexicon;
  if (cfg.terms && cfg.terms.length > 0) {
    if (!Array.isArray(cfg.terms)) throw new Error('policy.terms: must be a list');
    const extra: LexiconTerm[] = cfg.terms.map((t, i) => {
      if (!t || typeof t.term !== 'string' || !t.term.trim()) throw new Error(`policy.terms[${i}].term: must be a non-empty string`);
      return {
        term: t.term,
        category: t.category ?? 'organization',
        weight: t.weight === undefined ? 2 : num(t.weight, `terms[${i}].weight`, 0, 10),
      };
    });
    lexicon = new Lexicon([...loadBundledTerms(), ...extra]);
  } else lexicon = bundledLexicon();
  return {
    threshold,
    lexicon,
    idWeights,
    mrnPatterns: patterns(cfg.mrnPatterns, 'mrnPatterns'),
    memberIdPatterns: patterns(cfg.memberIdPatterns, 'memberIdPatterns'),
    healthSaturation: cfg.healthSaturation === undefined ? 4 : num(cfg.healthSaturation, 'healthSaturation', 0.5, 100),
    identifierSaturation: cfg.identifierSaturation === undefined ? 3 : num(cfg.identifierSaturation, 'identifierSaturation', 0.5, 100),
    limits: validateExtractLimits(cfg.limits),
  };
}

/** Keys of the `policy:` section of sealgate.yaml (PolicyConfig). */
export const POLICY_KEYS = ['threshold', 'terms', 'identifierWeights', 'mrnPatterns', 'memberIdPatterns', 'healthSaturation', 'identifierSaturation', 'limits'];

/**
 * Validates the `policy:` section for src/config/load.ts: problems go to `fail` with their key
 * path. Returns the section as given (compiled once, cached) or undefined for the defaults.
 */
export function resolvePolicySection(raw: unknown, fail: (path: string, message: string) => void): PolicyConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    fail('policy', 'expected a mapping');
    return undefined;
  }
  let ok = true;
  for (const k of Object.keys(raw)) {
    if (!POLICY_KEYS.includes(k)) {
      fail(`policy.${k}`, `unknown key (expected one of: ${POLICY_KEYS.join(', ')})`);
      ok = false;
    }
  }
  try {
    compilePolicy(raw as PolicyConfig);
  } catch (e) {
    const msg = (e as Error).message;
    const at = msg.indexOf(': ');
    fail(at > 0 ? msg.slice(0, at) : 'policy', at > 0 ? msg.slice(at + 2) : msg);
    ok = false;
  }
  return ok ? (raw as PolicyConfig) : undefined;
}
