import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conflictError } from '../../../src/kube/apply.ts';
import { diagnosePod, formatLogTail, probeEventMessages } from '../../../src/kube/diagnose.ts';
import type { KubeObject } from '../../../src/kube/types.ts';

const pod = (status: object, spec: object = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-abc', namespace: 'shop' },
  spec: { containers: [{ name: 'web' }], ...spec },
  status,
});

describe('pod diagnosis', () => {
  it('an image that is not there is fatal and names the image', () => {
    const [p] = diagnosePod(
      pod({
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'web',
            image: 'shop/web:nope',
            state: {
              waiting: {
                reason: 'ErrImageNeverPull',
                message: 'Container image "shop/web:nope" is not present with pull policy of Never',
              },
            },
          },
        ],
      }),
    );
    assert.equal(p?.fatal, true);
    assert.match(p!.message, /container web: image "shop\/web:nope" not available \(ErrImageNeverPull\)/);
    const [q] = diagnosePod(
      pod({ containerStatuses: [{ name: 'web', image: 'x', state: { waiting: { reason: 'ImagePullBackOff' } } }] }),
    );
    assert.equal(q?.fatal, false);
  });

  it('a pull the registry refuses or cannot serve fails at once with a hint; a transient one waits', () => {
    const waiting = (reason: string, message: string) =>
      diagnosePod(
        pod({
          containerStatuses: [
            { name: 'web', image: '127.0.0.1:5000/shop/web:1', state: { waiting: { reason, message } } },
          ],
        }),
      )[0]!;
    const denied = waiting(
      'ErrImagePull',
      'rpc error: code = Unknown desc = Error response from daemon: unauthorized: authentication required',
    );
    assert.equal(denied.fatal, true);
    assert.match(
      denied.message,
      /\(ErrImagePull\): .*unauthorized.* — the registry 127\.0\.0\.1:5000 refused the pull: give the pod an imagePullSecret/,
    );
    const missing = waiting(
      'ImagePullBackOff',
      'Back-off pulling image "127.0.0.1:5000/shop/web:1": ErrImagePull: manifest for 127.0.0.1:5000/shop/web:1 not found: manifest unknown',
    );
    assert.equal(missing.fatal, true);
    assert.match(missing.message, /127\.0\.0\.1:5000 has no such image: push it/);
    const flaky = waiting('ErrImagePull', 'Get "https://127.0.0.1:5000/v2/": net/http: TLS handshake timeout');
    assert.equal(flaky.fatal, false);
  });

  it('a crash loop asks for the previous instance’s log lines', () => {
    const [p] = diagnosePod(
      pod({
        phase: 'Running',
        containerStatuses: [
          {
            name: 'web',
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 2, reason: 'Error' } },
          },
        ],
      }),
    );
    assert.match(p!.message, /keeps crashing \(CrashLoopBackOff, restarted 3 times, last exit code 2 Error\)/);
    assert.deepEqual(p!.logs, { container: 'web', previous: true });
  });

  it('an unschedulable pod gives the scheduler’s reason', () => {
    const [p] = diagnosePod(
      pod({
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/1 nodes are available: 1 Insufficient memory.',
          },
        ],
      }),
    );
    assert.match(p!.message, /cannot be scheduled \(Unschedulable\): 0\/1 nodes are available: 1 Insufficient memory/);
  });

  it('a running container that is not ready with a readiness probe is a failing probe', () => {
    const [p] = diagnosePod(
      pod(
        { phase: 'Running', containerStatuses: [{ name: 'web', ready: false, state: { running: {} } }] },
        { containers: [{ name: 'web', readinessProbe: { httpGet: { port: 80 } } }] },
      ),
    );
    assert.equal(p?.reason, 'Unhealthy');
    const events = [
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'e' },
        reason: 'Unhealthy',
        message: 'Readiness probe failed: connection refused',
        involvedObject: { name: 'web-abc' },
      },
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'f' },
        reason: 'Pulled',
        message: 'x',
        involvedObject: { name: 'web-abc' },
      },
    ];
    assert.deepEqual(probeEventMessages(events, 'web-abc'), ['Readiness probe failed: connection refused']);
  });

  it('a failed Job pod (restartPolicy Never) is fatal with its logs', () => {
    const [p] = diagnosePod(
      pod(
        {
          phase: 'Failed',
          containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 1, reason: 'Error' } } }],
        },
        { restartPolicy: 'Never' },
      ),
    );
    assert.equal(p?.fatal, true);
    assert.match(p!.message, /exited with code 1/);
    assert.deepEqual(p!.logs, { container: 'web', previous: false });
  });

  it('a healthy pod has no problems; log tails keep the last lines', () => {
    assert.deepEqual(
      diagnosePod(pod({ phase: 'Running', containerStatuses: [{ name: 'web', ready: true, state: { running: {} } }] })),
      [],
    );
    assert.deepEqual(formatLogTail('a\nb\nc\n', 2), ['    │ b', '    │ c']);
  });
});

describe('apply conflicts', () => {
  it('lists the fields and their owners from the 409 causes', () => {
    const obj: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } };
    const e = conflictError(obj, {
      reason: 'Conflict',
      message: 'Apply failed with 2 conflicts: conflict with "helm": .spec.replicas',
      details: {
        causes: [
          { reason: 'FieldManagerConflict', message: 'conflict with "helm"', field: '.spec.replicas' },
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl" using apps/v1',
            field: '.spec.template.spec.containers[name="web"].image',
          },
        ],
      },
    });
    assert.equal(e.message, 'deployment/web in shop: 2 fields conflict with "helm", "kubectl"');
    assert.deepEqual(e.details, [
      '.spec.replicas is owned by "helm"',
      '.spec.template.spec.containers[name="web"].image is owned by "kubectl"',
    ]);
    assert.match(e.hint ?? '', /--force-conflicts/);
  });
});
