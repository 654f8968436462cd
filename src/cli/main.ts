#!/usr/bin/env node
// kloop's command line: argument parsing only. Each command calls one function in src/commands/.
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { formatLocation, KloopError, UsageError } from '../errors.ts';
import { configureLogger } from '../log/logger.ts';
import { mark } from '../log/timing.ts';
import { COMMANDS, type CommandModule, type CommandSpec, modules } from './commands.ts';
import { printError } from './print-error.ts';
import type { GlobalOptions } from './options.ts';
import { version } from '../version.ts';

function collectVar(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected KEY=VALUE');
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

type Action = (globals: GlobalOptions, ...rest: never[]) => Promise<unknown>;

function lazy(module: CommandModule, fn = 'run'): Action {
  return async (globals: GlobalOptions, ...rest: never[]) => {
    mark('cli: arguments parsed');
    const mod = (await modules[module]()) as unknown as Record<string, Action>;
    mark(`cli: ${module} loaded`);
    const action = mod[fn];
    if (!action) throw new Error(`src/commands/${module}.ts has no ${fn}()`);
    return action(globals, ...rest);
  };
}

function addCommand(
  parent: Command,
  spec: CommandSpec,
  run: (action: Action) => (this: Command, ...args: unknown[]) => Promise<void>,
): void {
  const [name, ...written] = spec.name.split(' ');
  const command = parent.command(name!, spec.hidden ? { hidden: true } : {});
  // an argument is written in the name ('logs [target]'); args: gives its description, or the whole Argument
  written.forEach((arg, i) => {
    const given = spec.args?.[i];
    command.addArgument(given instanceof Argument ? given : new Argument(arg, given));
  });
  if (spec.description) command.description(spec.description);
  for (const o of spec.options ?? []) command.addOption(o);
  if (spec.help) command.addHelpText('after', spec.help);
  if (spec.passUnknown) command.allowUnknownOption();
  if (spec.subcommands) for (const sub of spec.subcommands) addCommand(command, sub, run);
  else {
    const [module, fn] = spec.action ?? [name as CommandModule];
    command.action(run(lazy(module, fn)));
  }
}

/** the commands that stream events with -o jsonl */
const EVENT_COMMANDS = ['deploy', 'dev', 'promote'];

export function buildProgram(): Command {
  const program = new Command('kloop')
    .description('The developer inner loop on Kubernetes and its hand-off to GitOps, from one kloop.yaml.')
    .version(version(), '-V, --version')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true });

  program
    .option('-c, --config <file>', 'kloop.yaml to use (default: searched upward from the working directory)')
    .option('-e, --env <name>', 'environment from environments: in kloop.yaml')
    .option('--kube-context <name>', 'kube context (default: `kloop use context`, else the current context)')
    .option('-n, --namespace <name>', "namespace (default: `kloop use namespace`, else the context's)")
    .option('--var <KEY=VALUE>', 'set a variable (repeatable; highest precedence)', collectVar, {})
    .option('--strict-vars', 'an undefined ${VAR} in a file render substitutes is an error, not left as written')
    .addOption(
      new Option(
        '-o, --output <format>',
        'output format (jsonl, alias events: one JSON event per line, on deploy, dev, promote)',
      )
        .choices(['text', 'json', 'jsonl', 'events'])
        .default('text'),
    )
    .option('--debug', 'show tool command lines and stack traces', false)
    .option('--no-color', 'plain output without colours');

  const run = (action: Action) =>
    async function (this: Command, ...args: unknown[]) {
      const opts = this.optsWithGlobals() as Record<string, unknown>;
      const globals: GlobalOptions = {
        config: opts.config as string | undefined,
        env: opts.env as string | undefined,
        kubeContext: opts.kubeContext as string | undefined,
        namespace: opts.namespace as string | undefined,
        vars: (opts.var as Record<string, string>) ?? {},
        ...(opts.strictVars ? { strictVars: true } : {}),
        output: opts.output === 'events' ? 'jsonl' : ((opts.output as GlobalOptions['output']) ?? 'text'),
        debug: Boolean(opts.debug),
        color: opts.color !== false,
        cwd: process.cwd(),
      };
      configureLogger({ debug: globals.debug, ...(globals.color ? {} : { color: false }) });
      if (globals.output === 'jsonl') {
        if (!EVENT_COMMANDS.includes(this.name()))
          throw new UsageError(
            `-o ${String(opts.output)} is for ${EVENT_COMMANDS.join(', ')}`,
            'use -o json for this command',
          );
        const { enableEvents } = await import('../log/events.ts');
        enableEvents();
      }
      // Commander passes positional arguments, then the command's own options, then the Command.
      const positional = args.slice(0, -1) as never[];
      const code = await action(globals, ...positional);
      if (typeof code === 'number') process.exitCode = code;
    };

  for (const spec of COMMANDS) addCommand(program, spec, run);

  program.exitOverride();
  for (const sub of program.commands) {
    sub.exitOverride();
    for (const subsub of sub.commands) subsub.exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit 0; every other commander error is a usage error
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return 0;
      return 2;
    }
    const { emit, eventsEnabled } = await import('../log/events.ts');
    if (eventsEnabled() && error instanceof KloopError)
      emit({
        type: 'error',
        message: error.message,
        ...(error.location ? { location: formatLocation(error.location) } : {}),
        ...(error.details.length ? { details: [...error.details] } : {}),
        ...(error.hint ? { hint: error.hint } : {}),
        exitCode: error.exitCode,
      });
    else if (eventsEnabled())
      emit({ type: 'error', message: error instanceof Error ? error.message : String(error), exitCode: 1 });
    printError(error, debug);
    return error instanceof KloopError ? error.exitCode : 1;
  }
}

export { UsageError };
