// Downloads for inbound signature checking (trust bundles and CRLs) over http(s), with a time limit
// and a size limit, or reads a local file. Trust level: fetches public, untrusted data; whatever
// it returns is validated (signatures, paths) by the caller.
import { readFile } from 'node:fs/promises';

/** Largest trust bundle or CRL accepted (bytes). */
export const MAX_FETCH_BYTES = 20 * 1024 * 1024;

export async function fetchBytes(source: string, timeoutMs: number, maxBytes = MAX_FETCH_BYTES): Promise<Buffer> {
  if (!/^https?:\/\//i.test(source)) {
    const data = await readFile(source);
    if (data.length > maxBytes) throw new Error(`${source}: larger than ${maxBytes} bytes`);
    return data;
  }
  let res: Response;
  try {
    res = await fetch(source, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (e) {
    const why = e instanceof Error && e.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : e instanceof Error ? (e.cause as Error | undefined)?.message ?? e.message : 'error';
    throw new Error(`${source}: ${why}`);
  }
  if (!res.ok) throw new Error(`${source}: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new Error(`${source}: larger than ${maxBytes} bytes`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > maxBytes) throw new Error(`${source}: larger than ${maxBytes} bytes`);
  return body;
}
