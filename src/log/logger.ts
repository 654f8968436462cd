// One logger for every command. Human messages go to stderr (stdout is for data: rendered YAML,
// JSON output); colours and spinners only on a TTY; plain lines under CI=true, NO_COLOR or
// --no-color; --debug adds tool command lines and stack traces. Everything passes redact().
import { formatWithOptions } from 'node:util';
import pc from 'picocolors';
import { emit } from './events.ts';
import { redact } from './redact.ts';

export interface LoggerOptions {
  debug: boolean;
  color: boolean;
  /** a live terminal: progress lines may be rewritten */
  interactive: boolean;
  stream: NodeJS.WritableStream;
}

function detect(): LoggerOptions {
  const stream = process.stderr;
  const tty = Boolean((stream as NodeJS.WriteStream).isTTY);
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const noColor = 'NO_COLOR' in process.env && process.env.NO_COLOR !== '';
  return { debug: false, color: tty && !noColor && !ci, interactive: tty && !ci, stream };
}

let options: LoggerOptions = detect();

export function configureLogger(update: Partial<LoggerOptions>): void {
  options = { ...options, ...update };
}

export function loggerOptions(): Readonly<LoggerOptions> {
  return options;
}

function write(text: string): void {
  options.stream.write(`${redact(text)}\n`);
}

function paint(fn: (s: string) => string, s: string): string {
  return options.color ? fn(s) : s;
}

function fmt(args: unknown[]): string {
  return formatWithOptions({ colors: false }, ...args);
}

export const log = {
  info(...args: unknown[]): void {
    write(fmt(args));
  },
  success(...args: unknown[]): void {
    write(`${paint(pc.green, '✓')} ${fmt(args)}`);
    emit({ type: 'message', level: 'success', text: fmt(args) });
  },
  step(...args: unknown[]): void {
    write(`${paint(pc.cyan, '›')} ${fmt(args)}`);
    emit({ type: 'message', level: 'step', text: fmt(args) });
  },
  /** a progress line whose news is already an event of its own */
  progress(...args: unknown[]): void {
    write(`${paint(pc.cyan, '›')} ${fmt(args)}`);
  },
  warn(...args: unknown[]): void {
    write(`${paint(pc.yellow, 'warning:')} ${fmt(args)}`);
    emit({ type: 'message', level: 'warning', text: fmt(args) });
  },
  error(...args: unknown[]): void {
    write(`${paint(pc.red, 'error:')} ${fmt(args)}`);
  },
  debug(...args: unknown[]): void {
    if (options.debug) write(paint(pc.dim, `debug: ${fmt(args)}`));
  },
  /** A tool invocation, shown with --debug. */
  command(file: string, args: readonly string[], cwd?: string): void {
    if (!options.debug) return;
    const quoted = [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
    write(paint(pc.dim, `$ ${quoted.join(' ')}${cwd ? `  (in ${cwd})` : ''}`));
  },
  /** Prefixes each line of a tool's output stream, e.g. build output per image. */
  prefixed(prefix: string, text: string): void {
    for (const line of text.split('\n')) if (line) write(`${paint(pc.dim, `${prefix} │`)} ${line}`);
  },
};

export const colors = {
  bold: (s: string) => paint(pc.bold, s),
  dim: (s: string) => paint(pc.dim, s),
  green: (s: string) => paint(pc.green, s),
  red: (s: string) => paint(pc.red, s),
  yellow: (s: string) => paint(pc.yellow, s),
  cyan: (s: string) => paint(pc.cyan, s),
};
