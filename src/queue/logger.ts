// The logging surface the queue, store and audit code need: a structural subset of pino's Logger,
// so the real pino instance is passed in and tests can pass `silentLogger`. Log objects carry ids,
// states and counts only: never message bytes, subjects or key material.

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Error summary safe for logs: class and code, and the message only for our own error types. */
export function errInfo(err: unknown): { err: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { err: `${err.name}: ${err.message}`.slice(0, 300), ...(typeof code === 'string' ? { code } : {}) };
  }
  return { err: String(err).slice(0, 300) };
}
