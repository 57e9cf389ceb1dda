// The mime4j / MIME-tools torture messages (../shared/testdata/mime4j): every one parses and scores
// without throwing or hanging, and a few decode to what their reference output says.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { extractText, scoreMessage } from '../../src/policy/index.js';

const ROOT = resolve(process.cwd(), '../shared/testdata/mime4j');

function listMsgs(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...listMsgs(p));
    else if (e.endsWith('.msg')) out.push(p);
  }
  return out;
}

describe('mime4j torture set', () => {
  const files = listMsgs(ROOT);

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(60);
  });

  it('every message parses and scores without throwing, each well under a second', () => {
    for (const f of files) {
      const raw = readFileSync(f);
      const t0 = Date.now();
      const d = scoreMessage(raw);
      expect(Date.now() - t0, f).toBeLessThan(1000);
      expect(typeof d.score, f).toBe('number');
      expect(d.score).toBeGreaterThanOrEqual(0);
      expect(d.score).toBeLessThanOrEqual(100);
    }
  });

  it('decodes RFC 2047 Cyrillic headers and QP German bodies', () => {
    const ru = extractText(readFileSync(join(ROOT, 'testmsgs', 'russian-headers.msg')));
    // filename==?koi8-r?B?...?= : the attachment is named in Cyrillic
    expect(ru.units.some((u) => /attachment [\u0400-\u04ff]+\.doc/.test(u.where))).toBe(true);
    const de = extractText(readFileSync(join(ROOT, 'mimetools-testmsgs', 'german-qp.msg')));
    const want = readFileSync(join(ROOT, 'mimetools-testmsgs', 'german-qp_decoded_1.txt'), 'latin1').trim().split(/\r?\n/)[0]!.trim();
    expect(de.units.map((u) => u.text).join('\n').replace(/\r/g, '')).toContain(want.slice(0, 20));
  });

  it('finds every part of nested multiparts and base64-encoded message/rfc822', () => {
    const nested = extractText(readFileSync(join(ROOT, 'testmsgs', 'base64encoded-rfc822message-nested.msg')));
    expect(nested.units.some((u) => u.forwarded)).toBe(true);
    const simple = extractText(readFileSync(join(ROOT, 'mimetools-testmsgs', 'multi-nested.msg')));
    expect(simple.units.length).toBeGreaterThanOrEqual(3);
  });
});
