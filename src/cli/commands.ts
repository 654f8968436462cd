// Every kloop command as data: name and arguments, description, options, and the function in
// src/commands/ that runs it. cli/main.ts turns the table into the commander program; `kloop
// --help`, the shell completion (read from the program) and the docs follow from it.
import { Argument, Option } from 'commander';

// Literal import() calls so the build rewrites them to .js; loaded lazily so `kloop --help` stays fast.
export const modules = {
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

export type CommandModule = keyof typeof modules;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export interface CommandSpec {
  /** the name, with its arguments as commander writes them: 'logs [target]' */
  name: string;
  description: string;
  /** the descriptions of the arguments in `name`, in order (an Argument for one with choices) */
  args?: readonly (string | Argument)[];
  options?: readonly Option[];
  /** the function in src/commands/<module>.ts (default: run) */
  action?: [module: CommandModule, fn?: string];
  subcommands?: readonly CommandSpec[];
  /** text after the generated help */
  help?: string;
  hidden?: boolean;
  /** pass unknown flags on as arguments (kloop run) */
  passUnknown?: boolean;
}

const option = (flags: string, description: string, defaultValue?: unknown) =>
  defaultValue === undefined ? new Option(flags, description) : new Option(flags, description).default(defaultValue);
const repeatable = (flags: string, description: string) =>
  new Option(flags, description).argParser(collect).default([]);
const imageOption = (description: string) => repeatable('--image <NAME=REF>', description);
const gitopsPause = [
  new Option(
    '--gitops-pause <mode>',
    'when Flux or Argo CD reconciles what the session changes: pause it (auto), warn only (never), or ask',
  ).choices(['auto', 'never', 'ask']),
  option('--resync', 'at the end, ask the paused Flux/Argo CD objects to reconcile now'),
];

/** Every command, in the order of `kloop --help`; the action is src/commands/<name>.ts run() unless said. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'init',
    description:
      'write a kloop.yaml from what is found here, converting a devspace.yaml, skaffold.yaml or compose file',
    options: [
      option(
        '--from <file>',
        'the devspace.yaml, skaffold.yaml or compose file to convert (default: the one found here)',
      ),
      option('--force', 'overwrite an existing kloop.yaml'),
      option('--name <name>', 'project name (default: the directory name)'),
    ],
  },
  { name: 'print', description: 'print the resolved configuration for the chosen environment, secrets redacted' },
  {
    name: 'doctor',
    description:
      'check tools (helm, kustomize/kubectl, docker/buildah, git), their versions and the cluster connection',
  },
  {
    name: 'use',
    description: 'pick the kube context or namespace for this project (kept in .kloop/)',
    subcommands: [
      {
        name: 'context [name]',
        args: ['context name (interactive list without one)'],
        description: 'pick the kube context for this project',
        action: ['use', 'useContext'],
      },
      {
        name: 'namespace [name]',
        args: ['namespace (interactive list without one)'],
        description: 'pick the namespace for this project',
        action: ['use', 'useNamespace'],
      },
    ],
  },
  {
    name: 'build [image...]',
    args: ['images to build (default: all)'],
    description:
      'build images, skipping unchanged ones; -o json prints {images: {<name>: {ref, tag, digest?, skipped}}}',
    options: [
      option('--force', 'build even when the tag exists'),
      option('--no-load', 'do not load or push images to the cluster'),
      option('--parallel <n>', 'images built at once'),
    ],
  },
  {
    name: 'render [app...]',
    args: ['apps to render (default: all)'],
    description: 'render low-level manifests for the environment',
    options: [
      option('--out <dir|->', 'directory for <app>.yaml files, or - for one stream on stdout (default)'),
      imageOption('pin an image instead of computing its tag (repeatable)'),
      option('--validate <bool>', 'check objects against Kubernetes and CRD schemas', 'true'),
      option('--no-cache', 'render even when the inputs are unchanged'),
    ],
  },
  {
    name: 'deploy [app...]',
    args: ['apps to deploy (default: all)'],
    description: 'build + render + server-side apply + wait for readiness, dependencies first',
    options: [
      imageOption('pin an image instead of building it (repeatable)'),
      option('--skip-build', 'do not build images'),
      option('--force-conflicts', 'take over fields other field managers own'),
      option('--no-wait', 'do not wait for readiness'),
      option('--timeout <duration>', 'readiness timeout'),
    ],
  },
  {
    name: 'dev [target...]',
    args: ['dev targets (default: all)'],
    description: 'deploy, then a dev session: sync, reload, port-forwards, logs; Ctrl-C restores what it changed',
    options: [
      option('--ui', "print the session's dashboard URL and open it in the browser"),
      option('--ui-port <port>', "serve the session's API and dashboard on this port of 127.0.0.1 (implies --ui)"),
      option('--no-api', 'serve no API: `kloop ui` and `kloop mcp` cannot reach this session'),
      option('--skip-deploy', 'attach to what is already deployed'),
      option('--print-launch', 'with --debug: print the VS Code attach entries instead of writing .vscode/launch.json'),
      ...gitopsPause,
    ],
    help: "\n--debug (global) on dev: each target runs under its runtime's debugger (node, python, go, jvm; dotnet over kloop enter), the debug port is forwarded and .vscode/launch.json gets an attach entry per target.",
  },
  {
    name: 'logs [target]',
    args: ['dev target or app'],
    description: 'stream logs of a dev target or an app',
    options: [
      option('-f, --follow', 'keep streaming (the default)', true),
      option('--no-follow', 'print the recent lines and exit'),
      option('--tail <lines>', 'lines of history', '100'),
      option('--previous', 'the previous container instance'),
    ],
  },
  {
    name: 'enter [target] [cmd...]',
    args: ['dev target', 'command to run (default: a shell)'],
    description: 'open an interactive terminal in the dev container',
  },
  {
    name: 'connect [target] [cmd...]',
    args: ['dev target whose environment the process gets', 'local command, after --'],
    description: "run a local process with the target's environment and the namespace's Services reachable",
    options: [option('--hosts', 'also add Service names to the hosts file (needs write access; always removed)')],
  },
  {
    name: 'intercept <target>',
    args: ['dev target whose Service traffic goes to the local process'],
    description: "send the target Service's traffic (or only requests with the header) to a local process",
    options: [
      option('--port <local[:remote]>', 'local port, and the Service port when it differs').makeOptionMandatory(),
      option('--header <NAME=VALUE>', 'only HTTP requests with this header'),
      option(
        '--agent-image <image>',
        'a stock Node.js image the cluster can pull for the agent (default node:24-slim)',
      ),
      ...gitopsPause,
    ],
  },
  {
    name: 'ui [action] [target]',
    args: [
      'resync, restart, rebuild or purge: ask the running session to act on a dev target',
      'the dev target the action is for',
    ],
    description: 'open the browser dashboard of the running dev session, or run one of its actions',
    options: [option('--no-open', 'print the URL without opening a browser')],
  },
  {
    name: 'run <command> [args...]',
    args: ['a command from commands: in kloop.yaml', 'arguments passed on'],
    description: "run a custom command with the project's variables in its environment",
    passUnknown: true,
  },
  {
    name: 'purge [app...]',
    args: ['apps to purge (default: all)'],
    description: 'delete everything kloop deployed for this project and environment, and nothing else',
    options: [
      option('--resync', 'after giving back paused Flux/Argo CD reconciliation, ask those objects to reconcile now'),
    ],
  },
  { name: 'diff', description: "compare what render produces with what the environment's GitOps repository holds" },
  {
    name: 'promote',
    description: 'render for the environment, write it into the GitOps repository, push a branch, open or update a PR',
    options: [
      imageOption('pin an image (repeatable)'),
      option('--from <env>', 'promote the images and source commit recorded for another environment'),
      option('--dry-run', 'show what would change; push nothing'),
      option('--allow-dirty', 'allow uncommitted changes (marked in the metadata)'),
      option(
        '--allow-nondeterministic',
        'promote even when two renders of the same inputs differ (random names, generated certificates)',
      ),
    ],
  },
  {
    name: 'status',
    description:
      'what this project has deployed (when, images, commit, drift), running sessions and what they changed, readiness; exit 0 when all is ready',
  },
  {
    name: 'mcp',
    description:
      'an MCP server over stdio for coding agents: status, render, diff, logs, deploy, session actions, purge',
    options: [
      option('--allow-changes', 'allow the tools that change the cluster (deploy, restart, resync, rebuild, purge)'),
    ],
  },
  {
    name: 'completion <shell>',
    args: [new Argument('<shell>', 'the shell to complete for').choices(['bash', 'zsh', 'fish', 'powershell'])],
    description: 'print a shell completion script (commands, flags, and app, image, target, environment names)',
  },
  // what the completion scripts call at TAB time for names from kloop.yaml and the cluster
  { name: '__complete <kind> [prefix]', description: '', hidden: true, action: ['completion', 'complete'] },
];
