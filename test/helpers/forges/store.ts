// Pull requests held by a forge double, plus the knobs tests use to provoke the race paths.
import { execFileSync } from 'node:child_process';

export interface FakePr {
  id: number;
  head: string;
  base: string;
  title: string;
  body: string;
  open: boolean;
  labels: string[];
  reviewers: string[];
}

export class PrStore {
  prs: FakePr[] = [];
  /** list calls that answer empty although a PR exists (another run created it meanwhile) */
  hideFromLists = 0;
  /** the bare repository behind the forge: a PR's head branch must exist there */
  readonly repoDir: string;

  constructor(repoDir: string) {
    this.repoDir = repoDir;
  }

  list(filter: (p: FakePr) => boolean): FakePr[] {
    if (this.hideFromLists > 0) {
      this.hideFromLists--;
      return [];
    }
    return this.prs.filter((p) => p.open && filter(p));
  }

  openFor(head: string, base: string): FakePr | undefined {
    return this.prs.find((p) => p.open && p.head === head && p.base === base);
  }

  add(pr: Omit<FakePr, 'id' | 'open' | 'labels' | 'reviewers'> & Partial<FakePr>): FakePr {
    const full: FakePr = { id: this.prs.length + 1, open: true, labels: [], reviewers: [], ...pr };
    this.prs.push(full);
    return full;
  }

  get(id: number): FakePr | undefined {
    return this.prs.find((p) => p.id === id);
  }

  branchExists(branch: string): boolean {
    try {
      execFileSync('git', ['--git-dir', this.repoDir, 'rev-parse', '--verify', '-q', `refs/heads/${branch}`], {
        stdio: 'ignore',
      });
      return true;
    } catch {
      return false;
    }
  }
}
