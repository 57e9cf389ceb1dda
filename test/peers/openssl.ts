// Test-only: OpenSSL 3.0 `openssl cms` as an S/MIME peer, in S/MIME (MIME) format both ways, so it
// exercises Sealgate's MIME layer as well as its CMS. Trust level: test harness.
import { run, runOk } from './run.js';

export type PeerCipher = 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' | 'aes-128-gcm' | 'aes-256-gcm';
export type PeerKt = 'rsa-pkcs1' | 'rsa-oaep' | 'rsa-oaep-sha256';

/** Encrypts an RFC 5322 message's MIME entity (openssl treats stdin as the content). */
export async function opensslEncrypt(content: Buffer, certPaths: string[], cipher: PeerCipher, kt: PeerKt): Promise<Buffer> {
  const args = ['cms', '-encrypt', '-binary', `-${cipher}`, '-from', 'peer@example.test', '-subject', 'openssl interop'];
  for (const c of certPaths) {
    args.push('-recip', c);
    if (kt !== 'rsa-pkcs1' && !/bob/.test(c)) {
      args.push('-keyopt', 'rsa_padding_mode:oaep');
      if (kt === 'rsa-oaep-sha256') args.push('-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256');
    }
  }
  return runOk('openssl', args, { input: content });
}

export async function opensslDecrypt(smime: Buffer, certPath: string, keyPath: string): Promise<Buffer> {
  return runOk('openssl', ['cms', '-decrypt', '-binary', '-recip', certPath, '-inkey', keyPath], { input: smime });
}

export async function opensslSign(
  content: Buffer,
  certPath: string,
  keyPath: string,
  opts: { detached: boolean; digest: 'sha256' | 'sha384' | 'sha512'; pss?: boolean; chain?: string },
): Promise<Buffer> {
  const args = ['cms', '-sign', '-binary', '-signer', certPath, '-inkey', keyPath, '-md', opts.digest];
  if (opts.pss) args.push('-keyopt', 'rsa_padding_mode:pss');
  if (!opts.detached) args.push('-nodetach');
  if (opts.chain) args.push('-certfile', opts.chain);
  return runOk('openssl', args, { input: content });
}

/**
 * Verifies an S/MIME message (multipart/signed or opaque); returns the signed content.
 * Not -binary: in binary mode OpenSSL 3.0 reassembles a multipart/signed first part with bare LF line
 * ends (crypto/asn1/asn_mime.c multi_split), so no CRLF-signed message would verify. Text mode is how
 * MUAs verify: canonical CRLF, which is exactly what a conforming signer signed.
 */
export async function opensslVerify(smime: Buffer, caPath: string): Promise<{ ok: boolean; content: Buffer; stderr: string }> {
  const r = await run('openssl', ['cms', '-verify', '-CAfile', caPath, '-purpose', 'smimesign'], { input: smime });
  return { ok: r.code === 0, content: r.stdout, stderr: r.stderr };
}
