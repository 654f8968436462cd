import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogBuffer } from '../../../src/ui/log-buffer.ts';

test('the server keeps the newest lines in a ring and hands out those after a sequence number', () => {
  const buf = new LogBuffer(3);
  for (let i = 1; i <= 5; i++) buf.push({ target: 't', pod: 'p', container: 'c', text: `l${i}` }, i);
  assert.equal(buf.size, 3);
  assert.deepEqual(
    buf.since().map((l) => l[4]),
    ['l3', 'l4', 'l5'],
  );
  assert.deepEqual(
    buf.since(4).map((l) => [l[0], l[1], l[2], l[3], l[4]]),
    [[5, 5, 't', 'c', 'l5']],
  );
});
