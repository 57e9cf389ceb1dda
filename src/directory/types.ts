// The certificate directory's contract with its users (the outbound protection stage, the CLI, the
// web console, inbound harvesting). Pure types. The implementation (src/directory/directory.ts)
// walks the discovery chain: local store → LDAP → LDAP via DNS SRV → DNS CERT → harvested → and,
// only when asked, auto-issue. Trust level: certificates are public; nothing here holds keys.

export type DirectorySource = 'local' | 'ldap' | 'ldap-srv' | 'dns-cert' | 'harvested' | 'issued';

/** A recipient's encryption certificate, validated for that address before it is returned. */
export interface RecipientCertificate {
  /** The address it was looked up for (lower-cased). */
  address: string;
  /** End-entity certificate, DER. */
  der: Buffer;
  /** Intermediates that came with it (DER), for the CMS certificate set or display. */
  chain: Buffer[];
  source: DirectorySource;
  /** Human-readable origin, e.g. `ldap://127.0.0.1:3890` or `CERT alice.example.org`. */
  origin: string;
  /** SHA-256 fingerprint, colon-separated hex (src/pki/ca.ts `fingerprint`). */
  fingerprint: string;
  notAfter: Date;
  /** The recipient's SMIMECapabilities (content-encryption OIDs, preferred first), when known (harvested). */
  capabilities?: string[];
  /** Present when the certificate was issued by us just now (auto-issue). */
  issued?: { serial: string; pkcs12MessageId?: string; noticeMessageId?: string };
}

/** A certificate a source offered that failed validation, with the reason (shown by `cert lookup`). */
export interface RejectedCertificate {
  source: DirectorySource;
  origin: string;
  subject: string;
  fingerprint: string;
  /** e.g. 'expired 2025-01-01', 'revoked (keyCompromise)', 'address does not match', 'untrusted: no path to a trust anchor', 'not for encryption'. */
  reason: string;
}

export interface SourceError {
  source: DirectorySource;
  origin: string;
  /** e.g. 'timeout after 3000 ms', 'connection refused'. Never a reason to send in the clear. */
  error: string;
}

export interface LookupResult {
  address: string;
  certificate?: RecipientCertificate;
  rejected: RejectedCertificate[];
  errors: SourceError[];
  /** Sources consulted, in order, with what each gave ('found' | 'none' | 'rejected' | 'error' | 'skipped'). */
  trail: Array<{ source: DirectorySource; origin: string; outcome: 'found' | 'none' | 'rejected' | 'error' | 'skipped'; ms: number }>;
  /** True when served from the lookup cache. */
  cached: boolean;
}

export interface LookupOptions {
  signal?: AbortSignal;
  /** Skip the cache (the CLI's `cert lookup` does by default). */
  fresh?: boolean;
}

export interface IssueRequest {
  /** The internal sender whose message needed the certificate (gets the notice; may retrieve the password). */
  requestedBy: string;
  /** Queue id of the message that needed it (audit only). */
  messageId?: string;
  signal?: AbortSignal;
}

export interface CertificateDirectory {
  /**
   * Walks the discovery chain (without auto-issue). A source that errors or times out is recorded in
   * `errors` and the chain moves on. Callers must treat "no certificate and errors.length > 0" as
   * "unknown" (defer), not as "none exists" (auto-issue), because the failing source might have had one.
   */
  lookup(address: string, opts?: LookupOptions): Promise<LookupResult>;
  /**
   * Auto-issue (issue 4, item 4): a new key pair and certificate from the external-recipients CA;
   * queues the PKCS#12 email to the recipient and the notice to `requestedBy` before resolving,
   * then destroys or escrows the key per `pki.externalKeys`. Throws when it cannot (e.g. the CA key
   * is unavailable): the caller defers or holds, never sends in the clear.
   */
  issue(address: string, req: IssueRequest): Promise<RecipientCertificate>;
  /**
   * Stores a certificate taken from a verified signature on inbound mail (with the signer's
   * SMIMECapabilities), after validating it for `address`. Returns false (and stores nothing) if it
   * does not validate.
   */
  harvest(address: string, der: Buffer, opts: { chain?: Buffer[]; capabilities?: string[]; messageId?: string }): Promise<boolean>;
  /** Forget cached lookups (after revocation, import, or configuration change). */
  invalidate(address?: string): void;
}
