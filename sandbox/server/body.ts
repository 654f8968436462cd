// Request bodies: JSON, YAML (apply configurations may be YAML) and protobuf.
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { ApiError, badRequest } from './errors.ts';
import { decodeProtobuf } from './protobuf.ts';

// yaml costs startup time and is only needed for YAML bodies: loaded on first use.
const require = createRequire(import.meta.url);
const parseYaml = (text: string): unknown => (require('yaml') as typeof import('yaml')).parse(text);

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

const objectTypes = 'application/json, application/yaml, application/vnd.kubernetes.protobuf';

/** Decodes an object body (POST, PUT, DELETE options) by its Content-Type. */
export function decodeObject(type: string, body: Buffer): Record<string, unknown> {
  if (type === 'application/vnd.kubernetes.protobuf') return decodeProtobuf(body);
  if (type === 'application/json' || type === '') return parseJson(body);
  if (type === 'application/yaml') return parseYamlBody(body);
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${objectTypes}`,
  );
}

export function parseJson(body: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw badRequest(`the object provided is unrecognized: ${(error as Error).message}`);
  }
}

export function parseYamlBody(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  // Apply bodies are usually JSON (kubectl sends JSON as apply-patch+yaml).
  if (/^\s*\{/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // not JSON after all: YAML below
    }
  }
  try {
    return parseYaml(text) as Record<string, unknown>;
  } catch (error) {
    throw badRequest(`error decoding YAML: ${(error as Error).message}`);
  }
}
