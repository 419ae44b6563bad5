/**
 * What the machine hands each request (the input of every invoked actor), from the Agent API
 * contract and docs/lifecycle.md: the start body's defaults, one `externalSessionKey` per server
 * session, the message and its reply-to, the DELETE's reason; and the placeholders the machine
 * ships, which fail loudly when the client does not provide an actor.
 */
import { createActor, fromPromise, waitFor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { sessionMachine } from '../../machines/session.machine.js';
import { apiError, inform, stubbedSession } from './helpers.js';

type Stubbed = ReturnType<typeof stubbedSession>;

const input = { agentId: '0Xx000000000001AAA', endpoint: 'https://example.my.salesforce.com' };

const inputOf = (s: Stubbed, actor: string) =>
  s.pending.filter((p) => p.actor === actor).at(-1)?.input;

async function toAwaitingInput(s: Stubbed, messages: unknown[] = [inform('hello')]) {
  s.actor.send({ type: 'START' });
  await s.settle('authorize', { output: { expiresAt: null } });
  await s.settle('startSession', { output: { sessionId: 's1', messages } });
}

describe('the start request', () => {
  it('by default asks for a session that bypasses the user, with no time zone and no variables', async () => {
    const s = stubbedSession();
    s.actor.send({ type: 'START' });
    await s.settle('authorize', { output: { expiresAt: null } });
    expect(inputOf(s, 'startSession')).toEqual({
      agentId: input.agentId,
      externalSessionKey: '',
      endpoint: input.endpoint,
      bypassUser: true,
      tz: null,
      variables: null,
    });
  });

  it('passes the time zone, the variables and bypassUser given at creation', async () => {
    const variables = [{ name: '$Context.X', type: 'Text', value: 'x' }];
    const s = stubbedSession({
      tz: 'Europe/Paris',
      variables: variables as never,
      bypassUser: false,
    });
    s.actor.send({ type: 'START' });
    await s.settle('authorize', { output: { expiresAt: null } });
    expect(inputOf(s, 'startSession')).toMatchObject({
      bypassUser: false,
      tz: 'Europe/Paris',
      variables,
    });
  });

  it('has a new externalSessionKey (a UUID) for every server session, a restart included', async () => {
    const s = stubbedSession({}, { sessionKeys: true });
    const keyOfStart = () =>
      (inputOf(s, 'startSession') as { externalSessionKey: string }).externalSessionKey;
    s.actor.send({ type: 'START' });
    await s.settle('authorize', { output: { expiresAt: null } });
    const first = keyOfStart();
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await s.settle('startSession', { output: { sessionId: 's1', messages: [] } });
    expect(s.emitted.find((e) => e.type === 'session.started')).toMatchObject({
      externalSessionKey: first,
    });
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    await s.settle('sendMessage', { error: apiError('session_not_found', 404) });
    await s.settle('authorize', { output: { expiresAt: null } });
    const second = keyOfStart();
    expect(second).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).not.toBe(first);
  });
});

describe('the message request', () => {
  it('carries the session, the next sequenceId and the text, and nothing else unless given', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    // Strict: a field given as `undefined` is a field the request would carry.
    expect(inputOf(s, 'sendMessage')).toStrictEqual({
      sessionId: 's1',
      sequenceId: 1,
      text: 'one',
    });
  });

  it('says the message was sent (turn.sent) with its sequenceId and session', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    expect(s.emitted.filter((e) => e.type === 'turn.sent')).toStrictEqual([
      { type: 'turn.sent', turnId: 't1', sequenceId: 1, sessionId: 's1' },
    ]);
  });

  it('streams the same request (the session, the next sequenceId, the text) and says it was sent', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one', stream: true });
    expect(s.streams.map((x) => x.input)).toStrictEqual([
      { sessionId: 's1', sequenceId: 1, text: 'one' },
    ]);
    expect(s.emitted.filter((e) => e.type === 'turn.sent')).toStrictEqual([
      { type: 'turn.sent', turnId: 't1', sequenceId: 1, sessionId: 's1' },
    ]);
  });

  it("end() during a message aborts it and sends the DELETE with the app's reason", async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    s.actor.send({ type: 'END', reason: 'Transfer' });
    expect(s.pending.filter((p) => p.actor === 'endSession').map((p) => p.input)).toStrictEqual([
      { sessionId: 's1', reason: 'Transfer' },
    ]);
  });

  it('a cancel for a message it does not hold fails nothing', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    s.actor.send({ type: 'SEND', turnId: 't2', text: 'two' });
    s.actor.send({ type: 'CANCEL', turnId: 'not-a-turn' });
    expect(s.emitted.filter((e) => e.type === 'turn.failed')).toStrictEqual([]);
    expect(s.actor.getSnapshot().context.queue.map((t) => t.turnId)).toStrictEqual(['t2']);
  });

  it('carries a transfer report given instead of the text (the Agent API sends it as its own message type)', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    const transfer = { type: 'TransferFailed', reason: 'NoAgentAvailable' } as const;
    s.actor.send({ type: 'SEND', turnId: 't1', text: '', transfer });
    expect(inputOf(s, 'sendMessage')).toStrictEqual({
      sessionId: 's1',
      sequenceId: 1,
      text: '',
      transfer,
    });
  });

  it('carries the reply-to and the variables of the message, sent at once or after waiting', async () => {
    const variables = [{ name: 'v', type: 'Text', value: '1' }];
    const s = stubbedSession();
    await toAwaitingInput(s);
    const turn = { text: 'yes', inReplyToMessageId: 'q1', variables: variables as never };
    s.actor.send({ type: 'SEND', turnId: 't1', ...turn });
    expect(inputOf(s, 'sendMessage')).toEqual({ sessionId: 's1', sequenceId: 1, ...turn });
    s.actor.send({ type: 'SEND', turnId: 't2', ...turn, inReplyToMessageId: 'q2' });
    await s.settle('sendMessage', {
      output: { sessionId: 's1', sequenceId: 1, messages: [inform('ok')] },
    });
    expect(inputOf(s, 'sendMessage')).toEqual({
      sessionId: 's1',
      sequenceId: 2,
      ...turn,
      inReplyToMessageId: 'q2',
    });
  });
});

describe('the pending question', () => {
  const inquire = (id: unknown) => ({ type: 'Inquire', id, message: 'which one?' });
  const confirm = (id: unknown) => ({ type: 'Confirm', id, message: 'sure?' });

  it('is the last Inquire or Confirm of the greeting or the reply, and a message sent clears it', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s, [inform('hi'), inquire('q0')]);
    expect(s.actor.getSnapshot().context.pendingQuestionId).toBe('q0');
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one', inReplyToMessageId: 'q0' });
    expect(s.actor.getSnapshot().context.pendingQuestionId).toBeNull();
    await s.settle('sendMessage', {
      output: {
        sessionId: 's1',
        sequenceId: 1,
        messages: [inquire('q1'), confirm('c1'), inform('x')],
      },
    });
    expect(s.actor.getSnapshot().context.pendingQuestionId).toBe('c1');
  });

  it('is none after a reply without a question, or with a question without an id', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s, [confirm('c0')]);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    s.actor.send({ type: 'SEND', turnId: 't2', text: 'two' });
    await s.settle('sendMessage', {
      output: { sessionId: 's1', sequenceId: 1, messages: [inquire('q1')] },
    });
    // the waiting message went out: the question it may answer is no longer pending
    expect(s.actor.getSnapshot().context.pendingQuestionId).toBeNull();
    await s.settle('sendMessage', {
      output: { sessionId: 's1', sequenceId: 2, messages: [inquire(7), inform('no id')] },
    });
    expect(s.actor.getSnapshot().context.pendingQuestionId).toBeNull();
  });
});

describe('the DELETE', () => {
  it('sends the reason end() was given, also when end() came while starting', async () => {
    const s = stubbedSession();
    s.actor.send({ type: 'START' });
    s.actor.send({ type: 'END', reason: 'Transfer' });
    await s.settle('authorize', { output: { expiresAt: null } });
    await s.settle('startSession', { output: { sessionId: 's1', messages: [] } });
    expect(inputOf(s, 'endSession')).toEqual({ sessionId: 's1', reason: 'Transfer' });
    await s.settle('endSession', { output: { messages: [] } });
    expect(s.actor.getSnapshot().output).toStrictEqual({
      reason: 'ended',
      sessionId: 's1',
      endReason: 'Transfer',
    });
  });

  it('says Error when the session failed on a message', async () => {
    const s = stubbedSession();
    await toAwaitingInput(s);
    s.actor.send({ type: 'SEND', turnId: 't1', text: 'one' });
    await s.settle('sendMessage', { error: apiError('bad_request', 400) });
    expect(inputOf(s, 'endSession')).toEqual({ sessionId: 's1', reason: 'Error' });
  });
});

describe('the placeholder actors', () => {
  const fails = (name: string) => ({
    name: 'Error',
    code: 'internal',
    message: expect.stringContaining(`session machine: actor '${name}' was not provided`),
  });
  const ok = <T>(output: T) => fromPromise<T>(() => Promise.resolve(output));

  it('fail loudly, naming the actor the client did not provide', async () => {
    const bare = createActor(sessionMachine, { input }).start();
    bare.send({ type: 'START' });
    const done = await waitFor(bare, (s) => s.status === 'done', { timeout: 2_000 });
    expect(done.output).toMatchObject({ reason: 'failed', error: fails('authorize') });

    const noStart = createActor(
      sessionMachine.provide({ actors: { authorize: ok({ expiresAt: null }) as never } }),
      { input },
    ).start();
    noStart.send({ type: 'START' });
    const closed = await waitFor(noStart, (s) => s.status === 'done', { timeout: 2_000 });
    expect(closed.output).toMatchObject({ reason: 'failed', error: fails('startSession') });
  });

  /** A session given only the authorize and start actors, started: the others are placeholders. */
  async function startedWithoutTurnActors() {
    const session = createActor(
      sessionMachine.provide({
        actors: {
          authorize: ok({ expiresAt: null }) as never,
          startSession: ok({ sessionId: 's1', messages: [] }) as never,
        },
      }),
      { input },
    ).start();
    const failed: unknown[] = [];
    session.on('turn.failed', (e) => failed.push(e.error));
    session.send({ type: 'START' });
    await waitFor(session, (s) => s.matches('awaitingInput'), { timeout: 2_000 });
    return { session, failed };
  }

  it('fail the message when the send, stream or end actor is missing', async () => {
    const { session, failed } = await startedWithoutTurnActors();
    session.send({ type: 'SEND', turnId: 't1', text: 'one' });
    const ended = await waitFor(session, (s) => s.status === 'done', { timeout: 2_000 });
    expect(failed).toEqual([fails('sendMessage')]);
    expect(ended.output).toMatchObject({ reason: 'failed', error: fails('sendMessage') });
  });

  it('fail a streamed message, and the DELETE, when those actors are missing', async () => {
    const { session, failed } = await startedWithoutTurnActors();
    session.send({ type: 'SEND', turnId: 't1', text: 'one', stream: true });
    await waitFor(session, (s) => s.matches('awaitingInput'), { timeout: 2_000 });
    expect(failed).toEqual([fails('streamMessage')]);
    session.send({ type: 'END', reason: 'UserRequest' });
    const ended = await waitFor(session, (s) => s.status === 'done', { timeout: 2_000 });
    expect(ended.output).toMatchObject({ reason: 'ended', error: fails('endSession') });
  });
});
