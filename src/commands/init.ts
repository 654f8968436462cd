// kloop init: writes a kloop.yaml from what is found in the directory (converting a devspace.yaml,
// skaffold.yaml or compose file when there is one) and adds kloop's local files to .gitignore.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { GlobalOptions } from '../cli/options.ts';
import { installedSchemaPath } from '../config/json-schema.ts';
import { loadConfig } from '../config/load-text.ts';
import { KloopError } from '../errors.ts';
import { toName } from '../init/draft.ts';
import { initProject } from '../init/index.ts';
import { noteLines } from '../init/write.ts';
import { log } from '../log/logger.ts';

export { toName };

export interface InitOptions {
  force?: boolean;
  name?: string;
  from?: string;
}

/** The schema relative to the project when kloop is installed in or near it, else its absolute path. */
function schemaRef(root: string, schema: string): string {
  const rel = relative(root, schema);
  return rel.split('/').filter((p) => p === '..').length <= 2 ? rel : schema;
}

/** Adds entries to .gitignore that are not there yet; returns the ones added. */
export function ensureGitignore(dir: string, entries: string[]): string[] {
  const file = join(dir, '.gitignore');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const present = new Set(text.split(/\r?\n/).map((l) => l.trim().replace(/^\//, '')));
  const missing = entries.filter((e) => !present.has(e) && !present.has(e.replace(/\/$/, '')));
  if (missing.length) {
    const prefix = text === '' || text.endsWith('\n') ? '' : '\n';
    writeFileSync(file, `${text}${prefix}# kloop: local state and values\n${missing.join('\n')}\n`);
  }
  return missing;
}

export async function run(globals: GlobalOptions, options: InitOptions = {}): Promise<number> {
  const dir = resolve(globals.cwd);
  const file = globals.config ? resolve(dir, globals.config) : join(dir, 'kloop.yaml');
  const root = dirname(file);
  if (existsSync(file) && !options.force) {
    throw new KloopError(`${relative(dir, file) || file} already exists`, {
      hint: 'pass --force to overwrite it',
    });
  }
  const project = toName(options.name ?? basename(root));
  if (options.name && project !== options.name)
    throw new KloopError(`--name ${options.name} is not a valid project name`, {
      hint: `use lower case letters, digits and "-", e.g. ${project}`,
    });
  const schema = installedSchemaPath();
  const result = await initProject(root, project, globals, {
    from: options.from,
    name: options.name,
    force: options.force,
    schemaRef: schema ? schemaRef(root, schema) : undefined,
  });
  // the result must load (values aside): a failure here is a bug in init, reported with the text
  try {
    loadConfig(result.text, file, { ...globals, env: undefined, vars: {} }, { env: {} });
  } catch (error) {
    const problems = [(error as Error).message, ...((error as KloopError).details ?? [])];
    const onlyValues = problems.slice(1).length
      ? problems.slice(1).every((d) => /undefined variable|required variable/.test(d))
      : /undefined variable|required variable/.test(problems[0] ?? '');
    if (!onlyValues) {
      for (const f of Object.keys(result.files)) rmSync(join(root, f), { force: true });
      throw new KloopError(`kloop init produced a kloop.yaml that does not load: ${(error as Error).message}`, {
        details: [...problems.slice(1), result.text],
        hint: 'this is a bug in kloop init; please report it with the details above',
      });
    }
  }
  writeFileSync(file, result.text);
  const added = ensureGitignore(root, ['.kloop/', '.env']);
  log.success(
    `wrote ${relative(dir, file) || file}${Object.keys(result.files).length ? ` and ${Object.keys(result.files).join(', ')}` : ''}`,
  );
  const found = result.found;
  const summary: [string, string[]][] = [
    ['converted', result.converted],
    ['Dockerfiles', found.dockerfiles],
    ['Helm charts', found.charts],
    ['kustomizations', found.kustomizations],
    ['kustomize components (not apps)', found.components],
    ['manifest directories', found.manifestDirs],
  ];
  for (const [what, list] of summary) if (list.length) log.info(`  ${what}: ${list.join(', ')}`);
  if (added.length) log.info(`  added to .gitignore: ${added.join(', ')}`);
  if (result.notes.length) {
    log.info(`not converted, or converted with a difference (also listed at the end of ${basename(file)}):`);
    for (const line of noteLines(result.notes)) log.info(`  ${line}`);
  }
  log.info('next: check it with `kloop print`, then `kloop doctor`');
  return 0;
}
