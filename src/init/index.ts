// kloop init: scan the repository, convert a devspace.yaml / skaffold.yaml / compose file when
// there is one, place dev targets on the rendered workloads, and return the files to write.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { LoadInput } from '../config/project.ts';
import { parseEnvFile } from '../config/env-file.ts';
import { KloopError } from '../errors.ts';
import { composeLeftoverReason, convertCompose } from './compose.ts';
import { convertDevspace } from './devspace.ts';
import { type Draft, emptyDraft, type Note, toName } from './draft.ts';
import { posix } from './paths.ts';
import { pruneMissing } from './prune.ts';
import { CONFIG_FILES, type Scanned, scan, scannedIntoDraft } from './scan.ts';
import { convertSkaffold } from './skaffold.ts';
import type { Source } from './source.ts';
import { assemble, baseConfig, configText, declareVariables, toYaml } from './write.ts';
import { renderDraft } from './workloads.ts';

export type Tool = 'devspace' | 'skaffold' | 'compose';

export interface InitResult {
  text: string;
  /** further files (values, env files), relative to the root */
  files: Record<string, string>;
  found: Scanned;
  converted: string[];
  notes: Note[];
}

function toolOf(file: string, docs: unknown[]): Tool | undefined {
  const known = CONFIG_FILES.find((c) => c.file === basename(file));
  if (known) return known.tool;
  const first = (docs[0] ?? {}) as Record<string, unknown>;
  if (typeof first.apiVersion === 'string' && first.apiVersion.startsWith('skaffold/')) return 'skaffold';
  if (typeof first.version === 'string' && /^v\d+beta\d+$/.test(first.version)) return 'devspace';
  if (first.services && typeof first.services === 'object') return 'compose';
  return undefined;
}

function readDocs(abs: string, display: string): unknown[] {
  const text = readFileSync(abs, 'utf8');
  // merge keys (<<: *common) are YAML the Go tools read; the yaml library needs to be told
  const docs = parseAllDocuments(text, { merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    const e = d.errors[0];
    if (e) {
      const pos = e.linePos?.[0];
      throw new KloopError(`${display}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`, {
        hint: 'fix the YAML (the source tool would reject it too), then run kloop init again',
      });
    }
  }
  return list.map((d) => d.toJS()).filter((d) => d !== null && d !== undefined);
}

/**
 * Converts and writes the extra files (values, env files) the config names, so the config can be
 * loaded and rendered; they are removed again when anything fails (nothing half-written).
 */
export async function initProject(
  root: string,
  project: string,
  globals: LoadInput,
  options: { from?: string; schemaRef?: string; name?: string; force?: boolean; depth?: number },
): Promise<InitResult> {
  const found = scan(root);
  const draft: Draft = emptyDraft();
  const sources: Source[] = [];
  let chosen: { tool: Tool; file: string }[];
  if (options.from) {
    const abs = resolve(globals.cwd, options.from);
    if (!existsSync(abs)) throw new KloopError(`--from ${options.from}: no such file`);
    chosen = [{ tool: 'devspace', file: posix(relative(root, abs)) }];
  } else chosen = found.configs.slice(0, 1);
  for (const c of found.configs.slice(chosen.length))
    if (!chosen.some((x) => x.file === c.file))
      draft.notes.push({
        file: c.file,
        path: '(whole file)',
        reason: `not converted: kloop init converts one config; run \`kloop init --force --from ${c.file}\` to convert this one instead`,
      });

  let leftoverReason: string | undefined;
  for (const c of chosen) {
    const abs = resolve(root, c.file);
    const docs = readDocs(abs, c.file);
    const tool = options.from ? toolOf(c.file, docs) : c.tool;
    if (!tool)
      throw new KloopError(
        `--from ${options.from}: not a devspace.yaml, skaffold.yaml or compose file kloop init knows`,
        {
          hint: 'DevSpace configs have version: v1beta10|v1beta11|v2beta1, Skaffold configs apiVersion: skaffold/..., compose files services:',
        },
      );
    if (tool === 'devspace') sources.push(convertDevspace(root, c.file, docs[0] ?? {}, draft));
    else if (tool === 'skaffold') sources.push(...convertSkaffold(root, c.file, docs, draft));
    else {
      sources.push(convertCompose(c.file, docs[0] ?? {}, draft, project));
      leftoverReason = composeLeftoverReason;
    }
  }
  if (options.name) draft.name = project;
  const name = draft.name ?? project;
  scannedIntoDraft(root, name, found, draft, draft.sources.length === 0);
  pruneMissing(root, draft);
  for (const s of sources) draft.notes.push(...s.notes, ...s.leftovers(leftoverReason));
  const converted = await convertDependencies(root, globals, options, draft);

  if (found.envFile) draft.envFile = found.envFile;
  const envEntries = new Set<string>();
  if (found.envFile) {
    try {
      for (const k of parseEnvFile(readFileSync(join(root, found.envFile), 'utf8'), found.envFile).keys())
        envEntries.add(k);
    } catch {
      // an unreadable env file is reported by kloop print, not here
    }
  }
  declareVariables(draft, envEntries, [draft.dev, draft.hooks.filter((h) => h.select).map((h) => h.select)]);

  const files: Record<string, string> = { ...converted };
  for (const [f, content] of Object.entries(draft.files))
    files[f] = typeof content === 'string' ? content : toYaml(content);
  const written: string[] = [];
  try {
    for (const f of Object.keys(files))
      if (existsSync(join(root, f)) && !options.force)
        throw new KloopError(`${f} already exists`, { hint: 'pass --force to overwrite it' });
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      writeFileSync(join(root, f), text);
      written.push(join(root, f));
    }
    return await finish(root, name, globals, options, draft, found, envEntries, files);
  } catch (error) {
    for (const f of written) rmSync(f, { force: true });
    throw error;
  }
}

async function finish(
  root: string,
  name: string,
  globals: LoadInput,
  options: { schemaRef?: string },
  draft: Draft,
  found: Scanned,
  envEntries: Set<string>,
  files: Record<string, string>,
): Promise<InitResult> {
  const needsPlacing = draft.dev.length > 0 || draft.hooks.some((h) => h.select);
  let cluster: Awaited<ReturnType<typeof renderDraft>> | undefined;
  if (needsPlacing && Object.keys(draft.apps).length) {
    const placeholders = Object.fromEntries(
      Object.entries(draft.vars)
        .filter(([k, v]) => typeof v !== 'string' && v.default === undefined && !envEntries.has(k))
        .map(([k]) => [k, `kloop-init-${k.toLowerCase().replace(/_/g, '-')}`]),
    );
    const probe = `${JSON.stringify(baseConfig(draft, name))}\n`;
    cluster = await renderDraft(probe, join(root, 'kloop.yaml'), globals, placeholders);
  }
  const assembled = assemble(draft, name, cluster);
  return {
    text: configText(assembled, options.schemaRef, draft.sources),
    files,
    found,
    converted: draft.sources,
    notes: assembled.notes,
  };
}

/**
 * A path dependency needs a kloop.yaml of its own: one with a devspace.yaml, skaffold.yaml or compose
 * file of its own is converted too (its files are returned, relative to root); one with nothing to
 * convert is left out, with a note.
 */
async function convertDependencies(
  root: string,
  globals: LoadInput,
  options: { schemaRef?: string; force?: boolean; depth?: number },
  draft: Draft,
): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const [name, dep] of Object.entries(draft.dependencies)) {
    if (typeof dep.path !== 'string') continue;
    const dir = resolve(root, dep.path);
    if (existsSync(join(dir, 'kloop.yaml')) || existsSync(join(dir, 'kloop.yml'))) continue;
    const hasConfig = CONFIG_FILES.some((c) => existsSync(join(dir, c.file)));
    const inside = !relative(root, dir).startsWith('..');
    if (!hasConfig || !inside || (options.depth ?? 0) >= 3) {
      delete draft.dependencies[name];
      draft.notes.push({
        file: draft.sources[0] ?? dep.path,
        path: `dependency ${name}`,
        reason: `${dep.path} has no kloop.yaml${hasConfig ? ' and is outside this project' : ' and nothing kloop init converts'}: run \`kloop init\` there, then add it under dependencies:`,
      });
      continue;
    }
    const sub = await initProject(
      dir,
      toName(basename(dir)),
      { ...globals, cwd: dir },
      {
        force: options.force,
        depth: (options.depth ?? 0) + 1,
        schemaRef:
          options.schemaRef && !isAbsolute(options.schemaRef)
            ? posix(join(relative(dir, root), options.schemaRef))
            : options.schemaRef,
      },
    );
    const prefix = posix(relative(root, dir));
    files[`${prefix}/kloop.yaml`] = sub.text;
    for (const [f, text] of Object.entries(sub.files)) files[`${prefix}/${f}`] = text;
    draft.notes.push({
      file: `${prefix}/kloop.yaml`,
      path: `dependency ${name}`,
      reason: `converted too (from ${sub.converted.join(', ')}); its own notes are at the end of that file`,
    });
  }
  return files;
}
