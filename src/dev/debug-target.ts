// A dev target under its debugger, as the session needs it: the plan from the workload as deployed
// (with the target's own patch applied), the overrides it adds to the dev patch, the forwarded
// port, which pods already run under the debugger, and the launch.json entries.
import path from 'node:path';
import type { ResolvedDevTarget } from '../config/project.ts';
import { KloopError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { findContainer, workloadPath } from '../kube/pods.ts';
import type { KubeObject } from '../kube/types.ts';
import { type ContainerFacts, type DebugPlan, planDebug } from './debug.ts';
import type { DevOverrides } from './dev-patch.ts';
import type { LaunchTarget } from './launch.ts';

type Container = ContainerFacts & { env?: Array<{ name: string; value?: string }> };

function pickContainer(t: ResolvedDevTarget, obj: KubeObject): Container {
  const containers: Container[] = obj.spec?.template?.spec?.containers ?? [];
  const c = findContainer(containers, t.container);
  if (!c) {
    throw new KloopError(`dev target "${t.name}": cannot tell which container of ${t.workload} to debug`, {
      hint: `name one with dev.${t.name}.container (${containers.map((x) => x.name).join(', ')})`,
    });
  }
  return c;
}

/** The debugger plan of a target, from its workload in the cluster and its own patch. */
export async function planTargetDebug(client: KubeClient, t: ResolvedDevTarget): Promise<DebugPlan> {
  if (!t.workload) {
    throw new KloopError(`dev target "${t.name}": --debug patches the workload, and the target names none`, {
      hint: 'set workload: <kind>/<name> (a labelSelector names no workload to patch)',
    });
  }
  const obj = await client.request<KubeObject>({ path: workloadPath(t.workload, t.namespace).path });
  const c = pickContainer(t, obj);
  const env = [...(c.env ?? [])];
  for (const [name, value] of Object.entries(t.patch?.env ?? {})) {
    const i = env.findIndex((e) => e.name === name);
    if (i >= 0) env[i] = { name, value };
    else env.push({ name, value });
  }
  const facts: ContainerFacts = {
    name: c.name,
    command: t.patch?.command ?? c.command,
    args: t.patch?.args ?? (t.patch?.command ? undefined : c.args),
    env,
  };
  return planDebug(t.name, t.workload, facts, t.debug ?? {});
}

/** The dev patch of a target with its debugger plan folded in. */
export function withDebug(overrides: DevOverrides, plan: DebugPlan | undefined): DevOverrides {
  if (!plan) return overrides;
  return {
    ...overrides,
    ...(plan.command ? { command: plan.command, args: plan.args ?? [] } : {}),
    ...(plan.env ? { env: { ...overrides.env, ...plan.env } } : {}),
  };
}

/** The target's port list with the debug port added (same number on both ends). */
export function withDebugPort(
  ports: ResolvedDevTarget['ports'],
  plan: DebugPlan | undefined,
): NonNullable<ResolvedDevTarget['ports']> {
  const list = [...(ports ?? [])];
  if (!plan?.port) return list;
  const taken = list.some((p) => Number(String(p).split(':')[0]) === plan.port);
  if (taken) {
    throw new KloopError(`the debug port ${plan.port} is already a forwarded port of this target`, {
      hint: 'set debug.port to another port',
    });
  }
  list.push(`${plan.port}:${plan.port}`);
  return list;
}

/** True when the pod's container runs under the plan (pods of the old template are no use). */
export function runsUnderDebugger(pod: KubeObject, container: string | undefined, plan: DebugPlan): boolean {
  const containers: Container[] = pod.spec?.containers ?? [];
  const c = findContainer(containers, container);
  if (!c) return false;
  for (const [name, value] of Object.entries(plan.env ?? {}))
    if (!c.env?.some((e) => e.name === name && e.value === value)) return false;
  if (plan.command) {
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    // the restart loop wraps the command: look for the plan's command at the end
    const want = plan.command;
    if (argv.length < want.length || want.some((w, i) => argv[argv.length - want.length + i] !== w)) return false;
  }
  return true;
}

export function launchTarget(root: string, t: ResolvedDevTarget, plan: DebugPlan): LaunchTarget {
  return {
    target: t.name,
    plan,
    sync: (t.sync ?? []).map((s) => ({ from: path.resolve(root, s.from), to: s.to })),
  };
}
