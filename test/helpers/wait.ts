// Waiting on state, never on time: poll until a value is what the test expects.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `fn` every 100 ms until `ok` accepts its value, and returns it. A throw from `fn` counts
 * as not yet; after `ms` the test fails with `what`, the last value and the last error.
 */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await delay(100);
  }
  assert.fail(`${what}: last value ${JSON.stringify(last)}${lastError ? `, last error ${lastError}` : ''}`);
}
