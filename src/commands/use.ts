// kloop use context|namespace: pick the kube context or namespace for this project. The choice
// is kept in <project>/.kloop/state.json; the kubeconfig is never changed.
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { GlobalOptions } from '../cli/options.ts';
import { clusterGet } from '../config/cluster-probe.ts';
import { readKubeconfig } from '../config/kubeconfig.ts';
import { findConfigFile, loadProject } from '../config/load.ts';
import { didYouMean } from '../config/problems.ts';
import { readState, writeState } from '../config/state.ts';
import { KloopError } from '../errors.ts';
import { describeDelivery } from '../images/load.ts';
import { colors, log } from '../log/logger.ts';

function stateDirOf(globals: GlobalOptions): string {
  return join(dirname(findConfigFile(globals.cwd, globals.config)), '.kloop');
}

function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && process.env.CI !== 'true';
}

/** A numbered list on stderr and a prompt; returns the chosen item. */
async function pick(what: string, items: string[], current: string | undefined): Promise<string> {
  items.forEach((item, i) => {
    log.info(`  ${String(i + 1).padStart(2)}) ${item}${item === current ? colors.dim(' (current)') : ''}`);
  });
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      const answer = (await rl.question(`${what} [1-${items.length}]: `)).trim();
      const n = Number(answer);
      if (Number.isInteger(n) && n >= 1 && n <= items.length) return items[n - 1] as string;
      if (items.includes(answer)) return answer;
      log.warn(`type a number from 1 to ${items.length}`);
    }
  } finally {
    rl.close();
  }
}

function list(items: string[], current: string | undefined): void {
  for (const item of items) process.stdout.write(`${item === current ? '*' : ' '} ${item}\n`);
}

export async function useContext(globals: GlobalOptions, name?: string): Promise<number> {
  const stateDir = stateDirOf(globals);
  const kubeconfig = readKubeconfig();
  const contexts = kubeconfig.contexts.map((c) => c.name);
  const current = readState(stateDir).context ?? kubeconfig.currentContext;
  if (name === undefined) {
    if (!contexts.length)
      throw new KloopError(`no contexts in ${kubeconfig.files.join(', ') || 'the kubeconfig (none found)'}`, {
        hint: 'set KUBECONFIG or create ~/.kube/config',
      });
    if (!interactive()) {
      list(contexts, current);
      return 0;
    }
    name = await pick('context', contexts, current);
  }
  if (!contexts.includes(name)) {
    throw new KloopError(`unknown kube context "${name}"${didYouMean(name, contexts)}`, {
      hint: contexts.length ? `known contexts: ${contexts.join(', ')}` : 'the kubeconfig has no contexts',
    });
  }
  writeState(stateDir, { context: name });
  log.success(`this project now uses context ${name} (kept in ${join(stateDir, 'state.json')})`);
  await explainDelivery(globals, name);
  return 0;
}

/** Which registry (if any) images go through for this context, and why. */
async function explainDelivery(globals: GlobalOptions, context: string): Promise<void> {
  let project: Awaited<ReturnType<typeof loadProject>>;
  try {
    project = await loadProject({ ...globals, kubeContext: context });
  } catch {
    return; // a config that does not load says so on the next command; the choice is kept
  }
  const images = Object.values(project.images).map((i) => ({ name: i.name, image: i.image }));
  for (const line of describeDelivery(project.build.load, context, images)) log.info(line);
}

export async function useNamespace(globals: GlobalOptions, name?: string): Promise<number> {
  const stateDir = stateDirOf(globals);
  const state = readState(stateDir);
  if (name === undefined) {
    const kubeconfig = readKubeconfig();
    const context = globals.kubeContext ?? state.context ?? kubeconfig.currentContext;
    const res = await clusterGet(kubeconfig, context, '/api/v1/namespaces');
    if (res.status !== 200)
      throw new KloopError(`listing namespaces on ${res.server} failed with HTTP ${res.status}`, {
        hint: 'pass the namespace name: kloop use namespace <name>',
      });
    const items = ((JSON.parse(res.body) as { items?: { metadata?: { name?: string } }[] }).items ?? [])
      .map((i) => i.metadata?.name)
      .filter((n): n is string => Boolean(n));
    const current = state.namespace ?? kubeconfig.contexts.find((c) => c.name === context)?.namespace ?? 'default';
    if (!interactive()) {
      list(items, current);
      return 0;
    }
    name = await pick('namespace', items, current);
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63)
    throw new KloopError(`"${name}" is not a valid namespace name`, {
      hint: 'lower case letters, digits and "-", at most 63 characters',
    });
  writeState(stateDir, { namespace: name });
  log.success(`this project now uses namespace ${name} (kept in ${join(stateDir, 'state.json')})`);
  return 0;
}
