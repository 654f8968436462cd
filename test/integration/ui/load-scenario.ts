// The dashboard under load: 20 dev targets whose state keeps changing and 100,000 log lines
// streamed while someone types into the log filter. Shared by the load test (behaviour) and
// bench/ui/load.ts (input latency figures).
import type { Page } from 'playwright-core';
import { createStore, newTarget, type SessionState } from '../../../src/dev/store.ts';
import { type Dashboard, startDashboard } from '../../../src/ui/server.ts';
import { launch } from './browser.ts';

export const TARGETS = 20;
export const LINES = 100_000;

export interface LoadFigures {
  /** Event Timing durations (input to next paint) of the key presses, ms */
  keyLatencies: number[];
  /** the worst Event Timing duration of any interaction while loaded, ms */
  worstInteraction: number;
  /** rows in the DOM with 100,000 lines held */
  domRows: number;
  countText: string;
  filteredText: string;
  expectedFiltered: number;
}

function initial(): SessionState {
  const targets: SessionState['targets'] = {};
  for (let i = 0; i < TARGETS; i++) {
    const name = `svc-${String(i).padStart(2, '0')}`;
    targets[name] = {
      ...newTarget(name, 'shop'),
      phase: 'running',
      pod: `${name}-7d9f8c-abcde`,
      podHistory: [`${name}-7d9f8c-abcde`],
      sync: [{ from: `/src/${name}`, to: '/app', state: 'in-sync', pending: 0, files: 120, reconnects: 0 }],
      ports: [{ local: 9000 + i, remote: 8080, state: 'forwarding', connections: 0 }],
      logs: { state: 'following', lines: 0 },
    };
  }
  return { project: 'load', startedAt: new Date().toISOString(), phase: 'running', targets };
}

const text = (n: number) => `GET /api/items/${n} 200 ${n % 97}ms request-id=${(n * 2654435761) % 4294967296}`;

export async function runLoadScenario(): Promise<LoadFigures> {
  const store = createStore(initial());
  const names = Object.keys(store.get().targets);
  const dash: Dashboard = await startDashboard({ store });
  const browser = await launch('light');
  try {
    const page: Page = await browser.context.newPage();
    await page.goto(dash.url);
    await page
      .locator('.card')
      .nth(TARGETS - 1)
      .waitFor();
    await page.evaluate(() => {
      const w = window as unknown as { kloopLatency: { name: string; duration: number }[] };
      w.kloopLatency = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.kloopLatency.push({ name: e.name, duration: e.duration });
      }).observe({ type: 'event', buffered: true, durationThreshold: 16 } as PerformanceObserverInit);
    });

    // stream the lines in batches while state changes, and type while it streams
    let sent = 0;
    const stream = (async () => {
      while (sent < LINES) {
        for (let i = 0; i < 2_000 && sent < LINES; i++, sent++)
          store.dispatch({
            type: 'log',
            line: { target: names[sent % TARGETS]!, pod: 'p', container: 'app', text: text(sent) },
          });
        const t = names[sent % TARGETS]!;
        const sync = store.get().targets[t]!.sync[0]!;
        store.dispatch({
          type: 'sync',
          target: t,
          index: 0,
          status: {
            ...sync,
            state: sent % 4000 === 0 ? 'syncing' : 'in-sync',
            lastBatch: { at: new Date().toISOString(), uploaded: 1, deleted: 0, bytes: 100, ms: 40 + (sent % 50) },
          },
        });
        store.dispatch({ type: 'log-stream', target: t, state: 'following', lines: sent });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const filter = page.locator('#log-filter');
    await filter.click();
    await page.keyboard.type('items/4', { delay: 80 });
    await stream;
    await page
      .locator('#log-count')
      .filter({ hasText: `of ${LINES.toLocaleString('en-US')} lines` })
      .waitFor();
    // now with every line held: more typing, a target switch, clearing the filter
    await page.keyboard.type('2', { delay: 80 });
    const needle = 'items/42';
    let expectedFiltered = 0;
    for (let n = 0; n < LINES; n++) if (text(n).includes(needle)) expectedFiltered++;
    const filteredText = (await page.locator('#log-count').textContent()) ?? '';
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page
      .locator('#log-count')
      .filter({ hasText: /^100,000 lines$/ })
      .waitFor();
    const countText = (await page.locator('#log-count').textContent()) ?? '';
    await page.keyboard.type('request', { delay: 80 });
    await page.locator('#log-scroll').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('PageDown');
    await page.keyboard.press('End');
    const domRows = await page.locator('.log-row').count();
    await page.waitForTimeout(300);
    const entries = await page.evaluate(
      () => (window as unknown as { kloopLatency: { name: string; duration: number }[] }).kloopLatency,
    );
    const keys = entries.filter((e) => e.name === 'keydown' || e.name === 'keypress' || e.name === 'input');
    return {
      keyLatencies: keys.map((e) => e.duration),
      worstInteraction: Math.max(0, ...entries.map((e) => e.duration)),
      domRows,
      countText,
      filteredText,
      expectedFiltered,
    };
  } finally {
    await browser.close();
    await dash.close();
  }
}
