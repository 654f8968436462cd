// The one find-or-create-or-update flow all forges share: an open PR for the branch is updated,
// never duplicated; a create that races with another run (the forge answers "already exists")
// falls back to finding and updating.
import { KloopError } from '../../errors.ts';
import type { FoundPullRequest, ForgeOps, PullRequestResult, PullRequestSpec } from './types.ts';

function pick(found: FoundPullRequest[], marker: string): FoundPullRequest | undefined {
  return found.find((p) => p.body.includes(marker)) ?? found[0];
}

export async function openOrUpdate(forge: string, ops: ForgeOps, spec: PullRequestSpec): Promise<PullRequestResult> {
  let existing = pick(await ops.find(spec), spec.marker);
  if (!existing) {
    const created = await ops.create(spec);
    if (created !== 'duplicate') {
      const warnings = await ops.decorate(created, spec);
      return { id: created.id, url: created.url, action: 'created', warnings };
    }
    existing = pick(await ops.find(spec), spec.marker);
    if (!existing) {
      throw new KloopError(`${forge} says a pull request for ${spec.head} already exists, but none was found`, {
        hint: `open the repository's pull requests for branch ${spec.head}; close it or run promote again`,
      });
    }
  }
  await ops.update(existing, spec);
  const warnings = await ops.decorate(existing, spec);
  return { id: existing.id, url: existing.url, action: 'updated', warnings };
}
