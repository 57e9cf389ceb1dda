// Guarded BER/DER walker for untrusted CMS input. Pure module, no I/O. Trust level: parses bytes that
// arrive from the network (inbound S/MIME), so every length, depth and count is bounded by a named limit.
//
// Why hand-written: @peculiar/asn1-schema (via asn1js) parses whatever it is given with no limit on
// nesting depth or element count, and its handling of indefinite-length BER and of constructed
// (segmented) OCTET STRINGs is uneven across types. CMS from OpenSSL `-stream`, Bouncy Castle and NSS
// routinely uses both. So untrusted bytes go through this walker first: it validates the whole TLV
// tree against the limits, and can re-emit definite-length encodings (and flatten segmented strings)
// so that only well-formed, bounded input ever reaches asn1-schema.

import { SmimeError } from './errors.js';

export interface DerLimits {
  /** Largest accepted input, in bytes. */
  maxBytes: number;
  /** Deepest accepted nesting of constructed elements. */
  maxDepth: number;
  /** Most TLV elements accepted in one input (bounds work on inputs full of tiny elements). */
  maxNodes: number;
}

export const DEFAULT_DER_LIMITS: Readonly<DerLimits> = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 64,
  maxNodes: 200_000,
});

const LIMIT_RANGES: Record<keyof DerLimits, [number, number]> = {
  maxBytes: [1024, 1024 * 1024 * 1024],
  maxDepth: [8, 1024],
  maxNodes: [64, 100_000_000],
};

/** Validates limits (0 or negative never means "unlimited"). Throws SmimeError('invalid-input'). */
export function resolveDerLimits(partial?: Partial<DerLimits>): DerLimits {
  const out: DerLimits = { ...DEFAULT_DER_LIMITS, ...(partial ?? {}) };
  for (const k of Object.keys(LIMIT_RANGES) as (keyof DerLimits)[]) {
    const [min, max] = LIMIT_RANGES[k];
    const v = out[k];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new SmimeError('invalid-input', `DER limit ${k}=${v} outside ${min}..${max}`);
    }
  }
  return out;
}

export const TAG_CLASS_UNIVERSAL = 0;
export const TAG_CLASS_APPLICATION = 1;
export const TAG_CLASS_CONTEXT = 2;
export const TAG_CLASS_PRIVATE = 3;

/** One element of the BER tree. Offsets are into the buffer that was walked. */
export interface BerNode {
  tagClass: number;
  constructed: boolean;
  tagNumber: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the last content octet (before the end-of-contents octets when indefinite). */
  contentEnd: number;
  /** Offset just past the whole element (including end-of-contents octets when indefinite). */
  end: number;
  indefinite: boolean;
  /** Children of a constructed element; undefined for primitive ones. */
  children?: BerNode[];
}

export interface BerTree {
  root: BerNode;
  /** True when the input used only definite lengths and no segmented universal strings. */
  isDefiniteAndFlat: boolean;
}

function malformed(msg: string): never {
  throw new SmimeError('malformed', msg);
}

// Universal string types that BER allows to be sent in constructed (segmented) form.
const SEGMENTABLE_UNIVERSAL = new Set([3, 4, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 30]);

/**
 * Walks `buf` as exactly one BER element (trailing bytes are rejected) and returns its tree.
 * Throws SmimeError('malformed') on any violation; never reads outside `buf`.
 */
export function walkBer(buf: Uint8Array, limits: DerLimits = DEFAULT_DER_LIMITS): BerTree {
  if (buf.length === 0) malformed('empty input');
  if (buf.length > limits.maxBytes) malformed(`input of ${buf.length} bytes exceeds limit ${limits.maxBytes}`);
  const state = { nodes: 0, flat: true };

  function readNode(pos: number, limit: number, depth: number): BerNode {
    if (depth > limits.maxDepth) malformed(`nesting deeper than ${limits.maxDepth}`);
    if (++state.nodes > limits.maxNodes) malformed(`more than ${limits.maxNodes} elements`);
    const start = pos;
    if (pos >= limit) malformed('truncated: missing tag');
    const id = buf[pos++]!;
    const tagClass = id >> 6;
    const constructed = (id & 0x20) !== 0;
    let tagNumber = id & 0x1f;
    if (tagNumber === 0x1f) {
      tagNumber = 0;
      for (let i = 0; ; i++) {
        if (pos >= limit) malformed('truncated: tag number');
        if (i >= 4) malformed('tag number too large');
        const b = buf[pos++]!;
        if (i === 0 && b === 0x80) malformed('non-minimal tag number');
        tagNumber = tagNumber * 128 + (b & 0x7f);
        if ((b & 0x80) === 0) break;
      }
    }
    if (pos >= limit) malformed('truncated: missing length');
    const lb = buf[pos++]!;
    let indefinite = false;
    let len = 0;
    if (lb < 0x80) {
      len = lb;
    } else if (lb === 0x80) {
      if (!constructed) malformed('indefinite length on a primitive element');
      indefinite = true;
    } else {
      const n = lb & 0x7f;
      if (n > 4) malformed('length field longer than 4 octets');
      if (pos + n > limit) malformed('truncated: length octets');
      for (let i = 0; i < n; i++) len = len * 256 + buf[pos++]!;
    }
    if (tagClass === TAG_CLASS_UNIVERSAL && tagNumber === 0) malformed('unexpected end-of-contents');
    const contentStart = pos;
    if (!indefinite) {
      if (len > limit - pos) malformed(`length ${len} runs past the end of its container`);
      const contentEnd = pos + len;
      const node: BerNode = {
        tagClass, constructed, tagNumber, start, contentStart, contentEnd, end: contentEnd, indefinite,
      };
      if (constructed) {
        if (tagClass === TAG_CLASS_UNIVERSAL && SEGMENTABLE_UNIVERSAL.has(tagNumber)) state.flat = false;
        const children: BerNode[] = [];
        let p = contentStart;
        while (p < contentEnd) {
          const child = readNode(p, contentEnd, depth + 1);
          children.push(child);
          p = child.end;
        }
        node.children = children;
      }
      return node;
    }
    // Indefinite length: children until the end-of-contents octets 00 00.
    state.flat = false;
    const children: BerNode[] = [];
    let p = contentStart;
    for (;;) {
      if (p + 2 > limit) malformed('truncated: missing end-of-contents');
      if (buf[p] === 0 && buf[p + 1] === 0) break;
      const child = readNode(p, limit, depth + 1);
      children.push(child);
      p = child.end;
    }
    return {
      tagClass, constructed, tagNumber, start, contentStart, contentEnd: p, end: p + 2, indefinite, children,
    };
  }

  const root = readNode(0, buf.length, 0);
  if (root.end !== buf.length) malformed(`${buf.length - root.end} trailing bytes after the outer element`);
  return { root, isDefiniteAndFlat: state.flat };
}

/** Bytes of a primitive element's content, or the concatenated contents of a segmented one. */
export function stringContent(buf: Buffer, node: BerNode): Buffer {
  if (!node.constructed) return buf.subarray(node.contentStart, node.contentEnd);
  const parts: Buffer[] = [];
  collectSegments(buf, node, parts);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function collectSegments(buf: Buffer, node: BerNode, out: Buffer[]): void {
  for (const c of node.children ?? []) {
    if (c.tagClass !== TAG_CLASS_UNIVERSAL || c.tagNumber !== 4) {
      malformed('segmented string contains a non-OCTET STRING segment');
    }
    if (c.constructed) collectSegments(buf, c, out);
    else out.push(buf.subarray(c.contentStart, c.contentEnd));
  }
}

/** DER length octets for `len`. */
export function encodeLength(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  let v = len;
  while (v > 0) {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function identifierOctets(node: BerNode, constructed: boolean): Buffer {
  const first = (node.tagClass << 6) | (constructed ? 0x20 : 0);
  if (node.tagNumber < 0x1f) return Buffer.from([first | node.tagNumber]);
  const bytes: number[] = [];
  let v = node.tagNumber;
  bytes.unshift(v & 0x7f);
  v = Math.floor(v / 128);
  while (v > 0) {
    bytes.unshift(0x80 | (v & 0x7f));
    v = Math.floor(v / 128);
  }
  return Buffer.from([first | 0x1f, ...bytes]);
}

/**
 * Re-encodes one element with definite lengths, flattening segmented universal strings into
 * primitive ones. (Not a full DER canonicaliser: SET OF order and BOOLEAN values are kept as sent,
 * which is what signature checks over received bytes need anyway.) Returns a subarray of `buf`
 * when the element is already definite and flat.
 */
export function toDefinite(buf: Buffer, node: BerNode): Buffer {
  if (!node.constructed) return buf.subarray(node.start, node.end);
  if (!needsRewrite(node)) return buf.subarray(node.start, node.end);
  if (node.tagClass === TAG_CLASS_UNIVERSAL && SEGMENTABLE_UNIVERSAL.has(node.tagNumber)) {
    const content = stringContent(buf, node);
    return Buffer.concat([identifierOctets(node, false), encodeLength(content.length), content]);
  }
  const parts = (node.children ?? []).map((c) => toDefinite(buf, c));
  const total = parts.reduce((a, p) => a + p.length, 0);
  return Buffer.concat([identifierOctets(node, true), encodeLength(total), ...parts]);
}

function needsRewrite(node: BerNode): boolean {
  if (!node.constructed) return false;
  if (node.indefinite) return true;
  if (node.tagClass === TAG_CLASS_UNIVERSAL && SEGMENTABLE_UNIVERSAL.has(node.tagNumber)) return true;
  return (node.children ?? []).some(needsRewrite);
}

/** Throws SmimeError('malformed') unless `node` has the given class/number/constructed form. */
export function expectTag(node: BerNode | undefined, tagClass: number, tagNumber: number, what: string): BerNode {
  if (!node || node.tagClass !== tagClass || node.tagNumber !== tagNumber) malformed(`expected ${what}`);
  return node;
}

/** Decodes an OBJECT IDENTIFIER element's content to dotted form (bounded: OIDs over 64 bytes rejected). */
export function readOid(buf: Buffer, node: BerNode): string {
  if (node.constructed || node.tagClass !== TAG_CLASS_UNIVERSAL || node.tagNumber !== 6) malformed('expected OID');
  const len = node.contentEnd - node.contentStart;
  if (len === 0 || len > 64) malformed('bad OID length');
  const arcs: number[] = [];
  let v = 0;
  for (let i = node.contentStart; i < node.contentEnd; i++) {
    const b = buf[i]!;
    if (v === 0 && b === 0x80) malformed('non-minimal OID arc');
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) malformed('OID arc too large');
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = v < 40 ? 0 : v < 80 ? 1 : 2;
        arcs.push(first, v - first * 40);
      } else arcs.push(v);
      v = 0;
    } else if (i === node.contentEnd - 1) malformed('truncated OID');
  }
  return arcs.join('.');
}

/** An AlgorithmIdentifier as read by readAlgorithmIdentifier. */
export interface AlgId {
  algorithm: string;
  /** The parameters element (tag, length, content) in definite form; absent when omitted. */
  parameters?: Buffer;
}

/**
 * Reads an AlgorithmIdentifier (SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL })
 * from an already walked tree. Hand-read rather than parsed with asn1-schema because it sits on the
 * decryption hot path: asn1js spends 10-20 µs on each of these 15-40 byte structures, several per
 * message, while the walker has already validated every TLV. Throws SmimeError('malformed').
 */
export function readAlgorithmIdentifier(buf: Buffer, node: BerNode | undefined, what: string): AlgId {
  if (!node || node.tagClass !== TAG_CLASS_UNIVERSAL || node.tagNumber !== 16 || !node.constructed) {
    malformed(`${what} is not well-formed`);
  }
  const kids = node.children ?? [];
  if (kids.length < 1 || kids.length > 2) malformed(`${what} is not well-formed`);
  const algorithm = readOid(buf, kids[0]!);
  return kids.length === 2 ? { algorithm, parameters: toDefinite(buf, kids[1]!) } : { algorithm };
}
