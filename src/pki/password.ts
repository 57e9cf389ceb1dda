// Passwords for PKCS#12 files we hand to external recipients. Pure: randomness from node:crypto.
// Trust level: produces secrets; callers store them only encrypted under the KEK and never log them.
//
// The password is read aloud or typed from a phone call or a note, so it uses an alphabet without
// look-alikes (no 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V) and is printed in dash-separated groups.
import { randomInt } from 'node:crypto';

/** 23 symbols: digits and capitals that are not confused with each other when read or typed. */
export const PASSWORD_ALPHABET = '3467ACDEFGHJKMNPQRTWXY9';
/** Symbols per group and number of groups. 4 x 4 symbols from 23 = 72.4 bits of entropy. */
export const PASSWORD_GROUP_LENGTH = 4;
export const PASSWORD_GROUPS = 4;
/** Minimum entropy we promise (issue 4: at least 60 bits); checked at module load. */
export const PASSWORD_MIN_BITS = 60;

export const passwordEntropyBits = (groups = PASSWORD_GROUPS, len = PASSWORD_GROUP_LENGTH): number =>
  groups * len * Math.log2(PASSWORD_ALPHABET.length);

if (passwordEntropyBits() < PASSWORD_MIN_BITS) throw new Error('PKCS#12 password policy below 60 bits');

/** A fresh password such as "7KQM-3XRD-9FHT-WCNA" (uniform over the alphabet, no modulo bias). */
export function generatePassword(groups = PASSWORD_GROUPS, len = PASSWORD_GROUP_LENGTH): string {
  if (passwordEntropyBits(groups, len) < PASSWORD_MIN_BITS) throw new RangeError(`password of ${groups}x${len} symbols is below ${PASSWORD_MIN_BITS} bits`);
  const out: string[] = [];
  for (let g = 0; g < groups; g++) {
    let s = '';
    for (let i = 0; i < len; i++) s += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
    out.push(s);
  }
  return out.join('-');
}
