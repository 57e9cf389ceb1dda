// Named limits for the policy engine's content extraction (MIME walk, archives, documents).
// Trust level: pure values; the extractor enforces them on untrusted message bytes so a hostile
// message (deep nesting, zip bombs, huge PDFs) costs bounded time and memory and never hangs.
// 0 never means "unlimited": every limit must be a positive integer (checked by validateExtractLimits).

export interface ExtractLimits {
  /** Deepest multipart / message/rfc822 nesting followed (Postfix's mime_nesting_limit is 100). */
  maxMimeDepth: number;
  /** Most MIME entities walked in one message; the rest are reported as uninspected. */
  maxParts: number;
  /** Most header bytes read per entity before the rest is ignored. */
  maxHeaderBytes: number;
  /** Deepest zip-inside-zip (or document-inside-zip) nesting opened. */
  maxArchiveDepth: number;
  /** Most entries read from one archive. */
  maxArchiveEntries: number;
  /** Cap on the sum of all bytes inflated from archives, PDFs and documents in one message (zip bombs). */
  maxInflatedBytes: number;
  /** Cap on extracted text per message (characters); scoring stops reading past it. */
  maxTextChars: number;
  /** Most PDF content streams decoded per PDF. */
  maxPdfStreams: number;
}

export const DEFAULT_EXTRACT_LIMITS: Readonly<ExtractLimits> = Object.freeze({
  maxMimeDepth: 32,
  maxParts: 2000,
  maxHeaderBytes: 256 * 1024,
  maxArchiveDepth: 3,
  maxArchiveEntries: 2000,
  maxInflatedBytes: 64 * 1024 * 1024,
  maxTextChars: 64 * 1024 * 1024,
  maxPdfStreams: 5000,
});

const BOUNDS: Record<keyof ExtractLimits, [number, number]> = {
  maxMimeDepth: [1, 1000],
  maxParts: [1, 1_000_000],
  maxHeaderBytes: [1024, 64 * 1024 * 1024],
  maxArchiveDepth: [1, 16],
  maxArchiveEntries: [1, 1_000_000],
  maxInflatedBytes: [1024, 4 * 1024 * 1024 * 1024],
  maxTextChars: [1024, 1024 * 1024 * 1024],
  maxPdfStreams: [1, 1_000_000],
};

/** Merge overrides over the defaults; throws naming the key when a value is out of range. */
const validated = new WeakSet<object>();

/** The last result: the scorer passes its compiled policy's limits, the same object, every time. */
let lastValidated: ExtractLimits | undefined;

export function validateExtractLimits(over: Partial<ExtractLimits> = {}): ExtractLimits {
  // (an identity check first: the WeakSet lookup was a twentieth of extracting a small message)
  if (over === lastValidated) return lastValidated;
  if (validated.has(over)) return (lastValidated = over as ExtractLimits);
  const out = { ...DEFAULT_EXTRACT_LIMITS } as ExtractLimits;
  for (const [k, v] of Object.entries(over) as [keyof ExtractLimits, unknown][]) {
    if (!(k in BOUNDS)) throw new Error(`policy.limits.${k}: unknown limit`);
    const [min, max] = BOUNDS[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new Error(`policy.limits.${k}: must be an integer between ${min} and ${max}`);
    }
    out[k] = v;
  }
  validated.add(out);
  return (lastValidated = out);
}
