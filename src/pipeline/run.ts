// Pipeline runner: applies the stages configured for a direction, in order, to one message.
// Fail-closed by construction: a stage that throws, rejects, returns something that is not a
// verdict, or exceeds its time limit yields `tempfail` (the message is retried later), never
// `continue`. Trust level: sees plaintext; logs only stage names, verdict kinds and reasons.
import type { Stage, StageMessage, Variant, Verdict } from './stage.js';
import type { Logger } from '../log/logger.js';

export type PipelineOutcome =
  | { kind: 'deliver'; body?: Buffer; variants?: Variant[]; notes: string[] }
  | { kind: 'hold'; reason: string; stage: string }
  | { kind: 'reject'; reason: string; stage: string }
  | { kind: 'tempfail'; reason: string; stage: string };

export interface PipelineOptions {
  stages: Stage[];
  timeoutMs: number;
  now?: () => Date;
  logger?: Logger;
}

const KINDS = new Set(['continue', 'hold', 'reject', 'tempfail']);

async function runStage(stage: Stage, msg: StageMessage, timeoutMs: number, now: () => Date): Promise<Verdict> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Verdict>((resolve) => {
    timer = setTimeout(() => {
      ctl.abort();
      resolve({ kind: 'tempfail', reason: `stage ${stage.name} timed out after ${timeoutMs} ms` });
    }, timeoutMs);
  });
  try {
    const verdict = await Promise.race([stage.process(msg, { now, signal: ctl.signal }), timeout]);
    if (!verdict || typeof verdict !== 'object' || !KINDS.has((verdict as Verdict).kind)) {
      return { kind: 'tempfail', reason: `stage ${stage.name} returned no valid verdict` };
    }
    return verdict;
  } catch {
    // The error text may contain message content; it is not propagated.
    return { kind: 'tempfail', reason: `stage ${stage.name} failed` };
  } finally {
    clearTimeout(timer);
  }
}

export function createPipeline(opts: PipelineOptions) {
  const now = opts.now ?? (() => new Date());
  return async function run(input: StageMessage): Promise<PipelineOutcome> {
    const msg: StageMessage = { ...input, attrs: input.attrs ?? {} };
    let body = msg.body;
    let variants: Variant[] | undefined;
    const notes: string[] = [];
    for (const stage of opts.stages) {
      if (!stage.directions.includes(msg.envelope.direction)) continue;
      if (variants) {
        // A previous stage split the message per recipient; later stages see each variant.
        const next: Variant[] = [];
        for (const v of variants) {
          const verdict = await runStage(stage, { ...msg, envelope: { ...msg.envelope, recipients: v.recipients }, body: v.body }, opts.timeoutMs, now);
          if (verdict.kind !== 'continue') return { kind: verdict.kind, reason: verdict.reason, stage: stage.name };
          if (verdict.note) notes.push(`${stage.name}: ${verdict.note}`);
          // A variant that must travel over TLS keeps that requirement through later stages.
          if (verdict.variants) next.push(...verdict.variants.map((x) => (v.requireTls ? { ...x, requireTls: true } : x)));
          else next.push({ ...v, body: verdict.body ?? v.body });
        }
        variants = next;
        continue;
      }
      const verdict = await runStage(stage, { ...msg, body }, opts.timeoutMs, now);
      opts.logger?.debug({ txn: msg.id, stage: stage.name, verdict: verdict.kind }, 'stage verdict');
      if (verdict.kind !== 'continue') return { kind: verdict.kind, reason: verdict.reason, stage: stage.name };
      if (verdict.note) notes.push(`${stage.name}: ${verdict.note}`);
      if (verdict.variants) variants = verdict.variants;
      else if (verdict.body) body = verdict.body;
    }
    return variants ? { kind: 'deliver', variants, notes } : { kind: 'deliver', body: body === msg.body ? undefined : body, notes };
  };
}
