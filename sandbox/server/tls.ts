// A CA and a server certificate for 127.0.0.1, made with the openssl CLI (EC keys: fast; two
// invocations, since OpenSSL 3's `req -x509 -CA` signs the server certificate directly).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsMaterial {
  caCert: string;
  cert: string;
  key: string;
}

/** Reuses the material in `dir` when present, so a restarted server keeps its kubeconfig valid. */
export async function ensureTls(dir: string): Promise<TlsMaterial> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (n: string) => join(dir, n);
  if (!existsSync(file('server.crt'))) {
    const ec = ['-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650'];
    try {
      await run('openssl', [
        'req',
        ...ec,
        '-keyout',
        file('ca.key'),
        '-out',
        file('ca.crt'),
        '-subj',
        '/CN=kloop-sandbox-ca',
      ]);
      await run('openssl', [
        'req',
        ...ec,
        '-keyout',
        file('server.key'),
        '-out',
        file('server.crt'),
        '-subj',
        '/CN=kloop-sandbox',
        '-CA',
        file('ca.crt'),
        '-CAkey',
        file('ca.key'),
        '-addext',
        'basicConstraints=critical,CA:FALSE',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext',
        'extendedKeyUsage=serverAuth',
      ]);
    } catch (error) {
      throw new Error(
        `could not generate the sandbox's TLS certificates with openssl (OpenSSL 3 is required): ${(error as { stderr?: string }).stderr || (error as Error).message}`,
      );
    }
  }
  return {
    caCert: readFileSync(file('ca.crt'), 'utf8'),
    cert: readFileSync(file('server.crt'), 'utf8'),
    key: readFileSync(file('server.key'), 'utf8'),
  };
}
