// The pod network: one Docker bridge network per sandbox instance, on a /16 nobody else uses.
// Docker hands out pod IPs from the lower half; the upper half is the Service IP range, given
// to service proxies as static addresses so they never collide with pods.

import type { Engine } from './docker/engine.ts';

export interface PodNetwork {
  name: string;
  id: string;
  /** e.g. 10.201.0.0/16 */
  subnet: string;
  gateway: string;
  /** first two octets, e.g. "10.201" */
  prefix: string;
}

function overlaps(a: string, b: string): boolean {
  const parse = (cidr: string) => {
    const [ip, bits] = cidr.split('/');
    const n = ip!.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(bits ?? 32));
    const start = n - (n % size);
    return [start, start + size - 1] as const;
  };
  const [a0, a1] = parse(a);
  const [b0, b1] = parse(b);
  return a0 <= b1 && b0 <= a1;
}

function describe(network: {
  Id: string;
  Name: string;
  IPAM: { Config: Array<{ Subnet?: string; Gateway?: string }> | null };
}): PodNetwork {
  const config = network.IPAM.Config?.find((c) => c.Subnet && /^\d+\.\d+\.0\.0\/16$/.test(c.Subnet));
  if (!config?.Subnet) throw new Error(`Docker network ${network.Name} has no /16 IPv4 subnet; remove it and retry`);
  const prefix = config.Subnet.split('.').slice(0, 2).join('.');
  return {
    name: network.Name,
    id: network.Id,
    subnet: config.Subnet,
    gateway: config.Gateway ?? `${prefix}.0.1`,
    prefix,
  };
}

/** Creates the network (or adopts one this instance made before) on a free 10.x/16. */
export async function ensureNetwork(engine: Engine, name: string, labels: Record<string, string>): Promise<PodNetwork> {
  const existing = await engine.inspectNetwork(name);
  if (existing) {
    const [key, value] = Object.entries(labels)[0]!;
    if (existing.Labels?.[key] !== value) {
      throw new Error(`Docker network "${name}" exists but belongs to another sandbox; pick another name or remove it`);
    }
    return describe(existing);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const taken = (await engine.listNetworks()).flatMap((n) => (n.IPAM.Config ?? []).map((c) => c.Subnet ?? ''));
    // Start at a random offset so concurrent sandboxes rarely race for the same range.
    const offset = Math.floor(Math.random() * 50);
    for (let i = 0; i < 50; i++) {
      const second = 200 + ((offset + i) % 50);
      const subnet = `10.${second}.0.0/16`;
      if (taken.some((t) => t && overlaps(t, subnet))) continue;
      try {
        const { Id } = await engine.createNetwork({
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          Labels: labels,
          IPAM: { Config: [{ Subnet: subnet, IPRange: `10.${second}.0.0/17`, Gateway: `10.${second}.0.1` }] },
        });
        return { name, id: Id, subnet, gateway: `10.${second}.0.1`, prefix: `10.${second}` };
      } catch (err) {
        // Another process took the range (or the name) meanwhile: look again.
        if (!/overlap|already exists|conflict/i.test((err as Error).message)) throw err;
        const now = await engine.inspectNetwork(name);
        if (now) return describe(now);
        break;
      }
    }
  }
  throw new Error('no free 10.200.0.0/16–10.249.0.0/16 subnet for the sandbox network; remove unused Docker networks');
}

/** Service IPs from the upper half of the pod network: 10.x.128.1 – 10.x.255.254. */
export function createServiceIPs(prefix: string) {
  const used = new Set<number>();
  const first = 128 * 256 + 1;
  const last = 256 * 256 - 2;
  let next = first;
  const toIP = (n: number) => `${prefix}.${Math.floor(n / 256)}.${n % 256}`;
  const toIndex = (ip: string): number | undefined => {
    const parts = ip.split('.');
    if (parts.length !== 4 || `${parts[0]}.${parts[1]}` !== prefix) return undefined;
    const n = Number(parts[2]) * 256 + Number(parts[3]);
    return n >= first && n <= last ? n : undefined;
  };
  return {
    allocate(): string {
      for (let i = 0; i <= last - first; i++) {
        const n = first + ((next - first + i) % (last - first + 1));
        if (n % 256 === 0 || n % 256 === 255 || used.has(n)) continue;
        used.add(n);
        next = n + 1;
        return toIP(n);
      }
      throw new Error(`the sandbox's Service IP range ${prefix}.128.0/17 is exhausted`);
    },
    /** Marks an address as taken (a Service that already has it); false when outside the range. */
    reserve(ip: string): boolean {
      const n = toIndex(ip);
      if (n === undefined) return false;
      used.add(n);
      return true;
    },
    release(ip: string): void {
      const n = toIndex(ip);
      if (n !== undefined) used.delete(n);
    },
    contains: (ip: string) => toIndex(ip) !== undefined,
  };
}

export type ServiceIPs = ReturnType<typeof createServiceIPs>;
