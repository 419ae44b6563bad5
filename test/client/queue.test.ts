import { describe, expect, it } from 'vitest';
import { AbortError, QueueFullError } from '../../src/index.js';
import { harness } from './helpers.js';

describe('the queue: one request in flight, messages in order', () => {
  it('concurrent send() calls go one at a time, in order, and no 423 reaches the user', async () => {
    // GIVEN a strict server that answers 423 to a second request in flight
    const { api, session } = await harness({ emulator: { strictSequence: true, latencyMs: 5 } });
    await session.start();
    // WHEN twenty messages are sent at once
    const texts = Array.from({ length: 20 }, (_, i) => `message number ${i}`);
    const turns = await Promise.all(texts.map((t) => session.send(t)));
    // THEN each got its own reply, in order, with increasing sequenceIds, and the server never saw two at once
    turns.forEach((turn, i) => expect(turn.text).toContain(texts[i]));
    expect(turns.map((t) => t.sequenceId)).toEqual(texts.map((_, i) => i + 1));
    expect(api.requests.filter((r) => r.status === 423)).toEqual([]);
    expect(api.sessions()[0]?.sequenceIds).toEqual(texts.map((_, i) => i + 1));
  });

  it('a full queue refuses the message with QueueFullError and changes nothing else', async () => {
    const { api, session } = await harness({ session: { maxQueue: 1 } });
    await session.start();
    api.faults.next('send', { delayMs: 200 });
    const first = session.send('first');
    const second = session.send('second');
    await expect(session.send('third')).rejects.toBeInstanceOf(QueueFullError);
    expect((await first).text).toContain('first');
    expect((await second).text).toContain('second');
  });

  it('cancelling a waiting message drops it; cancelling the one in flight aborts its request', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('send', { delayMs: 300 });
    const inFlight = new AbortController();
    const waiting = new AbortController();
    const a = session.send('in flight', { signal: inFlight.signal });
    const b = session.send('waiting', { signal: waiting.signal });
    const c = session.send('after them');
    const checks = [
      expect(a).rejects.toBeInstanceOf(AbortError),
      expect(b).rejects.toBeInstanceOf(AbortError),
    ];
    waiting.abort();
    inFlight.abort();
    await Promise.all(checks);
    expect((await c).text).toContain('after them');
    const sentTexts = api.requests
      .filter((r) => r.route === 'send')
      .map((r) => (r.body as { message: { text: string } }).message.text);
    expect(sentTexts).not.toContain('waiting');
  });
});
