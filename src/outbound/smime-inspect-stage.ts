// Outbound S/MIME desktop-encryption inspection stage ('smime-inspect'), before the policy stage:
// the S/MIME counterpart of the OpenPGP ADK stage (src/openpgp/adk-stage.ts). A message the user
// encrypted on the desktop (application/pkcs7-mime enveloped or authEnveloped data at the top
// level) that names our domain encryption key among its RecipientInfos (the RFC 3183
// domain-confidentiality-authority certificate, or any of our proxy encryption certificates: all
// bound to that key) is decrypted for the policy stage only: attrs.inspectBody gets the
// plaintext, attrs.userEncrypted = 'smime' tells the protection stage to forward the ORIGINAL
// bytes unchanged. Without our key among the recipients the stage does nothing, and the decision
// stage applies outbound.inspectEncrypted (hold by default). The message body is never modified.
// Trust level: opens the domain encryption key with the KEK (through the PKI); sees plaintext in
// memory only (never logged, never stored: attrs are not persisted).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { Config } from '../config/types.js';
import { type DomainPki, type PkiStore } from '../pki/ca.js';
import { domainKeyId } from '../pki/issue.js';
import type { Stage, StageMessage, Verdict } from '../pipeline/stage.js';
import { listRecipients, smimeKind, unwrapSmime, type DecryptKey, type RecipientId } from '../smime/index.js';
import { decodeBase64Body, headerValue, parseEntity, toWireForm } from '../smime/mime-entity.js';
import { lazyPki } from './keys.js';
import { ATTR } from './types.js';
import { openConfiguredPki } from '../pki/setup.js';

/** Most RecipientInfos looked up in the certificate store per message (the rest are not ours to try). */
export const MAX_INSPECTED_RECIPIENTS = 100;

export interface SmimeInspectOptions {
  /** Our decryption keys for the RecipientInfos that name our domain encryption key (empty: none of ours). */
  keysFor(recipients: RecipientId[]): Promise<DecryptKey[]>;
}

/** The CMS bytes of a top-level application/pkcs7-mime entity (base64 or binary transfer encoding). */
function envelopeDer(body: Buffer): Buffer {
  const e = parseEntity(toWireForm(body));
  const cte = (headerValue(e.fields, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  return cte === 'base64' ? decodeBase64Body(e.body) : e.body;
}

/**
 * The key lookup over our PKI: a RecipientInfo is ours when it names (by issuer and serial) a
 * certificate we issued that is bound to a domain encryption key, or when its subjectKeyIdentifier
 * is that key's. Revoked or expired certificates still count: the desktop may hold an old one.
 */
export function domainKeyLookup(pki: () => Promise<DomainPki>): SmimeInspectOptions['keysFor'] {
  return async (recipients) => {
    const p = await pki();
    const keyIds = p.domains.map((d) => domainKeyId('encryption', d));
    // By SKI: the certificate handed to the decryptor is one bound to that key (same SKI), so only
    // the RecipientInfo naming our key is tried, never a partner's.
    const skis = new Map<string, { id: string; der: Buffer }>();
    for (const c of await p.certs.listCerts({ kinds: ['domain-confidentiality'], includeRevoked: true })) {
      const rec = c.keyId && keyIds.includes(c.keyId) ? await p.certs.getKey(c.keyId) : null;
      if (rec?.sealedKey) skis.set((await x509.SubjectKeyIdentifierExtension.create(rec.spki)).keyId.toLowerCase(), { id: rec.id, der: c.der });
    }
    const out: DecryptKey[] = [];
    for (const rid of recipients.slice(0, MAX_INSPECTED_RECIPIENTS)) {
      if (rid.type !== 'ktri' && rid.type !== 'kari') continue;
      if (rid.ski !== undefined) {
        const k = skis.get(rid.ski);
        if (k) out.push({ certificate: k.der, privateKey: await p.privateKey(k.id) });
        continue;
      }
      if (!rid.serialNumber || !rid.issuerDer) continue;
      const cert = await p.certs.getCert(rid.serialNumber);
      if (!cert?.keyId || !keyIds.includes(cert.keyId)) continue;
      if (!Buffer.from(new x509.X509Certificate(cert.der).issuerName.toArrayBuffer()).equals(rid.issuerDer)) continue;
      out.push({ certificate: cert.der, privateKey: await p.privateKey(cert.keyId) });
    }
    return out;
  };
}

export function createSmimeInspectStage(o: SmimeInspectOptions): Stage {
  return {
    name: 'smime-inspect',
    directions: ['outbound'],
    async process(msg: StageMessage): Promise<Verdict> {
      let recipients: RecipientId[];
      try {
        if (smimeKind(msg.body) !== 'enveloped') return { kind: 'continue' };
        recipients = listRecipients(envelopeDer(msg.body));
      } catch {
        // Unreadable S/MIME: the decision stage treats it as uninspectable (outbound.inspectEncrypted).
        return { kind: 'continue' };
      }
      let keys: DecryptKey[];
      try {
        keys = await o.keysFor(recipients);
      } catch {
        return { kind: 'tempfail', reason: 'smime-inspect: the domain encryption key is unavailable; retried later' };
      }
      if (keys.length === 0) return { kind: 'continue', note: 'desktop-encrypted (S/MIME) without our domain certificate: left to outbound.inspectEncrypted' };
      msg.attrs ??= {};
      msg.attrs[ATTR.userEncrypted] = 'smime';
      try {
        // Every layer peeled (a desktop client often signs, then encrypts); signatures are not
        // judged here (no trust anchors): only the content matters to the policy stage.
        msg.attrs[ATTR.inspectBody] = unwrapSmime(msg.body, { keys, trustAnchors: [] }).message;
      } catch {
        return { kind: 'hold', reason: 'smime-inspect: our domain certificate is a recipient but the message does not decrypt' };
      }
      return { kind: 'continue', note: 'desktop-encrypted (S/MIME): opened with the domain key for inspection; forwarded unchanged' };
    },
  };
}

/** The stage for a gateway with a PKI; the PKI (and the KEK) is opened on the first desktop-encrypted message. */
export function smimeInspectFromConfig(cfg: Config, store: PkiStore, now: () => Date): Stage | undefined {
  const pkiCfg = cfg.pki;
  if (!pkiCfg) return undefined;
  const pki = lazyPki(() => openConfiguredPki(cfg, store, { now }));
  return createSmimeInspectStage({ keysFor: domainKeyLookup(pki) });
}
