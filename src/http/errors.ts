/**
 * The one place where failures become typed errors: an HTTP status with its body, or an axios
 * failure (connection, timeout, abort). The axios error itself is never kept: it holds the request
 * config, and with it the bearer token.
 */
import { isAxiosError } from 'axios';
import { parseUrl } from '../api/urls.js';
import {
  AbortError,
  AgentforceError,
  ApiError,
  ConnectionError,
  TimeoutError,
  type RequestName,
} from '../errors.js';

type Headers = Record<string, unknown>;

/** Parses `Retry-After` (seconds, or an HTTP date) to milliseconds. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return typeof v === 'string' ? v : undefined;
}

function describe(body: unknown): string | undefined {
  // The REST API's error body is a list of {message, errorCode}.
  if (Array.isArray(body)) return describe(body[0]);
  if (typeof body !== 'object' || body === null) return undefined;
  const { message, error, error_description: desc } = body as Record<string, unknown>;
  if (typeof message === 'string' && message !== '') return message;
  if (typeof desc === 'string' && desc !== '') {
    return typeof error === 'string' && error !== '' ? `${error}: ${desc}` : desc;
  }
  if (typeof error === 'string' && error !== '') return error;
  return undefined;
}

/** Maps an error status and its (parsed) body, the reply to request `what`, to the typed error. */
export function errorFromResponse(
  status: number,
  headers: Headers,
  body: unknown,
  what: RequestName,
): ApiError {
  const requestId =
    header(headers, 'x-request-id') ??
    (typeof (body as { requestId?: unknown } | null)?.requestId === 'string'
      ? (body as { requestId: string }).requestId
      : undefined);
  const retryAfterMs = parseRetryAfter(header(headers, 'retry-after'));
  const detail = describe(body) ?? `HTTP ${status}`;
  const fields = {
    requestId,
    body: typeof body === 'string' ? body.slice(0, 500) : body,
    retryAfterMs,
  };
  return ApiError.generate(status, `${what} failed: ${status} ${detail}`, fields, what);
}

const NOT_REACHED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Maps a thrown transport failure to a typed error; a typed error passes through. */
export function errorFromTransport(
  err: unknown,
  what: RequestName,
  signal?: AbortSignal,
): AgentforceError {
  if (err instanceof AgentforceError) return err;
  if (signal?.aborted) return new AbortError(`${what} was cancelled`);
  if (isAxiosError(err)) {
    const code = err.code ?? '';
    if (code === 'ERR_CANCELED') return new AbortError(`${what} was cancelled`);
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
      return new TimeoutError(`${what} timed out (${err.message})`, {
        cause: plainCause(err),
      });
    }
    const sysCode = (err.cause as { code?: string } | undefined)?.code ?? code;
    const reached = !NOT_REACHED.has(sysCode);
    // The `host:port` the request was sent to, so that the error names it.
    const host = err.config?.url && parseUrl(err.config.url, err.config.baseURL)?.host;
    return new ConnectionError(
      `${what} failed: connection error ${sysCode || err.message}${host ? ` (${host})` : ''}: ` +
        (reached
          ? 'the request may have reached the server'
          : 'the request did not reach the server'),
      reached,
      { cause: plainCause(err) },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectionError(`${what} failed: ${message}`, true, { cause: err });
}

/** A cause that keeps the code and message of a failure but none of the request config. */
function plainCause(err: { message: string; code?: string | undefined; cause?: unknown }): Error {
  const inner = err.cause instanceof Error ? err.cause : undefined;
  const cause = new Error(inner?.message ?? err.message);
  const code = (inner as { code?: string } | undefined)?.code ?? err.code;
  if (code !== undefined) (cause as Error & { code?: string }).code = code;
  return cause;
}
