// `kloop dev --debug`: which runtime a dev target's process runs on, and what the dev patch changes
// so that the process starts under that runtime's debugger, listening on a port kloop forwards.
// Pure: the session applies the result as one more dev patch (recorded and restored like the
// others) and forwards the port; launch.ts turns the same facts into the IDE's attach entry.
import path from 'node:path';
import { KloopError } from '../errors.ts';

export const RUNTIMES = ['node', 'python', 'go', 'jvm', 'dotnet'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export const DEFAULT_PORTS: Readonly<Record<Runtime, number | undefined>> = {
  node: 9229,
  python: 5678,
  go: 2345,
  jvm: 5005,
  // vsdbg speaks over `kloop enter` (stdin/stdout of an exec), not over a port
  dotnet: undefined,
};

export interface DebugConfig {
  runtime?: Runtime;
  port?: number;
  /** start paused until a debugger attaches */
  wait?: boolean;
}

/** The container as the workload declares it (after the target's own patch). */
export interface ContainerFacts {
  name: string;
  command?: readonly string[];
  args?: readonly string[];
  env?: ReadonlyArray<{ name: string; value?: string }>;
}

export interface DebugPlan {
  runtime: Runtime;
  /** the port the debugger listens on in the container (forwarded to the same local port) */
  port?: number;
  wait: boolean;
  /** merged into the dev patch: command/args replace, env merges by name */
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  /** said once when the session starts */
  notes: string[];
}

const base = (p: string | undefined) => (p ? path.posix.basename(p) : '');

/** The program the container runs: the command, or `sh -c "exec prog ..."`'s program. */
function program(c: ContainerFacts): string {
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  const first = base(argv[0]);
  if ((first === 'sh' || first === 'bash') && argv[1] === '-c' && argv[2]) {
    const words = argv[2].trim().split(/\s+/);
    const i = words[0] === 'exec' ? 1 : 0;
    return base(words[i]);
  }
  return first;
}

const BY_PROGRAM: Array<[RegExp, Runtime]> = [
  [/^(node|nodejs|npm|npx|pnpm|yarn|tsx|ts-node|nodemon)$/, 'node'],
  [/^(python[0-9.]*|gunicorn|uvicorn|hypercorn|flask|django-admin|celery|debugpy)$/, 'python'],
  [/^(dlv)$/, 'go'],
  [/^(java|catalina\.sh|mvn|gradle)$/, 'jvm'],
  [/^(dotnet)$/, 'dotnet'],
];

const BY_ENV: Array<[string, Runtime]> = [
  ['NODE_VERSION', 'node'],
  ['PYTHON_VERSION', 'python'],
  ['GOLANG_VERSION', 'go'],
  ['JAVA_VERSION', 'jvm'],
  ['JAVA_HOME', 'jvm'],
  ['DOTNET_VERSION', 'dotnet'],
  ['ASPNET_VERSION', 'dotnet'],
  ['DOTNET_RUNNING_IN_CONTAINER', 'dotnet'],
];

/** The runtime from the command first, then from the environment the image's maker left. */
export function detectRuntime(c: ContainerFacts, imageEnv: readonly string[] = []): Runtime | undefined {
  const prog = program(c);
  for (const [re, runtime] of BY_PROGRAM) if (re.test(prog)) return runtime;
  if (/\.(jar|war)$/.test(prog)) return 'jvm';
  if (/\.dll$/.test(prog)) return 'dotnet';
  const names = new Set([...(c.env ?? []).map((e) => e.name), ...imageEnv.map((e) => e.split('=')[0]!)]);
  for (const [name, runtime] of BY_ENV) if (names.has(name)) return runtime;
  return undefined;
}

function envValue(c: ContainerFacts, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}

function join(existing: string | undefined, flag: string): string {
  return existing ? `${existing} ${flag}` : flag;
}

/**
 * What the dev patch changes so that the target's process runs under its debugger.
 * `target` names the dev target in errors; `workload` is how the user wrote it.
 */
export function planDebug(
  target: string,
  workload: string,
  c: ContainerFacts,
  config: DebugConfig = {},
  imageEnv: readonly string[] = [],
): DebugPlan {
  const runtime = config.runtime ?? detectRuntime(c, imageEnv);
  if (!runtime) {
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    throw new KloopError(
      `dev target "${target}": cannot tell which runtime container "${c.name}" of ${workload} runs`,
      {
        hint: `${argv.length ? `its command is ${JSON.stringify(argv)}` : 'it sets no command (the image entrypoint is used)'}; set dev.${target}.debug.runtime to one of ${RUNTIMES.join(', ')}`,
      },
    );
  }
  const port = config.port ?? DEFAULT_PORTS[runtime];
  const wait = config.wait ?? false;
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  const needArgv = () => {
    if (argv.length === 0) {
      throw new KloopError(
        `dev target "${target}": the ${runtime} debugger wraps the command, and container "${c.name}" of ${workload} sets none`,
        {
          hint: `the image's ENTRYPOINT is not visible to kloop; set command: in the container spec or dev.${target}.patch.command`,
        },
      );
    }
  };
  // python and go: the debugger wraps the program itself, which a shell command hides
  const refuseShell = (debugger_: string, what: string) => {
    const first = base(argv[0]);
    if (first === 'sh' || first === 'bash') {
      throw new KloopError(
        `dev target "${target}": ${debugger_} cannot wrap a shell command (${JSON.stringify(argv)})`,
        {
          hint: `set dev.${target}.patch.command to the ${what} itself`,
        },
      );
    }
  };
  const wrapped = (command: string[], note: string): DebugPlan => ({
    runtime,
    port,
    wait,
    command,
    args: [],
    notes: [note],
  });
  switch (runtime) {
    case 'node': {
      const flag = `--inspect${wait ? '-brk' : ''}=0.0.0.0:${port}`;
      const prog = program(c);
      // npm, npx, pnpm and yarn are Node programs themselves: NODE_OPTIONS would put the package
      // manager under the inspector, and the app (its child) would find the port taken.
      // npm's node-options config reaches only the scripts it runs.
      if (/^(npm|npx)$/.test(prog)) {
        return {
          runtime,
          port,
          wait,
          env: { npm_config_node_options: join(envValue(c, 'npm_config_node_options'), flag) },
          notes: [`${prog} runs the app: the inspector goes to its scripts through npm's node-options`],
        };
      }
      return {
        runtime,
        port,
        wait,
        env: { NODE_OPTIONS: join(envValue(c, 'NODE_OPTIONS'), flag) },
        notes: /^(pnpm|yarn)$/.test(prog)
          ? [`${prog} is a Node program itself: if the app's inspector cannot bind ${port}, run node directly`]
          : [],
      };
    }
    case 'python': {
      needArgv();
      refuseShell('the Python debugger', 'python/gunicorn/uvicorn command');
      const listen = ['-m', 'debugpy', '--listen', `0.0.0.0:${port}`, ...(wait ? ['--wait-for-client'] : [])];
      const first = base(argv[0]);
      // python app.py / python -m mod: debugpy takes the same script or -m form after its own flags;
      // gunicorn, uvicorn, flask, celery: their console scripts are modules of the same name
      const command = /^python[0-9.]*$/.test(first)
        ? [argv[0]!, ...listen, ...argv.slice(1)]
        : ['python', ...listen, '-m', first, ...argv.slice(1)];
      return wrapped(
        command,
        'debugpy must be installed in the image (pip install debugpy); the process exits at once without it',
      );
    }
    case 'go': {
      needArgv();
      refuseShell('dlv', 'Go binary');
      const command = [
        'dlv',
        'exec',
        '--headless',
        `--listen=:${port}`,
        '--api-version=2',
        '--accept-multiclient',
        ...(wait ? [] : ['--continue']),
        argv[0]!,
        ...(argv.length > 1 ? ['--', ...argv.slice(1)] : []),
      ];
      return wrapped(
        command,
        'dlv must be in the image, and the binary built with -gcflags="all=-N -l" for breakpoints on every line',
      );
    }
    case 'jvm': {
      const agent = `-agentlib:jdwp=transport=dt_socket,server=y,suspend=${wait ? 'y' : 'n'},address=*:${port}`;
      return {
        runtime,
        port,
        wait,
        env: { JAVA_TOOL_OPTIONS: join(envValue(c, 'JAVA_TOOL_OPTIONS'), agent) },
        notes: [],
      };
    }
    case 'dotnet':
      // vsdbg attaches over stdin/stdout of an exec; no patch and no port.
      return {
        runtime,
        wait,
        notes: [
          'dotnet: attach with vsdbg over `kloop enter` (see launch.json); vsdbg must be in the image at /vsdbg/vsdbg',
        ],
      };
  }
}
