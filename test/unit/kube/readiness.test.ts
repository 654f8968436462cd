import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasReadinessRule, readiness } from '../../../src/kube/readiness.ts';
import type { KubeObject } from '../../../src/kube/types.ts';

const deploy = (spec: object, status: object, generation = 2): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', generation },
  spec: { replicas: 2, ...spec },
  status,
});

describe('readiness (kubectl rollout status rules)', () => {
  it('Deployment: waits for the generation, new replicas, old replicas and availability', () => {
    assert.match(readiness(deploy({}, { observedGeneration: 1 })).message, /rollout to start/);
    assert.match(
      readiness(deploy({}, { observedGeneration: 2, updatedReplicas: 1, replicas: 2 })).message,
      /1 of 2 new replicas/,
    );
    assert.match(
      readiness(deploy({}, { observedGeneration: 2, updatedReplicas: 2, replicas: 3 })).message,
      /1 old replicas pending/,
    );
    assert.match(
      readiness(deploy({}, { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 1 })).message,
      /1 of 2 updated replicas available/,
    );
    const ok = readiness(deploy({}, { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }));
    assert.equal(ok.ready, true);
    const dead = readiness(
      deploy(
        {},
        {
          observedGeneration: 2,
          conditions: [
            { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'took too long' },
          ],
        },
      ),
    );
    assert.equal(dead.failed, true);
  });

  it('StatefulSet: ready replicas and the update revision', () => {
    const sts = (status: object): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', generation: 1 },
      spec: { replicas: 1 },
      status: { observedGeneration: 1, ...status },
    });
    assert.equal(readiness(sts({ readyReplicas: 0 })).ready, false);
    assert.equal(readiness(sts({ readyReplicas: 1, currentRevision: 'a', updateRevision: 'b' })).ready, false);
    assert.equal(readiness(sts({ readyReplicas: 1, currentRevision: 'b', updateRevision: 'b' })).ready, true);
  });

  it('DaemonSet: updated and available pods', () => {
    const ds = (status: object): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', generation: 1 },
      spec: {},
      status: { observedGeneration: 1, desiredNumberScheduled: 1, ...status },
    });
    assert.equal(readiness(ds({ updatedNumberScheduled: 1, numberAvailable: 0 })).ready, false);
    assert.equal(readiness(ds({ updatedNumberScheduled: 1, numberAvailable: 1 })).ready, true);
  });

  it('Job: complete is ready, failed is final', () => {
    const job = (conditions: object[]): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'seed' },
      spec: {},
      status: { conditions },
    });
    assert.equal(readiness(job([{ type: 'Complete', status: 'True' }])).ready, true);
    const failed = readiness(
      job([
        {
          type: 'Failed',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
        },
      ]),
    );
    assert.equal(failed.failed, true);
    assert.match(failed.message, /BackoffLimitExceeded/);
  });

  it('Pod: Ready condition or success', () => {
    const pod = (status: object): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status });
    assert.equal(readiness(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] })).ready, true);
    assert.equal(readiness(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] })).ready, false);
    assert.equal(readiness(pod({ phase: 'Failed' })).failed, true);
  });

  it('kinds without a rule are ready once applied', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    assert.equal(hasReadinessRule(cm), false);
    assert.equal(readiness(cm).ready, true);
  });
});
