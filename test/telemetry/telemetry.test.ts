/**
 * Telemetry with the real OpenTelemetry SDK (in-memory exporters) against the emulator: the spans
 * of a conversation in the GenAI conventions, errors, retries, an expiry restart, a streamed turn,
 * the caller's context through the queue, content capture, the stability opt-in, the manager's
 * metrics, and no spans at all without an SDK.
 */
import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createConnection, createServer, type Server } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, StoreError, type ClientOptions } from '../../src/index.js';
import { AGENT_ID, harness } from '../client/helpers.js';
import { testSdk, useContextManager, type TestSdk } from './sdk.js';

let sdk: TestSdk;
let caller: Tracer;

beforeAll(() => useContextManager());

function withSdk(extra: Partial<NonNullable<ClientOptions['telemetry']>> = {}) {
  sdk = testSdk();
  caller = sdk.tracerProvider.getTracer('the-app');
  return {
    telemetry: {
      tracerProvider: sdk.tracerProvider,
      meterProvider: sdk.meterProvider,
      agentNames: { [AGENT_ID]: 'Order Helper' },
      ...extra,
    },
  } satisfies Partial<ClientOptions>;
}

/** Runs `f` inside a new span of the app (an HTTP request of the user's backend, say). */
async function inSpan<T>(name: string, f: () => Promise<T>): Promise<{ result: T; span: string }> {
  const span = caller.startSpan(name);
  try {
    const result = await context.with(trace.setSpan(context.active(), span), f);
    return { result, span: span.spanContext().spanId };
  } finally {
    span.end();
  }
}

const one = (spans: ReadableSpan[]): ReadableSpan => {
  expect(spans).toHaveLength(1);
  return spans[0]!;
};
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('telemetry with an SDK', () => {
  it('a conversation: start_session, one invoke_agent client span per turn, end_session', async () => {
    const { api, session } = await harness({ client: withSdk() });
    const greeting = await inSpan('GET /chat', () => session.start());
    const turn = await inSpan('POST /chat', () => session.send('where is my order?'));
    await session.end();

    const start = one(sdk.named('start_session'));
    expect(start.name).toBe('start_session Order Helper');
    expect(start.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(start)).toBe(greeting.span);
    const url = new URL(api.url);
    expect(start.attributes).toMatchObject({
      'gen_ai.operation.name': 'start_session',
      'gen_ai.provider.name': 'salesforce.agentforce',
      'gen_ai.agent.id': AGENT_ID,
      'gen_ai.agent.name': 'Order Helper',
      'gen_ai.conversation.id': turn.result.sessionId,
      'server.address': url.hostname,
      'server.port': Number(url.port),
    });

    const invoke = one(sdk.named('invoke_agent'));
    expect(invoke.name).toBe('invoke_agent Order Helper');
    expect(invoke.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(invoke)).toBe(turn.span);
    expect(invoke.status.code).not.toBe(SpanStatusCode.ERROR);
    const sent = api.requests.find((r) => r.route === 'send');
    expect(invoke.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'salesforce.agentforce',
      'gen_ai.agent.id': AGENT_ID,
      'gen_ai.conversation.id': turn.result.sessionId,
      'agentforce.sequence_id': turn.result.sequenceId,
      'agentforce.turn.outcome': 'completed',
      'http.response.header.x-request-id': [sent?.requestId],
      'agentforce.retries': 0,
      'agentforce.restarts': 0,
    });
    expect(invoke.attributes['agentforce.reply.message_types']).toEqual(
      turn.result.messages.map((m) => m.type),
    );
    for (const part of ['queue', 'token', 'start', 'retry_wait', 'request'])
      expect(typeof invoke.attributes[`agentforce.turn.${part}_ms`]).toBe('number');
    // Turns link to the span of their server session's start.
    expect(invoke.links.map((l) => l.context.spanId)).toEqual([start.spanContext().spanId]);
    expect(invoke.events.map((e) => e.name)).toEqual(['agentforce.message.sent']);
    // No content unless opted in.
    expect(invoke.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(invoke.attributes['gen_ai.output.messages']).toBeUndefined();

    const end = one(sdk.named('end_session'));
    expect(end.attributes).toMatchObject({
      'gen_ai.operation.name': 'end_session',
      'gen_ai.conversation.id': turn.result.sessionId,
      'agentforce.close.reason': 'ended',
      'agentforce.end.reason': 'UserRequest',
    });

    expect(
      await sdk.count('gen_ai.client.operation.duration', {
        'gen_ai.operation.name': 'invoke_agent',
      }),
    ).toBe(1);
    expect(
      await sdk.count('gen_ai.client.operation.duration', {
        'gen_ai.operation.name': 'start_session',
      }),
    ).toBe(1);
    expect(
      await sdk.count('gen_ai.client.operation.duration', {
        'gen_ai.operation.name': 'end_session',
      }),
    ).toBe(1);
    const [duration] = await sdk.points('gen_ai.client.operation.duration');
    expect(duration?.attributes['server.address']).toBe(url.hostname);
    expect(await sdk.sum('agentforce.sessions.open')).toBe(0);
    expect(await sdk.sum('agentforce.turns.in_flight')).toBe(0);
  });

  it('a failed turn: status ERROR, error.type = the typed code, counted by code', async () => {
    const { api, session } = await harness({ client: withSdk() });
    await session.start();
    api.faults.next('send', { status: 500 });
    const err = (await session.send('this fails').catch((e: unknown) => e)) as { code: string };
    expect(err.code).toBe('server_error');
    const invoke = one(sdk.named('invoke_agent'));
    expect(invoke.status.code).toBe(SpanStatusCode.ERROR);
    const failed = api.requests.find((r) => r.route === 'send');
    expect(invoke.attributes).toMatchObject({
      'error.type': 'server_error',
      'http.response.status_code': 500,
      'http.response.header.x-request-id': [failed?.requestId],
      'agentforce.turn.outcome': 'failed',
    });
    expect(await sdk.sum('agentforce.turns.failed', { 'error.type': 'server_error' })).toBe(1);
    expect(
      await sdk.count('gen_ai.client.operation.duration', { 'error.type': 'server_error' }),
    ).toBe(1);
  });

  it('retries are events of the turn with their wait, counted by cause', async () => {
    const { api, session } = await harness({ client: withSdk() });
    await session.start();
    api.faults.next('send', { status: 503, retryAfter: 0 });
    api.faults.next('send', { status: 429, retryAfter: 0 });
    await session.send('slowly');
    const invoke = one(sdk.named('invoke_agent'));
    const retries = invoke.events.filter((e) => e.name === 'agentforce.retry');
    expect(retries.map((e) => e.attributes?.['error.type'])).toEqual([
      'service_unavailable',
      'rate_limited',
    ]);
    expect(retries.map((e) => e.attributes?.['agentforce.retry.attempt'])).toEqual([1, 2]);
    expect(
      retries.every((e) => typeof e.attributes?.['agentforce.retry.delay_ms'] === 'number'),
    ).toBe(true);
    expect(invoke.attributes['agentforce.retries']).toBe(2);
    expect(await sdk.sum('agentforce.retries', { 'error.type': 'service_unavailable' })).toBe(1);
    expect(await sdk.sum('agentforce.retries', { 'error.type': 'rate_limited' })).toBe(1);
  });

  it('an expiry restart happens inside the turn that met it', async () => {
    const { api, session } = await harness({ client: withSdk() });
    await session.start();
    const first = session.sessionId!;
    api.expireSession(first);
    const turn = await session.send('are you there?');
    expect(turn.sessionId).not.toBe(first);
    const invoke = one(sdk.named('invoke_agent'));
    expect(invoke.events.map((e) => e.name)).toEqual([
      'agentforce.message.sent',
      'agentforce.session.expired',
      'agentforce.session.restarted',
      'agentforce.message.sent',
    ]);
    const restarted = invoke.events.find((e) => e.name === 'agentforce.session.restarted');
    expect(restarted?.attributes).toMatchObject({
      'gen_ai.conversation.id': turn.sessionId,
      'agentforce.previous_conversation.id': first,
    });
    expect(invoke.attributes['gen_ai.conversation.id']).toBe(turn.sessionId);
    expect(invoke.attributes['agentforce.restarts']).toBe(1);
    const starts = sdk.named('start_session');
    expect(starts).toHaveLength(2);
    expect(parentOf(starts[1]!)).toBe(invoke.spanContext().spanId);
    expect(
      await sdk.sum('agentforce.session.expiries', { 'agentforce.expiry.cause': 'server' }),
    ).toBe(1);
    expect(await sdk.sum('agentforce.session.restarts')).toBe(1);
    expect(await sdk.sum('agentforce.sessions.open')).toBe(1);
  });

  it("a streamed turn carries the server's trace id and the time to the first chunk", async () => {
    const tap = await startTap();
    try {
      // The Agent API through the tap, so the test reads the frames as they went over the wire.
      const { api, session: s } = await harness({
        client: { ...withSdk(), apiBaseUrl: tap.url },
        emulator: { streamChunkDelayMs: 0 },
      });
      tap.to(api.url);
      await s.start();
      const reply = s.stream('tell me about returns');
      for await (const _ of reply) void _;
      await reply.turn;
      const wire = tap.received();
      const traceIds = [...wire.matchAll(/"traceId":"([0-9a-f]+)"/g)].map((m) => m[1]);
      expect(traceIds.length).toBeGreaterThan(0);
      const invoke = one(sdk.named('invoke_agent'));
      expect(invoke.attributes['gen_ai.request.stream']).toBe(true);
      expect(invoke.attributes['agentforce.server.trace_id']).toBe(traceIds.at(-1));
      expect(typeof invoke.attributes['gen_ai.response.time_to_first_chunk']).toBe('number');
      expect(typeof invoke.attributes['agentforce.turn.agent_ms']).toBe('number');
      expect(await sdk.count('gen_ai.client.operation.time_to_first_chunk')).toBe(1);
    } finally {
      await tap.close();
    }
  });

  it("each queued message's span is a child of its own caller's span", async () => {
    const { session } = await harness({ client: withSdk() });
    await session.start();
    const [a, b, c] = await Promise.all([
      inSpan('request a', () => session.send('first')),
      inSpan('request b', () => session.send('second')),
      inSpan('request c', () => session.stream('third').turn),
    ]);
    const bySequence = sdk
      .named('invoke_agent')
      .sort(
        (x, y) =>
          (x.attributes['agentforce.sequence_id'] as number) -
          (y.attributes['agentforce.sequence_id'] as number),
      );
    expect(bySequence.map(parentOf)).toEqual([a.span, b.span, c.span]);
  });

  it('content only when opted in, and never a variable', async () => {
    const { session } = await harness({ client: withSdk({ captureContent: true }) });
    await session.start();
    const secretValue = 'VARIABLE-VALUE-7f3a';
    const turn = await session.send('where is my order?', {
      variables: [{ name: '$Context.Note', type: 'Text', value: secretValue }],
    });
    const invoke = one(sdk.named('invoke_agent'));
    expect(JSON.parse(invoke.attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'where is my order?' }] },
    ]);
    const output = JSON.parse(invoke.attributes['gen_ai.output.messages'] as string) as {
      parts: { content: string }[];
    }[];
    expect(output[0]?.parts.map((p) => p.content).join('\n\n')).toBe(turn.text);
    expect(JSON.stringify(sdk.spans().map((s) => [s.attributes, s.events]))).not.toContain(
      secretValue,
    );
  });

  describe('OTEL_SEMCONV_STABILITY_OPT_IN', () => {
    const saved = process.env['OTEL_SEMCONV_STABILITY_OPT_IN'];
    afterEach(() => {
      if (saved === undefined) delete process.env['OTEL_SEMCONV_STABILITY_OPT_IN'];
      else process.env['OTEL_SEMCONV_STABILITY_OPT_IN'] = saved;
    });

    it('by default the provider is also under its pre-1.37 name gen_ai.system', async () => {
      delete process.env['OTEL_SEMCONV_STABILITY_OPT_IN'];
      const { session } = await harness({ client: withSdk() });
      await session.send('hello');
      expect(one(sdk.named('invoke_agent')).attributes['gen_ai.system']).toBe(
        'salesforce.agentforce',
      );
    });

    it('gen_ai_latest_experimental: only the latest names', async () => {
      process.env['OTEL_SEMCONV_STABILITY_OPT_IN'] = 'http, gen_ai_latest_experimental';
      const { session } = await harness({ client: withSdk() });
      await session.send('hello');
      const invoke = one(sdk.named('invoke_agent'));
      expect(invoke.attributes['gen_ai.system']).toBeUndefined();
      expect(invoke.attributes['gen_ai.provider.name']).toBe('salesforce.agentforce');
    });
  });

  it('the manager: lease waits, live sessions, turns in flight, store errors', async () => {
    class FailingSave extends MemoryStore {
      failSaves = false;
      override save(...args: Parameters<MemoryStore['save']>) {
        if (this.failSaves) return Promise.reject(new StoreError('the disk is full'));
        return super.save(...args);
      }
    }
    const store = new FailingSave();
    const { client } = await harness({ client: withSdk() });
    const manager = client.conversations({ session: { agentId: AGENT_ID }, store });
    const turn = await inSpan('POST /chat', () => manager.send('user-1', 'hello'));
    await manager.send('user-2', 'hello');
    expect(
      await sdk.count('agentforce.manager.lease.wait', { 'agentforce.lease.outcome': 'acquired' }),
    ).toBe(2);
    expect(await sdk.sum('agentforce.manager.sessions.live')).toBe(2);
    expect(await sdk.sum('agentforce.manager.turns.in_flight')).toBe(0);
    store.failSaves = true;
    await manager.send('user-1', 'the reply still comes');
    expect(await sdk.sum('agentforce.manager.store.errors', { 'error.type': 'store' })).toBe(1);
    // The turn span is the caller's child through the manager's queue and lease.
    const first = sdk
      .named('invoke_agent')
      .find((s) => s.attributes['agentforce.sequence_id'] === turn.result.sequenceId);
    expect(parentOf(first!)).toBe(turn.span);
    await manager.endAll({ deadlineMs: 5_000 });
  });
});

describe('telemetry without an SDK', () => {
  it('a session made while no SDK is registered gets no observer; one made after does', async () => {
    sdk = testSdk();
    const { client, session } = await harness();
    trace.setGlobalTracerProvider(sdk.tracerProvider);
    try {
      await session.send('before the SDK');
      expect(sdk.spans()).toEqual([]);
      await client.session({ agentId: AGENT_ID }).send('after the SDK');
      expect(sdk.named('invoke_agent')).toHaveLength(1);
    } finally {
      trace.disable();
    }
  });

  it('telemetry: false turns it off even with an SDK', async () => {
    sdk = testSdk();
    trace.setGlobalTracerProvider(sdk.tracerProvider);
    try {
      const { session } = await harness({ client: { telemetry: false } });
      await session.send('hello');
      expect(sdk.spans()).toEqual([]);
    } finally {
      trace.disable();
    }
  });
});

/** A TCP tap: forwards to a target and keeps what the target sent back. */
async function startTap(): Promise<{
  url: string;
  to(url: string): void;
  received(): string;
  close(): Promise<void>;
}> {
  let target: URL | undefined;
  let received = '';
  const server: Server = createServer((down) => {
    const up = createConnection({ host: target!.hostname, port: Number(target!.port) });
    up.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    down.pipe(up);
    up.pipe(down);
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    to: (url) => (target = new URL(url)),
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.unref();
      }),
  };
}
