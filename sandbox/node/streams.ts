// The node's streaming endpoints: container logs, exec/attach, and TCP connections to pods,
// with the errors a real kubelet/API server gives (kubelet_pods.go validateContainerLogStatus).

import net from 'node:net';
import { PassThrough, Transform } from 'node:stream';
import type { ExecProcess, ExecRequest, LogRequest, Store } from '../contract.ts';
import { FrameParser } from './docker/demux.ts';
import type { Engine } from './docker/engine.ts';
import { attachMain, startExec } from './docker/process.ts';
import { badRequest, NodeApiError, podNotFound } from './errors.ts';
import type { Kubelet } from './kubelet.ts';
import type { ContainerRecord } from './containers.ts';
import { PODS, type Pod } from './types.ts';

interface Located {
  pod: Pod;
  container: string;
  record?: ContainerRecord;
}

function locate(store: Store, kubelet: Kubelet, namespace: string, podName: string, container: string): Located {
  const pod = store.get(PODS, namespace, podName) as Pod | undefined;
  if (!pod) throw podNotFound(podName);
  const names = [
    ...(pod.spec.initContainers ?? []),
    ...pod.spec.containers,
    ...(pod.spec.ephemeralContainers ?? []),
  ].map((c) => c.name);
  let name = container;
  if (!name) {
    if (pod.spec.containers.length !== 1) {
      throw badRequest(
        `a container name must be specified for pod ${podName}, choose one of: [${pod.spec.containers.map((c) => c.name).join(' ')}]`,
      );
    }
    name = pod.spec.containers[0]!.name;
  }
  if (!names.includes(name)) throw badRequest(`container ${name} is not valid for pod ${podName}`);
  const worker = kubelet.worker(namespace, podName, pod.metadata.uid ?? '');
  return { pod, container: name, record: worker?.record(name) };
}

function logContainerId(located: Located, request: LogRequest): string {
  const { record, container } = located;
  const pod = located.pod.metadata.name;
  const lastId = record?.lastState.terminated?.containerID;
  if (request.previous) {
    if (!lastId) throw badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
    return lastId.replace('docker://', '');
  }
  if (record?.state.running && record.id) return record.id;
  if (record?.state.terminated?.containerID) return record.state.terminated.containerID.replace('docker://', '');
  if (lastId) return lastId.replace('docker://', '');
  const reason = record?.state.waiting?.reason ?? 'ContainerCreating';
  throw badRequest(`container "${container}" in pod "${pod}" is waiting to start: ${reason}`);
}

/**
 * Docker stamps lines in RFC 3339 with trailing zeros trimmed (…05.0678Z); the kubelet always
 * writes nine digits (RFC3339NanoFixed), so every prefix has the same width.
 */
export function fixedTimestamp(line: Buffer): Buffer {
  const head = line.subarray(0, 40).toString('latin1');
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z /.exec(head);
  if (!match || match[2]?.length === 9) return line;
  const fixed = `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}Z `;
  return Buffer.concat([Buffer.from(fixed, 'latin1'), line.subarray(match[0].length)]);
}

function limit(bytes: number, onDone: () => void): Transform {
  let left = bytes;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (left <= 0) return callback();
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      left -= part.length;
      this.push(part);
      if (left <= 0) {
        this.push(null);
        onDone();
      }
      callback();
    },
  });
}

export function createStreams(engine: Engine, store: Store, kubelet: Kubelet) {
  return {
    async logs(request: LogRequest): Promise<NodeJS.ReadableStream> {
      const located = locate(store, kubelet, request.namespace, request.pod, request.container);
      const id = logContainerId(located, request);
      let since: number | undefined;
      if (request.sinceSeconds !== undefined) since = Date.now() / 1000 - request.sinceSeconds;
      if (request.sinceTime) {
        const parsed = Date.parse(request.sinceTime);
        if (Number.isNaN(parsed)) throw badRequest(`invalid sinceTime "${request.sinceTime}": want RFC 3339`);
        since = parsed / 1000;
      }
      const info = await engine.inspectContainer(id);
      const source = await engine.client.stream('GET', `/containers/${id}/logs`, {
        stdout: true,
        stderr: true,
        follow: request.follow === true,
        timestamps: request.timestamps === true,
        tail: request.tailLines !== undefined ? Math.max(0, request.tailLines) : 'all',
        since: since !== undefined ? since.toFixed(6) : undefined,
      });
      const merged = new PassThrough();
      if (info.Config.Tty) source.pipe(merged);
      else {
        // One frame per log entry; stdout and stderr interleaved as kubectl shows them.
        const parser = new FrameParser((_stream, payload) => {
          merged.write(request.timestamps ? fixedTimestamp(payload) : payload);
        });
        source.on('data', (chunk: Buffer) => parser.push(chunk));
        source.on('end', () => merged.end());
        source.on('error', (err) => merged.destroy(err));
      }
      // A client going away must end the Docker request too (follow would otherwise linger).
      merged.on('close', () => source.destroy());
      if (request.limitBytes === undefined) return merged;
      const limited = limit(request.limitBytes, () => source.destroy());
      merged.pipe(limited);
      limited.on('close', () => merged.destroy());
      return limited;
    },

    async exec(request: ExecRequest): Promise<ExecProcess> {
      const located = locate(store, kubelet, request.namespace, request.pod, request.container);
      const phase = located.pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') {
        throw badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
      }
      const record = located.record;
      if (!record?.id || !record.state.running) {
        throw badRequest(`unable to upgrade connection: container not found ("${located.container}")`);
      }
      if (request.attach) return await attachMain(engine, record.id, { stdin: request.stdin, tty: request.tty });
      if (request.command.length === 0) throw badRequest('you must specify at least one command for the container');
      return await startExec(engine, record.id, { command: request.command, stdin: request.stdin, tty: request.tty });
    },

    async connect(namespace: string, podName: string, port: number): Promise<net.Socket> {
      const pod = store.get(PODS, namespace, podName) as Pod | undefined;
      if (!pod) throw podNotFound(podName);
      const ip = kubelet.worker(namespace, podName, pod.metadata.uid ?? '')?.podIP ?? pod.status?.podIP;
      if (!ip) throw badRequest(`pod ${podName} has no IP address yet (phase ${pod.status?.phase ?? 'Pending'})`);
      return await new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host: ip, port });
        socket.once('connect', () => resolve(socket));
        socket.once('error', (err) =>
          reject(
            new NodeApiError(
              500,
              `error forwarding port ${port} to pod ${podName}: failed to connect to ${ip}:${port}: ${err.message}`,
            ),
          ),
        );
      });
    },
  };
}
