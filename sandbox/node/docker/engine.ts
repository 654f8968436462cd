// Typed Docker Engine operations the kubelet and service proxies use, on top of the raw client.

import { type DockerClient, DockerError } from './client.ts';

export interface ContainerState {
  Status: string;
  Running: boolean;
  OOMKilled: boolean;
  ExitCode: number;
  StartedAt: string;
  FinishedAt: string;
  Error?: string;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Image: string;
  State: ContainerState;
  Config: { Tty: boolean; OpenStdin: boolean; Labels: Record<string, string> | null };
  NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> };
}

export interface ImageInspect {
  Id: string;
  RepoDigests?: string[];
  Size?: number;
}

export interface NetworkInspect {
  Id: string;
  Name: string;
  Labels: Record<string, string> | null;
  IPAM: { Config: Array<{ Subnet?: string; IPRange?: string; Gateway?: string }> | null };
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  State: string;
}

/** The Engine's container-create body: only the fields we set. */
export interface ContainerSpec {
  Image: string;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Labels: Record<string, string>;
  HostConfig: Record<string, unknown>;
  NetworkingConfig?: { EndpointsConfig: Record<string, unknown> };
}

/** `repo:tag` / `repo@sha256:…` → the Engine's fromImage and tag parameters (tag defaults to latest). */
export function splitReference(image: string): { repository: string; reference: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { repository: image.slice(0, at), reference: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  if (colon > image.lastIndexOf('/')) return { repository: image.slice(0, colon), reference: image.slice(colon + 1) };
  return { repository: image, reference: 'latest' };
}

export function isNotFound(err: unknown): boolean {
  return err instanceof DockerError && err.status === 404;
}

export function createEngine(client: DockerClient) {
  const enc = encodeURIComponent;
  return {
    client,
    ping: () => client.call<string>('GET', '/_ping'),

    async createContainer(name: string, spec: ContainerSpec): Promise<string> {
      const res = await client.call<{ Id: string }>('POST', '/containers/create', spec, { name });
      return res.Id;
    },
    startContainer: (id: string) => client.call('POST', `/containers/${enc(id)}/start`),
    /** SIGTERM (or the image's stop signal), then SIGKILL after `seconds`. */
    stopContainer: (id: string, seconds: number) =>
      client.call('POST', `/containers/${enc(id)}/stop`, undefined, { t: Math.max(0, Math.floor(seconds)) }),
    killContainer: (id: string, signal = 'SIGKILL') =>
      client.call('POST', `/containers/${enc(id)}/kill`, undefined, { signal }),
    async removeContainer(id: string): Promise<void> {
      try {
        await client.call('DELETE', `/containers/${enc(id)}`, undefined, { force: true, v: true });
      } catch (err) {
        // Already gone, or removal already in progress: both mean the container is going away.
        if (isNotFound(err) || (err instanceof DockerError && err.status === 409)) return;
        throw err;
      }
    },
    inspectContainer: (id: string) => client.call<ContainerInspect>('GET', `/containers/${enc(id)}/json`),
    /** Resolves when the container is not running any more, with its exit code. */
    async waitContainer(id: string): Promise<number> {
      const res = await client.call<{ StatusCode: number }>('POST', `/containers/${enc(id)}/wait`, undefined, {
        condition: 'not-running',
      });
      return res.StatusCode;
    },
    resizeContainer: (id: string, width: number, height: number) =>
      client.call('POST', `/containers/${enc(id)}/resize`, undefined, { h: height, w: width }),
    listContainers: (label: string) =>
      client.call<ContainerSummary[]>('GET', '/containers/json', undefined, {
        all: true,
        filters: JSON.stringify({ label: [label] }),
      }),

    async inspectImage(name: string): Promise<ImageInspect | undefined> {
      try {
        return await client.call<ImageInspect>('GET', `/images/${enc(name)}/json`);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    /**
     * Pulls `image` (a tag or digest reference) as `docker pull` does; `auth` is the registry
     * credential (X-Registry-Auth). Failures come back as the daemon's message, as a kubelet on
     * Docker reports them.
     */
    async pullImage(image: string, auth?: Record<string, string>): Promise<void> {
      const { repository, reference } = splitReference(image);
      const headers: Record<string, string> = {};
      // base64url with padding: the Engine's decoder wants it
      if (auth)
        headers['X-Registry-Auth'] = Buffer.from(JSON.stringify(auth))
          .toString('base64')
          .replace(/\+/g, '-')
          .replace(/\//g, '_');
      const res = await client.stream(
        'POST',
        '/images/create',
        { fromImage: repository, tag: reference },
        undefined,
        headers,
      );
      // Errors after the pull started arrive as {"error": ...} lines in a 200 stream.
      let text = '';
      for await (const chunk of res) text += chunk;
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        let message: { error?: string } = {};
        try {
          message = JSON.parse(line) as { error?: string };
        } catch {
          continue;
        }
        if (message.error) throw new DockerError(500, message.error);
      }
    },

    async inspectNetwork(name: string): Promise<NetworkInspect | undefined> {
      try {
        return await client.call<NetworkInspect>('GET', `/networks/${enc(name)}`);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    listNetworks: (label?: string) =>
      client.call<NetworkInspect[]>(
        'GET',
        '/networks',
        undefined,
        label ? { filters: JSON.stringify({ label: [label] }) } : undefined,
      ),
    createNetwork: (body: Record<string, unknown>) => client.call<{ Id: string }>('POST', '/networks/create', body),
    async removeNetwork(id: string): Promise<void> {
      try {
        await client.call('DELETE', `/networks/${enc(id)}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },

    async execCreate(
      id: string,
      options: { cmd: string[]; stdin: boolean; tty: boolean; stdout?: boolean; stderr?: boolean },
    ): Promise<string> {
      const res = await client.call<{ Id: string }>('POST', `/containers/${enc(id)}/exec`, {
        AttachStdin: options.stdin,
        AttachStdout: options.stdout ?? true,
        AttachStderr: options.stderr ?? true,
        Tty: options.tty,
        Cmd: options.cmd,
      });
      return res.Id;
    },
    execStart: (execId: string, tty: boolean) =>
      client.hijack('POST', `/exec/${enc(execId)}/start`, { Detach: false, Tty: tty }),
    execInspect: (execId: string) =>
      client.call<{ Running: boolean; ExitCode: number | null; Pid: number }>('GET', `/exec/${enc(execId)}/json`),
    execResize: (execId: string, width: number, height: number) =>
      client.call('POST', `/exec/${enc(execId)}/resize`, undefined, { h: height, w: width }),
  };
}

export type Engine = ReturnType<typeof createEngine>;
