// Every package the gateway ships with has an Apache-2.0-compatible license.
import { expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';

test('production dependency licenses are all on the allow-list', () => {
  const r = spawnSync(process.execPath, ['scripts/licenses.mjs'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 60_000);
