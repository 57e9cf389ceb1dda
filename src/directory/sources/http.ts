// Bounded HTTP GET for CRLs and certificates named by URL (CRL distribution points, DNS CERT IPKIX
// records). Thin I/O: a timeout, a size cap, http/https only. Trust level: fetches from addresses
// named by untrusted certificates and DNS records; what it returns is validated by the caller.

export class FetchError extends Error {}

/** GETs `url` within `timeoutMs`, refusing bodies over `maxBytes`. Throws FetchError with a short reason. */
export async function fetchBounded(url: string, timeoutMs: number, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  if (!/^https?:\/\//i.test(url)) throw new FetchError(`unsupported URL scheme: ${url}`);
  const sig = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { signal: sig, redirect: 'error' });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new FetchError(`timeout after ${timeoutMs} ms`);
    throw new FetchError(err.cause?.code ?? err.message);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new FetchError(`HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new FetchError(`larger than ${maxBytes} bytes`);
  }
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body ?? []) {
      size += chunk.length;
      if (size > maxBytes) throw new FetchError(`larger than ${maxBytes} bytes`);
      parts.push(Buffer.from(chunk));
    }
  } catch (e) {
    if (e instanceof FetchError) throw e;
    throw new FetchError(sig.aborted ? `timeout after ${timeoutMs} ms` : (e as Error).message);
  }
  return Buffer.concat(parts);
}
