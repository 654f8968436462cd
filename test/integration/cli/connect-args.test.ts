// `kloop connect -- cmd`: the word after -- is the command, not a dev target; no command is a usage error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCliSync } from '../../helpers/cli.ts';

const kloop = (cwd: string, ...args: string[]) =>
  runCliSync(args, {
    cwd,
    env: { ...process.env, CI: 'true', NO_COLOR: '1', HOME: cwd, KUBECONFIG: path.join(cwd, 'missing-kubeconfig') },
  });

test('connect takes the command after --, and needs one', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kloop-connect-args-'));
  try {
    writeFileSync(path.join(dir, 'kloop.yaml'), 'version: v1\nname: demo\n');
    const none = kloop(dir, 'connect');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /kloop connect needs the local command to run/);
    // a one-word command parses (and then fails on the missing cluster, not on the arguments)
    const one = kloop(dir, 'connect', '--', 'true');
    assert.equal(one.code, 1, one.stderr);
    assert.doesNotMatch(one.stderr, /missing required argument|needs the local command|dev target "true"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
