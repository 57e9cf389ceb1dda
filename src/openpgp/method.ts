// Outbound protection method 'openpgp': the recipient's key from discovery (local store, WKD, HKP,
// harvested); the message content is signed with our domain key (RFC 3156 multipart/signed) and
// the signed entity encrypted to the recipient (multipart/encrypted), i.e. RFC 3156 §6.1
// sign-then-encrypt, so the recipient can check the domain signature with `gpg --verify` after
// decrypting. The outer header (From, To, Subject, Date, ...) stays readable, as with PGP/MIME clients.
// Fails closed: no valid key → 'unavailable' (the next method decides); our key unavailable → 'defer'.
// Trust level: sees plaintext; opens the domain signing key with the KEK.
import * as openpgp from 'openpgp';
import type { MethodContext, MethodResult, ProtectionMethod } from '../outbound/types.js';
import type { Discovery } from './discovery.js';
import { PGP_CONFIG } from './keys.js';
import { assembleMessage, pgpEncryptedEntity, pgpSignedEntity, splitContent } from './mime.js';
import type { PgpKeyStore } from './store.js';

export interface OpenPgpMethodDeps {
  keys: PgpKeyStore;
  discovery: Discovery;
  /** Our domains: the sender's domain key signs; mail from elsewhere is signed by the first domain's key. */
  domains: string[];
}

const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1).toLowerCase();

/** The micalg parameter for a detached signature (RFC 3156 §5: "pgp-" + hash name). */
async function micalgOf(armoredSignature: string): Promise<string> {
  const sig = await openpgp.readSignature({ armoredSignature });
  const algo = (sig.packets[0] as unknown as { hashAlgorithm: number }).hashAlgorithm;
  return `pgp-${String(openpgp.enums.read(openpgp.enums.hash, algo)).toLowerCase()}`;
}

/** Sign-then-encrypt one message (pure apart from the crypto library). */
export async function pgpMimeProtect(message: Buffer, signingKey: openpgp.PrivateKey, recipient: openpgp.Key, date?: Date): Promise<Buffer> {
  const { outer, content } = splitContent(message);
  const signature = await openpgp.sign({
    message: await openpgp.createMessage({ binary: content }),
    signingKeys: signingKey,
    detached: true,
    format: 'armored',
    config: PGP_CONFIG,
    ...(date ? { date } : {}),
  });
  const signed = pgpSignedEntity(content, signature, await micalgOf(signature));
  const armored = await openpgp.encrypt({
    message: await openpgp.createMessage({ binary: signed }),
    encryptionKeys: recipient,
    format: 'armored',
    config: PGP_CONFIG,
    ...(date ? { date } : {}),
  });
  return assembleMessage(outer, pgpEncryptedEntity(armored));
}

export function createOpenPgpMethod(d: OpenPgpMethodDeps): ProtectionMethod {
  const signerDomain = (ctx: MethodContext) => {
    const s = domainOf(ctx.msg.envelope.sender);
    return d.domains.includes(s) ? s : d.domains[0]!;
  };
  return {
    name: 'openpgp',
    async protect(ctx: MethodContext): Promise<MethodResult> {
      let found;
      try {
        found = await d.discovery.lookup(ctx.recipient, ctx.now());
      } catch (e) {
        return { kind: 'defer', why: `OpenPGP key lookup failed: ${(e as Error).message}` };
      }
      if (found.kind !== 'found') return { kind: 'unavailable', why: `no usable OpenPGP key for ${ctx.recipient}: ${found.why}` };
      let signer: openpgp.PrivateKey;
      try {
        signer = await d.keys.secretKey(await d.keys.orgKey('domain', signerDomain(ctx)));
      } catch (e) {
        return { kind: 'defer', why: `OpenPGP domain key unavailable: ${(e as Error).message}` };
      }
      const body = await pgpMimeProtect(ctx.body, signer, found.key, ctx.now());
      return { kind: 'protected', body, why: `PGP/MIME to key ${found.fingerprint.slice(-16)} from ${found.source}, signed by the ${signerDomain(ctx)} domain key` };
    },
  };
}
