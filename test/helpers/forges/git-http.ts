// git's smart HTTP protocol served by the real `git http-backend` (CGI), behind authentication:
// Basic with the token as password, or Bearer <token>. Anything else gets 401, as a forge would.
import { spawn } from 'node:child_process';
import type { Handler } from './server.ts';

export function gitHttpBackend(options: { projectRoot: () => string; token: () => string; prefix?: string }): Handler {
  const prefix = options.prefix ?? '';
  return (req, raw, res) => {
    if (!req.path.startsWith(prefix) || !/\/(info\/refs|git-upload-pack|git-receive-pack)$/.test(req.path))
      return undefined;
    const auth = req.headers.authorization ?? '';
    const token = options.token();
    let ok = auth === `Bearer ${token}`;
    const basic = /^Basic (.+)$/i.exec(auth);
    if (basic) ok = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').slice(1).join(':') === token;
    if (!ok)
      return { status: 401, headers: { 'www-authenticate': 'Basic realm="git"' }, body: { message: 'Unauthorized' } };
    return new Promise<'handled'>((resolve) => {
      const child = spawn('git', ['http-backend'], {
        env: {
          PATH: process.env.PATH,
          GIT_PROJECT_ROOT: options.projectRoot(),
          GIT_HTTP_EXPORT_ALL: '1',
          REQUEST_METHOD: req.method,
          PATH_INFO: req.path.slice(prefix.length),
          QUERY_STRING: req.query.toString(),
          CONTENT_TYPE: raw.headers['content-type'] ?? '',
          ...(raw.headers['content-encoding']
            ? { HTTP_CONTENT_ENCODING: String(raw.headers['content-encoding']) }
            : {}),
          ...(raw.headers['git-protocol'] ? { GIT_PROTOCOL: String(raw.headers['git-protocol']) } : {}),
          REMOTE_USER: 'kloop-test',
          REMOTE_ADDR: '127.0.0.1',
        },
      });
      raw.pipe(child.stdin);
      let head = Buffer.alloc(0);
      let sentHead = false;
      child.stdout.on('data', (chunk: Buffer) => {
        if (sentHead) {
          res.write(chunk);
          return;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const headers: Record<string, string> = {};
        let status = 200;
        for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
          const i = line.indexOf(':');
          const k = line.slice(0, i).trim();
          const v = line.slice(i + 1).trim();
          if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
          else headers[k] = v;
        }
        req.status = status;
        res.writeHead(status, headers);
        res.write(head.subarray(end + 4));
        sentHead = true;
      });
      child.on('close', () => {
        if (!sentHead) {
          res.writeHead(500);
        }
        res.end();
        resolve('handled');
      });
    });
  };
}
