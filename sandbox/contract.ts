// The seam between the sandbox's API server (store, HTTP, controllers) and its node side
// (kubelet on Docker, service networking, streaming). Both halves code against these types;
// the API server implements `Store` and hands it to the node side in `NodeDeps`.

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }>;
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A resource type as the URL names it: group "" is core. */
export interface ResourceType {
  group: string;
  version: string;
  /** plural, lower case: "pods", "deployments" */
  resource: string;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * The sandbox's object store: one global resourceVersion, history for watch replay.
 * Methods throw `ApiError` (see below) with Kubernetes' reasons.
 * Internal callers (controllers, kubelet) use the same methods as HTTP handlers, so every
 * change is seen by watchers.
 */
export interface Store {
  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined;
  list(type: ResourceType, namespace: string | undefined, options?: ListOptions): KubeObject[];
  create(type: ResourceType, object: KubeObject, options?: { fieldManager?: string }): KubeObject;
  /** Replaces the object (or only its status when subresource is 'status'); bumps resourceVersion. */
  update(
    type: ResourceType,
    object: KubeObject,
    options?: { subresource?: 'status'; fieldManager?: string },
  ): KubeObject;
  /**
   * Deletes like the API: pods with a grace period and objects with finalizers are only marked
   * (deletionTimestamp set, MODIFIED event); `gracePeriodSeconds: 0` removes a pod at once.
   */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options?: { gracePeriodSeconds?: number; propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' },
  ): KubeObject | undefined;
  /** Live events from now on (no replay); returns an unsubscribe function. */
  subscribe(type: ResourceType, listener: (event: WatchEvent) => void): () => void;
}

export interface ApiErrorShape {
  code: number;
  reason: string;
  message: string;
}

/** What the node side needs from the API server process. */
export interface NodeDeps {
  store: Store;
  /** Name of the Docker network pods join (created by the node side when missing). */
  networkName: string;
  /** Label put on every Docker container and network the sandbox creates, value = sandbox instance id. */
  instanceLabel: { key: string; value: string };
  log: (message: string) => void;
}

/** What the API server needs from the node side: one object, started once. */
export interface Node {
  start(): Promise<void>;
  /** Stops every container this sandbox instance started. */
  stop(): Promise<void>;
  /** Streaming endpoints call these; each resolves the pod's container in Docker. */
  logs(request: LogRequest): Promise<NodeJS.ReadableStream>;
  exec(request: ExecRequest): Promise<ExecProcess>;
  /**
   * The node side owns the pod network (a Docker network per sandbox instance) and so the
   * Service IP range in it: the API server calls this when it defaults a Service's clusterIP
   * (creation of `default/kubernetes` included), and `releaseServiceIP` when the Service is deleted.
   * The node side watches Services itself to make them reachable by IP and DNS name.
   */
  allocateServiceIP(): string;
  releaseServiceIP(ip: string): void;
  /** Opens a TCP connection to the pod's port (from the sandbox process's network view). */
  connect(namespace: string, pod: string, port: number): Promise<import('node:net').Socket>;
}

export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  previous?: boolean;
  limitBytes?: number;
}

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  stdin: boolean;
  tty: boolean;
  /** attach to the main process instead of running a command */
  attach?: boolean;
}

export interface ExecProcess {
  stdin: NodeJS.WritableStream | null;
  stdout: NodeJS.ReadableStream;
  /** null with a tty (Docker merges the streams) */
  stderr: NodeJS.ReadableStream | null;
  resize(width: number, height: number): Promise<void>;
  /** resolves with the exit code once the process has exited */
  exited: Promise<number>;
}
