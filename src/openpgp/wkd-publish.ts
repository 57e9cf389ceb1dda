// Our own Web Key Directory, mounted on the web listener: for each of our domains, the ADK
// (adk@DOMAIN, so desktop clients can be configured to encrypt to it) and the domain key
// (openpgp-domain@DOMAIN), by the advanced (/.well-known/openpgpkey/DOMAIN/hu/HASH) and the
// direct method (/.well-known/openpgpkey/hu/HASH, domain from the Host header), with the empty
// policy files clients probe. Public keys only. Trust level: network-facing, read-only.
import type { Router } from '../web/http.js';
import type { WebDeps } from '../web/server.js';
import { openPgpKeyStore } from './from-config.js';
import { adkAddress, domainKeyAddress } from './store.js';
import { wkdHash } from './wkd.js';
import { readKeysAny } from './keys.js';

export function wkdDocumentPath(address: string): { domain: string; hash: string } {
  const at = address.lastIndexOf('@');
  return { domain: address.slice(at + 1).toLowerCase(), hash: wkdHash(address.slice(0, at)) };
}

export function mountWkd(router: Router, deps: WebDeps): void {
  const keys = openPgpKeyStore(deps.cfg, deps.store);
  const domains = deps.cfg.domains;
  const lookup = async (domain: string, hash: string): Promise<Buffer | undefined> => {
    const d = domain.toLowerCase();
    if (!domains.includes(d)) return undefined;
    for (const [kind, address] of [['adk', adkAddress(d)], ['domain', domainKeyAddress(d)]] as const) {
      if (wkdDocumentPath(address).hash !== hash) continue;
      const rec = await keys.orgKey(kind, d);
      const [key] = await readKeysAny(rec.publicArmored);
      return key ? Buffer.from(key.write()) : undefined;
    }
    return undefined;
  };
  const serve = async (ctx: Parameters<Parameters<Router['get']>[1]>[0], domain: string) => {
    const body = await lookup(domain, ctx.params.hash ?? '');
    if (!body) {
      ctx.res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('no key\n');
      return;
    }
    ctx.res.writeHead(200, { 'content-type': 'application/octet-stream', 'access-control-allow-origin': '*' }).end(body);
  };
  const hostDomain = (host: string | undefined) => (host ?? '').replace(/:\d+$/, '').replace(/^openpgpkey\./i, '').toLowerCase();
  const empty = (ctx: Parameters<Parameters<Router['get']>[1]>[0]) => void ctx.res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('');
  router.get('/.well-known/openpgpkey/policy', empty);
  router.get('/.well-known/openpgpkey/:domain/policy', empty);
  router.get('/.well-known/openpgpkey/hu/:hash', (ctx) => serve(ctx, hostDomain(ctx.req.headers.host)));
  router.get('/.well-known/openpgpkey/:domain/hu/:hash', (ctx) => serve(ctx, ctx.params.domain ?? ''));
}
