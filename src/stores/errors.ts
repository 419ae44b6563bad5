import { AgentforceError } from '../errors.js';

/** The conversation's lock was still held by someone else after the allowed wait. */
export class LockTimeoutError extends AgentforceError {
  override name = 'LockTimeoutError';
  override readonly code = 'lock_timeout';
  /** The conversation key. */
  readonly key: string;
  /** How long the caller waited, in ms. */
  readonly waitedMs: number;

  constructor(key: string, waitedMs: number) {
    super(`lock for conversation '${key}' still held after ${waitedMs} ms`);
    this.key = key;
    this.waitedMs = waitedMs;
  }
}

/**
 * The lease is no longer the current holder of the lock (it lapsed, or another holder took the
 * lock), or a record with a higher fencing token is already stored. Nothing was written.
 */
export class LeaseLostError extends AgentforceError {
  override name = 'LeaseLostError';
  override readonly code = 'lease_lost';
  /** The conversation key. */
  readonly key: string;
  /** The fencing token of the lease that was refused. */
  readonly token: number;

  constructor(key: string, token: number, detail = 'the lease expired or another holder took it') {
    super(`lease ${token} on conversation '${key}' lost: ${detail}`);
    this.key = key;
    this.token = token;
  }
}

/** The storage backend failed (a Redis error, a closed store, a corrupt record). */
export class StoreError extends AgentforceError {
  override name = 'StoreError';
  override readonly code = 'store';

  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? {} : { cause });
  }
}
