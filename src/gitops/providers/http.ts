// Plain fetch for every forge API: JSON in and out, errors that name the forge, the request and the
// forge's own message, and never a token (headers are not part of any message).
import { KloopError } from '../../errors.ts';
import { log } from '../../log/logger.ts';
import { redact } from '../../log/redact.ts';

export interface ApiResponse {
  status: number;
  data: unknown;
}

export interface ApiClient {
  /** resolves for every HTTP status; rejects only when the server cannot be reached */
  request(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** like request, but a status outside 2xx is a KloopError */
  ok(method: string, path: string, body?: unknown): Promise<unknown>;
}

export function apiClient(
  forge: string,
  base: string,
  headers: Record<string, string>,
  tokenVariable?: string,
): ApiClient {
  const root = base.replace(/\/+$/, '');
  const request = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const url = `${root}${path}`;
    log.debug(`${forge} API: ${method} ${url}`);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          'user-agent': 'kloop',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (e) {
      throw new KloopError(`cannot reach the ${forge} API at ${root}: ${redact((e as Error).message)}`, {
        hint: 'check gitops.apiUrl in kloop.yaml and the network',
      });
    }
    const text = await res.text();
    let data: unknown = text;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text for the message
    }
    return { status: res.status, data };
  };
  return {
    request,
    async ok(method, path, body) {
      const res = await request(method, path, body);
      if (res.status >= 200 && res.status < 300) return res.data;
      throw apiError(forge, method, path, res, tokenVariable);
    },
  };
}

/** The forge's own words from an error body (GitHub message/errors, GitLab message, Azure message ...). */
export function forgeMessage(data: unknown): string {
  if (typeof data === 'string') return data.slice(0, 300);
  if (!data || typeof data !== 'object') return '';
  const d = data as Record<string, unknown>;
  const parts: string[] = [];
  const msg = d.message ?? (d.error as Record<string, unknown> | undefined)?.message ?? d.error;
  if (typeof msg === 'string') parts.push(msg);
  else if (Array.isArray(msg)) parts.push(msg.map(String).join('; '));
  else if (msg && typeof msg === 'object') parts.push(JSON.stringify(msg));
  if (Array.isArray(d.errors))
    for (const e of d.errors)
      parts.push(typeof e === 'string' ? e : String((e as { message?: string }).message ?? JSON.stringify(e)));
  return parts.join('; ');
}

export function apiError(
  forge: string,
  method: string,
  path: string,
  res: ApiResponse,
  tokenVariable?: string,
): KloopError {
  const why = forgeMessage(res.data);
  const hint =
    res.status === 401
      ? `the token was refused; set a valid token in ${tokenVariable ?? 'the forge token variable'}`
      : res.status === 403
        ? `the token in ${tokenVariable ?? 'the token variable'} lacks permission to open pull requests in this repository`
        : res.status === 404
          ? 'check gitops.repo (and gitops.apiUrl) in kloop.yaml; a token without access also gets 404'
          : undefined;
  return new KloopError(
    redact(`${forge} API ${method} ${path.split('?')[0]} answered ${res.status}${why ? `: ${why}` : ''}`),
    {
      hint,
    },
  );
}
