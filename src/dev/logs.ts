// Follows the logs of every container of a target's current pod. A stream that ends while the pod
// lives (container restarted, connection dropped) is resumed from the last timestamp seen; a
// replacement pod is followed from its start. Lines are handed on one at a time and overlong
// lines are cut, so memory stays bounded whatever the volume.
import type { KubeClient } from '../kube/client.ts';
import type { PodRef } from '../kube/exec.ts';

export interface LogLine {
  target: string;
  pod: string;
  container: string;
  text: string;
}

const MAX_LINE = 16 * 1024;
const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) ?/;

export interface LogOptions {
  /** lines of history when a pod is first followed (default: everything for a replacement) */
  tailLines?: number;
  follow?: boolean;
  previous?: boolean;
}

export class LogFollower {
  private readonly client: KubeClient;
  private readonly target: string;
  private readonly sink: (line: LogLine) => void;
  private readonly onState: (state: 'off' | 'following' | 'reconnecting', lines: number) => void;
  private generation = 0;
  private lines = 0;
  private readonly streams = new Set<{ destroy(): void }>();
  /** last timestamp seen per pod/container: following the same pod again resumes, not replays */
  private readonly resume = new Map<string, string>();

  constructor(
    client: KubeClient,
    target: string,
    sink: (line: LogLine) => void,
    onState: (state: 'off' | 'following' | 'reconnecting', lines: number) => void = () => {},
  ) {
    this.client = client;
    this.target = target;
    this.sink = sink;
    this.onState = onState;
  }

  /** Follows this pod's containers (stops following the previous pod). Resolves when all streams ended. */
  follow(pod: PodRef | null, containers: readonly string[], options: LogOptions = {}): Promise<void> {
    const gen = ++this.generation;
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    if (!pod) {
      this.onState('reconnecting', this.lines);
      return Promise.resolve();
    }
    this.onState('following', this.lines);
    return Promise.all(containers.map((c) => this.followContainer(gen, pod, c, options))).then(() => {});
  }

  stop(): void {
    this.follow(null, []);
    this.onState('off', this.lines);
  }

  private async followContainer(gen: number, pod: PodRef, container: string, options: LogOptions): Promise<void> {
    const key = `${pod.namespace}/${pod.pod}/${container}`;
    let since: string | undefined = this.resume.get(key);
    let failures = 0;
    while (gen === this.generation) {
      try {
        const res = await this.client.stream({
          path: `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.pod)}/log`,
          query: {
            container,
            follow: options.follow !== false,
            timestamps: true,
            previous: options.previous || undefined,
            sinceTime: since,
            tailLines: since === undefined ? options.tailLines : undefined,
          },
        });
        if (gen !== this.generation) {
          res.destroy();
          return;
        }
        this.streams.add(res);
        failures = 0;
        let rest = '';
        for await (const chunk of res) {
          rest += (chunk as Buffer).toString('utf8');
          let nl = rest.indexOf('\n');
          while (nl >= 0 || rest.length > MAX_LINE) {
            const cut = nl >= 0 ? nl : MAX_LINE;
            const raw = rest.slice(0, cut);
            rest = rest.slice(nl >= 0 ? cut + 1 : cut);
            const m = TIMESTAMP.exec(raw);
            const ts = m?.[1];
            // Lines at or before the resume point were printed by the previous stream.
            if (!(ts && since && ts <= since)) this.emit(pod, container, m ? raw.slice(m[0].length) : raw);
            if (ts) {
              since = ts;
              this.resume.set(key, ts);
            }
            nl = rest.indexOf('\n');
          }
        }
        this.streams.delete(res);
        if (options.follow === false) return;
      } catch (error) {
        if (gen !== this.generation) return;
        failures++;
        // the container may be starting or restarting; keep trying while this pod is current
        if (failures === 3) this.onState('reconnecting', this.lines);
        if (options.follow === false) throw error;
      }
      if (gen !== this.generation) return;
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** failures, 5000)));
    }
  }

  private emit(pod: PodRef, container: string, text: string): void {
    this.lines++;
    this.sink({ target: this.target, pod: pod.pod, container, text });
  }
}
