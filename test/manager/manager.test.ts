import { describe, expect, it } from 'vitest';
import type { FakeAgentApi } from '../../src/fake-server/index.js';
import { AGENT_ID } from '../client/helpers.js';
import { oneNode } from './one-node.js';

const seqs = (api: FakeAgentApi) => api.sessions().map((s) => s.sequenceIds);
const statuses = (api: FakeAgentApi) =>
  api
    .sessions()
    .map((s) => s.status)
    .sort();

describe('SessionManager', () => {
  it('starts a session on first use, routes later messages to it, and serialises turns per key', async () => {
    const { api, manager } = await oneNode();
    const replies = await Promise.all([
      manager.send('alice', 'a1'),
      manager.send('alice', 'a2'),
      manager.send('bob', 'b1'),
      manager.send('alice', 'a3'),
    ]);
    expect(replies.map((t) => t.text.match(/"(\w\d)"/)?.[1])).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(replies[0].sessionId).toBe(replies[1].sessionId);
    expect(replies[2].sessionId).not.toBe(replies[0].sessionId);
    expect(api.sessions()).toHaveLength(2);
    expect(api.requests.filter((r) => r.status === 423)).toEqual([]);
    expect(manager.stats).toMatchObject({ live: 2, inFlight: 0, turns: 4 });
  });

  it('evicts idle sessions beyond maxLive and rehydrates them from the store on their next message', async () => {
    const { api, manager, events } = await oneNode({ maxLive: 2 });
    for (const key of ['k1', 'k2', 'k3']) await manager.send(key, `hello ${key}`);
    expect(manager.stats).toMatchObject({ live: 2, evictions: 1 });
    expect(events).toContainEqual({ type: 'conversation.evicted', key: 'k1' });
    const again = await manager.send('k1', 'back');
    expect(events).toContainEqual({ type: 'conversation.restored', key: 'k1' });
    expect(api.sessions()).toHaveLength(3); // same server session for k1, continued
    expect(again.sequenceId).toBeGreaterThan(1);
    expect(seqs(api).every((ids) => ids.every((id, i) => i === 0 || id > ids[i - 1]!))).toBe(true);
  });

  it('a second manager on the same store continues a conversation another one started (as another node would)', async () => {
    const { api, client, store, manager } = await oneNode();
    const first = await manager.send('carol', 'on node one');
    const other = client.conversations({ session: { agentId: AGENT_ID }, store });
    const second = await other.send('carol', 'on node two');
    expect(second.sessionId).toBe(first.sessionId);
    const third = await manager.send('carol', 'back on node one');
    expect(third.sessionId).toBe(first.sessionId);
    const ids = api.sessions()[0]!.sequenceIds;
    expect(ids).toHaveLength(3);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(api.requests.filter((r) => r.status >= 400)).toEqual([]);
  });

  it('expiry mid-conversation: restart with the message re-sent, counted in stats', async () => {
    const { api, manager } = await oneNode();
    const first = await manager.send('dave', 'one');
    api.expireSession(first.sessionId);
    const second = await manager.send('dave', 'two');
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(second.text).toContain('two');
    expect(manager.stats.restarts).toBe(1);
  });

  it('a conversation the server ended starts afresh on its next message', async () => {
    const { api, manager } = await oneNode();
    const ended = await manager.send('erin', 'please end the chat');
    expect(ended.ended).toBeDefined();
    const next = await manager.send('erin', 'hello again');
    expect(next.sessionId).not.toBe(ended.sessionId);
    expect(statuses(api)).toEqual(['ended', 'open']);
  });

  it('endAll ends every open conversation and reports the ones that failed', async () => {
    const { api, manager } = await oneNode({ maxLive: 3 });
    const keys = Array.from({ length: 6 }, (_, i) => `user-${i}`);
    await Promise.all(keys.map((k) => manager.send(k, `hi from ${k}`)));
    const doomed = api.sessions()[0]!.sessionId;
    api.faults.next('end', { status: 500 }, { times: 3, sessionId: doomed }); // its DELETE fails after the retries
    const result = await manager.endAll({ deadlineMs: 5_000 });
    expect(result.ended).toBe(5);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.error.status).toBe(500);
    expect(api.sessions().filter((s) => s.status === 'open')).toHaveLength(1);
    await expect(manager.send('user-0', 'after shutdown')).rejects.toThrow(/shutting down/);
    expect(manager.stats.live).toBe(0);
  });

  it('shutdown(), the deprecated name of endAll(), still ends every conversation', async () => {
    const { api, manager } = await oneNode({});
    await manager.send('user-a', 'hello');
    await manager.send('user-b', 'hello');
    expect(await manager.shutdown({ deadlineMs: 5_000 })).toEqual({ ended: 2, failed: [] });
    expect(api.openSessionCount()).toBe(0);
  });

  it('many keys', async () => {
    const { api, manager } = await oneNode({ maxLive: 50 });
    const keys = Array.from({ length: 200 }, (_, i) => `many-${i}`);
    const turns = await Promise.all(keys.map((k) => manager.send(k, `msg ${k}`)));
    turns.forEach((t, i) => expect(t.text).toContain(`msg ${keys[i]}`));
    expect(manager.stats.live).toBeLessThanOrEqual(50);
    expect(api.requests.filter((r) => r.status >= 400)).toEqual([]);
    const result = await manager.endAll();
    expect(result).toEqual({ ended: 200, failed: [] });
    expect(api.openSessionCount()).toBe(0);
  });
});

describe('SessionManager.endAll scope', () => {
  it("scope 'live' ends only the conversations live in this process", async () => {
    const { api, client, store, manager } = await oneNode();
    const other = client.conversations({ session: { agentId: AGENT_ID }, store });
    await manager.send('here', 'live on this node');
    await other.send('there', 'live on the other node');
    const result = await manager.endAll({ scope: 'live' });
    expect(result).toEqual({ ended: 1, failed: [] });
    expect(statuses(api)).toEqual(['ended', 'open']);
    expect(await store.keys()).toEqual(['there']);
    await other.endAll();
    expect(api.openSessionCount()).toBe(0);
  });
});
