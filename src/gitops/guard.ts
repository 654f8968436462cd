// The secret guard: nothing secret reaches the GitOps repository. A plain Secret with data is
// refused (SOPS-encrypted ones carry `sops:` metadata and pass; SealedSecret, ExternalSecret and
// other references are not Secrets and pass); so is any value of a variable declared secret,
// verbatim or base64-encoded, anywhere in any object.
import type { VariableSet } from '../config/project.ts';
import { KloopError } from '../errors.ts';
import type { RenderedApp } from '../render/index.ts';
import { describe } from '../render/objects.ts';

export function secretProblems(apps: readonly RenderedApp[], vars: VariableSet): string[] {
  const secrets = [...vars.own.values()].filter((v) => v.secret && v.value.length >= 3);
  const needles = secrets.flatMap((v) => [
    { name: v.name, text: v.value, how: '' },
    { name: v.name, text: Buffer.from(v.value).toString('base64'), how: ' (base64-encoded)' },
  ]);
  const problems: string[] = [];
  for (const app of apps) {
    for (const o of app.objects) {
      const where = `app ${app.name}, ${describe(o)}`;
      if (o.kind === 'Secret' && o.apiVersion === 'v1' && !('sops' in o)) {
        for (const field of ['data', 'stringData'] as const) {
          const data = o[field];
          if (data && typeof data === 'object')
            for (const k of Object.keys(data)) problems.push(`${where}: ${field}.${k} is plain Secret data`);
        }
      }
      if (needles.length === 0) continue;
      walk(o, '', (p, value) => {
        for (const n of needles)
          if (value.includes(n.text))
            problems.push(`${where}: ${p || '(root)'} holds the secret variable ${n.name}${n.how}`);
      });
    }
  }
  return problems;
}

function walk(value: unknown, at: string, visit: (path: string, value: string) => void): void {
  if (typeof value === 'string') visit(at, value);
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) walk(v, `${at}[${i}]`, visit);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      visit(at ? `${at}.${k} (key)` : `${k} (key)`, k);
      walk(v, at ? `${at}.${k}` : k, visit);
    }
}

export function assertNoSecrets(apps: readonly RenderedApp[], vars: VariableSet, env: string): void {
  const problems = secretProblems(apps, vars);
  if (problems.length === 0) return;
  throw new KloopError(`refusing to promote to ${env}: ${problems[0]}`, {
    details: problems.slice(1),
    hint: 'keep secrets out of the GitOps repository: encrypt the Secret with SOPS, or use an ExternalSecret or SealedSecret, and do not template secret variables into manifests',
  });
}
