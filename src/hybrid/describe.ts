// How forwarded Services read in the terminal: `back → 127.0.0.2:8080`.
import type { ForwardStatus } from './service-forwards.ts';

export function describeServices(services: readonly ForwardStatus[]): string[] {
  return services.map((s) => {
    const ports = s.ports.map((p) => (p.localPort === p.port ? `${p.port}` : `${p.port} (local ${p.localPort})`));
    return `${s.service} → ${s.address}:${ports.join(',')}${s.error ? ` (${s.error})` : ''}`;
  });
}
