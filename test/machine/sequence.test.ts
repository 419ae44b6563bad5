/**
 * The sequence-ordering guards, driven at the machine level: a reply or a stream event that does
 * not belong to the message in flight is dropped, and the sequence counter only goes up. These
 * are the transitions the public API cannot reach (the HTTP actors always answer for their own
 * request), so the model suite lists them as unreachable and this file takes them.
 */
import { describe, expect, it } from 'vitest';
import type { SessionEmitted } from '../../machines/session.types.js';
import { UNREACHABLE } from '../model/model.js';
import { apiError, inform, stubbedSession, takenTransitions } from './helpers.js';

type Stubbed = ReturnType<typeof stubbedSession>;

async function toAwaitingInput(s: Stubbed, sessionId = 's1') {
  s.actor.send({ type: 'START' });
  await s.settle('authorize', { output: { expiresAt: null } });
  await s.settle('startSession', { output: { sessionId, messages: [inform('hello')] } });
}

const ofType = <T extends SessionEmitted['type']>(s: Stubbed, type: T) =>
  s.emitted.filter((e): e is Extract<SessionEmitted, { type: T }> => e.type === type);

/** A session with message `t1` in flight (sequenceId 1 on session s1), sent synchronously. */
async function sending() {
  const s = stubbedSession();
  await toAwaitingInput(s);
  s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
  expect(s.actor.getSnapshot().value).toEqual({ active: 'sending' });
  return s;
}

/** A session with message `t1` in flight (sequenceId 1 on session s1), streamed. */
async function streaming() {
  const s = stubbedSession();
  await toAwaitingInput(s);
  s.actor.send({ type: 'SEND', turnId: 't1', text: 'one', stream: true });
  expect(s.actor.getSnapshot().value).toEqual({ active: 'streaming' });
  expect(s.streams).toHaveLength(1);
  return s;
}

/** The message in flight is still `t1` with sequenceId 1, unanswered. */
function expectStillInFlight(s: Stubbed) {
  const snap = s.actor.getSnapshot();
  expect(snap.status).toBe('active');
  expect(snap.context.inFlight).toMatchObject({ turnId: 't1', sequenceId: 1, sessionId: 's1' });
  expect(snap.context.lastSequenceId).toBe(1);
  expect(ofType(s, 'turn.completed')).toEqual([]);
  expect(ofType(s, 'turn.failed')).toEqual([]);
}

describe('sequence ordering: replies to another message are dropped', () => {
  it('a reply with an older sequenceId is dropped and the message stays in flight', async () => {
    const s = await sending();
    await s.settle('sendMessage', {
      output: { sessionId: 's1', sequenceId: 0, messages: [inform('late')] },
    });
    expect(s.actor.getSnapshot().value).toEqual({ active: 'sending' });
    expectStillInFlight(s);
    expect(ofType(s, 'reply.dropped')).toEqual([
      { type: 'reply.dropped', sequenceId: 0, expected: 1 },
    ]);
  });

  it('a reply with a newer sequenceId is dropped too', async () => {
    const s = await sending();
    await s.settle('sendMessage', {
      output: { sessionId: 's1', sequenceId: 2, messages: [inform('replayed')] },
    });
    expectStillInFlight(s);
    expect(ofType(s, 'reply.dropped')).toEqual([
      { type: 'reply.dropped', sequenceId: 2, expected: 1 },
    ]);
  });

  it('a reply with the right sequenceId from another server session is dropped', async () => {
    const s = await sending();
    await s.settle('sendMessage', {
      output: { sessionId: 's0', sequenceId: 1, messages: [inform('other session')] },
    });
    expectStillInFlight(s);
    expect(ofType(s, 'reply.dropped')).toEqual([
      { type: 'reply.dropped', sequenceId: 1, expected: 1 },
    ]);
  });

  it('a reply without an output is dropped, not a crash', async () => {
    const s = await sending();
    await s.settle('sendMessage', { output: undefined });
    expectStillInFlight(s);
    expect(ofType(s, 'reply.dropped')).toEqual([
      { type: 'reply.dropped', sequenceId: -1, expected: 1 },
    ]);
  });

  it('a stale reply that says SessionEnded does not end the session', async () => {
    const s = await sending();
    await s.settle('sendMessage', {
      output: {
        sessionId: 's1',
        sequenceId: 0,
        messages: [{ type: 'SessionEnded', id: 'e', reason: 'Action' }],
      },
    });
    expect(s.actor.getSnapshot().status).toBe('active');
    expectStillInFlight(s);
  });

  it('after a dropped reply the message can still be cancelled, and the next one is numbered on', async () => {
    const s = await sending();
    await s.settle('sendMessage', {
      output: { sessionId: 's1', sequenceId: 0, messages: [inform('late')] },
    });
    s.actor.send({ type: 'CANCEL', turnId: 't1' });
    expect(s.actor.getSnapshot().value).toBe('awaitingInput');
    expect(ofType(s, 'turn.failed')).toEqual([
      { type: 'turn.failed', turnId: 't1', error: expect.objectContaining({ code: 'aborted' }) },
    ]);
    s.actor.send({ type: 'SEND', turnId: 't2', text: 'two' });
    expect(s.pending.at(-1)?.input).toMatchObject({ sessionId: 's1', sequenceId: 2 });
  });

  it('the reply to the message in flight is taken (the control of the tests above)', async () => {
    const s = await sending();
    await s.settle('sendMessage', {
      output: { sessionId: 's1', sequenceId: 1, messages: [inform('yes')] },
    });
    expect(s.actor.getSnapshot().value).toBe('awaitingInput');
    expect(ofType(s, 'turn.completed')).toHaveLength(1);
    expect(ofType(s, 'reply.dropped')).toEqual([]);
  });
});

describe('sequence ordering: stream events of another message are dropped', () => {
  const progress = { kind: 'progress', message: { type: 'ProgressIndicator', id: 'p' } } as const;

  it('a read of stream events with an older sequenceId is not passed on', () =>
    streaming().then((s) => {
      s.streams[0]!.sendBack({
        type: 'STREAM.EVENT',
        sessionId: 's1',
        sequenceId: 0,
        events: [progress, progress],
      });
      expect(ofType(s, 'turn.stream')).toEqual([]);
      expectStillInFlight(s);
    }));

  it('a read of stream events of another server session is not passed on', () =>
    streaming().then((s) => {
      s.streams[0]!.sendBack({
        type: 'STREAM.EVENT',
        sessionId: 's0',
        sequenceId: 1,
        events: [progress, progress],
      });
      expect(ofType(s, 'turn.stream')).toEqual([]);
    }));

  it('the events of one read of the message in flight are passed on, one by one, in order (control)', () =>
    streaming().then((s) => {
      const delta = { kind: 'delta', text: 'Hi', offset: 0 } as const;
      s.streams[0]!.sendBack({
        type: 'STREAM.EVENT',
        sessionId: 's1',
        sequenceId: 1,
        events: [progress, delta],
      });
      expect(ofType(s, 'turn.stream')).toEqual([
        { type: 'turn.stream', turnId: 't1', sequenceId: 1, event: progress },
        { type: 'turn.stream', turnId: 't1', sequenceId: 1, event: delta },
      ]);
    }));

  it.each([
    ['an older sequenceId', { sessionId: 's1', sequenceId: 0 }],
    ['a newer sequenceId', { sessionId: 's1', sequenceId: 2 }],
    ['another server session', { sessionId: 's0', sequenceId: 1 }],
  ])('a stream failure of %s fails nothing', async (_what, of) => {
    for (const code of ['session_not_found', 'authentication', 'server_error'] as const) {
      const s = await streaming();
      s.streams[0]!.sendBack({
        type: 'STREAM.FAILED',
        ...of,
        error: apiError(code).toJSON(),
      });
      expect(s.actor.getSnapshot().value, code).toEqual({ active: 'streaming' });
      expectStillInFlight(s);
      expect(ofType(s, 'session.expired')).toEqual([]);
    }
  });

  it('a stream failure of the message in flight fails it (control)', async () => {
    const s = await streaming();
    s.streams[0]!.sendBack({
      type: 'STREAM.FAILED',
      sessionId: 's1',
      sequenceId: 1,
      error: apiError('server_error', 500).toJSON(),
    });
    expect(s.actor.getSnapshot().value).toBe('awaitingInput');
    expect(ofType(s, 'turn.failed')).toHaveLength(1);
  });

  it.each([
    ['an older sequenceId', { sessionId: 's1', sequenceId: 0 }],
    ['another server session', { sessionId: 's0', sequenceId: 1 }],
  ])('a complete streamed reply of %s is dropped', async (_what, of) => {
    const s = await streaming();
    s.streams[0]!.sendBack({ type: 'STREAM.DONE', output: { ...of, messages: [inform('x')] } });
    expect(s.actor.getSnapshot().value).toEqual({ active: 'streaming' });
    expectStillInFlight(s);
    expect(ofType(s, 'reply.dropped')).toEqual([
      { type: 'reply.dropped', sequenceId: of.sequenceId, expected: 1 },
    ]);
  });
});

describe('sequence ordering: the counter never goes down', () => {
  it('the first message is numbered above the floor given at creation', async () => {
    const s = stubbedSession({ lastSequenceId: 7 });
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    expect(s.pending.at(-1)?.input).toMatchObject({ sequenceId: 8 });
  });

  it('a higher floor raises the counter; a lower or equal one is refused and changes nothing', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    const floor = (n: number) => ({ type: 'SEQUENCE.FLOOR' as const, lastSequenceId: n });

    expect(s.actor.getSnapshot().can(floor(10))).toBe(true);
    s.actor.send(floor(10));
    expect(s.actor.getSnapshot().context.lastSequenceId).toBe(10);
    expect(s.actor.getSnapshot().value, 'a floor changes no state').toBe('awaitingInput');

    for (const lower of [10, 9, 0, -5]) {
      expect(s.actor.getSnapshot().can(floor(lower)), `floor ${lower}`).toBe(false);
      s.actor.send(floor(lower));
      expect(s.actor.getSnapshot().context.lastSequenceId, `floor ${lower}`).toBe(10);
    }
    expect(s.actor.getSnapshot().value).toBe('awaitingInput');

    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    expect(s.pending.at(-1)?.input).toMatchObject({ sequenceId: 11 });
  });

  it('a floor raised while a message is in flight keeps its reply current and numbers the next one above it', async () => {
    const s = await sending();
    s.actor.send({ type: 'SEND', turnId: 't2', text: 'two' });
    s.actor.send({ type: 'SEQUENCE.FLOOR', lastSequenceId: 20 });
    await s.settle('sendMessage', {
      output: { sessionId: 's1', sequenceId: 1, messages: [inform('one')] },
    });
    expect(ofType(s, 'turn.completed').map((e) => e.turnId)).toEqual(['t1']);
    expect(s.pending.at(-1)?.input).toMatchObject({ sequenceId: 21, text: 'two' });
    expect(ofType(s, 'turn.sent').map((e) => e.sequenceId)).toEqual([1, 21]);
  });

  it('a floor is taken in every state but closed', async () => {
    const s = stubbedSession();
    s.actor.send({ type: 'SEQUENCE.FLOOR', lastSequenceId: 3 });
    expect(s.actor.getSnapshot().context.lastSequenceId).toBe(3);
    s.actor.send({ type: 'START' });
    s.actor.send({ type: 'SEQUENCE.FLOOR', lastSequenceId: 4 });
    expect(s.actor.getSnapshot().context.lastSequenceId).toBe(4);
    s.actor.send({ type: 'END', reason: 'UserRequest' });
    await s.settle('authorize', { output: { expiresAt: null } });
    await s.settle('startSession', { output: { sessionId: 's1', messages: [] } });
    expect(s.actor.getSnapshot().value).toBe('ending');
    s.actor.send({ type: 'SEQUENCE.FLOOR', lastSequenceId: 5 });
    expect(s.actor.getSnapshot().context.lastSequenceId).toBe(5);
    await s.settle('endSession', { output: { messages: [] } });
    expect(s.actor.getSnapshot().status).toBe('done');
    expect(s.actor.getSnapshot().context.lastSequenceId).toBe(5);
  });

  it('a restart after expiry numbers the re-sent message above everything sent before', async () => {
    const s = await sending();
    await s.settle('sendMessage', { error: apiError('session_not_found', 404) });
    await s.settle('authorize', { output: { expiresAt: null } });
    await s.settle('startSession', { output: { sessionId: 's2', messages: [] } });
    expect(s.pending.at(-1)?.input).toMatchObject({ sessionId: 's2', sequenceId: 2 });
    // The late answer of the first session is not the reply of the message re-sent on the second.
    await s.settle('sendMessage', {
      output: { sessionId: 's1', sequenceId: 2, messages: [inform('late')] },
    });
    expect(ofType(s, 'reply.dropped')).toEqual([
      { type: 'reply.dropped', sequenceId: 2, expected: 2 },
    ]);
    expect(ofType(s, 'turn.completed')).toEqual([]);
  });
});

describe('transitions the HTTP actors never take', () => {
  it('a stream actor that throws fails the message and the session waits for the user', async () => {
    const s = stubbedSession({}, { streamThrows: true });
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one', stream: true });
    await new Promise((r) => setTimeout(r, 0));
    expect(s.actor.getSnapshot().value).toBe('awaitingInput');
    expect(ofType(s, 'turn.failed')).toEqual([
      {
        type: 'turn.failed',
        turnId: 't1',
        error: { name: 'Error', code: 'internal', message: 'the stream actor failed' },
      },
    ]);
  });

  it('a stream actor that throws with messages waiting sends the next one', async () => {
    const s = stubbedSession({}, { streamThrows: true });
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one', stream: true });
    s.actor.send({ type: 'SEND', turnId: 't2', text: 'two' });
    await s.settle('authorize', { output: { expiresAt: null } });
    await s.settle('startSession', { output: { sessionId: 's1', messages: [] } });
    expect(s.actor.getSnapshot().value).toEqual({ active: 'sending' });
    expect(s.actor.getSnapshot().context.inFlight).toMatchObject({ turnId: 't2', sequenceId: 2 });
    // The next message goes out from within `active`: no second `active` state change.
    expect(s.states).toEqual(['idle', 'starting', 'active']);
    expect(ofType(s, 'turn.failed').map((e) => e.turnId)).toEqual(['t1']);
  });

  it('a stream actor that throws with a streamed message waiting streams the next one', async () => {
    const s = stubbedSession({}, { streamThrows: true });
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one', stream: true });
    s.actor.send({ type: 'SEND', turnId: 't2', text: 'two', stream: true });
    await s.settle('authorize', { output: { expiresAt: null } });
    await s.settle('startSession', { output: { sessionId: 's1', messages: [] } });
    // t2 is in flight (sequenceId 2), its own stream actor having thrown in turn.
    expect(ofType(s, 'turn.failed').map((e) => e.turnId)).toEqual(['t1', 't2']);
    expect(s.actor.getSnapshot().value).toBe('awaitingInput');
  });

  it('a message sent straight to the actor while ending is refused', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'END', reason: 'UserRequest' });
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'late' });
    expect(s.actor.getSnapshot().value).toBe('ending');
    expect(s.actor.getSnapshot().context.queue).toEqual([]);
    expect(ofType(s, 'turn.failed')).toEqual([
      {
        type: 'turn.failed',
        turnId: 't1',
        error: expect.objectContaining({ code: 'session_closed' }),
      },
    ]);
  });
});

describe('the transitions the model suite cannot reach', () => {
  it('are each taken by a test of this file', () => {
    const notTaken = [...UNREACHABLE.keys()].filter((k) => !takenTransitions.has(k));
    expect(
      notTaken,
      'listed as unreachable through the public API, and taken by no test here',
    ).toEqual([]);
  });
});
