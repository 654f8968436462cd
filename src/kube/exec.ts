// Processes in a pod's container over the exec API: the Connector that sync, reload and
// `kloop enter` use (the WebSocket itself is in streams.ts).
import { type Dialer, wsExec } from './streams.ts';
import type { Connector } from '../dev/sync/process.ts';

export interface PodRef {
  namespace: string;
  pod: string;
  container: string;
}

export function execConnector(dialer: Dialer, ref: PodRef): Connector {
  return (command) => wsExec(dialer, ref, command);
}
