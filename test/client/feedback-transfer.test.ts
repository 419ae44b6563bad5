/**
 * Feedback on a reply, and the report of a hand-off after an `Escalate`, over HTTP against the
 * emulator. Bodies as the reference defines them: `FeedbackMessage {feedbackId, feedback, text?,
 * details?}`; `TransferSucceeded {sequenceId, inReplyToMessageId}` and
 * `TransferFailed {sequenceId, inReplyToMessageId, reason, description}`.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, SessionClosedError, SessionNotFoundError } from '../../src/index.js';
import { harness, traffic } from './helpers.js';

describe('session.feedback', () => {
  it('rates a turn: the feedbackId of its reply, GOOD with a comment, as the reference body', async () => {
    const { api, session } = await harness();
    await session.start();
    const turn = await session.send('hello there');
    const inform = turn.messages.find((m) => m.type === 'Inform')!;
    const feedbackId = (inform as { feedbackId: string }).feedbackId;
    expect(feedbackId).not.toBe('');
    await session.feedback(turn, 'GOOD', { text: 'clear answer' });
    const sent = api.requests.at(-1)!;
    expect(sent.route).toBe('feedback');
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ feedbackId, feedback: 'GOOD', text: 'clear answer' });
    const info = api.sessions().find((s) => s.sessionId === session.sessionId)!;
    expect(info.feedback).toEqual([
      expect.objectContaining({ feedbackId, feedback: 'GOOD', text: 'clear answer', known: true }),
    ]);
    expect(session.state).toBe('awaitingInput');
  });

  it('rates a message by its id, or by a feedbackId kept elsewhere; details go along', async () => {
    const { api, session } = await harness();
    await session.start();
    const turn = await session.send('hello again');
    const inform = turn.messages.find((m) => m.type === 'Inform')! as {
      id: string;
      feedbackId: string;
    };
    await session.feedback(inform.id, 'BAD');
    await session.feedback({ feedbackId: inform.feedbackId }, 'BAD', { details: { topic: 'x' } });
    expect(api.requests.slice(-2).map((r) => r.body)).toEqual([
      { feedbackId: inform.feedbackId, feedback: 'BAD' },
      { feedbackId: inform.feedbackId, feedback: 'BAD', details: { topic: 'x' } },
    ]);
  });

  it('refuses what it cannot send, before any request', async () => {
    const { api, session } = await harness();
    await session.start();
    const turn = await session.send('hello');
    const before = api.requests.length;
    await expect(session.feedback(turn, 'OK' as 'GOOD')).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(session.feedback('no-such-message', 'GOOD')).rejects.toThrow(
      /no reply message with id "no-such-message"/,
    );
    const details = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, i]));
    await expect(session.feedback(turn, 'GOOD', { details })).rejects.toThrow(/at most 10/);
    expect(api.requests.length).toBe(before);
    await session.end();
    await expect(session.feedback(turn, 'GOOD')).rejects.toBeInstanceOf(SessionClosedError);
    expect(api.requests.length).toBe(before + 1); // the DELETE only
  });

  it('feedback for a session the server no longer knows: SessionNotFoundError, state unchanged', async () => {
    const { api, session } = await harness();
    await session.start();
    const turn = await session.send('hello');
    api.faults.next('feedback', { sessionNotFound: true });
    await expect(session.feedback(turn, 'GOOD')).rejects.toBeInstanceOf(SessionNotFoundError);
    expect(traffic(api).at(-1)).toBe('feedback 404');
  });
});

describe('session.reportTransfer after an Escalate', () => {
  it('TransferSucceeded answers the Escalate, with the next sequenceId, and gets the reply', async () => {
    const { api, session } = await harness();
    await session.start();
    const escalated = await session.send('I want a real person');
    const escalate = escalated.messages.find((m) => m.type === 'Escalate')!;
    expect(escalate).toBeDefined();
    const reply = await session.reportTransfer({ type: 'TransferSucceeded' });
    expect(api.requests.at(-1)!.body).toEqual({
      message: {
        type: 'TransferSucceeded',
        sequenceId: escalated.sequenceId! + 1,
        inReplyToMessageId: escalate.id,
      },
      variables: [],
    });
    expect(reply.sequenceId).toBe(escalated.sequenceId! + 1);
    expect(reply.text).toBe('You are now connected with a human agent.');
  });

  it('TransferFailed carries its reason and description; a bad report is refused', async () => {
    const { api, session } = await harness();
    await session.start();
    await session.send('agent please');
    const reply = await session.reportTransfer(
      { type: 'TransferFailed', reason: 'NoAgentAvailable', description: 'queue closed' },
      { inReplyToMessageId: 'escalate-1' },
    );
    expect(api.requests.at(-1)!.body).toMatchObject({
      message: {
        type: 'TransferFailed',
        inReplyToMessageId: 'escalate-1',
        reason: 'NoAgentAvailable',
        description: 'queue closed',
      },
    });
    expect(reply.text).toMatch(/No human agent is available/);
    const before = api.requests.length;
    await expect(
      session.reportTransfer({ type: 'TransferFailed', reason: 'Busy' } as never),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(api.requests.length).toBe(before);
  });
});
