import { SimulatedClock } from 'xstate';
import { describe, expect, it } from 'vitest';
import { SessionExpiredError } from '../../src/index.js';
import { STARTED, TURN, TURN_AFTER_EXPIRY } from '../support/state-sequences.js';
import { harness, traffic } from './helpers.js';

describe('expiry and restart', () => {
  it('a session expired on the server is replaced and the message in flight re-sent, sequence still increasing', async () => {
    // GIVEN a session that answered one message
    const { api, session, states } = await harness();
    const { sessionId: first } = await session.start();
    await session.send('first message');
    const events: unknown[] = [];
    session.on('session.expired', (e) => events.push(e));
    session.on('session.restarted', (e) => events.push(e));
    // WHEN the server forgets it (inactivity) and the user sends again
    api.clock.advance(16 * 60_000);
    const turn = await session.send('second message');
    // THEN a new session answered the same message, with a higher sequenceId
    expect(turn.sessionId).not.toBe(first);
    expect(turn.text).toContain('second message');
    expect(turn.sequenceId).toBe(3);
    expect(events).toEqual([
      { type: 'session.expired', sessionId: first, cause: 'server', turnId: expect.any(String) },
      {
        type: 'session.restarted',
        previousSessionId: first,
        sessionId: turn.sessionId,
        restarts: 1,
      },
    ]);
    expect(states).toEqual([...STARTED, ...TURN, ...TURN_AFTER_EXPIRY]);
    const byId = Object.fromEntries(api.sessions().map((s) => [s.sessionId, s]));
    expect(byId[first]).toMatchObject({ status: 'expired', sequenceIds: [1] });
    expect(byId[turn.sessionId]).toMatchObject({ status: 'open', sequenceIds: [3] });
    expect(traffic(api)).toEqual([
      'token 200',
      'start 200',
      'send 200',
      'send 404',
      'start 200',
      'send 200',
    ]);
  });

  it('works against a strict server that refuses repeated sequenceIds', async () => {
    const { api, session } = await harness({ emulator: { strictSequence: true } });
    await session.start();
    await session.send('one');
    api.expireSession(session.sessionId!);
    await session.send('two');
    await session.send('three');
    expect(api.requests.filter((r) => r.status === 400)).toEqual([]);
  });

  it("with onExpiry 'close' the message fails with SessionExpiredError and the session closes", async () => {
    const { api, session } = await harness({ session: { onExpiry: 'close' } });
    await session.start();
    api.expireSession(session.sessionId!);
    await expect(session.send('anyone?')).rejects.toBeInstanceOf(SessionExpiredError);
    expect(session.outcome).toMatchObject({
      reason: 'expired',
      error: { code: 'session_expired' },
    });
  });

  it('gives up after maxRestarts', async () => {
    const { api, session } = await harness({ session: { maxRestarts: 1 } });
    await session.start();
    api.faults.next('send', { sessionNotFound: true }, { times: 5 });
    await expect(session.send('doomed')).rejects.toBeInstanceOf(SessionExpiredError);
    expect(session.state).toBe('closed');
    expect(api.requests.filter((r) => r.route === 'start')).toHaveLength(2);
  });

  it('the client-side idle deadline expires an idle session; the next message starts a new one', async () => {
    const clock = new SimulatedClock();
    const { api, session, states } = await harness({
      client: { clock },
      session: { idleTimeoutMs: 60_000 },
    });
    const { sessionId: first } = await session.start();
    clock.increment(59_999);
    expect(session.state).toBe('awaitingInput');
    clock.increment(1);
    expect(session.state).toBe('expired');
    const turn = await session.send('back again');
    expect(turn.sessionId).not.toBe(first);
    expect(states).toEqual([
      'starting',
      'awaitingInput',
      'expired',
      'starting',
      'active',
      'awaitingInput',
    ]);
    expect(api.requests.filter((r) => r.route === 'start')).toHaveLength(2);
    // The server may still hold the idle session: it was ended (DELETE, reason Expiration)
    // before the new one started, and only the new one is open.
    expect(traffic(api)).toEqual(['token 200', 'start 200', 'end 200', 'start 200', 'send 200']);
    const byId = Object.fromEntries(api.sessions().map((s) => [s.sessionId, s]));
    expect(byId[first]).toMatchObject({ endReason: 'Expiration', endedBy: 'client' });
    expect(api.sessions().filter((s) => s.status === 'open')).toHaveLength(1);
  });

  it("with onExpiry 'close' the idle deadline ends the server session and closes", async () => {
    const clock = new SimulatedClock();
    const { api, session } = await harness({
      client: { clock },
      session: { idleTimeoutMs: 60_000, onExpiry: 'close' },
    });
    const { sessionId } = await session.start();
    clock.increment(60_000);
    const outcome = await session.closed;
    expect(outcome).toMatchObject({ reason: 'expired', sessionId });
    expect(api.sessions()).toMatchObject([{ sessionId, endReason: 'Expiration' }]);
    expect(api.sessions().filter((s) => s.status === 'open')).toEqual([]);
  });

  it('an idle DELETE that keeps failing is reported (session.end-failed) and end() sends it again', async () => {
    const clock = new SimulatedClock();
    const { api, session } = await harness({
      client: { clock, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 } },
      session: { idleTimeoutMs: 60_000 },
    });
    const { sessionId } = await session.start();
    api.faults.next('end', { status: 503 }, { times: 2 });
    const failed = new Promise((resolve) => session.on('session.end-failed', resolve));
    clock.increment(60_000);
    expect(await failed).toMatchObject({
      type: 'session.end-failed',
      sessionId,
      reason: 'Expiration',
      error: { code: 'service_unavailable' },
    });
    expect(session.state).toBe('expired');
    expect(api.sessions().filter((s) => s.status === 'open')).toHaveLength(1);
    await session.end();
    expect(api.sessions()).toMatchObject([{ sessionId, endReason: 'UserRequest' }]);
    expect(api.sessions().filter((s) => s.status === 'open')).toEqual([]);
  });
});
