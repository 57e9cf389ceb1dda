// Keys from the openpgp npm package and from GnuPG 2.2 work both ways, Curve25519 and RSA 3072:
// our generated organization keys are v4 keys gpg imports and uses (decrypts what we encrypt,
// its signatures verify with our copy, and we verify what it signs with them); gpg's secret keys
// imported as escrowed internal-user keys decrypt what gpg encrypted. Nothing v6 is generated.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as openpgp from 'openpgp';
import { GpgPeer } from './gpg-peer.js';
import { tempKeyStore, type TempKeys } from './fixtures.js';
import { generateOrgKey, PGP_CONFIG, readKeysAny } from '../../src/openpgp/keys.js';

let gpg: GpgPeer;
let t: TempKeys;

beforeAll(async () => {
  [gpg, t] = await Promise.all([GpgPeer.create(), tempKeyStore()]);
}, 60_000);

afterAll(async () => {
  await gpg?.close();
  await t?.close();
});

describe('openpgp-generated keys used by gpg', () => {
  for (const algorithm of ['curve25519', 'rsa-3072'] as const) {
    test(`${algorithm}: v4, gpg imports the secret key, decrypts our message and signs for us`, async () => {
      const address = `org-${algorithm}@hospital.test`;
      const g = await generateOrgKey('Org', address, algorithm);
      const secret = await openpgp.readPrivateKey({ armoredKey: g.secretArmored });
      expect(secret.keyPacket.version).toBe(4);
      expect(secret.subkeys.every((s) => s.keyPacket.version === 4)).toBe(true);
      const packets = (await gpg.ok(['--list-packets'], g.publicArmored)).toString();
      // 22 EdDSA + 18 ECDH (legacy Curve25519), or 1 RSA; never 27/25 (RFC 9580 Ed25519/X25519).
      expect(packets).toMatch(algorithm === 'rsa-3072' ? /version 4, algo 1,/ : /version 4, algo 22,[\s\S]*version 4, algo 18,/);
      await gpg.import(g.secretArmored);
      const enc = await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'to gpg 2001' }), encryptionKeys: secret.toPublic(), format: 'armored', config: PGP_CONFIG });
      const dec = await gpg.gpg(['--decrypt'], enc);
      expect(dec.code, dec.status).toBe(0);
      expect(dec.out.toString()).toBe('to gpg 2001');
      const signed = await gpg.ok(['--armor', '--sign', '-u', address], 'signed by gpg 2002');
      const v = await openpgp.verify({ message: await openpgp.readMessage({ armoredMessage: signed.toString() }), verificationKeys: secret.toPublic(), config: PGP_CONFIG });
      await expect(v.signatures[0]!.verified).resolves.toBe(true);
    }, 120_000);
  }
});

describe('gpg-generated keys used by the gateway', () => {
  for (const algo of ['curve25519', 'rsa3072'] as const) {
    test(`${algo}: escrowed as an internal user's key (sealed), decrypts what gpg encrypted; gpg verifies what we sign`, async () => {
      const address = `user-${algo}@hospital.test`;
      await gpg.generate(address, algo);
      const recs = await t.keys.importKeys(await readKeysAny(await gpg.exportSecret(address)), { internalDomains: ['hospital.test'] });
      expect(recs[0]).toMatchObject({ kind: 'user', address, hasSecret: true });
      const row = await t.store.db.selectFrom('openpgp_keys' as never).selectAll().where('fingerprint' as never, '=', recs[0]!.fingerprint as never).executeTakeFirst() as { sealed_secret: string };
      expect(row.sealed_secret).toMatch(/^sg1\./);
      expect(row.sealed_secret).not.toContain('PRIVATE KEY');
      const key = await t.keys.secretKey(recs[0]!);
      const enc = await gpg.ok(['--armor', '--encrypt', '-r', address], 'from gpg 2003');
      const d = await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: enc.toString() }), decryptionKeys: key, config: PGP_CONFIG });
      expect(d.data).toBe('from gpg 2003');
      const sig = await openpgp.sign({ message: await openpgp.createMessage({ text: 'signed by us 2004' }), signingKeys: key, format: 'armored', config: PGP_CONFIG });
      const v = await gpg.gpg(['--decrypt'], sig);
      expect(v.status).toMatch(/GOODSIG/);
    }, 120_000);
  }
});
