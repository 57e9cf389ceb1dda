// DNS CERT source (RFC 4398). Address-bound records live at the owner name made of the address's
// local part as ONE label (a '.' in it stays inside the label: `John.Doe@example.org` is
// `John\.Doe.example.org` in zone-file text, RFC 4398 §3 and the Direct Project's DNS convention),
// then the domain; domain-bound records at the domain itself. Types used: PKIX (1, a DER
// certificate) and IPKIX (4, the URL of a certificate, fetched over HTTP). Other types are ignored.
// Trust level: DNS answers are untrusted; every certificate is validated by the caller.
import { queryRecords, TYPE_CERT } from './dns-query.js';
import { fetchBounded } from './http.js';
import { certsFromBytes, type FoundCertificate } from './found.js';

export const CERT_PKIX = 1;
export const CERT_IPKIX = 4;

export interface CertRecordData {
  certType: number;
  keyTag: number;
  algorithm: number;
  cert: Buffer;
}

/** RDATA of a CERT record: type(2) key tag(2) algorithm(1) certificate. */
export function parseCertRdata(d: Buffer): CertRecordData | undefined {
  if (d.length < 5) return undefined;
  return { certType: d.readUInt16BE(0), keyTag: d.readUInt16BE(2), algorithm: d[4]!, cert: d.subarray(5) };
}

/** The owner name labels for an address (address-bound) or its domain (domain-bound). */
export function certOwnerLabels(address: string, bound: 'address' | 'domain'): string[] {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1).split('.').filter(Boolean);
  return bound === 'address' ? [address.slice(0, at), ...domain] : domain;
}

/** Zone-file text of an owner name (dots inside a label escaped). */
export const ownerText = (labels: string[]): string => labels.map((l) => l.replace(/[.\\]/g, (c) => `\\${c}`)).join('.');

export interface DnsCertLookup {
  address: string;
  bound: 'address' | 'domain';
  servers: string[];
  timeoutMs: number;
  fetchMaxBytes: number;
  maxCandidates: number;
  signal: AbortSignal;
}

export async function lookupDnsCert(o: DnsCertLookup): Promise<FoundCertificate[]> {
  const labels = certOwnerLabels(o.address, o.bound);
  const origin = `CERT ${ownerText(labels)}`;
  const rdatas = await queryRecords(labels, TYPE_CERT, o.servers, o.signal);
  const out: FoundCertificate[] = [];
  for (const rd of rdatas.slice(0, o.maxCandidates)) {
    const r = parseCertRdata(rd);
    if (r?.certType === CERT_PKIX) out.push({ der: Buffer.from(r.cert), chain: [], origin });
    if (r?.certType === CERT_IPKIX) {
      const url = r.cert.toString('latin1');
      const [leaf, ...chain] = certsFromBytes(await fetchBounded(url, o.timeoutMs, o.fetchMaxBytes, o.signal));
      if (leaf) out.push({ der: leaf, chain, origin: `${origin} (IPKIX ${url})` });
    }
  }
  return out;
}
