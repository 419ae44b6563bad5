import type * as IORedis from 'ioredis';
import type { Redis, RedisOptions } from 'ioredis';
import { AgentforceError, InvalidArgumentError } from '../errors.js';
import { requireOptional } from '../optional-dependency.js';
import { acquireWithRetry } from './acquire.js';
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
import { SCRIPTS, type ScriptCommands } from './redis-scripts.js';
import type {
  AcquireOptions,
  Lease,
  SessionRecordInput,
  SessionStore,
  StoredSession,
} from './types.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * Prepended to every key, e.g. `agentforce:` gives `agentforce:session:{id}`. Must not contain
   * `{` or `}` (the conversation key is the Redis Cluster hash tag). Defaults to `agentforce:`.
   */
  prefix?: string;
  /**
   * How long the fencing and sequence counters of a conversation without a record are kept, in
   * ms (created before its first save, or left by `delete`). Defaults to 24 hours.
   */
  counterTtlMs?: number;
  /** ioredis options, used only when the store is given a URL. */
  redis?: RedisOptions;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const GLOB_SPECIALS = /[*?[\]\\]/g;

function ignore(): void {}

/** A client of the store's own, from `ioredis`, an optional peer dependency loaded here. */
function connect(url: string, options: RedisOptions | undefined): Redis {
  const { Redis: RedisClient } = requireOptional<typeof IORedis>(
    'ioredis',
    'RedisStore (agentforce-session/redis)',
  );
  return new RedisClient(url, options ?? {});
}

/** The Redis keys of one conversation. */
interface ConversationKeys {
  session: string;
  lock: string;
  fence: string;
  seq: string;
}

/**
 * The session store shared by many processes and nodes, on Redis (ioredis).
 *
 * Per conversation it keeps `<prefix>session:{key}` (a hash: the record as JSON and its token),
 * `<prefix>lock:{key}` (the holder's fencing token, with the lease as TTL), `<prefix>fence:{key}`
 * (the token counter) and `<prefix>seq:{key}` (the `sequenceId` counter). Every check-and-write
 * is a Lua script, so it is atomic. See docs/scale-out.md.
 *
 * @example
 * ```ts
 * const store = new RedisStore(process.env.REDIS_URL!, { prefix: 'myapp:' });
 * const lease = await store.acquire(id, { leaseMs: 30_000, waitMs: 10_000 });
 * try {
 *   const record = await store.load(id);
 *   // ... continue the conversation from record?.snapshot ...
 *   await store.save(id, lease, { schemaVersion: 1, snapshot, expiresAt: idleDeadline });
 * } finally {
 *   await store.release(lease);
 * }
 * ```
 */
export class RedisStore implements SessionStore {
  readonly #client: Redis & ScriptCommands;
  readonly #ownsClient: boolean;
  readonly #prefix: string;
  readonly #counterTtlMs: number;
  #closed = false;

  /**
   * @param client - An ioredis client (the caller keeps ownership: `close` does not quit it), or
   *   a Redis URL (the store creates the client and quits it on `close`).
   * @throws MissingDependencyError for a URL when the optional package `ioredis` is not installed.
   */
  constructor(client: Redis | string, options: RedisStoreOptions = {}) {
    const prefix = options.prefix ?? 'agentforce:';
    if (/[{}]/.test(prefix)) {
      throw new InvalidArgumentError('RedisStore: prefix must not contain { or }');
    }
    this.#prefix = prefix;
    this.#counterTtlMs = checkCounterTtl(options.counterTtlMs ?? DAY_MS);
    this.#ownsClient = typeof client === 'string';
    const redis = typeof client === 'string' ? connect(client, options.redis) : client;
    // A client of our own: its connection errors reach the caller as StoreError from the
    // commands, so the 'error' events need no other listener.
    if (this.#ownsClient) redis.on('error', ignore);
    for (const [name, definition] of Object.entries(SCRIPTS)) redis.defineCommand(name, definition);
    this.#client = redis as Redis & ScriptCommands;
  }

  async acquire(key: string, options: AcquireOptions): Promise<Lease> {
    this.#open();
    checkAcquire(key, options);
    const k = this.#keys(key);
    return acquireWithRetry(
      key,
      options,
      async () => {
        const started = Date.now();
        const [ok, value] = await this.#call('acquire', (c) =>
          c.agentforceStoreAcquire(k.lock, k.fence, k.session, options.leaseMs, this.#counterTtlMs),
        );
        if (ok === 1) return { key, token: value, expiresAt: started + options.leaseMs };
        return { retryInMs: value };
      },
      (lease) => this.release(lease),
    );
  }

  async renew(lease: Lease, leaseMs: number): Promise<Lease> {
    this.#open();
    checkLeaseMs(leaseMs);
    const k = this.#keys(lease.key);
    const started = Date.now();
    const ok = await this.#call('renew', (c) =>
      c.agentforceStoreRenew(k.lock, k.fence, String(lease.token), leaseMs),
    );
    if (ok !== 1) throw new LeaseLostError(lease.key, lease.token);
    return { key: lease.key, token: lease.token, expiresAt: started + leaseMs };
  }

  async release(lease: Lease): Promise<void> {
    this.#open();
    const k = this.#keys(lease.key);
    await this.#call('release', (c) => c.agentforceStoreRelease(k.lock, String(lease.token)));
  }

  async load(key: string): Promise<StoredSession | null> {
    this.#open();
    checkKey(key);
    const json = await this.#call('load', (c) => c.hget(this.#keys(key).session, 'record'));
    return json === null ? null : parseRecord(key, json);
  }

  async save(key: string, lease: Lease, record: SessionRecordInput): Promise<void> {
    this.#open();
    checkLease(key, lease);
    const json = serializeRecord(record, lease.token, Date.now());
    const expiresAt = record.expiresAt === null ? '' : String(Math.ceil(record.expiresAt));
    const k = this.#keys(key);
    const ok = await this.#call('save', (c) =>
      c.agentforceStoreSave(
        k.lock,
        k.fence,
        k.session,
        k.seq,
        String(lease.token),
        json,
        expiresAt,
      ),
    );
    this.#fenced(lease, ok);
  }

  async delete(key: string, lease: Lease): Promise<void> {
    this.#open();
    checkLease(key, lease);
    const k = this.#keys(key);
    const ok = await this.#call('delete', (c) =>
      c.agentforceStoreDelete(
        k.lock,
        k.fence,
        k.session,
        k.seq,
        String(lease.token),
        this.#counterTtlMs,
      ),
    );
    this.#fenced(lease, ok);
  }

  async nextSequenceId(key: string, floor = 0): Promise<number> {
    this.#open();
    checkKey(key);
    checkFloor(floor);
    const k = this.#keys(key);
    return this.#call('nextSequenceId', (c) =>
      c.agentforceStoreNextSequence(k.seq, k.session, floor, this.#counterTtlMs),
    );
  }

  async peekSequenceId(key: string): Promise<number> {
    this.#open();
    checkKey(key);
    const value = await this.#call('peekSequenceId', (c) => c.get(this.#keys(key).seq));
    return value === null ? 0 : Number(value);
  }

  async keys(): Promise<string[]> {
    this.#open();
    const head = `${this.#prefix}session:{`;
    const match = `${head.replace(GLOB_SPECIALS, '\\$&')}*}`;
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await this.#call('keys', (c) =>
        c.scan(cursor, 'MATCH', match, 'COUNT', 1000),
      );
      cursor = next;
      for (const name of batch) found.add(name.slice(head.length, -1));
    } while (cursor !== '0');
    return [...found];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#ownsClient) return;
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }

  #keys(key: string): ConversationKeys {
    const p = this.#prefix;
    return {
      session: `${p}session:{${key}}`,
      lock: `${p}lock:{${key}}`,
      fence: `${p}fence:{${key}}`,
      seq: `${p}seq:{${key}}`,
    };
  }

  /** Runs one Redis call, wrapping its failure in a StoreError. */
  async #call<T>(what: string, run: (client: Redis & ScriptCommands) => Promise<T>): Promise<T> {
    try {
      return await run(this.#client);
    } catch (err) {
      if (err instanceof AgentforceError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new StoreError(`redis ${what} failed: ${reason}`, err);
    }
  }

  /** Turns the result of a fenced script into LeaseLostError. */
  #fenced(lease: Lease, result: number): void {
    if (result === 1) return;
    throw new LeaseLostError(
      lease.key,
      lease.token,
      result === -1 ? 'a record with a higher token is stored' : undefined,
    );
  }

  #open(): void {
    if (this.#closed) throw new StoreError('the session store is closed');
  }
}
