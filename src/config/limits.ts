// Named limits of the gateway, each with a default and validated bounds (checked at start-up by the
// config loader). Pure data. 0 never silently means "unlimited": every bound has a minimum >= 1.

export interface LimitSpec {
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
  readonly doc: string;
}

export const LIMITS = {
  commandLineLength: { default: 2048, min: 512, max: 65536, unit: 'bytes', doc: 'longest SMTP command line, CRLF included (RFC 5321 minimum 512)' },
  textLineLength: { default: 8192, min: 1000, max: 1048576, unit: 'bytes', doc: 'longest line of message data, CRLF included (RFC 5321 minimum 1000)' },
  messageSize: { default: 26214400, min: 1024, max: 1073741824, unit: 'bytes', doc: 'largest message accepted; advertised with SIZE' },
  headerSize: { default: 102400, min: 1024, max: 10485760, unit: 'bytes', doc: 'largest message header section' },
  recipientsPerMessage: { default: 1000, min: 1, max: 100000, unit: 'recipients', doc: 'RCPT commands accepted per transaction; more get 452 4.5.3' },
  mimeDepth: { default: 100, min: 1, max: 1000, unit: 'levels', doc: 'deepest MIME multipart/message nesting' },
  nestedDecryptDepth: { default: 3, min: 1, max: 20, unit: 'levels', doc: 'deepest multipart/mixed searched for encrypted parts when the message itself is not encrypted (a list footer around an encrypted message)' },
  nestedDecryptParts: { default: 100, min: 2, max: 1000, unit: 'parts', doc: 'most body parts looked at when searching a message that is not itself encrypted for encrypted parts' },
  hopCount: { default: 50, min: 1, max: 1000, unit: 'Received headers', doc: 'more Received headers than this means a loop' },
  connectionsPerClient: { default: 50, min: 1, max: 100000, unit: 'connections', doc: 'concurrent connections from one client IP' },
  connectionsTotal: { default: 500, min: 1, max: 1000000, unit: 'connections', doc: 'concurrent connections per listener' },
  errorBudget: { default: 10, min: 1, max: 10000, unit: 'errors', doc: 'unknown or failed commands before 421 and disconnect' },
  idleTimeout: { default: 300, min: 1, max: 86400, unit: 'seconds', doc: 'no client input for this long closes the session with 421' },
  sessionTimeout: { default: 1800, min: 1, max: 604800, unit: 'seconds', doc: 'total session time' },
  messageLifetime: { default: 432000, min: 60, max: 31536000, unit: 'seconds', doc: 'undeliverable messages bounce after this long (5 days)' },
  deliveryConcurrency: { default: 20, min: 1, max: 10000, unit: 'deliveries', doc: 'parallel outgoing deliveries per process' },
  retryBase: { default: 60, min: 1, max: 86400, unit: 'seconds', doc: 'first retry delay; doubles per attempt' },
  retryMax: { default: 3600, min: 1, max: 604800, unit: 'seconds', doc: 'longest retry delay' },
  deliveryTimeout: { default: 300, min: 1, max: 3600, unit: 'seconds', doc: 'one delivery attempt, connect to final reply' },
  stageTimeout: { default: 120, min: 1, max: 3600, unit: 'seconds', doc: 'one pipeline stage; exceeding it is a temp-fail, never continue' },
  leaseTime: { default: 300, min: 5, max: 86400, unit: 'seconds', doc: 'how long a node owns a claimed message before another may take it over' },
} as const satisfies Record<string, LimitSpec>;

export type LimitName = keyof typeof LIMITS;
export type Limits = { [K in LimitName]: number };

export function defaultLimits(): Limits {
  const out = {} as Limits;
  for (const [k, spec] of Object.entries(LIMITS)) out[k as LimitName] = spec.default;
  return out;
}
