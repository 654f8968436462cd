// The kloop.yaml text of a draft: the config, the dev targets that could only be suggested (as
// comments), and every note (not converted / converted differently) as a comment block at the end.

import { basename } from 'node:path';
import type { HookName } from '../config/schema.ts';
import { type DevIntent, type Draft, type Note, type Obj, repositoryOf, toName, uniqueKey } from './draft.ts';
import { stringifyYaml } from '../render/yaml.ts';
import { type Cluster, place } from './workloads.ts';

/** YAML through kloop's one writer for the cluster's reader: reads back the same under YAML 1.1 and 1.2. */
export function toYaml(value: unknown): string {
  return stringifyYaml(value);
}

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-[^}]*)?\}/g;

/** `${X}` of a shell command that kloop would not define is left for the shell: `$${X}`. */
export function shellSafe(command: string, declared: Record<string, unknown>): string {
  return command.replace(/(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}/g, (all, escaped, name, op) =>
    escaped || Object.hasOwn(declared, name) || op ? all : `$$\{${name}}`,
  );
}

/** Every `${NAME}` (without a default) in the strings of a value. */
export function references(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const m of value.matchAll(REF)) if (!m[2] && !value.slice(0, m.index).endsWith('$')) out.add(m[1] ?? '');
  } else if (Array.isArray(value)) for (const v of value) references(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      references(k, out);
      references(v, out);
    }
  return out;
}

/** The config object of a draft, without dev targets and hooks (which need the rendered apps to place). */
export function baseConfig(draft: Draft, project: string): Obj {
  const config: Obj = { version: 'v1', name: draft.name ?? project };
  config.envFile = draft.envFile ?? '.env';
  if (Object.keys(draft.vars).length) config.vars = draft.vars;
  if (Object.keys(draft.images).length) config.images = draft.images;
  if (Object.keys(draft.apps).length) config.apps = draft.apps;
  if (Object.keys(draft.dependencies).length) config.dependencies = draft.dependencies;
  return config;
}

/** Declares every variable the config and its written files reference. */
export function declareVariables(draft: Draft, envEntries: ReadonlySet<string>, extra: unknown[]): void {
  const refs = references([baseConfig(draft, 'x'), Object.values(draft.files), ...extra]);
  for (const name of [...refs].sort()) {
    if (Object.hasOwn(draft.vars, name)) continue;
    draft.vars[name] = envEntries.has(name)
      ? {}
      : {
          required: true,
          description: `referenced by ${draft.sources.join(', ')}; set it in the env file or pass --var ${name}=VALUE`,
        };
  }
  // a variable the source asked for but the converted config never uses (it fed a key that was not
  // converted) is declared, not required: kloop would otherwise refuse to run without it
  const { vars: _, ...rest } = baseConfig(draft, 'x');
  const text = JSON.stringify([rest, draft.files, draft.hooks, draft.commands, ...extra]);
  for (const [name, spec] of Object.entries(draft.vars)) {
    if (typeof spec === 'string' || !spec.required) continue;
    if (new RegExp(`\\$\\{?${name}\\b`).test(text)) continue;
    const { required: __, ...unrequired } = spec;
    draft.vars[name] = unrequired;
  }
}

export interface Assembled {
  config: Obj;
  /** dev targets that could not be placed on a workload, as YAML to uncomment */
  suggestions: Obj;
  notes: Note[];
}

export function assemble(draft: Draft, project: string, cluster: Cluster | string | undefined): Assembled {
  const config = baseConfig(draft, project);
  const notes = [...draft.notes];
  const dev: Record<string, Obj> = {};
  const suggestions: Record<string, Obj> = {};
  const source = draft.sources[0] ?? 'the source';
  for (const d of draft.dev) {
    const where = cluster ? place(cluster, d.select) : 'no apps to place it on';
    const name = uniqueKey(
      d.name ??
        (typeof where === 'string'
          ? toName(basename(repositoryOf(d.select.image ?? 'dev')))
          : (where.workload?.split('/')[1] ?? where.app)),
      {
        ...dev,
        ...suggestions,
      },
    );
    const body = targetBody(d, typeof where === 'string' ? undefined : where.portMap, draft.vars);
    if (typeof where === 'string') {
      suggestions[name] = {
        app: '<app>',
        ...(d.select.resource ? { workload: d.select.resource } : { workload: '<kind/name>' }),
        ...(d.select.container ? { container: d.select.container } : {}),
        ...body,
      };
      notes.push({
        file: source,
        path: d.origin,
        reason: `dev target ${name} is only a suggestion (commented out below): ${where}`,
      });
      continue;
    }
    const { portMap: _, ...placed } = where;
    // two source entries on the same container (a sync and a port-forward) are one kloop target
    const same = Object.values(dev).find(
      (t) =>
        t.app === placed.app &&
        t.workload === placed.workload &&
        t.container === placed.container &&
        JSON.stringify(t.labelSelector) === JSON.stringify(placed.labelSelector),
    );
    if (same) {
      for (const [k, v] of Object.entries(body))
        same[k] = Array.isArray(v) && Array.isArray(same[k]) ? [...(same[k] as unknown[]), ...v] : (same[k] ?? v);
      continue;
    }
    dev[name] = { ...placed, ...body };
  }
  if (Object.keys(dev).length) config.dev = dev;

  const hooks: Partial<Record<HookName, unknown[]>> = {};
  for (const h of draft.hooks) {
    const command = shellSafe(h.command, draft.vars);
    if (!h.select) {
      hooks[h.hook] = [...(hooks[h.hook] ?? []), command];
      continue;
    }
    const where = cluster ? place(cluster, h.select) : 'no apps to place it on';
    if (typeof where === 'string') {
      notes.push({
        file: source,
        path: h.origin,
        reason: `the container hook \`${h.command}\` is not converted: ${where}`,
      });
      continue;
    }
    const { portMap: _, ...placed } = where;
    hooks[h.hook] = [...(hooks[h.hook] ?? []), { container: { ...placed, command } }];
  }
  if (Object.keys(hooks).length) config.hooks = hooks;
  if (Object.keys(draft.commands).length)
    config.commands = Object.fromEntries(
      Object.entries(draft.commands).map(([k, c]) => [
        k,
        typeof c === 'string' ? shellSafe(c, draft.vars) : { ...c, run: shellSafe(c.run, draft.vars) },
      ]),
    );
  if (Object.keys(draft.environments).length) config.environments = draft.environments;
  return { config, suggestions, notes };
}

function targetBody(d: DevIntent, portMap: Map<number, number> | undefined, vars: Record<string, unknown>): Obj {
  const body: Obj = {};
  if (d.sync?.length) body.sync = d.sync;
  if (d.onSync) body.onSync = typeof d.onSync === 'string' ? d.onSync : { exec: shellSafe(d.onSync.exec, vars) };
  if (d.rebuild?.length) body.rebuild = d.rebuild;
  if (d.patch) body.patch = d.patch;
  if (d.ports?.length) body.ports = d.ports.map((p) => `${p.local}:${portMap?.get(p.remote) ?? p.remote}`);
  if (d.open) body.open = d.open;
  return body;
}

const comment = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => (l ? `# ${l}` : '#'))
    .join('\n');

export function configText(a: Assembled, schemaRef: string | undefined, sources: string[]): string {
  const parts = [
    ...(schemaRef ? [`# yaml-language-server: $schema=${schemaRef}`] : []),
    '# Written by `kloop init`. Every key is described in docs/config.md of kloop.',
    ...(sources.length ? [`# Converted from ${sources.join(' and ')}; see docs/migrating.md of kloop.`] : []),
    toYaml(a.config).trimEnd(),
  ];
  if (!a.config.apps)
    parts.push(
      comment(
        'No Helm chart, kustomization or manifest directory was found. Add your apps, e.g.:\napps:\n  web:\n    manifests: [deploy/*.yaml]',
      ),
    );
  if (Object.keys(a.suggestions).length)
    parts.push(
      '',
      comment(
        `Dev targets kloop could not place on a workload; fill in app and workload, then uncomment:\n${toYaml({ dev: a.suggestions })}`,
      ),
    );
  else if (!a.config.dev) {
    const app = Object.keys((a.config.apps as Obj | undefined) ?? {})[0] ?? 'web';
    parts.push(
      '',
      comment(
        `A dev target syncs files into a running container and forwards ports, e.g.:\ndev:\n  ${app}:\n    app: ${app}\n    workload: deployment/${app}\n    sync: [{ from: src, to: /app }]\n    ports: ["8080:8080"]`,
      ),
    );
  }
  if (a.notes.length)
    parts.push(
      '',
      comment(`Not converted, or converted with a difference (${a.notes.length}):\n${noteLines(a.notes).join('\n')}`),
    );
  return `${parts.join('\n')}\n`;
}

export function noteLines(notes: Note[]): string[] {
  return notes.map((n) => `- ${n.file}: ${n.path}: ${n.reason}`.replace(/\s*\n\s*/g, ' '));
}
