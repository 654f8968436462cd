// devspace.yaml (v1beta10, v1beta11 and v2beta1 / DevSpace 6) → a kloop draft.
import { dirname, relative } from 'node:path';
import type { HookName } from '../config/schema.ts';
import { KloopError } from '../errors.ts';
import { type DevIntent, type Draft, type PodSelector, repositoryOf, shellLine, toName, uniqueKey } from './draft.ts';
import { exists, fromBase, isDir, manifestGlobs, posix } from './paths.ts';
import { type Node, Source } from './source.ts';

const V1 = /^v1beta([0-9]+)$/;

export function convertDevspace(root: string, file: string, doc: unknown, draft: Draft): Source {
  const src = new Source(file, doc);
  const top = src.root();
  const version = top.str('version') ?? '';
  const m = V1.exec(version);
  const v6 = version === 'v2beta1';
  if (!v6 && !(m && Number(m[1]) >= 9))
    throw new KloopError(`${file}: DevSpace config version "${version}" is not supported by kloop init`, {
      hint: 'kloop init converts v1beta10, v1beta11 and v2beta1 (run `devspace print` with a newer DevSpace to upgrade it)',
    });
  const base = dirname(file) === '.' ? '.' : dirname(file);
  const c = new Convert(root, base, src, draft, v6);
  if (top.has('name')) draft.name = toName(top.str('name') ?? '');
  for (const [k, n] of top.entries()) if (k.startsWith('.')) n.take();
  c.vars(top.at('vars'));
  c.images(top.at('images'));
  c.deployments(top.at('deployments'));
  if (v6) c.devV6(top.at('dev'));
  else c.devV1(top.at('dev'));
  c.hooks(top.at('hooks'));
  c.commands(top.at('commands'));
  c.profiles(top.at('profiles'));
  c.dependencies(top.at('dependencies'));
  top
    .at('pipelines')
    .skip(
      'kloop runs one fixed pipeline (hooks → build → render → deploy → dev); custom pipeline scripts are not converted',
    );
  top.at('require').skip('kloop checks its own tools with `kloop doctor`');
  top.at('localRegistry').skip('images reach the cluster as build.load decides (kind, k3d, minikube, push)');
  top.at('pullSecrets').skip('kloop does not create image pull secrets; add a Secret to your manifests');
  top.at('functions').skip('DevSpace pipeline functions have no kloop equivalent');
  top
    .at('imports')
    .skip('imported DevSpace configs are not converted: run kloop init on them and add them as dependencies');
  draft.sources.push(file);
  draft.namesManifests ||= Object.keys(draft.apps).length > 0;
  return src;
}

class Convert {
  /** DevSpace image name → kloop image name */
  readonly imageNames = new Map<string, string>();
  /** DevSpace image name → repository, built or not */
  readonly repositories = new Map<string, string>();
  readonly root: string;
  readonly base: string;
  readonly src: Source;
  readonly draft: Draft;
  readonly v6: boolean;
  constructor(root: string, base: string, src: Source, draft: Draft, v6: boolean) {
    this.root = root;
    this.base = base;
    this.src = src;
    this.draft = draft;
    this.v6 = v6;
  }

  path(p: string): string {
    return fromBase(this.base, p);
  }

  vars(node: Node): void {
    const one = (name: string, n: Node) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return n.skip('not a variable name kloop accepts');
      if (!n.isMap) {
        const v = n.take();
        this.draft.vars[name] =
          typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
        return;
      }
      n.at('name').take();
      const value = n.str('value') ?? n.str('default');
      const secret = n.bool('password') === true;
      const question = n.str('question');
      // source: env|input|all: kloop reads the environment, the env file and --var; it never asks
      n.at('source').take();
      if (n.has('command') || n.has('commands'))
        n.at(n.has('command') ? 'command' : 'commands').skip(
          'kloop variables are not computed by commands: set it in the env file or pass --var',
        );
      n.at('options').skip('kloop does not ask for values: set it in the env file or pass --var');
      n.at('alwaysResolve').take();
      n.at('noCache').take();
      const spec: Record<string, unknown> = {};
      if (value !== undefined) spec.default = value;
      else spec.required = true;
      if (secret) spec.secret = true;
      if (question) spec.description = question;
      this.draft.vars[name] = Object.keys(spec).length === 1 && 'default' in spec ? (value as string) : (spec as never);
    };
    if (this.v6) for (const [k, n] of node.entries()) one(k, n);
    else for (const n of node.items()) one(n.str('name') ?? '', n);
  }

  images(node: Node): void {
    for (const [key, n] of node.entries()) {
      const image = n.str('image');
      if (!image) continue;
      const build = n.at('build');
      // a pod is still picked by the image's repository when DevSpace does not build it
      this.repositories.set(key, repositoryOf(image));
      if (build.bool('disabled') === true) {
        n.skip('build.disabled: the image is not built; manifests keep the image reference as written');
        continue;
      }
      const name = uniqueKey(toName(key), this.draft.images);
      this.imageNames.set(key, name);
      const repo = repositoryOf(image);
      if (repo !== image)
        this.src.note(
          [...n.path, 'image'],
          `the tag of ${image} is dropped: kloop computes the tag from the build inputs`,
        );
      const out: Record<string, unknown> = { image: repo };
      const context = this.path(n.str('context') ?? '.');
      out.context = context;
      const dockerfile = this.path(n.str('dockerfile') ?? './Dockerfile');
      if (dockerfile !== fromBase(context, 'Dockerfile')) out.dockerfile = dockerfile;
      const docker = build.at('docker');
      const options = this.v6 ? n : docker.at('options');
      const args = options.raw('buildArgs');
      if (args && typeof args === 'object') out.buildArgs = args;
      const target = options.str('target');
      if (target) out.target = target;
      n.at('tags').skip('kloop computes the tag from the build inputs (a content hash)');
      const custom = this.v6 ? n.at('custom') : build.at('custom');
      if (custom.has('command')) {
        const argv = [custom.str('command') ?? '', ...(custom.strings('args') ?? [])];
        out.builder = 'custom';
        // DevSpace runs it in the project directory and appends the image reference; kloop runs it
        // in the context with IMAGE set
        const up = posix(relative(context, '.'));
        out.custom = { command: `${context === '.' ? '' : `cd ${up} && `}${shellLine(argv)} "$IMAGE"` };
        const onChange = custom.strings('onChange');
        if (onChange?.length)
          (out.custom as Record<string, unknown>).inputs = onChange.map((p) => posix(relative(context, this.path(p))));
      }
      for (const k of ['kaniko', 'buildKit'])
        (this.v6 ? n : build).at(k).skip(`${k} builds are not converted: kloop builds with docker, buildah or podman`);
      docker.at('skipPush').skip('kloop pushes only when build.load is push');
      this.draft.images[name] = out;
    }
  }

  deployments(node: Node): void {
    const list: [string, Node][] = this.v6
      ? node.entries()
      : node.items().map((n): [string, Node] => [n.str('name') ?? `deployment-${n.path.at(-1)}`, n]);
    for (const [key, n] of list) {
      const ns = n.str('namespace');
      const namespace = ns && !/\$\{?DEVSPACE_NAMESPACE\}?/.test(ns) ? ns : undefined;
      const kubectl = n.at('kubectl');
      const helm = n.at('helm');
      const app = (extra: Record<string, unknown>) => {
        const name = uniqueKey(toName(key), this.draft.apps);
        this.draft.apps[name] = { ...(namespace ? { namespace } : {}), ...extra };
        return name;
      };
      if (kubectl.value !== undefined) {
        const manifests = (kubectl.strings('manifests') ?? []).map((p) => this.path(p));
        if (kubectl.bool('kustomize') === true) {
          for (const dir of manifests) app({ kustomize: dir });
        } else if (manifests.length) {
          const missing = manifests.filter((m) => !/[*?[]/.test(m) && !exists(this.root, m));
          if (missing.length) this.src.note([...kubectl.path, 'manifests'], `not found: ${missing.join(', ')}`);
          const globs = manifests.filter((m) => !missing.includes(m)).flatMap((m) => manifestGlobs(this.root, m));
          if (globs.length) app({ manifests: globs });
        }
        kubectl.at('kustomizeArgs').skip('extra kustomize arguments are not converted');
        kubectl.at('inlineManifest').skip("write the inline manifest to a file and list it under the app's manifests");
      }
      if (helm.value !== undefined) this.helm(key, helm, app);
    }
  }

  helm(key: string, helm: Node, app: (extra: Record<string, unknown>) => string): void {
    if (helm.bool('componentChart') === true) {
      helm.skip(
        'the DevSpace component chart is fetched from charts.devspace.sh; kloop renders local charts: `helm pull` it into the repository and point helm.chart at it',
      );
      return;
    }
    const chartNode = helm.at('chart');
    const chartName =
      typeof chartNode.value === 'string'
        ? (chartNode.take() as string)
        : (chartNode.str('path') ?? chartNode.str('name'));
    const chart = chartName ? this.path(chartName) : undefined;
    if (!chart || !isDir(this.root, chart) || chartNode.has('repo')) {
      helm.skip(
        `the chart ${chartName ?? '(none)'} is not a local directory; kloop renders local charts: \`helm pull --untar\` it into the repository and point helm.chart at it`,
      );
      return;
    }
    chartNode.at('version').take();
    const values = (helm.strings('valuesFiles') ?? []).map((p) => this.path(p));
    const inline = helm.raw('values');
    const name = toName(key);
    if (inline && typeof inline === 'object' && Object.keys(inline).length) {
      // DevSpace merges valuesFiles first and values on top: the same as helm's -f order
      const file = `kloop/values-${name}.yaml`;
      this.draft.files[file] = inline as never;
      values.push(file);
    }
    const releaseName = helm.str('releaseName');
    const out: Record<string, unknown> = { chart };
    if (releaseName && releaseName !== name) out.releaseName = releaseName;
    if (key !== name && !releaseName) out.releaseName = key;
    if (values.length) out.values = values;
    for (const k of [
      'wait',
      'timeout',
      'atomic',
      'force',
      'replaceImageTags',
      'displayOutput',
      'upgradeArgs',
      'templateArgs',
      'deleteArgs',
      'v2',
      'tillerNamespace',
      'path',
      'output',
      'disableDependencyUpdate',
    ])
      helm.at(k).take();
    app({ helm: out });
  }

  /** An imageName / imageSelector / labelSelector of DevSpace as a pod selector. */
  selector(n: Node): PodSelector {
    const sel: PodSelector = {};
    const imageName = n.str('imageName');
    const imageSelector = n.str('imageSelector');
    if (imageName) sel.image = this.imageNames.get(imageName) ?? this.repositories.get(imageName) ?? imageName;
    else if (imageSelector) {
      const m = /^image\(([^)]+)\)(:tag\([^)]+\))?$/.exec(imageSelector);
      const repo = repositoryOf(imageSelector);
      const named = Object.entries(this.draft.images).find(([, i]) => i.image === repo)?.[0];
      sel.image = m?.[1] ? (this.imageNames.get(m[1]) ?? this.repositories.get(m[1]) ?? m[1]) : (named ?? repo);
    }
    const labels = n.raw('labelSelector');
    if (labels && typeof labels === 'object')
      sel.labels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
    const container = n.str('containerName') ?? n.str('container');
    if (container) sel.container = container;
    n.at('namespace').take();
    return sel;
  }

  intent(sel: PodSelector, origin: string, name?: string): DevIntent {
    const key = JSON.stringify(sel);
    const found = this.draft.dev.find((d) => JSON.stringify(d.select) === key);
    if (found) return found;
    const d: DevIntent = { select: sel, origin, ...(name ? { name } : {}) };
    this.draft.dev.push(d);
    return d;
  }

  onUpload(d: DevIntent, n: Node): void {
    const up = n.at('onUpload');
    if (up.bool('restartContainer') === true) d.onSync = 'restart';
    const exec = up.at('execRemote');
    if (exec.has('command')) {
      d.onSync = { exec: shellLine([exec.str('command') ?? '', ...(exec.strings('args') ?? [])]) };
      exec.at('onBatch').take();
    }
    const execs = up.at('exec').items();
    if (execs.length) {
      const lines = execs
        .map((e) => {
          e.at('onChange').take();
          if (e.bool('local') === true) e.skip('a local command after upload has no kloop equivalent');
          return e.has('args')
            ? shellLine([e.str('command') ?? '', ...(e.strings('args') ?? [])])
            : (e.str('command') ?? '');
        })
        .filter(Boolean);
      if (lines.length) d.onSync = { exec: lines.join(' && ') };
    }
  }

  sync(d: DevIntent, from: string, to: string | undefined, n: Node): void {
    if (!to?.startsWith('/')) {
      n.skip(
        `the container path ${to ?? '(the working directory)'} is not absolute: kloop needs one; add the sync by hand with to: /absolute/path`,
      );
      return;
    }
    const exclude = [...(n.strings('excludePaths') ?? []), ...(n.strings('uploadExcludePaths') ?? [])];
    if (n.has('excludeFile')) n.at('excludeFile').skip('copy its patterns into exclude:');
    const download = n.bool('disableDownload') !== true;
    n.at('downloadExcludePaths').skip('kloop has one exclude list for both directions');
    for (const k of [
      'initialSync',
      'waitInitialSync',
      'polling',
      'printLogs',
      'startContainer',
      'noWatch',
      'bandwidthLimits',
      'name',
      'disableUpload',
      'file',
    ])
      n.at(k).take();
    d.sync = [
      ...(d.sync ?? []),
      { from, to, ...(exclude.length ? { exclude } : {}), ...(download ? { download: true } : {}) },
    ];
    this.onUpload(d, n);
  }

  devV1(dev: Node): void {
    for (const p of dev.at('ports').items()) {
      const d = this.intent(this.selector(p), p.where, p.str('name'));
      for (const f of p.at('forward').items()) {
        const local = f.num('port');
        const remote = f.num('remotePort') ?? local;
        f.at('bindAddress').take();
        if (local && remote) d.ports = [...(d.ports ?? []), { local, remote }];
      }
      p.at('reverseForward').skip(
        "kloop has no reverse port-forward: `kloop connect` runs a local process with the cluster's services reachable",
      );
      p.at('arch').take();
    }
    for (const s of dev.at('sync').items()) {
      const d = this.intent(this.selector(s), s.where, s.str('name'));
      this.sync(d, this.path(s.str('localSubPath') ?? '.'), s.str('containerPath'), s);
      s.at('arch').take();
    }
    for (const r of dev.at('replacePods').items()) {
      const d = this.intent(this.selector(r), r.where);
      const image = r.str('replaceImage');
      if (image) d.patch = { ...d.patch, image };
      r.at('patches').skip('JSON patches of the pod are not converted: use patch.command/args/env/workingDir');
    }
    this.opens(dev.at('open'));
    const t = dev.at('terminal');
    if (t.value !== undefined)
      t.skip(
        `use \`kloop enter <target>${t.at('command').value ? ` -- ${[t.at('command').value].flat().join(' ')}` : ''}\` for a terminal in the dev container`,
      );
    const reload = dev.at('autoReload');
    const paths = reload.strings('paths');
    if (paths?.length) {
      const d = this.draft.dev[0];
      if (d) d.rebuild = paths.map((p) => this.path(p));
      else reload.at('paths').skip('no dev target to attach rebuild globs to');
    }
    reload.at('deployments').skip("kloop re-renders and redeploys when an app's inputs change");
    reload.at('images').skip("kloop rebuilds when an image's build inputs change (see dev.<target>.rebuild)");
    dev.at('logs').skip('kloop dev follows the logs of every dev target');
    dev.at('interactive').skip('use `kloop enter <target>` for a terminal in the dev container');
  }

  opens(open: Node): void {
    for (const o of open.items()) {
      const url = o.str('url');
      if (!url) continue;
      const port = Number(/:\/\/[^/:]+:(\d+)/.exec(url)?.[1] ?? 80);
      const d =
        this.draft.dev.find((t) => !t.open && t.ports?.some((p) => p.local === port)) ??
        this.draft.dev.find((t) => !t.open);
      if (d) d.open = url;
      else o.skip('kloop opens one URL per dev target and there is no dev target left for it');
    }
  }

  devV6(dev: Node): void {
    for (const [key, n] of dev.entries()) {
      const d = this.intent(this.selector(n), n.where, toName(key));
      const image = n.str('devImage');
      const patch: NonNullable<DevIntent['patch']> = {};
      if (image) patch.image = image;
      const command = n.strings('command');
      if (command?.length) patch.command = command;
      const args = n.strings('args');
      if (args?.length) patch.args = args;
      const workingDir = n.str('workingDir');
      if (workingDir) patch.workingDir = workingDir;
      const env = n.at('env').items();
      if (env.length) patch.env = Object.fromEntries(env.map((e) => [e.str('name') ?? '', e.str('value') ?? '']));
      if (Object.keys(patch).length) d.patch = patch;
      for (const s of n.at('sync').items()) {
        const spec = s.str('path') ?? '.';
        const i = spec.lastIndexOf(':');
        const [local, remote] = i > 0 ? [spec.slice(0, i), spec.slice(i + 1)] : [spec, workingDir];
        this.sync(d, this.path(local || '.'), remote, s);
      }
      for (const p of n.at('ports').items()) {
        const spec = p.str('port') ?? '';
        const [l, r] = spec.split(':');
        p.at('bindAddress').take();
        if (l) d.ports = [...(d.ports ?? []), { local: Number(l), remote: Number(r ?? l) }];
      }
      n.at('reversePorts').skip(
        "kloop has no reverse port-forward: `kloop connect` runs a local process with the cluster's services reachable",
      );
      this.opens(n.at('open'));
      const t = n.at('terminal');
      if (t.value !== undefined)
        t.skip(
          `use \`kloop enter ${d.name ?? key}${t.at('command').value ? ` -- ${t.at('command').value}` : ''}\` for a terminal in the dev container`,
        );
      n.at('restartHelper').skip('not needed: onSync: restart works without a helper in the image');
      n.at('logs').skip('kloop dev follows the logs of every dev target');
      n.at('ssh').skip('kloop has no SSH into the dev container: use `kloop enter`');
      n.at('proxyCommands').skip('kloop does not proxy local commands into the container');
      n.at('patches').skip('JSON patches of the pod are not converted: use patch.command/args/env/workingDir');
      n.at('resources').skip('set the container resources in the manifests');
      n.at('persistPaths').skip('kloop does not add volumes for the dev container');
      n.at('attach').skip('use `kloop enter` to attach to the dev container');
    }
  }

  hooks(node: Node): void {
    const v1Events: Record<string, [HookName, HookName] | undefined> = {
      images: ['beforeBuild', 'afterBuild'],
      deployments: ['beforeDeploy', 'afterDeploy'],
      purgeDeployments: ['beforePurge', 'afterPurge'],
    };
    const v11: Record<string, HookName> = {
      'before:build': 'beforeBuild',
      'after:build': 'afterBuild',
      'before:deploy': 'beforeDeploy',
      'after:deploy': 'afterDeploy',
      'before:render': 'beforeRender',
      'after:render': 'afterRender',
      'before:purge': 'beforePurge',
      'after:purge': 'afterPurge',
    };
    for (const h of node.items()) {
      const argv = h.strings('args');
      const cmd = h.str('command');
      if (!cmd) continue;
      const command = argv ? shellLine([cmd, ...argv]) : cmd;
      const names = new Set<HookName>();
      const when = h.at('when');
      for (const [i, phase] of (['before', 'after'] as const).entries())
        for (const [what, n] of when.at(phase).entries()) {
          const hook = v1Events[what]?.[i];
          if (!hook) n.skip(`the ${phase} ${what} event has no kloop hook`);
          else {
            const which = String(n.take());
            if (which !== 'all')
              this.src.note(
                n.path,
                `runs for every ${what === 'images' ? 'build' : 'deploy'} (DevSpace ran it only for ${which})`,
              );
            names.add(hook);
          }
        }
      const events = h.at('events');
      for (const e of events.items()) {
        const ev = String(e.value ?? '');
        const m = /^(before|after):(build|deploy|render|purge)(?::(.+))?$/.exec(ev);
        const hook = m ? v11[`${m[1]}:${m[2]}`] : undefined;
        if (!hook) {
          e.skip(`the event ${ev} has no kloop hook`);
          continue;
        }
        e.take();
        if (m?.[3] && m[3] !== '*') this.src.note(e.path, `runs for every ${m[2]} (DevSpace ran it only for ${m[3]})`);
        names.add(hook);
      }
      const where = h.at('where').at('container');
      const container = h.at('container').value !== undefined ? h.at('container') : where;
      const select = container.value !== undefined ? this.selector(container) : undefined;
      if (container.value !== undefined) for (const k of ['wait', 'timeout']) container.at(k).take();
      for (const k of ['upload', 'download', 'logs', 'wait']) h.at(k).skip(`${k} hooks have no kloop equivalent`);
      h.at('os').take();
      h.at('silent').take();
      h.at('background').skip('kloop hooks run to completion before the next step');
      h.at('name').take();
      for (const hook of names)
        this.draft.hooks.push({ hook, command, ...(select ? { select } : {}), origin: h.where });
    }
  }

  commands(node: Node): void {
    const one = (name: string, n: Node) => {
      const run = typeof n.value === 'string' ? (n.take() as string) : n.str('command');
      if (!run) return;
      const key = uniqueKey(
        name.replace(/[^-a-zA-Z0-9_:]/g, '-').replace(/^[^a-zA-Z0-9]+/, '') || 'command',
        this.draft.commands,
      );
      const description = n.str('description');
      n.at('name').take();
      n.at('appendArgs').take();
      n.at('args').skip('kloop run passes its extra arguments to the command');
      n.at('section').take();
      this.draft.commands[key] = description ? { run, description } : run;
    };
    if (this.v6) for (const [k, n] of node.entries()) one(k, n);
    else for (const n of node.items()) one(n.str('name') ?? 'command', n);
  }

  profiles(node: Node): void {
    for (const p of node.items()) {
      const name = p.str('name');
      if (!name) continue;
      const env = uniqueKey(toName(name), this.draft.environments);
      this.draft.environments[env] = {};
      const why = `kloop environments choose a kube context, namespace and values file for --env ${env}; they do not change images, apps or dev targets`;
      // variable values a profile sets are what an environment's env file is for
      const values = new Map<string, string>();
      for (const patch of p.at('patches').items()) {
        const op = String(patch.at('op').value ?? '');
        const path = String(patch.at('path').value ?? '');
        const value = patch.at('value').value;
        const name = this.patchedVar(path);
        if (name && (op === 'replace' || op === 'add') && ['string', 'number', 'boolean'].includes(typeof value)) {
          values.set(name, String(value));
          patch.take();
        } else patch.skip(`${why}: ${JSON.stringify(patch.value)}`);
      }
      for (const k of ['replace', 'merge']) {
        const vars = p.at(k).at('vars');
        const list: [string, Node][] = this.v6
          ? vars.entries()
          : vars.items().map((n): [string, Node] => [String(n.at('name').value ?? ''), n]);
        for (const [name, n] of list) {
          const v = n.isMap ? (n.at('value').value ?? n.at('default').value) : n.value;
          if (name && ['string', 'number', 'boolean'].includes(typeof v)) {
            values.set(name, String(v));
            n.take();
          }
        }
        for (const [key, n] of p.at(k).entries())
          if (key !== 'vars') n.skip(`${why}: ${JSON.stringify({ [k]: { [key]: n.value } })}`);
        for (const [, n] of list) if (!this.src.taken.has(n.where)) n.skip(`${why}: a variable without a plain value`);
      }
      p.at('strategicMerge').skip(`${why}: ${JSON.stringify(p.at('strategicMerge').value)}`);
      if (values.size) {
        const file = `envs/${env}.env`;
        this.draft.files[file] =
          `# values of --env ${env}, from the DevSpace profile ${name}\n${[...values].map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
        this.draft.environments[env] = { envFile: file };
        for (const k of values.keys()) if (!Object.hasOwn(this.draft.vars, k)) this.draft.vars[k] = {};
      }
      p.at('activation').skip(`kloop environments are chosen with --env ${env}, never activated automatically`);
      for (const k of ['parent', 'parents']) p.at(k).skip('profile inheritance is not converted');
      p.at('description').take();
    }
  }

  /** The variable a profile patch path sets: vars.X, vars.X.value, /vars/X (v6); vars.name=X.value, vars[0].value (v5). */
  patchedVar(path: string): string | undefined {
    const p = path.replace(/^\//, '').replace(/\//g, '.');
    const named = /^vars\.name=(\w+)(\.value)?$/.exec(p) ?? (this.v6 ? /^vars\.(\w+)(\.value)?$/.exec(p) : null);
    if (named) return named[1];
    const index = /^vars(?:\[(\d+)\]|\.(\d+))(\.value)$/.exec(p);
    if (!index || this.v6) return undefined;
    const entry = (this.src.doc as { vars?: { name?: unknown }[] }).vars?.[Number(index[1] ?? index[2])];
    return typeof entry?.name === 'string' ? entry.name : undefined;
  }

  dependencies(node: Node): void {
    const list: [string, Node][] = this.v6
      ? node.entries()
      : node.items().map((n): [string, Node] => [n.str('name') ?? `dependency-${n.path.at(-1)}`, n]);
    for (const [key, n] of list) {
      const s = this.v6 ? n : n.at('source');
      const name = uniqueKey(toName(key), this.draft.dependencies);
      const git = s.str('git');
      const path = s.str('path');
      if (path && !isDir(this.root, this.path(path))) {
        n.skip(`${path} does not exist here: clone it beside this project and add it under dependencies:`);
        continue;
      }
      if (path) this.draft.dependencies[name] = { path: this.path(path) };
      else if (git) {
        const ref = s.str('revision') ?? s.str('tag') ?? s.str('branch');
        const subPath = s.str('subPath');
        this.draft.dependencies[name] = { git, ...(ref ? { ref } : {}), ...(subPath ? { subPath } : {}) };
        this.src.note(n.path, 'the dependency needs a kloop.yaml of its own: run `kloop init` in it too');
      } else continue;
      for (const k of ['cloneArgs', 'disableShallow']) s.at(k).take();
      for (const k of [
        'profile',
        'profiles',
        'profileParents',
        'vars',
        'overwriteVars',
        'overrideVars',
        'skipBuild',
        'ignoreDependencies',
        'namespace',
        'pipeline',
      ])
        n.at(k).skip("per-dependency settings are not converted: the dependency's own kloop.yaml decides");
    }
  }
}
