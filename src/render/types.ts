// The render engine's public shapes. deploy, dev, diff and promote all call render() and read these.

/** One Kubernetes object as rendered (plain JSON data). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface RenderOptions {
  /** apps to render, in this order (default: every app, in kloop.yaml order) */
  apps?: readonly string[];
  /** image name -> full reference (--image); other images get the tag `kloop build` computes */
  images?: Readonly<Record<string, string>>;
  /** registry digests known for images (from `kloop build`): recorded in the metadata, manifests unchanged */
  digests?: Readonly<Record<string, string>>;
  /** check objects against Kubernetes and CRD schemas (default true) */
  validate?: boolean;
  /** serve unchanged inputs from .kloop/render-cache (default true) */
  cache?: boolean;
  /**
   * 'forbid' (promote, GitOps output): fail when the value of a variable marked secret appears in
   * a rendered object. Default 'allow': the inner loop deploys what the developer's values say.
   */
  secrets?: 'allow' | 'forbid';
  /**
   * Render every app a second time, uncached, and compare (promote and diff): a template that gives
   * different output for the same inputs (randAlphaNum, genCA, uuidv4, now ...) is named with the
   * object and field that changed, as a warning ('warn') or an error ('refuse'). Default: off.
   */
  determinism?: 'off' | 'warn' | 'refuse';
  /**
   * false: the caller prints only the manifests (`kloop render` to stdout as YAML), so the source
   * commit is not asked of git (up to four git processes) and stays out of the metadata.
   */
  sourceInfo?: boolean;
}

export interface ImageRewrite {
  /** the images: entry */
  image: string;
  /** kind/namespace/name of the object */
  object: string;
  container: string;
  from: string;
  to: string;
}

export interface RenderedApp {
  name: string;
  namespace: string;
  /** sorted: namespace, kind install order, name */
  objects: KubeObject[];
  /** the objects as one stable multi-document YAML stream */
  yaml: string;
  imageRewrites: ImageRewrite[];
  /** served from the cache (no helm/kustomize ran) */
  cached: boolean;
  /** absolute paths of every file the render read (values, chart, kustomization closure, manifests): dev re-renders when one changes */
  inputs: string[];
}

export interface ImageInfo {
  ref: string;
  tag?: string;
  digest?: string;
  /** pinned with --image, else computed from the build inputs */
  pinned: boolean;
}

/** The source commit a render came from, in the field names of Argo CD's `hydrator.metadata`. */
export interface SourceCommit {
  repoURL?: string;
  drySha?: string;
  author?: string;
  date?: string;
  subject?: string;
  body?: string;
}

/** What produced a render: the source commit at the top level, everything kloop adds under `kloop`. */
export interface RenderMetadata extends SourceCommit {
  kloop: {
    version: string;
    project: string;
    environment?: string;
    kubeVersion: string;
    dirty?: boolean;
    apps: Record<string, { namespace: string; objects: number }>;
    images: Record<string, ImageInfo>;
    tools: Record<string, string>;
    validated: boolean;
  };
}

export interface RenderResult {
  apps: RenderedApp[];
  metadata: RenderMetadata;
  /** images: entries that matched no container in any rendered app */
  warnings: string[];
}
