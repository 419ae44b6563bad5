import { describe, expect, it } from 'vitest';
import { ENDED, STARTED, TURN, TURN_AFTER_EXPIRY } from '../support/state-sequences.js';
import { apiError, inform, stubbedSession } from './helpers.js';

const started = { sessionId: 's1', messages: [inform('hello')] };

async function toAwaitingInput(s: ReturnType<typeof stubbedSession>) {
  s.actor.send({ type: 'START' });
  await s.settle('authorize', { output: { expiresAt: null } });
  await s.settle('startSession', { output: started });
}

describe('session machine (stub actors)', () => {
  it('starts, answers a turn and ends: the whole sequence of states', async () => {
    // GIVEN a new session
    const s = stubbedSession();
    // WHEN it starts, sends one message and ends
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'hi' });
    expect(s.pending.at(-1)?.input).toMatchObject({ sessionId: 's1', sequenceId: 1, text: 'hi' });
    await s.settle('sendMessage', {
      output: { sessionId: 's1', sequenceId: 1, messages: [inform('yo')] },
    });
    s.actor.send({ type: 'END', reason: 'UserRequest' });
    expect(s.pending.at(-1)?.input).toEqual({ sessionId: 's1', reason: 'UserRequest' });
    await s.settle('endSession', { output: { messages: [] } });
    // THEN
    expect(s.states).toEqual(['idle', ...STARTED, ...TURN, ...ENDED]);
    expect(s.actor.getSnapshot().output).toEqual({
      reason: 'ended',
      sessionId: 's1',
      endReason: 'UserRequest',
    });
    expect(s.emitted.filter((e) => e.type === 'turn.completed')).toHaveLength(1);
  });

  it('queues messages sent while a turn is in flight and sends them in order with increasing sequenceIds', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    s.actor.send({ type: 'SEND', turnId: 't2', text: 'two' });
    s.actor.send({ type: 'SEND', turnId: 't3', text: 'three' });
    expect(s.pending.filter((p) => p.actor === 'sendMessage')).toHaveLength(1);
    for (const seq of [1, 2, 3]) {
      expect(s.pending.at(-1)?.input).toMatchObject({ sequenceId: seq });
      await s.settle('sendMessage', {
        output: { sessionId: 's1', sequenceId: seq, messages: [inform(`r${seq}`)] },
      });
    }
    expect(s.actor.getSnapshot().value).toBe('awaitingInput');
    expect(
      s.emitted
        .filter((e) => e.type === 'turn.completed')
        .map((e) => (e as { turnId: string }).turnId),
    ).toEqual(['t1', 't2', 't3']);
  });

  it('on a session-not-found 404 restarts and re-sends the message with a higher sequenceId', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    await s.settle('sendMessage', { error: apiError('session_not_found', 404) });
    expect(s.actor.getSnapshot().value).toEqual({ starting: 'authorizing' });
    await s.settle('authorize', { output: { expiresAt: null } });
    await s.settle('startSession', { output: { sessionId: 's2', messages: [] } });
    expect(s.pending.at(-1)?.input).toMatchObject({ sessionId: 's2', sequenceId: 2, text: 'one' });
    await s.settle('sendMessage', {
      output: { sessionId: 's2', sequenceId: 2, messages: [inform('ok')] },
    });
    expect(s.states).toEqual(['idle', ...STARTED, ...TURN_AFTER_EXPIRY]);
    expect(s.emitted).toContainEqual({
      type: 'session.restarted',
      previousSessionId: 's1',
      sessionId: 's2',
      restarts: 1,
    });
    expect(s.emitted).toContainEqual({
      type: 'session.expired',
      sessionId: 's1',
      cause: 'server',
      turnId: 't1',
    });
  });

  it('with policy close, expiry fails the message and closes', async () => {
    const s = stubbedSession({ expiryPolicy: 'close' });
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    await s.settle('sendMessage', { error: apiError('session_not_found', 404) });
    expect(s.actor.getSnapshot().value).toBe('closed');
    expect(s.actor.getSnapshot().output?.reason).toBe('expired');
    expect(s.emitted).toContainEqual(
      expect.objectContaining({ type: 'turn.failed', turnId: 't1' }),
    );
  });

  it('a wrong-host 404 is a configuration error, not expiry', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    await s.settle('sendMessage', { error: apiError('not_found', 404) });
    expect(s.actor.getSnapshot().value).toBe('closed');
    expect(s.actor.getSnapshot().output).toMatchObject({
      reason: 'failed',
      error: { code: 'not_found' },
    });
  });

  it('a transient failure fails the turn but keeps the session', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    await s.settle('sendMessage', { error: apiError('service_unavailable', 503) });
    expect(s.actor.getSnapshot().value).toBe('awaitingInput');
    expect(s.emitted).toContainEqual(
      expect.objectContaining({ type: 'turn.failed', turnId: 't1' }),
    );
  });

  it('END while a turn is in flight aborts the request and fails the turn', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    const send = s.pending.at(-1)!;
    s.actor.send({ type: 'END', reason: 'UserRequest' });
    expect(send.aborted).toBe(true);
    expect(s.actor.getSnapshot().value).toBe('ending');
    expect(s.emitted).toContainEqual(
      expect.objectContaining({ type: 'turn.failed', turnId: 't1' }),
    );
  });
});
