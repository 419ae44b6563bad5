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
    const tuning = { leaseMs: 100, recordTtlMs: 200 };
    const { client, manager: nodeA } = await setup({ store, ...tuning });
    const nodeB = client.conversations({ session: { agentId: AGENT_ID }, store, ...tuning });
    const old = await nodeA.send('user-1', 'first conversation');
    await new Promise((r) => setTimeout(r, 500)); // the record and its counters expired
    const renewed = await nodeB.send('user-1', 'a new conversation, same key');
    expect(renewed.sessionId).not.toBe(old.sessionId);
    const next = await nodeA.send('user-1', 'continues the new one');
    expect(next.sessionId).toBe(renewed.sessionId);
  });
});
