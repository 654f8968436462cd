// The everyday commands of real kubectl 1.32 and helm 3.17 against one sandbox, in order, each
// checked against the output a cluster prints. One sandbox, sequential commands: each row
// depends on the ones before it (the Deployment created early is restarted, patched, debugged …).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../helpers/sandbox.ts';

let sb: Sandbox;
let dir: string;
before(async () => {
  sb = await startSandbox();
  dir = sb.dir;
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'tls.key'),
      '-out',
      join(dir, 'tls.crt'),
      '-days',
      '1',
      '-subj',
      '/CN=web.example',
    ],
    { stdio: 'ignore' },
  );
  const chart = join(dir, 'chart');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: site\nversion: 0.1.0\n');
  writeFileSync(join(chart, 'values.yaml'), 'greeting: hello\n');
  writeFileSync(
    join(chart, 'templates/cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  greeting: {{ .Values.greeting | quote }}\n',
  );
});
after(() => sb?.stop());

interface Row {
  /** kubectl or helm arguments; `-n everyday` is added to kubectl's */
  run: ['kubectl' | 'helm', ...string[]];
  /** stdout must match (a string must equal the trimmed stdout) */
  out: string | RegExp;
  code?: number;
  input?: string;
  /** stderr must match */
  err?: RegExp;
}

const ns = 'everyday';
const listYaml = (...items: Array<Record<string, unknown>>) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'List', items: items.map((i) => ({ apiVersion: 'v1', ...i })) });
const deploymentYaml = (minReadySeconds: number) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'applied', namespace: ns },
    spec: {
      replicas: 0,
      minReadySeconds,
      selector: { matchLabels: { app: 'applied' } },
      template: {
        metadata: { labels: { app: 'applied' } },
        spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
      },
    },
  });

const rows = (): Row[] => [
  { run: ['kubectl', 'create', 'namespace', ns], out: `namespace/${ns} created` },
  // every `kubectl create` subcommand (the typed ones send protobuf)
  {
    run: ['kubectl', 'create', 'clusterrole', 'reader', '--verb=get,list', '--resource=pods'],
    out: 'clusterrole.rbac.authorization.k8s.io/reader created',
  },
  {
    run: ['kubectl', 'create', 'clusterrolebinding', 'readers', '--clusterrole=reader', '--group=devs'],
    out: 'clusterrolebinding.rbac.authorization.k8s.io/readers created',
  },
  {
    run: ['kubectl', 'create', 'role', 'pod-reader', '--verb=get', '--resource=pods', '--resource-name=web'],
    out: 'role.rbac.authorization.k8s.io/pod-reader created',
  },
  {
    run: ['kubectl', 'create', 'rolebinding', 'pod-readers', '--role=pod-reader', `--serviceaccount=${ns}:default`],
    out: 'rolebinding.rbac.authorization.k8s.io/pod-readers created',
  },
  // RBAC for everyone but the administrator (here by impersonation, --as)
  { run: ['kubectl', 'auth', 'can-i', 'get', 'pods/web', `--as=system:serviceaccount:${ns}:default`], out: 'yes' },
  {
    run: ['kubectl', 'auth', 'can-i', 'get', 'pods/db', `--as=system:serviceaccount:${ns}:default`],
    code: 1,
    out: 'no',
  },
  {
    run: ['kubectl', 'get', 'configmaps', `--as=system:serviceaccount:${ns}:default`],
    code: 1,
    out: '',
    err: /Error from server \(Forbidden\): configmaps is forbidden: User "system:serviceaccount:everyday:default" cannot list resource "configmaps" in API group "" in the namespace "everyday"/,
  },
  { run: ['kubectl', 'create', 'quota', 'q', '--hard=cpu=4,memory=8Gi,pods=20'], out: 'resourcequota/q created' },
  {
    run: ['kubectl', 'create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=50%'],
    out: 'poddisruptionbudget.policy/pdb created',
  },
  {
    run: ['kubectl', 'create', 'priorityclass', 'high', '--value=1000', '--description=important'],
    out: 'priorityclass.scheduling.k8s.io/high created',
  },
  {
    run: ['kubectl', 'create', 'ingress', 'site', '--class=nginx', '--rule=web.example/*=web:80,tls=web-tls'],
    out: 'ingress.networking.k8s.io/site created',
  },
  { run: ['kubectl', 'create', 'configmap', 'settings', '--from-literal=mode=dev'], out: 'configmap/settings created' },
  // pagination: kubectl follows `continue` tokens; the first page names what remains
  {
    run: ['kubectl', 'get', '--raw', `/api/v1/namespaces/${ns}/configmaps?limit=1`],
    out: /"metadata":\{"resourceVersion":"\d+","continue":"[A-Za-z0-9+/=]+","remainingItemCount":1\}/,
  },
  {
    run: ['kubectl', 'get', 'configmaps', '--chunk-size=1', '-o', 'name'],
    out: 'configmap/kube-root-ca.crt\nconfigmap/settings',
  },
  {
    run: ['kubectl', 'create', 'secret', 'generic', 'creds', '--from-literal=user=admin'],
    out: 'secret/creds created',
  },
  {
    run: ['kubectl', 'create', 'secret', 'tls', 'web-tls', '--cert=TLS.crt', '--key=TLS.key'],
    out: 'secret/web-tls created',
  },
  {
    run: [
      'kubectl',
      'create',
      'secret',
      'docker-registry',
      'pull',
      '--docker-server=registry.example',
      '--docker-username=u',
      '--docker-password=p',
    ],
    out: 'secret/pull created',
  },
  { run: ['kubectl', 'create', 'service', 'clusterip', 'web', '--tcp=80:8080'], out: 'service/web created' },
  { run: ['kubectl', 'create', 'service', 'nodeport', 'web-np', '--tcp=80:8080'], out: 'service/web-np created' },
  { run: ['kubectl', 'create', 'service', 'loadbalancer', 'web-lb', '--tcp=80:8080'], out: 'service/web-lb created' },
  {
    run: ['kubectl', 'create', 'service', 'externalname', 'upstream', '--external-name=example.com'],
    out: 'service/upstream created',
  },
  { run: ['kubectl', 'create', 'serviceaccount', 'builder'], out: 'serviceaccount/builder created' },
  // a pod without imagePullSecrets gets its ServiceAccount's (the ServiceAccount admission plugin)
  {
    run: ['kubectl', 'patch', 'serviceaccount', 'builder', '-p', '{"imagePullSecrets":[{"name":"pull"}]}'],
    out: 'serviceaccount/builder patched',
  },
  {
    run: [
      'kubectl',
      'run',
      'built',
      '--image=busybox:1.36',
      '--image-pull-policy=Never',
      '--overrides={"spec":{"serviceAccountName":"builder"}}',
      '--',
      'sleep',
      '3600',
    ],
    out: 'pod/built created',
  },
  { run: ['kubectl', 'get', 'pod', 'built', '-o', 'jsonpath={.spec.imagePullSecrets[*].name}'], out: 'pull' },
  {
    run: ['kubectl', 'create', 'cronjob', 'nightly', '--image=busybox:1.36', '--schedule=0 3 * * *', '--', 'true'],
    out: 'cronjob.batch/nightly created',
  },
  { run: ['kubectl', 'create', 'job', 'once', '--from=cronjob/nightly'], out: 'job.batch/once created' },
  {
    run: ['kubectl', 'create', 'deployment', 'web', '--image=busybox:1.36', '--', 'sleep', '3600'],
    out: 'deployment.apps/web created',
  },
  // a token of the namespace's default ServiceAccount: a JWT that authenticates
  { run: ['kubectl', 'create', 'token', 'default', '--duration=10m'], out: /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/ },
  {
    run: ['kubectl', 'autoscale', 'deployment', 'web', '--max=3', '--cpu-percent=70'],
    out: 'horizontalpodautoscaler.autoscaling/web autoscaled',
  },
  {
    run: ['kubectl', 'get', 'hpa', 'web'],
    out: /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\nweb\s+Deployment\/web\s+cpu: <unknown>\/70%\s+1\s+3\s+0\s+\S+$/,
  },
  {
    run: [
      'kubectl',
      'get',
      'horizontalpodautoscalers.v1.autoscaling',
      'web',
      '-o',
      'jsonpath={.spec.targetCPUUtilizationPercentage}',
    ],
    out: '70',
  },
  // explain: a kind, a nested field, a leaf
  {
    run: ['kubectl', 'explain', 'deployment'],
    out: /^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n\nDESCRIPTION:\n\s+Deployment enables declarative updates for Pods and ReplicaSets\.[\s\S]*FIELDS:\n\s+apiVersion\t<string>/,
  },
  {
    run: ['kubectl', 'explain', 'pods.spec.containers'],
    out: /^KIND:\s+Pod\nVERSION:\s+v1\n\nFIELD: containers <\[\]Container>[\s\S]*\n\s+image\t<string>[\s\S]*\n\s+name\t<string> -required-/,
  },
  {
    run: ['kubectl', 'explain', 'deployment.spec.replicas'],
    out: /FIELD: replicas <integer>\n\n\nDESCRIPTION:\n\s+Number of desired pods\./,
  },
  {
    run: ['kubectl', 'wait', '--for=jsonpath={.status.readyReplicas}=1', 'deployment/web', '--timeout=90s'],
    out: 'deployment.apps/web condition met',
  },
  { run: ['kubectl', 'get', 'pods', '-l', 'app=web', '--chunk-size=1', '-o', 'name'], out: /^pod\/web-\w+-\w+$/ },
  {
    run: ['kubectl', 'events', '--for=deployment/web'],
    out: /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n.*Normal\s+ScalingReplicaSet\s+Deployment\/web\s+Scaled up replica set web-\w+ (to|from 0 to) 1/,
  },
  // kubectl debug adds an ephemeral container to a pod (deployments are not supported by kubectl)
  { run: ['kubectl', 'run', 'debugme', '--image=busybox:1.36', '--', 'sleep', '3600'], out: 'pod/debugme created' },
  {
    run: ['kubectl', 'wait', '--for=condition=Ready', 'pod/debugme', '--timeout=60s'],
    out: 'pod/debugme condition met',
  },
  {
    run: ['kubectl', 'debug', 'debugme', '--image=busybox:1.36', '--profile=general', '-c', 'dbg', '--', 'true'],
    out: '',
  },
  {
    run: [
      'kubectl',
      'wait',
      '--for=jsonpath={.status.ephemeralContainerStatuses[0].state.terminated.reason}=Completed',
      'pod/debugme',
      '--timeout=60s',
    ],
    out: 'pod/debugme condition met',
  },
  { run: ['kubectl', 'rollout', 'restart', 'deployment/web'], out: 'deployment.apps/web restarted' },
  {
    run: ['kubectl', 'rollout', 'status', 'deployment/web', '--timeout=90s'],
    out: /deployment "web" successfully rolled out$/,
  },
  {
    run: ['kubectl', 'rollout', 'history', 'deployment/web'],
    out: /^deployment\.apps\/web\s*\nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>$/,
  },
  {
    run: ['kubectl', 'set', 'image', 'deployment/web', 'busybox=busybox:latest'],
    out: 'deployment.apps/web image updated',
  },
  { run: ['kubectl', 'rollout', 'undo', 'deployment/web'], out: 'deployment.apps/web rolled back' },
  {
    run: ['kubectl', 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'],
    out: 'busybox:1.36',
  },
  { run: ['kubectl', 'label', 'deployment', 'web', 'tier=front'], out: 'deployment.apps/web labeled' },
  { run: ['kubectl', 'annotate', 'deployment', 'web', 'owner=team-a'], out: 'deployment.apps/web annotated' },
  {
    run: ['kubectl', 'patch', 'deployment', 'web', '--type=merge', '-p', '{"spec":{"revisionHistoryLimit":5}}'],
    out: 'deployment.apps/web patched',
  },
  {
    run: [
      'kubectl',
      'patch',
      'deployment',
      'web',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/revisionHistoryLimit","value":4}]',
    ],
    out: 'deployment.apps/web patched',
  },
  {
    run: [
      'kubectl',
      'patch',
      'deployment',
      'web',
      '--type=strategic',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"busybox","env":[{"name":"MODE","value":"dev"}]}]}}}}',
    ],
    out: 'deployment.apps/web patched',
  },
  {
    run: [
      'kubectl',
      'get',
      'deployment',
      'web',
      '-o',
      'jsonpath={.metadata.labels.tier} {.metadata.annotations.owner} {.spec.revisionHistoryLimit} {.spec.template.spec.containers[0].env[0].value}',
    ],
    out: 'front team-a 4 dev',
  },
  // apply, then diff and a server-side dry run of a change
  { run: ['kubectl', 'apply', '-f', '-'], input: deploymentYaml(1), out: 'deployment.apps/applied created' },
  {
    run: ['kubectl', 'diff', '-f', '-'],
    input: deploymentYaml(2),
    code: 1,
    out: /^diff -u -N .*\n[\s\S]*\n- {2}minReadySeconds: 1\n\+ {2}minReadySeconds: 2\n/,
  },
  {
    run: ['kubectl', 'apply', '--dry-run=server', '-f', '-'],
    input: deploymentYaml(2),
    out: 'deployment.apps/applied configured (server dry run)',
  },
  { run: ['kubectl', 'get', 'deployment', 'applied', '-o', 'jsonpath={.spec.minReadySeconds}'], out: '1' },
  // a kind: List is validated client-side against /openapi/v2 (protobuf), item by item
  {
    run: ['kubectl', 'apply', '-f', '-'],
    input: listYaml(
      { kind: 'ConfigMap', metadata: { name: 'listed-a' }, data: { a: '1' } },
      { kind: 'ConfigMap', metadata: { name: 'listed-b' } },
    ),
    out: 'configmap/listed-a created\nconfigmap/listed-b created',
  },
  {
    run: ['kubectl', 'apply', '-f', '-'],
    input: listYaml(
      { kind: 'ConfigMap', metadata: { name: 'listed-c' }, bogus: true },
      { kind: 'Service', metadata: { name: 'listed-d' }, spec: { ports: [{ port: 'eighty' }] } },
    ),
    code: 1,
    out: '',
    err: /ValidationError\(ConfigMap\): unknown field "bogus" in io\.k8s\.api\.core\.v1\.ConfigMap, ValidationError\(Service\.spec\.ports\[0\]\.port\): invalid type for io\.k8s\.api\.core\.v1\.ServicePort\.port: got "string", expected "integer"/,
  },
  // helm's release lifecycle
  {
    run: ['helm', 'install', 'site', 'CHART', '-n', ns],
    out: /^NAME: site\nLAST DEPLOYED: .+\nNAMESPACE: everyday\nSTATUS: deployed\nREVISION: 1\nTEST SUITE: None$/,
  },
  {
    run: ['helm', 'upgrade', 'site', 'CHART', '-n', ns, '--set', 'greeting=hi'],
    out: /^Release "site" has been upgraded\. Happy Helming!\nNAME: site\n[\s\S]*REVISION: 2\n/,
  },
  {
    run: ['helm', 'get', 'manifest', 'site', '-n', ns],
    out: /^---\n# Source: site\/templates\/cm\.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n {2}name: site-config\ndata:\n {2}greeting: "hi"$/,
  },
  { run: ['helm', 'rollback', 'site', '1', '-n', ns], out: 'Rollback was a success! Happy Helming!' },
  { run: ['kubectl', 'get', 'configmap', 'site-config', '-o', 'jsonpath={.data.greeting}'], out: 'hello' },
  {
    run: ['helm', 'status', 'site', '-n', ns],
    out: /^NAME: site\nLAST DEPLOYED: .+\nNAMESPACE: everyday\nSTATUS: deployed\nREVISION: 3\nTEST SUITE: None$/,
  },
  {
    run: ['helm', 'history', 'site', '-n', ns],
    out: /^REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\s+DESCRIPTION\s*\n1\s+.+\s+superseded\s+site-0\.1\.0\s+Install complete\n2\s+.+\s+superseded\s+site-0\.1\.0\s+Upgrade complete\n3\s+.+\s+deployed\s+site-0\.1\.0\s+Rollback to 1$/,
  },
  { run: ['helm', 'uninstall', 'site', '-n', ns], out: 'release "site" uninstalled' },
];

describe('kubectl and helm, every everyday command', () => {
  test('get --watch streams changes until the request times out', async () => {
    // a watch with a request timeout ends by itself; the label added meanwhile shows as a second row
    await sb.kubectl(['create', 'configmap', 'watched', '-n', 'default', '--from-literal=a=1']);
    const watch = sb.kubectl(['get', 'configmap', 'watched', '-n', 'default', '--watch', '--request-timeout=4s']);
    await new Promise((r) => setTimeout(r, 1500));
    await sb.kubectl(['label', 'configmap', 'watched', '-n', 'default', 'seen=yes']);
    const { stdout } = await watch;
    assert.match(stdout.trim(), /^NAME\s+DATA\s+AGE\nwatched\s+1\s+\S+\nwatched\s+1\s+\S+$/);
  });

  test('a ServiceAccount token is that account, with what RBAC grants it', async () => {
    const sa = ['-n', 'default'];
    await sb.kubectl(['create', 'serviceaccount', 'ci', ...sa]);
    await sb.kubectl(['create', 'role', 'cm-reader', '--verb=get,list', '--resource=configmaps', ...sa]);
    await sb.kubectl(['create', 'rolebinding', 'ci-reads', '--role=cm-reader', '--serviceaccount=default:ci', ...sa]);
    const token = (await sb.kubectl(['create', 'token', 'ci', ...sa])).stdout.trim();
    const server = (await sb.kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}']))
      .stdout;
    const as = (...args: string[]) =>
      sb.kubectl(
        ['--kubeconfig=/dev/null', `--server=${server}`, '--insecure-skip-tls-verify', `--token=${token}`, ...args],
        {
          allowFailure: true,
        },
      );
    const whoami = await as('auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}');
    assert.equal(whoami.stdout, 'system:serviceaccount:default:ci', whoami.stderr);
    assert.equal((await as('get', 'configmaps', '-n', 'default', '-o', 'name')).code, 0);
    const denied = await as('delete', 'configmap', 'kube-root-ca.crt', '-n', 'default');
    assert.equal(denied.code, 1);
    assert.match(
      denied.stderr,
      /configmaps "kube-root-ca\.crt" is forbidden: User "system:serviceaccount:default:ci" cannot delete resource "configmaps" in API group "" in the namespace "default"/,
    );
    const cluster = await as('get', 'deployments.apps', '-A');
    assert.match(
      cluster.stderr,
      /deployments\.apps is forbidden: User "system:serviceaccount:default:ci" cannot list resource "deployments" in API group "apps" at the cluster scope/,
    );
  });

  for (const [i, row] of rows().entries()) {
    const [tool, ...raw] = row.run;
    test(`${String(i + 1).padStart(2, '0')} ${tool} ${raw.join(' ')}`, async () => {
      const args = raw.map((a) =>
        a
          .replace('TLS.crt', join(dir, 'tls.crt'))
          .replace('TLS.key', join(dir, 'tls.key'))
          .replace(/^CHART$/, join(dir, 'chart')),
      );
      const full =
        tool === 'kubectl' && args[0] !== 'create'
          ? ['-n', ns, ...args]
          : tool === 'kubectl' &&
              args[1] !== 'namespace' &&
              !['clusterrole', 'clusterrolebinding', 'priorityclass'].includes(args[1]!)
            ? ['-n', ns, ...args]
            : args;
      const result = await (tool === 'kubectl'
        ? sb.kubectl(full, { input: row.input, allowFailure: true })
        : sb.helm(full, { allowFailure: true }));
      assert.equal(result.code, row.code ?? 0, `${tool} ${full.join(' ')} exited ${result.code}: ${result.stderr}`);
      const out = result.stdout.trim();
      if (typeof row.out === 'string') assert.equal(out, row.out);
      else assert.match(out, row.out);
      if (row.err) assert.match(result.stderr, row.err);
    });
  }
});
