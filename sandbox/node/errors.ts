// Errors the streaming endpoints turn into Kubernetes `Status` bodies.

import type { ApiErrorShape } from '../contract.ts';

const REASONS: Record<number, string> = { 400: 'BadRequest', 404: 'NotFound', 500: 'InternalError' };

export class NodeApiError extends Error implements ApiErrorShape {
  readonly code: number;
  readonly reason: string;
  /** For NotFound: the object, as Status.details wants it. */
  readonly details?: { name: string; kind: string };

  constructor(code: number, message: string, details?: { name: string; kind: string }) {
    super(message);
    this.name = 'NodeApiError';
    this.code = code;
    this.reason = REASONS[code] ?? 'InternalError';
    if (details) this.details = details;
  }
}

export const badRequest = (message: string) => new NodeApiError(400, message);
export const podNotFound = (name: string) => new NodeApiError(404, `pods "${name}" not found`, { name, kind: 'pods' });
