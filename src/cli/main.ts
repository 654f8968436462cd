#!/usr/bin/env node
// kloop's command line: argument parsing only. Each command calls one function in src/commands/.
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { formatLocation, KloopError, UsageError } from '../errors.ts';
import { configureLogger } from '../log/logger.ts';
import { mark } from '../log/timing.ts';
import { printError } from './print-error.ts';
import type { GlobalOptions } from './options.ts';
import { version } from '../version.ts';

function collectVar(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected KEY=VALUE');
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

type Action = (globals: GlobalOptions, ...rest: never[]) => Promise<unknown>;

// Literal import() calls so the build rewrites them to .js; loaded lazily so `kloop --help` stays fast.
const modules = {
  init: () => import('../commands/init.ts'),
  print: () => import('../commands/print.ts'),
  doctor: () => import('../commands/doctor.ts'),
  use: () => import('../commands/use.ts'),
  build: () => import('../commands/build.ts'),
  render: () => import('../commands/render.ts'),
  deploy: () => import('../commands/deploy.ts'),
  dev: () => import('../commands/dev.ts'),
  logs: () => import('../commands/logs.ts'),
  enter: () => import('../commands/enter.ts'),
  connect: () => import('../commands/connect.ts'),
  intercept: () => import('../commands/intercept.ts'),
  ui: () => import('../commands/ui.ts'),
  run: () => import('../commands/run.ts'),
  purge: () => import('../commands/purge.ts'),
  diff: () => import('../commands/diff.ts'),
  promote: () => import('../commands/promote.ts'),
  completion: () => import('../commands/completion.ts'),
  status: () => import('../commands/status.ts'),
  mcp: () => import('../commands/mcp.ts'),
} as const;

function lazy(module: keyof typeof modules, fn = 'run'): Action {
  return async (globals: GlobalOptions, ...rest: never[]) => {
    mark('cli: arguments parsed');
    const mod = (await modules[module]()) as unknown as Record<string, Action>;
    mark(`cli: ${module} loaded`);
    const action = mod[fn];
    if (!action) throw new Error(`src/commands/${module}.ts has no ${fn}()`);
    return action(globals, ...rest);
  };
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

  program
    .command('init')
    .description(
      'write a kloop.yaml from what is found here, converting a devspace.yaml, skaffold.yaml or compose file',
    )
    .option(
      '--from <file>',
      'the devspace.yaml, skaffold.yaml or compose file to convert (default: the one found here)',
    )
    .option('--force', 'overwrite an existing kloop.yaml')
    .option('--name <name>', 'project name (default: the directory name)')
    .action(run(lazy('init')));

  program
    .command('print')
    .description('print the resolved configuration for the chosen environment, secrets redacted')
    .action(run(lazy('print')));

  program
    .command('doctor')
    .description(
      'check tools (helm, kustomize/kubectl, docker/buildah, git), their versions and the cluster connection',
    )
    .action(run(lazy('doctor')));

  const use = program
    .command('use')
    .description('pick the kube context or namespace for this project (kept in .kloop/)');
  use
    .command('context')
    .argument('[name]', 'context name (interactive list without one)')
    .description('pick the kube context for this project')
    .action(run(lazy('use', 'useContext')));
  use
    .command('namespace')
    .argument('[name]', 'namespace (interactive list without one)')
    .description('pick the namespace for this project')
    .action(run(lazy('use', 'useNamespace')));

  program
    .command('build')
    .argument('[image...]', 'images to build (default: all)')
    .description(
      'build images, skipping unchanged ones; -o json prints {images: {<name>: {ref, tag, digest?, skipped}}}',
    )
    .option('--force', 'build even when the tag exists')
    .option('--no-load', 'do not load or push images to the cluster')
    .option('--parallel <n>', 'images built at once')
    .action(run(lazy('build')));

  program
    .command('render')
    .argument('[app...]', 'apps to render (default: all)')
    .description('render low-level manifests for the environment')
    .option('--out <dir|->', 'directory for <app>.yaml files, or - for one stream on stdout (default)')
    .option('--image <NAME=REF>', 'pin an image instead of computing its tag (repeatable)', collect, [])
    .option('--validate <bool>', 'check objects against Kubernetes and CRD schemas', 'true')
    .option('--no-cache', 'render even when the inputs are unchanged')
    .action(run(lazy('render')));

  program
    .command('deploy')
    .argument('[app...]', 'apps to deploy (default: all)')
    .description('build + render + server-side apply + wait for readiness, dependencies first')
    .option('--image <NAME=REF>', 'pin an image instead of building it (repeatable)', collect, [])
    .option('--skip-build', 'do not build images')
    .option('--force-conflicts', 'take over fields other field managers own')
    .option('--no-wait', 'do not wait for readiness')
    .option('--timeout <duration>', 'readiness timeout')
    .action(run(lazy('deploy')));

  program
    .command('dev')
    .argument('[target...]', 'dev targets (default: all)')
    .description('deploy, then a dev session: sync, reload, port-forwards, logs; Ctrl-C restores what it changed')
    .option('--ui', 'serve the browser dashboard')
    .option('--ui-port <port>', 'serve the dashboard on this port of 127.0.0.1 (--ui alone: a free one)')
    .option('--skip-deploy', 'attach to what is already deployed')
    .option('--print-launch', 'with --debug: print the VS Code attach entries instead of writing .vscode/launch.json')
    .addOption(
      new Option(
        '--gitops-pause <mode>',
        'when Flux or Argo CD reconciles what the session changes: pause it (auto), warn only (never), or ask',
      ).choices(['auto', 'never', 'ask']),
    )
    .option('--resync', 'at the end, ask the paused Flux/Argo CD objects to reconcile now')
    .addHelpText(
      'after',
      "\n--debug (global) on dev: each target runs under its runtime's debugger (node, python, go, jvm; dotnet over kloop enter), the debug port is forwarded and .vscode/launch.json gets an attach entry per target.",
    )
    .action(run(lazy('dev')));

  program
    .command('logs')
    .argument('[target]', 'dev target or app')
    .description('stream logs of a dev target or an app')
    .option('-f, --follow', 'keep streaming (the default)', true)
    .option('--no-follow', 'print the recent lines and exit')
    .option('--tail <lines>', 'lines of history', '100')
    .option('--previous', 'the previous container instance')
    .action(run(lazy('logs')));

  program
    .command('enter')
    .argument('[target]', 'dev target')
    .argument('[cmd...]', 'command to run (default: a shell)')
    .description('open an interactive terminal in the dev container')
    .action(run(lazy('enter')));

  program
    .command('connect')
    .argument('[target]', 'dev target whose environment the process gets')
    .argument('[cmd...]', 'local command, after --')
    .description("run a local process with the target's environment and the namespace's Services reachable")
    .option('--hosts', 'also add Service names to the hosts file (needs write access; always removed)')
    .action(run(lazy('connect')));

  program
    .command('intercept')
    .argument('<target>', 'dev target whose Service traffic goes to the local process')
    .requiredOption('--port <local[:remote]>', 'local port, and the Service port when it differs')
    .option('--header <NAME=VALUE>', 'only HTTP requests with this header')
    .option('--agent-image <image>', 'a stock Node.js image the cluster can pull for the agent (default node:24-slim)')
    .addOption(
      new Option(
        '--gitops-pause <mode>',
        'when Flux or Argo CD reconciles what the session changes: pause it (auto), warn only (never), or ask',
      ).choices(['auto', 'never', 'ask']),
    )
    .option('--resync', 'at the end, ask the paused Flux/Argo CD objects to reconcile now')
    .description("send the target Service's traffic (or only requests with the header) to a local process")
    .action(run(lazy('intercept')));

  program
    .command('ui')
    .argument('[action]', 'resync, restart, rebuild or purge: ask the running session to act on a dev target')
    .argument('[target]', 'the dev target the action is for')
    .description('open the browser dashboard of the running dev session, or run one of its actions')
    .option('--no-open', 'print the URL without opening a browser')
    .action(run(lazy('ui')));

  program
    .command('run')
    .argument('<command>', 'a command from commands: in kloop.yaml')
    .argument('[args...]', 'arguments passed on')
    .description("run a custom command with the project's variables in its environment")
    .allowUnknownOption()
    .action(run(lazy('run')));

  program
    .command('purge')
    .argument('[app...]', 'apps to purge (default: all)')
    .description('delete everything kloop deployed for this project and environment, and nothing else')
    .option('--resync', 'after giving back paused Flux/Argo CD reconciliation, ask those objects to reconcile now')
    .action(run(lazy('purge')));

  program
    .command('diff')
    .description("compare what render produces with what the environment's GitOps repository holds")
    .action(run(lazy('diff')));

  program
    .command('promote')
    .description('render for the environment, write it into the GitOps repository, push a branch, open or update a PR')
    .option('--image <NAME=REF>', 'pin an image (repeatable)', collect, [])
    .option('--from <env>', 'promote the images and source commit recorded for another environment')
    .option('--dry-run', 'show what would change; push nothing')
    .option('--allow-dirty', 'allow uncommitted changes (marked in the metadata)')
    .option(
      '--allow-nondeterministic',
      'promote even when two renders of the same inputs differ (random names, generated certificates)',
    )
    .action(run(lazy('promote')));

  program
    .command('status')
    .description(
      'what this project has deployed (when, images, commit, drift), running sessions and what they changed, readiness; exit 0 when all is ready',
    )
    .action(run(lazy('status')));

  program
    .command('mcp')
    .description(
      'an MCP server over stdio for coding agents: status, render, diff, logs, deploy, session actions, purge',
    )
    .option('--allow-changes', 'allow the tools that change the cluster (deploy, restart, resync, rebuild, purge)')
    .action(run(lazy('mcp')));

  program
    .command('completion')
    .addArgument(new Argument('<shell>', 'the shell to complete for').choices(['bash', 'zsh', 'fish', 'powershell']))
    .description('print a shell completion script (commands, flags, and app, image, target, environment names)')
    .action(run(lazy('completion')));

  // what the completion scripts call at TAB time for names from kloop.yaml and the cluster
  program
    .command('__complete', { hidden: true })
    .argument('<kind>')
    .argument('[prefix]')
    .action(run(lazy('completion', 'complete')));

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
