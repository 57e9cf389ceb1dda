// `sealgate init`: creates a complete, commented sealgate.yaml, the database and key material in a
// new folder. Refuses to overwrite anything. Trust level: writes private keys (mode 0600).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSelfSignedTls } from '../pki/tls-cert.js';
import { LIMITS } from '../config/limits.js';
import type { Config } from '../config/types.js';
import type { OpenedStore } from '../store/index.js';
import { credentialLines, userStoreFor } from './user.js';

export interface InitOptions {
  dir: string;
  domains: string[];
  hostname?: string;
  inboundListen?: string;
  outboundListen?: string;
  webListen?: string;
  internal?: { host: string; port: number };
  database?: string;
  /** Relay all outbound mail through this host instead of MX lookups. */
  smarthost?: { host: string; port: number };
}

export function renderConfig(o: Required<Omit<InitOptions, 'dir' | 'smarthost'>> & Pick<InitOptions, 'smarthost'>): string {
  const limitLines = Object.entries(LIMITS)
    .map(([k, s]) => `  # ${k}: ${s.default}    # ${s.doc} (${s.min}-${s.max} ${s.unit})`)
    .join('\n');
  return `# Sealgate configuration. Relative paths resolve against this file's folder.
# Check it with: sealgate check-config --config ${'<this file>'}

# Host name used in the SMTP banner, Received headers and DSNs (no software name is ever shown).
hostname: ${o.hostname}

# The domains this gateway serves: inbound mail is accepted only for these (no open relay).
domains:
${o.domains.map((d) => `  - ${d}`).join('\n')}

# Where the queue, audit trail and keys' metadata live: "sqlite" (a file in dataDir) or a
# postgres:// URL (several gateway processes may share one PostgreSQL database).
database: ${o.database}
dataDir: data

smtp:
  inbound:
    # MX role: mail from the Internet for our domains.
    listen: ${o.inboundListen}
  outbound:
    # The internal mail server relays mail for outside recipients here.
    listen: ${o.outboundListen}
    # Clients allowed to relay outbound (CIDRs). Anyone else must authenticate after STARTTLS.
    clients:
      - 127.0.0.0/8
      - ::1/128

delivery:
  # Where inbound mail goes after screening: the hospital's internal mail server.
  internal:
    host: ${o.internal.host}
    port: ${o.internal.port}
  # Outbound: "mx" (look up the recipient domain's MX) or "smarthost" (with host and port).
  external:
${o.smarthost ? `    mode: smarthost\n    host: ${o.smarthost.host}\n    port: ${o.smarthost.port}` : '    mode: mx'}
  # Port used to reach MX hosts.
  mxPort: 25

web:
  # Administration console and secure pickup portal (HTTPS).
  listen: ${o.webListen}
  # Days a message sent by web pickup can be opened before its link shows "expired".
  # portalExpiryDays: 30

tls:
  # STARTTLS and HTTPS certificate (PEM chain) and PKCS#8 key. init generated a self-signed pair.
  cert: tls/cert.pem
  key: tls/key.pem
  minVersion: TLSv1.2

dns:
  # Resolvers for MX lookups, e.g. ["127.0.0.1:53"]. Empty: the system resolvers.
  servers: []

log:
  level: info

# Inbound S/MIME (docs/inbound.md): mail encrypted to our proxy or domain certificates (or to an
# escrowed personal certificate, sealgate cert import-p12) is decrypted; signatures are verified
# against our root plus these trust anchors (PEM or DER files) and the sender domain's trust
# bundle, and the result is shown in an Authentication-Results header.
# inbound:
#   trustAnchors:
#     - trust/partners.pem
#   trustBundles:                    # Direct-style PKCS#7 bundles, anchors for one sender domain
#     - domain: partner.example
#       source: https://bundles.partner.example/trust.p7b   # or a file path
#       refreshMinutes: 60
#   crlCheck: soft                   # off | soft (CRL unreachable: still pass, said so) | hard (then neutral)
#   crlTimeoutSeconds: 5
#   tamperCheck: off                 # envelope vs To/Cc/From: off | annotate | hold | reject
#   visibleNote: false               # a short note for the recipient before decrypted/signed mail
#   undecryptable: hold              # hold (with the reason) | deliver (as received, reason in a header)

# Certification authority (docs/pki.md). init created the CAs, domain keys and RFC 3183 domain
# certificates with these settings; every key is encrypted at rest under the key-encryption key.
pki:
  kek: file:keys/kek                 # or env:VARIABLE; keep it apart from the database backups
  # algorithm: rsa-3072              # CA and signing keys: rsa-3072 | p-256 (used at creation)
  # encryptionKey: rsa-3072          # the domain encryption key behind every proxy certificate
  # organization: Example Hospital
  # policy:
  #   oid: 2.5.29.32.0               # your certificate policy OID
  #   cpsUri: https://mail.example.org/cps
  #   userNotice: Issued by Example Hospital's secure mail gateway
  # crlUrl: http://mail.example.org/crl/{ca}.crl
  # externalKeys: destroy            # destroy | escrow: keys issued to outside recipients
  # legacyPkcs12Domains: []          # recipients' domains that need 3DES/SHA-1 PKCS#12 files

# Certificate directory (docs/directory.md): where an outside recipient's encryption certificate is
# looked for, in this order, each source with its own trust anchors and timeout; every candidate is
# validated (address, validity, key usage, path, CRL) before use. sealgate cert lookup ADDRESS shows
# what was found and why others were rejected. All keys are optional.
# directory:
#   sources: [local, ldap, ldap-srv, dns-cert, harvested]
#   ldap:
#     - url: ldap://directory.partner.example
#       baseDn: ou=people,dc=partner,dc=example
#       timeoutMs: 5000
#       trustAnchors: [trust/partner-root.pem]
#   srv: { timeoutMs: 5000, trustAnchors: [trust/direct-bundle.pem] }     # LDAP via _ldap._tcp.DOMAIN
#   dnsCert: { timeoutMs: 5000, trustAnchors: [trust/direct-bundle.pem] } # RFC 4398 CERT records
#   harvested: { trustAnchors: [] }  # from verified signed mail (inbound.trustAnchors count too)
#   crl: { timeoutMs: 5000, files: [] }
#   cacheTtlSeconds: 3600
#   negativeCacheTtlSeconds: 300
#   missingCertificate: issue        # issue | pending | portal | hold
#   missingCertificateByDomain: {}   # e.g. { smallclinic.example: pending }
#   pending: { reminderHours: 24, expireDays: 7, fallback: hold, retryAfterDays: 30 }

# OpenPGP (docs/openpgp.md). The domain key pair (signs outbound PGP/MIME, decrypts inbound PGP) and
# the additional decryption key (ADK) are created by sealgate init (a domain added later: at sealgate
# start or any sealgate pgp command), sealed under pki.kek. Publish the ADK to desktop clients: sealgate pgp export-adk, or
# our WKD on the web listener. Add "openpgp" to outbound.methods to encrypt to partners' keys.
# openpgp:
#   algorithm: curve25519            # curve25519 (ed25519 + cv25519, v4) | rsa-3072; both work with GnuPG 2.2
#   wkd:
#     enabled: true                  # look up partners' keys in their Web Key Directory
#     caFile: trust/wkd-ca.pem       # trust anchors for WKD HTTPS (default: the system's)
#     timeoutSeconds: 10
#   hkp: https://keys.openpgp.org    # keyserver tried after WKD (default: none)
#   adk:
#     missing: hold                  # desktop-encrypted mail without the ADK: hold | allow (audited)
#   harvest: true                    # keep keys from verified signed inbound mail

# Malware screening with ClamAV's clamd, both directions (see docs/antivirus.md). Without this
# section no scanning happens. Uncomment and point it at your clamd:
# antivirus:
#   clamd: /run/clamav/clamd.ctl     # unix socket path (contains "/") or host:port
#   inbound:
#     action: quarantine             # reject | quarantine | cleanse | destroy
#   outbound:
#     action: reject
#   onError: tempfail                # clamd down or timing out: tempfail (retry later) or hold
#   maxSignatureAgeHours: 48         # older signatures raise an alarm
#   timeoutSeconds: 30
#   streamMaxLength: 27262976        # at most clamd's StreamMaxLength

# Named limits, with their defaults. Uncomment to change; values outside the bounds are refused.
limits:
${limitLines}
`;
}

export async function initGateway(o: InitOptions): Promise<{ configFile: string }> {
  const dir = resolve(o.dir);
  const configFile = join(dir, 'sealgate.yaml');
  if (existsSync(configFile)) throw new Error(`${configFile} already exists; refusing to overwrite it`);
  if (o.domains.length === 0) throw new Error('at least one --domain is required');
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'tls'), { recursive: true, mode: 0o700 });
  const hostname = o.hostname ?? `mail.${o.domains[0]}`;
  const tls = await generateSelfSignedTls([hostname, ...o.domains]);
  writeFileSync(join(dir, 'tls', 'cert.pem'), tls.certPem, { mode: 0o644 });
  writeFileSync(join(dir, 'tls', 'key.pem'), tls.keyPem, { mode: 0o600 });
  writeFileSync(
    configFile,
    renderConfig({
      domains: o.domains.map((d) => d.toLowerCase()),
      hostname,
      inboundListen: o.inboundListen ?? '0.0.0.0:25',
      outboundListen: o.outboundListen ?? '127.0.0.1:10025',
      webListen: o.webListen ?? '127.0.0.1:8443',
      internal: o.internal ?? { host: '127.0.0.1', port: 25 },
      database: o.database ?? 'sqlite',
      smarthost: o.smarthost,
    }),
    { flag: 'wx' },
  );
  return { configFile };
}

/**
 * The first console user, `admin`, with a generated password and TOTP secret: returns the lines to
 * print once. Nothing when users exist already (e.g. a second cluster node).
 */
export async function createInitialAdmin(cfg: Config, store: OpenedStore, actor: string): Promise<string[]> {
  const users = userStoreFor(cfg, store);
  if ((await users.list()).length > 0) return [];
  const creds = await users.add('admin', 'admin', actor);
  return [`created web console user admin (role admin) at https://${cfg.web.listen.host}:${cfg.web.listen.port}/`, ...credentialLines(cfg, 'admin', creds)];
}
