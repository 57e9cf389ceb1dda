// Domain signing (RFC 3183): the gateway signs outbound mail with the domain-signing-authority
// certificate (signature type domainSig) and, for a message a privacy officer approved, with the
// review-authority certificate (reviewSig). A message the user already signed (multipart/signed or
// opaque signed-data: an originatorSig) is wrapped, never re-encoded: its signed entity travels
// byte for byte inside our signature, so the user's signature still verifies.
// Pure apart from the injected key source. Trust level: uses the domain signing keys; sees plaintext.
import { smimeKind, smimeSignMessage, type SignatureType } from '../smime/index.js';
import type { OutboundKeys, SignatureAuthority } from './keys.js';

export interface DomainSignRequest {
  body: Buffer;
  /** Which of our domains signs (the sender's, when it is ours). */
  domain: string;
  /** Add the domain signature (outbound.domainSign). */
  domainSig: boolean;
  /** Add a review signature (the message was approved: StageMessage.review). */
  reviewSig: boolean;
  now: Date;
}

/** 'signed' when the user signed the message on the desktop (an originatorSig we must keep intact). */
export function userSigned(body: Buffer): boolean {
  const k = smimeKind(body);
  return k === 'signed-detached' || k === 'signed-opaque';
}

async function signOnce(body: Buffer, keys: OutboundKeys, kind: SignatureAuthority, type: SignatureType, domain: string, now: Date): Promise<Buffer> {
  const signer = await keys.signer(kind, domain);
  // 'none': classic S/MIME; only the Content-* fields move inside, so a user's signed entity (or our
  // review-signed one) is carried unchanged, and clients show the message as an ordinary signed one.
  // Header protection is applied by the encryption layer, which wraps the whole signed message.
  // 8-bit content stays detached ('allow'): an opaque signature would make mail that policy sends
  // unencrypted unreadable for every recipient without S/MIME; at worst a relay that downgrades
  // 8-bit breaks our signature, never the message. Under encryption nothing in transit touches it.
  return smimeSignMessage(body, signer, { signatureTypes: [type], headerProtection: 'none', signingTime: now, eightBit: 'allow' });
}

/**
 * Applies the review signature (innermost, over what the reviewer approved) and then the domain
 * signature (outermost), as requested. Throws when a key is unavailable: the caller defers.
 */
export async function domainSign(req: DomainSignRequest, keys: OutboundKeys): Promise<Buffer> {
  let body = req.body;
  if (req.reviewSig) body = await signOnce(body, keys, 'review', 'reviewSig', req.domain, req.now);
  if (req.domainSig) body = await signOnce(body, keys, 'signing', 'domainSig', req.domain, req.now);
  return body;
}
