// What shell completion knows, read from the commander program itself (so a new command or flag is
// completed the day it is added): every command path with its subcommands, flags and arguments,
// and for each value what completes it. Names from kloop.yaml and the cluster are "dynamic": the
// generated script asks `kloop __complete <kind> <prefix>` for them when the user presses TAB.
import type { Argument, Command, Option } from 'commander';

export const DYNAMIC_KINDS = [
  'apps',
  'images',
  'targets',
  'targets-and-apps',
  'environments',
  'commands',
  'vars',
  'contexts',
  'namespaces',
] as const;
export type DynamicKind = (typeof DYNAMIC_KINDS)[number];

export type ValueSpec =
  | { type: 'dynamic'; kind: DynamicKind /** appended without a space: `--image web=` */; suffix?: string }
  | { type: 'choices'; values: string[] }
  | { type: 'file' }
  | { type: 'dir' }
  /** free text: nothing to offer */
  | { type: 'none' };

export interface FlagSpec {
  /** e.g. ['-o', '--output'] */
  names: string[];
  description: string;
  /** absent: a boolean flag */
  value?: ValueSpec;
}

export interface ArgSpec {
  name: string;
  variadic: boolean;
  value: ValueSpec;
}

export interface CommandSpec {
  /** [] for the program, ['use', 'context'] for `kloop use context` */
  path: string[];
  description: string;
  subcommands: { name: string; description: string }[];
  /** the command's own flags (global flags are in CompletionSpec.globals) */
  flags: FlagSpec[];
  args: ArgSpec[];
}

export interface CompletionSpec {
  program: string;
  globals: FlagSpec[];
  commands: CommandSpec[];
}

const dyn = (kind: DynamicKind, suffix?: string): ValueSpec => ({
  type: 'dynamic',
  kind,
  ...(suffix ? { suffix } : {}),
});

// Values by the option's long name, wherever the option appears.
const OPTION_VALUES: Record<string, ValueSpec> = {
  config: { type: 'file' },
  env: dyn('environments'),
  from: dyn('environments'),
  'kube-context': dyn('contexts'),
  namespace: dyn('namespaces'),
  var: dyn('vars', '='),
  image: dyn('images', '='),
  out: { type: 'dir' },
  port: { type: 'none' },
  'ui-port': { type: 'none' },
  parallel: { type: 'none' },
  timeout: { type: 'none' },
  tail: { type: 'none' },
  header: { type: 'none' },
  name: { type: 'none' },
  'agent-image': { type: 'none' },
  validate: { type: 'choices', values: ['true', 'false'] },
};

// Values by argument name; "<command path> <argument>" first, for names that mean different things.
const ARG_VALUES: Record<string, ValueSpec> = {
  'use context name': dyn('contexts'),
  'use namespace name': dyn('namespaces'),
  'logs target': dyn('targets-and-apps'),
  'ui action': { type: 'choices', values: ['resync', 'restart', 'rebuild', 'purge'] },
  app: dyn('apps'),
  image: dyn('images'),
  target: dyn('targets'),
  command: dyn('commands'),
  cmd: { type: 'none' },
  args: { type: 'file' },
};

function optionValue(o: Option): ValueSpec | undefined {
  if (!o.required && !o.optional) return undefined;
  if (o.argChoices?.length) return { type: 'choices', values: [...o.argChoices] };
  const long = o.long?.replace(/^--/, '') ?? '';
  return OPTION_VALUES[long] ?? { type: 'file' };
}

function argValue(path: string[], a: Argument): ValueSpec {
  if (a.argChoices?.length) return { type: 'choices', values: [...a.argChoices] };
  return ARG_VALUES[[...path, a.name()].join(' ')] ?? ARG_VALUES[a.name()] ?? { type: 'file' };
}

function flagOf(o: Option): FlagSpec {
  const value = optionValue(o);
  return {
    names: [o.short, o.long].filter((n): n is string => Boolean(n)),
    description: o.description,
    ...(value ? { value } : {}),
  };
}

const HELP: FlagSpec = { names: ['-h', '--help'], description: 'display help for command' };

function visible(c: Command): boolean {
  return !(c as unknown as { _hidden?: boolean })._hidden;
}

export function completionSpec(program: Command): CompletionSpec {
  const commands: CommandSpec[] = [];
  const walk = (cmd: Command, path: string[]) => {
    const subs = cmd.commands.filter(visible);
    commands.push({
      path,
      description: cmd.description(),
      subcommands: subs.map((s) => ({ name: s.name(), description: s.description() })),
      flags: [...(path.length ? cmd.options.filter((o) => !o.hidden).map(flagOf) : []), HELP],
      args: cmd.registeredArguments.map((a) => ({ name: a.name(), variadic: a.variadic, value: argValue(path, a) })),
    });
    for (const s of subs) walk(s, [...path, s.name()]);
  };
  walk(program, []);
  const globals = program.options.filter((o) => !o.hidden).map(flagOf);
  return { program: program.name(), globals, commands };
}
