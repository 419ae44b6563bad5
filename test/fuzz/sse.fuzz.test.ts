/**
 * Fuzzing the streaming path: `toStreamEvent` on random frames; eventsource-parser fed the same
 * stream in random byte splits (the events must not depend on the split); and real streamed
 * turns through the client, with random multi-byte texts, over a proxy that cuts the server's
 * bytes at random places (so UTF-8 sequences and SSE lines arrive in pieces).
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toStreamEvent } from '../../src/actors/stream-message.js';
import { StreamEventTypeSchema } from '../../src/api/index.js';
import { startFakeAgentApi, inform, type FakeAgentApi } from '../../src/fake-server/index.js';
import { seededRandom } from '../../src/fake-server/random.js';
import {
  AgentforceClient,
  clientCredentials,
  isAgentforceError,
  type AgentSession,
} from '../../src/index.js';
import { isKnownCode } from '../../scripts/soak/ledger.js';
import { anyKnownMessage, truncated, unknownMessage } from './arbitraries.js';

const EVENT_NAMES = StreamEventTypeSchema.options;

const envelope = (message: unknown) =>
  JSON.stringify({
    timestamp: 1,
    originEventId: '1-REQ',
    traceId: 'a'.repeat(32),
    offset: 0,
    message,
  });

const frameData = fc.oneof(
  fc.oneof(anyKnownMessage, unknownMessage).map(envelope),
  fc.oneof(anyKnownMessage, unknownMessage).chain((m) => truncated(envelope(m))),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ maxLength: 50 }),
  fc.constantFrom('null', '', '{}', '[]', '{"message":null}', '{"messages":[]}', '{"status":"x"}'),
);

describe('toStreamEvent', () => {
  it('turns any frame into exactly one event or one typed error, never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...EVENT_NAMES), fc.string({ maxLength: 20 })),
        frameData,
        (event, data) => {
          const out = toStreamEvent({ event, data, id: undefined });
          expect((out.event === undefined) !== (out.error === undefined)).toBe(true);
          if (out.error) {
            expect(isAgentforceError(out.error)).toBe(true);
            expect(isKnownCode(out.error.code)).toBe(true);
          }
          if (out.event?.kind === 'message') expect(out.message).toBe(out.event.message);
          if (event === 'ERROR') expect(out.error).toBeDefined();
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('maps a valid envelope of each message type to its event kind', () => {
    fc.assert(
      fc.property(anyKnownMessage, (message) => {
        const type = message['type'] as string;
        const out = toStreamEvent({ event: 'INFORM', data: envelope(message), id: undefined });
        const kind = {
          ProgressIndicator: 'progress',
          TextChunk: 'delta',
          ValidationFailureChunk: 'validation-failure',
          EndOfTurn: 'end-of-turn',
        }[type];
        expect(out.event?.kind).toBe(kind ?? 'message');
        if (out.event?.kind === 'delta') expect(out.event.text).toBe(message['message']);
      }),
      { numRuns: 500 },
    );
  });
});

/** One SSE frame as the spec allows it: any line ending, optional id, comments, multi-line data. */
const sseFrame = fc
  .record({
    event: fc.constantFrom(...EVENT_NAMES),
    id: fc.option(
      fc.string({ unit: 'grapheme-ascii', maxLength: 8 }).map((s) => s.replace(/[\r\n]/g, '')),
      {
        nil: undefined,
      },
    ),
    lines: fc.array(
      fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
        .map((s) => s.replace(/[\r\n]/g, ' ')),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
    comment: fc.boolean(),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
  })
  .map(({ event, id, lines, comment, eol }) => {
    const parts = [comment ? ': keep-alive' : undefined, `event: ${event}`];
    if (id !== undefined) parts.push(`id: ${id}`);
    for (const line of lines) parts.push(`data: ${line}`);
    return parts.filter((p) => p !== undefined).join(eol) + eol + eol;
  });

/** Feeds bytes to a parser the way the client does: chunk by chunk through a streaming decoder. */
function parseChunks(chunks: readonly Uint8Array[]): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  const decoder = new TextDecoder();
  for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }));
  parser.feed(decoder.decode());
  return events;
}

function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
}

describe('eventsource-parser under random byte splits', () => {
  it('yields the same events whatever the split, multi-byte characters included', () => {
    fc.assert(
      fc.property(
        fc.array(sseFrame, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames, cuts) => {
          // A trailing comment line: a lone CR at the very end could still be the start of CRLF.
          const bytes = new TextEncoder().encode(frames.join('') + ': end\n');
          const whole = parseChunks([bytes]);
          expect(whole).toHaveLength(frames.length);
          expect(parseChunks(split(bytes, cuts))).toEqual(whole);
          // One byte at a time: every UTF-8 sequence and every line ending is cut.
          expect(parseChunks(split(bytes, [...bytes.keys()]))).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * A TCP proxy that forwards requests as they are and cuts every chunk of the server's replies
 * into random pieces, written one by one with a pause between them.
 */
async function startSplittingProxy(
  target: number,
  seed: () => number,
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = createConnection({ port: target, host: '127.0.0.1' });
    upstream.setNoDelay(true);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let queue = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      upstream.pause();
      queue = queue.then(async () => {
        let from = 0;
        while (from < chunk.length) {
          const size = 1 + Math.floor(seed() * Math.min(48, chunk.length - from));
          if (client.destroyed) return;
          client.write(chunk.subarray(from, from + size));
          from += size;
          // Mostly a turn of the event loop, now and then a real pause, so pieces arrive apart.
          await new Promise((r) => (seed() < 0.2 ? setTimeout(r, 1) : setImmediate(r)));
        }
        upstream.resume();
      });
    });
    upstream.on('end', () => void queue.then(() => client.end()));
    const destroy = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', destroy);
    upstream.on('error', destroy);
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('streamed turns through the client, bytes cut at random', () => {
  let api: FakeAgentApi;
  let proxy: { port: number; close: () => Promise<void> };
  let client: AgentforceClient;
  let session: AgentSession;
  let replyText = '';
  // Where the proxy cuts: seeded by each property run, so a failing run replays.
  let random = seededRandom(0);
  const next = () => random();

  beforeAll(async () => {
    api = await startFakeAgentApi({
      anyAgentId: true,
      clientId: 'fuzz',
      clientSecret: 'fuzz-secret',
      streamChunkDelayMs: 0,
      agent: () => [inform(replyText)],
    });
    proxy = await startSplittingProxy(api.port, next);
    const viaProxy = `http://127.0.0.1:${proxy.port}`;
    client = new AgentforceClient({
      // Tokens straight from the emulator (the org's My Domain); the Agent API through the proxy.
      myDomainUrl: api.url,
      apiBaseUrl: viaProxy,
      auth: clientCredentials({ clientId: 'fuzz', clientSecret: 'fuzz-secret' }),
      timeoutMs: 10_000,
    });
    session = client.session({ agentId: '0XxFUZZ000000001AA' });
    await session.start();
  });
  afterAll(async () => {
    await session?.end().catch(() => undefined);
    client?.close();
    await proxy?.close();
    await api?.close();
  });

  const replyTexts = fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }),
    fc
      .array(fc.constantFrom('é', '日本', '👋🏽', '𝄞', 'ß', ' ', 'word ', '\n', 'Ω≈ç√', '👨‍👩‍👧'), {
        minLength: 1,
        maxLength: 30,
      })
      .map((parts) => parts.join('')),
  );

  it('deltas add up to the reply’s text, and the reply is whole, whatever the cuts', async () => {
    await fc.assert(
      fc.asyncProperty(
        replyTexts,
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.boolean(),
        async (text, seed, regenerate) => {
          replyText = text;
          random = seededRandom(seed);
          // Now and then the text shown so far fails validation and is sent again.
          if (regenerate) api.faults.next('stream', { validationFailure: true, afterChunks: 1 });
          const reply = session.stream('go on');
          let shown = '';
          for await (const ev of reply) {
            if (ev.kind === 'delta') shown += ev.text;
            else if (ev.kind === 'validation-failure') shown = '';
          }
          const turn = await reply.turn;
          expect(shown).toBe(text);
          expect(turn.messages.find((m) => m.type === 'Inform')?.['message']).toBe(text);
          const sync = await session.send('again');
          expect(sync.messages[0]?.['message']).toBe(text);
        },
      ),
      { numRuns: 30 },
    );
    expect(session.state).toBe('awaitingInput');
  });
});
