// S/MIME message layer (RFC 8551 §3): turns RFC 5322 messages into S/MIME messages and back.
//   - application/pkcs7-mime; smime-type=enveloped-data | authEnveloped-data | signed-data (smime.p7m)
//   - multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256 (smime.p7s)
//   - header protection: the whole original message (all headers) wrapped in message/rfc822 before
//     signing/encrypting (on by default, like the Direct Project), unwrapped on receipt
//   - nested layers: sign-then-encrypt, and triple wrapping (sign, encrypt, sign: RFC 3183 domain
//     signature around a user's own signed message); unwrapSmime() peels them all.
// Pure module: Buffers in, Buffers out; the CMS work is done by an injected SmimeEngine.
// Trust level: parses untrusted network messages (bounded by MimeLimits) and passes private keys
// through to the CMS engine without looking at them.
//
// Byte rules. Messages are handled in CRLF canonical form (toWireForm: a message already in CRLF form
// is never rewritten). The bytes we sign are exactly the bytes that appear in the output; the bytes we
// verify for multipart/signed are exactly the first body part, without the CRLF that precedes the next
// delimiter (RFC 2046 §5.1.1). Base64 is written in 76-column CRLF lines. Content that a relay
// might rewrite (8-bit, NUL, bare CR or LF, lines over 998 octets) is signed opaquely by default
// instead of detached, rather than being altered.
//
// Memory bound (stated and tested in test/smime/memory.test.ts): signing, decryption and
// verification work on whole Buffers (the CMS engine's API); encryption of content of at least
// MimeLimits.streamEncryptBytes (1 MiB) streams through the engine's BER encryptor into base64 lines.
// Entities are concatenated once. The peak extra RSS of a sign+encrypt or a decrypt+verify round
// trip on a message of size S is at most 5 × S + 64 MB (measured for 25 MB: about 3-4 × S each way).

import { SmimeError } from './errors.js';
import {
  Base64LineEncoder,
  CRLF,
  type HeaderField,
  type MimeEntity,
  type MimeLimits,
  decodeBase64Body,
  encodeBase64Lines,
  findMultipartParts,
  headerValue,
  isTransportSafe,
  makeBoundary,
  parseContentType,
  parseEntity,
  resolveMimeLimits,
  toWireForm,
} from './mime-entity.js';
import {
  type CmsVerifyResult,
  type DecryptKey,
  type EncryptOptions,
  type RecipientSpec,
  type SignOptions,
  type SignerResult,
  type SignerSpec,
  type SmimeEngine,
  type VerifyOptions,
  defaultEngine,
} from './mime-engine.js';
import { CMS_OID, cmsContentType, envelopeInfo } from './mime-sniff.js';

/**
 * 'auto' (default): wrap the whole message in message/rfc822 unless it is already an S/MIME message
 * (then an inner layer already protects its headers: sign-then-encrypt, triple wrapping).
 * 'wrap': always wrap. 'none': classic S/MIME, only the Content-* header fields go inside.
 */
export type HeaderProtection = 'auto' | 'wrap' | 'none';

/** Header fields copied to the outer (unprotected) header when the message is wrapped. */
export const DEFAULT_OUTER_HEADERS: readonly string[] = [
  'Received', // trace fields stay visible so relays can still count hops (loop detection)
  'From',
  'Sender',
  'Reply-To',
  'To',
  'Cc',
  'Date',
  'Message-ID',
  'Subject',
  'In-Reply-To',
  'References',
];

export interface OuterHeaderOptions {
  headerProtection?: HeaderProtection;
  /** Field names copied to the outer header when wrapping; default DEFAULT_OUTER_HEADERS. */
  outerHeaders?: readonly string[];
  /** Replaces the outer Subject when wrapping (e.g. "..." to keep it private); default keeps it. */
  subject?: string;
}

export interface MessageSignOptions extends SignOptions, OuterHeaderOptions {
  /** multipart/signed (true, default) or opaque application/pkcs7-mime signed-data (false). */
  detached?: boolean;
  /**
   * Detached signatures survive only 7-bit-safe content (RFC 8551 §3.1.2). When the content has
   * 8-bit bytes, NUL or lines over 998 octets: 'opaque' (default) signs opaquely instead, 'reject'
   * throws, 'allow' signs detached anyway.
   */
  eightBit?: 'opaque' | 'reject' | 'allow';
}

export interface MessageEncryptOptions extends EncryptOptions, OuterHeaderOptions {}

/** Environment: the CMS engine and MIME limits. Defaulted last parameter of every function here. */
export interface MimeEnv {
  engine?: SmimeEngine;
  limits?: Partial<MimeLimits>;
}

interface Resolved {
  engine: SmimeEngine;
  limits: MimeLimits;
}

// Resolved once: most calls pass no limits, and this module never mutates a limits object.
const DEFAULT_LIMITS = resolveMimeLimits();

function resolve(env?: MimeEnv): Resolved {
  return { engine: env?.engine ?? defaultEngine, limits: env?.limits ? resolveMimeLimits(env.limits) : DEFAULT_LIMITS };
}

const DEFAULT_MICALG_DIGEST = 'sha256';

// ---------------------------------------------------------------------------------------------
// Entities

const P7M_DISPOSITION = 'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7m"\r\n\r\n';

function smimeTypeOf(der: Buffer): string {
  const ct = cmsContentType(der);
  if (ct === CMS_OID.envelopedData) return 'enveloped-data';
  if (ct === CMS_OID.authEnvelopedData) return 'authEnveloped-data';
  if (ct === CMS_OID.signedData) return 'signed-data';
  throw new SmimeError('invalid-input', `no smime-type for CMS content type ${ct}`);
}

function pkcs7MimeHeader(smimeType: string): Buffer {
  return Buffer.from(`Content-Type: application/pkcs7-mime; smime-type=${smimeType}; name="smime.p7m"\r\n${P7M_DISPOSITION}`, 'latin1');
}

// Entities are built as lists of Buffers and concatenated once, with the outer header, in
// assemble(): every intermediate concatenation of a 25 MB entity would be another 25 MB of RSS.

function pkcs7MimeParts(der: Buffer): Buffer[] {
  return [pkcs7MimeHeader(smimeTypeOf(der)), encodeBase64Lines(der)];
}

function multipartSignedParts(content: Buffer, signatureDer: Buffer, micalg: string): Buffer[] {
  const b = makeBoundary(content);
  return [
    Buffer.from(
      `Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=${micalg};\r\n boundary="${b}"\r\n\r\n` +
        `This is an S/MIME signed message\r\n\r\n--${b}\r\n`,
      'latin1',
    ),
    content,
    Buffer.from(
      `\r\n--${b}\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\n` +
        `Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7s"\r\n\r\n`,
      'latin1',
    ),
    encodeBase64Lines(signatureDer),
    Buffer.from(`--${b}--\r\n`, 'latin1'),
  ];
}

/** application/pkcs7-mime entity around CMS DER; smime-type from the DER's own content type. */
export function pkcs7MimeEntity(der: Buffer): Buffer {
  return Buffer.concat(pkcs7MimeParts(der));
}

/** multipart/signed entity: `content` verbatim as the first part, the detached signature second. */
export function multipartSignedEntity(content: Buffer, signatureDer: Buffer, micalg: string): Buffer {
  return Buffer.concat(multipartSignedParts(content, signatureDer, micalg));
}

export type SmimeKind = 'enveloped' | 'signed-detached' | 'signed-opaque' | 'none';

interface Classified {
  kind: SmimeKind;
  /** CMS DER for application/pkcs7-mime; signature DER for multipart/signed. */
  der?: Buffer;
  /** multipart/signed: the signed bytes. */
  signedContent?: Buffer;
  micalg?: string;
}

function isSmimeMediaType(fields: HeaderField[]): boolean {
  const ct = parseContentType(headerValue(fields, 'content-type'));
  return (
    ct.mediaType === 'application/pkcs7-mime' ||
    ct.mediaType === 'application/x-pkcs7-mime' ||
    (ct.mediaType === 'multipart/signed' && /^application\/(x-)?pkcs7-signature$/i.test(ct.params.get('protocol') ?? ''))
  );
}

function decodeTransfer(fields: HeaderField[], body: Buffer, what: string): Buffer {
  const cte = (headerValue(fields, 'content-transfer-encoding') ?? '7bit').toLowerCase();
  if (cte === 'base64') return decodeBase64Body(body);
  if (cte === 'binary' || cte === '7bit' || cte === '8bit') return body;
  throw new SmimeError('unsupported', `${what} uses Content-Transfer-Encoding ${cte}`);
}

/** Which S/MIME structure, if any, is at the top of this entity. */
function classify(fields: HeaderField[], body: Buffer, limits: MimeLimits): Classified {
  const ct = parseContentType(headerValue(fields, 'content-type'));
  const filename = (ct.params.get('name') ?? '').toLowerCase();
  if (
    ct.mediaType === 'application/pkcs7-mime' ||
    ct.mediaType === 'application/x-pkcs7-mime' ||
    (ct.mediaType === 'application/octet-stream' && filename.endsWith('.p7m'))
  ) {
    const der = decodeTransfer(fields, body, 'application/pkcs7-mime part');
    // The DER's content type decides; smime-type is only a hint (and often missing in S/MIME 2/3).
    const oid = cmsContentType(der);
    if (oid === CMS_OID.envelopedData || oid === CMS_OID.authEnvelopedData) return { kind: 'enveloped', der };
    if (oid === CMS_OID.signedData) return { kind: 'signed-opaque', der };
    throw new SmimeError('unsupported', `application/pkcs7-mime with CMS content type ${oid}`);
  }
  if (ct.mediaType === 'multipart/signed') {
    const protocol = (ct.params.get('protocol') ?? '').toLowerCase();
    if (protocol !== 'application/pkcs7-signature' && protocol !== 'application/x-pkcs7-signature') {
      return { kind: 'none' }; // e.g. PGP/MIME: not ours to verify
    }
    const boundary = ct.params.get('boundary');
    if (!boundary) throw new SmimeError('malformed', 'multipart/signed without a boundary');
    const { parts, closed } = findMultipartParts(body, boundary, limits);
    if (!closed || parts.length !== 2) {
      throw new SmimeError('malformed', `multipart/signed must have exactly 2 parts and a closing delimiter (found ${parts.length}${closed ? '' : ', unclosed'})`);
    }
    const signedContent = body.subarray(parts[0]!.start, parts[0]!.end);
    const sig = parseEntity(body.subarray(parts[1]!.start, parts[1]!.end), limits);
    const sigType = parseContentType(headerValue(sig.fields, 'content-type')).mediaType;
    if (sigType !== 'application/pkcs7-signature' && sigType !== 'application/x-pkcs7-signature') {
      throw new SmimeError('malformed', `second part of multipart/signed is ${sigType}, not application/pkcs7-signature`);
    }
    return {
      kind: 'signed-detached',
      der: decodeTransfer(sig.fields, sig.body, 'signature part'),
      signedContent,
      micalg: ct.params.get('micalg'),
    };
  }
  return { kind: 'none' };
}

/** Classifies an RFC 5322 message without decrypting or verifying anything. */
export function smimeKind(rfc822: Buffer, env?: MimeEnv): SmimeKind {
  const { limits } = resolve(env);
  const e = parseEntity(toWireForm(rfc822), limits);
  return classify(e.fields, e.body, limits).kind;
}

// ---------------------------------------------------------------------------------------------
// Send side

interface Split {
  /** Raw header fields for the outer entity. */
  outer: Buffer[];
  /** The content that gets signed/encrypted (a MIME entity), as consecutive pieces. */
  content: Buffer[];
}

const HEADER_PROTECTION_WRAPPER = Buffer.from('Content-Type: message/rfc822; forwarded=no\r\n\r\n', 'latin1');

/** Splits a message into outer header fields and the inner MIME entity, applying header protection. */
function splitForProtection(msg: Buffer, opts: OuterHeaderOptions, limits: MimeLimits): Split {
  const e = parseEntity(msg, limits);
  const mode = opts.headerProtection ?? 'auto';
  const wrap = mode === 'wrap' || (mode === 'auto' && !isSmimeMediaType(e.fields));
  if (wrap) {
    const names = new Set((opts.outerHeaders ?? DEFAULT_OUTER_HEADERS).map((n) => n.toLowerCase()));
    const outer: Buffer[] = [];
    for (const f of e.fields) {
      if (!names.has(f.key)) continue;
      if (f.key === 'subject' && opts.subject !== undefined) {
        outer.push(Buffer.from(`Subject: ${opts.subject.replace(/[\r\n]+/g, ' ')}\r\n`, 'latin1'));
      } else outer.push(f.raw);
    }
    // Bcc must not travel inside the protected copy that every recipient can read (RFC 5322
    // §3.6.3 lets the sender drop it); this is our output, so nothing signed is being altered.
    if (e.fields.some((f) => f.key === 'bcc')) {
      const kept = e.fields.filter((f) => f.key !== 'bcc').map((f) => f.raw);
      return { outer, content: [HEADER_PROTECTION_WRAPPER, ...kept, CRLF, e.body] };
    }
    return { outer, content: [HEADER_PROTECTION_WRAPPER, msg] };
  }
  const outer: Buffer[] = [];
  const inner: Buffer[] = [];
  for (const f of e.fields) {
    if (f.key.startsWith('content-')) inner.push(f.raw);
    else if (f.key !== 'mime-version') outer.push(f.raw);
  }
  // Our own S/MIME output (and most MUAs') ends its header with the Content-* fields: then the
  // entity is a tail slice of the message and needs no copy.
  const firstContent = e.fields.findIndex((f) => f.key.startsWith('content-'));
  if (firstContent >= 0 && e.fields.slice(firstContent).every((f) => f.key.startsWith('content-'))) {
    const start = e.fields[firstContent]!.raw.byteOffset - msg.byteOffset;
    return { outer, content: [msg.subarray(start)] };
  }
  return { outer, content: [...inner, CRLF, e.body] };
}

function one(parts: Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function assemble(outer: Buffer[], entity: Buffer[]): Buffer {
  return Buffer.concat([...outer, Buffer.from('MIME-Version: 1.0\r\n', 'latin1'), ...entity]);
}

/** Signs an RFC 5322 message; returns the signed RFC 5322 message. */
export function smimeSignMessage(rfc822: Buffer, signer: SignerSpec, opts: MessageSignOptions = {}, env?: MimeEnv): Buffer {
  const { engine, limits } = resolve(env);
  const split = splitForProtection(toWireForm(rfc822), opts, limits);
  const content = one(split.content);
  let detached = opts.detached ?? true;
  if (detached && !isTransportSafe(content)) {
    const policy = opts.eightBit ?? 'opaque';
    if (policy === 'reject') {
      throw new SmimeError('invalid-input', 'message has 8-bit content or lines over 998 octets; a detached signature would not survive transport');
    }
    if (policy === 'opaque') detached = false;
  }
  const signOpts = {
    digest: opts.digest,
    rsaPss: opts.rsaPss,
    signatureTypes: opts.signatureTypes,
    capabilities: opts.capabilities,
    signingTime: opts.signingTime,
    detached,
  };
  const der = engine.sign(content, signer, signOpts);
  const entity = detached
    ? multipartSignedParts(content, der, engine.micalg(opts.digest ?? DEFAULT_MICALG_DIGEST))
    : pkcs7MimeParts(der);
  return assemble(split.outer, entity);
}

/** Slice size fed to the streaming encryptor. */
const STREAM_FEED_BYTES = 256 * 1024;

/** Encrypts an RFC 5322 message to the recipients; returns the encrypted RFC 5322 message. */
export function smimeEncryptMessage(
  rfc822: Buffer,
  recipients: RecipientSpec[],
  opts: MessageEncryptOptions = {},
  env?: MimeEnv,
): Buffer {
  const { engine, limits } = resolve(env);
  if (recipients.length === 0) throw new SmimeError('invalid-input', 'at least one recipient certificate is required');
  const split = splitForProtection(toWireForm(rfc822), opts, limits);
  const encOpts = { cipher: opts.cipher, keyTransport: opts.keyTransport };
  const size = split.content.reduce((n, b) => n + b.length, 0);
  if (size < limits.streamEncryptBytes || !engine.encryptStream) {
    return assemble(split.outer, pkcs7MimeParts(engine.encrypt(one(split.content), recipients, encOpts)));
  }
  // Large message: BER stream straight into base64 lines; neither the whole plaintext entity nor the
  // whole DER is ever materialised.
  const b64 = new Base64LineEncoder();
  let smimeType: string | undefined;
  const enc = engine.encryptStream(recipients, encOpts, (chunk) => {
    smimeType ??= smimeTypeOf(chunk); // the first chunk holds the ContentInfo's content type
    b64.push(chunk);
  });
  for (const part of split.content) {
    for (let i = 0; i < part.length; i += STREAM_FEED_BYTES) enc.update(part.subarray(i, i + STREAM_FEED_BYTES));
  }
  enc.final();
  const body = b64.end();
  return assemble(split.outer, [pkcs7MimeHeader(smimeType!), ...body]);
}

export type ProtectStep =
  | { sign: SignerSpec; options?: MessageSignOptions }
  | { encrypt: RecipientSpec[]; options?: MessageEncryptOptions };

/**
 * Applies layers in order. [sign, encrypt] is sign-then-encrypt; [encrypt, sign(domainSig)] around a
 * message the user already signed, or [sign(originatorSig), encrypt, sign(domainSig)], is RFC 3183
 * triple wrapping. With headerProtection 'auto' only the first layer wraps the message in
 * message/rfc822; later layers wrap the S/MIME entity.
 */
export function smimeProtectMessage(rfc822: Buffer, steps: ProtectStep[], env?: MimeEnv): Buffer {
  let msg = rfc822;
  for (const step of steps) {
    msg = 'sign' in step ? smimeSignMessage(msg, step.sign, step.options, env) : smimeEncryptMessage(msg, step.encrypt, step.options, env);
  }
  return msg;
}

// ---------------------------------------------------------------------------------------------
// Receive side

export interface EncryptedLayer {
  kind: 'encrypted';
  contentType: 'enveloped-data' | 'authEnveloped-data';
  /** Content encryption, e.g. "aes-256-gcm". */
  cipher: string;
  /** Key encryption of each RecipientInfo, e.g. "rsaEncryption", "rsaesOaep", "dhSinglePassStdDHsha256kdf". */
  keyEncryption: string[];
  /** Index into the keys given that decrypted it. */
  keyIndex: number;
  /** The decrypted content was a message/rfc822 wrapper (RFC 8551 §3.1 header protection). */
  headerProtected: boolean;
}

export interface SignedLayer {
  kind: 'signed';
  format: 'multipart/signed' | 'application/pkcs7-mime';
  micalg?: string;
  valid: boolean;
  signers: SignerResult[];
  headerProtected: boolean;
}

export type SmimeLayer = EncryptedLayer | SignedLayer;

export interface UnwrapResult {
  /** The innermost message: the protected message when header protection was used. */
  message: Buffer;
  /** Layers from the outside in. */
  layers: SmimeLayer[];
  /** True when there is at least one signed layer and every signed layer is valid. */
  signed: boolean;
  signaturesValid: boolean;
  encrypted: boolean;
  /** Outer header fields that differ from the protected inner ones (From, To, Cc, Subject, Date). */
  headerMismatches: string[];
}

/** What a crypto layer yielded: a MIME entity, and the wrapped message when it is header protection. */
interface Peeled {
  entity: Buffer;
  /** `entity` parsed (kept so that the next layer does not parse it again). */
  parsed: MimeEntity;
  /** Set when the entity is message/rfc822 (RFC 8551 §3.1 header protection): the wrapped message. */
  protectedMessage?: Buffer;
}

function peel(inner: Buffer, limits: MimeLimits): Peeled {
  const entity = toWireForm(inner);
  const e = parseEntity(entity, limits);
  const ct = parseContentType(headerValue(e.fields, 'content-type'));
  if (ct.mediaType === 'message/rfc822') {
    return { entity, parsed: e, protectedMessage: toWireForm(decodeTransfer(e.fields, e.body, 'message/rfc822 part')) };
  }
  return { entity, parsed: e };
}

/**
 * The full message after a layer: the wrapped message for header protection; otherwise the outer
 * non-Content header fields followed by the inner entity's header and body.
 */
function messageFrom(outerFields: HeaderField[], p: Pick<Peeled, 'entity' | 'protectedMessage'>): Buffer {
  if (p.protectedMessage) return p.protectedMessage;
  const keep = outerFields.filter((f) => !f.key.startsWith('content-') && f.key !== 'mime-version').map((f) => f.raw);
  return assemble(keep, [p.entity]);
}

function keysArray(keys: DecryptKey | DecryptKey[]): DecryptKey[] {
  const arr = Array.isArray(keys) ? keys : [keys];
  if (arr.length === 0) throw new SmimeError('invalid-input', 'no decryption key given');
  return arr;
}

function decryptWithAny(engine: SmimeEngine, der: Buffer, keys: DecryptKey[]): { content: Buffer; keyIndex: number } {
  let last: unknown;
  for (let i = 0; i < keys.length; i++) {
    try {
      return { content: engine.decrypt(der, keys[i]!), keyIndex: i };
    } catch (e) {
      last = e;
      // Only "not for this key" moves on; anything else is the answer (and is not an oracle: the
      // CMS layer reports bad padding and a wrong key identically).
      if (!(e instanceof SmimeError && (e.code === 'no-recipient' || e.code === 'decrypt-failed')) || i === keys.length - 1) throw e;
    }
  }
  throw last;
}

export interface DecryptedMessage {
  message: Buffer;
  layer: EncryptedLayer;
}

/** Decrypts one application/pkcs7-mime enveloped layer; the result may itself be signed. */
export function smimeDecryptMessage(rfc822: Buffer, keys: DecryptKey | DecryptKey[], env?: MimeEnv): DecryptedMessage {
  const { engine, limits } = resolve(env);
  const e = parseEntity(toWireForm(rfc822), limits);
  const c = classify(e.fields, e.body, limits);
  if (c.kind !== 'enveloped') throw new SmimeError('invalid-input', `not an encrypted S/MIME message (${c.kind})`);
  const d = decryptLayer(engine, limits, c.der!, keysArray(keys));
  return { message: messageFrom(e.fields, d.inner), layer: d.layer };
}

function decryptLayer(engine: SmimeEngine, limits: MimeLimits, der: Buffer, keys: DecryptKey[]): { inner: Peeled; layer: EncryptedLayer } {
  const info = envelopeInfo(der);
  const { content, keyIndex } = decryptWithAny(engine, der, keys);
  let inner: Peeled;
  try {
    inner = peel(content, limits);
  } catch (e) {
    // A key that is not the recipient's "decrypts" CBC content to noise whose padding now and then
    // looks valid (RSA PKCS#1 v1.5 keys answer with an implicit-rejection key, by design): content
    // that is no MIME entity at all is reported as the decryption failure it almost surely is.
    if (e instanceof SmimeError && e.code === 'malformed') throw new SmimeError('decrypt-failed', 'the decrypted content is not a MIME entity (wrong key or damaged message)');
    throw e;
  }
  return { inner, layer: { kind: 'encrypted', ...info, keyIndex, headerProtected: inner.protectedMessage !== undefined } };
}

export interface VerifiedMessage {
  valid: boolean;
  message: Buffer;
  layer: SignedLayer;
  result: CmsVerifyResult;
}

/** Verifies a multipart/signed or opaque signed-data message; `message` is the signed message. */
export function smimeVerifyMessage(rfc822: Buffer, opts: VerifyOptions, env?: MimeEnv): VerifiedMessage {
  const { engine, limits } = resolve(env);
  const e = parseEntity(toWireForm(rfc822), limits);
  const c = classify(e.fields, e.body, limits);
  if (c.kind !== 'signed-detached' && c.kind !== 'signed-opaque') {
    throw new SmimeError('invalid-input', `not a signed S/MIME message (${c.kind})`);
  }
  const v = verifyLayer(engine, limits, c, opts);
  return { valid: v.result.valid, message: messageFrom(e.fields, v.inner), layer: v.layer, result: v.result };
}

function verifyLayer(
  engine: SmimeEngine,
  limits: MimeLimits,
  c: Classified,
  opts: VerifyOptions,
): { inner: Peeled; layer: SignedLayer; result: CmsVerifyResult } {
  const detached = c.kind === 'signed-detached';
  const result = engine.verify(c.der!, detached ? { ...opts, detachedContent: c.signedContent } : opts);
  const content = detached ? c.signedContent! : result.content;
  if (!content) throw new SmimeError('malformed', 'opaque signed-data without encapsulated content');
  const inner = peel(content, limits);
  const headerProtected = inner.protectedMessage !== undefined;
  return {
    inner,
    result,
    layer: {
      kind: 'signed',
      format: detached ? 'multipart/signed' : 'application/pkcs7-mime',
      micalg: c.micalg,
      valid: result.valid,
      signers: result.signers,
      headerProtected,
    },
  };
}

export interface UnwrapOptions extends Partial<VerifyOptions> {
  /** Keys to decrypt with (tried in order). */
  keys?: DecryptKey[];
}

const COMPARED_HEADERS = ['from', 'to', 'cc', 'subject', 'date'];

/**
 * Peels every S/MIME layer (encryption, signatures, header protection) from the outside in and
 * returns the innermost message with a report of each layer. An encrypted layer without a usable
 * key is an error (fail closed); an invalid signature is reported, not thrown.
 */
export function unwrapSmime(rfc822: Buffer, opts: UnwrapOptions, env?: MimeEnv): UnwrapResult {
  const { engine, limits } = resolve(env);
  const layers: SmimeLayer[] = [];
  // `cur` is either a whole message (with outerFields as its header) or, after a layer without
  // header protection, just the inner entity; the message is rebuilt once at the end, not per layer.
  let cur = toWireForm(rfc822);
  let curIsMessage = true;
  // `curParsed` is always parseEntity(cur): each entity is parsed once, not once per use.
  let curParsed = parseEntity(cur, limits);
  const firstOuter = curParsed.fields;
  let outerFields = firstOuter;
  let protectedFields: HeaderField[] | undefined;
  for (;;) {
    const e = curParsed;
    const c = classify(e.fields, e.body, limits);
    if (c.kind === 'none') break;
    if (layers.length >= limits.maxLayers) throw new SmimeError('malformed', `more than ${limits.maxLayers} S/MIME layers`);
    let inner: Peeled;
    if (c.kind === 'enveloped') {
      if (!opts.keys || opts.keys.length === 0) throw new SmimeError('no-recipient', 'message is encrypted and no decryption key was given');
      const d = decryptLayer(engine, limits, c.der!, opts.keys);
      layers.push(d.layer);
      inner = d.inner;
    } else {
      if (!opts.trustAnchors) throw new SmimeError('invalid-input', 'message is signed and no trust anchors were given');
      const v = verifyLayer(engine, limits, c, opts as VerifyOptions);
      layers.push(v.layer);
      inner = v.inner;
    }
    if (inner.protectedMessage) {
      cur = inner.protectedMessage;
      curIsMessage = true;
      curParsed = parseEntity(cur, limits);
      outerFields = protectedFields = curParsed.fields;
    } else {
      cur = inner.entity;
      curParsed = inner.parsed;
      curIsMessage = false;
    }
  }
  const msg = curIsMessage ? cur : messageFrom(outerFields, { entity: cur });
  const signedLayers = layers.filter((l): l is SignedLayer => l.kind === 'signed');
  const headerMismatches: string[] = [];
  if (protectedFields) {
    for (const name of COMPARED_HEADERS) {
      const outer = headerValue(firstOuter, name);
      const inner = headerValue(protectedFields, name);
      if (outer !== undefined && inner !== undefined && outer !== inner) headerMismatches.push(name);
    }
  }
  return {
    message: msg,
    layers,
    signed: signedLayers.length > 0,
    signaturesValid: signedLayers.length > 0 && signedLayers.every((l) => l.valid),
    encrypted: layers.some((l) => l.kind === 'encrypted'),
    headerMismatches,
  };
}
