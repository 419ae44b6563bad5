import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError } from '../errors.js';
import { LockTimeoutError } from './errors.js';
import type { AcquireOptions, Lease } from './types.js';

/** First pause between two attempts, in ms. */
const MIN_BACKOFF_MS = 5;
/** Longest pause between two attempts, in ms. */
const MAX_BACKOFF_MS = 100;

/**
 * One attempt at the lock: the lease, or how long the current holder's lease still runs (ms, a
 * hint for the next attempt; negative or 0 when unknown).
 */
export type AttemptResult = Lease | { retryInMs: number };

/**
 * Waits `ms`, or less if the store learns earlier that the lock may be free. Rejects when
 * `signal` aborts.
 */
export type Pause = (ms: number, signal: AbortSignal | undefined) => Promise<void>;

function abortError(key: string, signal: AbortSignal): AbortError {
  return new AbortError(`acquire of conversation '${key}' was aborted`, {
    cause: signal.reason,
  });
}

/** The default pause: a plain timer. */
export const timerPause: Pause = async (ms, signal) => {
  await sleep(ms, undefined, signal ? { signal } : {});
};

/**
 * Calls `attempt` until it yields a lease or `waitMs` (real time) runs out, pausing with capped
 * exponential backoff and jitter, never longer than the holder's remaining lease.
 *
 * @param undo - Gives back a lease obtained while `signal` was aborting.
 */
export async function acquireWithRetry(
  key: string,
  options: AcquireOptions,
  attempt: () => Promise<AttemptResult>,
  undo: (lease: Lease) => Promise<void>,
  pause: Pause = timerPause,
): Promise<Lease> {
  const { waitMs, signal } = options;
  const started = performance.now();
  let backoff = MIN_BACKOFF_MS;
  for (;;) {
    if (signal?.aborted) throw abortError(key, signal);
    const result = await attempt();
    if ('token' in result) {
      if (signal?.aborted) {
        await undo(result);
        throw abortError(key, signal);
      }
      return result;
    }
    const left = waitMs - (performance.now() - started);
    if (left <= 0) throw new LockTimeoutError(key, waitMs);
    const jittered = backoff / 2 + Math.random() * (backoff / 2);
    const hint = result.retryInMs > 0 ? result.retryInMs + 1 : jittered;
    const delay = Math.max(1, Math.min(jittered, hint, left));
    try {
      await pause(delay, signal);
    } catch (err) {
      if (signal?.aborted) throw abortError(key, signal);
      throw err;
    }
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}
