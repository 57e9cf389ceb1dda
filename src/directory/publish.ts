// Publication of our certificates for partners (issue 4, item 6): our proxy encryption certificates
// (one per internal address) and the RFC 3183 domain authority certificates, written into an
// OpenLDAP directory as inetOrgPerson entries `mail=ADDRESS,BASE` with `userCertificate;binary`,
// and printed as RFC 4398 CERT records (zone-file lines) for partner gateways and Direct HISPs.
// Trust level: certificates are public; holds the publishing bind password from the config only
// for the length of one run; never logs it.
import { AlreadyExistsError, Attribute, Change, Client, NoSuchObjectError } from 'ldapts';
import { normalizeAddress, PkiError, type DomainPki } from '../pki/ca.js';
import type { CertKind, CertRecord } from '../pki/certstore.js';
import { domainCertificate, issueProxyCertificate, RFC3183_LOCAL_PARTS } from '../pki/issue.js';
import { certOwnerLabels, ownerText } from './sources/dns-cert.js';

/** Where `sealgate cert publish` writes (`directory.publish`). */
export interface PublishTarget {
  url: string;
  bindDn: string;
  password: string;
  baseDn: string;
  /** Whole operation timeout per request; default 10 s. */
  timeoutMs?: number;
}

/** What one directory entry should hold: its address and the certificates to publish (none: withdraw). */
export interface PublishItem {
  address: string;
  certificates: CertRecord[];
}

export interface PublishOutcome {
  address: string;
  dn: string;
  action: 'added' | 'updated' | 'withdrawn' | 'absent' | 'failed';
  serials: string[];
  error?: string;
}

export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

const CERT_ATTR = 'userCertificate;binary';
const DOMAIN_KINDS: ReadonlyArray<[CertKind, keyof typeof RFC3183_LOCAL_PARTS]> = [
  ['domain-confidentiality', 'confidentiality'],
  ['domain-signing', 'signing'],
  ['domain-review', 'review'],
];

/** RFC 4514 escaping of an attribute value in a DN. */
export function escapeDnValue(v: string): string {
  return v.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, '\\ ');
}

export const entryDn = (address: string, baseDn: string) => `mail=${escapeDnValue(address)},${baseDn}`;

const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1);
const localOf = (a: string) => a.slice(0, a.lastIndexOf('@'));

/** The newest valid, unrevoked certificate of `kind` for `address`, as a one-element list (or none). */
async function currentList(pki: DomainPki, kind: CertKind, address: string): Promise<CertRecord[]> {
  const r = await pki.certs.current(kind, address, pki.clock.now());
  return r ? [r] : [];
}

/** One item for an address we are asked to publish: its proxy encryption or RFC 3183 certificate, issued if needed. */
async function itemFor(pki: DomainPki, raw: string): Promise<PublishItem> {
  const address = normalizeAddress(raw);
  if (!pki.domains.includes(domainOf(address))) throw new PkiError(`${address} is not in this gateway's domains; only our own certificates are published`);
  const dk = DOMAIN_KINDS.find(([, k]) => RFC3183_LOCAL_PARTS[k] === localOf(address));
  if (dk) return { address, certificates: [await domainCertificate(pki, dk[1], domainOf(address))] };
  return { address, certificates: [(await issueProxyCertificate(pki, address)).encryption] };
}

/** The kind an entry of ours publishes: RFC 3183 authority certificate or proxy encryption certificate. */
function publishedKind(address: string): CertKind {
  const dk = DOMAIN_KINDS.find(([, k]) => RFC3183_LOCAL_PARTS[k] === localOf(address));
  return dk ? dk[0] : 'proxy-encryption';
}

/**
 * Items with what is current now for these addresses of ours, issuing nothing: an address whose
 * certificate was revoked or expired gets an empty item, so its entry is withdrawn.
 */
export async function currentItems(pki: DomainPki, addresses: Iterable<string>): Promise<PublishItem[]> {
  const items: PublishItem[] = [];
  for (const a of addresses) items.push({ address: a, certificates: await currentList(pki, publishedKind(a), a) });
  return items;
}

/**
 * What to publish: for the given addresses (issuing proxy certificates on need), or else every
 * internal address that has had a proxy certificate plus each domain's RFC 3183 certificates (what
 * was revoked or expired is withdrawn).
 */
export async function publishableItems(pki: DomainPki, addresses?: string[]): Promise<PublishItem[]> {
  if (addresses?.length) {
    const out: PublishItem[] = [];
    for (const a of addresses) out.push(await itemFor(pki, a));
    return out;
  }
  // The confidentiality and signing authority certificates always exist (issued again if needed);
  // the review authority's only once used.
  for (const d of pki.domains) for (const k of ['confidentiality', 'signing'] as const) await domainCertificate(pki, k, d);
  const seen = new Set<string>();
  const kinds: CertKind[] = ['proxy-encryption', ...DOMAIN_KINDS.map(([kind]) => kind)];
  for (const r of await pki.certs.listCerts({ kinds, includeRevoked: true })) if (r.address && pki.domains.includes(domainOf(r.address))) seen.add(r.address);
  return currentItems(pki, [...seen].sort());
}

async function publishOne(client: Client, item: PublishItem, baseDn: string): Promise<PublishOutcome> {
  const dn = entryDn(item.address, baseDn);
  const values = item.certificates.map((c) => c.der);
  const serials = item.certificates.map((c) => c.serial);
  try {
    // Replace first (one round trip for the common case); an empty replace removes the attribute.
    await client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: CERT_ATTR, values }) }));
    return { address: item.address, dn, action: values.length ? 'updated' : 'withdrawn', serials };
  } catch (e) {
    if (!(e instanceof NoSuchObjectError)) return { address: item.address, dn, action: 'failed', serials, error: (e as Error).message };
  }
  if (!values.length) return { address: item.address, dn, action: 'absent', serials };
  const local = localOf(item.address);
  try {
    await client.add(dn, [
      new Attribute({ type: 'objectClass', values: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'] }),
      new Attribute({ type: 'cn', values: [item.address] }),
      new Attribute({ type: 'sn', values: [local] }),
      new Attribute({ type: 'mail', values: [item.address] }),
      new Attribute({ type: CERT_ATTR, values }),
    ]);
    return { address: item.address, dn, action: 'added', serials };
  } catch (e) {
    const why = e instanceof NoSuchObjectError ? `the base entry ${baseDn} does not exist` : e instanceof AlreadyExistsError ? 'added by someone else meanwhile; run again' : (e as Error).message;
    return { address: item.address, dn, action: 'failed', serials, error: why };
  }
}

/**
 * Binds to the directory and adds or updates one entry per item. Throws PublishError when the
 * server cannot be reached or the bind fails; per-entry failures are reported in the outcomes.
 */
export async function publishToLdap(target: PublishTarget, items: PublishItem[]): Promise<PublishOutcome[]> {
  const timeout = target.timeoutMs ?? 10_000;
  const client = new Client({ url: target.url, timeout, connectTimeout: timeout });
  try {
    try {
      await client.bind(target.bindDn, target.password);
    } catch (e) {
      throw new PublishError(`${target.url}: cannot bind as ${target.bindDn}: ${(e as Error).message}`);
    }
    const out: PublishOutcome[] = [];
    for (const item of items) out.push(await publishOne(client, item, target.baseDn));
    return out;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

// ---- DNS CERT records (RFC 4398) ---------------------------------------------------------------

/**
 * The owner name of an address-bound CERT record in zone-file text: the local part as one label
 * (dots escaped), then the domain (`a.b@h.example` is `a\\.b.h.example`), the convention the
 * directory's DNS CERT source looks up (src/directory/sources/dns-cert.ts).
 */
export const certOwnerName = (address: string): string => ownerText(certOwnerLabels(address, 'address'));

/** One zone-file line: `OWNER. TTL IN CERT PKIX 0 0 BASE64` (key tag and algorithm 0, as for X.509). */
export function certRecordLine(owner: string, der: Buffer, ttl = 3600): string {
  return `${owner}. ${ttl} IN CERT PKIX 0 0 ${der.toString('base64')}`;
}

/**
 * Zone-file lines for the items: each address-bound certificate at its owner name, and each
 * domain's RFC 3183 domain-confidentiality-authority certificate domain-bound at the domain name
 * itself (what a partner finds when no address-bound record exists). Items without certificates
 * give no line.
 */
export function certRecordLines(items: PublishItem[], ttl = 3600): string[] {
  const lines: string[] = [];
  for (const it of items) {
    for (const c of it.certificates) {
      lines.push(certRecordLine(certOwnerName(it.address), c.der, ttl));
      if (c.kind === 'domain-confidentiality') lines.push(certRecordLine(domainOf(it.address), c.der, ttl));
    }
  }
  return lines;
}
