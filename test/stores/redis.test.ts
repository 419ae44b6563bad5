import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/index.js';
import { RedisStore } from '../../src/redis.js';
import { describeSessionStore } from './contract.js';
import {
  startRedis,
  stopRedis,
  uniquePrefix as newPrefix,
  type TestRedis,
} from './redis-server.js';

let redis: TestRedis;
const prefixes: string[] = [];
function uniquePrefix(label: string): string {
  const prefix = newPrefix(label);
  prefixes.push(prefix);
  return prefix;
}
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => stopRedis(redis, prefixes));

describeSessionStore('RedisStore', () => {
  const prefix = uniquePrefix('contract');
  const store = new RedisStore(redis.url, { prefix });
  const peer = new RedisStore(redis.url, { prefix });
  const raw = new Redis(redis.url);
  return Promise.resolve({
    store,
    peer,
    advance: (ms: number) => sleep(ms),
    expireLock: async (key: string) => {
      await raw.del(`${prefix}lock:{${key}}`);
    },
    forget: async (key: string) => {
      await raw.del(...['lock', 'session', 'fence', 'seq'].map((k) => `${prefix}${k}:{${key}}`));
    },
    close: async () => {
      await Promise.all([store.close(), peer.close(), raw.quit()]);
    },
  });
});

describe('RedisStore', () => {
  let raw: Redis;
  beforeAll(() => {
    raw = new Redis(redis.url);
  });
  afterAll(async () => {
    await raw.quit();
  });

  it('lays out the keys as documented, with TTLs that follow the record', async () => {
    const prefix = uniquePrefix('layout');
    const store = new RedisStore(raw, { prefix, counterTtlMs: 60_000 });
    const k = (kind: string) => `${prefix}${kind}:{c1}`;
    const lease = await store.acquire('c1', { leaseMs: 5000, waitMs: 0 });
    expect(await raw.get(k('lock'))).toBe(String(lease.token));
    expect(await raw.pttl(k('lock'))).toBeGreaterThan(4000);
    expect(await raw.get(k('fence'))).toBe(String(lease.token));
    // no record yet: the counters take counterTtlMs
    expect(await raw.pttl(k('fence'))).toBeGreaterThan(50_000);
    await store.nextSequenceId('c1');
    expect(await raw.pttl(k('seq'))).toBeGreaterThan(50_000);

    const expiresAt = Date.now() + 120_000;
    await store.save('c1', lease, { schemaVersion: 1, snapshot: { a: 1 }, expiresAt });
    expect(await raw.type(k('session'))).toBe('hash');
    expect(await raw.hget(k('session'), 'token')).toBe(String(lease.token));
    expect(JSON.parse((await raw.hget(k('session'), 'record'))!)).toMatchObject({
      fencingToken: lease.token,
      expiresAt,
    });
    const recordTtl = await raw.pttl(k('session'));
    expect(recordTtl).toBeGreaterThan(110_000);
    for (const counter of ['fence', 'seq']) {
      expect(await raw.pttl(k(counter))).toBeGreaterThanOrEqual(recordTtl - 100);
    }

    await store.save('c1', lease, { schemaVersion: 1, snapshot: { a: 2 }, expiresAt: null });
    for (const kind of ['session', 'fence', 'seq']) expect(await raw.pttl(k(kind))).toBe(-1);

    await store.delete('c1', lease);
    expect(await raw.exists(k('session'))).toBe(0);
    for (const counter of ['fence', 'seq']) {
      const ttl = await raw.pttl(k(counter));
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    await store.release(lease);
    expect(await raw.exists(k('lock'))).toBe(0);
    await store.close();
    expect(await raw.ping()).toBe('PONG'); // a client passed in is not closed by the store
  });

  it('keeps the fence alive while a lease outlives an expired record', async () => {
    const prefix = uniquePrefix('fence');
    const store = new RedisStore(raw, { prefix });
    const lease = await store.acquire('c', { leaseMs: 10_000, waitMs: 0 });
    await store.save('c', lease, { schemaVersion: 1, snapshot: 1, expiresAt: Date.now() - 1 });
    expect(await store.load('c')).toBeNull();
    expect(await raw.get(`${prefix}fence:{c}`)).toBe(String(lease.token));
    await store.release(lease);
    const next = await store.acquire('c', { leaseMs: 1000, waitMs: 0 });
    expect(next.token).toBeGreaterThan(lease.token);
  });

  it('heals a lost fence from the stored record so tokens still increase', async () => {
    const prefix = uniquePrefix('heal');
    const store = new RedisStore(raw, { prefix });
    const lease = await store.acquire('c', { leaseMs: 10_000, waitMs: 0 });
    await store.save('c', lease, { schemaVersion: 1, snapshot: 1, expiresAt: null });
    await store.release(lease);
    await raw.del(`${prefix}fence:{c}`);
    const next = await store.acquire('c', { leaseMs: 1000, waitMs: 0 });
    expect(next.token).toBeGreaterThan(lease.token);
    await store.save('c', next, { schemaVersion: 1, snapshot: 2, expiresAt: null });
  });

  it('escapes glob characters of the prefix in keys()', async () => {
    const prefix = `${uniquePrefix('glob')}*?[x]:`;
    const store = new RedisStore(raw, { prefix });
    const neighbour = new RedisStore(raw, { prefix: prefix.replace('*?[x]', 'AB[x]') });
    for (const s of [store, neighbour]) {
      const lease = await s.acquire('only', { leaseMs: 1000, waitMs: 0 });
      await s.save('only', lease, { schemaVersion: 1, snapshot: 1, expiresAt: null });
    }
    expect(await store.keys()).toEqual(['only']);
  });

  it('refuses a prefix with braces', () => {
    expect(() => new RedisStore(raw, { prefix: 'a{b}:' })).toThrow(/prefix/);
  });

  it('reports a corrupt record as StoreError', async () => {
    const prefix = uniquePrefix('corrupt');
    await raw.hset(`${prefix}session:{c}`, 'record', '{"not":"a record"}');
    const store = new RedisStore(raw, { prefix });
    await expect(store.load('c')).rejects.toBeInstanceOf(StoreError);
  });

  it('wraps a Redis failure in StoreError, keeping the cause', async () => {
    const store = new RedisStore('redis://127.0.0.1:1', {
      redis: { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true },
    });
    const err = await store.load('c').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('store');
    expect((err as StoreError).cause).toBeInstanceOf(Error);
    await store.close();
  });
});
