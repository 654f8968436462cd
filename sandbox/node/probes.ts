// Readiness, liveness and startup probes for one container instance (exec, httpGet, tcpSocket),
// with the kubelet's defaults: period 10s, timeout 1s, success 1, failure 3.

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Engine } from './docker/engine.ts';
import { runToCompletion } from './docker/process.ts';
import type { Container, Probe } from './types.ts';

export interface ProbeTarget {
  engine: Engine;
  containerId: string;
  podIP: string;
  container: Container;
}

export interface ProbeEvents {
  /** readiness changed (also called once with the first result) */
  onReady(ready: boolean, reason?: string): void;
  /** startup probe succeeded (or there is none): readiness and liveness may run */
  onStarted(): void;
  /** liveness or startup probe failed failureThreshold times in a row: restart the container */
  onUnhealthy(message: string): void;
}

function resolvePort(container: Container, port: number | string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`port "${port}" is not a named port of container "${container.name}"`);
  return named.containerPort;
}

/** One probe attempt: resolves with undefined on success, a reason on failure. */
export async function probeOnce(probe: Probe, target: ProbeTarget): Promise<string | undefined> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) {
      const result = await runToCompletion(target.engine, target.containerId, probe.exec.command ?? [], timeoutMs);
      return result.exitCode === 0 ? undefined : `command failed with exit code ${result.exitCode}: ${result.output}`;
    }
    if (probe.httpGet) {
      const get = probe.httpGet;
      const port = resolvePort(target.container, get.port);
      const client = get.scheme === 'HTTPS' ? https : http;
      const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32' };
      for (const header of get.httpHeaders ?? []) headers[header.name] = header.value;
      const code = await new Promise<number>((resolve, reject) => {
        const req = client.get(
          {
            host: get.host || target.podIP,
            port,
            path: get.path ?? '/',
            headers,
            timeout: timeoutMs,
            rejectUnauthorized: false,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs / 1000}s`)));
        req.on('error', reject);
      });
      return code >= 200 && code < 400 ? undefined : `HTTP probe failed with statuscode: ${code}`;
    }
    if (probe.tcpSocket) {
      const port = resolvePort(target.container, probe.tcpSocket.port);
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: probe.tcpSocket!.host || target.podIP, port, timeout: timeoutMs });
        socket.on('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.on('timeout', () => socket.destroy(new Error(`dial tcp ${target.podIP}:${port}: i/o timeout`)));
        socket.on('error', reject);
      });
      return undefined;
    }
    return 'probe has no handler (exec, httpGet or tcpSocket)';
  } catch (err) {
    return (err as Error).message;
  }
}

/** Runs the container's probes until `stop()`; reports through `events`. */
export function startProbes(target: ProbeTarget, events: ProbeEvents): { stop(): void } {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let started = !target.container.startupProbe;

  function loop(probe: Probe, onResult: (ok: boolean, reason: string | undefined) => boolean | undefined): void {
    const period = (probe.periodSeconds ?? 10) * 1000;
    const tick = async () => {
      if (stopped) return;
      const reason = await probeOnce(probe, target);
      if (stopped) return;
      const again = onResult(reason === undefined, reason);
      if (again === false) return;
      schedule(period);
    };
    const schedule = (ms: number) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        void tick();
      }, ms);
      timers.add(timer);
    };
    schedule((probe.initialDelaySeconds ?? 0) * 1000);
  }

  function counter(probe: Probe, onChange: (ok: boolean, reason: string | undefined) => void) {
    let successes = 0;
    let failures = 0;
    let current: boolean | undefined;
    return (ok: boolean, reason: string | undefined) => {
      if (ok) {
        failures = 0;
        successes++;
      } else {
        successes = 0;
        failures++;
      }
      let next = current;
      if (ok && successes >= (probe.successThreshold ?? 1)) next = true;
      if (!ok && failures >= (probe.failureThreshold ?? 3)) next = false;
      if (next !== undefined && next !== current) {
        current = next;
        onChange(next, reason);
      }
      // A liveness failure restarts the container; count afresh afterwards.
      if (next === false) failures = 0;
    };
  }

  function afterStarted(): void {
    started = true;
    events.onStarted();
    const readiness = target.container.readinessProbe;
    if (readiness) {
      const count = counter(readiness, (ok, reason) => events.onReady(ok, reason));
      loop(readiness, (ok, reason) => {
        count(ok, reason);
        return undefined;
      });
    } else events.onReady(true);
    const liveness = target.container.livenessProbe;
    if (liveness) {
      const count = counter(liveness, (ok, reason) => {
        if (!ok) events.onUnhealthy(`Liveness probe failed: ${reason ?? ''}`);
      });
      loop(liveness, (ok, reason) => {
        count(ok, reason);
        return undefined;
      });
    }
  }

  if (started) afterStarted();
  else {
    const startup = target.container.startupProbe!;
    let failures = 0;
    loop(startup, (ok, reason) => {
      if (ok) {
        afterStarted();
        return false;
      }
      failures++;
      if (failures >= (startup.failureThreshold ?? 3)) {
        events.onUnhealthy(`Startup probe failed: ${reason ?? ''}`);
        return false;
      }
      return true;
    });
  }

  return {
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
