// Real kubectl against the sandbox with real containers: rollout, wait, scale, logs, exec, cp,
// port-forward, Service names, workload controllers, deletion.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, type Sandbox, startSandbox } from '../../helpers/sandbox.ts';
import { expectTools } from '../../helpers/tools.ts';

let sb: Sandbox;
before(async () => {
  expectTools({ kubectl: true });
  sb = await startSandbox();
});
after(() => sb?.stop());

const json = (value: unknown) => JSON.stringify(value);
const httpd = (text: string) => [
  'sh',
  '-c',
  `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 8080 -h /www`,
];

function deployment(name: string, replicas: number, text: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'web',
              image: 'busybox:1.36',
              command: httpd(text),
              ports: [{ containerPort: 8080, name: 'http' }],
              readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}
const service = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 'http' }] },
});

describe('a Deployment behind a Service', () => {
  test('apply, rollout status, get and describe', async () => {
    await sb.kubectl(['apply', '-f', '-'], {
      input: [json(deployment('web', 2, 'v1')), json(service('web'))].join('\n'),
    });
    const rollout = await sb.kubectl(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    assert.match(rollout.stdout, /deployment "web" successfully rolled out/);
    await sb.kubectl(['wait', '--for=condition=Available', 'deployment/web', '--timeout=30s']);
    const pods = (await sb.kubectl(['get', 'pods', '-l', 'app=web'])).stdout.trim().split('\n');
    assert.match(pods[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    assert.equal(pods.length, 3);
    for (const row of pods.slice(1)) assert.match(row, /^web-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\d+s$/);
    const deploy = (await sb.kubectl(['get', 'deploy', 'web'])).stdout;
    assert.match(deploy, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+2\/2\s+2\s+2\s+\d+s\n$/);
    const describe = (await sb.kubectl(['describe', 'deployment', 'web'])).stdout;
    assert.match(describe, /Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable/);
    assert.match(describe, /NewReplicaSet:\s+web-[a-z0-9]+ \(2\/2 replicas created\)/);
    assert.match(
      describe,
      /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-[a-z0-9]+ from 0 to 2/,
    );
    const endpoints = JSON.parse((await sb.kubectl(['get', 'endpoints', 'web', '-o', 'json'])).stdout);
    assert.equal(endpoints.subsets[0].addresses.length, 2);
    assert.deepEqual(endpoints.subsets[0].ports, [{ port: 8080, protocol: 'TCP' }]);
  });

  test('scale through the scale subresource', async () => {
    const out = await sb.kubectl(['scale', 'deployment/web', '--replicas=3']);
    assert.equal(out.stdout, 'deployment.apps/web scaled\n');
    await sb.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const scale = await sb.request('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale');
    const body = scale.json() as { kind: string; spec: unknown; status: unknown };
    assert.equal(body.kind, 'Scale');
    assert.deepEqual(body.spec, { replicas: 3 });
    assert.deepEqual(body.status, { replicas: 3, selector: 'app=web' });
  });

  test('a rolling update makes a new ReplicaSet and keeps the old one as history', async () => {
    await sb.kubectl(['set', 'env', 'deployment/web', 'COLOUR=blue']);
    await sb.kubectl(['annotate', 'deployment/web', 'kubernetes.io/change-cause=colour blue']);
    await sb.kubectl(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const sets = JSON.parse((await sb.kubectl(['get', 'rs', '-l', 'app=web', '-o', 'json'])).stdout).items as Array<{
      metadata: { annotations: Record<string, string> };
      spec: { replicas: number };
    }>;
    const byRevision = Object.fromEntries(
      sets.map((rs) => [rs.metadata.annotations['deployment.kubernetes.io/revision'], rs.spec.replicas]),
    );
    assert.deepEqual(byRevision, { '1': 0, '2': 3 });
    const history = (await sb.kubectl(['rollout', 'history', 'deployment/web'])).stdout;
    assert.match(history, /^1\s+<none>$/m);
    assert.match(history, /^2\s+colour blue$/m);
    const pods = JSON.parse((await sb.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).stdout).items;
    const live = pods.filter((p: { metadata: { deletionTimestamp?: string } }) => !p.metadata.deletionTimestamp);
    assert.equal(live.length, 3);
    for (const p of live) assert.deepEqual(p.spec.containers[0].env, [{ name: 'COLOUR', value: 'blue' }]);
  });

  test('rollout undo brings the previous ReplicaSet back as the newest revision', async () => {
    await sb.kubectl(['rollout', 'undo', 'deployment/web']);
    await sb.kubectl(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const history = (await sb.kubectl(['rollout', 'history', 'deployment/web'])).stdout;
    // Undo restores the old revision's annotations too: it had no change-cause.
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n2\s+colour blue\n3\s+<none>\n/);
    const env = (await sb.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].env}']))
      .stdout;
    assert.equal(env, '');
    assert.equal((await sb.kubectl(['get', 'rs', '-l', 'app=web', '-o', 'name'])).stdout.trim().split('\n').length, 2);
  });

  test('exec -i passes stdin and the exit code', async () => {
    const ok = await sb.kubectl(['exec', '-i', 'deploy/web', '--', 'sh', '-c', 'cat; echo done >&2'], {
      input: 'from stdin\n',
    });
    assert.equal(ok.stdout, 'from stdin\n');
    assert.equal(ok.stderr, 'done\n');
    const failed = await sb.kubectl(['exec', 'deploy/web', '--', 'sh', '-c', 'exit 7'], { allowFailure: true });
    assert.equal(failed.code, 7);
    assert.equal(failed.stderr, 'command terminated with exit code 7\n');
  });

  test('cp to and from a pod', async () => {
    // Old pods of the rolling update may still be terminating: pick a current one.
    const items = JSON.parse((await sb.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).stdout).items as Array<{
      metadata: { name: string; deletionTimestamp?: string };
    }>;
    const pod = items.find((p) => !p.metadata.deletionTimestamp)!.metadata.name;
    const local = join(sb.dir, 'upload.txt');
    writeFileSync(local, 'payload 123\n'.repeat(1000));
    await sb.kubectl(['cp', local, `${pod}:/tmp/upload.txt`]);
    const inside = await sb.kubectl(['exec', pod, '--', 'wc', '-c', '/tmp/upload.txt']);
    assert.equal(inside.stdout.trim(), '12000 /tmp/upload.txt');
    const back = join(sb.dir, 'download.txt');
    await sb.kubectl(['cp', `${pod}:/tmp/upload.txt`, back]);
    assert.equal(readFileSync(back, 'utf8'), 'payload 123\n'.repeat(1000));
  });

  test('port-forward carries an HTTP request to the pod', async () => {
    const child = spawn('kubectl', ['--kubeconfig', sb.kubeconfig, 'port-forward', 'svc/web', ':80'], { env: sb.env });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.on('exit', (code) => reject(new Error(`port-forward exited ${code}: ${out}`)));
      });
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), 'v1\n');
      }
      // Far beyond SPDY's 64 KiB initial window: kubectl never sends WINDOW_UPDATE, so nothing may wait for one.
      const pods = JSON.parse((await sb.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).stdout)
        .items as Array<{
        metadata: { name: string; deletionTimestamp?: string };
      }>;
      for (const pod of pods.filter((p) => !p.metadata.deletionTimestamp))
        await sb.kubectl(['exec', pod.metadata.name, '--', 'sh', '-c', 'seq 1 400000 > /www/big.txt']);
      const big = await fetch(`http://127.0.0.1:${port}/big.txt`);
      assert.equal(big.status, 200);
      const expected = `${Array.from({ length: 400000 }, (_, i) => i + 1).join('\n')}\n`;
      assert.equal(await big.text(), expected);
    } finally {
      child.kill();
    }
  });

  test('another pod reaches the Service by name', async () => {
    await sb.kubectl(['run', 'client', '--image=busybox:1.36', '--restart=Never', '--', 'sleep', '3600']);
    await sb.kubectl(['wait', '--for=condition=Ready', 'pod/client', '--timeout=60s']);
    for (const host of ['web', 'web.default', 'web.default.svc.cluster.local']) {
      const res = await eventually(async () => {
        const r = await sb.kubectl(['exec', 'client', '--', 'timeout', '5', 'wget', '-qO-', `http://${host}/`], {
          allowFailure: true,
        });
        return r.code === 0 ? r : undefined;
      }, 30_000);
      assert.equal(res.stdout, 'v1\n');
    }
  });

  test('delete --wait removes the Deployment, its ReplicaSets and pods', async () => {
    await sb.kubectl(['delete', 'deployment', 'web', '--wait=true', '--timeout=60s']);
    await sb.kubectl(['wait', '--for=delete', 'pods', '-l', 'app=web', '--timeout=60s']);
    const left = (await sb.kubectl(['get', 'rs,pods', '-l', 'app=web', '-o', 'name'])).stdout;
    assert.equal(left, '');
    await sb.kubectl(['delete', 'pod', 'client', '--wait=true', '--grace-period=1']);
    const gone = await sb.kubectl(['get', 'pod', 'client'], { allowFailure: true });
    assert.equal(gone.stderr.trim(), 'Error from server (NotFound): pods "client" not found');
  });
});

describe('a rollout that cannot progress', () => {
  test('rollout status fails once progressDeadlineSeconds pass without progress', async () => {
    const stuck = deployment('stuck', 1, 'x');
    const spec = stuck.spec as Record<string, unknown> & {
      template: { spec: { containers: Array<{ image: string }> } };
    };
    spec.progressDeadlineSeconds = 2;
    spec.template.spec.containers[0]!.image = 'busybox:no-such-tag';
    await sb.kubectl(['apply', '-f', '-'], { input: json(stuck) });
    const status = await sb.kubectl(['rollout', 'status', 'deployment/stuck', '--timeout=60s'], { allowFailure: true });
    assert.equal(status.code, 1);
    assert.match(status.stderr, /error: deployment "stuck" exceeded its progress deadline/);
    const condition = JSON.parse(
      (await sb.kubectl(['get', 'deploy', 'stuck', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")]}']))
        .stdout,
    );
    assert.equal(condition.reason, 'ProgressDeadlineExceeded');
    await sb.kubectl(['delete', 'deployment', 'stuck', '--wait=false']);
  });
});

describe('logs and other workloads', () => {
  test('logs -f follows a container until it exits', async () => {
    await sb.kubectl([
      'run',
      'talker',
      '--image=busybox:1.36',
      '--restart=Never',
      '--',
      'sh',
      '-c',
      'for i in 1 2 3; do echo line $i; sleep 0.5; done',
    ]);
    await eventually(async () => {
      const phase = (await sb.kubectl(['get', 'pod', 'talker', '-o', 'jsonpath={.status.phase}'])).stdout;
      return phase === 'Running' || phase === 'Succeeded';
    });
    const logs = await sb.kubectl(['logs', '-f', 'talker'], { timeoutMs: 30_000 });
    assert.equal(logs.stdout, 'line 1\nline 2\nline 3\n');
    const tail = await sb.kubectl(['logs', 'talker', '--tail=1']);
    assert.equal(tail.stdout, 'line 3\n');
  });

  test('run -i --rm attaches stdin to the container, then deletes the pod', async () => {
    const out = await sb.kubectl(
      [
        'run',
        'attached',
        '--image=busybox:1.36',
        '--restart=Never',
        '-i',
        '--rm',
        '--quiet',
        '--',
        'sh',
        '-c',
        'read line; echo got $line',
      ],
      { input: 'hello\n' },
    );
    assert.equal(out.stdout, 'got hello\n');
    await sb.kubectl(['wait', '--for=delete', 'pod/attached', '--timeout=30s'], { allowFailure: true });
    const gone = await sb.kubectl(['get', 'pod', 'attached'], { allowFailure: true });
    assert.equal(gone.code, 1);
  });

  test('a Job runs to completion; a StatefulSet rolls out with ordered names', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once' },
      spec: {
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'c', image: 'busybox:1.36', command: ['sh', '-c', 'echo finished'] }],
          },
        },
      },
    };
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        replicas: 2,
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }],
          },
        },
      },
    };
    await sb.kubectl(['apply', '-f', '-'], { input: [json(job), json(sts)].join('\n') });
    await sb.kubectl(['wait', '--for=condition=complete', 'job/once', '--timeout=60s']);
    const jobTable = (await sb.kubectl(['get', 'job', 'once'])).stdout;
    assert.match(jobTable, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\nonce\s+Complete\s+1\/1\s+/);
    assert.equal((await sb.kubectl(['logs', 'job/once'])).stdout, 'finished\n');
    await sb.kubectl(['rollout', 'status', 'statefulset/db', '--timeout=90s']);
    const names = (await sb.kubectl(['get', 'pods', '-l', 'app=db', '-o', 'jsonpath={.items[*].metadata.name}']))
      .stdout;
    assert.equal(names, 'db-0 db-1');
    await sb.kubectl(['set', 'env', 'statefulset/db', 'X=1']);
    await sb.kubectl(['rollout', 'status', 'statefulset/db', '--timeout=90s']);
    const history = (await sb.kubectl(['rollout', 'history', 'statefulset/db'])).stdout;
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
    const revisions = (await sb.kubectl(['get', 'controllerrevisions'])).stdout;
    assert.match(revisions, /^NAME\s+CONTROLLER\s+REVISION\s+AGE\ndb-[a-z0-9]+\s+statefulset\.apps\/db\s+[12]\s+/);
    await sb.kubectl(['delete', 'statefulset', 'db', '--cascade=foreground', '--wait=true', '--timeout=60s']);
    const left = (await sb.kubectl(['get', 'pods', '-l', 'app=db', '-o', 'name'])).stdout;
    assert.equal(left, '');
  });
});
