import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceInfo } from '../../../src/hybrid/cluster-view.ts';
import { agentObjects, CONTROL_PORT } from '../../../src/hybrid/agent-objects.ts';
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

test('agent objects: named target ports keep their names, every Service port is routed, only the chosen one intercepted', () => {
  const service: ServiceInfo = {
    name: 'back',
    namespace: 'default',
    selector: { app: 'back' },
    ports: [
      { name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' },
      { name: 'admin', port: 9000, targetPort: 9001, protocol: 'TCP' },
    ],
    forwardable: true,
  };
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'back-1' },
    spec: { containers: [{ name: 'back', ports: [{ name: 'web', containerPort: 8080 }] }] },
  };
  const objects = agentObjects({
    service,
    serviceObject: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'back' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 'web' }] },
    },
    pod,
    port: 80,
    header: { name: 'x-dev', value: 'alice' },
    image: 'node:24-slim',
  });
  assert.equal(objects.agent, 'kloop-intercept-back');
  assert.equal(objects.shadow, 'kloop-orig-back');
  assert.equal(objects.interceptedPort, 8080);
  const container = objects.pod.spec.containers[0];
  assert.deepEqual(container.ports, [
    { name: 'web', containerPort: 8080 },
    { containerPort: 9001 },
    { name: 'kloop-control', containerPort: CONTROL_PORT },
  ]);
  assert.equal(container.securityContext.privileged, false);
  const config = JSON.parse(container.env[0].value);
  assert.deepEqual(config.routes, [
    {
      listen: 8080,
      upstream: { host: 'kloop-orig-back', port: 80 },
      intercept: true,
      header: { name: 'x-dev', value: 'alice' },
    },
    { listen: 9001, upstream: { host: 'kloop-orig-back', port: 9000 }, intercept: false },
  ]);
  assert.deepEqual(objects.shadowService.spec.selector, { app: 'back' });
  assert.match(objects.configMap.data['agent.cjs'], /^'use strict';/);
  assert.throws(
    () =>
      agentObjects({
        service,
        serviceObject: objects.shadowService,
        pod: { ...pod, spec: { containers: [] } },
        port: 80,
        image: 'x',
      }),
    /target port "web" is not a port of pod back-1/,
  );
});
