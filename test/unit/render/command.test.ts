import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBool, parseImages } from '../../../src/commands/render.ts';
import { UsageError } from '../../../src/errors.ts';
import { readme } from '../../../src/render/output.ts';
import { stripCredentials } from '../../../src/render/metadata.ts';
import type { RenderResult } from '../../../src/render/types.ts';

test('--image NAME=REF and --validate parsing', () => {
  assert.deepEqual(parseImages(['web=r.io/web:1', 'api=r.io/api@sha256:ab']), {
    web: 'r.io/web:1',
    api: 'r.io/api@sha256:ab',
  });
  assert.throws(() => parseImages(['web']), UsageError);
  assert.throws(() => parseImages(['=x']), UsageError);
  assert.equal(parseBool('--validate', 'false', true), false);
  assert.equal(parseBool('--validate', undefined, true), true);
  assert.throws(() => parseBool('--validate', 'maybe', true), UsageError);
});

test('credentials never reach the metadata', () => {
  assert.equal(stripCredentials('https://x-access-token:ghp_abc@github.com/o/r.git'), 'https://github.com/o/r.git');
  assert.equal(stripCredentials('git@github.com:o/r.git'), 'git@github.com:o/r.git');
});

test('the README names the source commit and the command that reproduces the output', () => {
  const result: RenderResult = {
    apps: [],
    warnings: [],
    metadata: {
      repoURL: 'https://git.example.com/shop.git',
      drySha: 'abc123',
      subject: 'release',
      author: 'Ada <ada@example.com>',
      date: '2026-01-02T03:04:05+00:00',
      kloop: {
        version: '0.1.0',
        project: 'shop',
        environment: 'staging',
        kubeVersion: '1.32',
        dirty: true,
        apps: { web: { namespace: 'shop', objects: 3 } },
        images: { web: { ref: 'r.io/web:1', tag: '1', pinned: true } },
        tools: { helm: 'v3.17.2' },
        validated: true,
      },
    },
  };
  const text = readme(result, { args: ['web', '--env', 'staging', '--image', 'web=r.io/web:1'] }, 'out dir');
  assert.match(text, /at commit abc123 \*\*with uncommitted changes\*\*/);
  assert.match(text, /git checkout abc123\nkloop render web --env staging --image web=r\.io\/web:1 --out 'out dir'/);
  assert.match(text, /\| web \| shop \| 3 \|/);
});
