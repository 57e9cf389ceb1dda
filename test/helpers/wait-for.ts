// Test helper: polls for what a running gateway did with a message: a message at an SMTP sink, or
// a held queue entry whose hold reason matches (read with `sealgate queue list --state hold`).
import { sealgate } from './gateway.js';
import type { SinkMessage, SmtpSink } from './smtp-sink.js';

const POLL_LIMIT_MS = 40_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first message at `sink` whose text matches `pred`; throws after 40 s naming `what`. */
export async function waitAtSink(sink: SmtpSink, pred: (text: string) => boolean, what: string): Promise<Buffer> {
  const deadline = Date.now() + POLL_LIMIT_MS;
  for (;;) {
    const m = sink.messages.find((x) => pred(x.data.toString('latin1')));
    if (m) return m.data;
    if (Date.now() > deadline) throw new Error(`nothing at the sink: ${what}`);
    await sleep(200);
  }
}

/** The hold reason of the first held message matching `pattern`; throws after 40 s with the queue listing. */
export async function waitHeld(config: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + POLL_LIMIT_MS;
  for (;;) {
    const l = sealgate(['queue', 'list', '--json', '--state', 'hold', '--config', config]);
    const held = l.stdout.trim().split('\n').filter(Boolean).map((x) => JSON.parse(x) as { holdReason: string | null });
    const h = held.find((x) => pattern.test(x.holdReason ?? ''));
    if (h) return h.holdReason!;
    if (Date.now() > deadline) throw new Error(`not held (${pattern}): ${l.stdout}`);
    await sleep(300);
  }
}

/** The first message at `sink` containing `marker` (with its envelope); throws after `ms` naming the marker. */
export async function sinkMessageContaining(sink: SmtpSink, marker: string, ms = 30_000): Promise<SinkMessage> {
  const end = Date.now() + ms;
  for (;;) {
    const m = sink.messages.find((x) => x.data.toString('latin1').includes(marker));
    if (m) return m;
    if (Date.now() > end) throw new Error(`no delivery containing ${marker}`);
    await sleep(100);
  }
}

/** A sink filter: messages whose envelope names `rcpt`. */
export const to = (rcpt: string) => (m: { recipients: string[] }) => m.recipients.includes(rcpt);

/** Polls `cond` every 100 ms until it holds; throws after `ms`. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(100);
  }
}
