// `sealgate smime encrypt|decrypt|sign|verify`: thin file/stdin/stdout shell over src/smime.
// Input and output are whole RFC 5322 messages (what `openssl cms -in/-out` uses in S/MIME format).
// Trust level: runs as the operator; reads private keys from files named on the command line and
// never prints key material or message content in errors.
import { readFile, writeFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { Command, Option } from 'commander';
import { SmimeError } from '../smime/errors.js';
import { loadPrivateKey } from '../smime/keys.js';
import {
  type SignatureType,
  type SigningDigest,
  smimeDecryptMessage,
  smimeEncryptMessage,
  smimeSignMessage,
  smimeVerifyMessage,
} from '../smime/index.js';
import type { ContentCipher, KeyTransport } from '../smime/algorithms.js';
import { CliError } from './shared.js';

/** Largest input message the CLI reads (the SMTP side's message_size_limit is far lower). */
export const CLI_MAX_INPUT_BYTES = 256 * 1024 * 1024;


const collect = (v: string, prev: string[]) => [...prev, v];

async function readInput(file: string | undefined): Promise<Buffer> {
  if (file && file !== '-') {
    try {
      const buf = await readFile(file);
      if (buf.length > CLI_MAX_INPUT_BYTES) throw new CliError(`${file}: larger than ${CLI_MAX_INPUT_BYTES} bytes`);
      return buf;
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  if (process.stdin.isTTY) throw new CliError('no input file given and stdin is a terminal');
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of process.stdin) {
    n += (c as Buffer).length;
    if (n > CLI_MAX_INPUT_BYTES) throw new CliError(`stdin: larger than ${CLI_MAX_INPUT_BYTES} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readFileNamed(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new CliError(`${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** All PEM blocks with one of `labels` in a file, as DER; a file without PEM is taken as one DER object. */
async function readDerObjects(path: string, labels: string[], what: string): Promise<Buffer[]> {
  const raw = await readFileNamed(path, what);
  const text = raw.toString('latin1');
  if (!text.includes('-----BEGIN')) {
    if (raw.length > 0 && raw[0] === 0x30) return [raw];
    throw new CliError(`${path}: not a PEM or DER ${what}`);
  }
  const out: Buffer[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (labels.includes(m[1]!)) out.push(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
  }
  if (out.length === 0) throw new CliError(`${path}: no ${labels.join('/')} PEM block found`);
  return out;
}

async function readCerts(paths: string[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const p of paths) out.push(...(await readDerObjects(p, ['CERTIFICATE', 'X509 CERTIFICATE'], 'certificate')));
  return out;
}

async function readKey(path: string): Promise<KeyObject> {
  const raw = await readFileNamed(path, 'private key');
  try {
    return loadPrivateKey(raw);
  } catch (e) {
    throw new CliError(`${path}: not a usable private key (${e instanceof SmimeError ? e.message : 'unreadable'})`);
  }
}

async function writeOutput(buf: Buffer, file?: string): Promise<void> {
  if (file) {
    try {
      await writeFile(file, buf);
    } catch (e) {
      throw new CliError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return;
  }
  await new Promise<void>((resolve, reject) => process.stdout.write(buf, (err) => (err ? reject(err) : resolve())));
}

/** Runs a command body; any failure becomes one line on stderr and exit status 1. */
function action<A extends unknown[]>(cmd: string, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const file = typeof args[0] === 'string' ? `${args[0]}: ` : '';
      const msg =
        e instanceof CliError
          ? e.message
          : e instanceof SmimeError
            ? `${file}${e.code}: ${e.message}${e.details?.length ? ` (${e.details.join('; ')})` : ''}`
            : `${file}${(e as Error).message}`;
      process.stderr.write(`sealgate smime ${cmd}: ${msg}\n`);
      process.exitCode = 1;
    }
  };
}

function jsonSafe(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = jsonSafe(x);
    return o;
  }
  return v;
}

export function registerSmimeCommands(program: Command): void {
  const smime = program.command('smime').description('S/MIME: encrypt, decrypt, sign and verify RFC 5322 messages');

  smime
    .command('encrypt')
    .description('encrypt a message (FILE or stdin) to one or more recipient certificates; writes the S/MIME message to stdout')
    .argument('[FILE]', 'RFC 5322 message (default: stdin)')
    .requiredOption('--cert <file>', 'recipient certificate, PEM (repeatable)', collect, [])
    .addOption(
      new Option('--cipher <name>', 'content encryption').choices(['aes-256-gcm', 'aes-128-gcm', 'aes-256-cbc', 'aes-192-cbc', 'aes-128-cbc']).default('aes-256-cbc'),
    )
    .addOption(new Option('--key-transport <name>', 'RSA key transport').choices(['rsa-pkcs1', 'rsa-oaep', 'rsa-oaep-sha256']).default('rsa-pkcs1'))
    .option('--no-header-protection', 'do not wrap the message in message/rfc822 (classic S/MIME)')
    .option('--subject <text>', 'replace the outer (unprotected) Subject')
    .action(
      action('encrypt', async (file: string | undefined, o: { cert: string[]; cipher: ContentCipher; keyTransport: KeyTransport; headerProtection: boolean; subject?: string }) => {
        const certs = await readCerts(o.cert);
        const msg = await readInput(file);
        const out = smimeEncryptMessage(
          msg,
          certs.map((certificate) => ({ certificate })),
          { cipher: o.cipher, keyTransport: o.keyTransport, headerProtection: o.headerProtection ? 'auto' : 'none', subject: o.subject },
        );
        await writeOutput(out);
      }),
    );

  smime
    .command('decrypt')
    .description('decrypt an S/MIME message (FILE or stdin); writes the decrypted message to stdout')
    .argument('[FILE]', 'encrypted RFC 5322 message (default: stdin)')
    .requiredOption('--cert <file>', 'our certificate, PEM')
    .requiredOption('--key <file>', 'our private key, PEM PKCS#8')
    .action(
      action('decrypt', async (file: string | undefined, o: { cert: string; key: string }) => {
        const [certificate] = await readCerts([o.cert]);
        const privateKey = await readKey(o.key);
        const msg = await readInput(file);
        const { message } = smimeDecryptMessage(msg, { certificate: certificate!, privateKey });
        await writeOutput(message);
      }),
    );

  smime
    .command('sign')
    .description('sign a message (FILE or stdin); writes the signed S/MIME message to stdout')
    .argument('[FILE]', 'RFC 5322 message (default: stdin)')
    .requiredOption('--cert <file>', 'signer certificate, PEM')
    .requiredOption('--key <file>', 'signer private key, PEM PKCS#8')
    .option('--chain <file>', 'CA/intermediate certificates to include, PEM (repeatable)', collect, [])
    .addOption(new Option('--detached', 'multipart/signed (default)').conflicts('opaque'))
    .addOption(new Option('--opaque', 'application/pkcs7-mime signed-data').conflicts('detached'))
    .addOption(
      new Option('--signature-type <type>', 'RFC 3183 signature type: originatorSig, domainSig, additionalAttributesSig, reviewSig (repeatable)').argParser(
        (v: string, prev: string[] | undefined) => {
          if (!['originatorSig', 'domainSig', 'additionalAttributesSig', 'reviewSig'].includes(v)) {
            throw new Error(`--signature-type: ${v} is not originatorSig, domainSig, additionalAttributesSig or reviewSig`);
          }
          return [...(prev ?? []), v];
        },
      ),
    )
    .addOption(new Option('--digest <name>', 'message digest').choices(['sha256', 'sha384', 'sha512']).default('sha256'))
    .option('--pss', 'RSASSA-PSS instead of RSA PKCS#1 v1.5 (RSA keys)')
    .option('--no-header-protection', 'do not wrap the message in message/rfc822 (classic S/MIME)')
    .option('--subject <text>', 'replace the outer (unprotected) Subject')
    .action(
      action(
        'sign',
        async (
          file: string | undefined,
          o: { cert: string; key: string; chain: string[]; detached?: boolean; opaque?: boolean; signatureType?: SignatureType[]; digest: SigningDigest; pss?: boolean; headerProtection: boolean; subject?: string },
        ) => {
          const [certificate] = await readCerts([o.cert]);
          const privateKey = await readKey(o.key);
          const chain = await readCerts(o.chain);
          const msg = await readInput(file);
          const out = smimeSignMessage(
            msg,
            { certificate: certificate!, privateKey, chain },
            {
              detached: !o.opaque,
              // --detached asked for explicitly: honour it even for 8-bit content (as openssl does);
              // by default 8-bit content is signed opaquely so relays cannot break the signature.
              eightBit: o.detached ? 'allow' : 'opaque',
              signatureTypes: o.signatureType,
              digest: o.digest,
              rsaPss: o.pss,
              headerProtection: o.headerProtection ? 'auto' : 'none',
              subject: o.subject,
            },
          );
          await writeOutput(out);
        },
      ),
    );

  smime
    .command('verify')
    .description('verify a signed S/MIME message (FILE or stdin); prints the result as JSON; exit 0 only when valid')
    .argument('[FILE]', 'signed RFC 5322 message (default: stdin)')
    .requiredOption('--trust <file>', 'trusted CA certificate(s), PEM (repeatable)', collect, [])
    .option('--intermediate <file>', 'extra intermediate certificates, PEM (repeatable)', collect, [])
    .option('--crl <file>', 'CRL, PEM or DER (repeatable)', collect, [])
    .option('--at <iso-date>', 'validate at this time instead of now')
    .option('--out <file>', 'write the signed content (the inner message) to this file')
    .action(
      action('verify', async (file: string | undefined, o: { trust: string[]; intermediate: string[]; crl: string[]; at?: string; out?: string }) => {
        const trustAnchors = await readCerts(o.trust);
        const intermediates = await readCerts(o.intermediate);
        const crls: Buffer[] = [];
        for (const p of o.crl) crls.push(...(await readDerObjects(p, ['X509 CRL'], 'CRL')));
        let at: Date | undefined;
        if (o.at) {
          at = new Date(o.at);
          if (Number.isNaN(at.getTime())) throw new CliError(`--at: ${o.at} is not a date`);
        }
        const msg = await readInput(file);
        // Only pass CRLs when some were given: the CMS layer treats any crls array (even empty) as
        // "revocation status required" for every certificate below the anchor.
        const v = smimeVerifyMessage(msg, { trustAnchors, intermediates, crls: crls.length ? crls : undefined, at });
        const report = {
          valid: v.valid,
          format: v.layer.format,
          micalg: v.layer.micalg,
          headerProtected: v.layer.headerProtected,
          signers: v.layer.signers.map((s) => ({ ...s, certificate: undefined, chain: s.chain.length })),
        };
        await writeOutput(Buffer.from(JSON.stringify(jsonSafe(report), null, 2) + '\n'));
        if (o.out) await writeOutput(v.message, o.out);
        if (!v.valid) {
          const reasons = v.layer.signers.flatMap((s) => s.failures);
          process.stderr.write(`sealgate smime verify: ${file ?? 'stdin'}: signature not valid${reasons.length ? `: ${reasons.join('; ')}` : ''}\n`);
          process.exitCode = 1;
        }
      }),
    );
}
