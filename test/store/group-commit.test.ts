// Group commit: concurrent submissions share one commit, and one bad item never fails the others.
import { expect, test } from 'vitest';
import { GroupCommit } from '../../src/store/group-commit.js';

test('items submitted together share one commit, in arrival order', async () => {
  const commits: number[][] = [];
  const gc = new GroupCommit<number, number>(async (items) => {
    commits.push(items);
    return items.map((i) => i * 10);
  });
  const results = await Promise.all([1, 2, 3, 4].map((i) => gc.submit(i)));
  expect(results).toEqual([10, 20, 30, 40]);
  expect(commits).toEqual([[1, 2, 3, 4]]);
});

test('a failing batch is retried item by item: only the bad item fails', async () => {
  const gc = new GroupCommit<number, number>(async (items) => {
    if (items.includes(13)) throw new Error('constraint violation');
    return items;
  });
  const settled = await Promise.allSettled([1, 13, 3].map((i) => gc.submit(i)));
  expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
});

test('batches are capped and later submissions get their own commit', async () => {
  const sizes: number[] = [];
  const gc = new GroupCommit<number, number>(async (items) => {
    sizes.push(items.length);
    return items;
  }, 3);
  await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => gc.submit(i)));
  expect(sizes).toEqual([3, 3, 1]);
  await gc.submit(8);
  expect(sizes).toEqual([3, 3, 1, 1]);
});
