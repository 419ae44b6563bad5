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
  type Turn,
} from '../../src/index.js';
import { RedisStore } from '../../src/redis.js';
import { startFakeAgentApi, type FakeAgentApi } from '../../src/fake-server/index.js';
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

function node(api: FakeAgentApi, redis: OwnRedis, prefix: string): Node {
  const client = new AgentforceClient({
    myDomainUrl: api.url,
    auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 50 },
  });
  // A command fails fast while Redis is down (ioredis would otherwise queue it for long).
  const store = new RedisStore(redis.url, {
    prefix,
    redis: { maxRetriesPerRequest: 1, connectTimeout: 500, retryStrategy: () => 100 },
  });
  const manager = client.conversations({
    session: { agentId: AGENT_ID },
    store,
    leaseMs: 2_000,
    lockWaitMs: 5_000,
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

describe.skipIf(!haveRedisServer)('three nodes on one Redis, under Redis faults', () => {
  for (const fault of ['restart with AOF', 'restart without persistence', 'FLUSHALL'] as const) {
    it(`${fault}: every call settles, every failure is reported, no server session left open`, async () => {
      const api = await startFakeAgentApi({
        anyAgentId: true,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        strictSequence: true,
      });
      cleanups.push(() => api.close());
      const redis = await startOwnRedis({ appendonly: fault === 'restart with AOF' });
      cleanups.push(() => redis.stop());
      const prefix = uniquePrefix('faults');
      const nodes = [0, 1, 2].map(() => node(api, redis, prefix));

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
      // Every message the agent processed, once, in increasing order, on every server session.
      for (const s of api.sessions()) {
        expect(new Set(s.sequenceIds).size).toBe(s.sequenceIds.length);
        expect([...s.sequenceIds].sort((a, b) => a - b)).toEqual(s.sequenceIds);
      }
      const ended = await settled(nodes[0]!.manager.endAll({ deadlineMs: 10_000 }));
      expect(ended).toMatchObject({ ok: true, value: { ended: KEYS.length, failed: [] } });
      expect(api.openSessionCount()).toBe(0);
    }, 60_000);
  }
});
