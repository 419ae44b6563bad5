/**
 * What a failure does, from docs/lifecycle.md (`active`, `expired`, `ending`): which errors end the
 * server session, which close at once, which only fail the message; and what each caller gets —
 * the error objects of refused, cancelled, ended and expired messages, and the session's outcome.
 */
import { describe, expect, it } from 'vitest';
import type { ErrorCode, SessionEmitted } from '../../machines/session.types.js';
import { apiError, inform, stubbedSession } from './helpers.js';

type Stubbed = ReturnType<typeof stubbedSession>;

async function toAwaitingInput(s: Stubbed, sessionId = 's1') {
  s.actor.send({ type: 'START' });
  await s.settle('authorize', { output: { expiresAt: null } });
  await s.settle('startSession', { output: { sessionId, messages: [inform('hello')] } });
}

const failures = (s: Stubbed) =>
  Object.fromEntries(
    s.emitted
      .filter(
        (e): e is Extract<SessionEmitted, { type: 'turn.failed' }> => e.type === 'turn.failed',
      )
      .map((e) => [e.turnId, e.error]),
  );

const closedError = (message: string) => ({
  name: 'SessionClosedError',
  code: 'session_closed',
  message,
});
const expiredError = {
  name: 'SessionExpiredError',
  code: 'session_expired',
  message: 'the session expired',
};

/** Message t1 in flight (sync or streamed), t2 waiting. */
async function twoMessages(stream: boolean, input = {}) {
  const s = stubbedSession(input);
  await toAwaitingInput(s);
  s.actor.send({ type: 'SEND', turnId: 't1', text: 'one', stream });
  s.actor.send({ type: 'SEND', turnId: 't2', text: 'two' });
  return s;
}

async function failFirst(s: Stubbed, stream: boolean, code: ErrorCode) {
  const error = apiError(code);
  if (stream) {
    s.streams[0]!.sendBack({
      type: 'STREAM.FAILED',
      sessionId: 's1',
      sequenceId: 1,
      error: error.toJSON(),
    });
    await new Promise((r) => setTimeout(r, 0));
  } else {
    await s.settle('sendMessage', { error });
  }
}

describe.each([
  ['sent', false],
  ['streamed', true],
])('a failure of a %s message', (_kind, stream) => {
  it.each([
    'authentication',
    'permission_denied',
    'bad_request',
    'unprocessable',
    'internal',
  ] as const)(
    '%s fails the session and ends the server session with reason Error',
    async (code) => {
      const s = await twoMessages(stream);
      await failFirst(s, stream, code);
      expect(s.actor.getSnapshot().value).toBe('ending');
      expect(s.pending.at(-1)).toMatchObject({
        actor: 'endSession',
        input: { sessionId: 's1', reason: 'Error' },
      });
      expect(failures(s)).toEqual({
        t1: expect.objectContaining({ code }),
        t2: closedError('the session failed'),
      });
      await s.settle('endSession', { error: apiError('service_unavailable', 503) });
      expect(s.actor.getSnapshot().output).toStrictEqual({
        reason: 'failed',
        sessionId: 's1',
        endReason: 'Error',
        error: expect.objectContaining({ code }),
      });
    },
  );

  it.each(['not_found', 'invalid_argument'] as const)(
    '%s closes the session as failed, with no DELETE',
    async (code) => {
      const s = await twoMessages(stream);
      await failFirst(s, stream, code);
      expect(s.actor.getSnapshot().output).toEqual({
        reason: 'failed',
        sessionId: 's1',
        error: expect.objectContaining({ code }),
      });
      expect(s.pending.filter((p) => p.actor === 'endSession')).toEqual([]);
      expect(failures(s)).toEqual({
        t1: expect.objectContaining({ code }),
        t2: closedError('the session failed'),
      });
    },
  );

  it.each([
    'session_busy',
    'rate_limited',
    'server_error',
    'service_unavailable',
    'connection',
    'timeout',
    'malformed_response',
    'stream_idle_timeout',
    'api_error',
  ] as const)('%s fails only the message; the next one goes out', async (code) => {
    const s = await twoMessages(stream);
    await failFirst(s, stream, code);
    expect(s.actor.getSnapshot().value).toEqual({ active: 'sending' });
    expect(failures(s)).toEqual({ t1: expect.objectContaining({ code }) });
    expect(s.pending.at(-1)).toMatchObject({ actor: 'sendMessage', input: { sequenceId: 2 } });
  });
});

describe('what the caller gets', () => {
  it('a message beyond the queue is refused with QueueFullError, saying the limit', async () => {
    const s = await twoMessages(false, { maxQueue: 1 });
    s.actor.send({ type: 'SEND', turnId: 't3', text: 'three' });
    expect(failures(s)).toEqual({
      t3: {
        name: 'QueueFullError',
        code: 'queue_full',
        message: '1 messages are already waiting for this session',
      },
    });
    expect(s.actor.getSnapshot().context.queue.map((t) => t.turnId)).toEqual(['t2']);
  });

  it('a cancelled waiting message gets AbortError, and the others keep their order', async () => {
    const s = await twoMessages(false);
    s.actor.send({ type: 'SEND', turnId: 't3', text: 'three' });
    s.actor.send({ type: 'CANCEL', turnId: 't2' });
    expect(failures(s)).toEqual({
      t2: {
        name: 'AbortError',
        code: 'aborted',
        message: 'the message was cancelled by the caller',
      },
    });
    expect(s.actor.getSnapshot().context.queue.map((t) => t.turnId)).toEqual(['t3']);
    s.actor.send({ type: 'CANCEL', turnId: 't1' });
    expect(failures(s)['t1']).toEqual({
      name: 'AbortError',
      code: 'aborted',
      message: 'the message was cancelled by the caller',
    });
    expect(s.pending.at(-1)).toMatchObject({
      actor: 'sendMessage',
      input: { text: 'three', sequenceId: 2 },
    });
  });

  it('end() fails the message in flight and the waiting ones with SessionClosedError', async () => {
    const s = await twoMessages(false);
    s.actor.send({ type: 'END', reason: 'UserRequest' });
    expect(failures(s)).toEqual({
      t1: closedError('the session was ended'),
      t2: closedError('the session was ended'),
    });
  });

  it('end() while starting fails the waiting messages with SessionClosedError', () => {
    const s = stubbedSession();
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    s.actor.send({ type: 'END', reason: 'UserRequest' });
    expect(failures(s)).toEqual({ t1: closedError('the session was ended') });
  });

  it('a message sent to the actor while ending is refused: the session is ending', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'END', reason: 'UserRequest' });
    s.actor.send({ type: 'SEND', turnId: 't9', text: 'late' });
    expect(failures(s)).toEqual({ t9: closedError('the session is ending') });
  });

  it('a refused token fails the waiting messages with its own error', async () => {
    const s = stubbedSession();
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    await s.settle('authorize', { error: apiError('authentication', 401) });
    expect(failures(s)).toEqual({
      t1: expect.objectContaining({ code: 'authentication', status: 401 }),
    });
    expect(s.actor.getSnapshot().output).toMatchObject({
      reason: 'failed',
      error: { code: 'authentication' },
    });
  });
});

describe('when the server ends the session', () => {
  it('in a reply: the outcome has its reason, and the waiting messages fail', async () => {
    const s = await twoMessages(false);
    await s.settle('sendMessage', {
      output: {
        sessionId: 's1',
        sequenceId: 1,
        messages: [{ type: 'SessionEnded', id: 'e', reason: 'Escalation' }],
      },
    });
    expect(s.actor.getSnapshot().output).toEqual({
      reason: 'ended-by-server',
      sessionId: 's1',
      serverReason: 'Escalation',
    });
    expect(failures(s)).toEqual({ t2: closedError('the server ended the session') });
    const closed = s.emitted.find((e) => e.type === 'session.closed');
    expect(closed).toEqual({ type: 'session.closed', outcome: s.actor.getSnapshot().output });
  });

  it('in the greeting, without a reason: the reason is Unknown', async () => {
    const s = stubbedSession();
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    await s.settle('authorize', { output: { expiresAt: null } });
    await s.settle('startSession', {
      output: { sessionId: 's1', messages: [{ type: 'SessionEnded', id: 'e' }] },
    });
    expect(s.actor.getSnapshot().output).toEqual({
      reason: 'ended-by-server',
      sessionId: 's1',
      serverReason: 'Unknown',
    });
    expect(failures(s)).toEqual({ t1: closedError('the server ended the session') });
  });
});

describe('expiry', () => {
  it('under policy close fails the message and the waiting ones with SessionExpiredError', async () => {
    const s = await twoMessages(false, { expiryPolicy: 'close' });
    await s.settle('sendMessage', { error: apiError('session_not_found', 404) });
    expect(s.emitted.find((e) => e.type === 'session.expired')).toEqual({
      type: 'session.expired',
      sessionId: 's1',
      cause: 'server',
      turnId: 't1',
    });
    expect(failures(s)).toEqual({ t1: expiredError, t2: expiredError });
    expect(s.actor.getSnapshot().output).toEqual({
      reason: 'expired',
      sessionId: 's1',
      error: { ...expiredError, message: 'the session expired (expiry policy: close)' },
    });
  });

  it('with the restart budget spent says so', async () => {
    const s = await twoMessages(false, { maxRestarts: 0 });
    await s.settle('sendMessage', { error: apiError('session_not_found', 404) });
    expect(s.actor.getSnapshot().output).toMatchObject({
      reason: 'expired',
      error: {
        ...expiredError,
        message: 'the session expired and the restart budget (0) is spent',
      },
    });
  });

  it('a restart names the old and the new session and counts', async () => {
    const s = await twoMessages(false);
    await s.settle('sendMessage', { error: apiError('session_not_found', 404) });
    await s.settle('authorize', { output: { expiresAt: null } });
    await s.settle('startSession', { output: { sessionId: 's2', messages: [] } });
    expect(s.emitted.filter((e) => e.type === 'session.restarted')).toEqual([
      { type: 'session.restarted', previousSessionId: 's1', sessionId: 's2', restarts: 1 },
    ]);
    expect(s.pending.at(-1)).toMatchObject({
      actor: 'sendMessage',
      input: { sessionId: 's2', sequenceId: 2, text: 'one' },
    });
    expect(s.actor.getSnapshot().context.queue.map((t) => t.turnId)).toEqual(['t2']);
  });
});

describe('the DELETE answered', () => {
  const ending = async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'END', reason: 'UserRequest' });
    return s;
  };

  it('404: the session was already gone, which is what was asked: ended, no error', async () => {
    const s = await ending();
    await s.settle('endSession', { error: apiError('session_not_found', 404) });
    expect(s.actor.getSnapshot().output).toStrictEqual({
      reason: 'ended',
      sessionId: 's1',
      endReason: 'UserRequest',
    });
  });

  it('another error: ended, with the error', async () => {
    const s = await ending();
    await s.settle('endSession', { error: apiError('service_unavailable', 503) });
    expect(s.actor.getSnapshot().output).toStrictEqual({
      reason: 'ended',
      sessionId: 's1',
      endReason: 'UserRequest',
      error: expect.objectContaining({ code: 'service_unavailable' }),
    });
  });
});

describe('the DELETE after a failure (docs/lifecycle.md, `ending`)', () => {
  const endedForError = async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    await s.settle('sendMessage', { error: apiError('bad_request', 400) });
    expect(s.pending.at(-1)).toMatchObject({ actor: 'endSession', input: { reason: 'Error' } });
    return s;
  };
  const endFailed = (s: Stubbed) => s.emitted.filter((e) => e.type === 'session.end-failed');

  it('failing: says the server session may stay open (session.end-failed, reason Error)', async () => {
    const s = await endedForError();
    await s.settle('endSession', { error: apiError('service_unavailable', 503) });
    expect(endFailed(s)).toStrictEqual([
      {
        type: 'session.end-failed',
        sessionId: 's1',
        reason: 'Error',
        error: expect.objectContaining({ code: 'service_unavailable' }),
      },
    ]);
    expect(s.actor.getSnapshot().output).toMatchObject({ reason: 'failed' });
  });

  it('404: the session is already gone, so nothing failed', async () => {
    const s = await endedForError();
    await s.settle('endSession', { error: apiError('session_not_found', 404) });
    expect(endFailed(s)).toStrictEqual([]);
    expect(s.actor.getSnapshot().output).toMatchObject({ reason: 'failed' });
  });
});
