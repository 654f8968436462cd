// docker-compose.yaml / compose.yaml → a kloop draft: services that build become images, their
// published ports dev ports and their bind mounts sync suggestions. Compose runs containers, not
// Kubernetes objects, so the apps come from the repository's charts and manifests (or a note).
import { dirname } from 'node:path';
import { type Draft, repositoryOf, toName, uniqueKey } from './draft.ts';
import { fromBase } from './paths.ts';
import { type Node, Source } from './source.ts';

const RUNTIME = 'a container runtime setting of compose: in Kubernetes it belongs in the manifests';

export function convertCompose(file: string, doc: unknown, draft: Draft, project: string): Source {
  const src = new Source(file, doc);
  const top = src.root();
  const base = dirname(file) === '.' ? '.' : dirname(file);
  top.at('version').take();
  if (top.has('name')) draft.name = toName(top.str('name') ?? project);
  for (const [service, s] of top.at('services').entries()) {
    const imageName = toName(service);
    const build = s.at('build');
    let image: string | undefined;
    if (build.value !== undefined) {
      const context = fromBase(
        base,
        typeof build.value === 'string' ? (build.take() as string) : (build.str('context') ?? '.'),
      );
      const name = uniqueKey(imageName, draft.images);
      const tagged = s.str('image');
      const out: Record<string, unknown> = { image: tagged ? repositoryOf(tagged) : `${project}/${name}`, context };
      if (tagged && tagged !== repositoryOf(tagged))
        s.at('image').note(`the tag of ${tagged} is dropped: kloop computes the tag from the build inputs`);
      const dockerfile = build.str('dockerfile');
      if (dockerfile && fromBase(context, dockerfile) !== fromBase(context, 'Dockerfile'))
        out.dockerfile = fromBase(context, dockerfile);
      const target = build.str('target');
      if (target) out.target = target;
      const args = buildArgs(build.at('args'));
      if (args) out.buildArgs = args;
      draft.images[name] = out;
      image = name;
    } else if (s.has('image')) {
      s.at('image').skip('an image compose pulls, not builds: it stays as the manifests name it');
    }
    const ports = portsOf(s.at('ports'));
    const sync = mountsOf(s.at('volumes'), base);
    if (ports.length || sync.length)
      draft.dev.push({
        select: { ...(image ? { image } : {}), resource: `deployment/${toName(service)}` },
        origin: `services.${service}`,
        name: toName(service),
        ...(ports.length ? { ports } : {}),
        ...(sync.length ? { sync } : {}),
      });
  }
  draft.sources.push(file);
  return src;
}

export const composeLeftoverReason = RUNTIME;

function buildArgs(n: Node): Record<string, string> | undefined {
  if (Array.isArray(n.value)) {
    const out: Record<string, string> = {};
    for (const item of n.items()) {
      const [k, ...v] = String(item.value).split('=');
      if (k) out[k] = v.join('=');
    }
    n.take();
    return Object.keys(out).length ? out : undefined;
  }
  const raw = n.value === undefined ? undefined : n.take();
  return raw && typeof raw === 'object'
    ? Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v ?? '')]))
    : undefined;
}

/** Published ports: "8080:80", "127.0.0.1:8080:80/tcp", { target, published }. */
function portsOf(n: Node): { local: number; remote: number }[] {
  const out: { local: number; remote: number }[] = [];
  for (const p of n.items()) {
    if (p.isMap) {
      const remote = p.num('target');
      const local = p.num('published') ?? remote;
      for (const k of ['protocol', 'mode', 'host_ip', 'name', 'app_protocol']) p.at(k).take();
      if (local && remote) out.push({ local, remote });
      continue;
    }
    const text = String(p.value).replace(/\/(tcp|udp)$/, '');
    const parts = text.split(':');
    const remote = Number(parts.at(-1));
    const local = parts.length > 1 ? Number(parts.at(-2)) : remote;
    if (Number.isInteger(local) && Number.isInteger(remote) && local > 0 && remote > 0) {
      p.take();
      out.push({ local, remote });
    } else p.skip('a port range or unpublished port is not converted');
  }
  return out;
}

/** Bind mounts of a local directory: "./src:/app[:ro]" or { type: bind, source, target }. */
function mountsOf(n: Node, base: string): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  for (const v of n.items()) {
    let source: string | undefined;
    let target: string | undefined;
    if (v.isMap) {
      if (v.at('type').value !== 'bind') continue;
      source = String(v.at('source').value ?? '');
      target = String(v.at('target').value ?? '');
    } else {
      const parts = String(v.value).split(':');
      [source, target] = parts;
    }
    if (!source || !target || !/^[./~]/.test(source) || !target.startsWith('/')) continue;
    if (source.startsWith('~') || source.startsWith('/')) {
      v.skip('a mount of a directory outside the project cannot be synced');
      continue;
    }
    v.take();
    out.push({ from: fromBase(base, source), to: target });
  }
  return out;
}
