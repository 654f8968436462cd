// kloop render [app...] [--out DIR|-] [--image NAME=REF] [--validate=false] [--no-cache]
// Runs the beforeRender hooks, render(), writes the result, then the afterRender hooks.
import path from 'node:path';
import type { GlobalOptions } from '../cli/options.ts';
import { loadProject } from '../config/load.ts';
import { buildAndRender } from '../pipeline/pipeline.ts';
import { UsageError } from '../errors.ts';
import { log } from '../log/logger.ts';
import { writeOutDir } from '../render/output.ts';

export interface RenderCommandOptions {
  out?: string;
  image?: string[];
  validate?: string;
  cache?: boolean;
}

export function parseImages(values: readonly string[]): Record<string, string> {
  const images: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1)
      throw new UsageError(`--image ${v}: expected NAME=REF`, 'e.g. --image web=registry.example.com/shop/web:1.2.3');
    images[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return images;
}

export function parseBool(flag: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new UsageError(`${flag}=${value}: expected true or false`);
}

/** The flags that reproduce a render (variables by name only: their values may be secret or local). */
function reproduceArgs(globals: GlobalOptions, apps: readonly string[], images: Record<string, string>): string[] {
  const args = [...apps];
  if (globals.env) args.push('--env', globals.env);
  if (globals.namespace) args.push('--namespace', globals.namespace);
  for (const [k, v] of Object.entries(images)) args.push('--image', `${k}=${v}`);
  for (const k of Object.keys(globals.vars)) args.push('--var', `${k}=...`);
  return args;
}

export async function run(
  globals: GlobalOptions,
  apps: string[] = [],
  opts: RenderCommandOptions = {},
): Promise<number> {
  const images = parseImages(opts.image ?? []);
  const validate = parseBool('--validate', opts.validate, true);
  const project = await loadProject(globals);
  const toStdout = opts.out === undefined || opts.out === '-';
  const hookEnv: Record<string, string> = toStdout ? {} : { KLOOP_RENDER_OUT: path.resolve(globals.cwd, opts.out!) };
  let files: string[] | undefined;
  const result = await buildAndRender(project, {
    apps,
    images,
    validate,
    cache: opts.cache !== false,
    sourceInfo: !toStdout || globals.output === 'json',
    hookEnv,
    output: async (result) => {
      for (const app of result.apps) {
        for (const r of app.imageRewrites)
          log.step(`${app.name}: ${r.object} container ${r.container}: ${r.from} → ${r.to}`);
      }
      for (const w of result.warnings) log.warn(w);
      if (!toStdout) {
        files = await writeOutDir(path.resolve(globals.cwd, opts.out!), result, {
          args: reproduceArgs(globals, apps, images),
          outName: opts.out!,
        });
      } else if (globals.output === 'json') {
        const byApp = Object.fromEntries(
          result.apps.map((a) => [
            a.name,
            { namespace: a.namespace, objects: a.objects, imageRewrites: a.imageRewrites },
          ]),
        );
        process.stdout.write(
          `${JSON.stringify({ apps: byApp, metadata: result.metadata, warnings: result.warnings }, null, 2)}\n`,
        );
      } else {
        process.stdout.write(
          result.apps
            .map((a) => a.yaml)
            .filter(Boolean)
            .join('---\n'),
        );
      }
    },
  });
  // written out: said once afterRender has passed too
  if (files) {
    if (globals.output === 'json') {
      process.stdout.write(`${JSON.stringify({ out: opts.out, files, metadata: result.metadata }, null, 2)}\n`);
    } else {
      const count = result.apps.reduce((n, a) => n + a.objects.length, 0);
      log.success(`rendered ${result.apps.length} app(s), ${count} object(s) into ${opts.out}`);
    }
  }
  return 0;
}
