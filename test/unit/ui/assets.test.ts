import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzippedSize, pageAssets } from '../../../src/ui/assets.ts';

test('the page is small and loads nothing from elsewhere', () => {
  const size = gzippedSize();
  assert.ok(size < 300 * 1024, `${size} bytes gzipped`);
  assert.ok(size > 2000, 'every asset is there');
  for (const [p, a] of pageAssets()) {
    const text = a.body.toString();
    // the only absolute URLs are the port-forward links the page builds for 127.0.0.1
    for (const m of text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[/"'`]/gi))
      assert.fail(`${p} refers to ${m[0]}: the dashboard must work offline`);
    if (p.endsWith('.js')) assert.doesNotMatch(text, /\bimport type\b|: HTMLElement\b/, `${p} still has types`);
  }
});
