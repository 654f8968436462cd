// A stand-in HTTPS API server for doctor and `use namespace`: a self-signed certificate made with
// openssl, a bearer token check, /version and /api/v1/namespaces. Only what these commands GET.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeApiServer {
  url: string;
  caData: string;
  requests: { path: string; authorization?: string }[];
  close(): Promise<void>;
}

export async function startFakeApiServer(token: string, namespaces: string[]): Promise<FakeApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kloop-fake-api-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(dir, 'cert.pem'));
  const key = readFileSync(join(dir, 'key.pem'));
  rmSync(dir, { recursive: true, force: true });
  const requests: FakeApiServer['requests'] = [];
  const server = https.createServer({ cert, key }, (req, res) => {
    requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
    res.setHeader('content-type', 'application/json');
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.statusCode = 401;
      res.end('{"kind":"Status","code":401}');
      return;
    }
    if (req.url === '/version') {
      res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0-fake' }));
    } else if (req.url === '/api/v1/namespaces') {
      res.end(JSON.stringify({ kind: 'NamespaceList', items: namespaces.map((name) => ({ metadata: { name } })) }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caData: cert.toString('base64'),
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
