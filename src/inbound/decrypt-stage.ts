// Inbound S/MIME stage: decrypts mail that partners encrypted to our proxy certificates or to the
// RFC 3183 domain confidentiality certificate (all bound to the domain encryption key), unwraps
// header protection (RFC 8551 §3.1: the inner message/rfc822 is what gets delivered), verifies
// S/MIME signatures (also those found after decryption) and reports them in an
// Authentication-Results header (draft-melnikov-authentication-results-smime, published as RFC 7281:
// method smime, signer as header.from, certificate serial as body.smime-serial). Results
// claiming to be ours that arrive from outside are removed first. A message that is not S/MIME at
// the top but carries an encrypted smime.p7m part in multipart/mixed (a list footer appended on the
// way) has that part decrypted in place (nested.ts); the same holds apply to it.
// Trust level: holds the domain decryption keys (through the injected `keys` loader) and parses
// untrusted messages; fails closed: what cannot be decrypted is held with the reason, never
// delivered as an opaque blob. A message we do not decrypt keeps its bytes: only header fields
// are prepended (ours) or removed (forged ones), never the signed body.
import {
  SmimeError,
  smimeDecryptMessage,
  smimeKind,
  smimeVerifyMessage,
  type DecryptKey,
  type SignerResult,
  type SmimeKind,
} from '../smime/index.js';
import type { Stage, StageContext, StageMessage, Verdict } from '../pipeline/stage.js';
import type { CertificateDirectory } from '../directory/types.js';
import type { CrlCheck, TamperAction, UndecryptableAction } from './config.js';
import type { CrlFetcher } from './revocation.js';
import { DECRYPTION_FIELD, dropFields, ENVELOPE_CHECK_FIELD, fieldValue, removeForgedResults, splitHeader } from './headers.js';
import { afterDecrypt } from './after-decrypt.js';
import { asBodyPart, isSmimePart, NESTED_LIMITS, openNestedParts, type NestedLimits, type PartialDecryption } from './nested.js';

/** Most S/MIME layers (encryption and signatures) peeled from one message (triple wrap is 3). */
export const MAX_INBOUND_LAYERS = 6;
/** Longest reason comment written into a result header. */
export const MAX_REASON_CHARS = 200;

export interface InboundSmimeOptions {
  /** Our hostname: the authserv-id of the results we write. */
  hostname: string;
  /** The domain decryption keys; loaded on first use (opening keys is slow and needs the KEK). */
  keys(): Promise<DecryptKey[]>;
  /**
   * Certificates (DER) whose signatures we trust for a sender in `domain` (the signed message's
   * From domain): our root, configured anchors and that domain's trust bundles.
   */
  trustAnchors(domain?: string): Promise<Buffer[]>;
  /** Audit sink for decryption failures (reasons only, never content). */
  audit?: (e: { type: string; actor: string; messageId: string; data: Record<string, unknown> }) => Promise<unknown>;
  /** CRL checking of signers that otherwise pass (`inbound.crlCheck`); absent or 'off': none. */
  crlCheck?: CrlCheck;
  crls?: CrlFetcher;
  /** Stores the certificate of a valid signer in the certificate directory (src/directory/types.ts harvest). */
  harvest?: CertificateDirectory['harvest'];
  /** Envelope versus header check (`inbound.tamperCheck`); default off. */
  tamperCheck?: TamperAction;
  /** Most Received fields on the message as delivered (after decryption); more is a loop. */
  hopLimit?: number;
  /** Add a short visible note for the recipient (`inbound.visibleNote`). */
  visibleNote?: boolean;
  /** What cannot be decrypted: 'hold' (default) or 'deliver' as received with DECRYPTION_FIELD (`inbound.undecryptable`). */
  undecryptable?: UndecryptableAction;
  /** How deep and how wide to look for encrypted parts in a message that is not itself encrypted (nested.ts). */
  nested?: NestedLimits;
}


export type SmimeResult = 'pass' | 'fail' | 'neutral';

export interface SignatureReport {
  result: SmimeResult;
  signer?: string;
  /** Signer certificate serial number (hex), RFC 7281 body.smime-serial. */
  serial?: string;
  signatureTypes: string[];
  reason: string;
  /** The signed content is this body part only (IMAP part number, RFC 7281 body.smime-part); absent: the whole message. */
  part?: string;
  /** For a harvest: the signer certificate, its chain (signer first, anchor last) and SMIMECapabilities. */
  evidence?: { certificate: Buffer; chain: Buffer[]; capabilities?: string[] };
}

const SIGNATURE_TYPE_NAMES = new Set(['originatorSig', 'domainSig', 'reviewSig', 'additionalAttributesSig']);
/** Failures that mean the content or signature is wrong (tampering), as opposed to an untrusted signer. */
const TAMPER = /digest|signature does not verify|content type attribute|signing certificate attribute|signed attributes|signature algorithm|cannot be checked|signer certificate not found/i;

/** Classifies one signer's result: pass, fail (does not verify), neutral (verifies, signer not trusted). */
export function classifySigner(s: SignerResult): SignatureReport {
  const signatureTypes = s.signatureTypes.filter((t) => SIGNATURE_TYPE_NAMES.has(t));
  const signer = s.emailAddresses[0];
  const serial = /^[0-9A-Fa-f]{1,64}$/.test(s.serialNumber) ? s.serialNumber.toLowerCase() : undefined;
  const evidence = s.certificate ? { evidence: { certificate: s.certificate, chain: s.chain, ...(s.capabilities ? { capabilities: s.capabilities } : {}) } } : {};
  const base = { signer, signatureTypes, ...(serial ? { serial } : {}), ...evidence };
  if (s.valid) return { result: 'pass', ...base, reason: 'valid signature, trusted signer' };
  const revoked = s.failures.find((f) => /certificate revoked/i.test(f));
  if (revoked) return { result: 'fail', ...base, reason: `signer ${revoked}` };
  const tamper = s.failures.filter((f) => TAMPER.test(f));
  if (!s.signatureValid || tamper.length > 0) {
    return { result: 'fail', ...base, reason: `signature invalid: ${(tamper[0] ?? s.failures[0] ?? 'does not verify')}` };
  }
  return { result: 'neutral', ...base, reason: `signer not trusted: ${s.failures[0] ?? 'no path to a trust anchor'}` };
}

/** Keeps a value safe inside a header comment or property: no CR/LF, parentheses, ';' or controls. */
export function clean(s: string, max = MAX_REASON_CHARS): string {
  return s.replace(/[\x00-\x1f\x7f()\\;"]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, max);
}

/** An address as a result-header token (RFC 8601 property value), or 'unknown'. Also used by src/openpgp. */
export function addressToken(s: string | undefined): string {
  const a = (s ?? '').replace(/[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]/g, '');
  return a.length > 0 && a.length <= 254 ? a : 'unknown';
}

/** One Authentication-Results field (CRLF-terminated) for one signature. */
export function resultHeader(hostname: string, r: SignatureReport): string {
  const types = r.signatureTypes.length ? ` (${r.signatureTypes.join(' ')})` : '';
  const serial = r.serial ? ` body.smime-serial=${r.serial}` : '';
  const part = r.part && /^[0-9]+(\.[0-9]+)*$/.test(r.part) ? ` body.smime-part=${r.part}` : '';
  return `Authentication-Results: ${clean(hostname, 253)};\r\n smime=${r.result}${types} header.from=${addressToken(r.signer)}${serial}${part}\r\n (${clean(r.reason)})\r\n`;
}

/** The address in the (signed) message's From field, lower-cased; undefined when there is none. */
export function fromAddress(msg: Buffer): string | undefined {
  const f = splitHeader(msg).fields.find((x) => x.name === 'from');
  if (!f) return undefined;
  const v = fieldValue(f).replace(/\([^)]*\)/g, ' ');
  const m = /<([^<>\s]+@[^<>\s]+)>/.exec(v) ?? /([^\s<>,;:"]+@[^\s<>,;:"]+)/.exec(v);
  return m?.[1]?.toLowerCase();
}

/**
 * A personal signature (not a domain or review signature, which are made by an authority address)
 * only vouches for the From address if the certificate names it (RFC 8550 §3). Otherwise the
 * result is neutral: the signature is good, but not the sender's.
 */
function checkSignerIsSender(r: SignatureReport, from: string | undefined): SignatureReport {
  if (r.result !== 'pass' || r.signatureTypes.some((t) => t === 'domainSig' || t === 'reviewSig')) return r;
  if (!from || r.signer?.toLowerCase() === from) return r;
  return { ...r, result: 'neutral', reason: `valid signature, but the signer ${r.signer ?? 'has no address and'} is not the From address ${from}` };
}

interface Verified {
  reports: SignatureReport[];
  inner?: Buffer;
  /** `inner` is the message the signature protects (RFC 8551 §3.1 header protection). */
  headerProtected?: boolean;
}

function verifyOnce(msg: Buffer, anchors: Buffer[], at: Date, outerFrom: string | undefined, crls?: Buffer[]): Verified {
  try {
    const v = smimeVerifyMessage(msg, { trustAnchors: anchors, at, ...(crls ? { crls } : {}) });
    const from = fromAddress(v.message) ?? outerFrom;
    const reports = v.layer.signers.map((x) => checkSignerIsSender(classifySigner(x), from));
    if (reports.length === 0) reports.push({ result: 'fail', signatureTypes: [], reason: 'no signer' });
    return { reports, inner: v.message, headerProtected: v.layer.headerProtected };
  } catch (e) {
    const why = e instanceof SmimeError ? `${e.code}: ${e.message}` : 'unparsable signature';
    return { reports: [{ result: 'fail', signatureTypes: [], reason: `signature cannot be checked: ${why}` }] };
  }
}

/**
 * Signers that pass are checked against their CRLs (when `crlCheck` is on): revoked → fail;
 * CRL unavailable → soft: still pass, the reason says revocation was not checked; hard: neutral.
 */
async function withRevocation(msg: Buffer, anchors: Buffer[], at: Date, outerFrom: string | undefined, first: Verified, opts: InboundSmimeOptions): Promise<Verified> {
  const passing = first.reports.filter((r) => r.result === 'pass' && r.evidence);
  if (!opts.crls || !opts.crlCheck || opts.crlCheck === 'off' || passing.length === 0) return first;
  const crls: Buffer[] = [];
  for (const r of passing) {
    const got = await opts.crls.crlsFor(r.evidence!.chain);
    if ('unavailable' in got) {
      const why = clean(got.unavailable, 120);
      const reports = first.reports.map((x) =>
        x.result !== 'pass' ? x : opts.crlCheck === 'hard' ? { ...x, result: 'neutral' as const, reason: `revocation status unknown: ${why}` } : { ...x, reason: `${x.reason}; revocation not checked: ${why}` },
      );
      return { ...first, reports };
    }
    crls.push(...got.crls);
  }
  const second = verifyOnce(msg, anchors, at, outerFrom, crls);
  const reports = second.reports.map((x) => (x.result === 'pass' ? { ...x, reason: `${x.reason}, not revoked: CRL checked` } : x));
  return { ...second, reports };
}

/** `outerFrom`: for a body part, which has no From field of its own, the From address of the message around it. */
async function reportsFor(msg: Buffer, opts: InboundSmimeOptions, at: Date, outerFrom: string | undefined): Promise<Verified> {
  const domain = (fromAddress(msg) ?? outerFrom)?.split('@').pop();
  let anchors: Buffer[];
  try {
    anchors = await opts.trustAnchors(domain);
  } catch {
    anchors = [];
  }
  if (!anchors.length) return { reports: [{ result: 'neutral', signatureTypes: [], reason: 'no trust anchors available' }] };
  return withRevocation(msg, anchors, at, outerFrom, verifyOnce(msg, anchors, at, outerFrom), opts);
}

/**
 * Outer trace fields (Received) that the inner, header-protected message does not carry: added by
 * relays (and by us) after the sender wrapped the message; kept so hop counting still works.
 */
function traceOnlyOutside(outer: Buffer, inner: Buffer): Buffer[] {
  const innerRaw = new Set(splitHeader(inner).fields.filter((f) => f.name === 'received').map((f) => f.raw.toString('latin1')));
  return splitHeader(outer)
    .fields.filter((f) => f.name === 'received' && !innerRaw.has(f.raw.toString('latin1')))
    .map((f) => f.raw);
}

function topContentType(msg: Buffer): string {
  const f = splitHeader(msg).fields.find((x) => x.name === 'content-type');
  return f ? fieldValue(f).split(';', 1)[0]!.trim().toLowerCase() : 'text/plain';
}

function kindOf(msg: Buffer): SmimeKind | { error: string } {
  try {
    return smimeKind(msg);
  } catch (e) {
    return { error: e instanceof SmimeError ? `${e.code}: ${e.message}` : 'malformed' };
  }
}

export type InboundOutcome =
  | {
      kind: 'continue';
      body: Buffer;
      decrypted: number;
      reports: SignatureReport[];
      removedForged: number;
      /** Set when only some body parts were encrypted (src/inbound/nested.ts). */
      partial?: PartialDecryption;
    }
  | { kind: 'hold'; reason: string };

type Opened = { kind: 'continue'; body: Buffer; decrypted: number; reports: SignatureReport[]; removedForged: number; wholeMessage: boolean } | { kind: 'hold'; reason: string };

/**
 * Peels the S/MIME layers of a message (or of one body part): decrypts, verifies signatures,
 * removes results claiming to be ours from decrypted content. `wholeMessage`: the result is a
 * complete message (header protection), not just an entity under the outer header.
 */
async function openLayers(msg: Buffer, opts: InboundSmimeOptions, now: Date, outerFrom?: string): Promise<Opened> {
  let cur = msg;
  let removedForged = 0;
  let decrypted = 0;
  let wholeMessage = false;
  const reports: SignatureReport[] = [];
  for (let layer = 0; ; layer++) {
    const k = kindOf(cur);
    if (typeof k === 'object') {
      const ct = topContentType(cur);
      if (/^application\/(x-)?pkcs7-mime$/.test(ct)) return { kind: 'hold', reason: `inbound-smime: unsupported or malformed S/MIME message (${clean(k.error)})` };
      break; // a broken multipart/signed or similar: deliver as is, with a failing result
    }
    if (k === 'none') break;
    if (layer >= MAX_INBOUND_LAYERS) return { kind: 'hold', reason: `inbound-smime: more than ${MAX_INBOUND_LAYERS} S/MIME layers` };
    if (k === 'enveloped') {
      let keys: DecryptKey[];
      try {
        keys = await opts.keys();
      } catch {
        return { kind: 'hold', reason: 'inbound-smime: cannot decrypt: the domain decryption keys are unavailable' };
      }
      if (keys.length === 0) return { kind: 'hold', reason: 'inbound-smime: cannot decrypt: no domain decryption key configured' };
      let next: Buffer;
      try {
        const d = smimeDecryptMessage(cur, keys);
        next = d.layer.headerProtected ? Buffer.concat([...traceOnlyOutside(cur, d.message), d.message]) : d.message;
        wholeMessage ||= d.layer.headerProtected;
      } catch (e) {
        const why =
          e instanceof SmimeError
            ? e.code === 'no-recipient' || e.code === 'decrypt-failed'
              ? 'not encrypted to a key of ours (no matching recipient, or the key does not open it)'
              : `${e.code}: ${e.message}`
            : 'decryption failed';
        return { kind: 'hold', reason: `inbound-smime: cannot decrypt: ${clean(why)}` };
      }
      // The inner message may carry results that claim to be ours as well.
      const s = removeForgedResults(next, opts.hostname);
      cur = s.message;
      removedForged += s.removed;
      decrypted++;
      continue;
    }
    // Signed (detached or opaque): report it; go inside only when an encrypted layer is nested in it
    // (RFC 3183 triple wrapping), otherwise deliver the signed message untouched.
    const v = await reportsFor(cur, opts, now, outerFrom);
    reports.push(...v.reports);
    if (v.inner && smimeKindSafe(v.inner) === 'enveloped') {
      wholeMessage ||= v.headerProtected === true;
      cur = v.inner;
      continue;
    }
    break;
  }
  return { kind: 'continue', body: cur, decrypted, reports, removedForged, wholeMessage };
}

const withResults = (hostname: string, reports: SignatureReport[], msg: Buffer): Buffer => {
  const added = reports.map((r) => resultHeader(hostname, r)).join('');
  return added ? Buffer.concat([Buffer.from(added, 'latin1'), msg]) : msg;
};

/** The stage's core, without the Stage wrapper: one message in, the delivered message or a hold out. */
export async function processInbound(body: Buffer, opts: InboundSmimeOptions, now: Date): Promise<InboundOutcome> {
  const stripped = removeForgedResults(body, opts.hostname);
  const top = await openLayers(stripped.message, opts, now);
  if (top.kind === 'hold') return top;
  const { decrypted, reports } = top;
  const removedForged = stripped.removed + top.removedForged;
  if (decrypted === 0 && reports.length === 0) return openNested(stripped.message, removedForged, opts, now);
  return { kind: 'continue', body: withResults(opts.hostname, reports, top.body), decrypted, reports, removedForged };
}

/**
 * A message that is not S/MIME at the top: encrypted parts inside a multipart/mixed (a list footer
 * appended to an encrypted message) are decrypted in place, exactly as a whole message would be:
 * the same holds, signatures reported with the part they cover (body.smime-part).
 */
async function openNested(msg: Buffer, removedForged: number, opts: InboundSmimeOptions, now: Date): Promise<InboundOutcome> {
  const outerFrom = fromAddress(msg);
  const n = await openNestedParts<SignatureReport>(msg, isSmimePart, opts.nested ?? NESTED_LIMITS, async (p) => {
    const k = kindOf(p.entity);
    if (typeof k === 'object') return { hold: `inbound-smime: unsupported or malformed S/MIME part (${clean(k.error)})` };
    if (k !== 'enveloped') return undefined; // opaque signed-data without encryption: left as received
    const r = await openLayers(p.entity, opts, now, outerFrom);
    if (r.kind === 'hold') return { hold: r.reason };
    return { entity: asBodyPart(r.body, r.wholeMessage), reports: r.reports, layers: r.decrypted, removedForged: r.removedForged };
  });
  if (!n) return { kind: 'continue', body: msg, decrypted: 0, reports: [], removedForged };
  if ('hold' in n) return { kind: 'hold', reason: n.hold };
  const body = withResults(opts.hostname, n.reports, n.body);
  return { kind: 'continue', body, decrypted: n.layers, reports: n.reports, removedForged: removedForged + n.removedForged, partial: n.partial };
}

function smimeKindSafe(msg: Buffer): SmimeKind | undefined {
  const k = kindOf(msg);
  return typeof k === 'string' ? k : undefined;
}

/** `undecryptable: deliver`: the message as received (forged fields of ours removed) with the reason on top. */
function deliverUndecrypted(body: Buffer, reason: string, hostname: string): Verdict {
  const ours = (f: { name: string }) => f.name === DECRYPTION_FIELD.toLowerCase() || f.name === ENVELOPE_CHECK_FIELD.toLowerCase();
  const rest = dropFields(removeForgedResults(body, hostname).message, ours);
  const field = Buffer.from(`${DECRYPTION_FIELD}: failed (${clean(reason)})\r\n`, 'latin1');
  return { kind: 'continue', body: Buffer.concat([field, rest]), note: 'undecryptable, delivered as received' };
}

/** The pipeline stage (direction inbound only): processInbound, then the checks of after-decrypt.ts. */
export function createInboundSmimeStage(opts: InboundSmimeOptions): Stage {
  return {
    name: 'inbound-smime',
    directions: ['inbound'],
    async process(msg: StageMessage, ctx: StageContext): Promise<Verdict> {
      const r = await processInbound(msg.body, opts, ctx.now());
      if (r.kind === 'hold') {
        const deliver = opts.undecryptable === 'deliver';
        await opts.audit?.({ type: 'smime-undecryptable', actor: 'system', messageId: msg.id, data: { reason: r.reason, ...(deliver ? { delivered: true } : {}) } });
        return deliver ? deliverUndecrypted(msg.body, r.reason, opts.hostname) : r;
      }
      return afterDecrypt(msg, r, opts);
    },
  };
}
