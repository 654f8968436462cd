// `kloop connect` on the sandbox: the front runs locally and reaches the in-cluster back by name
// (through the proxy) and by service variables, gets front's environment (ConfigMap and Secret
// references resolved, the secret never printed), exits with the child's code; a Service without
// ready pods is a clear, immediate error; --hosts adds and always removes its block.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bin, kloop, requireDocker, type Shop, startShop } from './helpers.ts';

// connects, sends a request, and prints how the connection ended (or "hung" after 10 s)
const PROBE = `const s = require('net').connect(+process.argv[3], process.argv[2]);
s.on('connect', () => s.write('GET / HTTP/1.0\\r\\n\\r\\n'));
s.on('data', () => {});
const t = setTimeout(() => { console.log('direct: hung'); process.exit(); }, 10000);
s.on('error', (e) => { console.log('direct: ' + e.code); clearTimeout(t); s.destroy(); });
s.on('close', () => { clearTimeout(t); console.log('direct: closed'); });`;

const haveDocker = await requireDocker('the kloop connect tests');

describe('kloop connect', { skip: !haveDocker && 'Docker is not available' }, () => {
  let shop: Shop;
  before(async () => {
    shop = await startShop();
  });
  after(async () => {
    await shop?.stop();
  });

  test('the local front reaches back by name and by service variables, with the environment of front', async () => {
    const script = [
      'echo "name: $(wget -qO- http://back:8080/)"',
      'echo "fqdn: $(wget -qO- http://back.default.svc.cluster.local:8080/)"',
      'echo "url: $(wget -qO- "$BACK_URL")"',
      // no proxy involved: the service variables point at the loopback forward itself
      'echo "vars: $(http_proxy= wget -qO- http://$BACK_SERVICE_HOST:$BACK_SERVICE_PORT/)"',
      'echo "named: $BACK_SERVICE_PORT_HTTP cfg: $CFG_GREETING pod: $POD_NAME"',
      'echo "token-sha: $(printf %s "$API_TOKEN" | sha256sum | cut -c1-16)"',
      'exit 7',
    ].join('; ');
    const r = await kloop(shop, ['connect', 'front', '-n', 'default', '--', 'sh', '-c', script]);
    assert.equal(r.code, 7, `the child's exit code is kloop's\n${r.stderr}`);
    for (const form of ['name', 'fqdn', 'url', 'vars'])
      assert.match(r.stdout, new RegExp(`^${form}: back from back-`, 'm'));
    assert.match(r.stdout, /^named: 8080 cfg: hello pod: front-/m);
    const sha = (await import('node:crypto')).createHash('sha256').update('s3cr3t-t0ken-value').digest('hex');
    assert.match(r.stdout, new RegExp(`token-sha: ${sha.slice(0, 16)}`), 'the Secret reference is resolved');
    assert.doesNotMatch(r.stderr, /s3cr3t-t0ken-value/, 'kloop never prints a secret');
    assert.match(r.stderr, /back → 127\.0\.0\.\d+:8080/);
  });

  test('forwards follow a replaced pod', async () => {
    const script = [
      'echo "before: $(wget -qO- http://back:8080/)"',
      'kubectl delete pod -l app=back --wait=true >/dev/null',
      'kubectl rollout status deployment/back --timeout=60s >/dev/null',
      'echo "after: $(wget -qO- http://back:8080/)"',
    ].join('; ');
    const r = await kloop(shop, ['connect', 'front', '-n', 'default', '--', 'sh', '-c', script], {}, 120_000);
    assert.equal(r.code, 0, r.stderr);
    const before = /^before: back from (\S+)$/m.exec(r.stdout)?.[1];
    const after = /^after: back from (\S+)$/m.exec(r.stdout)?.[1];
    assert.ok(before && after, r.stdout + r.stderr);
    assert.notEqual(after, before, 'the second request reached the new pod');
  });

  test('-o json reports the forwards and names secret variables without their values', async () => {
    const r = await kloop(shop, ['connect', 'front', '-n', 'default', '-o', 'json', '--', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const started = events.find((e) => e.change === 'process started');
    assert.ok(started, r.stderr);
    const state = started.state.connect;
    assert.deepEqual(state.secretVariables, ['API_TOKEN']);
    assert.ok(state.services.some((s: { service: string }) => s.service === 'back'));
    assert.doesNotMatch(r.stderr, /s3cr3t/);
  });

  test('a Service without ready pods: the caller gets a clear error at once, not a hang', async () => {
    await shop.sandbox.kubectl(['apply', '-f', '-'], {
      input:
        'apiVersion: v1\nkind: Service\nmetadata: { name: nobody }\nspec:\n  selector: { app: nobody }\n  ports: [{ port: 9090 }]\n',
    });
    const probe = path.join(shop.dir, 'probe.cjs');
    writeFileSync(probe, PROBE);
    try {
      const script = [
        // through the proxy: a 502 whose body says why
        'wget -S -O- http://nobody:9090/ 2>&1 | grep -E "502|no pod|no ready pod" | head -3',
        // straight to the forward: reset at once
        `node ${probe} "$NOBODY_SERVICE_HOST" 9090`,
      ].join('; ');
      const r = await kloop(shop, ['connect', '-n', 'default', '--', 'sh', '-c', script]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /502/);
      assert.match(r.stderr, /Service nobody has no ready pod \(no pod matches app=nobody\)/);
      assert.match(
        r.stdout,
        /^direct: (ECONNRESET|ECONNREFUSED|closed)$/m,
        'the connection ends at once, it does not hang',
      );
    } finally {
      await shop.sandbox.kubectl(['delete', 'service', 'nobody']);
    }
  });

  test('--hosts adds a marked block while the process runs and removes it; a stale block is removed', async () => {
    const hosts = path.join(shop.dir, 'hosts');
    const original = '127.0.0.1\tlocalhost\n';
    // a block left by a kloop that was killed (pid 999999 does not run)
    writeFileSync(
      hosts,
      `${original}# >>> kloop connect pid=999999 (removed when it ends)\n127.0.0.9\tstale\n# <<< kloop connect pid=999999\n`,
    );
    const r = await kloop(
      shop,
      [
        'connect',
        '-n',
        'default',
        '--hosts',
        '--',
        'sh',
        '-c',
        `cat ${hosts}; http_proxy= wget -qO- http://back:8080/ 2>&1 || true`,
      ],
      {
        KLOOP_HOSTS_FILE: hosts,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^127\.0\.0\.\d+\tback back\.default back\.default\.svc back\.default\.svc\.cluster\.local$/m,
    );
    assert.doesNotMatch(r.stdout, /stale/);
    assert.match(r.stderr, /removed the .* block of an earlier kloop connect \(pid 999999\)/);
    assert.equal(readFileSync(hosts, 'utf8'), original);
  });

  test('Ctrl-C ends the process and kloop; the exit code tells the signal', async () => {
    const child = spawn(
      process.execPath,
      [bin, 'connect', '-n', 'default', '--', 'sh', '-c', 'echo ready; exec sleep 60'],
      {
        cwd: shop.dir,
        env: shop.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    await new Promise<void>((resolve) => child.stdout.on('data', (d) => String(d).includes('ready') && resolve()));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(code, 130, err);
  });

  test('a command that does not exist is one clear error', async () => {
    const r = await kloop(shop, ['connect', '-n', 'default', '--', 'no-such-command-kloop', 'arg']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot run no-such-command-kloop: command not found/);
  });
});
