// Real helm 3.17 against the sandbox: install --wait, upgrade, history, uninstall (release
// Secrets go over protobuf; --wait reads Deployment, ReplicaSet, Service and PVC status).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run, type Sandbox, startSandbox } from '../../helpers/sandbox.ts';
import { expectTools } from '../../helpers/tools.ts';

let sb: Sandbox;
let chart: string;
before(async () => {
  expectTools({ kubectl: true, helm: true });
  sb = await startSandbox();
  chart = join(sb.dir, 'chart');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
  writeFileSync(join(chart, 'values.yaml'), 'replicas: 1\nmessage: hello\n');
  writeFileSync(
    join(chart, 'templates/all.yaml'),
    `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  message: {{ .Values.message | quote }}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ .Release.Name }}-data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    app: {{ .Release.Name }}
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
      annotations:
        checksum/config: {{ .Values.message | sha256sum }}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: busybox:1.36
          command: ["sh", "-c", "mkdir -p /www && cp /config/message /www/index.html && exec httpd -f -p 8080 -h /www"]
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet:
              path: /
              port: 8080
            periodSeconds: 1
          volumeMounts:
            - name: config
              mountPath: /config
            - name: data
              mountPath: /data
      volumes:
        - name: config
          configMap:
            name: {{ .Release.Name }}-config
        - name: data
          persistentVolumeClaim:
            claimName: {{ .Release.Name }}-data
`,
  );
});
after(() => sb?.stop());

test('helm install --wait, upgrade --wait, history and uninstall', async () => {
  const install = await sb.helm(['install', 'demo', chart, '--wait', '--timeout', '90s']);
  assert.match(install.stdout, /STATUS: deployed/);
  const releases = JSON.parse((await sb.helm(['list', '-o', 'json'])).stdout);
  assert.deepEqual(
    releases.map((r: { name: string; status: string; revision: string }) => [r.name, r.status, r.revision]),
    [['demo', 'deployed', '1']],
  );
  const secret = (await sb.kubectl(['get', 'secrets', '-l', 'owner=helm', '-o', 'name'])).stdout;
  assert.equal(secret, 'secret/sh.helm.release.v1.demo.v1\n');
  const page = await sb.kubectl(['exec', 'deploy/demo', '--', 'cat', '/www/index.html']);
  assert.equal(page.stdout, 'hello');

  await sb.helm([
    'upgrade',
    'demo',
    chart,
    '--set',
    'replicas=2',
    '--set',
    'message=again',
    '--wait',
    '--timeout',
    '90s',
  ]);
  const deploy = JSON.parse((await sb.kubectl(['get', 'deploy', 'demo', '-o', 'json'])).stdout);
  assert.equal(deploy.status.readyReplicas, 2);
  assert.equal(deploy.metadata.annotations['deployment.kubernetes.io/revision'], '2');
  const history = (await sb.helm(['history', 'demo'])).stdout;
  assert.match(history, /^1\s.*superseded\s+demo-0\.1\.0/m);
  assert.match(history, /^2\s.*deployed\s+demo-0\.1\.0/m);
  const pods = JSON.parse((await sb.kubectl(['get', 'pods', '-l', 'app=demo', '-o', 'json'])).stdout).items;
  const current = pods.find((p: { metadata: { deletionTimestamp?: string } }) => !p.metadata.deletionTimestamp);
  const text = await sb.kubectl(['exec', current.metadata.name, '--', 'cat', '/www/index.html']);
  assert.equal(text.stdout, 'again');

  await sb.helm(['uninstall', 'demo', '--wait', '--timeout', '60s']);
  assert.deepEqual(JSON.parse((await sb.helm(['list', '-o', 'json'])).stdout), []);
  const left = (await sb.kubectl(['get', 'deploy,rs,svc,cm,pvc,secrets', '-l', 'app=demo', '-o', 'name'])).stdout;
  assert.equal(left, '');
  const missing = await sb.kubectl(['get', 'deploy', 'demo'], { allowFailure: true });
  assert.equal(missing.stderr.trim(), 'Error from server (NotFound): deployments.apps "demo" not found');
});

test('helm with the configmap storage driver (protobuf ConfigMaps)', async () => {
  const helm = (args: string[]) => run('helm', args, { ...sb.env, HELM_DRIVER: 'configmap' });
  await helm(['install', 'cm', chart, '--wait', '--timeout', '90s']);
  const stored = (await sb.kubectl(['get', 'configmaps', '-l', 'owner=helm', '-o', 'name'])).stdout;
  assert.equal(stored, 'configmap/sh.helm.release.v1.cm.v1\n');
  await helm(['uninstall', 'cm', '--wait']);
  assert.equal((await sb.kubectl(['get', 'configmaps', '-l', 'owner=helm', '-o', 'name'])).stdout, '');
});
