// kloop status: what this project has deployed (when, images, source commit, drift), which
// sessions run and what they changed, and readiness. Exit 0 when every app is deployed and ready.
import type { GlobalOptions } from '../cli/options.ts';
import { loadProject } from '../config/load.ts';
import { openConnection } from '../deploy/deploy.ts';
import { colors } from '../log/logger.ts';
import { redact, redactValue } from '../log/redact.ts';
import { type AppStatus, projectStatus, type StatusReport } from '../status/status.ts';

function when(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '?';
}

function appLines(a: AppStatus): string[] {
  const lines: string[] = [];
  const head = colors.bold(a.name);
  if (!a.deployed) return [`${head}: ${colors.yellow('not deployed')} (namespace ${a.namespace})`];
  const last = a.last;
  const images = Object.entries(last?.images ?? {})
    .map(([n, r]) => `${n}=${r}`)
    .join(', ');
  const source = last?.source?.commit
    ? `commit ${last.source.commit.slice(0, 12)}${last.source.dirty ? ' (uncommitted changes)' : ''}`
    : '';
  lines.push(
    `${head}: deployed ${last ? `${when(last.at)}${last.by ? ` by ${last.by}` : ''}` : '(no deploy record)'}${a.removedFromConfig ? colors.yellow(' — no longer in kloop.yaml') : ''}`,
  );
  if (images || source) lines.push(`  ${[images && `images ${images}`, source].filter(Boolean).join(' · ')}`);
  const drift =
    a.drift.state === 'none'
      ? colors.green('no drift')
      : a.drift.state === 'drifted'
        ? colors.red(`drift in ${a.drift.objects.filter((d) => !d.bySession).length} object(s)`)
        : colors.yellow(`drift unknown: ${a.drift.reason ?? ''}`);
  const ready = a.workloads.length
    ? a.ready
      ? colors.green('ready')
      : colors.red('not ready')
    : colors.green('ready (no workloads)');
  lines.push(
    `  ${a.objects} objects · ${drift}${a.outdated ? colors.yellow(' · outdated: the sources changed since') : ''} · ${ready}`,
  );
  for (const d of a.drift.objects)
    lines.push(
      `    ${d.object}: ${d.kind}${d.by.length ? ` by ${d.by.join(', ')}` : ''}${d.bySession ? ' (on purpose; restored when it ends)' : ''}`,
    );
  for (const w of a.workloads) if (!w.ready) lines.push(`    ${w.object}: ${w.message}`);
  return lines;
}

export function formatStatus(r: StatusReport): string {
  const lines = [
    `${colors.bold(r.project)} · environment ${r.environment} · context ${r.context} · namespace ${r.namespace}`,
  ];
  for (const a of Object.values(r.apps)) lines.push(...appLines(a));
  if (r.sessions.length) {
    lines.push(colors.bold('sessions:'));
    for (const s of r.sessions) lines.push(`  ${s.summary}${s.dashboard ? ` · dashboard ${s.dashboard}` : ''}`);
  } else lines.push(colors.dim('no dev, connect or intercept session running'));
  if (r.changes.length) {
    lines.push(colors.bold('changed outside an apply:'));
    for (const c of r.changes) {
      const owner = c.untilPurge
        ? 'until purge'
        : c.ownerRunning
          ? `by pid ${c.owner?.pid ?? '?'}`
          : colors.yellow(`left by pid ${c.owner?.pid ?? '?'} (gone): the next kloop dev or purge restores it`);
      lines.push(`  ${c.kind}: ${c.describe} (${owner})`);
    }
  }
  lines.push(r.ready ? colors.green('all ready') : colors.red('not all ready'));
  return `${redact(lines.join('\n'))}\n`;
}

export async function run(globals: GlobalOptions): Promise<number> {
  const project = await loadProject(globals);
  const connection = await openConnection(project);
  try {
    const report = await projectStatus(project, connection);
    process.stdout.write(
      globals.output === 'json' ? `${JSON.stringify(redactValue(report), null, 2)}\n` : formatStatus(report),
    );
    return report.ready ? 0 : 1;
  } finally {
    connection.client.close();
  }
}
