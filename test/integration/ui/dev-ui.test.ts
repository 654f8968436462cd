// `kloop dev --ui` end to end on the sandbox, as a user runs it: the session serves its dashboard,
// `kloop ui` finds it, the page shows the target ready, a CLI action reaches the session, and
// Ctrl-C takes the dashboard down with the session.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { dashboardFile } from '../../../src/ui/session-file.ts';
import { BIN as bin, runCli } from '../../helpers/cli.ts';
import { webDevProject, writeTree } from '../../helpers/fixtures.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { freePort, type Sandbox, startSandbox } from '../dev/sandbox.ts';
import { type Browser, chromiumAvailable, launch } from './browser.ts';

const haveDocker = await requireDocker('the kloop dev --ui test');
const skip = !haveDocker ? 'Docker is not available' : !chromiumAvailable() ? 'chromium is not installed' : false;

const kloop = (dir: string, kubeconfig: string, args: string[]) =>
  runCli(args, { cwd: dir, env: { ...process.env, KUBECONFIG: kubeconfig, CI: 'true', NO_COLOR: '1', HOME: dir } });

async function eventually<T>(
  what: string | (() => string),
  fn: () => T | Promise<T>,
  ok: (v: T) => boolean,
  ms = 120_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn();
    if (ok(last)) return last;
    await delay(200);
  }
  assert.fail(`${typeof what === 'string' ? what : what()}: last value ${JSON.stringify(last)}`);
}

describe('kloop dev --ui on the sandbox', { skip }, () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let dir = '';
  let dev: ChildProcess | undefined;

  before(async () => {
    [sandbox, browser] = await Promise.all([startSandbox(), launch('light')]);
    dir = mkdtempSync(path.join(tmpdir(), 'kloop-dev-ui-'));
  });
  after(async () => {
    if (dev && dev.exitCode === null && dev.signalCode === null) {
      // a session that hangs while cleaning up ignores a second Ctrl-C: kill it after a while
      const gone = new Promise((r) => dev!.once('exit', r));
      dev.kill('SIGINT');
      const timer = setTimeout(() => dev!.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    }
    await browser?.close();
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the session serves its dashboard; kloop ui finds it and acts through it; Ctrl-C ends both', async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    writeTree(dir, webDevProject('uitest', port));
    let out = '';
    let err = '';
    dev = spawn(process.execPath, [bin, 'dev', '--ui-port', String(uiPort), '-o', 'json', '-n', 'default'], {
      cwd: dir,
      env: { ...process.env, KUBECONFIG: sandbox.kubeconfig, CI: 'true', NO_COLOR: '1', HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    dev.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const exited = new Promise<number | null>((r) => dev!.once('exit', (code) => r(code)));

    const file = dashboardFile(path.join(dir, '.kloop'));
    await eventually(
      () => `the dashboard's address in .kloop (stderr: ${err.slice(-1500)})`,
      () => {
        if (dev!.exitCode !== null || dev!.signalCode !== null)
          assert.fail(`kloop dev ended (${dev!.exitCode ?? dev!.signalCode}):\n${err.slice(-2000)}`);
        return existsSync(file);
      },
      Boolean,
    );
    const { url } = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
    assert.equal(new URL(url).port, String(uiPort), '--ui-port');
    assert.match(out, new RegExp(`"dashboard: ${url.replace(/[?]/g, '\\?')}"`), 'the session prints the URL');
    const shown = await kloop(dir, sandbox.kubeconfig, ['ui', '-o', 'json', '--no-open']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(JSON.parse(shown.stdout).targets, ['web']);
    assert.equal(JSON.parse(shown.stdout).url, url);

    const page = await browser.context.newPage();
    await page.goto(url);
    const web = page.locator('.card[data-target="web"]');
    await web.locator('.badge.s-running', { hasText: 'running' }).first().waitFor({ timeout: 120_000 });
    await web.locator(`a[href="http://127.0.0.1:${port}/"]`).waitFor();
    await web.locator('.badge.s-in-sync').waitFor();
    await page.locator('.log-row', { hasText: 'started' }).first().waitFor();

    const resync = await kloop(dir, sandbox.kubeconfig, ['ui', 'resync', 'web']);
    assert.equal(resync.code, 0, resync.stderr);
    await page.locator('#history li.action', { hasText: 'web: resync done' }).waitFor();

    const restart = await kloop(dir, sandbox.kubeconfig, ['ui', 'restart', 'web']);
    assert.equal(restart.code, 0, restart.stderr);
    await page.locator('#history li.action', { hasText: 'web: restart done' }).waitFor();
    await eventually(
      'the restarted process logs its start again',
      () => page.locator('.log-row', { hasText: 'started' }).count(),
      (n) => n >= 2,
    );
    const rebuild = await kloop(dir, sandbox.kubeconfig, ['ui', 'rebuild', 'web']);
    assert.equal(rebuild.code, 0, rebuild.stderr);
    await page.locator('#history li.action', { hasText: 'web: rebuild done' }).waitFor({ timeout: 120_000 });

    dev.kill('SIGINT');
    assert.equal(await exited, 0, err);
    assert.equal(existsSync(file), false, 'the address is removed with the session');
    const gone = await kloop(dir, sandbox.kubeconfig, ['ui', '--no-open']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no dev session with a dashboard is running/);
    await page.locator('#conn.down').waitFor();
  });
});
