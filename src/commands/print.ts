// kloop print: the resolved configuration for the chosen environment, secrets redacted.
import type { GlobalOptions } from '../cli/options.ts';
import { loadProject } from '../config/load.ts';
import type { Project } from '../config/project.ts';
import { REDACTED, redactValue } from '../log/redact.ts';
import { stringifyYaml } from '../render/yaml.ts';

/** What print shows: the project without the process environment; secret values replaced. */
export function printable(project: Project): Record<string, unknown> {
  const vars: Record<string, { value: string; source: string; secret?: true; file?: string }> = {};
  for (const v of [...project.vars.own.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    vars[v.name] = {
      value: v.secret ? REDACTED : v.value,
      source: v.source,
      ...(v.file ? { file: v.file } : {}),
      ...(v.secret ? { secret: true as const } : {}),
    };
  }
  const { vars: _vars, environment, ...rest } = project;
  // every other string passes the redaction point too: a secret substituted into a value is hidden there
  return redactValue({
    name: rest.name,
    configFile: rest.configFile,
    environment: environment?.name ?? null,
    cluster: rest.cluster,
    vars,
    ...Object.fromEntries(Object.entries(rest).filter(([k]) => !['name', 'configFile', 'cluster'].includes(k))),
  });
}

export async function run(globals: GlobalOptions): Promise<number> {
  const project = await loadProject(globals);
  const view = printable(project);
  process.stdout.write(globals.output === 'json' ? `${JSON.stringify(view, null, 2)}\n` : stringifyYaml(view));
  return 0;
}
