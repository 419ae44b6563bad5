/**
 * The session manager's use of the store's lease, fencing and schema version, with two managers
 * (two "nodes": each its own client) on one real Redis and the emulator on loopback.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentforceClient,
  LockTimeoutError,
  SESSION_SCHEMA_VERSION,
  clientCredentials,
  type ManagerEvent,
  type SessionManager,
} from '../../src/index.js';
import { RedisStore } from '../../src/redis.js';
import type { FakeAgentApi } from '../../src/fake-server/index.js';
import { startStrictEmulator } from './strict-emulator.js';
import { startRedis, stopRedis, uniquePrefix, type TestRedis } from '../stores/redis-server.js';
import { startTcpProxy, type TcpProxy } from './fixtures/tcp-proxy.js';

const AGENT_ID = '0XxTEST00000001AAA';
const CLIENT_ID = 'lease-test-client';
const CLIENT_SECRET = 'lease-test-secret';

let redis: TestRedis;
const prefixes: string[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => stopRedis(redis, prefixes));

interface Node {
  client: AgentforceClient;
  store: RedisStore;
  manager: SessionManager;
  events: ManagerEvent[];
}

async function emulator(): Promise<FakeAgentApi> {
  const api = await startStrictEmulator({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  cleanups.push(() => api.close());
  return api;
}

/** One node: its own client and manager, on a RedisStore under `prefix` (through `redisUrl`). */
function node(
  api: FakeAgentApi,
  prefix: string,
  options: { leaseMs: number; lockWaitMs?: number; redisUrl?: string },
): Node {
  const client = new AgentforceClient({
    myDomainUrl: api.url,
    auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    retry: { maxRetries: 6, baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 500 },
  });
  const store = new RedisStore(options.redisUrl ?? redis.url, { prefix });
  const manager = client.conversations({
    session: { agentId: AGENT_ID },
    store,
    leaseMs: options.leaseMs,
    lockWaitMs: options.lockWaitMs ?? 10_000,
  });
  const events: ManagerEvent[] = [];
  manager.on((e) => events.push(e));
  cleanups.push(async () => {
    client.close();
    await store.close();
  });
  return { client, store, manager, events };
}

function freshPrefix(label: string): string {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  return prefix;
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inFlight = (api: FakeAgentApi, sessionId: string) =>
  api.sessions().find((s) => s.sessionId === sessionId)?.inFlight === true;
const increasing = (ids: readonly number[]) => ids.every((id, i) => i === 0 || id > ids[i - 1]!);

describe('SessionManager on Redis: leases', () => {
  it('renews the lease during a turn longer than leaseMs, so no other node takes the conversation meanwhile', async () => {
    const api = await emulator();
    const prefix = freshPrefix('renewal');
    const leaseMs = 1_000;
    const a = node(api, prefix, { leaseMs });
    const b = node(api, prefix, { leaseMs, lockWaitMs: 300 });
    const first = await a.manager.send('long', 'hello');

    api.faults.next('send', { delayMs: 3_500 }, { sessionId: first.sessionId });
    const started = Date.now();
    const slow = a.manager.send('long', 'a slow question');
    await until(() => inFlight(api, first.sessionId), 5_000, 'the slow turn at the emulator');
    await sleep(Math.max(0, started + 2.5 * leaseMs - Date.now()));

    // Well past one lease, the lock is still held: A renewed it.
    await expect(a.store.acquire('long', { leaseMs, waitMs: 0 })).rejects.toBeInstanceOf(
      LockTimeoutError,
    );
    // Another node gives up after its lockWaitMs, with a typed error, and counts it.
    await expect(b.manager.send('long', 'me too')).rejects.toMatchObject({ code: 'lock_timeout' });
    expect(b.manager.stats).toMatchObject({ inFlight: 0, failedTurns: 1, turns: 0 });
    expect(b.events).toContainEqual(expect.objectContaining({ type: 'turn.failed', key: 'long' }));

    const reply = await slow;
    expect(reply.text).toContain('a slow question');
    expect(a.events.filter((e) => e.type === 'conversation.persist-failed')).toEqual([]);
    const record = await a.store.load('long');
    expect(record?.savedAt).toBeGreaterThanOrEqual(started);

    // The conversation moves on from the saved turn on the other node.
    const next = await b.manager.send('long', 'after the slow one');
    expect(next.sessionId).toBe(first.sessionId);
    expect(api.sessions()[0]!.sequenceIds).toHaveLength(3);
    expect(increasing(api.sessions()[0]!.sequenceIds)).toBe(true);
    expect(a.manager.stats).toMatchObject({ inFlight: 0, turns: 2, failedTurns: 0 });
  });

  it('a stalled node whose lease lapsed cannot overwrite the newer state; its reply is still delivered', async () => {
    const api = await emulator();
    const prefix = freshPrefix('fencing');
    const leaseMs = 500;
    const url = new URL(redis.url);
    const proxy: TcpProxy = await startTcpProxy(url.hostname, Number(url.port || 6379));
    cleanups.push(() => proxy.close());
    // A reaches Redis through the proxy: pausing it partitions A from Redis, and only A.
    const a = node(api, prefix, {
      leaseMs,
      redisUrl: `redis://${url.hostname}:${proxy.port}`,
    });
    const b = node(api, prefix, { leaseMs });

    const one = await a.manager.send('fenced', 'one');
    const sessionId = one.sessionId;
    api.faults.next('send', { delayMs: 1_500 }, { sessionId });
    const pending = a.manager.send('fenced', 'two');
    await until(() => inFlight(api, sessionId), 5_000, "A's turn at the emulator");
    proxy.pause(); // A stalls: its renewals and its save wait, its lease lapses
    await until(() => !inFlight(api, sessionId), 5_000, "A's reply to leave the emulator");

    // B takes the conversation once A's lease lapsed, from the last saved snapshot.
    const three = await b.manager.send('fenced', 'three');
    expect(three.sessionId).toBe(sessionId);
    const saved = await b.store.load('fenced');

    proxy.resume(); // A wakes up and tries to save its older state
    const two = await pending;
    expect(two.text).toContain('two'); // delivered all the same
    const failed = a.events.filter((e) => e.type === 'conversation.persist-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      key: 'fenced',
      leaseLost: true,
      error: { code: 'lease_lost' },
    });

    // The store still holds B's record, untouched.
    expect(await b.store.load('fenced')).toEqual(saved);
    expect(saved?.fencingToken).toBeGreaterThan(0);
    const context = (saved?.snapshot as { machine: { context: { lastSequenceId: number } } })
      .machine.context;
    expect(context.lastSequenceId).toBe(three.sequenceId);
    // The ids B used are above the ones A reserved before it stalled.
    expect(three.sequenceId).toBeGreaterThan(two.sequenceId!);
    expect(api.sessions()[0]!.sequenceIds).toEqual([
      one.sequenceId,
      two.sequenceId,
      three.sequenceId,
    ]);

    // A dropped its stale copy: its next turn continues from B's record.
    const four = await a.manager.send('fenced', 'four');
    expect(four.sessionId).toBe(sessionId);
    expect(four.sequenceId).toBeGreaterThan(three.sequenceId!);
    expect(a.events.filter((e) => e.type === 'conversation.restored')).toHaveLength(1);
    expect(api.sessions()).toHaveLength(1);
    expect(increasing(api.sessions()[0]!.sequenceIds)).toBe(true);
    expect(api.requests.filter((r) => r.status >= 400 && r.status !== 423)).toEqual([]);
  });

  it('refuses a stored snapshot of an unknown schema version whole and starts the conversation afresh', async () => {
    const api = await emulator();
    const prefix = freshPrefix('schema');
    const a = node(api, prefix, { leaseMs: 2_000 });
    const future = SESSION_SCHEMA_VERSION + 1;
    const lease = await a.store.acquire('old', { leaseMs: 2_000, waitMs: 0 });
    await a.store.save('old', lease, {
      schemaVersion: future,
      snapshot: {
        format: 'agentforce-session',
        schemaVersion: future,
        machine: {
          status: 'active',
          value: 'awaitingInput',
          context: { sessionId: 'from-the-future' },
        },
      },
      expiresAt: null,
    });
    await a.store.release(lease);
    const before = await a.store.peekSequenceId('old');

    const reply = await a.manager.send('old', 'hello again');
    expect(reply.text).toContain('hello again');
    expect(a.events.map((e) => e.type)).toEqual(['conversation.created', 'turn.completed']);
    expect(api.sessions()).toHaveLength(1); // a new server session; nothing sent for the old one
    expect(api.requests.filter((r) => r.path.includes('from-the-future'))).toEqual([]);
    const record = await a.store.load('old');
    expect(record?.schemaVersion).toBe(SESSION_SCHEMA_VERSION);
    expect(reply.sequenceId).toBeGreaterThan(before);
  });

  it('also refuses a record that claims the current version but holds a snapshot this version cannot restore', async () => {
    const api = await emulator();
    const prefix = freshPrefix('schema-inner');
    const a = node(api, prefix, { leaseMs: 2_000 });
    const lease = await a.store.acquire('odd', { leaseMs: 2_000, waitMs: 0 });
    await a.store.save('odd', lease, {
      schemaVersion: SESSION_SCHEMA_VERSION,
      snapshot: {
        format: 'agentforce-session',
        schemaVersion: SESSION_SCHEMA_VERSION + 1,
        machine: { status: 'active', value: 'somewhere', context: {} },
      },
      expiresAt: null,
    });
    await a.store.release(lease);

    const reply = await a.manager.send('odd', 'still here');
    expect(reply.text).toContain('still here');
    expect(a.events.map((e) => e.type)).toEqual(['conversation.created', 'turn.completed']);
    expect((await a.store.load('odd'))?.snapshot).toMatchObject({
      schemaVersion: SESSION_SCHEMA_VERSION,
    });
    // and shutdown ends it like any other
    expect(await a.manager.endAll()).toEqual({ ended: 1, failed: [] });
    expect(api.openSessionCount()).toBe(0);
  });
});
