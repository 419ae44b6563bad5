import { acquireWithRetry, type AttemptResult, type Pause } from './acquire.js';
import { LeaseLostError, StoreError } from './errors.js';
import {
  checkAcquire,
  checkCounterTtl,
  checkFloor,
  checkKey,
  checkLease,
  checkLeaseMs,
  parseRecord,
  serializeRecord,
} from './record.js';
import type {
  AcquireOptions,
  Lease,
  SessionRecordInput,
  SessionStore,
  StoredSession,
} from './types.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The clock for lease and record expiry (epoch ms). Waiting in `acquire` always uses real
   * timers. Defaults to `Date.now`.
   */
  now?: () => number;
  /**
   * How long the fencing and sequence counters of a conversation without a record are kept, in
   * ms (created before its first save, or left by `delete`). Defaults to 24 hours.
   */
  counterTtlMs?: number;
}

interface Expiring {
  /** Epoch ms when the entry lapses; null = never. */
  expiresAt: number | null;
}
interface Counter extends Expiring {
  value: number;
}
interface LockEntry {
  token: number;
  expiresAt: number;
}
interface RecordEntry extends Expiring {
  token: number;
  json: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60_000;

/**
 * The in-process session store: the default, for a single process. It has the same semantics as
 * `RedisStore` (leases, fencing tokens, counters that follow the record's expiry) but nothing is
 * shared between processes and nothing survives a restart. Records are kept as JSON text, so
 * what `load` returns never aliases what was saved.
 */
export class MemoryStore implements SessionStore {
  readonly #now: () => number;
  readonly #counterTtlMs: number;
  readonly #locks = new Map<string, LockEntry>();
  readonly #fences = new Map<string, Counter>();
  readonly #seqs = new Map<string, Counter>();
  readonly #records = new Map<string, RecordEntry>();
  readonly #waiters = new Map<string, Set<() => void>>();
  #lastSweep = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#counterTtlMs = checkCounterTtl(options.counterTtlMs ?? DAY_MS);
  }

  acquire(key: string, options: AcquireOptions): Promise<Lease> {
    return this.#run(() => {
      checkAcquire(key, options);
      return acquireWithRetry(
        key,
        options,
        () => this.#run(() => this.#attempt(key, options.leaseMs)),
        (lease) => this.release(lease),
        this.#pauseFor(key),
      );
    });
  }

  renew(lease: Lease, leaseMs: number): Promise<Lease> {
    return this.#run(() => {
      checkLeaseMs(leaseMs);
      const lock = this.#held(lease);
      lock.expiresAt = this.#now() + leaseMs;
      this.#guardFence(lease.key, lease.token, lock.expiresAt);
      return { key: lease.key, token: lease.token, expiresAt: lock.expiresAt };
    });
  }

  release(lease: Lease): Promise<void> {
    return this.#run(() => {
      const lock = this.#live(this.#locks, lease.key);
      if (lock?.token !== lease.token) return;
      this.#locks.delete(lease.key);
      for (const wake of this.#waiters.get(lease.key) ?? []) wake();
    });
  }

  load(key: string): Promise<StoredSession | null> {
    return this.#run(() => {
      checkKey(key);
      const entry = this.#live(this.#records, key);
      return entry ? parseRecord(key, entry.json) : null;
    });
  }

  save(key: string, lease: Lease, record: SessionRecordInput): Promise<void> {
    return this.#run(() => {
      checkLease(key, lease);
      const now = this.#now();
      const json = serializeRecord(record, lease.token, now);
      const lock = this.#fenced(lease);
      const { expiresAt } = record;
      if (expiresAt !== null && expiresAt <= now) this.#records.delete(key);
      else this.#records.set(key, { token: lease.token, json, expiresAt });
      for (const counters of [this.#fences, this.#seqs]) {
        const counter = this.#live(counters, key);
        if (counter) counter.expiresAt = expiresAt;
      }
      this.#guardFence(key, lease.token, lock.expiresAt);
    });
  }

  delete(key: string, lease: Lease): Promise<void> {
    return this.#run(() => {
      checkLease(key, lease);
      const lock = this.#fenced(lease);
      this.#records.delete(key);
      for (const counters of [this.#fences, this.#seqs]) {
        const counter = this.#live(counters, key);
        if (counter) counter.expiresAt = this.#now() + this.#counterTtlMs;
      }
      this.#guardFence(key, lease.token, lock.expiresAt);
    });
  }

  nextSequenceId(key: string, floor = 0): Promise<number> {
    return this.#run(() => {
      checkKey(key);
      checkFloor(floor);
      const counter = this.#live(this.#seqs, key);
      if (counter) {
        counter.value = Math.max(counter.value, floor) + 1;
        return counter.value;
      }
      this.#seqs.set(key, { value: floor + 1, expiresAt: this.#adoptedExpiry(key) });
      return floor + 1;
    });
  }

  peekSequenceId(key: string): Promise<number> {
    return this.#run(() => {
      checkKey(key);
      return this.#live(this.#seqs, key)?.value ?? 0;
    });
  }

  keys(): Promise<string[]> {
    return this.#run(() => {
      this.#sweep(true);
      return [...this.#records.keys()];
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const map of [this.#locks, this.#fences, this.#seqs, this.#records]) map.clear();
    return Promise.resolve();
  }

  /** Runs `fn` on an open store, turning a synchronous throw into a rejection. */
  #run<T>(fn: () => T | Promise<T>): Promise<T> {
    try {
      if (this.#closed) throw new StoreError('the session store is closed');
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new StoreError(String(err), err));
    }
  }

  /** One try at the lock; see the Redis acquire script for the same steps. */
  #attempt(key: string, leaseMs: number): AttemptResult {
    const now = this.#now();
    const lock = this.#live(this.#locks, key);
    if (lock) return { retryInMs: lock.expiresAt - now };
    const stored = this.#live(this.#records, key)?.token ?? 0;
    let fence = this.#live(this.#fences, key);
    if (!fence) {
      fence = { value: 0, expiresAt: this.#adoptedExpiry(key) };
      this.#fences.set(key, fence);
    }
    // Never below the clock in microseconds: no token is issued twice for a key, even once its
    // fence and record have expired (see the Redis acquire script).
    fence.value = Math.max(fence.value + 1, stored + 1, Math.floor(now) * 1000);
    const expiresAt = now + leaseMs;
    keepAtLeast(fence, expiresAt);
    this.#locks.set(key, { token: fence.value, expiresAt });
    return { key, token: fence.value, expiresAt };
  }

  /** The live lock of this lease, or LeaseLostError. */
  #held(lease: Lease): LockEntry {
    const lock = this.#live(this.#locks, lease.key);
    if (lock?.token !== lease.token) throw new LeaseLostError(lease.key, lease.token);
    return lock;
  }

  /** Like {@link #held}, and also refuses when a newer record is stored. */
  #fenced(lease: Lease): LockEntry {
    const lock = this.#held(lease);
    const stored = this.#live(this.#records, lease.key)?.token ?? 0;
    if (stored > lease.token) {
      throw new LeaseLostError(lease.key, lease.token, `a record with token ${stored} is stored`);
    }
    return lock;
  }

  /** Keeps the fence at or above `token` and alive until at least `until`. */
  #guardFence(key: string, token: number, until: number): void {
    const fence = this.#live(this.#fences, key);
    if (!fence) {
      this.#fences.set(key, { value: token, expiresAt: until });
      return;
    }
    fence.value = Math.max(fence.value, token);
    keepAtLeast(fence, until);
  }

  /** Expiry of a new counter: the record's, or the counter TTL when there is no record. */
  #adoptedExpiry(key: string): number | null {
    const record = this.#live(this.#records, key);
    return record ? record.expiresAt : this.#now() + this.#counterTtlMs;
  }

  /** The entry if it has not expired (an expired one is removed). */
  #live<T extends Expiring>(map: Map<string, T>, key: string): T | undefined {
    this.#sweep(false);
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= this.#now()) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Removes every expired entry, at most once a minute unless forced. */
  #sweep(force: boolean): void {
    const now = this.#now();
    if (!force && now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    for (const map of [this.#locks, this.#fences, this.#seqs, this.#records] as Map<
      string,
      Expiring
    >[]) {
      for (const [key, entry] of map) {
        if (entry.expiresAt !== null && entry.expiresAt <= now) map.delete(key);
      }
    }
  }

  /** A pause that also ends as soon as the lock of `key` is released. */
  #pauseFor(key: string): Pause {
    return (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        const waiters = this.#waiters.get(key) ?? new Set<() => void>();
        this.#waiters.set(key, waiters);
        const cleanup = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          waiters.delete(wake);
          if (waiters.size === 0) this.#waiters.delete(key);
        };
        const wake = (): void => {
          cleanup();
          resolve();
        };
        const onAbort = (): void => {
          cleanup();
          reject(signal?.reason as Error);
        };
        const timer = setTimeout(wake, ms);
        waiters.add(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
  }
}

function keepAtLeast(counter: Expiring, until: number): void {
  if (counter.expiresAt !== null && counter.expiresAt < until) counter.expiresAt = until;
}
