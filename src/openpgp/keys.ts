// OpenPGP key material: generation of the organization's keys (only kinds GnuPG 2.2 can use: v4
// keys, ed25519 + cv25519 "legacy" ECC or RSA 3072; never v6/RFC 9580 keys or AEAD-only features),
// and validation of a correspondent's key for an address (not expired, not revoked, an
// encryption-capable subkey, a user ID naming the address). Pure apart from the crypto library.
// Trust level: handles secret keys in memory; never logs them.
import * as openpgp from 'openpgp';
import type { OpenPgpAlgorithm } from './config.js';

/** Library settings every call uses: v4 keys, SEIPDv1 (MDC), no AEAD: what GnuPG 2.2 reads. */
export const PGP_CONFIG = { v6Keys: false, aeadProtect: false } as const;

export interface GeneratedKey {
  fingerprint: string;
  algorithm: string;
  publicArmored: string;
  secretArmored: string;
}

export async function generateOrgKey(name: string, email: string, algorithm: OpenPgpAlgorithm, date?: Date): Promise<GeneratedKey> {
  const base = { userIDs: [{ name, email }], format: 'object' as const, config: PGP_CONFIG, ...(date ? { date } : {}) };
  const { privateKey } =
    algorithm === 'rsa-3072'
      ? await openpgp.generateKey({ ...base, type: 'rsa', rsaBits: 3072 })
      : await openpgp.generateKey({ ...base, type: 'ecc', curve: 'curve25519Legacy' });
  return {
    fingerprint: privateKey.getFingerprint(),
    algorithm: algorithm === 'rsa-3072' ? 'rsa3072' : 'ed25519+cv25519',
    publicArmored: privateKey.toPublic().armor(),
    secretArmored: privateKey.armor(),
  };
}

/** The lower-cased addresses in a key's user IDs. */
export function keyAddresses(key: openpgp.Key): string[] {
  const out: string[] = [];
  for (const u of key.users) {
    const id = u.userID;
    if (!id) continue;
    const email = id.email || /<([^<>\s]+@[^<>\s]+)>/.exec(id.userID)?.[1] || (/^[^\s<>]+@[^\s<>]+$/.test(id.userID) ? id.userID : '');
    if (email) out.push(email.toLowerCase());
  }
  return out;
}

export type KeyCheck = { ok: true } | { ok: false; why: string };

/** Is `key` usable to encrypt to `address` at `now`? */
export async function checkKeyFor(key: openpgp.Key, address: string | undefined, now: Date): Promise<KeyCheck> {
  if (key.keyPacket.version !== 4) return { ok: false, why: `v${key.keyPacket.version} key (only v4 keys are used)` };
  try {
    if (await key.isRevoked(undefined, undefined, now)) return { ok: false, why: 'key revoked' };
  } catch {
    return { ok: false, why: 'revocation status cannot be checked' };
  }
  const exp = await key.getExpirationTime().catch(() => null);
  if (exp === null) return { ok: false, why: 'no valid self-signature' };
  if (exp !== Infinity && (exp as Date).getTime() <= now.getTime()) return { ok: false, why: 'key expired' };
  if (address) {
    const a = address.toLowerCase();
    if (!keyAddresses(key).includes(a)) return { ok: false, why: `no user ID names ${a}` };
  }
  try {
    await key.getEncryptionKey(undefined, now);
  } catch {
    return { ok: false, why: 'no valid encryption-capable subkey' };
  }
  return { ok: true };
}

/** Reads one or more armored or binary keys; throws a short message on garbage. */
export async function readKeysAny(data: Buffer | string): Promise<openpgp.Key[]> {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  if (text.includes('-----BEGIN PGP')) return openpgp.readKeys({ armoredKeys: text });
  return openpgp.readKeys({ binaryKeys: typeof data === 'string' ? Buffer.from(data, 'latin1') : data });
}

/** "ed25519+cv25519", "rsa3072", ... for listings. */
export function describeAlgorithm(key: openpgp.Key): string {
  const info = (p: { getAlgorithmInfo(): { algorithm: string; bits?: number; curve?: string } }) => {
    const i = p.getAlgorithmInfo();
    return i.algorithm.startsWith('rsa') ? `rsa${i.bits ?? ''}` : String(i.curve ?? i.algorithm).replace(/Legacy$/, '').replace(/^curve25519$/, 'cv25519');
  };
  return [info(key.keyPacket), ...key.subkeys.map((s) => info(s.keyPacket))].filter((v, i, a) => a.indexOf(v) === i).join('+');
}
