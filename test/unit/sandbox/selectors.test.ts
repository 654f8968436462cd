import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseFieldSelector,
  parseLabelSelector,
  selectorFromObject,
  selectorToString,
} from '../../../sandbox/store/selectors.ts';

test('label selector forms', () => {
  const labels = { app: 'web', tier: 'front', track: 'stable' };
  const cases: Array<[string, boolean]> = [
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['tier in (front,back)', true],
    ['tier in (back)', false],
    ['tier notin (back, middle)', true],
    ['missing notin (x)', true],
    ['track', true],
    ['!track', false],
    ['!missing', true],
    ['app=web,tier in (front),!missing', true],
    ['app=web,tier=back', false],
    ['', true],
  ];
  for (const [selector, expected] of cases) assert.equal(parseLabelSelector(selector)(labels), expected, selector);
  assert.equal(parseLabelSelector('app=web')(undefined), false);
});

test('an unparsable label selector is a 400', () => {
  assert.throws(() => parseLabelSelector('app=(web'), { code: 400, reason: 'BadRequest' });
});

test('field selectors on nested paths', () => {
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e', namespace: 'ns' },
    involvedObject: { name: 'p', uid: 'u1' },
  };
  assert.equal(parseFieldSelector('involvedObject.name=p,involvedObject.uid=u1')(event), true);
  assert.equal(parseFieldSelector('metadata.name!=e')(event), false);
  assert.equal(parseFieldSelector('metadata.namespace==ns')(event), true);
  assert.equal(parseFieldSelector('spec.nodeName=')(event), true);
});

test('selector objects and their string form', () => {
  const selector = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['a', 'b'] },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  };
  assert.equal(selectorToString(selector), 'app=web,tier in (a,b),!legacy');
  const match = selectorFromObject(selector);
  assert.equal(match({ app: 'web', tier: 'a' }), true);
  assert.equal(match({ app: 'web', tier: 'c' }), false);
  assert.equal(match({ app: 'web', tier: 'a', legacy: '1' }), false);
  assert.equal(parseLabelSelector(selectorToString(selector))({ app: 'web', tier: 'b' }), true);
});
