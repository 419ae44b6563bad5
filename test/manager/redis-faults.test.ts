/**
 * The session manager on three nodes (three managers, each its own client and store connection)
 * sharing one real redis-server of the test's own, under the faults Redis has in production:
 * killed and restarted with AOF persistence or without any, and flushed. Each run checks what the
 * docs promise: every call settles within a bound, every failure is reported (`turn.failed`),
 * every reply is processed once, a conversation that lost its record says so
 * (`conversation.reset`) and its old server session is ended, and no server session is open at
 * the end. docs/scale-out.md, "When the context is lost".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  AgentforceClient,
  clientCredentials,
  type ManagerEvent,
  type SessionManager,
  type SessionManagerOptions,
  type Turn,
} from '../../src/index.js';
import { RedisStore } from '../../src/redis.js';
import type { FakeAgentApi } from '../../src/fake-server/index.js';
import { startStrictEmulator } from './strict-emulator.js';
import {
  ownRedisServerAvailable,
  startOwnRedis,
  uniquePrefix,
  type OwnRedis,
} from '../stores/redis-server.js';

const AGENT_ID = '0XxTEST00000001AAA';
const CLIENT_ID = 'fault-test-client';
const CLIENT_SECRET = 'fault-test-secret';
/** Longest a call may take before the test counts it as hung. */
const BOUND_MS = 15_000;
const LEASE_MS = 2_000;

/** The suite owns its redis-server (it kills and restarts it): `REDIS_URL` alone will not do. */
const haveRedisServer = ownRedisServerAvailable();

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Node {
  manager: SessionManager;
  events: ManagerEvent[];
}

type Tuning = Partial<Pick<SessionManagerOptions, 'maxLive' | 'recordTtlMs'>> & {
  /** The store's `counterTtlMs`. */
  counterTtlMs?: number;
};

function node(api: FakeAgentApi, redis: OwnRedis, prefix: string, tuning: Tuning = {}): Node {
  const client = new AgentforceClient({
    myDomainUrl: api.url,
    auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 50 },
  });
  // A command fails fast while Redis is down (ioredis would otherwise queue it for long).
  const { counterTtlMs, ...options } = tuning;
  const store = new RedisStore(redis.url, {
    prefix,
    ...(counterTtlMs === undefined ? {} : { counterTtlMs }),
    redis: { maxRetriesPerRequest: 1, connectTimeout: 500, retryStrategy: () => 100 },
  });
  const manager = client.conversations({
    session: { agentId: AGENT_ID },
    store,
    leaseMs: LEASE_MS,
    lockWaitMs: 5_000,
    ...options,
  });
  const events: ManagerEvent[] = [];
  manager.on((e) => events.push(e));
  cleanups.push(async () => {
    client.close();
    await store.close().catch(() => undefined);
  });
  return { manager, events };
}

/** Settles like `promise` (value or error), or fails the test once `BOUND_MS` passed. */
async function settled<T>(
  promise: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`a call still pending after ${BOUND_MS} ms`)),
      BOUND_MS,
    );
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      hung,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];

/** One turn of every conversation, each on its own node (key i on node i mod 3), all at once. */
async function turnOfEach(nodes: Node[], text: string) {
  return Promise.all(
    KEYS.map((key, i) => settled(nodes[i % nodes.length]!.manager.send(key, `${text} ${key}`))),
  );
}

/**
 * The checks every case ends with: every message the agent processed, once, in increasing order,
 * on every server session; `endAll()` ends every conversation (`conversations` stored, if given)
 * and no server session is left open.
 */
async function endsClean(api: FakeAgentApi, nodes: Node[], conversations?: number) {
  for (const s of api.sessions()) {
    expect(new Set(s.sequenceIds).size).toBe(s.sequenceIds.length);
    expect([...s.sequenceIds].sort((a, b) => a - b)).toEqual(s.sequenceIds);
  }
  const ended = await settled(nodes[0]!.manager.endAll({ deadlineMs: 10_000 }));
  expect(ended).toMatchObject({ ok: true, value: { failed: [] } });
  if (conversations !== undefined) {
    expect(ended).toMatchObject({ value: { ended: conversations } });
  }
  expect(api.openSessionCount()).toBe(0);
}

const failuresReported = (nodes: Node[]) =>
  nodes.reduce((n, node) => n + node.events.filter((e) => e.type === 'turn.failed').length, 0);

describe('the guard of a suite that owns its redis-server', () => {
  const noRedisServer = { PATH: '/nonexistent', REDIS_URL: 'redis://127.0.0.1:6379' };

  it('skips without the program, even with REDIS_URL set', () => {
    expect(ownRedisServerAvailable(noRedisServer)).toBe(false);
  });

  it('fails under CI=true instead of skipping, saying REDIS_URL is not enough', () => {
    expect(() => ownRedisServerAvailable({ ...noRedisServer, CI: 'true' })).toThrow(
      /CI=true and redis-server is not installed.*REDIS_URL is not enough/,
    );
  });
});

/**
 * The emulator (strict sequence), a redis-server of the test's own (without persistence unless
 * `appendonly`) and `count` managers on it.
 */
async function cluster(count: number, tuning: Tuning = {}, appendonly = false) {
  const api = await startStrictEmulator({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  cleanups.push(() => api.close());
  const redis = await startOwnRedis({ appendonly });
  cleanups.push(() => redis.stop());
  const prefix = uniquePrefix('faults');
  return {
    api,
    redis,
    nodes: Array.from({ length: count }, () => node(api, redis, prefix, tuning)),
  };
}

describe.skipIf(!haveRedisServer)('three nodes on one Redis, under Redis faults', () => {
  for (const fault of ['restart with AOF', 'restart without persistence', 'FLUSHALL'] as const) {
    it(`${fault}: every call settles, every failure is reported, no server session left open`, async () => {
      const { api, redis, nodes } = await cluster(3, {}, fault === 'restart with AOF');

      const first = await turnOfEach(nodes, 'hello');
      await turnOfEach(nodes, 'again');
      expect(first.every((r) => r.ok)).toBe(true);
      const before = new Map(
        KEYS.map((k, i) => [k, (first[i] as { value: Turn }).value.sessionId]),
      );

      let failedDuringOutage = 0;
      if (fault === 'FLUSHALL') {
        const admin = new Redis(redis.url);
        await admin.flushall();
        await admin.quit();
      } else {
        await redis.kill();
        const during = await turnOfEach(nodes, 'while Redis is down');
        // Settled (none hung), each as a typed store failure, each reported.
        for (const r of during) {
          expect(r.ok).toBe(false);
          expect((r as { error: { code?: string } }).error.code).toBe('store');
        }
        failedDuringOutage = during.length;
        expect(failuresReported(nodes)).toBe(failedDuringOutage);
        await redis.restart();
      }

      const after = await turnOfEach(nodes, 'after the fault');
      for (const [i, r] of after.entries()) {
        expect(
          r.ok,
          `${KEYS[i]} after the fault: ${String((r as { error?: unknown }).error)}`,
        ).toBe(true);
      }
      const resets = nodes.flatMap((n) => n.events.filter((e) => e.type === 'conversation.reset'));
      if (fault === 'restart with AOF') {
        // Nothing lost: every conversation continues on its server session, nobody is told.
        for (const [i, r] of after.entries()) {
          expect((r as { value: Turn }).value.sessionId).toBe(before.get(KEYS[i]!));
        }
        expect(resets).toEqual([]);
      } else {
        // The records are gone: each conversation starts again, its app is told, and the node
        // that held its live copy ended the old server session.
        expect(resets.map((e) => (e.type === 'conversation.reset' ? e.key : '')).sort()).toEqual(
          KEYS,
        );
        for (const e of resets) {
          expect(e).toMatchObject({ cause: 'lost', previousEnded: true });
        }
        for (const sessionId of before.values()) {
          expect(api.sessions().find((s) => s.sessionId === sessionId)).toMatchObject({
            status: 'ended',
            endReason: 'Error',
          });
        }
      }
      expect(failuresReported(nodes)).toBe(failedDuringOutage);
      await endsClean(api, nodes, KEYS.length);
    }, 60_000);
  }
});

describe.skipIf(!haveRedisServer)('nodes that leave after Redis lost the records', () => {
  it('a leaving node ends the server sessions of its live copies whose records are gone, and says so', async () => {
    const { api, redis, nodes } = await cluster(3);
    // Two turns of each conversation on two different nodes: two live copies of each.
    await Promise.all(KEYS.map((key, i) => nodes[i % 3]!.manager.send(key, `hello ${key}`)));
    await Promise.all(KEYS.map((key, i) => nodes[(i + 1) % 3]!.manager.send(key, `again ${key}`)));
    expect(api.openSessionCount()).toBe(KEYS.length);
    const admin = new Redis(redis.url);
    await admin.flushall();
    await admin.quit();

    // Every node leaves: nothing is stored any more, so nothing can be handed over.
    const left = await Promise.all(nodes.map((n) => n.manager.close({ deadlineMs: 5_000 })));
    expect(left.map((l) => l.handedOver)).toEqual([0, 0, 0]);
    expect(api.openSessionCount()).toBe(0);
    for (const s of api.sessions())
      expect(s).toMatchObject({ status: 'ended', endReason: 'Error' });
    // The app is told once per live copy (two per conversation), with the cause.
    const resets = nodes.flatMap((n) => n.events.filter((e) => e.type === 'conversation.reset'));
    expect(resets).toHaveLength(2 * KEYS.length);
    for (const e of resets) expect(e).toMatchObject({ cause: 'lost', previousEnded: true });
  }, 30_000);

  it('a copy whose DELETE outlasts the deadline is stopped with the other live sessions, and reported as not ended', async () => {
    const { api, redis, nodes } = await cluster(1);
    const node = nodes[0]!;
    const turn = await node.manager.send('k', 'hello');
    const admin = new Redis(redis.url);
    await admin.flushall();
    await admin.quit();
    api.faults.next('end', { delayMs: 3_000 }, { sessionId: turn.sessionId });
    const left = await node.manager.close({ deadlineMs: 200 });
    expect(left.unfinished).toEqual([]);
    // Stopped at the deadline, its DELETE rejects at once: the reset says the session may be open.
    await new Promise((r) => setTimeout(r, 100));
    expect(node.events.filter((e) => e.type === 'conversation.reset')).toEqual([
      expect.objectContaining({ key: 'k', cause: 'lost', previousEnded: false }),
    ]);
  }, 30_000);

  it('a leaving node hands over, without ending them, the conversations the store still holds', async () => {
    const { api, nodes } = await cluster(2);
    await Promise.all(KEYS.map((key) => nodes[0]!.manager.send(key, `hello ${key}`)));
    const left = await nodes[0]!.manager.close({ deadlineMs: 5_000 });
    expect(left.handedOver).toBe(KEYS.length);
    expect(api.openSessionCount()).toBe(KEYS.length);
    const turn = await nodes[1]!.manager.send(KEYS[0]!, 'after the leave');
    expect(api.sessions().map((s) => s.sessionId)).toContain(turn.sessionId);
    await endsClean(api, [nodes[1]!], KEYS.length);
  }, 30_000);
});

describe.skipIf(!haveRedisServer)('nodes on one Redis, under the other faults', () => {
  const waitUntil = async (check: () => boolean) => {
    const until = Date.now() + 5_000;
    while (!check()) {
      if (Date.now() > until) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('Redis paused (SIGSTOP) past the lease mid-turn: the stale save is refused, the reply delivered once, the next node continues', async () => {
    const { api, redis, nodes } = await cluster(3);
    const [a, b, c] = nodes as [Node, Node, Node];
    const first = await a.manager.send('k', 'hello');
    // The next turn on node A is held at the emulator while Redis is frozen past its lease.
    api.faults.next('send', { delayMs: LEASE_MS }, { sessionId: first.sessionId });
    const held = settled(a.manager.send('k', 'held while Redis is frozen'));
    await waitUntil(() => api.sessions().some((s) => s.inFlight));
    redis.pause();
    const during = settled(b.manager.send('other', 'sent while Redis is frozen'));
    await new Promise((r) => setTimeout(r, LEASE_MS * 1.5));
    redis.resume();
    const [late, meanwhile] = await Promise.all([held, during]);
    // The reply still reaches its caller, once; its save came after the lease lapsed: refused.
    expect(late).toMatchObject({ ok: true, value: { sessionId: first.sessionId } });
    expect((late as { value: Turn }).value.text).toContain('held while Redis is frozen');
    expect(meanwhile.ok).toBe(true);
    expect(a.events).toContainEqual(
      expect.objectContaining({ type: 'conversation.persist-failed', key: 'k', leaseLost: true }),
    );
    // Another node continues from the stored record, on the same server session, ids above.
    const next = await settled(c.manager.send('k', 'after the pause'));
    expect(next).toMatchObject({ ok: true, value: { sessionId: first.sessionId } });
    expect(failuresReported(nodes)).toBe(0);
    await endsClean(api, nodes, 2);
  }, 60_000);

  it('a key reused after its record expired: the node holding the old copy ends the old server session and says so', async () => {
    const { api, nodes } = await cluster(2, { recordTtlMs: 300, counterTtlMs: 300 });
    const [a, b] = nodes as [Node, Node];
    const old = await a.manager.send('user-1', 'first conversation');
    await new Promise((r) => setTimeout(r, 800)); // the record and its counters expired
    const renewed = await settled(b.manager.send('user-1', 'a new conversation, same key'));
    expect(renewed.ok).toBe(true);
    const renewedId = (renewed as { value: Turn }).value.sessionId;
    expect(renewedId).not.toBe(old.sessionId);
    const next = await settled(a.manager.send('user-1', 'continues the new one'));
    expect(next).toMatchObject({ ok: true, value: { sessionId: renewedId } });
    expect(api.sessions().find((s) => s.sessionId === old.sessionId)).toMatchObject({
      status: 'ended',
      endReason: 'Expiration',
    });
    expect(a.events).toContainEqual({
      type: 'conversation.reset',
      key: 'user-1',
      cause: 'expired',
      previousSessionId: old.sessionId,
      previousEnded: true,
    });
    await endsClean(api, nodes, 1);
  }, 60_000);

  it('end() while its conversation is evicted (maxLive 1) settles, counts and forgets it', async () => {
    const { api, nodes } = await cluster(1, { maxLive: 1 });
    const [a] = nodes as [Node];
    const first = await a.manager.send('a', 'hello');
    api.faults.next('end', { delayMs: 300 });
    const ending = settled(a.manager.end('a'));
    await waitUntil(() => api.requests.some((r) => r.route === 'end'));
    await a.manager.send('b', 'meanwhile on another key'); // maxLive 1: 'a' is evicted
    expect(await ending).toMatchObject({ ok: true });
    expect(a.manager.stats.ended).toBe(1);
    expect(await a.manager.store.keys()).toEqual(['b']);
    expect(api.sessions().find((s) => s.sessionId === first.sessionId)?.status).toBe('ended');
    const again = await settled(a.manager.send('a', 'again'));
    expect(again.ok).toBe(true);
    expect((again as { value: Turn }).value.sessionId).not.toBe(first.sessionId);
    await endsClean(api, nodes, 2);
  }, 60_000);

  it('a fatal 4xx on a message: reported, the server session ended, the conversation starts afresh on any node', async () => {
    const { api, nodes } = await cluster(3);
    const [a, b, c] = nodes as [Node, Node, Node];
    const first = await a.manager.send('k', 'hello');
    api.faults.next('send', { status: 403 });
    const refused = await settled(b.manager.send('k', 'refused'));
    expect(refused).toMatchObject({ ok: false, error: { code: 'permission_denied' } });
    expect(failuresReported(nodes)).toBe(1);
    expect(b.events).toContainEqual({
      type: 'conversation.reset',
      key: 'k',
      cause: 'failed',
      previousSessionId: first.sessionId,
      previousEnded: true,
    });
    expect(api.sessions().find((s) => s.sessionId === first.sessionId)).toMatchObject({
      status: 'ended',
      endReason: 'Error',
    });
    expect(await c.manager.store.keys()).toEqual([]);
    // Node A still holds a copy of the closed conversation: it starts a new one, as C would.
    const again = await settled(a.manager.send('k', 'again'));
    expect(again.ok).toBe(true);
    expect((again as { value: Turn }).value.sessionId).not.toBe(first.sessionId);
    await endsClean(api, nodes, 1);
  }, 60_000);
});
