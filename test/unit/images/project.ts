// A resolved Project for build tests, built by hand so the tests do not depend on config loading.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Project, ResolvedImage } from '../../../src/config/project.ts';

export interface ImageSpec extends Partial<Omit<ResolvedImage, 'name'>> {
  image: string;
}

export function makeProject(root: string, images: Record<string, ImageSpec>, extra: Partial<Project> = {}): Project {
  const resolved: Record<string, ResolvedImage> = {};
  for (const [name, spec] of Object.entries(images)) {
    const context = spec.context ?? root;
    resolved[name] = {
      name,
      builder: 'docker',
      buildArgs: {},
      ...spec,
      context,
      dockerfile: spec.dockerfile ?? join(context, 'Dockerfile'),
    };
  }
  return {
    name: 'test',
    root,
    configFile: join(root, 'kloop.yaml'),
    input: { cwd: root, vars: {} },
    environments: {},
    vars: { own: new Map(), process: {} },
    kubeVersion: '1.32',
    build: { load: 'none', parallel: 2 },
    images: resolved,
    apps: {},
    dependencies: {},
    dev: {},
    hooks: {},
    commands: {},
    cluster: { namespace: 'default' },
    tools: { helm: 'helm', kubectl: 'kubectl', docker: 'docker', git: 'git' },
    stateDir: join(root, '.kloop'),
    ...extra,
  };
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
