// Outbound additional-decryption-key (ADK) stage, before the policy stage: a message the user
// already encrypted on the desktop (PGP/MIME or inline PGP) is opened with the organization's ADK
// so the policy stage can inspect the plaintext (attrs.inspectBody); attrs.userEncrypted =
// 'openpgp' tells the protection stage to forward the ORIGINAL ciphertext unchanged. The message
// body is never modified here. When the ADK is not among the message's recipients:
// openpgp.adk.missing = hold (default) holds it for review; allow audits it and lets the policy
// stage judge the visible header only (Subject, recipients).
// Trust level: opens the ADK secret key with the KEK; sees plaintext in memory only (never logged,
// never stored: attrs are not persisted).
import * as openpgp from 'openpgp';
import { ATTR } from '../outbound/types.js';
import type { Stage, StageContext, StageMessage, Verdict } from '../pipeline/stage.js';
import { PGP_CONFIG } from './keys.js';
import { armoredBlock, pgpKind, withPlaintext } from './mime.js';
import type { PgpKeyStore } from './store.js';

export interface AdkStageOptions {
  keys: PgpKeyStore;
  domains: string[];
  missing: 'hold' | 'allow';
  audit?: (e: { type: string; actor: string; messageId: string; data: Record<string, unknown> }) => Promise<unknown>;
}

/** The message as the policy stage should see it: the visible header plus the decrypted content (or none). */
function inspectionView(msg: Buffer, plaintext: Buffer | undefined, inline: boolean): Buffer {
  return withPlaintext(msg, plaintext ?? Buffer.alloc(0), plaintext && !inline ? 'entity' : 'text');
}

export function createAdkStage(o: AdkStageOptions): Stage {
  return {
    name: 'openpgp-adk',
    directions: ['outbound'],
    async process(msg: StageMessage, ctx: StageContext): Promise<Verdict> {
      const k = pgpKind(msg.body);
      if (k.kind !== 'pgpmime-encrypted' && k.kind !== 'inline-encrypted') return { kind: 'continue' };
      const armored = k.kind === 'pgpmime-encrypted' ? k.armored : armoredBlock(k.text, 'MESSAGE')?.block;
      let message: openpgp.Message<string>;
      try {
        message = await openpgp.readMessage({ armoredMessage: armored ?? '' });
      } catch {
        return { kind: 'hold', reason: 'openpgp-adk: desktop-encrypted message is not a readable OpenPGP message' };
      }
      const adks = await Promise.all(o.domains.map((d) => o.keys.orgKey('adk', d)));
      const wanted = message.getEncryptionKeyIDs().map((id) => id.toHex());
      const adkKeys = await Promise.all(adks.map((r) => o.keys.secretKey(r)));
      const matching = adkKeys.filter((key) => key.getKeys().some((sk) => wanted.includes(sk.getKeyID().toHex())));
      msg.attrs ??= {};
      msg.attrs[ATTR.userEncrypted] = 'openpgp';
      if (matching.length === 0) {
        if (o.missing === 'hold') return { kind: 'hold', reason: 'openpgp-adk: message encrypted on the desktop without the organization ADK as a recipient; cannot be inspected' };
        await o.audit?.({ type: 'openpgp-adk-missing', actor: 'system', messageId: msg.id, data: { action: 'allow', recipients: msg.envelope.recipients, keyIds: wanted.slice(0, 20) } });
        msg.attrs[ATTR.inspectBody] = inspectionView(msg.body, undefined, false);
        return { kind: 'continue', note: 'desktop-encrypted without the ADK: allowed by openpgp.adk.missing (audited)' };
      }
      try {
        const d = await openpgp.decrypt({ message, decryptionKeys: matching, format: 'binary', date: ctx.now(), config: PGP_CONFIG });
        msg.attrs[ATTR.inspectBody] = inspectionView(msg.body, Buffer.from(d.data as Uint8Array), k.kind === 'inline-encrypted');
      } catch {
        return { kind: 'hold', reason: 'openpgp-adk: the ADK is a recipient but the message does not decrypt' };
      }
      return { kind: 'continue', note: 'desktop-encrypted (OpenPGP): opened with the ADK for inspection; ciphertext forwarded unchanged' };
    },
  };
}
