/**
 * The session store: where a conversation's persisted snapshot lives between turns, plus the
 * per-conversation lock (a lease with a fencing token) and the `sequenceId` counter, so that any
 * process or node can take the next message of a conversation, one at a time and in order.
 *
 * Two implementations ship: `MemoryStore` (one process, the default) and
 * `RedisStore` (shared by many nodes). Both pass the same contract tests. See
 * docs/scale-out.md for the Redis layout and the reasoning behind leases and fencing.
 *
 * @module
 */

/** What a store keeps for one conversation. */
export interface StoredSession {
  /** Version of the snapshot format, written by the client (the store does not interpret it). */
  schemaVersion: number;
  /** The session's persisted snapshot: plain JSON, opaque to the store. */
  snapshot: unknown;
  /** Fencing token of the lease under which this record was written. */
  fencingToken: number;
  /** Epoch ms when the record was written (the writer's clock). */
  savedAt: number;
  /**
   * Epoch ms after which the record disappears, aligned with the session's idle deadline; `null`
   * keeps it until it is deleted. A deadline already in the past removes the record at once.
   */
  expiresAt: number | null;
}

/** What the caller hands to {@link SessionStore.save}: the store adds the token and the time. */
export type SessionRecordInput = Omit<StoredSession, 'fencingToken' | 'savedAt'>;

/**
 * A held per-conversation lock. It is valid until `expiresAt` unless renewed; after that another
 * holder may take the lock and every fenced call made with this lease fails with
 * `LeaseLostError`.
 */
export interface Lease {
  /** The conversation key the lease is for. */
  readonly key: string;
  /**
   * Fencing token: strictly increasing per key across all holders, on every node, and never
   * issued twice for a key, even after the store forgot the conversation (expiry, data loss): it
   * is never below the store's clock in microseconds (see docs/scale-out.md). A write carrying a
   * lower token than the stored record's is refused.
   */
  readonly token: number;
  /**
   * Epoch ms when the lease lapses, as estimated by this process: measured from *before* the
   * request was sent, so it errs on the early side.
   */
  readonly expiresAt: number;
}

/** Options of {@link SessionStore.acquire}. */
export interface AcquireOptions {
  /** How long the lease lasts unless renewed, in ms (at least 1). */
  leaseMs: number;
  /** How long to wait for a lock held by someone else, in ms; 0 tries once. */
  waitMs: number;
  /** Gives up waiting with an `AbortError` (code `aborted`). */
  signal?: AbortSignal | undefined;
}

/**
 * Persistence and mutual exclusion for conversations. Every method is async and may throw
 * `StoreError` (code `store`) when the backend fails; the fenced methods throw
 * `LeaseLostError` when the lease is no longer the current holder.
 *
 * The intended turn is: `acquire` → `load` → (work, `nextSequenceId`, `renew` as needed) →
 * `save` → `release`.
 */
export interface SessionStore {
  /**
   * Acquires the conversation's lock for `leaseMs`, waiting up to `waitMs` for the current holder
   * to release it or for its lease to lapse (polling with capped exponential backoff and jitter;
   * the in-memory store is woken at once on release). Waiters are not served in FIFO order.
   *
   * @throws LockTimeoutError (code `lock_timeout`) when the lock is still held after `waitMs`.
   * @throws AbortError (code `aborted`) when `signal` aborts first.
   */
  acquire(key: string, options: AcquireOptions): Promise<Lease>;
  /**
   * Extends a lease that is still the current holder by `leaseMs` from now. Returns the new lease
   * (same token, later `expiresAt`).
   *
   * @throws LeaseLostError when the lease expired or another holder took the lock.
   */
  renew(lease: Lease, leaseMs: number): Promise<Lease>;
  /** Releases the lock if this lease still holds it; does nothing otherwise. */
  release(lease: Lease): Promise<void>;
  /** The stored record, or `null` when there is none (never saved, deleted, or expired). */
  load(key: string): Promise<StoredSession | null>;
  /**
   * Writes the record, stamped with `lease.token` and the current time, only if the lease is still
   * the current holder and its token is not lower than the stored record's: a stalled node whose
   * lease lapsed cannot overwrite newer state. The snapshot must be JSON-serialisable.
   *
   * @throws LeaseLostError otherwise; the stored record is then left unchanged.
   */
  save(key: string, lease: Lease, record: SessionRecordInput): Promise<void>;
  /**
   * Deletes the record, fenced like {@link SessionStore.save}. The counters survive for a while
   * (see docs/scale-out.md), so tokens and sequence ids do not restart right away.
   *
   * @throws LeaseLostError when the lease is not the current holder.
   */
  delete(key: string, lease: Lease): Promise<void>;
  /**
   * Atomically takes the conversation's next `sequenceId`: `max(current, floor) + 1`, stored as
   * the new current value. Never goes backwards, even with many callers on many nodes.
   *
   * @param floor - The highest id known to be used already (e.g. from a restored snapshot).
   */
  nextSequenceId(key: string, floor?: number): Promise<number>;
  /** The counter's current value without taking one; 0 when there is none. */
  peekSequenceId(key: string): Promise<number>;
  /** Keys of the stored conversations (records only; in no particular order). */
  keys(): Promise<string[]>;
  /** Frees the store's resources. Other calls fail with `StoreError` afterwards. */
  close(): Promise<void>;
}
