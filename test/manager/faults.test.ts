/**
 * The session manager under faults on one node (a MemoryStore, the emulator on loopback): every
 * call settles, every failure is reported, and no server session is left open behind the app's
 * back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AgentforceClient,
  MemoryStore,
  clientCredentials,
  type SessionStore,
  StoreError,
} from '../../src/index.js';
import { startFakeAgentApi } from '../../src/fake-server/index.js';
import { AGENT_ID, CLIENT_ID, CLIENT_SECRET } from '../client/helpers.js';
import { oneNode } from './one-node.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Settles like `promise`, or rejects once `ms` passed (a call that hangs fails the test). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const waitUntil = async (check: () => boolean, ms = 5_000): Promise<void> => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('SessionManager.end', () => {
  it('settles, counts and forgets the conversation when another key evicts it during its DELETE', async () => {
    const { api, store, manager, events } = await oneNode({ maxLive: 1 });
    const first = await manager.send('a', 'hello');
    api.faults.next('end', { delayMs: 300 });
    const ending = manager.end('a');
    await waitUntil(() => api.requests.some((r) => r.route === 'end'));
    await manager.send('b', 'meanwhile on another key'); // maxLive 1: 'a' is the one to evict
    await within(ending, 5_000);
    expect(manager.stats.ended).toBe(1);
    expect(events).toContainEqual({ type: 'conversation.closed', key: 'a', reason: 'ended' });
    expect(await store.keys()).toEqual(['b']);
    expect(api.sessions().find((s) => s.sessionId === first.sessionId)?.status).toBe('ended');
    // the key is usable again, not stuck behind a pending promise
    const next = await within(manager.send('a', 'again'), 5_000);
    expect(next.sessionId).not.toBe(first.sessionId);
  });
});

describe('SessionManager.end with a copy the store no longer holds', () => {
  const loseRecord = async (store: SessionStore, key: string) => {
    const lease = await store.acquire(key, { leaseMs: 1_000, waitMs: 0 });
    await store.delete(key, lease);
    await store.release(lease);
  };

  it("ends the copy's server session when the record was lost", async () => {
    const { api, store, manager } = await oneNode();
    const old = await manager.send('k', 'remember: blue');
    await loseRecord(store, 'k');
    await within(manager.end('k'), 5_000);
    expect(api.sessions().find((s) => s.sessionId === old.sessionId)?.status).toBe('ended');
    expect(api.openSessionCount()).toBe(0);
  });

  it('ends both when another node had started the conversation again on a new server session', async () => {
    const store = new MemoryStore();
    const { api, client, manager: nodeA } = await oneNode({ store });
    const nodeB = client.conversations({ session: { agentId: AGENT_ID }, store });
    const old = await nodeA.send('k', 'on node A');
    await loseRecord(store, 'k');
    const renewed = await nodeB.send('k', 'on node B, after the loss');
    expect(renewed.sessionId).not.toBe(old.sessionId);
    await within(nodeA.end('k'), 5_000);
    expect(api.openSessionCount()).toBe(0);
    expect(await store.keys()).toEqual([]);
  });
});

describe('AgentSession stopped while it ends', () => {
  it('end() and closed reject with session_closed instead of hanging', async () => {
    const { api, client } = await oneNode();
    const session = client.session({ agentId: AGENT_ID });
    await session.send('hello');
    api.faults.next('end', { delayMs: 300 });
    const ending = session.end();
    ending.catch(() => undefined);
    await waitUntil(() => api.requests.some((r) => r.route === 'end'));
    session.stop();
    await expect(within(ending, 5_000)).rejects.toMatchObject({ code: 'session_closed' });
    await expect(within(session.closed, 5_000)).rejects.toMatchObject({ code: 'session_closed' });
    await expect(within(session.end(), 5_000)).rejects.toMatchObject({ code: 'session_closed' });
  });
});

describe('a conversation key reused after its record expired', () => {
  it('a node holding the old live copy continues the new server session, ends the old one and says so', async () => {
    const store = new MemoryStore({ counterTtlMs: 200 });
    const {
      api,
      client,
      manager: nodeA,
      events,
    } = await oneNode({
      store,
      leaseMs: 100,
      recordTtlMs: 200,
    });
    const nodeB = client.conversations({ session: { agentId: AGENT_ID }, store, leaseMs: 100 });
    const old = await nodeA.send('user-1', 'first conversation');
    await new Promise((r) => setTimeout(r, 500)); // the record and its counters expired
    const renewed = await nodeB.send('user-1', 'a new conversation, same key');
    expect(renewed.sessionId).not.toBe(old.sessionId);
    const next = await nodeA.send('user-1', 'continues the new one');
    expect(next.sessionId).toBe(renewed.sessionId);
    // The old server session was nobody's any more: ended, and node A's app was told.
    expect(api.sessions().find((s) => s.sessionId === old.sessionId)).toMatchObject({
      status: 'ended',
      endReason: 'Expiration',
    });
    expect(events).toContainEqual({
      type: 'conversation.reset',
      key: 'user-1',
      cause: 'expired',
      previousSessionId: old.sessionId,
      previousEnded: true,
    });
    expect(api.openSessionCount()).toBe(1);
  });
});

describe('a conversation whose record was lost (store data lost)', () => {
  it('the node holding its live copy ends the old server session and emits conversation.reset (lost)', async () => {
    const { api, store, manager, events } = await oneNode();
    const old = await manager.send('k', 'remember: blue');
    // The store loses the record before its time (as a flush or a failover would).
    const lease = await store.acquire('k', { leaseMs: 1_000, waitMs: 0 });
    await store.delete('k', lease);
    await store.release(lease);
    const next = await within(manager.send('k', 'what colour?'), 5_000);
    expect(next.sessionId).not.toBe(old.sessionId);
    expect(events).toContainEqual({
      type: 'conversation.reset',
      key: 'k',
      cause: 'lost',
      previousSessionId: old.sessionId,
      previousEnded: true,
    });
    expect(api.sessions().find((s) => s.sessionId === old.sessionId)).toMatchObject({
      status: 'ended',
      endReason: 'Error',
    });
    expect(api.openSessionCount()).toBe(1);
  });

  it('a copy left behind by another node on the same server session is dropped quietly', async () => {
    const store = new MemoryStore();
    const { api, client, manager: nodeA, events } = await oneNode({ store });
    const nodeB = client.conversations({ session: { agentId: AGENT_ID }, store });
    const first = await nodeA.send('k', 'one');
    const second = await nodeB.send('k', 'two');
    const third = await nodeA.send('k', 'three');
    expect(new Set([first.sessionId, second.sessionId, third.sessionId]).size).toBe(1);
    expect(events.filter((e) => e.type === 'conversation.reset')).toEqual([]);
    expect(api.openSessionCount()).toBe(1);
  });
});

describe('idle deadline under the manager', () => {
  it("a stale copy's idle deadline does not end the server session another node continued", async () => {
    const store = new MemoryStore();
    const api = await startFakeAgentApi({
      anyAgentId: true,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    const client = new AgentforceClient({
      myDomainUrl: api.url,
      auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    });
    cleanups.push(
      () => api.close(),
      () => client.close(),
    );
    const session = { agentId: AGENT_ID, idleTimeoutMs: 400 };
    const nodeA = client.conversations({ session, store });
    const nodeB = client.conversations({ session, store });
    const first = await nodeA.send('k', 'on node A');
    await new Promise((r) => setTimeout(r, 250));
    await nodeB.send('k', 'on node B, before the idle deadline');
    await new Promise((r) => setTimeout(r, 300)); // node A's copy is past its own deadline
    const third = await nodeB.send('k', 'still within the idle timeout of the last turn');
    expect(third.sessionId).toBe(first.sessionId);
    expect(api.sessions().map((s) => s.status)).toEqual(['open']);
  });
});

describe('a fatal 4xx on a message', () => {
  for (const status of [400, 403, 422]) {
    it(`${status}: the server session is ended (DELETE, reason Error) and the app is told`, async () => {
      const { api, store, manager, events } = await oneNode();
      const first = await manager.send('k', 'hello');
      api.faults.next('send', { status });
      await expect(within(manager.send('k', 'refused'), 5_000)).rejects.toMatchObject({ status });
      const ended = api.sessions().find((s) => s.sessionId === first.sessionId);
      expect(ended).toMatchObject({ status: 'ended', endedBy: 'client', endReason: 'Error' });
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'conversation.closed', key: 'k', reason: 'failed' }),
      );
      expect(events).toContainEqual({
        type: 'conversation.reset',
        key: 'k',
        cause: 'failed',
        previousSessionId: first.sessionId,
        previousEnded: true,
      });
      expect(await store.keys()).toEqual([]);
      expect(api.openSessionCount()).toBe(0);
    });
  }
});

describe('a session closed on a fatal error', () => {
  it('sends DELETE with reason Error and closes as failed with the error', async () => {
    const { api, client } = await oneNode();
    const session = client.session({ agentId: AGENT_ID });
    const first = await session.send('hello');
    api.faults.next('send', { status: 403 });
    await expect(session.send('forbidden')).rejects.toMatchObject({ code: 'permission_denied' });
    const outcome = await within(session.closed, 5_000);
    expect(outcome).toMatchObject({ reason: 'failed', error: { code: 'permission_denied' } });
    expect(api.sessions().find((s) => s.sessionId === first.sessionId)).toMatchObject({
      status: 'ended',
      endReason: 'Error',
    });
  });
});

type StoreCall = 'load' | 'nextSequenceId' | 'save';

/** A MemoryStore whose next call of a kind fails as a backend outage does (a StoreError). */
class FailingStore extends MemoryStore {
  readonly failing = new Set<StoreCall>();
  #fail(call: StoreCall): void {
    if (this.failing.delete(call)) throw new StoreError(`${call} failed: connection lost`);
  }
  override async load(key: string) {
    this.#fail('load');
    return super.load(key);
  }
  override async nextSequenceId(key: string, floor?: number) {
    this.#fail('nextSequenceId');
    return super.nextSequenceId(key, floor);
  }
  override async save(...args: Parameters<MemoryStore['save']>) {
    this.#fail('save');
    return super.save(...args);
  }
}

describe('store failures during a turn', () => {
  for (const call of ['load', 'nextSequenceId'] as const) {
    it(`a failed ${call} after the lease was taken is emitted as turn.failed and counted`, async () => {
      const store = new FailingStore();
      const { manager, events } = await oneNode({ store });
      await manager.send('k', 'hello');
      store.failing.add(call);
      await expect(within(manager.send('k', 'lost?'), 5_000)).rejects.toMatchObject({
        code: 'store',
      });
      expect(manager.stats.failedTurns).toBe(1);
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'turn.failed', key: 'k', error: expect.any(StoreError) }),
      );
      expect((await manager.send('k', 'after the outage')).text).toContain('after the outage');
    });
  }

  it('a conversation whose first save fails ends its new server session', async () => {
    const store = new FailingStore();
    const { api, manager, events } = await oneNode({ store });
    store.failing.add('save');
    const turn = await within(manager.send('k', 'hello'), 5_000); // the reply is still delivered
    expect(turn.text).toContain('hello');
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'conversation.persist-failed', key: 'k' }),
    );
    expect(api.sessions().find((s) => s.sessionId === turn.sessionId)).toMatchObject({
      status: 'ended',
      endReason: 'Error',
    });
    const next = await manager.send('k', 'next turn');
    expect(next.sessionId).not.toBe(turn.sessionId);
    expect(api.openSessionCount()).toBe(1);
  });

  it('a failed save of a continuing conversation keeps its server session', async () => {
    const store = new FailingStore();
    const { api, manager } = await oneNode({ store });
    const first = await manager.send('k', 'hello');
    store.failing.add('save');
    await manager.send('k', 'not saved');
    const next = await manager.send('k', 'continues');
    expect(next.sessionId).toBe(first.sessionId);
    expect(api.openSessionCount()).toBe(1);
  });
});
