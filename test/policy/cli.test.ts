// `sealgate policy test` as an operator uses it: files and directories (recursive *.eml), one JSON
// object per line with --json, --to reported, --config read from YAML (its `policy` key), exit
// status 2 for a bad configuration and 1 for an unreadable file. The built CLI (bin/sealgate.js over
// dist/; `npm run build` first, as scripts/test.sh does) runs in a child process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, runOk } from '../peers/run.js';
import { makeMessage, plain } from './helpers.js';

const root = process.cwd();
let work: string;

beforeAll(async () => {
  await mkdir(join(root, '.test-work'), { recursive: true });
  work = await mkdtemp(join(root, '.test-work', 'policy-data-'));
  await mkdir(join(work, 'inbox', 'sub'), { recursive: true });
  await writeFile(join(work, 'inbox', 'phi.eml'), makeMessage({ subject: 'Re: patient', parts: [plain('Patient: Mei Tanaka\nMRN: 55012874\nDiagnosis: rheumatoid arthritis, on methotrexate 15 mg weekly.')] }));
  await writeFile(join(work, 'inbox', 'sub', 'clean.EML'), makeMessage({ subject: 'Parking', parts: [plain('Level 2 of the garage is closed on Saturday.')] }));
  await writeFile(join(work, 'inbox', 'notes.txt'), 'not a message');
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function cli(args: string[]) {
  return run(process.execPath, [join(root, 'bin', 'sealgate.js'), 'policy', 'test', ...args], { cwd: root });
}

describe('sealgate policy test', () => {
  it('--json prints one object per message found recursively, with the decision fields and --to', async () => {
    const r = await cli([join(work, 'inbox'), '--json', '--to', 'a@partner.example', '--to', 'b@partner.example']);
    expect(r.code).toBe(0);
    const lines = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual([join(work, 'inbox', 'phi.eml'), join(work, 'inbox', 'sub', 'clean.EML')]);
    const [phi, clean] = lines;
    expect(phi).toMatchObject({ phi: true, pii: true, threshold: 50, to: ['a@partner.example', 'b@partner.example'] });
    expect(phi.score).toBeGreaterThanOrEqual(50);
    expect(phi.reasons.map((x: { category: string }) => x.category)).toEqual(expect.arrayContaining(['mrn', 'diagnosis', 'medication']));
    expect(clean).toMatchObject({ phi: false, pii: false });
    // masked: the MRN and the name never appear
    expect(r.stdout.toString()).not.toContain('55012874');
    expect(r.stdout.toString()).not.toContain('Tanaka');
  });

  it('prints a readable line per file without --json', async () => {
    const r = await cli([join(work, 'inbox', 'phi.eml')]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/phi\.eml: PHI \(score \d+, threshold 50\)/);
  });

  it('--config reads the policy key of a YAML file (threshold, MRN patterns)', async () => {
    const cfg = join(work, 'sealgate.yaml');
    await writeFile(cfg, 'smtp:\n  listen: 127.0.0.1:0\npolicy:\n  threshold: 100\n');
    const r = await cli([join(work, 'inbox', 'phi.eml'), '--config', cfg, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.toString()).threshold).toBe(100);
  });

  it('a bad configuration exits 2 naming the file and key; an unreadable file exits 1', async () => {
    const bad = join(work, 'bad.yaml');
    await writeFile(bad, 'policy:\n  mrnPatterns: ["(["]\n');
    const r = await cli([join(work, 'inbox'), '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml: policy\.mrnPatterns\[0\]/);
    const missing = await cli([join(work, 'nope.eml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.eml: cannot read \(ENOENT\)/);
  });
});
