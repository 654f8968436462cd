import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { isAmbiguous, kubeNumber, parseKube, parseKubeDocuments, stringifyYaml } from '../../../src/render/yaml.ts';

// Written from go-yaml v2's resolve.go and checked against kubectl (test/integration/render/yaml-oracle.test.ts)
const KUBE: Array<[string, unknown]> = [
  ['yes', true],
  ['Y', true],
  ['on', true],
  ['Off', false],
  ['n', false],
  ['~', null],
  ['0755', 493],
  ['+0755', 493],
  ['0x1F', 31],
  ['0X1f', 31],
  ['0b101', 5],
  ['0o17', 15],
  ['1_000', 1000],
  ['1__0', 10],
  ['1_', 1],
  ['08', 8],
  ['1e3', 1000],
  ['.5', 0.5],
  ['1.', 1],
  ['-0x1', -1],
  ['1:20', '1:20'],
  ['190:20:30', '190:20:30'],
  ['2001-12-14', '2001-12-14'],
  ['=', '='],
  ['e3', 'e3'],
  ['_1', '_1'],
  ['1e400', '1e400'],
  ['0x', '0x'],
  ['yEs', 'yEs'],
  ['1.2.3', '1.2.3'],
];

test('plain scalars are read as Kubernetes reads them (go-yaml v2)', () => {
  for (const [text, want] of KUBE) {
    assert.deepEqual(parseKube(`v: ${text}\n`), { v: want }, text);
  }
  assert.deepEqual(parseKube('v: "0755"\nw: !!str yes\n'), { v: '0755', w: 'yes' });
  assert.deepEqual(parseKube('yes: 1\nn: 2\n'), { true: 1, false: 2 }, 'keys too');
  assert.equal(kubeNumber('12345678901234567890'), Number(12345678901234567890n), 'uint64 still a number');
  assert.equal(kubeNumber('hello'), undefined);
});

test('merge keys work as in kubectl', () => {
  const [doc] = parseKubeDocuments('base: &b { a: 1 }\nx:\n  <<: *b\n  c: 2\n');
  assert.deepEqual(doc!.toJS(), { base: { a: 1 }, x: { a: 1, c: 2 } });
});

test('every ambiguous string is quoted on write', () => {
  const words = ['y', 'N', 'yes', 'No', 'ON', 'off', 'True', 'fAlSe', 'null', 'NULL', '~', ''];
  const numbers = ['0755', '0x1F', '0b101', '0o17', '1:20', '190:20:30.15', '1e3', '1_000', '.inf', '-.Inf', '.NaN'];
  const other = ['2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '=', '<<', '+12', '.5'];
  for (const s of [...words, ...numbers, ...other]) {
    assert.ok(isAmbiguous(s), s);
    const text = stringifyYaml({ [s]: s });
    assert.equal(text, `${JSON.stringify(s)}: ${JSON.stringify(s)}\n`, `${s} quoted as key and value`);
  }
  for (const s of ['hello', 'v1', 'nginx:1.25', '1.2.3', 'yesterday', 'x y', 'a-0755']) {
    assert.equal(isAmbiguous(s), false, s);
    assert.equal(stringifyYaml({ v: s }), `v: ${s}\n`, `${s} stays plain`);
  }
});

test('multi-line strings stay literal blocks', () => {
  assert.equal(stringifyYaml({ script: 'echo yes\nexit 0\n' }), 'script: |\n  echo yes\n  exit 0\n');
});

// Strings that look like YAML scalars, and arbitrary ones
const scalarLike = fc.oneof(
  fc.string(),
  fc.stringMatching(/^[-+]?[0-9_.:eEoxbOXB]{1,8}$/),
  fc.stringMatching(/^[yYnNoOtTfFuUlLsSeEaA~<=.]{0,6}$/),
  fc.stringMatching(/^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2})?$/),
  fc.constantFrom('.inf', '+.INF', '.nan', '=', '<<', '0x_1F', '1e+3', '-0b1'),
);

test('property: any string written reads back as the same string under YAML 1.1, 1.2 and Kubernetes', () => {
  fc.assert(
    fc.property(scalarLike, scalarLike, (key, value) => {
      const text = stringifyYaml({ [key]: value, list: [value] });
      const want = { [key]: value, list: [value] };
      assert.deepEqual(parse(text, { version: '1.2' }), want, text);
      assert.deepEqual(parse(text, { version: '1.1' }), want, text);
      assert.deepEqual(parseKube(text), want, text);
    }),
    { numRuns: 1000 },
  );
});

test('property: numbers, booleans and null round-trip too', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
        fc.boolean(),
        fc.constant(null),
      ),
      (v) => {
        const text = stringifyYaml({ v });
        const want = { v };
        assert.deepEqual(parseKube(text), want, text);
        assert.deepEqual(parse(text, { version: '1.1' }), want, text);
      },
    ),
  );
});
