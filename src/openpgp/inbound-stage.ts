// Inbound OpenPGP stage (after the inbound S/MIME stage, before antivirus): decrypts PGP/MIME
// (RFC 3156) and inline PGP mail encrypted to our domain key or to an internal user's escrowed
// key, verifies OpenPGP signatures (PGP/MIME multipart/signed, signed-and-encrypted, inline
// cleartext) with keys from discovery, and reports each in an Authentication-Results header
// (method "pgp", signer as header.from), as the S/MIME stage does with "smime". Keys carried by a
// verified signed message (Autocrypt header or attached key) are harvested for later encryption.
// Encrypted parts inside multipart/mixed (a list footer appended on the way) are decrypted in
// place (src/inbound/nested.ts), with the same holds.
// Trust level: holds decryption keys (through the key store and the KEK); parses untrusted mail;
// fails closed: an encrypted message we cannot open is held with the reason, never delivered opaque.
// Results claiming to be ours inside decrypted content are removed; the top level is cleaned by
// the S/MIME stage that runs first (or here with `removeForged` when it does not run).
import * as openpgp from 'openpgp';
import type { Stage, StageContext, StageMessage, Verdict } from '../pipeline/stage.js';
import { DECRYPTION_FIELD, fieldValue, removeForgedResults, splitHeader } from '../inbound/headers.js';
import { asBodyPart, isPgpPart, NESTED_LIMITS, openNestedParts, partialDecryptionField, type NestedLimits, type PartialDecryption } from '../inbound/nested.js';
import { addressToken, clean, fromAddress } from '../inbound/decrypt-stage.js';
import type { Discovery } from './discovery.js';
import { keyAddresses, PGP_CONFIG, readKeysAny } from './keys.js';
import { armoredBlock, pgpKind, withPlaintext, type PgpKind } from './mime.js';
import type { PgpKeyStore } from './store.js';

/**
 * Clock skew tolerated between a sender and us: signatures are checked as of now + this, so a
 * sender whose clock runs a little ahead is not reported as a failed (tampered) signature.
 */
export const SIGNATURE_CLOCK_SKEW_MS = 10 * 60_000;
const verifyAt = (now: Date) => new Date(now.getTime() + SIGNATURE_CLOCK_SKEW_MS);

type SigResult = openpgp.VerifyMessageResult['signatures'][number];

export interface InboundPgpOptions {
  hostname: string;
  keys: PgpKeyStore;
  discovery: Discovery;
  harvest: boolean;
  /** Remove forged results at the top level too (only when no S/MIME stage ran before). */
  removeForged?: boolean;
  audit?: (e: { type: string; actor: string; messageId: string; data: Record<string, unknown> }) => Promise<unknown>;
  /** How deep and how wide to look for encrypted parts in a message that is not itself encrypted (src/inbound/nested.ts). */
  nested?: NestedLimits;
}

export type PgpResult = 'pass' | 'fail' | 'neutral';
export interface PgpReport {
  result: PgpResult;
  signer?: string;
  keyId?: string;
  reason: string;
  /** The signed content is this body part only (IMAP part number); absent: the whole message. */
  part?: string;
}


export function pgpResultHeader(hostname: string, r: PgpReport): string {
  const key = r.keyId ? ` body.pgp-keyid=${r.keyId}` : '';
  return `Authentication-Results: ${clean(hostname, 253)};\r\n pgp=${r.result} header.from=${addressToken(r.signer)}${key}\r\n (${clean(r.reason)})\r\n`;
}


/** Keys this message offers for its From address: Autocrypt header keydata or an armored public key. */
async function offeredKeys(msg: Buffer, from: string): Promise<openpgp.Key[]> {
  const out: openpgp.Key[] = [];
  const ac = splitHeader(msg).fields.find((f) => f.name === 'autocrypt');
  const keydata = ac ? /keydata=([A-Za-z0-9+/=\s]+)/.exec(fieldValue(ac))?.[1] : undefined;
  const armored = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/.exec(msg.toString('latin1'))?.[0];
  for (const data of [keydata ? Buffer.from(keydata.replace(/\s+/g, ''), 'base64') : undefined, armored]) {
    if (!data) continue;
    try {
      out.push(...(await readKeysAny(data)).filter((k) => keyAddresses(k).includes(from)));
    } catch {
      // not a key: ignore
    }
  }
  return out;
}

interface VerifyCtx {
  opts: InboundPgpOptions;
  now: Date;
  from: string | undefined;
  /** Message whose attached keys may be harvested. */
  carrier: Buffer;
}

/** Verifies signatures against discovered keys, then against keys the message carries (harvest). */
async function judge(sigs: SigResult[], v: VerifyCtx, verifyWith: (keys: openpgp.Key[]) => Promise<SigResult[]>): Promise<PgpReport[]> {
  if (sigs.length === 0) return [];
  const keyId = sigs[0]!.keyID.toHex();
  if (!v.from) return [{ result: 'neutral', keyId, reason: 'no From address to look up the signer key' }];
  const found = await v.opts.discovery.lookup(v.from, v.now).catch(() => ({ kind: 'none' as const, why: 'lookup failed' }));
  const candidates: Array<{ key: openpgp.Key; source: string }> = found.kind === 'found' ? [{ key: found.key, source: found.source }] : [];
  const offered = await offeredKeys(v.carrier, v.from);
  for (const key of offered) candidates.push({ key, source: 'message' });
  for (const c of candidates) {
    const rs = await verifyWith([c.key]);
    const r = rs[0];
    if (!r) continue;
    try {
      await r.verified;
    } catch (e) {
      const msg = (e as Error).message;
      if (/could not find signing key/i.test(msg)) continue;
      return [{ result: 'fail', signer: v.from, keyId: r.keyID.toHex(), reason: `signature invalid: ${msg}` }];
    }
    if (c.source === 'message') {
      if (v.opts.harvest) await v.opts.keys.put(c.key, { kind: 'external', address: v.from, domain: v.from.split('@')[1] ?? null, source: 'harvested' }).catch(() => undefined);
      return [{ result: 'neutral', signer: v.from, keyId: r.keyID.toHex(), reason: 'valid signature by a key first seen in this message (harvested)' }];
    }
    return [{ result: 'pass', signer: v.from, keyId: r.keyID.toHex(), reason: `valid signature, signer key from ${c.source}` }];
  }
  return [{ result: 'neutral', signer: v.from, keyId, reason: `signer key not found: ${found.kind === 'none' ? found.why : 'key does not match the signature'}` }];
}

async function verifyDetached(signed: Buffer, armoredSignature: string, v: VerifyCtx): Promise<PgpReport[]> {
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature });
  } catch {
    return [{ result: 'fail', signer: v.from, reason: 'signature cannot be checked: unreadable signature' }];
  }
  // Message objects are consumed by verify(): a fresh one per call.
  const message = () => openpgp.createMessage({ binary: signed });
  const first = await openpgp.verify({ message: await message(), signature, verificationKeys: [], config: PGP_CONFIG });
  return judge(first.signatures, v, async (keys) => (await openpgp.verify({ message: await message(), signature, verificationKeys: keys, date: verifyAt(v.now), config: PGP_CONFIG })).signatures);
}

async function verifyCleartext(text: string, v: VerifyCtx): Promise<PgpReport[]> {
  const block = armoredBlock(text, 'SIGNED MESSAGE');
  if (!block) return [];
  const message = () => openpgp.readCleartextMessage({ cleartextMessage: block.block });
  try {
    await message();
  } catch {
    return [{ result: 'fail', signer: v.from, reason: 'signature cannot be checked: malformed cleartext signature' }];
  }
  const first = await openpgp.verify({ message: await message(), verificationKeys: [], config: PGP_CONFIG });
  return judge(first.signatures, v, async (keys) => (await openpgp.verify({ message: await message(), verificationKeys: keys, date: verifyAt(v.now), config: PGP_CONFIG })).signatures);
}

export type InboundPgpOutcome =
  | {
      kind: 'continue';
      body: Buffer;
      decrypted: boolean;
      reports: PgpReport[];
      removedForged: number;
      /** Set when only some body parts were encrypted (src/inbound/nested.ts). */
      partial?: PartialDecryption;
    }
  | { kind: 'hold'; reason: string };

type Decrypted = { plaintext: Buffer; reports: PgpReport[] } | { hold: string };

async function decryptArmored(armored: string, opts: InboundPgpOptions, v: VerifyCtx): Promise<Decrypted> {
  try {
    await openpgp.readMessage({ armoredMessage: armored });
  } catch {
    return { hold: 'inbound-openpgp: malformed OpenPGP message' };
  }
  let keys: openpgp.PrivateKey[];
  try {
    keys = await opts.keys.decryptionKeys(['domain', 'user']);
  } catch {
    return { hold: 'inbound-openpgp: cannot decrypt: our OpenPGP keys are unavailable' };
  }
  if (keys.length === 0) return { hold: 'inbound-openpgp: cannot decrypt: no OpenPGP domain key exists yet' };
  // A Message object is consumed by decrypt(): read it again for the run with the signer's key.
  const run = async (verificationKeys: openpgp.Key[]) => openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: armored }), decryptionKeys: keys, verificationKeys, format: 'binary', date: verifyAt(v.now), config: PGP_CONFIG });
  let first;
  try {
    first = await run([]);
  } catch (e) {
    const m = (e as Error).message;
    const why = /session key|no.*key|decryption key/i.test(m) ? 'not encrypted to a key of ours' : m;
    return { hold: `inbound-openpgp: cannot decrypt: ${clean(why)}` };
  }
  const plaintext = Buffer.from(first.data as Uint8Array);
  const reports = await judge(first.signatures, { ...v, carrier: plaintext }, async (k) => (await run(k)).signatures);
  return { plaintext, reports };
}

function stripForged(msg: Buffer, hostname: string): { message: Buffer; removed: number } {
  return removeForgedResults(msg, hostname);
}

type Opened = { body: Buffer; decrypted: boolean; reports: PgpReport[]; removedForged: number } | { hold: string };

/** Opens one OpenPGP message (or body part) of kind `k`: decrypts, then verifies a signed layer. */
async function openPgp(msg: Buffer, k: Exclude<PgpKind, { kind: 'none' }>, v: VerifyCtx): Promise<Opened> {
  const { opts } = v;
  let cur = msg;
  let removedForged = 0;
  const reports: PgpReport[] = [];
  let decrypted = false;
  if (k.kind === 'pgpmime-encrypted' || k.kind === 'inline-encrypted') {
    const armored = k.kind === 'pgpmime-encrypted' ? k.armored : armoredBlock(k.text, 'MESSAGE')?.block;
    if (!armored) return { hold: 'inbound-openpgp: malformed inline OpenPGP message' };
    const d = await decryptArmored(armored, opts, v);
    if ('hold' in d) return d;
    reports.push(...d.reports);
    if (k.kind === 'pgpmime-encrypted') cur = withPlaintext(cur, d.plaintext, 'entity');
    else {
      const block = armoredBlock(k.text, 'MESSAGE')!;
      cur = withPlaintext(cur, Buffer.from(k.text.slice(0, block.start) + d.plaintext.toString('utf8') + k.text.slice(block.end), 'utf8'), 'text');
    }
    const s = stripForged(cur, opts.hostname);
    cur = s.message;
    removedForged += s.removed;
    decrypted = true;
  }
  // A signed layer (outermost, or found inside the decrypted content).
  const inner = decrypted ? pgpKind(cur) : k;
  if (inner.kind === 'pgpmime-signed') reports.push(...(await verifyDetached(inner.signed, inner.signature, { ...v, carrier: cur })));
  else if (inner.kind === 'inline-signed') reports.push(...(await verifyCleartext(inner.text, { ...v, carrier: cur })));
  return { body: cur, decrypted, reports, removedForged };
}

const withResults = (hostname: string, reports: PgpReport[], msg: Buffer): Buffer => {
  const added = reports.map((r) => pgpResultHeader(hostname, r)).join('');
  return added ? Buffer.concat([Buffer.from(added, 'latin1'), msg]) : msg;
};

/** The stage's core: one message in, the delivered message (or a hold) out. */
export async function processInboundPgp(body: Buffer, opts: InboundPgpOptions, now: Date): Promise<InboundPgpOutcome> {
  const top = opts.removeForged ? stripForged(body, opts.hostname) : { message: body, removed: 0 };
  const cur = top.message;
  const k = pgpKind(cur);
  if (k.kind === 'none') return openNested(cur, top.removed, opts, now);
  const r = await openPgp(cur, k, { opts, now, from: fromAddress(cur), carrier: cur });
  if ('hold' in r) return { kind: 'hold', reason: r.hold };
  return { kind: 'continue', body: withResults(opts.hostname, r.reports, r.body), decrypted: r.decrypted, reports: r.reports, removedForged: top.removed + r.removedForged };
}

/**
 * A message that is not OpenPGP at the top: PGP/MIME or inline-armored encrypted parts inside a
 * multipart/mixed (a list footer appended to an encrypted message) are decrypted in place, with the
 * same holds as a whole message; an X-Sealgate-Decryption field names the parts that were and were
 * not encrypted, and signature results say which part they cover.
 */
async function openNested(msg: Buffer, removedForged: number, opts: InboundPgpOptions, now: Date): Promise<InboundPgpOutcome> {
  const from = fromAddress(msg);
  const n = await openNestedParts<PgpReport>(msg, isPgpPart, opts.nested ?? NESTED_LIMITS, async (p) => {
    const k = pgpKind(p.entity);
    if (k.kind !== 'pgpmime-encrypted' && k.kind !== 'inline-encrypted') return undefined; // plain text, or signed only: left as received
    const r = await openPgp(p.entity, k, { opts, now, from, carrier: p.entity });
    if ('hold' in r) return r;
    return { entity: asBodyPart(r.body, false), reports: r.reports, layers: 1, removedForged: r.removedForged };
  });
  if (!n) return { kind: 'continue', body: msg, decrypted: false, reports: [], removedForged };
  if ('hold' in n) return { kind: 'hold', reason: n.hold };
  const field = Buffer.from(partialDecryptionField(DECRYPTION_FIELD, 'OpenPGP', n.partial.decrypted, n.partial.others), 'latin1');
  const body = Buffer.concat([field, withResults(opts.hostname, n.reports, n.body)]);
  return { kind: 'continue', body, decrypted: true, reports: n.reports, removedForged: removedForged + n.removedForged, partial: n.partial };
}

export function createInboundPgpStage(opts: InboundPgpOptions): Stage {
  return {
    name: 'inbound-openpgp',
    directions: ['inbound'],
    async process(msg: StageMessage, ctx: StageContext): Promise<Verdict> {
      const r = await processInboundPgp(msg.body, opts, ctx.now());
      if (r.kind === 'hold') {
        await opts.audit?.({ type: 'openpgp-undecryptable', actor: 'system', messageId: msg.id, data: { reason: r.reason } });
        return r;
      }
      const notes: string[] = [];
      if (r.decrypted) notes.push(`decrypted OpenPGP${r.partial ? ` in part(s) ${r.partial.decrypted.join(',')}` : ''}`);
      if (r.reports.length) notes.push(`pgp signatures: ${r.reports.map((x) => x.result).join(',')}`);
      if (r.removedForged) notes.push(`removed ${r.removedForged} forged Authentication-Results`);
      return { kind: 'continue', ...(r.body === msg.body ? {} : { body: r.body }), ...(notes.length ? { note: notes.join('; ') } : {}) };
    },
  };
}
