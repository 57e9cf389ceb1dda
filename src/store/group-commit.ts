// Group commit: work items that arrive while a commit is being prepared share one transaction.
// On a busy gateway many SMTP sessions finish DATA at once; writing their rows in one transaction
// dirties each index page once instead of once per message (and, on PostgreSQL, costs one commit
// round trip). Each caller's promise settles only after the transaction holding its item
// committed. If a batch fails, its items are retried one by one, so one bad item never fails
// another caller's message. Pure scheduling; trust level of whoever uses it.

/** Most items in one transaction. */
export const GROUP_COMMIT_MAX = 128;

export class GroupCommit<T, R> {
  private pending: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private flushing = false;

  constructor(private readonly commit: (items: T[]) => Promise<R[]>, private readonly max = GROUP_COMMIT_MAX) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.max);
      try {
        const results = await this.commit(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i]!));
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.reject(err);
          continue;
        }
        for (const b of batch) {
          try {
            b.resolve((await this.commit([b.item]))[0]!);
          } catch (e) {
            b.reject(e);
          }
        }
      }
    }
    this.flushing = false;
  }
}
