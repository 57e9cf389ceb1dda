// The resolved configuration of one gateway process: plain typed values, produced once by the loader
// (src/config/load.ts) from sealgate.yaml. Relative paths are already absolute here.
import type { Limits } from './limits.js';
import type { PkiConfig } from '../pki/config.js';
import type { InboundConfig } from '../inbound/config.js';
import type { OutboundConfig } from '../outbound/config.js';
import type { PolicyConfig } from '../policy/config.js';
import type { DirectoryConfig } from '../directory/config.js';
import type { OpenPgpConfig } from '../openpgp/config.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface TlsConfig {
  /** PEM certificate chain and PKCS#8 key files used for STARTTLS and HTTPS. */
  certFile: string;
  keyFile: string;
  /** Minimum protocol for inbound STARTTLS. */
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

export interface Config {
  /** Absolute path of the config file and its folder (relative paths resolve against it). */
  file: string;
  dir: string;
  /** Folder for spool files, generated keys, etc. */
  dataDir: string;
  /** Host name used in banners, Received headers and DSNs (no software name). */
  hostname: string;
  domains: string[];
  /** 'sqlite' (file in dataDir) or a postgres:// URL. */
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
  smtp: {
    inbound: { listen: HostPort };
    outbound: { listen: HostPort; clients: string[] };
    /** Require STARTTLS before AUTH (always), and optionally before MAIL on the outbound listener. */
    requireTlsForAuth: true;
  };
  delivery: {
    internal: HostPort;
    external: { mode: 'mx' } | { mode: 'smarthost'; host: string; port: number };
    /** Port used when delivering to MX hosts (25; tests point it elsewhere). */
    mxPort: number;
  };
  /** HTTPS console and pickup portal; portalExpiryDays: how long a pickup message can be opened (default 30). */
  web: { listen: HostPort; portalExpiryDays?: number };
  tls: TlsConfig;
  dns: { servers: string[] };
  limits: Limits;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' };
  /** Name of this node in a cluster (lease owner); default hostname:pid. Must be unique per process. */
  nodeName: string;
  /** Certificate authority and certificate directory (src/pki); the loader always fills it with defaults. */
  pki?: PkiConfig;
  /** Recipient certificate discovery (src/directory, docs/directory.md); the loader always fills it with defaults. */
  directory?: DirectoryConfig;
  /** Malware screening with clamd (src/antivirus); absent = no antivirus stage runs. */
  antivirus?: AntivirusConfig;
  /** Inbound S/MIME and routing checks (src/inbound/config.ts); the loader always fills it with defaults. */
  inbound?: InboundConfig;
  /** OpenPGP (src/openpgp, docs/openpgp.md); the loader always fills it with defaults. */
  openpgp?: OpenPgpConfig;
  /** Outbound decision and protection (src/outbound/config.ts); the loader always fills it with defaults. */
  outbound?: OutboundConfig;
  /** PHI scorer tuning (src/policy/config.ts); absent = built-in defaults. */
  policy?: PolicyConfig;
}

export type AntivirusAction = 'reject' | 'quarantine' | 'cleanse' | 'destroy';

export interface AntivirusConfig {
  /** clamd socket: a unix socket path (contains '/') or host:port. */
  clamd: { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };
  inbound: { action: AntivirusAction };
  outbound: { action: AntivirusAction };
  /** Scanner unreachable, timing out or answering an error: retry later (default) or hold. */
  onError: 'tempfail' | 'hold';
  /** Alarm when clamd's signature database is older than this many hours. */
  maxSignatureAgeHours: number;
  /** One clamd exchange (connect to verdict). */
  timeoutSeconds: number;
  /** clamd's StreamMaxLength in bytes; larger messages are held, never passed unscanned. */
  streamMaxLength: number;
}
