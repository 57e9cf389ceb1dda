// Test-only: a Web Key Directory over HTTPS on loopback (a port chosen at run time), certificate
// made with the openssl CLI for openpgpkey.DOMAIN and DOMAIN. Serve a key by the advanced or the
// direct method; everything else is 404. close() stops it.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk } from '../peers/run.js';
import { wkdHash } from '../../src/openpgp/wkd.js';

export interface WkdServer {
  port: number;
  caFile: string;
  requests: string[];
  publish(address: string, key: Buffer, method: 'advanced' | 'direct'): void;
  close(): Promise<void>;
}

export async function startWkdServer(domain: string): Promise<WkdServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-wkd-'));
  await runOk('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', `/CN=openpgpkey.${domain}`,
    '-addext', `subjectAltName=DNS:openpgpkey.${domain},DNS:${domain}`,
  ]);
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  const server = https.createServer({ key: await readFile(join(dir, 'k.pem')), cert: await readFile(join(dir, 'c.pem')) }, (req, res) => {
    const url = `${req.headers.host}${(req.url ?? '').split('?')[0]}`;
    requests.push(url);
    const body = files.get(url);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    caFile: join(dir, 'c.pem'),
    requests,
    publish(address, key, method) {
      const [local, d] = address.split('@') as [string, string];
      const url = method === 'advanced' ? `openpgpkey.${d}/.well-known/openpgpkey/${d}/hu/${wkdHash(local)}` : `${d}/.well-known/openpgpkey/hu/${wkdHash(local)}`;
      files.set(url, key);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
