// Shared vocabulary of the configuration resolvers (src/config/load.ts and each module's own
// `resolve…Config`): how a bad value is named in an error message, the domain-name syntax, and the
// callback that collects problems with their key paths. Pure.

/** Collects one problem: the key path (e.g. `inbound.trustBundles[0].domain`) and what is wrong. */
export type ConfigFail = (path: string, message: string) => void;

/** A DNS domain name (LDH labels of 1-63 characters, at most 253 in all), any case. */
export const DOMAIN_RE = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/i;

/** How a configured value is shown in an error: strings quoted, containers named, never dumped. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}
