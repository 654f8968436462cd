// 20 targets and 100,000 log lines: the page holds every line, filters them, keeps only the rows
// on screen in the DOM, and answers key presses. The input latency is reported here; its bound
// (100 ms) is checked by bench/ui/load.ts, since timings do not belong in tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromiumAvailable } from './browser.ts';
import { LINES, runLoadScenario } from './load-scenario.ts';

const skip = chromiumAvailable() ? false : 'chromium is not installed';

test('20 targets and 100,000 log lines keep the page usable', { skip }, async (t) => {
  const f = await runLoadScenario();
  assert.equal(f.countText, `${LINES.toLocaleString('en-US')} lines`);
  assert.equal(
    f.filteredText,
    `${f.expectedFiltered.toLocaleString('en-US')} of ${LINES.toLocaleString('en-US')} lines`,
  );
  assert.ok(f.domRows < 200, `${f.domRows} rows in the DOM: the list is virtual`);
  t.diagnostic(
    `input latency (Event Timing, ≥16 ms recorded): ${f.keyLatencies.length} slow key events, worst interaction ${f.worstInteraction} ms`,
  );
});
