// Test-only: drives test/peers/java/BcHarness.java (Bouncy Castle 1.72 from Debian, with bcmail on
// javax.mail for the MIME-level jobs) in batches, one
// JVM per batch, since JVM start-up dominates. Trust level: test harness.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOk } from './run.js';

// bcmail + javax.mail + activation for the MIME-level jobs (Debian libbcmail-java, libjavax-mail-java).
const JARS = ['bcprov', 'bcpkix', 'bcutil', 'bcmail', 'javax.mail', 'javax.activation'].map((j) => `/usr/share/java/${j}.jar`).join(':');
const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'java', 'BcHarness.java');

export interface BcJobResult {
  ok: boolean;
  details: string;
}

export class BcHarness {
  private constructor(readonly classDir: string) {}

  static async compile(): Promise<BcHarness> {
    const dir = await mkdtemp(join(tmpdir(), 'sealgate-bc-'));
    await runOk('javac', ['-nowarn', '-Xlint:-unchecked', '-d', dir, '-cp', JARS, SOURCE], { timeoutMs: 120_000 });
    return new BcHarness(dir);
  }

  /** Runs jobs (each an argv list after the job id) in one JVM; results keyed by job id. */
  async batch(jobs: Map<string, string[]>): Promise<Map<string, BcJobResult>> {
    const jobFile = join(this.classDir, `jobs-${process.pid}-${Date.now()}.tsv`);
    await writeFile(jobFile, [...jobs].map(([id, argv]) => [id, ...argv].join('\t')).join('\n') + '\n');
    const out = await runOk('java', ['-cp', `${this.classDir}:${JARS}`, 'BcHarness', jobFile], { timeoutMs: 180_000 });
    const results = new Map<string, BcJobResult>();
    for (const line of out.toString('utf8').split('\n')) {
      const [id, status, ...rest] = line.split('\t');
      if (id && status) results.set(id, { ok: status === 'OK', details: rest.join(' ') });
    }
    for (const id of jobs.keys()) if (!results.has(id)) results.set(id, { ok: false, details: 'no result from harness' });
    return results;
  }

  async read(path: string): Promise<Buffer> {
    return readFile(path);
  }
}
