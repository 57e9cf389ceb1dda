// Test-only: the interop matrix (peer × operation × algorithm × direction → ok / FAIL / n.a.).
// A cell the peer is known to support must be ok; a cell it does not support is still attempted
// and shows "n.a." when the peer refuses it (or "ok" if it turns out to work).
export type Direction = 'ours→peer' | 'peer→ours';
export type CellStatus = 'ok' | 'FAIL' | 'n.a.';

export interface Cell {
  peer: string;
  operation: string;
  algorithm: string;
  direction: Direction;
  status: CellStatus;
  detail?: string;
}

export class InteropMatrix {
  readonly cells: Cell[] = [];

  /** Runs one cell; `supported` decides whether a failure is FAIL or n.a. */
  async cell(
    peer: string,
    operation: string,
    algorithm: string,
    direction: Direction,
    supported: boolean,
    fn: () => Promise<void>,
  ): Promise<void> {
    try {
      await fn();
      this.cells.push({ peer, operation, algorithm, direction, status: 'ok' });
    } catch (e) {
      const detail = String((e as Error).message ?? e).replace(/\s+/g, ' ').slice(0, 300);
      this.cells.push({ peer, operation, algorithm, direction, status: supported ? 'FAIL' : 'n.a.', detail });
    }
  }

  failures(): Cell[] {
    return this.cells.filter((c) => c.status === 'FAIL');
  }

  render(): string {
    const rows = new Map<string, { peer: string; operation: string; algorithm: string; out: string; in: string }>();
    for (const c of this.cells) {
      const k = `${c.peer}|${c.operation}|${c.algorithm}`;
      const r = rows.get(k) ?? { peer: c.peer, operation: c.operation, algorithm: c.algorithm, out: '-', in: '-' };
      if (c.direction === 'ours→peer') r.out = c.status;
      else r.in = c.status;
      rows.set(k, r);
    }
    const head = ['peer', 'operation', 'algorithm', 'ours→peer', 'peer→ours'];
    const body = [...rows.values()].map((r) => [r.peer, r.operation, r.algorithm, r.out, r.in]);
    const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (cols: string[]) => cols.map((c, i) => c.padEnd(w[i]!)).join('  ');
    const lines = [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)];
    lines.push("ok = works; FAIL = a supported cell failed; n.a. = attempted, the peer refused it (reasons below); - = no cell in that direction (the peer cannot produce it, or the row is one-way)");
    const fails = this.failures();
    if (fails.length) {
      lines.push('', 'failures:');
      for (const f of fails) lines.push(`  ${f.peer} ${f.operation} ${f.algorithm} ${f.direction}: ${f.detail}`);
    }
    const na = this.cells.filter((c) => c.status === 'n.a.');
    if (na.length) {
      lines.push('', 'n.a. reasons (peer refused):');
      for (const f of na) lines.push(`  ${f.peer} ${f.operation} ${f.algorithm} ${f.direction}: ${f.detail}`);
    }
    return lines.join('\n');
  }
}
