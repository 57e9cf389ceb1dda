// Certificate revocation lists (RFC 5280 §5, §6.3): parsing, and the revocation status of one
// certificate from the CRLs in a store. Which CRL signers are trusted is decided by the caller (path
// validation), which passes a callback, because a CRL signer's own certificate path must be validated.
// Trust level: CRLs come from the configured store or from inside messages: untrusted until their
// signature chains to a trust anchor. Pure, no I/O.
//
// Supported (RFC 5280 §6.3.3): the certificate's distribution points (or its issuer when it names
// none), direct and indirect CRLs (cRLIssuer, indirectCRL, certificateIssuer entries), CRLs signed by
// the issuer's key or by another key of the CRL issuer whose certificate validates to the same trust
// anchor, issuingDistributionPoint scope (names, only-user/CA/attribute flags, onlySomeReasons, with
// reason masks accumulated until every reason is covered), thisUpdate/nextUpdate, reason codes, and
// delta CRLs applied to their base. A status that cannot be established is "unknown", never "good".

import { createHash, type KeyObject } from 'node:crypto';
import { AsnParser } from '@peculiar/asn1-schema';
import { CRLReasons, GeneralName, IssuingDistributionPoint, Name, type DistributionPointName } from '@peculiar/asn1-x509';
import { AsnSerializer } from '@peculiar/asn1-schema';
import { SmimeError } from '../smime/errors.js';
import {
  bitStringToBits,
  childrenOf,
  contentOf,
  ctxC,
  expectTag,
  nameMatchKey,
  nameToString,
  OID_EXT,
  parseName,
  rawOf,
  readExtensions,
  readGeneralName,
  readOid,
  readSmallInt,
  readTime,
  readWhole,
  TAG,
  type CertExtension,
  type ParsedCert,
  type Tlv,
} from './cert-util.js';
import { resolveSigAlg, verifySignature } from '../smime/sig-oids.js';

/** Parsed CRLs kept in the process-wide cache. */
export const PARSED_CRL_CACHE_ENTRIES = 512;

export interface RevokedEntry {
  readonly date: Date;
  readonly reason?: number;
}

export interface IdpScope {
  /** Distribution point names (match keys), relative names already resolved against the CRL issuer. */
  readonly names: readonly string[];
  readonly onlyUserCerts: boolean;
  readonly onlyCACerts: boolean;
  readonly onlyAttributeCerts: boolean;
  /** onlySomeReasons as a reason bit set (bit i = ReasonFlags i); undefined = all reasons. */
  readonly reasons?: number;
  readonly indirect: boolean;
}

/** Every revocation reason of ReasonFlags (bits 1..8; bit 0 is 'unused'). */
export const ALL_REASONS = 0x1fe;

function reasonBits(r: { value: ArrayBuffer; unusedBits: number } | undefined): number | undefined {
  if (!r) return undefined;
  return bitStringToBits(Buffer.concat([Buffer.from([r.unusedBits]), Buffer.from(r.value)])) & ALL_REASONS;
}

/** A CRL, parsed once and read-only; keeps its original bytes. */
export interface ParsedCrl {
  readonly der: Buffer;
  readonly fingerprint: string;
  readonly tbs: Buffer;
  readonly sigAlgOid: string;
  readonly sigAlgParams?: Buffer;
  readonly sigAlgConsistent: boolean;
  readonly signature: Buffer;
  readonly issuerKey: string;
  readonly issuerText: string;
  readonly issuerName: Name;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly akiKeyId?: Buffer;
  readonly idp?: IdpScope;
  /** cRLNumber, when present. */
  readonly crlNumber?: bigint;
  /** BaseCRLNumber of a delta CRL (deltaCRLIndicator); undefined for complete CRLs. */
  readonly baseCrlNumber?: bigint;
  readonly isDelta: boolean;
  /** Why this CRL can never be used, when that is known from its content alone. */
  readonly unusable?: string;
  /** Revoked entries by `${issuer match key}|${serial hex}` (the issuer is the CRL issuer unless a
   *  certificateIssuer entry extension of an indirect CRL says otherwise). */
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
}

const KNOWN_CRL_EXTENSIONS = new Set<string>([
  OID_EXT.authorityKeyIdentifier,
  OID_EXT.cRLNumber,
  OID_EXT.issuingDistributionPoint,
  OID_EXT.deltaCRLIndicator,
  OID_EXT.freshestCRL,
  OID_EXT.issuerAltName,
]);
const KNOWN_ENTRY_EXTENSIONS = new Set<string>([OID_EXT.cRLReason, OID_EXT.invalidityDate]);

const cache = new Map<string, ParsedCrl>();
const byObject = new WeakMap<Buffer, ParsedCrl>();

/** Parse (or fetch from cache) a DER CRL. Throws SmimeError('malformed') on bad input. */
export function parseCrl(der: Buffer): ParsedCrl {
  // Same Buffer object as before (a configured CRL store): reuse while the bytes equal our copy.
  const seen = byObject.get(der);
  if (seen && seen.der.equals(der)) return seen;
  const fingerprint = createHash('sha256').update(der).digest('hex');
  let parsed = cache.get(fingerprint);
  if (!parsed) {
    parsed = parseCrlUncached(Buffer.from(der), fingerprint);
    if (cache.size >= PARSED_CRL_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(fingerprint, parsed);
  }
  byObject.set(der, parsed);
  return parsed;
}

function parseCrlUncached(der: Buffer, fingerprint: string): ParsedCrl {
  // Lean reader for the structure: @peculiar/asn1-schema was seen to drop revokedCertificates when
  // nextUpdate is absent (RFC 4134's CRLs), which would turn "revoked" into "good".
  const top = readWhole(der);
  if (top.tag !== TAG.SEQUENCE) throw new SmimeError('malformed', 'CRL is not a SEQUENCE');
  const [tbsT, algT, sigT, ...extra] = childrenOf(der, top);
  if (!tbsT || !algT || !sigT || extra.length) throw new SmimeError('malformed', 'CRL has the wrong number of fields');
  expectTag(tbsT, TAG.SEQUENCE, 'tbsCertList');
  expectTag(algT, TAG.SEQUENCE, 'CRL signature algorithm');
  expectTag(sigT, TAG.BIT_STRING, 'CRL signature');
  const k = childrenOf(der, tbsT);
  let i = 0;
  if (k[i]?.tag === TAG.INTEGER) {
    if (readSmallInt(der, k[i]!) !== 1) throw new SmimeError('malformed', 'unknown CRL version');
    i++;
  }
  const innerAlgT = expectTag(k[i++], TAG.SEQUENCE, 'CRL signature algorithm');
  const issuerT = expectTag(k[i++], TAG.SEQUENCE, 'CRL issuer');
  const thisT = k[i++];
  if (!thisT) throw new SmimeError('malformed', 'CRL thisUpdate missing');
  const thisUpdate = readTime(der, thisT);
  let nextUpdate: Date | undefined;
  if (k[i] && (k[i]!.tag === TAG.UTCTime || k[i]!.tag === TAG.GeneralizedTime)) nextUpdate = readTime(der, k[i++]!);
  let revokedT: Tlv | undefined;
  if (k[i]?.tag === TAG.SEQUENCE) revokedT = k[i++];
  let crlExts: CertExtension[] = [];
  if (k[i]?.tag === ctxC(0)) crlExts = readExtensions(der, childrenOf(der, k[i++]!)[0]);
  if (i !== k.length) throw new SmimeError('malformed', 'unexpected field in tbsCertList');
  const algKids = childrenOf(der, algT);
  const sigContent = contentOf(der, sigT);
  if (sigContent.length < 1 || sigContent[0] !== 0) throw new SmimeError('malformed', 'CRL signature has unused bits');
  const issuerName = parseName(rawOf(der, issuerT));

  let unusable: string | undefined;
  let akiKeyId: Buffer | undefined;
  let idp: IdpScope | undefined;
  let crlNumber: bigint | undefined;
  let baseCrlNumber: bigint | undefined;
  const readNumber = (value: Buffer, what: string): bigint => {
    const t = readWhole(value);
    if (t.tag !== TAG.INTEGER || t.contentEnd - t.contentStart > 20) throw new SmimeError('malformed', `bad ${what} in CRL`);
    return BigInt('0x' + (contentOf(value, t).toString('hex') || '0'));
  };
  for (const e of crlExts) {
    const value = e.value;
    if (e.oid === OID_EXT.deltaCRLIndicator) baseCrlNumber = readNumber(value, 'deltaCRLIndicator');
    if (e.oid === OID_EXT.cRLNumber) crlNumber = readNumber(value, 'cRLNumber');
    if (e.oid === OID_EXT.authorityKeyIdentifier) {
      // keyIdentifier is [0] IMPLICIT OCTET STRING inside the AKI SEQUENCE.
      const t = readWhole(value);
      const kid = childrenOf(value, t).find((c) => c.tag === 0x80);
      if (kid) akiKeyId = Buffer.from(contentOf(value, kid));
    }
    if (e.oid === OID_EXT.issuingDistributionPoint) {
      let p: IssuingDistributionPoint;
      try {
        p = AsnParser.parse(value, IssuingDistributionPoint);
      } catch {
        throw new SmimeError('malformed', 'bad issuingDistributionPoint in CRL');
      }
      // Cross-check the declared parse: every field present in the DER must have been understood.
      const fields = childrenOf(value, readWhole(value)).length;
      const understood = (p.distributionPoint ? 1 : 0) + (p.onlyContainsUserCerts ? 1 : 0) + (p.onlyContainsCACerts ? 1 : 0) + (p.onlySomeReasons ? 1 : 0) + (p.indirectCRL ? 1 : 0) + (p.onlyContainsAttributeCerts ? 1 : 0);
      if (fields !== understood) unusable ??= 'issuingDistributionPoint not understood';
      idp = {
        names: dpNameKeys(p.distributionPoint, issuerName),
        onlyUserCerts: !!p.onlyContainsUserCerts,
        onlyCACerts: !!p.onlyContainsCACerts,
        onlyAttributeCerts: !!p.onlyContainsAttributeCerts,
        reasons: reasonBits(p.onlySomeReasons),
        indirect: !!p.indirectCRL,
      };
    }
    if (e.critical && !KNOWN_CRL_EXTENSIONS.has(e.oid)) unusable ??= `CRL has an unsupported critical extension ${e.oid}`;
  }
  const revoked = new Map<string, RevokedEntry>();
  const crlIssuerKey = nameMatchKey(issuerName);
  let entryIssuer = crlIssuerKey; // certificateIssuer carries over to the following entries (§5.3.3)
  for (const r of revokedT ? childrenOf(der, revokedT) : []) {
    if (r.tag !== TAG.SEQUENCE) throw new SmimeError('malformed', 'bad CRL entry');
    const [serT, dateT, extT, more] = childrenOf(der, r);
    if (!serT || serT.tag !== TAG.INTEGER || !dateT || more) throw new SmimeError('malformed', 'bad CRL entry');
    let reason: number | undefined;
    for (const e of extT ? readExtensions(der, extT) : []) {
      if (e.oid === OID_EXT.cRLReason) {
        const t = readWhole(e.value);
        if (t.tag !== 0x0a || t.contentEnd - t.contentStart !== 1) throw new SmimeError('malformed', 'bad CRL reason code');
        reason = e.value[t.contentStart]!;
      } else if (e.oid === OID_EXT.certificateIssuer) {
        if (!idp?.indirect) unusable ??= 'certificateIssuer entry in a CRL that is not indirect';
        const t = readWhole(e.value);
        if (t.tag !== TAG.SEQUENCE) throw new SmimeError('malformed', 'bad certificateIssuer');
        const dn = childrenOf(e.value, t).map((g) => readGeneralName(e.value, g)).find((g) => g.type === 'dn');
        if (!dn || dn.type !== 'dn') unusable ??= 'certificateIssuer without a directory name';
        else entryIssuer = JSON.stringify(dn.rdns);
      } else if (e.critical && !KNOWN_ENTRY_EXTENSIONS.has(e.oid)) {
        // RFC 5280 §5.3: an unprocessable critical entry extension forbids using the whole CRL.
        unusable ??= `CRL entry has an unsupported critical extension ${e.oid}`;
      }
    }
    revoked.set(`${entryIssuer}|${contentOf(der, serT).toString('hex')}`, { date: readTime(der, dateT), reason });
  }
  return {
    der,
    fingerprint,
    tbs: rawOf(der, tbsT),
    sigAlgOid: readOid(der, algKids[0]!),
    sigAlgParams: algKids[1] ? rawOf(der, algKids[1]) : undefined,
    sigAlgConsistent: rawOf(der, innerAlgT).equals(rawOf(der, algT)),
    signature: sigContent.subarray(1),
    issuerKey: crlIssuerKey,
    issuerText: nameToString(issuerName),
    issuerName,
    thisUpdate,
    nextUpdate,
    akiKeyId,
    idp,
    crlNumber,
    baseCrlNumber,
    isDelta: baseCrlNumber !== undefined,
    unusable,
    revoked,
  };
}

export const REASON_NAMES: Record<number, string> = {
  [CRLReasons.unspecified]: 'unspecified',
  [CRLReasons.keyCompromise]: 'keyCompromise',
  [CRLReasons.cACompromise]: 'cACompromise',
  [CRLReasons.affiliationChanged]: 'affiliationChanged',
  [CRLReasons.superseded]: 'superseded',
  [CRLReasons.cessationOfOperation]: 'cessationOfOperation',
  [CRLReasons.certificateHold]: 'certificateHold',
  [CRLReasons.removeFromCRL]: 'removeFromCRL',
  [CRLReasons.privilegeWithdrawn]: 'privilegeWithdrawn',
  [CRLReasons.aACompromise]: 'aACompromise',
};

function generalNameKey(g: GeneralName): string {
  if (g.directoryName) return 'dn:' + nameMatchKey(g.directoryName);
  return 'der:' + Buffer.from(AsnSerializer.serialize(g)).toString('hex');
}

/**
 * Match keys of a DistributionPointName. A nameRelativeToCRLIssuer is appended to `issuer` (RFC 5280
 * §4.2.1.13: the CRL issuer's name, which for a direct CRL is the certificate issuer's name).
 */
export function dpNameKeys(dp: DistributionPointName | undefined, issuer: Name): string[] {
  if (!dp) return [];
  const out = (dp.fullName ?? []).map(generalNameKey);
  if (dp.nameRelativeToCRLIssuer) out.push('dn:' + nameMatchKey(new Name([...issuer, dp.nameRelativeToCRLIssuer])));
  return out;
}

/** A key that may have signed a CRL, and how far it is already trusted. */
export interface CrlSignerCandidate {
  readonly key: KeyObject;
  /** The certificate holding the key (undefined for a bare trust anchor key). */
  readonly cert?: ParsedCert;
  /** True when the key is already validated (the certificate's issuer in the current path, or the anchor). */
  readonly trusted: boolean;
}

export interface RevocationContext {
  readonly at: Date;
  crlsFor(issuerKey: string): readonly ParsedCrl[];
  /** Candidate signing keys for a CRL, already-trusted ones first. */
  signerCandidates(crl: ParsedCrl): Iterable<CrlSignerCandidate>;
  /** Validate an untrusted CRL signer's certificate path (RFC 5280 §6.3.3 (f)). */
  validateSigner(cert: ParsedCert): boolean;
}

export type RevocationStatus =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly date: Date; readonly reason?: string }
  | { readonly status: 'unknown'; readonly why: string; readonly crlsFound: number };

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** One distribution point of a certificate, resolved for §6.3.3 (implicit when it names none). */
interface DpView {
  /** Match keys of the CRL issuers this point names: cRLIssuer (indirect) or the certificate issuer. */
  readonly crlIssuers: readonly string[];
  readonly indirect: boolean;
  /** Names of the point (distributionPoint, else cRLIssuer), for matching a CRL's IDP names. */
  readonly names: readonly string[];
  readonly hasDpName: boolean;
  readonly reasons: number;
}

function distributionPoints(cert: ParsedCert): DpView[] {
  const dps = cert.crlDistributionPoints ?? [];
  if (dps.length === 0) return [{ crlIssuers: [cert.issuerKey], indirect: false, names: [], hasDpName: false, reasons: ALL_REASONS }];
  return dps.map((dp) => {
    const crlIssuerDns = (dp.cRLIssuer ?? []).filter((g) => g.directoryName).map((g) => g.directoryName!);
    const indirect = crlIssuerDns.length > 0;
    // §4.2.1.13: a relative name is relative to the cRLIssuer when present, else to the certificate issuer.
    const base = indirect ? crlIssuerDns[0]! : cert.issuerName;
    const dpNames = dpNameKeys(dp.distributionPoint, base);
    return {
      crlIssuers: indirect ? crlIssuerDns.map((n) => nameMatchKey(n)) : [cert.issuerKey],
      indirect,
      names: dp.distributionPoint ? dpNames : crlIssuerDns.map((n) => 'dn:' + nameMatchKey(n)),
      hasDpName: !!dp.distributionPoint,
      reasons: reasonBits(dp.reasons) ?? ALL_REASONS,
    };
  });
}

/** Why `crl` is outside the scope of distribution point `dp` for `cert` (§6.3.3 (b)), or undefined. */
export function crlScopeProblem(crl: ParsedCrl, cert: ParsedCert, dp: DpView = distributionPoints(cert)[0]!): string | undefined {
  if (dp.indirect && !crl.idp?.indirect) return 'CRL named by cRLIssuer is not an indirect CRL';
  if (!dp.indirect && crl.issuerKey !== cert.issuerKey) return 'CRL issuer is not the certificate issuer';
  const idp = crl.idp;
  if (!idp) return undefined;
  const isCA = !!cert.basicConstraints?.ca;
  if (idp.onlyAttributeCerts) return 'CRL covers only attribute certificates';
  if (idp.onlyUserCerts && isCA) return 'CRL covers only end-entity certificates';
  if (idp.onlyCACerts && !isCA) return 'CRL covers only CA certificates';
  if (idp.names.length) {
    const want = new Set(idp.names);
    if (!dp.names.some((k) => want.has(k))) return 'CRL distribution point does not match the certificate';
  }
  return undefined;
}

/**
 * RFC 5280 §6.3.3 for one certificate: complete CRLs for each of its distribution points, each
 * optionally updated by delta CRLs (§5.2.4) that name it as their base, until the usable CRLs cover
 * every revocation reason. Deltas never stand alone.
 */
export function revocationStatus(cert: ParsedCert, ctx: RevocationContext): RevocationStatus {
  const notes: string[] = [];
  const usableProblem = (crl: ParsedCrl, dp: DpView): string | undefined => {
    if (crl.unusable) return crl.unusable;
    const scope = crlScopeProblem(crl, cert, dp);
    if (scope) return scope;
    if (crl.thisUpdate.getTime() > ctx.at.getTime()) return `CRL is not valid before ${isoDay(crl.thisUpdate)}`;
    if (crl.nextUpdate && crl.nextUpdate.getTime() < ctx.at.getTime()) return `CRL is out of date (nextUpdate ${isoDay(crl.nextUpdate)})`;
    if (!crl.sigAlgConsistent) return 'CRL signature algorithm fields disagree';
    return checkCrlSigner(crl, ctx);
  };
  const entryKey = `${cert.issuerKey}|${cert.serialHex}`;
  let reasonsMask = 0;
  let found = 0;
  for (const dp of distributionPoints(cert)) {
    for (const issuerKey of dp.crlIssuers) {
      const crls = ctx.crlsFor(issuerKey);
      found += crls.length;
      const deltas = crls
        .filter((c) => c.isDelta)
        .sort((a, b) => ((a.crlNumber ?? 0n) < (b.crlNumber ?? 0n) ? -1 : (a.crlNumber ?? 0n) > (b.crlNumber ?? 0n) ? 1 : 0));
      // Every usable CRL is consulted (not only until the reasons are covered): a revocation listed on
      // any of them wins.
      for (const base of crls) {
        if (base.isDelta) continue;
        const interim = (base.idp?.reasons ?? ALL_REASONS) & dp.reasons;
        const problem = usableProblem(base, dp);
        if (problem) {
          notes.push(problem);
          continue;
        }
        let entry = base.revoked.get(entryKey);
        if (entry?.reason === CRLReasons.removeFromCRL) entry = undefined; // only meaningful in deltas
        for (const d of deltas) {
          if (base.crlNumber === undefined || d.baseCrlNumber === undefined || d.baseCrlNumber > base.crlNumber) continue;
          if (d.crlNumber !== undefined && d.crlNumber <= base.crlNumber) continue;
          if (JSON.stringify(d.idp ?? null) !== JSON.stringify(base.idp ?? null)) continue;
          if (usableProblem(d, dp)) continue; // an unusable delta adds nothing; the base still stands
          const de = d.revoked.get(entryKey);
          if (!de) continue;
          if (de.reason === CRLReasons.removeFromCRL) {
            // Release from hold only; a removal of any other entry is not believed.
            if (entry?.reason === CRLReasons.certificateHold) entry = undefined;
          } else entry = de;
        }
        if (entry) {
          return { status: 'revoked', date: entry.date, reason: entry.reason === undefined ? undefined : REASON_NAMES[entry.reason] ?? String(entry.reason) };
        }
        if (!base.nextUpdate) {
          // RFC 5280 §5.1.2.5 requires nextUpdate. Without it the CRL still proves a revocation, but it
          // cannot show that the certificate is not revoked now.
          notes.push('CRL has no nextUpdate, so it cannot show the certificate is unrevoked');
          continue;
        }
        reasonsMask |= interim;
      }
    }
  }
  if (reasonsMask === ALL_REASONS) return { status: 'good' };
  if (found === 0) return { status: 'unknown', why: `no CRL from ${cert.issuerText}`, crlsFound: 0 };
  if (reasonsMask !== 0) notes.push('the usable CRLs do not cover every revocation reason');
  else if (notes.length === 0) notes.push('only delta CRLs available');
  return { status: 'unknown', why: [...new Set(notes)].join('; '), crlsFound: found };
}

/** Undefined when a trusted key with cRLSign signed `crl`; otherwise why not. */
function checkCrlSigner(crl: ParsedCrl, ctx: RevocationContext): string | undefined {
  let alg;
  try {
    alg = resolveSigAlg(crl.sigAlgOid, crl.sigAlgParams);
  } catch (e) {
    return e instanceof SmimeError ? e.message : 'unsupported CRL signature algorithm';
  }
  let why = 'CRL signature does not verify with any key of its issuer';
  for (const cand of ctx.signerCandidates(crl)) {
    let ok = false;
    try {
      ok = verifySignature(alg, crl.tbs, cand.key, crl.signature);
    } catch {
      ok = false;
    }
    if (!ok) continue;
    if (cand.cert && cand.cert.keyUsage !== undefined && ((cand.cert.keyUsage >> 6) & 1) === 0) {
      why = 'CRL signer key usage does not include cRLSign';
      continue;
    }
    if (cand.trusted) return undefined;
    if (cand.cert && ctx.validateSigner(cand.cert)) return undefined;
    why = 'CRL signer certificate does not validate';
  }
  return why;
}
