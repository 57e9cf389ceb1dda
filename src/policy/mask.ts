// Masking of identifiers for decision reasons. Trust level: pure; this is the only way raw
// identifier values leave the engine, so every category has an explicit rule and the default
// hides everything. SSNs keep their last four digits (the common convention on statements);
// other identifiers keep at most their last two characters; dates, names and addresses keep none.

function tail(v: string, keep: number): string {
  const chars = v.replace(/[^A-Za-z0-9]/g, '');
  if (chars.length <= keep * 2) return '*'.repeat(Math.max(3, chars.length));
  return '*'.repeat(Math.min(8, chars.length - keep)) + chars.slice(-keep);
}

export function maskValue(category: string, value: string): string {
  switch (category) {
    case 'ssn':
    case 'tax-id': {
      const d = value.replace(/\D/g, '');
      return `***-**-${d.slice(-4)}`;
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
      return `(***) ***-**${value.replace(/\D/g, '').slice(-2)}`;
    case 'address':
      return '[street address]';
    case 'name-in-clinical-context':
    case 'name-near-health': {
      const initials = value
        .split(/[\s,]+/)
        .filter((t) => /^\p{L}/u.test(t))
        .slice(0, 3)
        .map((t) => `${t[0]!.toUpperCase()}.`);
      return initials.length ? initials.join(' ') : '[name]';
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
