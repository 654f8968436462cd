// kloop mcp: an MCP server over stdio for coding agents, on the official TypeScript SDK. Each tool
// call loads kloop.yaml afresh (the agent may have just edited it) and calls the same engine the
// CLI command does. Every response passes the one redaction point, as `kloop print` does.
//
// Read-only by default: deploy, the session actions and purge are listed (so an agent can tell the
// user what it could do) but refuse with a message naming `--allow-changes`. purge also asks the
// user through the client (elicitation) and refuses when the client cannot ask.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { loadProject } from '../config/load.ts';
import type { LoadInput, Project } from '../config/project.ts';
import { type Connection, deployProject, openConnection } from '../deploy/deploy.ts';
import { environmentName } from '../deploy/labels.ts';
import { KloopError } from '../errors.ts';
import { redact, redactValue } from '../log/redact.ts';
import { version } from '../version.ts';

export interface McpOptions {
  /** the command's global flags (-c, -n, --kube-context, --var); a tool's `env` overrides -e */
  globals: LoadInput;
  allowChanges: boolean;
}

export const MUTATING_TOOLS = ['deploy', 'restart', 'resync', 'rebuild', 'purge'] as const;

type ToolResult = { content: { type: 'text'; text: string }[]; isError?: boolean };

function ok(value: unknown): ToolResult {
  const text = typeof value === 'string' ? value : JSON.stringify(redactValue(value), null, 2);
  return { content: [{ type: 'text', text: redact(text) }] };
}

function failure(error: unknown): ToolResult {
  const e = error as Error;
  const lines = [e.message];
  if (error instanceof KloopError) {
    lines.push(...error.details);
    if (error.hint) lines.push(`hint: ${error.hint}`);
  }
  return { content: [{ type: 'text', text: redact(lines.join('\n')) }], isError: true };
}

const refusal = (tool: string): ToolResult => ({
  content: [
    {
      type: 'text',
      text: `${tool} changes the cluster, and this kloop mcp server is read-only. Ask the user to restart it as \`kloop mcp --allow-changes\` to allow deploy, restart, resync, rebuild and purge.`,
    },
  ],
  isError: true,
});

const envArg = z
  .string()
  .optional()
  .describe('environment from environments: in kloop.yaml (default: the local inner loop)');

export function createMcpServer(o: McpOptions): McpServer {
  const server = new McpServer(
    { name: 'kloop', version: version() },
    {
      instructions:
        "kloop builds, renders and deploys this project's apps to Kubernetes and runs dev sessions. Use status first; render and diff are read-only; logs reads recent lines. deploy, restart/resync/rebuild (of a running `kloop dev` session's dev target) and purge need the server started with --allow-changes.",
    },
  );
  const project = (env?: string): Promise<Project> =>
    loadProject({ ...o.globals, ...(env !== undefined ? { env } : {}) });
  const withCluster = async <T>(p: Project, fn: (c: Connection) => Promise<T>): Promise<T> => {
    const connection = await openConnection(p);
    try {
      return await fn(connection);
    } finally {
      connection.client.close();
    }
  };
  const guard =
    <A>(name: string, mutating: boolean, fn: (args: A) => Promise<unknown>) =>
    async (args: A): Promise<ToolResult> => {
      if (mutating && !o.allowChanges) return refusal(name);
      try {
        return ok(await fn(args));
      } catch (error) {
        return failure(error);
      }
    };
  const readOnly = { readOnlyHint: true, openWorldHint: false };

  server.registerTool(
    'status',
    {
      title: 'Project status',
      description:
        "What this project has deployed per app (when, images, source commit, drift), running dev/connect/intercept sessions and what they changed, and readiness; with a `kloop dev` session running, devSession is that session's live state (each dev target's phase, pod and its problem, syncs, ports, reload, logs; the apps it deployed; connect/intercept beside it).",
      inputSchema: { env: envArg },
      annotations: readOnly,
    },
    guard('status', false, async ({ env }: { env?: string }) => {
      const { projectStatus } = await import('../status/status.ts');
      const { liveSession } = await import('../ui/client.ts');
      const p = await project(env);
      const [status, devSession] = await Promise.all([
        withCluster(p, (c) => projectStatus(p, c)),
        liveSession(p.stateDir),
      ]);
      return devSession ? { ...status, devSession } : status;
    }),
  );

  server.registerTool(
    'render',
    {
      title: 'Render manifests',
      description:
        'Render the low-level manifests of the apps into a new temporary directory (one <app>.yaml per app plus metadata). Returns the paths and a summary (objects per app and kind, image rewrites, warnings); read the files for the YAML.',
      inputSchema: {
        env: envArg,
        apps: z.array(z.string()).optional().describe('apps to render (default: all)'),
        images: z
          .record(z.string(), z.string())
          .optional()
          .describe('image name → reference to pin instead of the computed tag'),
      },
      annotations: readOnly,
    },
    guard('render', false, async (a: { env?: string; apps?: string[]; images?: Record<string, string> }) => {
      const { render } = await import('../render/index.ts');
      const { writeOutDir } = await import('../render/output.ts');
      const p = await project(a.env);
      const result = await render(p, { apps: a.apps ?? [], images: a.images ?? {} });
      const dir = path.join(await mkdtemp(path.join(tmpdir(), 'kloop-mcp-render-')), 'render');
      const files = await writeOutDir(dir, result, { args: [...(a.apps ?? [])], outName: dir });
      return {
        dir,
        files: files.map((f) => path.resolve(dir, f)),
        apps: Object.fromEntries(
          result.apps.map((app) => {
            const kinds: Record<string, number> = {};
            for (const obj of app.objects) kinds[obj.kind] = (kinds[obj.kind] ?? 0) + 1;
            return [
              app.name,
              {
                namespace: app.namespace,
                objects: app.objects.length,
                kinds,
                imageRewrites: app.imageRewrites.map((r) => `${r.object} ${r.container}: ${r.to}`),
              },
            ];
          }),
        ),
        environment: result.metadata.kloop.environment ?? null,
        commit: result.metadata.drySha ?? null,
        warnings: result.warnings,
      };
    }),
  );

  server.registerTool(
    'diff',
    {
      title: 'Diff with the GitOps repository',
      description:
        "Compare what render produces for an environment with what that environment's GitOps repository holds (what `kloop promote` would change).",
      inputSchema: { env: z.string().describe('environment with a gitops: section') },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    guard('diff', false, async ({ env }: { env: string }) => {
      const { promote } = await import('../gitops/promote.ts');
      const p = await project(env);
      const r = await promote(p, { mode: 'diff', env: process.env });
      return { environment: r.environment, changed: r.changed, changes: r.changes, diff: r.summary };
    }),
  );

  server.registerTool(
    'logs',
    {
      title: 'Recent logs',
      description:
        'Recent log lines of a dev target or an app (default: every dev target), newest pods first; bounded by lines per container, total bytes and age. Never follows.',
      inputSchema: {
        env: envArg,
        target: z.string().optional().describe('dev target or app'),
        lines: z.number().int().min(1).max(5000).optional().describe('lines per container (default 100)'),
        sinceSeconds: z.number().int().min(1).optional().describe('only lines newer than this'),
        maxBytes: z.number().int().min(1024).max(1_048_576).optional().describe('bytes in all (default 65536)'),
        pods: z.number().int().min(1).max(10).optional().describe('pods per target, newest first (default 2)'),
      },
      annotations: readOnly,
    },
    guard(
      'logs',
      false,
      async (a: {
        env?: string;
        target?: string;
        lines?: number;
        sinceSeconds?: number;
        maxBytes?: number;
        pods?: number;
      }) => {
        const { recentLogs } = await import('./logs.ts');
        const p = await project(a.env);
        return withCluster(p, (c) =>
          recentLogs(c.client, p, {
            target: a.target,
            lines: a.lines ?? 100,
            sinceSeconds: a.sinceSeconds,
            maxBytes: a.maxBytes ?? 65_536,
            pods: a.pods ?? 2,
          }),
        );
      },
    ),
  );

  server.registerTool(
    'deploy',
    {
      title: 'Deploy',
      description:
        'Build, render, server-side apply and wait for readiness, dependencies first (kloop deploy). Needs --allow-changes.',
      inputSchema: {
        env: envArg,
        apps: z.array(z.string()).optional().describe('apps to deploy (default: all)'),
        skipBuild: z.boolean().optional().describe('do not build images'),
        images: z
          .record(z.string(), z.string())
          .optional()
          .describe('image name → reference to deploy instead of building'),
        timeout: z.string().optional().describe('readiness timeout, e.g. 5m'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    },
    guard(
      'deploy',
      true,
      async (a: {
        env?: string;
        apps?: string[];
        skipBuild?: boolean;
        images?: Record<string, string>;
        timeout?: string;
      }) => {
        const p = await project(a.env);
        return deployProject(p, {
          apps: a.apps ?? [],
          images: a.images ?? {},
          skipBuild: Boolean(a.skipBuild),
          forceConflicts: false,
          wait: true,
          timeout: a.timeout,
        });
      },
    ),
  );

  for (const action of ['restart', 'resync', 'rebuild'] as const) {
    const what = {
      restart: "restart the dev target's process (or run its onSync exec)",
      resync: "re-establish the dev target's sync, port-forwards and logs",
      rebuild: "build and redeploy the dev target's app now",
    }[action];
    server.registerTool(
      action,
      {
        title: `${action[0]!.toUpperCase()}${action.slice(1)} a dev target`,
        description: `In the running \`kloop dev\` session: ${what}, through the same action the dashboard's button runs. Needs --allow-changes.`,
        inputSchema: { target: z.string().describe('dev target of the running session') },
        annotations: { readOnlyHint: false, destructiveHint: false },
      },
      guard(action, true, async ({ target }: { target: string }) => {
        const { sessionAction } = await import('../ui/client.ts');
        const p = await project();
        await sessionAction(p.stateDir, action, target);
        return { action, target, done: true };
      }),
    );
  }

  server.registerTool(
    'purge',
    {
      title: 'Purge',
      description:
        'Delete everything kloop deployed for this project and environment (or only the given apps), and nothing else. Asks the user to confirm through the client; needs --allow-changes.',
      inputSchema: { env: envArg, apps: z.array(z.string()).optional().describe('apps to purge (default: all)') },
      annotations: { readOnlyHint: false, destructiveHint: true },
    },
    guard('purge', true, async (a: { env?: string; apps?: string[] }) => {
      const p = await project(a.env);
      if (!server.server.getClientCapabilities()?.elicitation)
        throw new KloopError(
          'purge needs the user to confirm, and this MCP client cannot ask (no elicitation support)',
          {
            hint: 'run `kloop purge` in a terminal instead',
          },
        );
      const scope = a.apps?.length ? `apps ${a.apps.join(', ')}` : 'every app';
      const answer = await server.server.elicitInput({
        mode: 'form',
        message: `Delete ${scope} of ${p.name} (environment ${environmentName(p)}, context ${p.cluster.context ?? 'current'}, namespace ${p.cluster.namespace}) from the cluster?`,
        requestedSchema: {
          type: 'object',
          properties: { confirm: { type: 'boolean', title: 'Delete', description: 'yes, purge it' } },
          required: ['confirm'],
        },
      });
      if (answer.action !== 'accept' || answer.content?.confirm !== true)
        return { purged: false, reason: `the user did not confirm (${answer.action}); nothing was deleted` };
      const { purgeProject } = await import('../deploy/purge.ts');
      const summary = await purgeProject(p, { apps: a.apps ?? [] });
      return { purged: true, ...summary };
    }),
  );
  return server;
}

/** Serves until stdin closes. Stray writes to stdout (a tool's output) go to stderr: stdout is the protocol's. */
export async function serveMcp(o: McpOptions): Promise<void> {
  const realWrite = process.stdout.write.bind(process.stdout) as (
    chunk: unknown,
    cb?: (e?: Error | null) => void,
  ) => boolean;
  const protocolOut = new Writable({
    write(chunk, _enc, cb) {
      realWrite(chunk, cb);
    },
  });
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const server = createMcpServer(o);
  const transport = new StdioServerTransport(process.stdin, protocolOut);
  await server.connect(transport);
  const closed = new Promise<void>((resolve) => {
    const previous = transport.onclose;
    transport.onclose = () => {
      previous?.();
      resolve();
    };
    process.stdin.once('end', () => resolve());
  });
  await closed;
  await server.close().catch(() => {});
}
