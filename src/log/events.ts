// `-o jsonl` (alias `-o events`) on deploy, dev and promote: one JSON object per line on stdout,
// for CI systems and agents. Events come from the points that already report progress (the
// deploy progress, the applier, the readiness wait, the dev session's store, the logger's steps
// and warnings), so there is no second reporting path; schema/events.schema.json documents them.
// Every line passes the one redaction point.
import { redactValue } from './redact.ts';

export type KloopEvent =
  /** an app's deploy phase changed (waiting, applying, rolling out, ready, failed, purging, …) */
  | { type: 'phase'; app: string; phase: string; detail?: string }
  /** one object applied, pruned, or left alone (not kloop's) */
  | { type: 'apply'; app: string; object: string; result: 'applied' | 'pruned' | 'left-alone' }
  /** an object changed or deleted in the cluster since the last deploy, re-applied */
  | { type: 'drift'; app: string; object: string; kind: string; by: string[] }
  /** a workload's readiness as the wait sees it */
  | { type: 'readiness'; app: string; object: string; ready: boolean; message: string }
  /** the dev session: the session's or a target's phase */
  | { type: 'session'; phase: string; target?: string; pod?: string; error?: string }
  /** the dev session: a sync batch applied in the container */
  | {
      type: 'sync';
      target: string;
      to: string;
      state: string;
      uploaded?: number;
      deleted?: number;
      bytes?: number;
      ms?: number;
      error?: string;
    }
  /** the dev session: a pod of a dev target changed (ready, restarts, its problem) */
  | {
      type: 'pod';
      target: string;
      pod: string;
      phase?: string;
      ready: boolean;
      restarts: number;
      reason?: string;
    }
  /** the dev session: a target's onSync reload (restart or exec) finished */
  | {
      type: 'reload';
      target: string;
      kind: 'restart' | 'exec';
      state: 'done' | 'failed';
      count: number;
      error?: string;
    }
  /** the dev session: a kloop connect / intercept beside it started, changed or ended */
  | {
      type: 'hybrid';
      key: string;
      kind: 'connect' | 'intercept';
      pid: number;
      change: 'started' | 'changed' | 'ended';
      summary?: string;
      state?: unknown;
    }
  /** a log line of a dev target's container */
  | { type: 'log'; target: string; pod?: string; container?: string; text: string }
  /** a step, notice or warning kloop tells the user */
  | { type: 'message'; level: 'step' | 'info' | 'success' | 'warning'; text: string }
  /** the command failed: kloop's message, its location, details and hint */
  | { type: 'error'; message: string; location?: string; details?: string[]; hint?: string; exitCode: number }
  /** the command finished; `data` is what -o json prints */
  | { type: 'result'; command: string; ok: true; data?: unknown };

let enabled = false;
let write: (line: string) => void = (line) => {
  process.stdout.write(line);
};

export function enableEvents(sink?: (line: string) => void): void {
  enabled = true;
  if (sink) write = sink;
}

export function eventsEnabled(): boolean {
  return enabled;
}

export function emit(event: KloopEvent): void {
  if (!enabled) return;
  write(`${JSON.stringify(redactValue({ ts: new Date().toISOString(), ...event }))}\n`);
}
