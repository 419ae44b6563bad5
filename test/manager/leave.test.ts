/**
 * A node leaves a running deployment (a deploy, a scale-in) with the SIGTERM recipe of
 * docs/scale-out.md: three node processes on one Redis, one of them gets SIGTERM while a turn of
 * its is in flight at the emulator. The turn finishes and is answered, the process exits by
 * itself with code 0, no conversation is ended, and the survivors continue every conversation on
 * its server session.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FakeAgentApi } from '../../src/fake-server/index.js';
import { startStrictEmulator } from './strict-emulator.js';
import { startRedis, stopRedis, uniquePrefix, type TestRedis } from '../stores/redis-server.js';
import {
  FIXTURE_CLIENT_ID,
  FIXTURE_CLIENT_SECRET,
  NodeProcess,
  withDeadline,
} from './fixtures/cluster.js';

const CONVERSATIONS = 6;

let redis: TestRedis;
let api: FakeAgentApi;
let nodes: NodeProcess[] = [];
const prefix = uniquePrefix('leave');

beforeAll(async () => {
  [redis, api] = await Promise.all([
    startRedis(),
    startStrictEmulator({ clientId: FIXTURE_CLIENT_ID, clientSecret: FIXTURE_CLIENT_SECRET }),
  ]);
  nodes = await Promise.all(
    ['node-0', 'node-1', 'node-2'].map((name) =>
      NodeProcess.spawn({
        name,
        redisUrl: redis.url,
        prefix,
        apiUrl: api.url,
        leaseMs: 1_500,
        lockWaitMs: 10_000,
        drainMs: 8_000,
      }),
    ),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.kill()));
  await api?.close();
  await stopRedis(redis, [prefix]);
}, 30_000);

it('SIGTERM hands the node’s conversations over: the turn in flight is answered, the process exits by itself, nothing is ended', async () => {
  const [leaving, ...survivors] = nodes as [NodeProcess, NodeProcess, NodeProcess];
  const keys = Array.from({ length: CONVERSATIONS }, (_, i) => `conv-${i}`);
  const sessionOf = new Map<string, string>();
  // Every node serves every conversation once, so each holds live copies of all of them.
  for (const [round, node] of nodes.entries()) {
    for (const key of keys) {
      const answer = await node.send(key, `${key}-${round}`, `round ${round} of ${key}`);
      expect(answer, JSON.stringify(answer)).toMatchObject({ ok: true });
      if (answer.ok) sessionOf.set(key, answer.sessionId);
    }
  }

  api.faults.next('send', { delayMs: 1_000 });
  const held = leaving.send('conv-0', 'held', 'in flight when SIGTERM arrives');
  const until = Date.now() + 5_000;
  while (!api.sessions().some((s) => s.inFlight) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await withDeadline(leaving.kill('SIGTERM'), 10_000, 'the node leaving on SIGTERM');
  expect(leaving.exitCode).toBe(0);
  expect(leaving.closed).toEqual({ handedOver: CONVERSATIONS, unfinished: [] });
  expect(await held).toMatchObject({ ok: true, sessionId: sessionOf.get('conv-0') });

  expect(api.openSessionCount()).toBe(CONVERSATIONS); // nothing ended
  for (const [i, key] of keys.entries()) {
    const answer = await survivors[i % 2]!.send(key, `${key}-after`, 'after the node left');
    expect(answer).toMatchObject({ ok: true, sessionId: sessionOf.get(key) });
  }
  expect(api.sessions()).toHaveLength(CONVERSATIONS);

  const ended = await Promise.all(survivors.map((n) => n.shutdown(10_000)));
  expect(ended.flatMap((r) => r.failed)).toEqual([]);
  expect(api.openSessionCount()).toBe(0);
}, 90_000);
