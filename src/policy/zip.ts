// Minimal ZIP reader for the policy engine (zip archives, DOCX/XLSX/ODT containers).
// Trust level: untrusted archives. Reads the central directory only (no streaming local-header
// guessing), supports stored and deflated entries, and inflates with node:zlib's inflateRawSync
// under maxOutputLength taken from a per-message budget, so a zip bomb stops at the budget instead
// of filling memory. Hand-written instead of a package because node:zlib already does the real
// work natively and the format part is three fixed-size records; a dependency would not give us the
// shared inflate budget across nested archives, PDFs and documents that zip-bomb defence needs.
import { inflateRawSync } from 'node:zlib';

export interface InflateBudget {
  /** Bytes that may still be inflated for this message (archives, PDFs, documents together). */
  left: number;
  /** Set when some content was not inspected because a limit was reached. */
  exhausted: boolean;
}

export interface ZipEntry {
  name: string;
  method: number;
  encrypted: boolean;
  compressedSize: number;
  size: number;
  dataOffset: number;
}

export class ZipError extends Error {}

const EOCD_SIG = 0x06054b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;

export function looksLikeZip(buf: Buffer): boolean {
  return buf.length >= 22 && buf.readUInt32LE(0) === LFH_SIG;
}

/** List entries from the central directory; throws ZipError on a structure it cannot trust. */
export function listZip(buf: Buffer, maxEntries: number): ZipEntry[] {
  const min = Math.max(0, buf.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = buf.length - 22; i >= min; i--) {
    if (buf.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('no end of central directory');
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOff = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOff === 0xffffffff) throw new ZipError('zip64 archives are not supported');
  if (cdOff + cdSize > buf.length) throw new ZipError('central directory out of range');
  const entries: ZipEntry[] = [];
  let p = cdOff;
  for (let k = 0; k < count && k < maxEntries; k++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CDH_SIG) throw new ZipError('bad central directory entry');
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const usize = buf.readUInt32LE(p + 24);
    const nlen = buf.readUInt16LE(p + 28);
    const xlen = buf.readUInt16LE(p + 30);
    const clen = buf.readUInt16LE(p + 32);
    const lho = buf.readUInt32LE(p + 42);
    const name = buf.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nlen);
    p += 46 + nlen + xlen + clen;
    if (lho + 30 > buf.length || buf.readUInt32LE(lho) !== LFH_SIG) throw new ZipError('bad local header');
    const dataOffset = lho + 30 + buf.readUInt16LE(lho + 26) + buf.readUInt16LE(lho + 28);
    if (dataOffset + csize > buf.length) throw new ZipError('entry data out of range');
    entries.push({ name, method, encrypted: (flags & 1) === 1, compressedSize: csize, size: usize, dataOffset });
  }
  return entries;
}

/**
 * Inflate one entry within the budget. Returns undefined (and marks the budget exhausted) when the
 * entry is encrypted, uses an unsupported method, is corrupt, or would exceed the budget.
 */
export function readZipEntry(buf: Buffer, e: ZipEntry, budget: InflateBudget): Buffer | undefined {
  if (e.encrypted || (e.method !== 0 && e.method !== 8)) {
    budget.exhausted = true;
    return undefined;
  }
  const data = buf.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
  if (e.method === 0) {
    if (data.length > budget.left) {
      budget.exhausted = true;
      return undefined;
    }
    budget.left -= data.length;
    return data;
  }
  return inflateBounded(data, budget, true);
}

/** Raw (zip) or zlib (PDF FlateDecode) inflate capped by the budget. */
export function inflateBounded(data: Buffer, budget: InflateBudget, raw: boolean): Buffer | undefined {
  if (budget.left <= 0) {
    budget.exhausted = true;
    return undefined;
  }
  try {
    const out = raw
      ? inflateRawSync(data, { maxOutputLength: budget.left })
      : // PDFs in the wild often have truncated streams: Z_SYNC_FLUSH returns what was decoded
        inflateZlibLenient(data, budget.left);
    budget.left -= out.length;
    return out;
  } catch {
    budget.exhausted = true;
    return undefined;
  }
}

import { inflateSync, constants as zc } from 'node:zlib';

function inflateZlibLenient(data: Buffer, max: number): Buffer {
  return inflateSync(data, { maxOutputLength: max, finishFlush: zc.Z_SYNC_FLUSH });
}
