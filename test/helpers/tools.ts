// The tool versions a suite claims to test against. Whatever kubectl or helm comes first on PATH is
// what runs, so a suite that says "kubectl 1.32" checks it before its first test instead of passing
// silently against another release.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

export const KUBECTL_VERSION = '1.32';
export const HELM_VERSION = '3.17';

/** major.minor of the kubectl first on PATH, from its own version report */
export function kubectlVersion(env: NodeJS.ProcessEnv = process.env): string {
  const out = execFileSync('kubectl', ['version', '--client', '-o', 'json'], { env, encoding: 'utf8' });
  const v = (JSON.parse(out) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
  return v.replace(/^v/, '').split('.').slice(0, 2).join('.');
}

/** major.minor of the helm first on PATH */
export function helmVersion(env: NodeJS.ProcessEnv = process.env): string {
  const v = execFileSync('helm', ['version', '--template', '{{.Version}}'], { env, encoding: 'utf8' });
  return v.trim().replace(/^v/, '').split('.').slice(0, 2).join('.');
}

/** Fails the suite unless the tools first on PATH are the releases it claims (scripts/env.sh puts them there). */
export function expectTools(tools: { kubectl?: boolean; helm?: boolean }, env: NodeJS.ProcessEnv = process.env): void {
  const hint = 'run `source scripts/env.sh` (or `bash scripts/setup.sh`) so .tools/bin comes first on PATH';
  if (tools.kubectl)
    assert.equal(kubectlVersion(env), KUBECTL_VERSION, `kubectl on PATH is not ${KUBECTL_VERSION}: ${hint}`);
  if (tools.helm) assert.equal(helmVersion(env), HELM_VERSION, `helm on PATH is not ${HELM_VERSION}: ${hint}`);
}
