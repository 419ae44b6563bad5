/**
 * One Agent API request: the bearer token, the 401 refresh, the retry loop and the mapping of
 * replies to typed errors.
 */
import type { AxiosInstance, AxiosResponse, Method } from 'axios';
import type { Readable } from 'node:stream';
import { joinUrl } from '../api/index.js';
import type { AccessToken, TokenManager } from '../auth.js';
import type { RequestName } from '../errors.js';
import { errorFromResponse, errorFromTransport } from './errors.js';
import { withRetries, type Repeatability, type RetryNotice, type RetryOptions } from './retry.js';

/** What every Agent API request needs from its client. */
export interface ApiContext {
  http: AxiosInstance;
  tokens: TokenManager;
  retry: RetryOptions;
  /** The API host: an explicit option, else the token's `api_instance_url`. */
  apiBaseUrl: (tokenHost: string | undefined) => string;
  /** Sent with every request (e.g. `x-client-name`). */
  headers: Record<string, string>;
  /** Told before each retry (e.g. to show a `Retry-After` countdown). */
  onRetry?: ((notice: RetryNotice) => void) | undefined;
  /** Told of each 2xx reply, with its `X-Request-ID` header (telemetry). */
  onResponse?: ((requestId: unknown) => void) | undefined;
  /** Told of the data of each frame of a streamed reply (telemetry: the server's `traceId`). */
  onStreamFrame?: ((data: string) => void) | undefined;
}

export interface ApiRequest {
  method: Method;
  path: string;
  /** What this request does, for error messages ("send message"). */
  what: RequestName;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  repeatability: Repeatability;
  /** The host, when it is not the Agent API's (the REST API's query is on the My Domain). */
  baseUrl?: string | undefined;
  /** `stream`: the 2xx body is returned as a Node stream (SSE); error bodies are still parsed. */
  responseType?: 'json' | 'stream';
}

/** Reads a (small) error body of a streamed request and parses it as JSON if it is JSON. */
async function readErrorBody(stream: Readable): Promise<unknown> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.length > 64_000) {
      stream.destroy();
      break;
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Sends one request and returns the 2xx response. On a 401 the token is refreshed once and the
 * request repeated; other failures are retried by the policy of {@link ./retry.ts}; what is left
 * is thrown as a typed error.
 */
export async function apiRequest(
  ctx: ApiContext,
  req: ApiRequest,
): Promise<AxiosResponse<unknown>> {
  const loop = {
    what: req.what,
    repeatability: req.repeatability,
    retry: ctx.retry,
    onRetry: ctx.onRetry,
    signal: req.signal,
  };
  let token = await ctx.tokens.get(req.signal);
  let refreshed = false;
  for (;;) {
    const res = await withRetries(loop, () => exchange(ctx, req, token, !refreshed));
    if (res !== undefined) return res;
    refreshed = true;
    token = await ctx.tokens.refresh(token, req.signal);
  }
}

/**
 * One HTTP exchange: the 2xx response, `undefined` for a 401 when `refreshOn401` (refresh the
 * token and repeat), else a thrown typed error.
 */
async function exchange(
  ctx: ApiContext,
  req: ApiRequest,
  token: AccessToken,
  refreshOn401: boolean,
): Promise<AxiosResponse<unknown> | undefined> {
  let res: AxiosResponse<unknown>;
  try {
    res = await ctx.http.request<unknown>({
      method: req.method,
      url: joinUrl(req.baseUrl ?? ctx.apiBaseUrl(token.apiInstanceUrl), req.path),
      data: req.body,
      headers: { ...ctx.headers, ...req.headers, authorization: `Bearer ${token.accessToken}` },
      ...(req.signal ? { signal: req.signal } : {}),
      ...(req.responseType === 'stream' ? { responseType: 'stream' as const } : {}),
    });
    if (res.status >= 200 && res.status < 300) {
      ctx.onResponse?.(res.headers['x-request-id']);
      return res;
    }
    if (req.responseType === 'stream') res.data = await readErrorBody(res.data as Readable);
  } catch (err) {
    throw errorFromTransport(err, req.what, req.signal);
  }
  if (res.status === 401 && refreshOn401) return undefined;
  throw errorFromResponse(res.status, res.headers, res.data, req.what);
}
