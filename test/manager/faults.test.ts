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
  type ManagerEvent,
  type SessionManagerOptions,
  type SessionStore,
  StoreError,
} from '../../src/index.js';
import { startFakeAgentApi } from '../../src/fake-server/index.js';
import { AGENT_ID, CLIENT_ID, CLIENT_SECRET } from '../client/helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Tuning = Partial<Pick<SessionManagerOptions, 'maxLive' | 'leaseMs' | 'recordTtlMs'>>;

async function setup(options: Tuning & { store?: SessionStore } = {}) {
  const api = await startFakeAgentApi({
    anyAgentId: true,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    strictSequence: true,
  });
  const client = new AgentforceClient({
    myDomainUrl: api.url,
    auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 50 },
  });
  const store = options.store ?? new MemoryStore();
  const manager = client.conversations({
    session: { agentId: AGENT_ID },
    store,
    maxLive: options.maxLive,
    leaseMs: options.leaseMs,
    recordTtlMs: options.recordTtlMs,
  });
  const events: ManagerEvent[] = [];
  manager.on((e) => events.push(e));
  cleanups.push(
    () => api.close(),
    () => client.close(),
  );
  return { api, client, store, manager, events };
}

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
    const { api, store, manager, events } = await setup({ maxLive: 1 });
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

describe('AgentSession stopped while it ends', () => {
  it('end() and closed reject with session_closed instead of hanging', async () => {
    const { api, client } = await setup();
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
  it('a node holding the old live copy continues the new server session, not the old one', async () => {
    const store = new MemoryStore({ counterTtlMs: 200 });
    const { client, manager: nodeA } = await setup({ store, leaseMs: 100, recordTtlMs: 200 });
    const nodeB = client.conversations({ session: { agentId: AGENT_ID }, store, leaseMs: 100 });
    const old = await nodeA.send('user-1', 'first conversation');
    await new Promise((r) => setTimeout(r, 500)); // the record and its counters expired
    const renewed = await nodeB.send('user-1', 'a new conversation, same key');
    expect(renewed.sessionId).not.toBe(old.sessionId);
    const next = await nodeA.send('user-1', 'continues the new one');
    expect(next.sessionId).toBe(renewed.sessionId);
  });
});

describe('a fatal 4xx on a message', () => {
  for (const status of [400, 403, 422]) {
    it(`${status}: the server session is ended (DELETE, reason Error) and the app is told`, async () => {
      const { api, store, manager, events } = await setup();
      const first = await manager.send('k', 'hello');
      api.faults.next('send', { status });
      await expect(within(manager.send('k', 'refused'), 5_000)).rejects.toMatchObject({ status });
      const ended = api.sessions().find((s) => s.sessionId === first.sessionId);
      expect(ended).toMatchObject({ status: 'ended', endedBy: 'client', endReason: 'Error' });
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'conversation.closed', key: 'k', reason: 'failed' }),
      );
      expect(await store.keys()).toEqual([]);
      expect(api.openSessionCount()).toBe(0);
    });
  }
});

describe('a session closed on a fatal error', () => {
  it('sends DELETE with reason Error and closes as failed with the error', async () => {
    const { api, client } = await setup();
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
      const { manager, events } = await setup({ store });
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
    const { api, manager, events } = await setup({ store });
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
    const { api, manager } = await setup({ store });
    const first = await manager.send('k', 'hello');
    store.failing.add('save');
    await manager.send('k', 'not saved');
    const next = await manager.send('k', 'continues');
    expect(next.sessionId).toBe(first.sessionId);
    expect(api.openSessionCount()).toBe(1);
  });
});
