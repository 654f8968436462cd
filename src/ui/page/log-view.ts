/// <reference lib="dom" />
// A virtual list of log lines: only the rows on screen exist in the DOM (a pool reused while
// scrolling), so 100,000 lines cost no more to show than 50. Rows have a fixed height.
import type { Line, LogStore } from './log-store.ts';

// 18 px rows: Chromium's 33-million-px element height cap is reached only past 1.8 million lines,
// far above the page's capacity.
const ROW = 18;

export class LogView {
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private store: LogStore;
  private readonly colorOf: (target: string) => number;
  private readonly pool: HTMLDivElement[] = [];
  private frame = 0;
  follow = true;
  onFollowChange: (follow: boolean) => void = () => {};

  constructor(scroller: HTMLElement, spacer: HTMLElement, store: LogStore, colorOf: (target: string) => number) {
    this.scroller = scroller;
    this.spacer = spacer;
    this.store = store;
    this.colorOf = colorOf;
    scroller.addEventListener('scroll', () => {
      const atEnd = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - ROW;
      if (atEnd !== this.follow) {
        this.follow = atEnd;
        this.onFollowChange(atEnd);
      }
      this.schedule();
    });
    scroller.addEventListener('keydown', (e) => {
      // Home/End jump to the first/last line; arrows and Page Up/Down scroll natively
      if (e.key === 'End') {
        this.setFollow(true);
        e.preventDefault();
      } else if (e.key === 'Home') {
        this.setFollow(false);
        scroller.scrollTop = 0;
        e.preventDefault();
      }
    });
    new ResizeObserver(() => this.schedule()).observe(scroller);
  }

  /** shows another store (after a reconnect the page starts a fresh one) */
  setStore(store: LogStore): void {
    this.store = store;
    this.schedule();
  }

  setFollow(on: boolean): void {
    this.follow = on;
    this.onFollowChange(on);
    this.schedule();
  }

  /** redraws on the next frame (many updates in one frame cost one redraw) */
  schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  private draw(): void {
    this.frame = 0;
    const lines = this.store.view;
    const height = lines.length * ROW;
    this.spacer.style.height = `${height}px`;
    const viewport = this.scroller.clientHeight;
    if (this.follow) this.scroller.scrollTop = height;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW) - 5);
    const count = Math.min(lines.length - first, Math.ceil(viewport / ROW) + 10);
    while (this.pool.length < count) {
      const row = document.createElement('div');
      row.className = 'log-row';
      const ts = document.createElement('span');
      ts.className = 'ts';
      const who = document.createElement('span');
      const text = document.createTextNode('');
      row.append(ts, who, text);
      this.spacer.append(row);
      this.pool.push(row);
    }
    for (let i = 0; i < this.pool.length; i++) {
      const row = this.pool[i]!;
      const line = i < count ? lines[first + i] : undefined;
      if (!line) {
        row.hidden = true;
        continue;
      }
      row.hidden = false;
      row.style.transform = `translateY(${(first + i) * ROW}px)`;
      fill(row, line, this.colorOf(line[2]));
    }
  }
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function fill(row: HTMLDivElement, l: Line, color: number): void {
  const d = new Date(l[1]);
  const [ts, who, text] = row.childNodes as unknown as [HTMLElement, HTMLElement, Text];
  ts.textContent = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} `;
  who.className = `c${color}`;
  who.textContent = `${l[2]}${l[3] && l[3] !== l[2] ? `/${l[3]}` : ''} │ `;
  text.data = l[4];
  row.title = l[4].length > 200 ? '' : l[4];
}
