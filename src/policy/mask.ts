// Masking of identifiers for decision reasons. Trust level: pure; this is the only way raw
// identifier values leave the engine, so every category has an explicit rule and the default
// hides everything. SSNs keep their last four digits (the common convention on statements);
// other identifiers keep at most their last two characters; dates, names and addresses keep none.

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** `v.replace(/[^A-Za-z0-9]/g, '')` masked but for its last `keep` characters (counted by character code). */
function tail(v: string, keep: number): string {
  let n = 0;
  for (let i = 0; i < v.length; i++) if (isAlnum(v.charCodeAt(i))) n++;
  if (n <= keep * 2) return '*'.repeat(Math.max(3, n));
  // slice(-0) keeps every character
  const want = keep === 0 ? n : keep;
  let kept = '';
  for (let i = v.length - 1; i >= 0 && kept.length < want; i--) if (isAlnum(v.charCodeAt(i))) kept = v[i] + kept;
  return '*'.repeat(Math.min(8, n - keep)) + kept;
}

/** The last `keep` ASCII digits of v (`v.replace(/\D/g, '').slice(-keep)`). */
function lastDigits(v: string, keep: number): string {
  let out = '';
  for (let i = v.length - 1; i >= 0 && out.length < keep; i--) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) out = v[i] + out;
  }
  return out;
}

/** JavaScript's \s or ','. */
function isSep(c: number): boolean {
  if (c === 44) return true;
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

const LETTER_START = /^\p{L}/u;

/** Initials of the first three tokens (split at /[\s,]+/) that start with a letter. */
function initials(value: string): string {
  let out = '';
  let k = 0;
  const n = value.length;
  let i = 0;
  while (i < n && k < 3) {
    while (i < n && isSep(value.charCodeAt(i))) i++;
    if (i >= n) break;
    const a = i;
    while (i < n && !isSep(value.charCodeAt(i))) i++;
    const c = value.charCodeAt(a);
    const letter = c < 128 ? (c >= 65 && c <= 90) || (c >= 97 && c <= 122) : LETTER_START.test(value.slice(a, i));
    if (!letter) continue;
    out += (k > 0 ? ' ' : '') + value[a]!.toUpperCase() + '.';
    k++;
  }
  return k > 0 ? out : '[name]';
}

export function maskValue(category: string, value: string): string {
  switch (category) {
    case 'ssn':
    case 'tax-id': {
      return `***-**-${lastDigits(value, 4)}`;
    }
    case 'patient-contact':
      return value.includes('@') ? maskValue('email', value) : maskValue('phone', value);
    case 'dob':
    case 'date-of-service':
      return '**/**/****';
    case 'email': {
      const at = value.lastIndexOf('@');
      const domain = at >= 0 ? value.slice(at + 1) : '';
      const tld = domain.split('.').pop() ?? '';
      return `***@***.${tld.replace(/[^A-Za-z]/g, '').slice(0, 10)}`;
    }
    case 'phone':
      return `(***) ***-**${lastDigits(value, 2)}`;
    case 'address':
      return '[street address]';
    case 'name-in-clinical-context':
    case 'name-near-health': {
      return initials(value);
    }
    case 'npi':
    case 'mrn':
    case 'member-id':
    case 'mbi':
    case 'account-number':
    case 'reference-number':
    case 'bank-account':
    case 'employee-id':
      return tail(value, 2);
    default:
      return tail(value, 0);
  }
}
