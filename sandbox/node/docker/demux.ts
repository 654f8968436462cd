// Docker multiplexes stdout and stderr of non-tty containers into one stream of frames:
// an 8-byte header [stream, 0, 0, 0, size (uint32 big endian)] followed by `size` bytes.

import type { Writable } from 'node:stream';

export const STDOUT = 1;
export const STDERR = 2;

/** Incremental frame parser: feed it chunks, it calls `onFrame` for every complete payload. */
export class FrameParser {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly onFrame: (stream: number, payload: Buffer) => void;

  constructor(onFrame: (stream: number, payload: Buffer) => void) {
    this.onFrame = onFrame;
  }

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 8) {
      const size = this.buffer.readUInt32BE(4);
      if (this.buffer.length < 8 + size) return;
      const stream = this.buffer[0]!;
      const payload = this.buffer.subarray(8, 8 + size);
      this.buffer = this.buffer.subarray(8 + size);
      this.onFrame(stream, payload);
    }
  }

  /** Bytes of an incomplete frame left at the end of input. */
  get pending(): number {
    return this.buffer.length;
  }
}

/**
 * Splits a multiplexed Docker stream into separate stdout and stderr streams
 * (stderr may be the same stream as stdout to interleave them, as `kubectl logs` does).
 */
export function demultiplex(source: NodeJS.ReadableStream, stdout: Writable, stderr: Writable): void {
  const parser = new FrameParser((stream, payload) => {
    (stream === STDERR ? stderr : stdout).write(payload);
  });
  source.on('data', (chunk: Buffer) => parser.push(chunk));
  const finish = () => {
    stdout.end();
    if (stderr !== stdout) stderr.end();
  };
  source.on('end', finish);
  source.on('close', finish);
  source.on('error', (err) => {
    stdout.destroy(err);
    if (stderr !== stdout) stderr.destroy(err);
  });
}
