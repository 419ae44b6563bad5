import { describe, expect, it } from 'vitest';
import {
  AbortError,
  ConnectionError,
  InternalServerError,
  TimeoutError,
  type StreamEvent,
} from '../../src/index.js';
import { harness } from './helpers.js';

async function collect(iterable: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const ev of iterable) events.push(ev);
  return events;
}

const kinds = (events: StreamEvent[]) => events.map((e) => e.kind);

describe('streaming replies (SSE)', () => {
  it('yields progress, deltas, the final message and the end of turn, in order; turn equals what send() gives', async () => {
    const { session, states } = await harness({ emulator: { streamChunkDelayMs: 1 } });
    await session.start();
    const reply = session.stream('Tell me about your return policy please');
    const events = await collect(reply);
    const turn = await reply.turn;
    expect(kinds(events)[0]).toBe('progress');
    expect(kinds(events).at(-1)).toBe('end-of-turn');
    const firstMessage = kinds(events).indexOf('message');
    expect(
      kinds(events)
        .slice(1, firstMessage)
        .every((k) => k === 'delta'),
    ).toBe(true);
    const deltas = events.filter(
      (e): e is Extract<StreamEvent, { kind: 'delta' }> => e.kind === 'delta',
    );
    expect(deltas.length).toBeGreaterThan(1);
    const offsets = deltas.map((d) => d.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    // the final Inform replaces the concatenated chunks, and equals them here
    expect(deltas.map((d) => d.text).join('')).toBe(turn.text);
    expect(turn.text).toContain('Tell me about your return policy please');
    expect(turn.messages.map((m) => m.type)).toEqual(['Inform']);
    expect(turn.sequenceId).toBe(1);
    expect(states).toEqual(['starting', 'awaitingInput', 'active', 'awaitingInput']);
  });

  it('a validation failure tells the caller to discard the text shown so far', async () => {
    const { api, session } = await harness({ emulator: { streamChunkDelayMs: 1 } });
    await session.start();
    api.faults.next('stream', { validationFailure: true, afterChunks: 2, reason: 'toxicity' });
    const reply = session.stream('A long enough question to get several chunks back');
    const events = await collect(reply);
    const i = kinds(events).indexOf('validation-failure');
    expect(i).toBeGreaterThan(0);
    expect(events[i]).toMatchObject({ kind: 'validation-failure', reason: 'toxicity' });
    const after = events
      .slice(i + 1)
      .filter((e): e is Extract<StreamEvent, { kind: 'delta' }> => e.kind === 'delta');
    const turn = await reply.turn;
    expect(after.map((d) => d.text).join('')).toBe(turn.text);
  });

  it('an ERROR event mid-stream fails the turn with its typed error; the session stays open', async () => {
    const { api, session } = await harness({ emulator: { streamChunkDelayMs: 1 } });
    await session.start();
    api.faults.next('stream', { streamError: true, afterEvents: 2 });
    const reply = session.stream('this will break');
    await expect(collect(reply)).rejects.toBeInstanceOf(InternalServerError);
    await expect(reply.turn).rejects.toBeInstanceOf(InternalServerError);
    expect(session.state).toBe('awaitingInput');
  });

  it('a stalled stream ends the turn with a stream_idle_timeout error', async () => {
    const { api, session } = await harness({
      emulator: { streamChunkDelayMs: 1 },
      client: { streamIdleTimeoutMs: 150 },
    });
    await session.start();
    api.faults.next('stream', { stall: true, afterEvents: 2 });
    const reply = session.stream('stall please');
    const err = await reply.turn.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'stream_idle_timeout' });
    expect(session.state).toBe('awaitingInput');
  });

  it('a connection dropped mid-stream is surfaced after text was delivered, never retried', async () => {
    const { api, session } = await harness({ emulator: { streamChunkDelayMs: 1 } });
    await session.start();
    api.faults.next('stream', { dropMidStream: true, afterEvents: 3 });
    const reply = session.stream('drop me in the middle of it');
    await expect(reply.turn).rejects.toBeInstanceOf(ConnectionError);
    expect(api.requests.filter((r) => r.route === 'stream')).toHaveLength(1);
  });

  it('a 404 on stream start is expiry: new session, message streamed again', async () => {
    const { api, session } = await harness({ emulator: { streamChunkDelayMs: 1 } });
    const { sessionId: first } = await session.start();
    api.expireSession(first);
    const reply = session.stream('stream after expiry');
    const events = await collect(reply);
    const turn = await reply.turn;
    expect(turn.sessionId).not.toBe(first);
    expect(turn.text).toContain('stream after expiry');
    expect(kinds(events).at(-1)).toBe('end-of-turn');
  });

  it('breaking out of the loop cancels the request; the emulator sees the connection closed', async () => {
    const { api, session } = await harness({ emulator: { streamChunkDelayMs: 30 } });
    await session.start();
    const reply = session.stream('a question with a long answer that streams slowly');
    for await (const ev of reply) {
      if (ev.kind === 'delta') break;
    }
    await expect(reply.turn).rejects.toBeInstanceOf(AbortError);
    expect(session.state).toBe('awaitingInput');
    for (let i = 0; i < 50 && api.stats.clientClosedMidStream === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(api.stats.clientClosedMidStream).toBe(1);
    const turn = await session.send('still works');
    expect(turn.text).toContain('still works');
  });

  it('streamed and sync messages share one sequence', async () => {
    const { api, session } = await harness({
      emulator: { streamChunkDelayMs: 0, strictSequence: true },
    });
    await session.start();
    await session.send('one');
    await session.stream('two').turn;
    await session.send('three');
    expect(api.sessions()[0]?.sequenceIds).toEqual([1, 2, 3]);
  });
});
