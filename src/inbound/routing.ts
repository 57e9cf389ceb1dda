// Routing checks on the message as it will be delivered (after decryption, so header-protected
// headers count): the Direct-style envelope check (every envelope recipient appears in To/Cc, the
// envelope sender is the From or Sender address) and loop detection by hop count. Pure.
// Trust level: parses untrusted messages; decides nothing itself beyond returning findings.
import { fieldValue, splitHeader, type RawField } from './headers.js';

/** Most addresses read from one header field. */
export const MAX_ADDRESSES_PER_FIELD = 1000;

/** Addresses in an address-list field value (comments and display names dropped), lower-cased. */
export function addressesIn(value: string): string[] {
  const noComments = value.replace(/\((?:[^()\\]|\\.)*\)/g, ' ').replace(/"(?:[^"\\]|\\.)*"/g, ' ');
  const out: string[] = [];
  for (const m of noComments.matchAll(/<\s*([^<>\s]+@[^<>\s]+)\s*>|([^\s<>,;:"]+@[^\s<>,;:"]+)/g)) {
    if (out.length >= MAX_ADDRESSES_PER_FIELD) break;
    out.push((m[1] ?? m[2]!).toLowerCase());
  }
  return out;
}

function addressesOf(fields: RawField[], names: string[]): Set<string> {
  return new Set(fields.filter((f) => names.includes(f.name)).flatMap((f) => addressesIn(fieldValue(f))));
}

/**
 * What does not match between the envelope and the header, as short reasons (empty: consistent).
 * A null reverse-path (bounce) has no sender to compare.
 */
export function envelopeMismatches(msg: Buffer, envelope: { sender: string; recipients: string[] }): string[] {
  const { fields } = splitHeader(msg);
  const shown = addressesOf(fields, ['to', 'cc']);
  const problems: string[] = [];
  const missing = envelope.recipients.filter((r) => !shown.has(r.toLowerCase()));
  if (missing.length) problems.push(`envelope recipient ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''} not in To/Cc`);
  if (envelope.sender !== '') {
    const authors = addressesOf(fields, ['from', 'sender']);
    if (!authors.has(envelope.sender.toLowerCase())) problems.push(`envelope sender ${envelope.sender} is not the From or Sender address`);
  }
  return problems;
}

/** Top-level Received fields. */
export function hopCount(msg: Buffer): number {
  return splitHeader(msg).fields.filter((f) => f.name === 'received').length;
}
