// The names `kloop __complete <kind> [prefix]` prints for the shell, one per line as
// "name<TAB>description". kloop.yaml is read as plain YAML, without resolving variables (a value
// that needs a missing variable must not stop TAB from offering app names); the cluster is asked
// with a short timeout. Any failure prints nothing: completion never shows an error.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { findConfigFile } from '../config/load.ts';
import { readKubeconfig } from '../config/kubeconfig.ts';
import { readState } from '../config/state.ts';
import type { DynamicKind } from './spec.ts';

export interface CompleteContext {
  cwd: string;
  config?: string;
  env?: string;
  kubeContext?: string;
  processEnv: Record<string, string | undefined>;
  /** cluster requests give up after this (default 1.5 s) */
  timeoutMs?: number;
}

type Entry = [name: string, description: string];
type Raw = Record<string, unknown>;

const map = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const text = (v: unknown) => (typeof v === 'string' ? v : '');

function readConfig(ctx: CompleteContext): { doc: Raw; file: string } | undefined {
  try {
    const file = findConfigFile(ctx.cwd, ctx.config);
    return { doc: map(parse(readFileSync(file, 'utf8'))), file };
  } catch {
    return undefined;
  }
}

function appEntries(doc: Raw): Entry[] {
  return Object.entries(map(doc.apps)).map(([name, a]) => {
    const app = map(a);
    const what = [app.helm ? 'helm' : '', app.kustomize ? 'kustomize' : '', app.manifests ? 'manifests' : '']
      .filter(Boolean)
      .join(' + ');
    return [name, `app${what ? ` (${what})` : ''}`];
  });
}

function targetEntries(doc: Raw): Entry[] {
  return Object.entries(map(doc.dev)).map(([name, t]) => [name, `dev target of app ${text(map(t).app) || '?'}`]);
}

/** The kube context the project would use: --kube-context, the environment's, `kloop use`, the current one. */
function projectContext(ctx: CompleteContext, config: { doc: Raw; file: string } | undefined): string | undefined {
  if (ctx.kubeContext) return ctx.kubeContext;
  if (config && ctx.env) {
    const fromEnv = text(map(map(config.doc.environments)[ctx.env]).kubeContext);
    if (fromEnv && !fromEnv.includes('$')) return fromEnv;
  }
  if (config) {
    try {
      const state = readState(join(dirname(config.file), '.kloop'));
      if (state.context) return state.context;
    } catch {
      // a damaged state file: the kubeconfig's current context
    }
  }
  return undefined;
}

async function namespaces(ctx: CompleteContext): Promise<Entry[]> {
  const { connect } = await import('../kube/client.ts');
  const context = projectContext(ctx, readConfig(ctx));
  const client = await connect({ ...(context ? { context } : {}), env: ctx.processEnv });
  try {
    const list = await client.request<{ items?: { metadata?: { name?: string } }[] }>({
      path: '/api/v1/namespaces',
      timeout: ctx.timeoutMs ?? 1_500,
    });
    return (list.items ?? []).map((n) => [n.metadata?.name ?? '', `namespace in ${client.context}`]);
  } finally {
    client.close();
  }
}

export async function completionValues(kind: DynamicKind, ctx: CompleteContext): Promise<Entry[]> {
  if (kind === 'contexts') {
    return readKubeconfig(ctx.processEnv).contexts.map((c) => [
      c.name,
      `kube context${c.cluster ? ` (cluster ${c.cluster}${c.namespace ? `, namespace ${c.namespace}` : ''})` : ''}`,
    ]);
  }
  if (kind === 'namespaces') return namespaces(ctx);
  const config = readConfig(ctx);
  if (!config) return [];
  const { doc } = config;
  switch (kind) {
    case 'apps':
      return appEntries(doc);
    case 'targets':
      return targetEntries(doc);
    case 'targets-and-apps': {
      const targets = targetEntries(doc);
      const seen = new Set(targets.map(([n]) => n));
      return [...targets, ...appEntries(doc).filter(([n]) => !seen.has(n))];
    }
    case 'images':
      return Object.entries(map(doc.images)).map(([name, i]) => [name, `image ${text(map(i).image)}`.trim()]);
    case 'environments':
      return Object.entries(map(doc.environments)).map(([name, e]) => {
        const context = text(map(e).kubeContext);
        return [name, `environment${context ? ` (context ${context})` : ''}`];
      });
    case 'commands':
      return Object.entries(map(doc.commands)).map(([name, c]) => [
        name,
        typeof c === 'string' ? c : text(map(c).description) || text(map(c).run),
      ]);
    case 'vars':
      return Object.entries(map(doc.vars)).map(([name, v]) => [
        name,
        map(v).secret === true ? 'secret variable' : 'variable',
      ]);
  }
  return [];
}

/** The lines `kloop __complete` prints: names starting with the prefix; nothing at all on any failure. */
export async function completionLines(kind: string, prefix: string, ctx: CompleteContext): Promise<string> {
  const { DYNAMIC_KINDS } = await import('./spec.ts');
  if (!(DYNAMIC_KINDS as readonly string[]).includes(kind)) return '';
  try {
    const entries = await completionValues(kind as DynamicKind, ctx);
    const lines = entries
      .filter(([name]) => name !== '' && name.startsWith(prefix))
      .map(([name, desc]) => `${name}\t${desc.replace(/\s+/g, ' ')}`);
    return lines.length ? `${lines.join('\n')}\n` : '';
  } catch {
    return '';
  }
}
