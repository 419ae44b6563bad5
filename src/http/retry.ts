/**
 * The one home of the retry policy: which failures are retried, how long to wait, and how often.
 */
import { AbortError, AgentforceError, ConnectionError, type ErrorInfo } from '../errors.js';

/**
 * How safe a request is to repeat:
 * - `idempotent`: repeating changes nothing (DELETE, GET, the token request);
 * - `unsafe`: it may change server state (a message, a new session), so it is repeated only when
 *   the server surely did not act on it (it answered 423, 429 or 503, or the connection was
 *   refused).
 */
export type Repeatability = 'idempotent' | 'unsafe';

/** Retry settings (all optional in the client options). */
export interface RetryOptions {
  /** Retries after the first attempt. @default 2 */
  maxRetries: number;
  /** First backoff delay in ms, doubled each retry, with jitter. @default 500 */
  baseDelayMs: number;
  /** Cap of one backoff delay in ms. @default 8000 */
  maxDelayMs: number;
  /** Cap of a server's `Retry-After` in ms; a longer wait is clamped to it. @default 30000 */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

/** What the client tells `onRetry` before it waits to repeat a request. */
export interface RetryNotice {
  /** What was attempted ("send message", "end session", ...). */
  what: string;
  /** The retry about to be made: 1 for the first retry. */
  attempt: number;
  /** How long the client waits before it (the server's `Retry-After`, capped, or a backoff). */
  delayMs: number;
  /** The failure being retried, as JSON. */
  error: ErrorInfo;
}

/** Statuses after which the server surely did not act on the request. */
const REJECTED_UNTOUCHED = new Set([423, 429, 503]);
/** Statuses worth repeating only for an idempotent request. */
const TRANSIENT = new Set([408, 500, 502, 504]);

/** Whether `error` may be retried for a request of this repeatability. */
export function isRetryable(error: unknown, repeatability: Repeatability): boolean {
  if (!(error instanceof AgentforceError) || error instanceof AbortError) return false;
  if (error instanceof ConnectionError) {
    return repeatability === 'idempotent' || !error.mayHaveReachedServer;
  }
  if (error.code === 'timeout') return repeatability === 'idempotent';
  const status = error.status;
  if (status === undefined) return false;
  if (REJECTED_UNTOUCHED.has(status)) return true;
  return repeatability === 'idempotent' && TRANSIENT.has(status);
}

/** Delay before retry number `attempt` (1-based): `Retry-After` if given (capped), else backoff. */
export function retryDelay(
  error: unknown,
  attempt: number,
  options: RetryOptions,
  random = Math.random,
): number {
  const retryAfter = error instanceof AgentforceError ? error.retryAfterMs : undefined;
  if (retryAfter !== undefined) return Math.min(retryAfter, options.maxRetryAfterMs);
  const exp = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** One request's place in the retry loop: its policy, who to tell, and how to stop waiting. */
export interface RetryLoop {
  /** What is attempted, for {@link RetryNotice.what}. */
  what: string;
  repeatability: Repeatability;
  retry: RetryOptions;
  /** Told before each wait; a listener that throws changes nothing. */
  onRetry?: ((notice: RetryNotice) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * The one retry loop of the library: runs `attempt` until it returns, or until it throws an error
 * {@link isRetryable} refuses or the retries are spent (then that error is thrown). Before each
 * wait, `onRetry` is told what failed and how long the wait is.
 */
export async function withRetries<T>(loop: RetryLoop, attempt: () => Promise<T>): Promise<T> {
  for (let retries = 0; ;) {
    try {
      return await attempt();
    } catch (error) {
      retries++;
      if (retries > loop.retry.maxRetries || !isRetryable(error, loop.repeatability)) throw error;
      const delayMs = retryDelay(error, retries, loop.retry);
      if (loop.onRetry) {
        try {
          loop.onRetry({
            what: loop.what,
            attempt: retries,
            delayMs,
            error: (error as AgentforceError).toJSON(),
          });
        } catch {
          // a listener's failure must not change the request
        }
      }
      await sleep(delayMs, loop.signal);
    }
  }
}

/** Waits `ms`, or rejects with an {@link AbortError} when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError('the wait before a retry was cancelled'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError('the wait before a retry was cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
