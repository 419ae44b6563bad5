/**
 * Many conversations on many nodes: three Node processes, each with its own client and
 * `SessionManager` on one Redis, take turns on the same conversations while this process plays
 * the load balancer (random node per message, seeded). Mid-run one node is killed with SIGKILL
 * while two turns are held in flight at the emulator; the balancer re-sends them to a survivor, as
 * a real balancer retries a request whose backend died.
 *
 * "Answered exactly once" here means: every message gets exactly one successful answer at the
 * balancer. A message whose node died is answered once, by the survivor it was re-sent to, which
 * can only take the conversation after the dead node's lease lapsed. The agent itself may have
 * seen such a message twice (the dead node's request reached it before the kill): delivery to the
 * agent is at least once, answers to the user exactly once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FakeAgentApi } from '../../src/fake-server/index.js';
import { startStrictEmulator } from './strict-emulator.js';
import { seededRandom } from '../../src/fake-server/random.js';
import { startRedis, stopRedis, uniquePrefix, type TestRedis } from '../stores/redis-server.js';
import {
  FIXTURE_CLIENT_ID,
  FIXTURE_CLIENT_SECRET,
  NodeDiedError,
  NodeProcess,
  withDeadline,
  type ShutdownAnswer,
} from './fixtures/cluster.js';
import type { NodeAnswer, NodeEvent } from './fixtures/protocol.js';

const SEED = Number(process.env.MULTI_NODE_SEED ?? 7_310_421);
const NODES = 3;
const CONVERSATIONS = 10;
const MESSAGES = 8;
const LEASE_MS = 1_200;
/** Conversations whose message KILL_AT is held at the emulator when the node dies. */
const VICTIMS = ['conv-0', 'conv-1'];
const KILL_AT = 4;
/** Conversations whose server session is expired before the given message (a restart follows). */
const EXPIRE_BEFORE: Record<string, number> = { 'conv-2': 3, 'conv-3': 5 };
/** Conversations that send two messages at once, to two nodes, at the given message. */
const DOUBLE_AT: Record<string, number> = { 'conv-4': 2, 'conv-5': 6, 'conv-6': 1 };
const TURN_DEADLINE_MS = 15_000;

let redis: TestRedis;
let api: FakeAgentApi;
let nodes: NodeProcess[] = [];
const prefix = uniquePrefix('multi-node');
const events: Array<{ node: string; event: NodeEvent }> = [];

beforeAll(async () => {
  [redis, api] = await Promise.all([
    startRedis(),
    startStrictEmulator({ clientId: FIXTURE_CLIENT_ID, clientSecret: FIXTURE_CLIENT_SECRET }),
  ]);
  nodes = await Promise.all(
    Array.from({ length: NODES }, (_, i) =>
      NodeProcess.spawn({
        name: `node-${i}`,
        redisUrl: redis.url,
        prefix,
        apiUrl: api.url,
        leaseMs: LEASE_MS,
        lockWaitMs: 10_000,
        maxLive: 4, // fewer than the conversations: evictions and rehydration across processes
        onEvent: (node, event) => events.push({ node, event }),
      }),
    ),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.kill()));
  await api?.close();
  await stopRedis(redis, [prefix]);
}, 30_000);

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('three nodes on one Redis: random routing, a node killed mid-turn, every message answered once, ids in order, every session ended', async () => {
  const random = seededRandom(SEED);
  const victim = nodes[0]!;
  const draining = new Set<NodeProcess>();
  const answers: Array<NodeAnswer & { at: number }> = [];
  const sentTokens: string[] = [];
  /** Tokens re-sent because their node died, with when they were first sent to it. */
  const retried = new Map<string, { firstSentAt: number }>();
  const lastSession = new Map<string, string>();

  const pick = (exclude?: NodeProcess): NodeProcess => {
    const candidates = nodes.filter((n) => n.alive && !draining.has(n) && n !== exclude);
    if (candidates.length === 0) throw new Error('no node left to route to');
    return candidates[Math.floor(random() * candidates.length)]!;
  };

  const record = (answer: NodeAnswer): NodeAnswer => {
    answers.push({ ...answer, at: Date.now() });
    if (answer.ok) lastSession.set(answer.key, answer.sessionId);
    return answer;
  };

  /** Sends to `node`; if it dies first, re-sends to another node, as a load balancer retries. */
  const deliver = async (
    node: NodeProcess,
    key: string,
    token: string,
    text: string,
  ): Promise<NodeAnswer> => {
    const sentAt = Date.now();
    try {
      return record(await withDeadline(node.send(key, token, text), TURN_DEADLINE_MS, token));
    } catch (err) {
      if (!(err instanceof NodeDiedError)) throw err;
      if (!retried.has(token)) retried.set(token, { firstSentAt: sentAt });
      return deliver(pick(node), key, token, text);
    }
  };

  const message = (key: string, i: number, part = '') => {
    const token = `tok-${key}-${i}${part}-${Math.floor(random() * 1e9).toString(36)}`;
    sentTokens.push(token);
    return { token, text: `message ${i}${part} of ${key}: ${token}` };
  };

  // The kill: both victim conversations reach message KILL_AT, the victim node is drained of
  // other work, both messages are sent to it and held at the emulator, then it is killed.
  const arrived: Array<{ key: string; token: string; text: string }> = [];
  let kill: Promise<Map<string, NodeAnswer>> | undefined;
  let released: () => void = () => undefined;
  const allArrived = new Promise<void>((resolve) => (released = resolve));
  const runKill = async (): Promise<Map<string, NodeAnswer>> => {
    await allArrived;
    draining.add(victim);
    await until(() => victim.pending === 0, 10_000, 'the victim node to finish its other turns');
    for (const m of arrived) {
      api.faults.next(
        'send',
        { delayMs: 30_000 },
        { sessionId: lastSession.get(m.key)!, times: 1 },
      );
    }
    const held = arrived.map((m) => deliver(victim, m.key, m.token, m.text));
    await until(
      () =>
        arrived.every(
          (m) => api.sessions().find((s) => s.sessionId === lastSession.get(m.key))?.inFlight,
        ),
      10_000,
      'both victim turns to be in flight at the emulator',
    );
    await victim.kill('SIGKILL');
    const done = await Promise.all(held);
    return new Map(done.map((a) => [a.key, a]));
  };

  const conversation = async (key: string): Promise<void> => {
    for (let i = 0; i < MESSAGES; i++) {
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 15)));
      if (EXPIRE_BEFORE[key] === i) expect(api.expireSession(lastSession.get(key)!)).toBe(true);
      if (VICTIMS.includes(key) && i === KILL_AT) {
        arrived.push({ key, ...message(key, i) });
        kill ??= runKill();
        if (arrived.length === VICTIMS.length) released();
        const answer = (await kill).get(key);
        expect(answer?.ok).toBe(true);
        continue;
      }
      if (DOUBLE_AT[key] === i) {
        const first = pick();
        const a = message(key, i, 'a');
        const b = message(key, i, 'b');
        await Promise.all([
          deliver(first, key, a.token, a.text),
          deliver(pick(first), key, b.token, b.text),
        ]);
        continue;
      }
      const m = message(key, i);
      await deliver(pick(), key, m.token, m.text);
    }
  };

  const keys = Array.from({ length: CONVERSATIONS }, (_, i) => `conv-${i}`);
  await withDeadline(Promise.all(keys.map(conversation)), 40_000, 'the conversations');

  // No error reached a user (no 423 in particular): every answer is a reply.
  expect(answers.filter((a) => !a.ok)).toEqual([]);
  const ok = answers.filter((a): a is Extract<NodeAnswer, { ok: true }> & { at: number } => a.ok);

  // Every message answered exactly once, with the agent echoing it.
  const perToken = new Map<string, number>();
  for (const a of ok) perToken.set(a.token, (perToken.get(a.token) ?? 0) + 1);
  expect(sentTokens).toHaveLength(CONVERSATIONS * MESSAGES + Object.keys(DOUBLE_AT).length);
  for (const token of sentTokens) expect(perToken.get(token), token).toBe(1);
  expect(perToken.size).toBe(sentTokens.length);
  for (const a of ok) expect(a.replyText).toContain(a.token);

  // The killed node's two held messages, and only they, were re-sent; a survivor answered each,
  // no earlier than the dead node's lease could lapse; the agent saw each twice (at least once).
  expect(victim.alive).toBe(false);
  expect([...retried.keys()].sort()).toEqual(
    arrived.map((m) => m.token).sort((x, y) => x.localeCompare(y)),
  );
  for (const [token, { firstSentAt }] of retried) {
    const answer = ok.find((a) => a.token === token)!;
    expect(answer.node).not.toBe(victim.name);
    expect(answer.at - firstSentAt).toBeGreaterThanOrEqual(LEASE_MS);
    const seen = api.requests.filter(
      (r) => r.route === 'send' && JSON.stringify(r.body).includes(token),
    );
    expect(seen).toHaveLength(2);
    expect(seen.map((r) => r.outcome)).toEqual(['client-closed', 'answered']);
  }
  // The other nodes really shared the work.
  const byNode = new Map<string, number>();
  for (const a of ok) byNode.set(a.node, (byNode.get(a.node) ?? 0) + 1);
  expect(byNode.size).toBe(NODES);

  // 423s at the emulator are only ones the client retried: the same message later answered 200.
  const requests = api.requests;
  requests.forEach((r, i) => {
    if (r.status !== 423) return;
    const body = JSON.stringify(r.body);
    const retriedLater = requests
      .slice(i + 1)
      .some((s) => s.path === r.path && s.status === 200 && JSON.stringify(s.body) === body);
    expect(retriedLater, `423 on ${r.path} never retried`).toBe(true);
  });

  // Server sessions by conversation, from the answers and the restart events.
  const owner = new Map<string, string>();
  const own = (sessionId: string | null, key: string) => {
    if (sessionId === null) return;
    const previous = owner.get(sessionId);
    expect(
      previous === undefined || previous === key,
      `${sessionId} in ${previous} and ${key}`,
    ).toBe(true);
    owner.set(sessionId, key);
  };
  for (const a of ok) own(a.sessionId, a.key);
  for (const { event } of events) {
    if (event.type === 'conversation.restarted') {
      own(event.previousSessionId, event.key);
      own(event.sessionId, event.key);
    }
  }
  const sessions = api.sessions();
  for (const s of sessions)
    expect(owner.has(s.sessionId), `unknown session ${s.sessionId}`).toBe(true);
  for (const key of keys) {
    const ids = sessions
      .filter((s) => owner.get(s.sessionId) === key)
      .flatMap((s) => s.sequenceIds);
    for (let i = 1; i < ids.length; i++)
      expect(ids[i], `${key}: ${ids.join(',')}`).toBeGreaterThan(ids[i - 1]!);
    const expected = key in EXPIRE_BEFORE ? 2 : 1;
    expect(
      sessions.filter((s) => owner.get(s.sessionId) === key),
      key,
    ).toHaveLength(expected);
  }
  const restarted = events.filter((e) => e.event.type === 'conversation.restarted');
  expect(restarted.map((e) => e.event.key).sort()).toEqual(Object.keys(EXPIRE_BEFORE).sort());

  const count = (type: NodeEvent['type']) => events.filter((e) => e.event.type === type).length;
  console.info(
    `multi-node: ${ok.length} answers by node ${JSON.stringify(Object.fromEntries(byNode))}; ` +
      `${requests.filter((r) => r.status === 423).length} 423s retried by the client; ` +
      `${count('conversation.restored')} restores, ${count('conversation.evicted')} evictions, ` +
      `${restarted.length} restarts`,
  );

  // Graceful shutdown of the survivors: together they end every conversation, including the ones
  // the dead node served last (they are in the store).
  const survivors = nodes.filter((n) => n.alive);
  const results: ShutdownAnswer[] = await withDeadline(
    Promise.all(survivors.map((n) => n.shutdown(10_000))),
    20_000,
    'shutdown',
  );
  for (const r of results) expect(r.failed).toEqual([]);
  expect(results.reduce((sum, r) => sum + r.ended, 0)).toBeGreaterThanOrEqual(CONVERSATIONS);
  const final = api.sessions();
  expect(final.filter((s) => s.status === 'open')).toEqual([]);
  for (const s of final) {
    if (s.endedBy === 'expiry') continue; // the ones expired on purpose, then restarted
    expect(s.endedBy, s.sessionId).toBe('client');
    expect(s.endReason).toBe('UserRequest');
    const deletes = api.requests.filter(
      (r) => r.route === 'end' && r.sessionId === s.sessionId && r.status >= 200 && r.status < 300,
    );
    expect(deletes, s.sessionId).toHaveLength(1);
  }
  expect(final.filter((s) => s.endedBy === 'expiry')).toHaveLength(
    Object.keys(EXPIRE_BEFORE).length,
  );
}, 60_000);
