// Variable values, highest precedence first: --var, the process environment, the env file
// (the environment's envFile with --env, else the top-level envFile), then the declared default.
// The local envFile never feeds an environment's render: the caller passes only one env file.
import { registerSecret } from '../log/redact.ts';
import type { EnvEntry } from './env-file.ts';
import type { Variable, VariableSet } from './project.ts';
import type { VarSpec } from './schema.ts';

export interface VarProblem {
  /** key path in kloop.yaml */
  path: (string | number)[];
  message: string;
}

export interface VariableInputs {
  declared: Record<string, VarSpec>;
  envFile?: { path: string; entries: Map<string, EnvEntry> };
  flags: Record<string, string>;
  process: Record<string, string | undefined>;
  /** names how to set a variable in the error, e.g. "envs/staging.env" */
  envFileName?: string;
}

export function resolveVariables(inputs: VariableInputs): { vars: VariableSet; problems: VarProblem[] } {
  const own = new Map<string, Variable>();
  const problems: VarProblem[] = [];
  const names = new Set<string>([
    ...Object.keys(inputs.declared),
    ...(inputs.envFile ? inputs.envFile.entries.keys() : []),
    ...Object.keys(inputs.flags),
  ]);
  for (const name of names) {
    const raw = inputs.declared[name];
    const spec = typeof raw === 'string' ? { default: raw } : (raw ?? {});
    const secret = spec.secret === true;
    let variable: Variable | undefined;
    const flag = inputs.flags[name];
    const fromProcess = inputs.process[name];
    const fromFile = inputs.envFile?.entries.get(name);
    if (flag !== undefined) variable = { name, value: flag, secret, source: 'flag' };
    else if (fromProcess !== undefined) variable = { name, value: fromProcess, secret, source: 'process' };
    else if (fromFile)
      variable = { name, value: fromFile.value, secret, source: 'envFile', file: inputs.envFile?.path };
    else if (spec.default !== undefined) variable = { name, value: spec.default, secret, source: 'default' };
    if (variable) {
      own.set(name, Object.freeze(variable));
      if (secret) registerSecret(variable.value);
    } else if (spec.required) {
      const where = inputs.envFileName ? `set it in ${inputs.envFileName}, ` : '';
      problems.push({
        path: ['vars', name],
        message: `required variable ${name} has no value; ${where}export it in the environment or pass --var ${name}=VALUE`,
      });
    }
  }
  const snapshot = Object.freeze({ ...inputs.process });
  return { vars: Object.freeze({ own: freezeMap(own), process: snapshot }), problems };
}

/** Object.freeze does not stop Map.set: the resolved variables must not change after resolution. */
function freezeMap<K, V>(map: Map<K, V>): ReadonlyMap<K, V> {
  const refuse = () => {
    throw new TypeError('the resolved variables are read-only');
  };
  for (const method of ['set', 'delete', 'clear']) Object.defineProperty(map, method, { value: refuse });
  return Object.freeze(map);
}
