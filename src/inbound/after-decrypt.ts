// What the inbound stage does with a message once it is decrypted and its signatures are known:
// loop detection (hop count), the Direct-style envelope check, harvesting valid signers'
// certificates into the certificate directory, and the optional visible note.
// Trust level: sees plaintext; harvest errors never stop delivery (the directory validates what
// it stores); every verdict other than continue names its reason.
import type { StageMessage, Verdict } from '../pipeline/stage.js';
import { DECRYPTION_FIELD, dropFields, ENVELOPE_CHECK_FIELD } from './headers.js';
import { addVisibleNote } from './note.js';
import { partialDecryptionField } from './nested.js';
import { envelopeMismatches, hopCount } from './routing.js';
import type { InboundOutcome, InboundSmimeOptions, SignatureReport } from './decrypt-stage.js';

type Continued = Extract<InboundOutcome, { kind: 'continue' }>;

/** Stores each valid signer's certificate; returns how many the directory accepted. */
async function harvestSigners(reports: SignatureReport[], opts: InboundSmimeOptions, messageId: string): Promise<number> {
  if (!opts.harvest) return 0;
  let stored = 0;
  for (const r of reports) {
    if (r.result !== 'pass' || !r.signer || !r.evidence) continue;
    try {
      const ok = await opts.harvest(r.signer.toLowerCase(), r.evidence.certificate, {
        chain: r.evidence.chain.slice(1),
        ...(r.evidence.capabilities ? { capabilities: r.evidence.capabilities } : {}),
        messageId,
      });
      if (ok) stored++;
    } catch {
      // The directory being unavailable must not hold up the message; the next signed mail harvests again.
    }
  }
  return stored;
}

/** The note's text: what we did and found, in plain words. */
export function noteText(r: Pick<Continued, 'decrypted' | 'reports' | 'partial'>): string {
  const lines = ['[Secure email gateway]'];
  if (r.partial) {
    const n = r.partial.decrypted.length;
    lines.push(`Only ${n > 1 ? 'parts' : 'part'} ${r.partial.decrypted.join(', ')} of this message ${n > 1 ? 'were' : 'was'} sent encrypted; decrypted on arrival.`);
    if (r.partial.others.length) lines.push(`Not protected on the way (added by a list or relay, or sent in the clear): part(s) ${r.partial.others.join(', ')}.`);
  } else if (r.decrypted) lines.push('This message was sent to you encrypted; it was decrypted on arrival.');
  for (const s of r.reports) {
    const who = s.signer ?? 'an unknown signer';
    const types = s.signatureTypes.length ? ` (${s.signatureTypes.join(', ')})` : '';
    if (s.result === 'pass') lines.push(`Digital signature: valid, signed by ${who}${types}.`);
    else if (s.result === 'fail') lines.push(`Digital signature: INVALID (${who}${types}). The message may have been altered.`);
    else lines.push(`Digital signature: not verified (${who}${types}): ${s.reason}.`);
  }
  return lines.join('\n');
}

export async function afterDecrypt(msg: StageMessage, r: Continued, opts: InboundSmimeOptions): Promise<Verdict> {
  // Fields only we write: one arriving from outside is removed.
  let body = dropFields(r.body, (f) => f.name === ENVELOPE_CHECK_FIELD.toLowerCase() || f.name === DECRYPTION_FIELD.toLowerCase());
  if (r.partial) body = Buffer.concat([Buffer.from(partialDecryptionField(DECRYPTION_FIELD, 'S/MIME', r.partial.decrypted, r.partial.others), 'latin1'), body]);
  const hops = hopCount(body);
  if (opts.hopLimit && hops > opts.hopLimit) {
    return { kind: 'reject', reason: `inbound: mail loop: ${hops} Received header fields after decryption (limit ${opts.hopLimit})` };
  }
  const notes: string[] = [];
  const check = opts.tamperCheck ?? 'off';
  if (check !== 'off') {
    const problems = envelopeMismatches(body, msg.envelope);
    if (problems.length && (check === 'hold' || check === 'reject')) {
      return { kind: check, reason: `inbound: envelope does not match the message header: ${problems.join('; ')}` };
    }
    if (problems.length) {
      body = Buffer.concat([Buffer.from(`${ENVELOPE_CHECK_FIELD}: mismatch (${problems.join('; ').replace(/[\r\n()]/g, ' ').slice(0, 400)})\r\n`, 'latin1'), body]);
      notes.push('envelope mismatch annotated');
    }
  }
  const harvested = await harvestSigners(r.reports, opts, msg.id);
  if (opts.visibleNote && (r.decrypted || r.reports.length)) body = addVisibleNote(body, noteText(r));
  if (r.decrypted) notes.push(`decrypted ${r.decrypted} layer(s)${r.partial ? ` in part(s) ${r.partial.decrypted.join(',')}` : ''}`);
  if (r.reports.length) notes.push(`signatures: ${r.reports.map((x) => x.result).join(',')}`);
  if (r.removedForged) notes.push(`removed ${r.removedForged} forged Authentication-Results`);
  if (harvested) notes.push(`harvested ${harvested} certificate(s)`);
  return {
    kind: 'continue',
    ...(body.equals(msg.body) ? {} : { body }),
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}
