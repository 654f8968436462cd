// The page's log memory (no DOM here, so it is unit-tested in Node): at most `capacity` lines,
// oldest dropped first in chunks (so a flood costs amortised O(1) per line), and the list of lines
// the current filter shows, kept up to date as lines arrive instead of recomputed.

/** [seq, time (ms), target, container, text], as the server sends it */
export type Line = [number, number, string, string, string];

export interface LogFilter {
  /** '' = every target */
  target: string;
  /** case-insensitive text the line (or its target/container) must contain; '' = any */
  text: string;
}

export class LogStore {
  readonly capacity: number;
  private all: Line[] = [];
  /** lines the filter shows, in arrival order */
  view: Line[] = [];
  private filter: LogFilter = { target: '', text: '' };
  private needle = '';
  /** lines dropped since the start (memory bound) */
  dropped = 0;

  constructor(capacity = 100_000) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.all.length;
  }

  private pattern: RegExp | null = null;

  private matches(l: Line): boolean {
    if (this.filter.target && l[2] !== this.filter.target) return false;
    if (!this.pattern) return true;
    return this.pattern.test(l[4]) || this.pattern.test(l[3]);
  }

  add(lines: readonly Line[]): void {
    for (const l of lines) {
      this.all.push(l);
      if (this.matches(l)) this.view.push(l);
    }
    // drop in chunks of a tenth so trimming is rare
    const slack = Math.max(1, Math.floor(this.capacity / 10));
    if (this.all.length > this.capacity + slack) this.trim(this.all.length - this.capacity);
  }

  private trim(n: number): void {
    const firstKept = this.all[n]![0];
    this.all.splice(0, n);
    this.dropped += n;
    let i = 0;
    while (i < this.view.length && this.view[i]![0] < firstKept) i++;
    if (i) this.view.splice(0, i);
  }

  setFilter(f: LogFilter): void {
    const needle = f.text.trim().toLowerCase();
    // typing one more character only narrows what is shown: scan the view, not every line
    const narrows =
      f.target === this.filter.target && this.needle !== '' && needle.startsWith(this.needle) && needle !== this.needle;
    const unchanged = f.target === this.filter.target && needle === this.needle;
    this.filter = { ...f };
    this.needle = needle;
    this.pattern = needle ? new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i') : null;
    if (unchanged) return;
    const from = narrows ? this.view : this.all;
    this.view = needle || f.target ? from.filter((l) => this.matches(l)) : this.all.slice();
  }

  clear(): void {
    this.dropped += this.all.length;
    this.all = [];
    this.view = [];
  }

  /** every target that sent a line, in order of appearance */
  targets(): string[] {
    return [...new Set(this.all.map((l) => l[2]))];
  }
}
