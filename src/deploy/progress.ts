// Progress per app: on an interactive terminal one line per app, rewritten in place as the app
// moves on (rendering, applying, waiting for deployment/web 0/1, ready); in CI and pipes, one
// plain line per change.
import { colors, loggerOptions, log } from '../log/logger.ts';
import { emit } from '../log/events.ts';
import { redact } from '../log/redact.ts';

export type AppState =
  | 'waiting'
  | 'applying'
  | 'unchanged'
  | 'rolling out'
  | 'ready'
  | 'failed'
  | 'skipped'
  | 'purging'
  | 'purged';

export interface Progress {
  update(app: string, state: AppState, detail?: string): void;
  /** Stops rewriting lines; later output goes below. */
  done(): void;
}

function paint(state: AppState, text: string): string {
  if (state === 'ready' || state === 'unchanged' || state === 'purged') return colors.green(text);
  if (state === 'failed') return colors.red(text);
  if (state === 'skipped') return colors.yellow(text);
  return text;
}

export function createProgress(apps: readonly string[]): Progress {
  const shown = showProgress(apps);
  let said = new Map<string, string>();
  return {
    update(app, state, detail) {
      const key = `${state}\0${detail ?? ''}`;
      if (said.get(app) !== key) emit({ type: 'phase', app, phase: state, ...(detail ? { detail } : {}) });
      said.set(app, key);
      shown.update(app, state, detail);
    },
    done() {
      said = new Map();
      shown.done();
    },
  };
}

function showProgress(apps: readonly string[]): Progress {
  const { interactive, stream } = loggerOptions();
  if (!interactive) {
    let last = new Map<string, string>();
    return {
      update(app, state, detail) {
        const line = `${app}: ${state}${detail ? ` — ${detail}` : ''}`;
        if (last.get(app) === line) return;
        last.set(app, line);
        log.progress(line);
      },
      done() {
        last = new Map();
      },
    };
  }
  const order = [...apps];
  const lines = new Map<string, { state: AppState; detail?: string }>(order.map((a) => [a, { state: 'waiting' }]));
  let drawn = 0;
  let active = true;
  const width = () => (stream as NodeJS.WriteStream).columns || 120;
  // Truncate by visible length before colouring, so escape sequences are never cut.
  const format = (app: string) => {
    const { state, detail } = lines.get(app)!;
    const room = width() - 1 - app.length - state.length - 5;
    const text = detail ? redact(detail) : '';
    const shown = text.length > room ? `${text.slice(0, Math.max(0, room - 1))}…` : text;
    return `${colors.bold(app)}: ${paint(state, state)}${shown ? colors.dim(` — ${shown}`) : ''}`;
  };
  const draw = () => {
    if (!active) return;
    let out = drawn ? `\x1b[${drawn}A` : '';
    for (const app of order) out += `\x1b[2K${format(app)}\n`;
    drawn = order.length;
    stream.write(out);
  };
  return {
    update(app, state, detail) {
      if (!lines.has(app)) order.push(app);
      lines.set(app, { state, detail });
      draw();
    },
    done() {
      draw();
      active = false;
    },
  };
}
