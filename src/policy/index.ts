// Public API of the policy module (PHI scorer). Trust level: pure library; callers pass message
// bytes and an optional PolicyConfig and get a self-explaining decision with masked reasons.
export { scoreMessage, scoreExtraction, stripDisclaimers, type PhiDecision, type Reason } from './score.js';
export { compilePolicy, DEFAULT_THRESHOLD, DEFAULT_ID_WEIGHTS, type PolicyConfig, type PolicyTerm, type CompiledPolicy } from './config.js';
export { extractText, type Extraction, type TextUnit } from './extract.js';
export { DEFAULT_EXTRACT_LIMITS, validateExtractLimits, type ExtractLimits } from './limits.js';
export { isValidSsn, isValidNpi, isValidMbi, isValidIcd10, isValidLoinc, luhnCheckDigit } from './detectors.js';
export { maskValue } from './mask.js';
