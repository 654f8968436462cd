// The pull request body, which is also what `kloop diff` and `promote --dry-run` print: marker,
// source, image table, resource summary, collapsed per-resource diffs (cut to the forge's limit
// with a notice), validation results and reproduce commands.
import type { ResourceChange } from './diff.ts';
import { type GitopsMetadata, type PromoteImage, pinnedRef, reproduceFlags } from './metadata.ts';

export interface SummaryInput {
  metadata: GitopsMetadata;
  /** images recorded by the previous promotion of this environment */
  oldImages?: Record<string, PromoteImage>;
  changes: ResourceChange[];
  /** lines for the validation section */
  validation: string[];
  /** kloop.yaml path relative to the source repository root */
  configPath: string;
  /** the CI run that promoted, when there is one */
  ciRun?: string;
}

/** The CI run's web page from the variables GitHub Actions, GitLab CI, Azure Pipelines and Bitbucket Pipelines set. */
export function ciRunUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID)
    return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
  if (env.CI_PIPELINE_URL) return env.CI_PIPELINE_URL;
  if (env.SYSTEM_COLLECTIONURI && env.SYSTEM_TEAMPROJECT && env.BUILD_BUILDID)
    return `${env.SYSTEM_COLLECTIONURI}${env.SYSTEM_TEAMPROJECT}/_build/results?buildId=${env.BUILD_BUILDID}`;
  if (env.BITBUCKET_GIT_HTTP_ORIGIN && env.BITBUCKET_BUILD_NUMBER)
    return `${env.BITBUCKET_GIT_HTTP_ORIGIN}/pipelines/results/${env.BITBUCKET_BUILD_NUMBER}`;
  return undefined;
}

export function marker(project: string, env: string): string {
  return `<!-- kloop:promote project=${project} env=${env} -->`;
}

export function title(metadata: GitopsMetadata): string {
  const k = metadata.kloop;
  const sha = metadata.drySha ? ` @ ${metadata.drySha.slice(0, 7)}` : '';
  return `kloop: promote ${k.project} to ${k.environment}${sha}${metadata.subject ? `: ${metadata.subject}` : ''}`.slice(
    0,
    250,
  );
}

function commitLink(repoURL: string | undefined, sha: string): string {
  if (!repoURL || !/^https?:\/\//.test(repoURL)) return `\`${sha.slice(0, 12)}\``;
  const web = repoURL.replace(/\.git$/, '');
  const path = /gitlab/.test(web) ? '/-/commit/' : /bitbucket\.org/.test(web) ? '/commits/' : '/commit/';
  return `[\`${sha.slice(0, 12)}\`](${web}${path}${sha})`;
}

const cell = (s: string | undefined) => (s ? s.replace(/\|/g, '\\|') : '—');

function shortRef(i: PromoteImage | undefined): string | undefined {
  return i ? (i.tag ?? i.ref) : undefined;
}

export function counts(changes: ResourceChange[]): string {
  const n = (c: string) => changes.filter((x) => x.change === c).length;
  return `${n('added')} added, ${n('changed')} changed, ${n('deleted')} deleted`;
}

/** The body without a limit is what diff and --dry-run print; with the forge's limit it is the PR body. */
export function summary(input: SummaryInput, limit = Number.POSITIVE_INFINITY): string {
  const { metadata: m, changes } = input;
  const k = m.kloop;
  const head: string[] = [marker(k.project, k.environment), `## Promote ${k.project} to ${k.environment}`, ''];
  if (m.drySha) {
    head.push(
      `Source: ${commitLink(m.repoURL, m.drySha)}${m.repoURL ? ` in ${m.repoURL}` : ''}`,
      `Commit: ${m.subject ?? ''}${m.author ? ` — ${m.author}` : ''}`,
    );
  } else head.push('Source: not a git repository (no commit recorded)');
  if (input.ciRun) head.push(`CI run: ${input.ciRun}`);
  if (k.from) head.push(`Promoted from environment **${k.from}** (same source commit and images).`);
  if (k.dirty) head.push('', '> **Warning:** rendered from a working tree with uncommitted changes (`--allow-dirty`).');

  const imageNames = [...new Set([...Object.keys(input.oldImages ?? {}), ...Object.keys(k.images)])].sort();
  const images = ['', '### Images', ''];
  if (imageNames.length === 0) images.push('No images.');
  else {
    images.push('| image | from | to | digest |', '|---|---|---|---|');
    for (const name of imageNames) {
      const before = input.oldImages?.[name];
      const after = k.images[name];
      const same = before && after && pinnedRef(before) === pinnedRef(after);
      images.push(
        `| ${name} | ${cell(shortRef(before))} | ${same ? 'unchanged' : cell(shortRef(after))} | ${cell(after?.digest)} |`,
      );
    }
  }

  const resources = ['', '### Resources', '', counts(changes), ''];
  if (changes.length) {
    resources.push('| change | kind | namespace | name |', '|---|---|---|---|');
    for (const c of changes) resources.push(`| ${c.change} | ${c.kind} | ${cell(c.namespace)} | ${cell(c.name)} |`);
  }

  const tail = ['', '### Validation', '', ...input.validation.map((v) => `- ${v}`), '', '### Reproduce', '', '```sh'];
  if (m.repoURL && m.drySha) tail.push(`git clone ${m.repoURL} source && cd source`, `git checkout ${m.drySha}`);
  const pins = reproduceFlags(m)
    .map((f) => ` ${f}`)
    .join('');
  tail.push(`kloop render --config ${input.configPath} --env ${k.environment}${pins}`, '```', '');

  const diffs = changes.map(
    (c) =>
      `<details><summary>${c.change} ${c.kind} ${[c.namespace, c.name].filter(Boolean).join('/')}</summary>\n\n\`\`\`diff\n${c.diff.replace(/```/g, '` ` `')}\n\`\`\`\n</details>\n`,
  );
  const fixed = [...head, ...images, ...resources].join('\n');
  const end = tail.join('\n');
  const diffHeader = changes.length ? '\n\n### Diffs\n\n' : '';
  let body = fixed + diffHeader;
  const notice = (omitted: number) =>
    `\n> ${omitted} of ${changes.length} resource diffs omitted: the pull request description is limited to ${limit} characters. Run \`kloop diff --env ${k.environment}\` to see them all.\n`;
  const reserve = notice(changes.length).length + end.length;
  let shown = 0;
  for (const d of diffs) {
    if (body.length + d.length + reserve > limit) break;
    body += d;
    shown++;
  }
  if (shown < diffs.length) body += notice(diffs.length - shown);
  body += end;
  // The fixed sections alone can exceed a small limit (thousands of resources): cut, keeping the marker.
  if (body.length > limit) {
    const cut = `\n\n> Truncated to ${limit} characters. Run \`kloop diff --env ${k.environment}\` for the full summary.\n`;
    body = body.slice(0, Math.max(0, limit - cut.length)) + cut;
  }
  return body;
}
