// The agent as it runs in the pod (its generated source, in a node process of its own), driven
// over real sockets: a test tunnel plays the laptop, a local server plays the original pods.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type AgentConfig, agentSource, TUNNEL_HELLO } from '../../../src/hybrid/agent.ts';
import { freePort } from '../../helpers/ports.ts';

let agent: ChildProcess;
let upstream: net.Server;
let dir: string;
const ports = { control: 0, all: 0, header: 0, relay: 0, upstream: 0 };

before(async () => {
  for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
  // the original pods: answer with what arrived
  upstream = net.createServer((s) =>
    s.once('data', (d) =>
      s.end(`upstream got ${d.toString().split('\r\n')[0]}|${d.toString().includes('Connection: close')}`),
    ),
  );
  await new Promise<void>((r) => upstream.listen(ports.upstream, '127.0.0.1', () => r()));
  const config: AgentConfig = {
    control: ports.control,
    tunnelWaitMs: 1500,
    confirmMs: 300,
    routes: [
      { listen: ports.all, upstream: { host: '127.0.0.1', port: ports.upstream }, intercept: true },
      {
        listen: ports.header,
        upstream: { host: '127.0.0.1', port: ports.upstream },
        intercept: true,
        header: { name: 'X-Dev', value: 'alice' },
      },
      { listen: ports.relay, upstream: { host: '127.0.0.1', port: ports.upstream }, intercept: false },
    ],
  };
  dir = mkdtempSync(path.join(tmpdir(), 'kloop-agent-'));
  writeFileSync(path.join(dir, 'agent.cjs'), agentSource());
  agent = spawn(process.execPath, [path.join(dir, 'agent.cjs')], {
    env: { KLOOP_AGENT: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // ready once it reports its last listener
  await new Promise<void>((resolve) => {
    let out = '';
    agent.stdout!.on('data', (c) => {
      out += c;
      if ((out.match(/ → /g) ?? []).length === 3) resolve();
    });
  });
});

after(async () => {
  agent?.kill('SIGKILL');
  upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * A laptop-side tunnel: answers OPEN with OK (unless `dead`, a tunnel whose laptop vanished),
 * resolves with the OPEN line and what followed, and answers `reply`.
 */
async function tunnel(reply: string, dead = false): Promise<{ opened: Promise<string> }> {
  const s = net.connect(ports.control, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.on('error', () => {});
  s.write(TUNNEL_HELLO);
  const opened = new Promise<string>((resolve) => {
    let got = '';
    s.on('data', (c) => {
      const first = !got.includes('\n');
      got += c;
      if (first && got.includes('\n') && !dead) s.write('OK\n');
      if (got.includes('\n') && got.length > got.indexOf('\n') + 1) {
        resolve(got);
        if (!dead) s.end(reply);
      }
    });
  });
  return { opened };
}

function call(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (c) => {
      got += c;
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    s.on('close', () => resolve(got));
  });
}

test('a connection to the intercepted port is paired with a waiting tunnel', async () => {
  const t = await tunnel('from the laptop');
  const answer = await call(ports.all, 'hello agent');
  assert.equal(answer, 'from the laptop');
  assert.equal(await t.opened, `OPEN ${ports.all}\nhello agent`);
});

test('a connection that arrives before the tunnel waits for it', async () => {
  const answer = call(ports.all, 'early');
  await new Promise((r) => setTimeout(r, 100));
  const t = await tunnel('late tunnel');
  assert.equal(await answer, 'late tunnel');
  assert.match(await t.opened, /early$/);
});

test('a tunnel that does not confirm is given up; the caller bytes go out again on the next one', async () => {
  const dead = await tunnel('never', true);
  const answer = call(ports.all, 'retry me');
  assert.equal(await dead.opened, `OPEN ${ports.all}\nretry me`);
  const live = await tunnel('from the live tunnel');
  assert.equal(await answer, 'from the live tunnel');
  assert.equal(await live.opened, `OPEN ${ports.all}\nretry me`);
});

test('without a tunnel the caller is refused after the wait, not left hanging', async () => {
  const answer = await call(ports.all, 'anyone?');
  assert.match(answer, /^(error ECONNRESET|)$/);
});

test('header rule: marked requests to the laptop, others to the original pods, both with Connection: close', async () => {
  const t = await tunnel('HTTP/1.1 200 OK\r\n\r\nlaptop');
  const marked = await call(
    ports.header,
    'GET /a HTTP/1.1\r\nHost: back\r\nx-dev:  alice \r\nConnection: keep-alive\r\n\r\n',
  );
  assert.equal(marked, 'HTTP/1.1 200 OK\r\n\r\nlaptop');
  const sent = await t.opened;
  assert.match(sent, /^OPEN \d+\nGET \/a HTTP\/1\.1\r\nConnection: close\r\nHost: back\r\n/);
  assert.doesNotMatch(sent, /keep-alive/);
  const other = await call(ports.header, 'GET /b HTTP/1.1\r\nHost: back\r\nx-dev: bob\r\n\r\n');
  assert.equal(other, 'upstream got GET /b HTTP/1.1|true');
  const notHttp = await call(ports.header, 'PING\r\n\r\n');
  assert.equal(notHttp, 'upstream got PING|false');
});

test('ports that are not intercepted are relayed to the original pods unchanged', async () => {
  assert.equal(await call(ports.relay, 'raw bytes'), 'upstream got raw bytes|false');
});
