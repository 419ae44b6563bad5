import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAgentApi } from '../../src/fake-server/index.js';
import {
  AgentforceClient,
  clientCredentials,
  AbortError,
  ConnectionError,
  InternalServerError,
  TimeoutError,
  type StreamEvent,
} from '../../src/index.js';
import { AGENT_ID, CLIENT_ID, CLIENT_SECRET, harness } from './helpers.js';

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

  it('a message sent as soon as a stream ends waits for the end of its response, not for a 423', async () => {
    // The emulator pauses between events, and once more after END_OF_TURN before it ends the
    // response: until then the session's request is in flight and another is refused with 423.
    const { api, session } = await harness({ emulator: { streamChunkDelayMs: 40 } });
    await session.start();
    await collect(session.stream('first'));
    await session.send('right after');
    expect(api.requests.map((r) => `${r.route} ${r.status}`)).toEqual([
      'token 200',
      'start 200',
      'stream 200',
      'send 200',
    ]);
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

describe('streaming replies and the connection', () => {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('streamed messages one after another reuse their keep-alive connection', async () => {
    const api = await startFakeAgentApi({
      anyAgentId: true,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      streamChunkDelayMs: 0,
    });
    closers.push(() => api.close());
    // Every connection the client opens to the Agent API goes through this counter.
    let connections = 0;
    const sockets = new Set<Socket>();
    const counter = createServer((down) => {
      connections++;
      const up = connect(api.port, '127.0.0.1');
      for (const s of [down, up]) {
        sockets.add(s);
        s.on('error', () => undefined);
      }
      down.pipe(up).pipe(down);
    });
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise((resolve) => {
          for (const s of sockets) s.destroy();
          counter.close(resolve);
        }),
    );
    const viaCounter = `http://127.0.0.1:${(counter.address() as AddressInfo).port}`;
    const client = new AgentforceClient({
      myDomainUrl: api.url,
      apiBaseUrl: viaCounter,
      auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    });
    closers.push(() => Promise.resolve(client.close()));
    const session = client.session({ agentId: AGENT_ID });
    await session.start();
    for (let i = 0; i < 10; i++) {
      const events = await collect(session.stream(`question ${i}`));
      expect(kinds(events).at(-1)).toBe('end-of-turn');
    }
    await session.send('and one more at once');
    // A turn ends with its response, so the next message finds the connection free again.
    expect(connections).toBe(1);
  });
});
