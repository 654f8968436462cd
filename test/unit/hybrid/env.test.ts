import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envName, expandRefs, serviceEnv } from '../../../src/hybrid/env.ts';

test('service variables point at the local forwards, as the kubelet names them', () => {
  const env = serviceEnv([
    { service: 'back-end', name: 'http', port: 80, address: '127.0.0.2', localPort: 40080 },
    { service: 'back-end', name: 'grpc', port: 9000, address: '127.0.0.2', localPort: 9000 },
    { service: 'db', port: 5432, address: '127.0.0.3', localPort: 5432 },
  ]);
  assert.equal(env.BACK_END_SERVICE_HOST, '127.0.0.2');
  assert.equal(env.BACK_END_SERVICE_PORT, '40080');
  assert.equal(env.BACK_END_SERVICE_PORT_HTTP, '40080');
  assert.equal(env.BACK_END_SERVICE_PORT_GRPC, '9000');
  assert.equal(env.BACK_END_PORT, 'tcp://127.0.0.2:40080');
  assert.equal(env.BACK_END_PORT_9000_TCP, 'tcp://127.0.0.2:9000');
  assert.equal(env.BACK_END_PORT_80_TCP_PORT, '40080');
  assert.equal(env.BACK_END_PORT_80_TCP_ADDR, '127.0.0.2');
  assert.equal(env.BACK_END_PORT_80_TCP_PROTO, 'tcp');
  assert.equal(env.DB_SERVICE_HOST, '127.0.0.3');
  assert.equal(env.DB_SERVICE_PORT_HTTP, undefined);
  assert.equal(envName('my-svc-2'), 'MY_SVC_2');
});

test('$(VAR) expands defined variables only; $$ is a literal $', () => {
  const env = { HOST: 'back', PORT: '8080' };
  assert.equal(expandRefs('http://$(HOST):$(PORT)/x', env), 'http://back:8080/x');
  assert.equal(expandRefs('$(MISSING) stays', env), '$(MISSING) stays');
  assert.equal(expandRefs('$$(HOST) is escaped', env), '$(HOST) is escaped');
  assert.equal(expandRefs('plain $HOST', env), 'plain $HOST');
});
