// The dashboard's log memory on the server: the newest lines of every target in one ring, so a
// page that connects (or reconnects) late still sees recent history, and a noisy container cannot
// grow the session's memory without bound.
import type { LogLine } from '../dev/logs.ts';

/** One line as it travels to the page: [seq, time (ms), target, container, text]. Arrays keep the wire small. */
export type WireLine = [number, number, string, string, string];

export class LogBuffer {
  private readonly capacity: number;
  private readonly ring: WireLine[] = [];
  private start = 0;
  private nextSeq = 1;

  constructor(capacity = 100_000) {
    this.capacity = capacity;
  }

  push(line: LogLine, at = Date.now()): WireLine {
    const wire: WireLine = [this.nextSeq++, at, line.target, line.container, line.text];
    if (this.ring.length < this.capacity) this.ring.push(wire);
    else {
      this.ring[this.start] = wire;
      this.start = (this.start + 1) % this.capacity;
    }
    return wire;
  }

  get size(): number {
    return this.ring.length;
  }

  /** lines with a sequence number above `seq`, oldest first */
  since(seq = 0): WireLine[] {
    const out: WireLine[] = [];
    for (let i = 0; i < this.ring.length; i++) {
      const l = this.ring[(this.start + i) % this.ring.length]!;
      if (l[0] > seq) out.push(l);
    }
    return out;
  }
}
