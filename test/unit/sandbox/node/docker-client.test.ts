import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createDockerClient, DockerError } from '../../../../sandbox/node/docker/client.ts';

// A stand-in Engine on a unix socket, to see how the client treats answers and silence.
async function fakeEngine(handler: http.RequestListener) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kloop-docker-fake-'));
  const socketPath = path.join(dir, 'docker.sock');
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    close() {
      server.closeAllConnections();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('JSON answers are parsed; errors carry the status and the daemon message; versioned paths', async () => {
  const paths: string[] = [];
  const engine = await fakeEngine((req, res) => {
    paths.push(req.url ?? '');
    if (req.url?.includes('/missing')) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"No such container: missing"}');
    } else {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"Id":"abc"}');
    }
  });
  try {
    const client = createDockerClient(engine.socketPath);
    assert.deepEqual(await client.call('GET', '/containers/x/json', undefined, { all: true, skip: undefined }), {
      Id: 'abc',
    });
    assert.equal(paths[0], '/v1.41/containers/x/json?all=1');
    await assert.rejects(
      client.call('GET', '/containers/missing/json'),
      (err: Error) =>
        err instanceof DockerError && err.status === 404 && /No such container: missing/.test(err.message),
    );
  } finally {
    engine.close();
  }
});

test('a daemon that does not answer times out with a message naming the call', async () => {
  const engine = await fakeEngine(() => {
    // never answers
  });
  try {
    const client = createDockerClient(engine.socketPath, { callTimeoutMs: 200 });
    await assert.rejects(
      client.call('POST', '/containers/x/start'),
      /did not answer POST \/containers\/x\/start within 0\.2s/,
    );
  } finally {
    engine.close();
  }
});

test('a missing socket says how to reach Docker', async () => {
  const client = createDockerClient(path.join(os.tmpdir(), 'kloop-no-such-docker.sock'));
  await assert.rejects(
    client.call('GET', '/_ping'),
    /Docker Engine is not reachable at .*kloop-no-such-docker\.sock \(ENOENT\): start dockerd/,
  );
});
