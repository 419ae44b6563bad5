/**
 * The behaviour every SessionStore must have, written once and run against each implementation
 * (see memory.test.ts and redis.test.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { nanoid } from 'nanoid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentforceError } from '../../src/errors.js';
import {
  LeaseLostError,
  LockTimeoutError,
  StoreError,
  type Lease,
  type SessionStore,
} from '../../src/index.js';

/** What the contract needs from an implementation under test. */
export interface StoreHarness {
  /** The store under test. */
  store: SessionStore;
  /** A second handle on the same data: another connection (Redis) or the same store (memory). */
  peer: SessionStore;
  /** Lets `ms` pass for leases and records (sleeps, or moves an injected clock). */
  advance(ms: number): Promise<void>;
  /** Makes the current lease on `key` (of length `leaseMs`) lapse now. */
  expireLock(key: string, leaseMs: number): Promise<void>;
  /**
   * Makes the store lose everything it held about `key` (lock, record, counters): the record
   * and counters expired, or Redis lost its data (a flush, a restart without persistence).
   */
  forget(key: string): Promise<void>;
  close(): Promise<void>;
}

/** How many random scenarios the property test tries. */
const PROPERTY_RUNS = 60;

const snapshot = (n: number) => ({ value: 'active', context: { n, text: 'x'.repeat(40) } });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Defines the contract tests for one implementation. */
export function describeSessionStore(name: string, makeHarness: () => Promise<StoreHarness>) {
  describe(`${name}: SessionStore contract`, () => {
    let h: StoreHarness;
    let key: string;
    beforeEach(async () => {
      h = await makeHarness();
      key = `conv-${nanoid(8)}`;
    });
    afterEach(async () => {
      await h.close();
    });

    it('round-trips a record through save and load', async () => {
      expect(await h.store.load(key)).toBeNull();
      const lease = await h.store.acquire(key, { leaseMs: 5000, waitMs: 0 });
      const before = Date.now();
      await h.store.save(key, lease, { schemaVersion: 3, snapshot: snapshot(1), expiresAt: null });
      const loaded = await h.peer.load(key);
      expect(loaded).toEqual({
        schemaVersion: 3,
        snapshot: snapshot(1),
        fencingToken: lease.token,
        savedAt: expect.any(Number),
        expiresAt: null,
      });
      expect(loaded!.savedAt).toBeGreaterThanOrEqual(before - 1000);
      await h.store.save(key, lease, { schemaVersion: 3, snapshot: snapshot(2), expiresAt: null });
      expect((await h.store.load(key))!.snapshot).toEqual(snapshot(2));
    });

    it('gives the lock to one holder at a time', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? h.peer : h.store).acquire(key, { leaseMs: 5000, waitMs: 0 }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockTimeoutError);
      }
      const err = await rejection(h.peer.acquire(key, { leaseMs: 5000, waitMs: 0 }));
      expect(err).toBeInstanceOf(LockTimeoutError);
      expect((err as LockTimeoutError).code).toBe('lock_timeout');
      expect(err).toBeInstanceOf(AgentforceError);
    });

    it('lets a waiting acquire through as soon as the holder releases', async () => {
      const first = await h.store.acquire(key, { leaseMs: 10_000, waitMs: 0 });
      const started = performance.now();
      const waiting = h.peer.acquire(key, { leaseMs: 5000, waitMs: 5000 });
      await sleep(60);
      await h.store.release(first);
      const second = await waiting;
      expect(second.token).toBeGreaterThan(first.token);
      expect(performance.now() - started).toBeLessThan(2000);
    });

    it('throws LockTimeoutError once waitMs has passed', async () => {
      await h.store.acquire(key, { leaseMs: 60_000, waitMs: 0 });
      const started = performance.now();
      const err = await rejection(h.peer.acquire(key, { leaseMs: 5000, waitMs: 150 }));
      const waited = performance.now() - started;
      expect(err).toBeInstanceOf(LockTimeoutError);
      expect((err as LockTimeoutError).waitedMs).toBe(150);
      expect(waited).toBeGreaterThanOrEqual(140);
      expect(waited).toBeLessThan(2000);
    });

    it('stops waiting when the signal aborts', async () => {
      await h.store.acquire(key, { leaseMs: 60_000, waitMs: 0 });
      const controller = new AbortController();
      const waiting = h.peer.acquire(key, {
        leaseMs: 5000,
        waitMs: 5000,
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 30);
      const err = await rejection(waiting);
      expect(err).toBeInstanceOf(AgentforceError);
      expect((err as AgentforceError).code).toBe('aborted');
    });

    it('lets another holder in after the lease lapses and fences the stale one', async () => {
      const stale = await h.store.acquire(key, { leaseMs: 200, waitMs: 0 });
      await h.store.save(key, stale, { schemaVersion: 1, snapshot: snapshot(1), expiresAt: null });
      await h.advance(300);
      const fresh = await h.peer.acquire(key, { leaseMs: 10_000, waitMs: 0 });
      expect(fresh.token).toBeGreaterThan(stale.token);
      await h.peer.save(key, fresh, { schemaVersion: 1, snapshot: snapshot(2), expiresAt: null });

      const record = { schemaVersion: 1, snapshot: snapshot(99), expiresAt: null };
      for (const attempt of [
        h.store.save(key, stale, record),
        h.store.renew(stale, 10_000),
        h.store.delete(key, stale),
      ]) {
        const err = await rejection(attempt);
        expect(err).toBeInstanceOf(LeaseLostError);
        expect((err as LeaseLostError).code).toBe('lease_lost');
      }
      await h.store.release(stale); // a no-op: the fresh holder keeps the lock
      await expect(h.store.acquire(key, { leaseMs: 1000, waitMs: 0 })).rejects.toBeInstanceOf(
        LockTimeoutError,
      );
      const loaded = await h.store.load(key);
      expect(loaded?.snapshot).toEqual(snapshot(2));
      expect(loaded?.fencingToken).toBe(fresh.token);
    });

    it('never issues a token twice for a key, even after everything of the key was lost', async () => {
      const stale = await h.store.acquire(key, { leaseMs: 60_000, waitMs: 0 });
      await h.forget(key);
      const fresh = await h.peer.acquire(key, { leaseMs: 60_000, waitMs: 0 });
      expect(fresh.token).toBeGreaterThan(stale.token);
      await h.peer.save(key, fresh, { schemaVersion: 1, snapshot: snapshot(2), expiresAt: null });
      const record = { schemaVersion: 1, snapshot: snapshot(99), expiresAt: null };
      await expect(h.store.save(key, stale, record)).rejects.toBeInstanceOf(LeaseLostError);
      await expect(h.store.renew(stale, 1000)).rejects.toBeInstanceOf(LeaseLostError);
      expect((await h.store.load(key))?.snapshot).toEqual(snapshot(2));
      await h.peer.release(fresh);
    });

    it('refuses renew and save after the lease lapsed even if nobody took the lock', async () => {
      const lease = await h.store.acquire(key, { leaseMs: 150, waitMs: 0 });
      await h.advance(250);
      await expect(h.store.renew(lease, 1000)).rejects.toBeInstanceOf(LeaseLostError);
      await expect(
        h.store.save(key, lease, { schemaVersion: 1, snapshot: 1, expiresAt: null }),
      ).rejects.toBeInstanceOf(LeaseLostError);
      expect(await h.store.load(key)).toBeNull();
    });

    it('renews a held lease so it outlives its first term', async () => {
      const lease = await h.store.acquire(key, { leaseMs: 300, waitMs: 0 });
      await h.advance(200);
      const renewed = await h.store.renew(lease, 400);
      expect(renewed.token).toBe(lease.token);
      expect(renewed.expiresAt).toBeGreaterThan(lease.expiresAt);
      await h.advance(200);
      await expect(h.peer.acquire(key, { leaseMs: 1000, waitMs: 0 })).rejects.toBeInstanceOf(
        LockTimeoutError,
      );
      await h.store.save(key, renewed, { schemaVersion: 1, snapshot: 1, expiresAt: null });
    });

    it('issues strictly increasing fencing tokens across holders, stores and deletes', async () => {
      const tokens: number[] = [];
      for (let i = 0; i < 12; i++) {
        const store = i % 2 ? h.peer : h.store;
        const lease = await store.acquire(key, { leaseMs: 5000, waitMs: 1000 });
        tokens.push(lease.token);
        await store.save(key, lease, { schemaVersion: 1, snapshot: i, expiresAt: null });
        if (i % 4 === 3) await store.delete(key, lease);
        await store.release(lease);
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);
    });

    it('makes a record disappear after its expiresAt', async () => {
      const lease = await h.store.acquire(key, { leaseMs: 10_000, waitMs: 0 });
      await h.store.save(key, lease, {
        schemaVersion: 1,
        snapshot: snapshot(1),
        expiresAt: Date.now() + 300,
      });
      expect(await h.store.load(key)).not.toBeNull();
      expect(await h.store.keys()).toContain(key);
      await h.advance(350);
      const deadline = Date.now() + 3000;
      while ((await h.peer.load(key)) !== null && Date.now() < deadline) await sleep(20);
      expect(await h.peer.load(key)).toBeNull();
      expect(await h.store.keys()).not.toContain(key);

      const other = `${key}-past`;
      const lease2 = await h.store.acquire(other, { leaseMs: 10_000, waitMs: 0 });
      await h.store.save(other, lease2, { schemaVersion: 1, snapshot: 1, expiresAt: 1 });
      expect(await h.store.load(other)).toBeNull();
    });

    it('keeps a record without expiresAt', async () => {
      const lease = await h.store.acquire(key, { leaseMs: 10_000, waitMs: 0 });
      await h.store.save(key, lease, { schemaVersion: 1, snapshot: 1, expiresAt: null });
      await h.advance(300);
      expect(await h.store.load(key)).not.toBeNull();
    });

    it('deletes a record under the lease, without resetting tokens or the counter', async () => {
      const lease = await h.store.acquire(key, { leaseMs: 10_000, waitMs: 0 });
      await h.store.save(key, lease, { schemaVersion: 1, snapshot: 1, expiresAt: null });
      await h.store.nextSequenceId(key);
      await h.store.nextSequenceId(key);
      await h.store.delete(key, lease);
      expect(await h.store.load(key)).toBeNull();
      expect(await h.store.keys()).not.toContain(key);
      await h.store.release(lease);
      const next = await h.peer.acquire(key, { leaseMs: 10_000, waitMs: 0 });
      expect(next.token).toBeGreaterThan(lease.token);
      expect(await h.peer.nextSequenceId(key)).toBe(3);
    });

    it('takes sequence ids in order, honouring the floor and never going back', async () => {
      expect(await h.store.peekSequenceId(key)).toBe(0);
      expect(await h.store.nextSequenceId(key)).toBe(1);
      expect(await h.peer.nextSequenceId(key)).toBe(2);
      expect(await h.store.peekSequenceId(key)).toBe(2);
      expect(await h.store.peekSequenceId(key)).toBe(2);
      expect(await h.store.nextSequenceId(key, 10)).toBe(11);
      expect(await h.peer.nextSequenceId(key, 3)).toBe(12);
      expect(await h.store.nextSequenceId(key, 0)).toBe(13);
      expect(await h.store.nextSequenceId(`${key}-other`, 41)).toBe(42);
      expect(await h.peer.peekSequenceId(key)).toBe(13);
    });

    it('gives 200 concurrent callers on two handles 200 distinct consecutive ids', async () => {
      const ids = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? h.peer : h.store).nextSequenceId(key)),
      );
      expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(await h.store.peekSequenceId(key)).toBe(200);
    });

    it('lists the stored conversations', async () => {
      const names = [`${key}-a`, `${key}-b`, `${key}-c:with{odd}*chars`];
      for (const name of names) {
        const lease = await h.store.acquire(name, { leaseMs: 10_000, waitMs: 0 });
        await h.store.save(name, lease, { schemaVersion: 1, snapshot: name, expiresAt: null });
        if (name.endsWith('b')) await h.store.delete(name, lease);
        await h.store.release(lease);
      }
      await h.store.acquire(`${key}-locked-only`, { leaseMs: 10_000, waitMs: 0 });
      await h.store.nextSequenceId(`${key}-counter-only`);
      expect((await h.peer.keys()).sort()).toEqual([names[0], names[2]].sort());
    });

    it('rejects bad arguments without touching the store', async () => {
      const lease = await h.store.acquire(key, { leaseMs: 10_000, waitMs: 0 });
      const record = { schemaVersion: 1, snapshot: 1, expiresAt: null };
      const checks: Promise<unknown>[] = [
        h.store.save(`${key}-x`, lease, record),
        h.store.save(key, lease, { ...record, snapshot: { big: 1n } }),
        h.store.save(key, lease, { ...record, snapshot: undefined }),
        h.store.acquire('', { leaseMs: 1000, waitMs: 0 }),
        h.store.acquire(key, { leaseMs: 0, waitMs: 0 }),
        h.store.nextSequenceId(key, -1),
      ];
      for (const check of checks) {
        expect(((await rejection(check)) as AgentforceError).code).toBe('invalid_argument');
      }
      expect(await h.store.load(key)).toBeNull();
    });

    it('fails with StoreError once closed', async () => {
      await h.store.close();
      const err = await rejection(h.store.load(key));
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('store');
    });

    it('never lets a stale holder overwrite newer state (random interleavings)', async () => {
      const LEASE_MS = 10_000;
      type Step = 'acquire' | 'save' | 'renew' | 'release' | 'delete' | 'expire';
      const step = fc.record({
        who: fc.constantFrom(0, 1),
        op: fc.constantFrom<Step>(
          'acquire',
          'save',
          'save',
          'renew',
          'release',
          'delete',
          'expire',
        ),
      });
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
          const k = `${key}-p${run++}`;
          const stores = [h.store, h.peer] as const;
          const leases: (Lease | undefined)[] = [undefined, undefined];
          let holder: number | null = null;
          let lastToken = 0;
          let stored: { token: number; payload: number } | null = null;
          let maxStoredToken = 0;
          let payload = 0;
          for (const { who, op } of steps) {
            const store = stores[who];
            const lease = leases[who];
            const current = holder === who && lease !== undefined;
            if (op === 'acquire') {
              const attempt = store.acquire(k, { leaseMs: LEASE_MS, waitMs: 0 });
              if (holder === null) {
                const got = await attempt;
                expect(got.token).toBeGreaterThan(lastToken);
                lastToken = got.token;
                leases[who] = got;
                holder = who;
              } else {
                await expect(attempt).rejects.toBeInstanceOf(LockTimeoutError);
              }
            } else if (op === 'expire') {
              if (holder !== null) await h.expireLock(k, LEASE_MS);
              holder = null;
            } else if (op === 'release') {
              if (lease) await store.release(lease);
              if (current) holder = null;
            } else if (lease && op === 'renew') {
              const renewal = store.renew(lease, LEASE_MS);
              if (current) leases[who] = await renewal;
              else await expect(renewal).rejects.toBeInstanceOf(LeaseLostError);
            } else if (lease && (op === 'save' || op === 'delete')) {
              payload++;
              const write =
                op === 'save'
                  ? store.save(k, lease, { schemaVersion: 1, snapshot: payload, expiresAt: null })
                  : store.delete(k, lease);
              const err = await write.then(
                () => null,
                (e: unknown) => e,
              );
              if (current) {
                expect(err).toBeNull();
                stored = op === 'save' ? { token: lease.token, payload } : null;
              } else {
                expect(err).toBeInstanceOf(LeaseLostError);
              }
            }
            const loaded = await stores[1 - who]!.load(k);
            if (stored === null) {
              expect(loaded).toBeNull();
            } else {
              expect(loaded).toMatchObject({
                fencingToken: stored.token,
                snapshot: stored.payload,
              });
              expect(stored.token).toBeGreaterThanOrEqual(maxStoredToken);
              maxStoredToken = stored.token;
            }
          }
        }),
        { numRuns: PROPERTY_RUNS },
      );
    });
  });
}
