import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Line, LogStore } from '../../../src/ui/page/log-store.ts';

const line = (seq: number, target = 'web', text = `line ${seq}`): Line => [seq, 0, target, 'c', text];

test('memory stays bounded: the oldest lines go first and the filtered view follows', () => {
  const store = new LogStore(1000);
  store.setFilter({ target: 'api', text: '' });
  for (let i = 1; i <= 25_000; i++) store.add([line(i, i % 2 ? 'web' : 'api')]);
  assert.ok(store.size <= 1100, `kept ${store.size} lines`);
  assert.ok(store.size >= 1000);
  assert.equal(store.dropped + store.size, 25_000);
  let evens = 0;
  for (let seq = 25_000 - store.size + 1; seq <= 25_000; seq++) if (seq % 2 === 0) evens++;
  assert.equal(store.view.length, evens);
  assert.ok(store.view.every((l) => l[2] === 'api'));
  assert.equal(store.view.at(-1)![0], 25_000);
  assert.ok(store.view[0]![0] > 25_000 - store.size, 'no dropped line stays in the view');
});

test('the filter matches text and container case-insensitively, per target or all', () => {
  const store = new LogStore();
  store.add([line(1, 'web', 'GET /index.html 200'), line(2, 'api', 'ERROR db down'), line(3, 'web', 'error: boom')]);
  store.setFilter({ target: '', text: 'error' });
  assert.deepEqual(
    store.view.map((l) => l[0]),
    [2, 3],
  );
  store.setFilter({ target: 'web', text: 'ERROR' });
  assert.deepEqual(
    store.view.map((l) => l[0]),
    [3],
  );
  store.add([line(4, 'web', 'another error'), line(5, 'api', 'error too')]);
  assert.deepEqual(
    store.view.map((l) => l[0]),
    [3, 4],
    'lines arriving later are filtered as they come',
  );
  store.setFilter({ target: '', text: '' });
  assert.equal(store.view.length, 5);
  assert.deepEqual(store.targets(), ['web', 'api']);
  store.clear();
  assert.equal(store.size, 0);
  assert.equal(store.view.length, 0);
});

test('typing more of a filter narrows it; special characters are literal', () => {
  const store = new LogStore();
  store.add([line(1, 'web', 'a (b) c'), line(2, 'web', 'a b c'), line(3, 'api', 'A (B) x')]);
  store.setFilter({ target: '', text: 'a (' });
  assert.deepEqual(
    store.view.map((l) => l[0]),
    [1, 3],
  );
  store.setFilter({ target: '', text: 'a (b) c' });
  assert.deepEqual(
    store.view.map((l) => l[0]),
    [1],
  );
  store.setFilter({ target: '', text: 'a' });
  assert.deepEqual(
    store.view.map((l) => l[0]),
    [1, 2, 3],
    'a shorter filter widens again',
  );
  store.setFilter({ target: 'api', text: 'a' });
  assert.deepEqual(
    store.view.map((l) => l[0]),
    [3],
  );
});
