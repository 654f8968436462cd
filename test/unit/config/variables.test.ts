import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { parseEnvFile } from '../../../src/config/env-file.ts';
import type { Variable, VariableSet } from '../../../src/config/project.ts';
import { resolveVariables } from '../../../src/config/resolve-vars.ts';
import { expand, substitute } from '../../../src/config/variables.ts';
import { KloopError } from '../../../src/errors.ts';
import { clearSecrets, redact } from '../../../src/log/redact.ts';

function varSet(own: Record<string, string>, proc: Record<string, string> = {}): VariableSet {
  const map = new Map<string, Variable>();
  for (const [name, value] of Object.entries(own)) map.set(name, { name, value, secret: false, source: 'default' });
  return { own: map, process: proc };
}

describe('substitute', () => {
  const vars = varSet({ TITLE: 'Shop', EMPTY: '' }, { HOME: '/home/me', PATHY: '/bin' });

  it('replaces ${VAR}, defaults and $$', () => {
    assert.equal(substitute('t=${TITLE} h=${HOME}', vars, 'f'), 't=Shop h=/home/me');
    assert.equal(substitute('${NOPE:-fallback} ${EMPTY:-e} ${EMPTY-x}', vars, 'f'), 'fallback e ');
    assert.equal(substitute('cost $$5 and $${TITLE}', vars, 'f'), 'cost $5 and ${TITLE}');
  });

  it('replaces a bare $VAR only for kloop-defined variables', () => {
    assert.equal(substitute('echo $TITLE $HOME $1 $', vars, 'f'), 'echo Shop $HOME $1 $');
  });

  it('leaves forms it does not substitute', () => {
    assert.equal(substitute('${TITLE:?x} ${TITLE#S} ${ bad }', vars, 'f'), '${TITLE:?x} ${TITLE#S} ${ bad }');
  });

  it('${VAR:+alt} is alt for a non-empty kloop variable, empty for an empty one, and a shell form otherwise', () => {
    assert.equal(substitute('[${TITLE:+--title}] [${EMPTY:+x}]', vars, 'f'), '[--title] []');
    // HOME is only in the process environment: the form is left for the container's shell
    assert.equal(substitute('${HOME:+x} ${NOPE:+y}', vars, 'f'), '${HOME:+x} ${NOPE:+y}');
  });

  it('leaves an undefined ${VAR} as written; warns only when it looks like a typo of a declared one', () => {
    const warnings: string[] = [];
    const text = 'a: ${FRONTEND_ADDR}\nb: ${TITEL}\nc: ${title}\n';
    assert.equal(substitute(text, vars, 'k.yaml', { warn: (m) => warnings.push(m) }), text);
    assert.equal(warnings.length, 2);
    assert.match(
      warnings[0]!,
      /^k\.yaml:2:4: \$\{TITEL\} is not a kloop variable and was left as written; did you mean \$\{TITLE\}\?/,
    );
    assert.match(warnings[1]!, /^k\.yaml:3:4: .*did you mean \$\{TITLE\}/);
  });

  it('throws for an undefined ${VAR} with file:line:col', () => {
    const text = 'a: 1\nb: x ${MISSING}\nc: ${OTHER}\n';
    assert.throws(
      () => substitute(text, vars, 'values.yaml', { strict: true }),
      (e: unknown) => {
        assert.ok(e instanceof KloopError);
        assert.equal(e.message, 'undefined variable ${MISSING}');
        assert.deepEqual(e.location, { file: 'values.yaml', line: 2, column: 6 });
        assert.deepEqual(e.details, ['values.yaml:3:4: undefined variable ${OTHER}']);
        assert.match(e.hint ?? '', /vars:.*env file.*--var MISSING=VALUE/);
        return true;
      },
    );
  });

  it('collects every missing variable in expand', () => {
    const r = expand('${A}${B:-b}${C}', varSet({}));
    assert.equal(r.value, 'b');
    assert.deepEqual(
      r.missing.map((m) => [m.name, m.index]),
      [
        ['A', 0],
        ['C', 11],
      ],
    );
  });
});

describe('parseEnvFile', () => {
  it('parses without executing', () => {
    const text = [
      '# comment',
      'export A=1',
      'B = two words # comment',
      "C='$(rm -rf /) ${X}'",
      'D="line1\\nline2 \\"q\\""',
      'E="multi',
      'line"',
      'F=$(whoami)',
      'G=',
      'H=a#b',
    ].join('\n');
    const env = parseEnvFile(text, '.env');
    const plain = Object.fromEntries([...env].map(([k, v]) => [k, v.value]));
    assert.deepEqual(plain, {
      A: '1',
      B: 'two words',
      C: '$(rm -rf /) ${X}',
      D: 'line1\nline2 "q"',
      E: 'multi\nline',
      F: '$(whoami)',
      G: '',
      H: 'a#b',
    });
    assert.equal(env.get('E')?.line, 6);
  });

  it('reports a bad line with its position', () => {
    assert.throws(
      () => parseEnvFile('A=1\n  not a line\n', 'envs/x.env'),
      (e: unknown) => e instanceof KloopError && e.location?.line === 2 && e.location.column === 3,
    );
    assert.throws(() => parseEnvFile('A="open\n', '.env'), /never closed/);
  });
});

describe('resolveVariables', () => {
  afterEach(() => clearSecrets());

  it('applies precedence: --var > process > env file > default', () => {
    const entries = parseEnvFile('A=file\nB=file\nC=file\nE=file-only\n', '.env');
    const { vars, problems } = resolveVariables({
      declared: { A: 'def', B: 'def', C: 'def', D: { default: 'def' } },
      envFile: { path: '/p/.env', entries },
      flags: { A: 'flag' },
      process: { A: 'proc', B: 'proc', UNRELATED: 'x' },
    });
    assert.deepEqual(problems, []);
    const got = Object.fromEntries([...vars.own].map(([k, v]) => [k, `${v.value}/${v.source}`]));
    assert.deepEqual(got, {
      A: 'flag/flag',
      B: 'proc/process',
      C: 'file/envFile',
      D: 'def/default',
      E: 'file-only/envFile',
    });
    assert.equal(vars.own.has('UNRELATED'), false);
    assert.throws(() => (vars.own as Map<string, unknown>).set('X', {}), /read-only/);
    assert.equal(vars.process.UNRELATED, 'x');
  });

  it('reports required variables without a value and registers secrets', () => {
    const { vars, problems } = resolveVariables({
      declared: { NEED: { required: true }, TOKEN: { secret: true } },
      flags: { TOKEN: 's3cr3t-value' },
      process: {},
      envFileName: '.env',
    });
    assert.equal(problems.length, 1);
    assert.deepEqual(problems[0]?.path, ['vars', 'NEED']);
    assert.match(problems[0]?.message ?? '', /required variable NEED has no value; set it in \.env/);
    assert.equal(vars.own.get('TOKEN')?.secret, true);
    assert.equal(redact('token=s3cr3t-value'), 'token=******');
  });
});
