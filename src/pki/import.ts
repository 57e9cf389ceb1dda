// `sealgate cert import`: external partners' certificates from files (PEM, DER, PKCS#7 .p7b/.p7c in
// DER or PEM) into the certificate directory's local store (src/directory/store.ts), where the
// directory's local source finds them. Every end-entity certificate is validated for each address
// it names (address, validity, encryption key usage, a path to the trust anchors used for stored
// certificates) before it is stored; CA certificates in a bundle serve as its chain. Revocation is
// checked again at every lookup. Trust level: input files are untrusted; certificates are public.
import { basename } from 'node:path';
import { parseCert, type ParsedCert } from './cert-util.js';
import { fingerprint } from './ca.js';
import { certsFromBytes } from '../directory/sources/found.js';
import type { DirectoryStore } from '../directory/store.js';
import { validateCandidate } from '../directory/validate.js';

/** Most certificates one import run reads (all files together). */
export const IMPORT_MAX_CERTIFICATES = 100_000;

export interface ImportSource {
  /** File name, shown in rejections and stored as the origin. */
  name: string;
  data: Buffer;
}

export interface ImportedCertificate {
  address: string;
  fingerprint: string;
  subject: string;
  file: string;
}

export interface ImportRejection {
  file: string;
  /** 1-based position of the certificate in its file (0: the whole file). */
  index: number;
  subject: string;
  fingerprint: string;
  reason: string;
}

export interface ImportResult {
  imported: ImportedCertificate[];
  rejected: ImportRejection[];
  /** CA certificates found in the files and used as chain certificates (not imported themselves). */
  chainCertificates: number;
  /** End-entity certificates examined. */
  leaves: number;
}

export interface ImportOptions {
  table: Pick<DirectoryStore, 'put'>;
  /** Trust anchors for stored certificates (the same the directory uses for them at lookup). */
  trustAnchors: Buffer[];
  /** Our domains: their addresses get proxy certificates, never imported ones. */
  ourDomains: string[];
  now: Date;
  /** Called after each end-entity certificate with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

interface Leaf {
  file: string;
  index: number;
  der: Buffer;
  parsed: ParsedCert;
}

/** Reads every file into leaves and chain certificates; unreadable files and unparsable certificates become rejections. */
function collect(sources: ImportSource[], rejected: ImportRejection[]): { leaves: Leaf[]; cas: Buffer[] } {
  const leaves: Leaf[] = [];
  const cas: Buffer[] = [];
  let count = 0;
  for (const src of sources) {
    const file = basename(src.name);
    let ders: Buffer[];
    try {
      ders = certsFromBytes(src.data);
    } catch (e) {
      rejected.push({ file, index: 0, subject: '-', fingerprint: '-', reason: `not a certificate file: ${(e as Error).message}` });
      continue;
    }
    if (ders.length === 0) rejected.push({ file, index: 0, subject: '-', fingerprint: '-', reason: 'no certificate found (expected PEM, DER or PKCS#7)' });
    count += ders.length;
    if (count > IMPORT_MAX_CERTIFICATES) throw new Error(`more than ${IMPORT_MAX_CERTIFICATES} certificates; import them in parts`);
    ders.forEach((der, i) => {
      let parsed: ParsedCert;
      try {
        parsed = parseCert(der);
      } catch (e) {
        rejected.push({ file, index: i + 1, subject: '(unparsable)', fingerprint: fingerprint(der), reason: `malformed: ${(e as Error).message}` });
        return;
      }
      if (parsed.basicConstraints?.ca) cas.push(der);
      else leaves.push({ file, index: i + 1, der, parsed });
    });
  }
  return { leaves, cas };
}

/** Validates and stores one leaf for each address it names; returns what was imported. */
async function importLeaf(leaf: Leaf, cas: Buffer[], o: ImportOptions, rejected: ImportRejection[]): Promise<ImportedCertificate[]> {
  const fp = fingerprint(leaf.der);
  const reject = (reason: string) => rejected.push({ file: leaf.file, index: leaf.index, subject: leaf.parsed.subjectText, fingerprint: fp, reason });
  const addresses = [...new Set(leaf.parsed.emails.map((e) => e.toLowerCase()).filter((e) => e.includes('@')))];
  if (addresses.length === 0) {
    reject('no e-mail address in the certificate');
    return [];
  }
  const out: ImportedCertificate[] = [];
  for (const address of addresses) {
    const domain = address.slice(address.lastIndexOf('@') + 1);
    if (o.ourDomains.includes(domain)) {
      reject(`${address} is in our own domain (it gets proxy certificates)`);
      continue;
    }
    const v = validateCandidate({ der: leaf.der, chain: cas }, { address, at: o.now, trustAnchors: o.trustAnchors, crls: [], revocation: 'store' });
    if (!v.ok) {
      reject(`${address}: ${v.reason}`);
      continue;
    }
    await o.table.put({ address, fingerprint: fp, der: leaf.der, chain: v.chain, source: 'local', origin: `import ${leaf.file}`, notAfter: v.notAfter, addedAt: o.now });
    out.push({ address, fingerprint: fp, subject: leaf.parsed.subjectText, file: leaf.file });
  }
  return out;
}

/** Imports the certificates of `sources` into the directory's local store. */
export async function importCertificates(sources: ImportSource[], o: ImportOptions): Promise<ImportResult> {
  const rejected: ImportRejection[] = [];
  const { leaves, cas } = collect(sources, rejected);
  const imported: ImportedCertificate[] = [];
  for (const [i, leaf] of leaves.entries()) {
    imported.push(...(await importLeaf(leaf, cas, o, rejected)));
    o.onProgress?.(i + 1, leaves.length);
  }
  return { imported, rejected, chainCertificates: cas.length, leaves: leaves.length };
}

/** Bundles at least this large get a progress bar. */
export const PROGRESS_MIN = 100;

/**
 * A one-line progress bar for stderr (`\r` redrawn), written only when the shown percentage changes;
 * ends with a newline at 100 %.
 */
export function progressBar(write: (s: string) => void, label = 'importing', width = 30): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    if (total < PROGRESS_MIN) return;
    const pct = Math.floor((done * 100) / total);
    if (pct === last) return;
    last = pct;
    const filled = Math.round((done * width) / total);
    write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${total}${done === total ? '\n' : ''}`);
  };
}
