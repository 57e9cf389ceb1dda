// KEK rotation: re-seals every stored private key and PKCS#12 password from the old KEK to a new
// one in one database transaction, so the store is never half old, half new. Trust level: holds
// both KEKs and, one at a time, every private key in memory.
import { CertStore } from './certstore.js';
import type { PkiStore } from './ca.js';
import { openPrivateKey, openSecret, sealPrivateKey, sealSecret, sealedKekId, KekError, type Kek } from './keystore.js';

export interface RotateKekOptions {
  store: Pick<PkiStore, 'db'>;
  oldKek: Kek;
  newKek: Kek;
}

/** Returns how many keys and passwords were re-sealed. Items already under the new KEK are skipped. */
export async function rotateKek(o: RotateKekOptions): Promise<{ keys: number; passwords: number }> {
  if (o.oldKek.id === o.newKek.id) throw new KekError('the new KEK is the same as the old one');
  return o.store.db.transaction().execute(async (trx) => {
    const certs = CertStore.of(trx);
    let keys = 0;
    let passwords = 0;
    for (const k of await certs.listKeys()) {
      if (!k.sealedKey || k.kekId === o.newKek.id) continue;
      if (k.kekId !== o.oldKek.id) throw new KekError(`key ${k.id} is sealed under KEK ${k.kekId}, which is neither the old nor the new one`);
      await certs.resealKey(k.id, sealPrivateKey(openPrivateKey(k.sealedKey, o.oldKek), o.newKek), o.newKek.id);
      keys++;
    }
    for (const c of await certs.listCerts({ includeRevoked: true })) {
      if (!c.sealedPassword || sealedKekId(c.sealedPassword) === o.newKek.id) continue;
      await certs.setSealedPassword(c.serial, sealSecret(openSecret(c.sealedPassword, o.oldKek), o.newKek));
      passwords++;
    }
    return { keys, passwords };
  });
}
