// Thin I/O shell for the outbound protection stage: opens the domain PKI on first need (the KEK is
// read then, not at startup, so a gateway whose KEK is unreadable still starts and defers the mail
// that needs a key) and hands out the RFC 3183 signing identities (domain-signing-authority and
// review-authority certificates with their private keys and the chain to our root).
// Trust level: opens private keys with the KEK; keeps them in memory only; never logs them.
import type { KeyObject } from 'node:crypto';
import type { DomainPki } from '../pki/ca.js';
import { domainCertificate } from '../pki/issue.js';

export interface SigningIdentity {
  certificate: Buffer;
  privateKey: KeyObject;
  /** Issuing CA then root, DER: included in the SignedData so partners can build the path. */
  chain: Buffer[];
}

export type SignatureAuthority = 'signing' | 'review';

export interface OutboundKeys {
  /** The opened PKI (throws when the KEK or a CA key is unavailable; retried on the next call). */
  pki(): Promise<DomainPki>;
  /** The domain-signing-authority (domainSig) or review-authority (reviewSig) identity of `domain`. */
  signer(kind: SignatureAuthority, domain: string): Promise<SigningIdentity>;
}

/**
 * Memoizes `open()` while it succeeds; a failure is not cached, so a KEK that comes back (file
 * restored, variable set) is picked up by the next message without a restart.
 */
export function lazyPki(open: () => Promise<DomainPki>): () => Promise<DomainPki> {
  let opened: Promise<DomainPki> | undefined;
  return () => {
    if (!opened) {
      const p = open();
      opened = p;
      p.catch(() => {
        if (opened === p) opened = undefined;
      });
    }
    return opened;
  };
}

export function outboundKeys(pki: () => Promise<DomainPki>): OutboundKeys {
  return {
    pki,
    async signer(kind, domain) {
      const p = await pki();
      const d = p.domains.includes(domain.toLowerCase()) ? domain.toLowerCase() : p.domains[0]!;
      const rec = await domainCertificate(p, kind, d);
      if (!rec.keyId) throw new Error(`the ${kind} authority certificate of ${d} has no key`);
      return { certificate: rec.der, privateKey: await p.privateKey(rec.keyId), chain: await p.chain('internal') };
    },
  };
}
