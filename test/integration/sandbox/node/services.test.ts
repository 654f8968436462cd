import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SERVICES } from '../../../../sandbox/node/types.ts';
import { getPod, type Harness, isReady, pod, readAll, run, startNode, waitFor } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startNode();
});
after(async () => {
  await h?.close();
});

const httpd = {
  containers: [
    {
      name: 'web',
      image: 'busybox:1.36',
      command: [
        'sh',
        '-c',
        'mkdir -p /www && echo "hello from $POD_NAME" > /www/index.html && exec httpd -f -p 8080 -h /www',
      ],
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      ports: [{ name: 'http', containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
    },
  ],
};

test('a busybox httpd pod is reachable by podIP, and through its Service by clusterIP and DNS names', async () => {
  h.store.create({ group: '', version: 'v1', resource: 'pods' }, pod('web-1', httpd, { labels: { app: 'web' } }));
  h.store.create(
    { group: '', version: 'v1', resource: 'pods' },
    pod('client', { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }] }),
  );
  const ip = h.node.allocateServiceIP();
  h.store.create(SERVICES, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { clusterIP: ip, selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] },
  });
  const web = await waitFor('web-1 ready', () => (isReady(getPod(h, 'web-1')) ? getPod(h, 'web-1') : undefined));
  await waitFor('client running', () => getPod(h, 'client')?.status?.phase === 'Running');
  const podIP = web.status!.podIP as string;
  assert.match(podIP, /^10\.\d+\.\d+\.\d+$/);

  const direct = await run(h, 'client', 'c', ['wget', '-qO-', `http://${podIP}:8080/`]);
  assert.equal(direct.stdout, 'hello from web-1\n');

  for (const target of [ip, 'web', 'web.default', 'web.default.svc.cluster.local']) {
    const result = await waitFor(`wget http://${target}/`, async () => {
      const r = await run(h, 'client', 'c', ['timeout', '5', 'wget', '-qO-', `http://${target}/`]);
      return r.exitCode === 0 ? r : undefined;
    });
    assert.equal(result.stdout, 'hello from web-1\n', `via ${target}`);
  }
  // connect(): a TCP connection from the sandbox process to the pod, as port-forward uses it
  const socket = await h.node.connect('default', 'web-1', 8080);
  socket.end('GET / HTTP/1.0\r\n\r\n');
  const response = await readAll(socket);
  assert.match(response, /^HTTP\/1\.[01] 200 OK\r\n[\s\S]*\r\n\r\nhello from web-1\n$/);
  await assert.rejects(h.node.connect('default', 'web-1', 9), { code: 500, message: /failed to connect to .*:9/ });

  const lookup = await run(h, 'client', 'c', ['nslookup', 'web.default.svc.cluster.local']);
  assert.match(lookup.stdout, new RegExp(`Address: ${ip.replaceAll('.', '\\.')}`));
  // A name with a dot is tried as written first: every search-list miss goes to Docker's upstream
  // DNS, which made `web.default.svc` cost ~400 ms per lookup with ndots:5.
  const resolv = await run(h, 'client', 'c', ['cat', '/etc/resolv.conf']);
  assert.match(resolv.stdout, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
  assert.match(resolv.stdout, /^options ndots:1$/m);
});

test('a headless Service and its StatefulSet-style pod names resolve; service env links reach pods', async () => {
  h.store.create(SERVICES, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'db', namespace: 'default' },
    spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  h.store.create(
    { group: '', version: 'v1', resource: 'pods' },
    pod('db-0', { ...httpd, hostname: 'db-0', subdomain: 'db' }, { labels: { app: 'db' } }),
  );
  h.store.create(
    { group: '', version: 'v1', resource: 'pods' },
    pod('client2', { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }] }),
  );
  await waitFor('db-0 ready', () => isReady(getPod(h, 'db-0')));
  await waitFor('client2 running', () => getPod(h, 'client2')?.status?.phase === 'Running');
  for (const url of ['http://db/', 'http://db.default.svc.cluster.local/', 'http://db-0.db:8080/']) {
    const result = await waitFor(`wget ${url}`, async () => {
      const r = await run(h, 'client2', 'c', ['timeout', '5', 'wget', '-qO-', url]);
      return r.exitCode === 0 ? r : undefined;
    });
    assert.equal(result.stdout, 'hello from db-0\n', `via ${url}`);
  }
  const web = h.store.get(SERVICES, 'default', 'web') as unknown as { spec: { clusterIP: string } };
  const env = await run(h, 'client2', 'c', ['sh', '-c', 'echo $WEB_SERVICE_HOST $WEB_SERVICE_PORT $WEB_PORT']);
  assert.equal(env.stdout, `${web.spec.clusterIP} 80 tcp://${web.spec.clusterIP}:80\n`);
});
