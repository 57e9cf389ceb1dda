// What a directory source hands back: candidate certificates, not yet validated. Pure types and
// small helpers shared by the sources. Trust level: everything here is untrusted input.
import { pemBlocks } from '../../pki/cert-util.js';
import { childrenOf, readOid, readWhole, rawOf, TAG } from '../../pki/cert-util.js';

export interface FoundCertificate {
  der: Buffer;
  /** Intermediates that came with it. */
  chain: Buffer[];
  /** Where it came from, e.g. `ldap://127.0.0.1:3890` or `CERT alice.example.org`. */
  origin: string;
  capabilities?: string[];
}

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';

/** Certificates of a PKCS#7 / CMS SignedData "certs-only" bundle (userSMIMECertificate, .p7c). */
export function certsFromPkcs7(der: Buffer): Buffer[] {
  const top = readWhole(der);
  const [ctT, wrapT] = childrenOf(der, top);
  if (!ctT || readOid(der, ctT) !== OID_SIGNED_DATA || !wrapT) throw new Error('not a PKCS#7 SignedData');
  const [sdT] = childrenOf(der, wrapT);
  if (!sdT) throw new Error('empty PKCS#7 SignedData');
  const certsT = childrenOf(der, sdT).find((t) => t.tag === 0xa0);
  return certsT ? childrenOf(der, certsT).filter((t) => t.tag === TAG.SEQUENCE).map((t) => rawOf(der, t)) : [];
}

/** A certificate fetched or read as bytes: DER, PEM, or a PKCS#7 bundle (first is the leaf). */
export function certsFromBytes(b: Buffer): Buffer[] {
  const text = b.subarray(0, 64).toString('latin1');
  if (text.includes('-----BEGIN')) return [...pemBlocks(b.toString('latin1')), ...pemBlocks(b.toString('latin1'), 'PKCS7').flatMap(certsFromPkcs7)];
  try {
    return certsFromPkcs7(b);
  } catch {
    return [b];
  }
}
