import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/index.js';
import { describeSessionStore } from './contract.js';

describeSessionStore('MemoryStore', () => {
  // Real time plus an offset the tests move forward: leases and records expire on this clock.
  let offset = 0;
  const store = new MemoryStore({ now: () => Date.now() + offset });
  return Promise.resolve({
    store,
    peer: store,
    advance: (ms: number) => {
      offset += ms;
      return Promise.resolve();
    },
    expireLock: (_key: string, leaseMs: number) => {
      offset += leaseMs + 1;
      return Promise.resolve();
    },
    // Past every lease, record expiry and the counters' default 24 h.
    forget: () => {
      offset += 2 * 24 * 60 * 60 * 1000;
      return Promise.resolve();
    },
    close: () => store.close(),
  });
});

describe('MemoryStore', () => {
  it('expires counters of a conversation without a record after counterTtlMs', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now, counterTtlMs: 1000 });
    expect(await store.nextSequenceId('k')).toBe(1);
    now += 999;
    expect(await store.peekSequenceId('k')).toBe(1);
    now += 1;
    expect(await store.peekSequenceId('k')).toBe(0);
  });

  it('keeps the counters as long as the record, and at least as long as the lease', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now, counterTtlMs: 1000 });
    const lease = await store.acquire('k', { leaseMs: 50_000, waitMs: 0 });
    await store.nextSequenceId('k', 7);
    await store.save('k', lease, { schemaVersion: 1, snapshot: 1, expiresAt: now + 10_000 });
    now += 9_999;
    expect(await store.peekSequenceId('k')).toBe(8);
    expect(await store.load('k')).not.toBeNull();
    now += 1;
    expect(await store.load('k')).toBeNull();
    expect(await store.peekSequenceId('k')).toBe(0);
    // the fence outlives the record while the lease runs, so the next token is still higher
    await store.release(lease);
    const next = await store.acquire('k', { leaseMs: 1000, waitMs: 0 });
    expect(next.token).toBeGreaterThan(lease.token);
  });
});
