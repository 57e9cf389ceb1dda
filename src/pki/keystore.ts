// The key-encryption key (KEK) and what it protects: private keys and PKCS#12 passwords at rest.
// The KEK lives outside the database (a file or an environment variable named in the config,
// `pki.kek: file:PATH | env:NAME`), so a copy of the database alone never yields a key.
// Trust level: holds the KEK in memory; never logs it, a key or a password.
//
// Private keys are stored as PKCS#8 EncryptedPrivateKeyInfo PEM, written by node:crypto (OpenSSL):
// PBES2, PBKDF2-HMAC-SHA-256, AES-256-CBC, with the KEK as passphrase. Short secrets (passwords)
// are sealed with AES-256-GCM under a key derived from the KEK with HKDF-SHA-256 and a per-secret
// salt. Every sealed value names the KEK it was sealed under (its id), so rotation can find them.
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** Shortest KEK accepted from a file or variable (characters); init writes 43 (256 random bits). */
export const KEK_MIN_LENGTH = 32;
/** Largest KEK file read. */
export const KEK_MAX_LENGTH = 4096;

export class KekError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KekError';
  }
}

export interface Kek {
  /** Short public fingerprint (16 hex digits of SHA-256): names the KEK without revealing it. */
  readonly id: string;
  /** Where it came from, for messages ("file:/etc/sealgate/kek", "env:SEALGATE_KEK"). */
  readonly source: string;
  /** The secret; only this module reads it. */
  readonly secret: string;
}

export type KekSpec = { kind: 'file'; path: string } | { kind: 'env'; name: string };

/** Parses `file:PATH` or `env:NAME`; relative paths resolve against `baseDir`. */
export function parseKekSpec(spec: string, baseDir = process.cwd()): KekSpec {
  if (spec.startsWith('file:') && spec.length > 5) {
    const p = spec.slice(5);
    return { kind: 'file', path: isAbsolute(p) ? p : resolve(baseDir, p) };
  }
  if (spec.startsWith('env:') && /^[A-Za-z_][A-Za-z0-9_]*$/.test(spec.slice(4))) return { kind: 'env', name: spec.slice(4) };
  throw new KekError(`pki.kek: expected "file:PATH" or "env:NAME", got ${JSON.stringify(spec)}`);
}

export const kekFromSecret = (secret: string, source = 'memory'): Kek => {
  if (secret.length < KEK_MIN_LENGTH) throw new KekError(`${source}: key-encryption key shorter than ${KEK_MIN_LENGTH} characters`);
  if (secret.length > KEK_MAX_LENGTH) throw new KekError(`${source}: key-encryption key longer than ${KEK_MAX_LENGTH} characters`);
  const id = createHash('sha256').update('sealgate-kek-id\0').update(secret).digest('hex').slice(0, 16);
  return Object.freeze({ id, source, secret });
};

/** Loads the KEK named by a spec. Fails closed with a message naming the source, never the value. */
export function loadKek(spec: string | KekSpec, baseDir?: string, env: NodeJS.ProcessEnv = process.env): Kek {
  const s = typeof spec === 'string' ? parseKekSpec(spec, baseDir) : spec;
  if (s.kind === 'env') {
    const v = env[s.name];
    if (v === undefined || v.trim() === '') throw new KekError(`env:${s.name}: environment variable not set`);
    return kekFromSecret(v.trim(), `env:${s.name}`);
  }
  let text: string;
  try {
    // Like ssh with its keys: a KEK file others can read or change is refused.
    if ((statSync(s.path).mode & 0o006) !== 0) throw new KekError(`file:${s.path}: key-encryption key file is accessible to other users; chmod 600 (or 640) it`);
    text = readFileSync(s.path, 'utf8');
  } catch (e) {
    if (e instanceof KekError) throw e;
    throw new KekError(`file:${s.path}: cannot read key-encryption key (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return kekFromSecret(text.trim(), `file:${s.path}`);
}

/** A new random KEK (256 bits, base64url). */
export const generateKekSecret = (): string => randomBytes(32).toString('base64url');

/** Writes a new KEK file with mode 0600; refuses to overwrite an existing file. */
export function createKekFile(path: string): Kek {
  const secret = generateKekSecret();
  writeFileSync(path, secret + '\n', { flag: 'wx', mode: 0o600 });
  chmodSync(path, 0o600);
  return kekFromSecret(secret, `file:${path}`);
}

// ---- private keys ---------------------------------------------------------------------------

/** PKCS#8 EncryptedPrivateKeyInfo PEM (PBES2 / PBKDF2-SHA-256 / AES-256-CBC) under the KEK. */
export function sealPrivateKey(key: KeyObject, kek: Kek): string {
  return key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: kek.secret }) as string;
}

/** Opens a sealed key; a wrong KEK or a damaged blob gives a KekError (never the key bytes). */
export function openPrivateKey(sealedPem: string, kek: Kek): KeyObject {
  if (!sealedPem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) throw new KekError('stored private key is not encrypted; refusing to use it');
  try {
    return createPrivateKey({ key: sealedPem, format: 'pem', passphrase: kek.secret });
  } catch {
    throw new KekError(`cannot decrypt a stored private key with the key-encryption key from ${kek.source} (wrong KEK?)`);
  }
}

// ---- short secrets ----------------------------------------------------------------------------

const SEAL_PREFIX = 'sg1';

function secretKey(kek: Kek, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', kek.secret, salt, 'sealgate secret v1', 32));
}

/** AES-256-GCM under an HKDF-derived key: "sg1.KEKID.salt.iv.ciphertext.tag" (base64url parts). */
export function sealSecret(plaintext: string, kek: Kek): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', secretKey(kek, salt), iv);
  c.setAAD(Buffer.from(`${SEAL_PREFIX}.${kek.id}`));
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return [SEAL_PREFIX, kek.id, salt, iv, ct, c.getAuthTag()].map((p) => (Buffer.isBuffer(p) ? p.toString('base64url') : p)).join('.');
}

/** The KEK id a sealed secret names (for rotation), or null when the format is unknown. */
export function sealedKekId(sealed: string): string | null {
  const parts = sealed.split('.');
  return parts.length === 6 && parts[0] === SEAL_PREFIX ? parts[1]! : null;
}

export function openSecret(sealed: string, kek: Kek): string {
  const parts = sealed.split('.');
  if (parts.length !== 6 || parts[0] !== SEAL_PREFIX) throw new KekError('sealed secret has an unknown format');
  if (parts[1] !== kek.id) throw new KekError(`secret was sealed under KEK ${parts[1]}, not under ${kek.id} from ${kek.source}`);
  const [salt, iv, ct, tag] = parts.slice(2).map((p) => Buffer.from(p, 'base64url'));
  try {
    const d = createDecipheriv('aes-256-gcm', secretKey(kek, salt!), iv!);
    d.setAAD(Buffer.from(`${SEAL_PREFIX}.${kek.id}`));
    d.setAuthTag(tag!);
    return Buffer.concat([d.update(ct!), d.final()]).toString('utf8');
  } catch {
    throw new KekError('sealed secret failed its integrity check');
  }
}
