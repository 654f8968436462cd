// What a forge does for promote: find, create or update the one pull request of a branch.
import type { GitAuth } from '../git.ts';

export type ProviderName = 'github' | 'gitlab' | 'azure' | 'gitea' | 'bitbucket' | 'local';

export interface PullRequestSpec {
  /** the branch kloop pushed, e.g. kloop/shop/staging */
  head: string;
  /** the branch the PR targets */
  base: string;
  title: string;
  /** already truncated to the forge's limit */
  body: string;
  /** hidden marker the body starts with; finds the PR again */
  marker: string;
  labels: readonly string[];
  reviewers: readonly string[];
}

export interface PullRequestResult {
  id: number;
  url: string;
  action: 'created' | 'updated';
  /** things the forge could not do (labels it does not support ...) */
  warnings: string[];
}

export interface Forge {
  readonly provider: ProviderName;
  /** the longest PR description the forge accepts, in characters */
  readonly bodyLimit: number;
  /** how git authenticates to the repository, when a token is set */
  readonly gitAuth?: GitAuth;
  /** name of the token variable in use, for messages */
  readonly tokenVariable?: string;
  openOrUpdate(spec: PullRequestSpec): Promise<PullRequestResult>;
}

/** A PR as found on a forge, in kloop's terms. */
export interface FoundPullRequest {
  id: number;
  url: string;
  body: string;
}

/** The few operations every forge implements; the shared flow in flow.ts decides when to call them. */
export interface ForgeOps {
  find(spec: PullRequestSpec): Promise<FoundPullRequest[]>;
  /** 'duplicate' when the forge says an open PR for the branch already exists */
  create(spec: PullRequestSpec): Promise<FoundPullRequest | 'duplicate'>;
  update(pr: FoundPullRequest, spec: PullRequestSpec): Promise<void>;
  /** labels and reviewers after create or update; returns warnings */
  decorate(pr: FoundPullRequest, spec: PullRequestSpec): Promise<string[]>;
}
