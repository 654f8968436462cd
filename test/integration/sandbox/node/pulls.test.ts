// The kubelet pulls from a real registry (Debian's docker-registry behind basic auth): pull
// policies, imagePullSecrets, ErrImagePull → ImagePullBackOff with events, as a cluster does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EVENTS } from '../../../../sandbox/node/events.ts';
import { PODS, SECRETS } from '../../../../sandbox/node/types.ts';
import { type Registry, startRegistry } from '../../../helpers/registry.ts';
import { getPod, type Harness, pod, runningPod, startNode, waitFor } from './harness.ts';

const auth = { username: 'dev', password: 's3cret' };
let h: Harness;
let registry: Registry;
let image: string;
let digest: string;
const dockerConfig = mkdtempSync(join(tmpdir(), 'kloop-pull-docker-'));
const docker = (...args: string[]) =>
  execFileSync('docker', args, {
    encoding: 'utf8',
    input: args[0] === 'login' ? auth.password : undefined,
    env: { ...process.env, DOCKER_CONFIG: dockerConfig },
  });

before(async () => {
  h = await startNode({ backoffMs: 300 });
  registry = await startRegistry({ auth });
  image = `${registry.host}/kloop-pull-${randomBytes(3).toString('hex')}/bb:1`;
  docker('login', '-u', auth.username, '--password-stdin', registry.host);
});
after(async () => {
  await h?.close();
  try {
    docker('image', 'rm', '-f', image);
  } catch {
    // never pulled
  }
  await registry?.stop();
  rmSync(dockerConfig, { recursive: true, force: true });
});

function pullSecret(name: string, password: string): void {
  const config = {
    auths: {
      [registry.host]: { auth: Buffer.from(`${auth.username}:${password}`).toString('base64') },
    },
  };
  h.store.create(SECRETS, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify(config)).toString('base64') },
  });
}

const events = (podName: string) =>
  h.store
    .list(EVENTS, 'default')
    .filter((e) => (e.involvedObject as { name: string }).name === podName)
    .map((e) => ({ type: e.type as string, reason: e.reason as string, message: e.message as string }));

const waiting = (name: string) => getPod(h, name)?.status?.containerStatuses?.[0]?.state.waiting;

test('an image only in the registry is pulled with the pod’s dockerconfigjson pull secret', async () => {
  docker('tag', 'busybox:1.36', image);
  const pushed = docker('push', image);
  digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)![1]!;
  docker('image', 'rm', image);

  pullSecret('regcred', auth.password);
  h.store.create(
    PODS,
    pod('pulled', {
      imagePullSecrets: [{ name: 'regcred' }],
      containers: [{ name: 'c', image, command: ['sleep', '3600'] }],
    }),
  );
  const running = await runningPod(h, 'pulled');
  const status = running.status!.containerStatuses![0]!;
  // the kubelet on Docker reports the registry digest of a pulled image
  assert.equal(status.imageID, `docker-pullable://${image.replace(/:1$/, '')}@${digest}`);
  const seen = events('pulled');
  assert.ok(seen.some((e) => e.reason === 'Pulling' && e.message === `Pulling image "${image}"`));
  assert.ok(
    seen.some((e) => e.reason === 'Pulled' && e.message.startsWith(`Successfully pulled image "${image}" in `)),
    JSON.stringify(seen),
  );
  // after the push's PUT, the kubelet's pull asked the registry for the manifest
  const path = image.slice(registry.host.length).replace(/:1$/, '');
  const requests = registry.requests();
  const afterPush = requests.slice(requests.indexOf(`PUT /v2${path}/manifests/1`) + 1);
  assert.ok(
    afterPush.some((r) => /^(HEAD|GET) /.test(r) && r.endsWith(`/v2${path}/manifests/1`)),
    requests.join('\n'),
  );
});

test('wrong credentials: ErrImagePull, then ImagePullBackOff, with the kubelet’s events', async () => {
  pullSecret('badcred', 'wrong-password');
  h.store.create(
    PODS,
    pod('denied', {
      imagePullSecrets: [{ name: 'badcred' }],
      // Always: the image is in the local Docker since the first test, and must be pulled anyway
      containers: [{ name: 'c', image, imagePullPolicy: 'Always', command: ['sleep', '3600'] }],
    }),
  );
  const first = await waitFor('ErrImagePull', () =>
    waiting('denied')?.reason === 'ErrImagePull' ? waiting('denied') : undefined,
  );
  assert.match(first!.message!, /unauthorized|authentication required/);
  const backoff = await waitFor('ImagePullBackOff', () =>
    waiting('denied')?.reason === 'ImagePullBackOff' ? waiting('denied') : undefined,
  );
  assert.match(backoff!.message!, new RegExp(`^Back-off pulling image "${image}"`));
  await waitFor('a retry after the back-off', () => (waiting('denied')?.reason === 'ErrImagePull' ? true : undefined));
  const seen = events('denied');
  const failed = seen.filter((e) => e.reason === 'Failed').map((e) => e.message);
  assert.ok(
    failed.some((m) => m.startsWith(`Failed to pull image "${image}": `) && /unauthorized/.test(m)),
    failed.join('\n'),
  );
  assert.ok(failed.includes('Error: ErrImagePull'));
  assert.ok(failed.includes('Error: ImagePullBackOff'));
  assert.ok(
    seen.some(
      (e) => e.type === 'Normal' && e.reason === 'BackOff' && e.message === `Back-off pulling image "${image}"`,
    ),
  );
  assert.equal(getPod(h, 'denied')?.status?.phase, 'Pending');
});

test('a tag the registry lacks is ErrImagePull (manifest unknown); Never never pulls; a missing pull secret is reported', async () => {
  const absent = image.replace(/:1$/, ':absent');
  h.store.create(
    PODS,
    pod('absent', {
      imagePullSecrets: [{ name: 'regcred' }, { name: 'nosuch' }],
      containers: [{ name: 'c', image: absent }],
    }),
  );
  h.store.create(PODS, pod('never', { containers: [{ name: 'c', image: absent, imagePullPolicy: 'Never' }] }));
  const w = await waitFor('ErrImagePull', () =>
    waiting('absent')?.reason === 'ErrImagePull' ? waiting('absent') : undefined,
  );
  assert.match(w!.message!, /manifest unknown|not found/);
  const never = await waitFor('ErrImageNeverPull', () =>
    waiting('never')?.reason === 'ErrImageNeverPull' ? waiting('never') : undefined,
  );
  assert.equal(never!.message, `Container image "${absent}" is not present with pull policy of Never`);
  assert.ok(
    events('absent').some((e) => e.reason === 'FailedToRetrieveImagePullSecret' && e.message.includes('(nosuch)')),
  );
  assert.ok(!events('never').some((e) => e.reason === 'Pulling'), 'policy Never does not pull');
});
