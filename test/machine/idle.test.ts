/**
 * The idle deadline with the machine's own `idleDeadline` actor (docs/lifecycle.md, "The idle
 * deadline"): stamped on entering `awaitingInput`, `IDLE_TIMEOUT` when it passes, cleared and
 * stopped on leaving, and no timer at all without `idleTimeoutMs`. The clock is vitest's.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiError, inform, stubbedSession } from './helpers.js';

type Stubbed = ReturnType<typeof stubbedSession>;

const IDLE_MS = 1_000;

/** Settles the oldest pending request of `actor` under fake timers (`settle` waits a real macrotask). */
async function settle(s: Stubbed, actor: string, output: unknown) {
  const i = s.pending.findIndex((p) => p.actor === actor);
  const [p] = s.pending.splice(i, 1);
  p!.resolve(output);
  await vi.advanceTimersByTimeAsync(0);
}

async function toAwaitingInput(s: Stubbed) {
  s.actor.send({ type: 'START' });
  await settle(s, 'authorize', { expiresAt: null });
  await settle(s, 'startSession', { sessionId: 's1', messages: [inform('hello')] });
}

const answer = (s: Stubbed, sequenceId: number) =>
  settle(s, 'sendMessage', { sessionId: 's1', sequenceId, messages: [inform('ok')] });

describe('the idle deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is stamped on entering awaitingInput and expires the session when it passes', async () => {
    const s = stubbedSession({ idleTimeoutMs: IDLE_MS });
    await toAwaitingInput(s);
    expect(s.actor.getSnapshot().context.idleDeadline).toBe(Date.now() + IDLE_MS);
    await vi.advanceTimersByTimeAsync(IDLE_MS - 1);
    expect(s.actor.getSnapshot().value).toBe('awaitingInput');
    await vi.advanceTimersByTimeAsync(1);
    // The server may still hold the session: it is ended (reason Expiration) before it rests.
    expect(s.actor.getSnapshot().value).toEqual({ expired: 'releasing' });
    expect(s.pending.at(-1)).toMatchObject({
      actor: 'endSession',
      input: { sessionId: 's1', reason: 'Expiration' },
    });
    await settle(s, 'endSession', { messages: [] });
    expect(s.actor.getSnapshot().value).toEqual({ expired: 'resting' });
    expect(s.actor.getSnapshot().context.idleDeadline).toBeNull();
    expect(s.emitted.find((e) => e.type === 'session.expired')).toEqual({
      type: 'session.expired',
      sessionId: 's1',
      cause: 'idle',
      turnId: null,
    });
  });

  it('is cleared and its timer stopped when a message leaves awaitingInput', async () => {
    const s = stubbedSession({ idleTimeoutMs: IDLE_MS });
    await toAwaitingInput(s);
    await vi.advanceTimersByTimeAsync(IDLE_MS / 2);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    expect(s.actor.getSnapshot().context.idleDeadline).toBeNull();
    expect(s.actor.getSnapshot().children['idleDeadline']).toBeUndefined();
    // Nothing left behind: the stopped actor's timer is gone, not merely ignored when it fires.
    expect(vi.getTimerCount()).toBe(0);
    await answer(s, 1);
    // A new deadline, a full idleTimeoutMs from now; the first one must not fire.
    expect(s.actor.getSnapshot().context.idleDeadline).toBe(Date.now() + IDLE_MS);
    await vi.advanceTimersByTimeAsync(IDLE_MS - 1);
    expect(s.actor.getSnapshot().value).toBe('awaitingInput');
    await vi.advanceTimersByTimeAsync(1);
    expect(s.actor.getSnapshot().value).toEqual({ expired: 'releasing' });
  });

  it('is cleared by end()', async () => {
    const s = stubbedSession({ idleTimeoutMs: IDLE_MS });
    await toAwaitingInput(s);
    s.actor.send({ type: 'END', reason: 'UserRequest' });
    expect(s.actor.getSnapshot().context.idleDeadline).toBeNull();
    await vi.advanceTimersByTimeAsync(IDLE_MS * 2);
    expect(s.actor.getSnapshot().value).toBe('ending');
  });

  it('says the server session may stay open when the expiry DELETE fails (session.end-failed, reason Expiration)', async () => {
    const s = stubbedSession({ idleTimeoutMs: IDLE_MS });
    await toAwaitingInput(s);
    await vi.advanceTimersByTimeAsync(IDLE_MS);
    const i = s.pending.findIndex((p) => p.actor === 'endSession');
    s.pending.splice(i, 1)[0]!.reject(apiError('service_unavailable', 503));
    await vi.advanceTimersByTimeAsync(0);
    expect(s.actor.getSnapshot().value).toEqual({ expired: 'resting' });
    expect(s.emitted.filter((e) => e.type === 'session.end-failed')).toStrictEqual([
      {
        type: 'session.end-failed',
        sessionId: 's1',
        reason: 'Expiration',
        error: expect.objectContaining({ code: 'service_unavailable' }),
      },
    ]);
  });

  it("end() while the expiry DELETE runs sends the DELETE again with the app's reason", async () => {
    const s = stubbedSession({ idleTimeoutMs: IDLE_MS });
    await toAwaitingInput(s);
    await vi.advanceTimersByTimeAsync(IDLE_MS);
    s.actor.send({ type: 'END', reason: 'Transfer' });
    expect(s.actor.getSnapshot().value).toBe('ending');
    const deletes = s.pending.filter((p) => p.actor === 'endSession');
    expect(deletes.map((p) => [p.input, p.aborted])).toStrictEqual([
      [{ sessionId: 's1', reason: 'Expiration' }, true],
      [{ sessionId: 's1', reason: 'Transfer' }, false],
    ]);
  });

  it('a message sent after the expiry starts a new session and goes on it (one restart)', async () => {
    const s = stubbedSession({ idleTimeoutMs: IDLE_MS });
    await toAwaitingInput(s);
    await vi.advanceTimersByTimeAsync(IDLE_MS);
    await settle(s, 'endSession', { messages: [] });
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'again' });
    expect(s.actor.getSnapshot().context.restarts).toBe(1);
    await settle(s, 'authorize', { expiresAt: null });
    await settle(s, 'startSession', { sessionId: 's2', messages: [] });
    expect(s.pending.filter((p) => p.actor === 'sendMessage').map((p) => p.input)).toStrictEqual([
      { sessionId: 's2', sequenceId: 1, text: 'again' },
    ]);
  });

  it('a message sent while the expiry DELETE runs waits, then starts a new session (one restart)', async () => {
    const s = stubbedSession({ idleTimeoutMs: IDLE_MS });
    await toAwaitingInput(s);
    await vi.advanceTimersByTimeAsync(IDLE_MS);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'again' });
    expect(s.actor.getSnapshot().value).toEqual({ expired: 'releasing' });
    await settle(s, 'endSession', { messages: [] });
    expect(s.actor.getSnapshot().value).toEqual({ starting: 'authorizing' });
    expect(s.actor.getSnapshot().context.restarts).toBe(1);
  });

  it("end() after the expiry closes with the app's reason: the DELETE goes with it", async () => {
    const s = stubbedSession({ idleTimeoutMs: IDLE_MS });
    await toAwaitingInput(s);
    await vi.advanceTimersByTimeAsync(IDLE_MS);
    await settle(s, 'endSession', { messages: [] });
    s.actor.send({ type: 'END', reason: 'Transfer' });
    expect(s.pending.filter((p) => p.actor === 'endSession').map((p) => p.input)).toStrictEqual([
      { sessionId: 's1', reason: 'Transfer' },
    ]);
  });

  it('does not exist without idleTimeoutMs: no deadline, no timer, no expiry', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    expect(s.actor.getSnapshot().context.idleDeadline).toBeNull();
    expect(s.actor.getSnapshot().children['idleDeadline']).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(24 * 3_600_000);
    expect(s.actor.getSnapshot().value).toBe('awaitingInput');
  });
});
