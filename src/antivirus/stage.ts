// The malware screening pipeline stage, both directions: sends the whole message to clamd (which
// decodes MIME, base64, quoted-printable and archives itself) and applies the configured action.
// Trust level: sees message plaintext; logs and audits ids, directions, actions and threat names
// only. Fail closed: a scanner that is down, slow, confused or given a message larger than it
// accepts never yields "continue".
//
// Actions (per direction):
//   reject      verdict `reject` (the queue bounces it with a DSN naming the threat). No in-session
//               550: scanning runs after the 250, in the queue (see docs/antivirus.md).
//   quarantine  verdict `hold`, reason names the threat (visible in `sealgate queue list`).
//   cleanse     each leaf MIME part is scanned on its own; infected parts are replaced in place by a
//               text/plain notice naming the threat (and saying that a signature no longer applies
//               when the part was signed); everything else stays byte-identical; the result is
//               scanned again. If no single part can be blamed, or the result is still infected, or
//               the MIME cannot be parsed, the message is held instead.
//   destroy     the message is replaced, for every recipient, by a short notice (who sent it, when,
//               the threat); the original is discarded; an audit record says so.
// Every detection is appended to the audit trail (when one is given); if that fails, the stage
// throws and the runner turns it into a temp-fail, so nothing is dropped without a record.
import type { Stage, StageContext, StageMessage, Verdict } from '../pipeline/stage.js';
import type { Logger } from '../log/logger.js';
import type { AuditEvent } from '../store/types.js';
import { ClamdError, formatClamdAddress, type ClamdClient, type ClamdVersion, type ScanResult } from './clamd.js';
import { PartsError, leafParts, sanitize, type LeafPart, type PartLimits, PART_LIMITS } from './parts.js';

export type AntivirusAction = 'reject' | 'quarantine' | 'cleanse' | 'destroy';

export interface AntivirusStageOptions {
  client: ClamdClient;
  inbound: { action: AntivirusAction };
  outbound: { action: AntivirusAction };
  /** What a scanner failure (unreachable, timeout, error reply) means. Default 'tempfail'. */
  onError?: 'tempfail' | 'hold';
  /** Alarm when the signature database is older than this. Default 48 h. */
  maxSignatureAgeHours?: number;
  /** How often process() refreshes health (VERSION) in the background. Default 10 min. */
  healthIntervalMs?: number;
  /** Sender address of destroy notices, e.g. postmaster@example.org. */
  postmaster: string;
  /** Host name for notice Message-IDs. */
  hostname: string;
  audit?: (event: AuditEvent) => Promise<unknown>;
  logger?: Logger;
  now?: () => Date;
  partLimits?: PartLimits;
}

export interface AntivirusHealth {
  /** 'ok', 'warning' (alarms raised, still scanning) or 'error' (scanner unreachable). */
  status: 'ok' | 'warning' | 'error';
  clamd: string;
  /** null until the first check. */
  reachable: boolean | null;
  engine?: string;
  dbVersion?: number;
  dbDate?: string;
  dbAgeHours?: number;
  maxSignatureAgeHours: number;
  alarms: string[];
  lastCheckAt?: string;
  lastError?: string;
  counters: { scanned: number; infected: number; errors: number; tooLarge: number };
}

export interface AntivirusStage extends Stage {
  /** Last known state, synchronous (for the console and metrics). */
  health(): AntivirusHealth;
  /** Asks clamd for its VERSION now; updates and returns health(). Never throws. */
  checkHealth(): Promise<AntivirusHealth>;
  /**
   * Checks now and then every healthIntervalMs (timer unref'd, so it never keeps the process
   * alive), so an idle gateway still raises the stale-database alarm. Returns the stopper.
   */
  startHealthChecks(): () => void;
}

export const ANTIVIRUS_DEFAULTS = Object.freeze({
  onError: 'tempfail' as const,
  maxSignatureAgeHours: 48,
  healthIntervalMs: 10 * 60_000,
});

const CRLF = '\r\n';

function threatList(threats: string[]): string {
  return threats.map((t) => sanitize(t, 120)).join(', ');
}

function rfc5322Date(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

/** A text/plain entity that takes the place of a removed part. ASCII only, CRLF. */
export function noticeEntity(part: { filename?: string; mediaType: string; signed: boolean }, threats: string[]): Buffer {
  const what = part.filename ? `"${sanitize(part.filename)}" (${sanitize(part.mediaType, 60)})` : sanitize(part.mediaType, 60);
  const lines = [
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    'Content-Disposition: inline',
    '',
    'The mail gateway removed a part of this message because it contains malware.',
    '',
    `  Removed part: ${what}`,
    `  Threat: ${threatList(threats)}`,
    '',
    ...(part.signed
      ? [
          'The removed part was covered by a digital signature. The signature no longer',
          'applies to this message: the content it was made over has been changed by the',
          'gateway, so it cannot show who wrote the rest or that it is unaltered.',
          '',
        ]
      : []),
    'The rest of the message is delivered as it was received. Contact your IT',
    'department if you need the removed content.',
    '',
  ];
  return Buffer.from(lines.join(CRLF), 'latin1');
}

const CONTENT_FIELDS = new Set(['content-type', 'content-transfer-encoding', 'content-disposition', 'content-description', 'content-id', 'mime-version']);

/** Replaces the infected leaves by notices. Byte ranges outside them are copied unchanged. */
export function cleanseMessage(msg: Buffer, infected: Array<{ part: LeafPart; threats: string[] }>): Buffer {
  const top = infected.find((i) => i.part.top);
  if (top) {
    // The message is a single part: keep its header fields except the MIME ones, body = notice.
    const kept = top.part.fields.filter((f) => !CONTENT_FIELDS.has(f.key)).map((f) => f.raw);
    return Buffer.concat([...kept, Buffer.from(`MIME-Version: 1.0${CRLF}`), noticeEntity(top.part, top.threats)]);
  }
  const sorted = [...infected].sort((a, b) => a.part.start - b.part.start);
  const pieces: Buffer[] = [];
  let pos = 0;
  for (const { part, threats } of sorted) {
    pieces.push(msg.subarray(pos, part.start), noticeEntity(part, threats));
    pos = part.end;
  }
  pieces.push(msg.subarray(pos));
  return Buffer.concat(pieces);
}

/** The message that replaces a destroyed one. */
export function destroyNotice(msg: StageMessage, threats: string[], o: { postmaster: string; hostname: string; now: Date }): Buffer {
  const e = msg.envelope;
  const lines = [
    `From: Mail Gateway <${o.postmaster}>`,
    'To: undisclosed-recipients:;',
    'Subject: Message removed: malware detected',
    `Date: ${rfc5322Date(o.now)}`,
    `Message-ID: <${msg.id}.av-notice@${o.hostname}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    'Auto-Submitted: auto-generated',
    '',
    'A message addressed to you was destroyed by the mail gateway because it',
    'contains malware. It has not been delivered and cannot be recovered.',
    '',
    `  Sender: ${e.sender ? sanitize(e.sender, 254) : '(none)'}`,
    `  Received: ${rfc5322Date(e.receivedAt)}`,
    `  Gateway reference: ${msg.id}`,
    `  Threat: ${threatList(threats)}`,
    '',
    'Contact your IT department, quoting the gateway reference, if you were',
    'expecting this message.',
    '',
  ];
  return Buffer.from(lines.join(CRLF), 'latin1');
}

export function createAntivirusStage(opts: AntivirusStageOptions): AntivirusStage {
  const onError = opts.onError ?? ANTIVIRUS_DEFAULTS.onError;
  const maxAge = opts.maxSignatureAgeHours ?? ANTIVIRUS_DEFAULTS.maxSignatureAgeHours;
  const healthEvery = opts.healthIntervalMs ?? ANTIVIRUS_DEFAULTS.healthIntervalMs;
  const now = opts.now ?? (() => new Date());
  const log = opts.logger;
  const client = opts.client;
  const partLimits = opts.partLimits ?? PART_LIMITS;
  for (const d of ['inbound', 'outbound'] as const) {
    if (!['reject', 'quarantine', 'cleanse', 'destroy'].includes(opts[d].action)) throw new RangeError(`antivirus: unknown ${d} action ${String(opts[d].action)}`);
  }
  if (!(maxAge > 0)) throw new RangeError('antivirus: maxSignatureAgeHours must be positive');

  const counters = { scanned: 0, infected: 0, errors: 0, tooLarge: 0 };
  let reachable: boolean | null = null;
  let version: ClamdVersion | undefined;
  let lastCheck: Date | undefined;
  let lastError: string | undefined;
  let checking: Promise<AntivirusHealth> | undefined;

  function health(): AntivirusHealth {
    const alarms: string[] = [];
    let dbAgeHours: number | undefined;
    if (reachable === false) alarms.push(`clamd unreachable at ${formatClamdAddress(client.address)}${lastError ? `: ${lastError}` : ''}`);
    if (version) {
      if (version.dbDate) {
        dbAgeHours = Math.round(((now().getTime() - version.dbDate.getTime()) / 3_600_000) * 10) / 10;
        if (dbAgeHours > maxAge) alarms.push(`signature database is ${dbAgeHours} hours old (limit ${maxAge})`);
      } else alarms.push('signature database date unknown (clamd VERSION reports no official database)');
    }
    return {
      status: reachable === false ? 'error' : alarms.length ? 'warning' : 'ok',
      clamd: formatClamdAddress(client.address),
      reachable,
      ...(version ? { engine: version.engine } : {}),
      ...(version?.dbVersion !== undefined ? { dbVersion: version.dbVersion } : {}),
      ...(version?.dbDate ? { dbDate: version.dbDate.toISOString() } : {}),
      ...(dbAgeHours !== undefined ? { dbAgeHours } : {}),
      maxSignatureAgeHours: maxAge,
      alarms,
      ...(lastCheck ? { lastCheckAt: lastCheck.toISOString() } : {}),
      ...(lastError ? { lastError } : {}),
      counters: { ...counters },
    };
  }

  function checkHealth(): Promise<AntivirusHealth> {
    checking ??= (async () => {
      try {
        version = await client.version();
        reachable = true;
        lastError = undefined;
      } catch (e) {
        reachable = false;
        lastError = e instanceof ClamdError ? e.code : 'error';
      }
      lastCheck = now();
      const h = health();
      // Metric-style alarm line: stable `alarm` key, so log shippers can count and page on it.
      if (h.alarms.length) log?.warn({ alarm: 'antivirus', status: h.status, alarms: h.alarms, dbAgeHours: h.dbAgeHours, clamd: h.clamd }, 'antivirus health alarm');
      else log?.info({ clamd: h.clamd, engine: h.engine, dbVersion: h.dbVersion, dbAgeHours: h.dbAgeHours }, 'antivirus healthy');
      return h;
    })().finally(() => {
      checking = undefined;
    });
    return checking;
  }

  function startHealthChecks(): () => void {
    void checkHealth();
    const timer = setInterval(() => void checkHealth(), healthEvery);
    timer.unref();
    return () => clearInterval(timer);
  }

  function maybeRefresh(): void {
    if (!lastCheck || now().getTime() - lastCheck.getTime() >= healthEvery) void checkHealth();
  }

  async function scan(data: Buffer, signal: AbortSignal): Promise<ScanResult> {
    const r = await client.scan(data, signal);
    reachable = true;
    return r;
  }

  function failure(e: unknown, msg: StageMessage): Verdict {
    counters.errors++;
    if (e instanceof ClamdError && e.code === 'too-large') {
      counters.tooLarge++;
      // Retrying cannot help; a person has to decide (release after scanning elsewhere, or delete).
      log?.warn({ txn: msg.id, size: msg.body.length, limit: client.streamMaxLength }, 'message too large for the malware scanner; held');
      return { kind: 'hold', reason: `antivirus: message too large to scan (${msg.body.length} bytes; scanner accepts ${client.streamMaxLength})` };
    }
    const code = e instanceof ClamdError ? e.code : 'error';
    if (code === 'unreachable' || code === 'timeout') reachable = false;
    lastError = code;
    log?.warn({ txn: msg.id, alarm: 'antivirus', error: code, clamd: formatClamdAddress(client.address) }, 'malware scan failed');
    const reason = `antivirus: scanner unavailable (${code}); message not scanned`;
    return onError === 'hold' && code !== 'aborted' ? { kind: 'hold', reason } : { kind: 'tempfail', reason };
  }

  async function cleanse(msg: StageMessage, threats: string[], signal: AbortSignal): Promise<{ body: Buffer; removed: number } | { hold: string }> {
    let leaves: LeafPart[];
    try {
      leaves = leafParts(msg.body, partLimits);
    } catch (e) {
      return { hold: `antivirus: malware detected (${threatList(threats)}); cannot cleanse: ${e instanceof PartsError ? e.message : 'unparseable MIME'}` };
    }
    const infected: Array<{ part: LeafPart; threats: string[] }> = [];
    for (const part of leaves) {
      const r = await scan(part.content(), signal);
      if (r.infected) infected.push({ part, threats: r.threats });
    }
    if (infected.length === 0) return { hold: `antivirus: malware detected (${threatList(threats)}); no single part could be removed` };
    const body = cleanseMessage(msg.body, infected);
    const again = await scan(body, signal);
    if (again.infected) return { hold: `antivirus: malware detected (${threatList(again.threats)}); still present after cleansing` };
    return { body, removed: infected.length };
  }

  return {
    name: 'antivirus',
    directions: ['inbound', 'outbound'],
    health,
    checkHealth,
    startHealthChecks,
    async process(msg: StageMessage, ctx: StageContext): Promise<Verdict> {
      maybeRefresh();
      const direction = msg.envelope.direction;
      const action = opts[direction].action;
      let result: ScanResult;
      try {
        result = await scan(msg.body, ctx.signal);
      } catch (e) {
        return failure(e, msg);
      }
      counters.scanned++;
      if (!result.infected) return { kind: 'continue' };
      counters.infected++;
      const threats = result.threats;
      const names = threatList(threats);

      let verdict: Verdict;
      let effective: AntivirusAction | 'quarantine-fallback' = action;
      switch (action) {
        case 'reject':
          verdict = { kind: 'reject', reason: `malware detected: ${names}` };
          break;
        case 'quarantine':
          verdict = { kind: 'hold', reason: `antivirus: malware detected: ${names}` };
          break;
        case 'destroy':
          verdict = { kind: 'continue', body: destroyNotice(msg, threats, { postmaster: opts.postmaster, hostname: opts.hostname, now: ctx.now() }), note: `message destroyed (malware: ${names}); recipients get a notice` };
          break;
        case 'cleanse': {
          let c;
          try {
            c = await cleanse(msg, threats, ctx.signal);
          } catch (e) {
            return failure(e, msg);
          }
          if ('hold' in c) {
            effective = 'quarantine-fallback';
            verdict = { kind: 'hold', reason: c.hold };
          } else verdict = { kind: 'continue', body: c.body, note: `removed ${c.removed} infected part(s) (malware: ${names})` };
          break;
        }
      }
      log?.warn({ txn: msg.id, direction, action: effective, threats: threats.map((t) => sanitize(t, 120)) }, 'malware detected');
      await opts.audit?.({ type: 'malware', actor: 'system', messageId: msg.id, data: { direction, action: effective, threats: threats.map((t) => sanitize(t, 120)), size: msg.body.length } });
      return verdict;
    },
  };
}
