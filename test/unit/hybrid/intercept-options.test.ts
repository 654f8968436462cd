import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceInfo } from '../../../src/hybrid/cluster-view.ts';
import { chooseService, parseHeader, parsePortSpec } from '../../../src/hybrid/intercept.ts';
import { KloopError } from '../../../src/errors.ts';

test('--port LOCAL[:REMOTE]', () => {
  assert.deepEqual(parsePortSpec('3000'), { local: 3000 });
  assert.deepEqual(parsePortSpec('3000:8080'), { local: 3000, remote: 8080 });
  for (const bad of ['', 'x', '3000:', '0', '70000', '1:2:3'])
    assert.throws(
      () => parsePortSpec(bad),
      (e: unknown) => e instanceof KloopError && /expected LOCAL/.test(e.message),
    );
});

test('--header NAME=VALUE', () => {
  assert.deepEqual(parseHeader('x-dev=alice'), { name: 'x-dev', value: 'alice' });
  assert.deepEqual(parseHeader('x-dev=a=b'), { name: 'x-dev', value: 'a=b' });
  assert.throws(() => parseHeader('=alice'), KloopError);
  assert.throws(() => parseHeader('bad name=1'), KloopError);
});

const svc = (name: string, selector: Record<string, string>, ports: number[]): ServiceInfo => ({
  name,
  namespace: 'default',
  selector,
  ports: ports.map((port) => ({ port, targetPort: port, protocol: 'TCP' })),
  forwardable: true,
});

test('the Service to intercept: the one selecting the pod with the port; otherwise an error listing them', () => {
  const labels = { app: 'back', tier: 'api' };
  const services = [svc('back', { app: 'back' }, [8080, 9090]), svc('front', { app: 'front' }, [8080])];
  assert.equal(chooseService('back', services, labels, 8080).service.name, 'back');
  assert.throws(
    () => chooseService('back', services, labels, 7000),
    (e: unknown) =>
      e instanceof KloopError &&
      /no Service of its pods has port 7000/.test(e.message) &&
      /back \(ports 8080, 9090\)/.test(e.details[0]!),
  );
  assert.throws(() => chooseService('x', services, { app: 'x' }, 80), /no Service selects its pods/);
  const two = [...services, svc('back-alt', { tier: 'api' }, [8080])];
  assert.throws(() => chooseService('back', two, labels, 8080), /2 Services of its pods have port 8080/);
  assert.throws(() => chooseService('back', services, labels, undefined), /has 2 ports: say which one/);
});
