import { describe, expect, it } from 'vitest';
import { SessionClosedError } from '../../src/index.js';
import { ENDED, STARTED, TURN } from '../support/state-sequences.js';
import { harness, traffic } from './helpers.js';

describe('a conversation with the emulator', () => {
  it('starts, answers, ends: the whole sequence of states and requests', async () => {
    // GIVEN a new session
    const { api, session, states } = await harness();
    expect(session.state).toBe('idle');
    // WHEN it starts, sends one message and ends
    const greeting = await session.start();
    const turn = await session.send('What are your opening hours?');
    const outcome = await session.end();
    // THEN
    expect(greeting.text).toMatch(/emulator/i);
    expect(turn.sequenceId).toBe(1);
    expect(turn.text).toContain('What are your opening hours?');
    expect(turn.messages[0]?.type).toBe('Inform');
    expect(states).toEqual([...STARTED, ...TURN, ...ENDED]);
    expect(outcome).toEqual({
      reason: 'ended',
      sessionId: greeting.sessionId,
      endReason: 'UserRequest',
      serverReason: 'ClientRequest',
    });
    expect(traffic(api)).toEqual(['token 200', 'start 200', 'send 200', 'end 200']);
    const [info] = api.sessions();
    expect(info).toMatchObject({ status: 'ended', endReason: 'UserRequest', sequenceIds: [1] });
  });

  it('sends the start body the API documents', async () => {
    const { api, session } = await harness({
      session: {
        tz: 'Europe/Berlin',
        variables: [{ name: '$Context.EndUserLanguage', type: 'Text', value: 'en_US' }],
      },
    });
    await session.start();
    const start = api.requests.find((r) => r.route === 'start');
    expect(start?.body).toMatchObject({
      instanceConfig: { endpoint: api.url },
      tz: 'Europe/Berlin',
      bypassUser: true,
      streamingCapabilities: { chunkTypes: ['Text'] },
      variables: [{ name: '$Context.EndUserLanguage', type: 'Text', value: 'en_US' }],
    });
    expect((start?.body as { externalSessionKey: string }).externalSessionKey).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(start?.headers['authorization']).not.toContain('test-secret-value');
  });

  it('answers a question (Inquire) with inReplyToMessageId', async () => {
    const { api, session } = await harness();
    await session.start();
    const asked = await session.send('Where is my order?');
    expect(asked.question?.type).toBe('Inquire');
    expect(session.pendingQuestionId).toBe(asked.question?.id);
    const answered = await session.send('00012345', { inReplyToMessageId: asked.question!.id });
    expect(answered.text).toMatch(/00012345/);
    expect(answered.messages[0]?.['result']).toEqual([
      expect.objectContaining({ type: 'copilotActionOutput/LookupOrder' }),
    ]);
    expect(session.pendingQuestionId).toBeNull();
    const sent = api.requests
      .filter((r) => r.route === 'send')
      .map((r) => r.body as { message: unknown });
    expect(sent[1]?.message).toMatchObject({
      inReplyToMessageId: asked.question!.id,
      sequenceId: 2,
    });
  });

  it('send() on an idle session starts it first', async () => {
    const { api, session, states } = await harness();
    const turn = await session.send('hello there');
    expect(turn.text).toContain('hello there');
    expect(states).toEqual(['starting', 'active', 'awaitingInput']);
    expect(traffic(api)).toEqual(['token 200', 'start 200', 'send 200']);
  });

  it('keeps messages of unknown types and every message of a reply', async () => {
    const { session } = await harness();
    await session.start();
    const turn = await session.send('show me something new');
    expect(turn.messages.length).toBeGreaterThan(0);
    const escalation = await session.send('I want a human please');
    expect(escalation.messages.map((m) => m.type)).toEqual(['Inform', 'Escalate']);
  });

  it('a SessionEnded from the server closes the session with its reason', async () => {
    const { session, states } = await harness();
    await session.start();
    const turn = await session.send('please end the chat');
    expect(turn.ended?.type).toBe('SessionEnded');
    expect(session.state).toBe('closed');
    expect(session.outcome).toMatchObject({ reason: 'ended-by-server', serverReason: 'Action' });
    expect(states.at(-1)).toBe('closed');
    await expect(session.send('still there?')).rejects.toBeInstanceOf(SessionClosedError);
  });

  it('end() is idempotent and misuse after close changes nothing', async () => {
    const { api, session } = await harness();
    await session.start();
    const first = await session.end();
    const second = await session.end();
    expect(second).toEqual(first);
    const before = api.requests.length;
    await expect(session.send('hello?')).rejects.toBeInstanceOf(SessionClosedError);
    await expect(session.start()).rejects.toBeInstanceOf(SessionClosedError);
    expect(() => session.stream('hi')).not.toThrow();
    await expect(session.stream('hi').turn).rejects.toBeInstanceOf(SessionClosedError);
    expect(api.requests.length).toBe(before);
    expect(session.state).toBe('closed');
  });

  it('end() on a session the server already forgot counts as ended', async () => {
    const { api, session } = await harness();
    const { sessionId } = await session.start();
    api.expireSession(sessionId);
    const outcome = await session.end();
    expect(outcome).toMatchObject({ reason: 'ended', sessionId });
    expect(outcome.error).toBeUndefined();
    expect(traffic(api).at(-1)).toBe('end 404');
  });

  it('end() while a message is in flight aborts it and rejects it with SessionClosedError', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('send', { delayMs: 2_000 });
    const pending = expect(session.send('slow one')).rejects.toBeInstanceOf(SessionClosedError);
    await new Promise((r) => setTimeout(r, 50));
    expect(session.state).toBe('active');
    await session.end();
    await pending;
    expect(session.state).toBe('closed');
  });
});

describe('a greeting that already ends the session', () => {
  it('closes the session as ended by the server, and the emulator ends it too', async () => {
    const { inform, sessionEnded } = await import('../../src/fake-server/index.js');
    const { api, session } = await harness({
      emulator: {
        agent: {
          reply: () => [inform('unused')],
          greeting: () => [inform('We are closed today.'), sessionEnded('Action')],
        },
      },
    });
    await expect(session.send('hello?')).rejects.toBeInstanceOf(SessionClosedError);
    expect(session.outcome).toMatchObject({ reason: 'ended-by-server', serverReason: 'Action' });
    expect(api.sessions()[0]).toMatchObject({ status: 'ended', endedBy: 'server' });
    expect(api.requests.filter((r) => r.route === 'send')).toEqual([]);
  });
});
