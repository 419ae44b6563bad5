/**
 * One trace across two processes: the app's request span is propagated (W3C `traceparent`) to
 * two nodes that share a conversation through Redis; each node's `invoke_agent` span is a child
 * of that request span, and both name the same server session.
 */
import { context, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgentApi, type FakeAgentApi } from '../../src/fake-server/index.js';
import { startRedis, uniquePrefix, type TestRedis } from '../stores/redis-server.js';
import { testSdk } from './sdk.js';

const NODE = fileURLToPath(new URL('./fixtures/node.ts', import.meta.url));
const AGENT_ID = '0XxTRACE0000001AAA';

interface NodeSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
}

class Node {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  readonly #rl: Interface;
  stderr = '';

  constructor(env: NodeJS.ProcessEnv) {
    this.#child = spawn(process.execPath, ['--import', 'tsx', NODE], { env });
    this.#child.stderr.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.#rl = createInterface({ input: this.#child.stdout });
    this.#lines = this.#rl[Symbol.asyncIterator]();
  }

  async send(
    traceparent: string,
    key: string,
    text: string,
  ): Promise<{ sessionId: string; spans: NodeSpan[] }> {
    this.#child.stdin.write(`${JSON.stringify({ traceparent, key, text })}\n`);
    const next = await this.#lines.next();
    if (next.done) throw new Error(`node exited: ${this.stderr}`);
    return JSON.parse(next.value) as { sessionId: string; spans: NodeSpan[] };
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    this.#rl.close();
  }
}

describe('telemetry across processes', () => {
  let redis: TestRedis;
  let api: FakeAgentApi;
  let nodes: Node[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    api = await startFakeAgentApi({
      anyAgentId: true,
      clientId: 'trace-client',
      clientSecret: 'trace-secret',
    });
    const env = {
      ...process.env,
      REDIS_URL: redis.url,
      PREFIX: uniquePrefix('telemetry'),
      API_URL: api.url,
      CLIENT_ID: 'trace-client',
      CLIENT_SECRET: 'trace-secret',
      AGENT_ID,
    };
    nodes = [new Node(env), new Node(env)];
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await api?.close();
    await redis?.stop();
  });

  it("two nodes' turns of one conversation are children of the app's request span", async () => {
    const sdk = testSdk();
    const request = sdk.tracerProvider.getTracer('the-app').startSpan('POST /support-chat');
    const carrier: Record<string, string> = {};
    const propagator = new W3CTraceContextPropagator();
    propagator.inject(trace.setSpan(context.active(), request), carrier, {
      set: (c, k, v) => (c[k] = v),
    });
    const traceparent = carrier['traceparent']!;
    const [a, b] = nodes as [Node, Node];

    const first = await a.send(traceparent, 'customer-42', 'where is my order?');
    const second = await b.send(traceparent, 'customer-42', 'and when will it arrive?');
    request.end();

    const { traceId, spanId } = request.spanContext();
    const invokeA = first.spans.filter((s) => s.name === 'invoke_agent');
    const invokeB = second.spans.filter((s) => s.name === 'invoke_agent');
    expect(invokeA, a.stderr).toHaveLength(1);
    expect(invokeB, b.stderr).toHaveLength(1);
    for (const span of [...invokeA, ...invokeB]) {
      expect(span.traceId).toBe(traceId);
      expect(span.parentSpanId).toBe(spanId);
    }
    // The second node took the conversation from the store: same server session, next sequence.
    expect(second.sessionId).toBe(first.sessionId);
    expect(invokeB[0]!.attributes['gen_ai.conversation.id']).toBe(first.sessionId);
    expect(invokeA[0]!.attributes['gen_ai.conversation.id']).toBe(first.sessionId);
    expect(invokeB[0]!.attributes['agentforce.sequence_id']).toBeGreaterThan(
      invokeA[0]!.attributes['agentforce.sequence_id'] as number,
    );
    // The session started on the first node, inside its turn.
    const start = first.spans.find((s) => s.name === 'start_session');
    expect(start?.parentSpanId).toBe(invokeA[0]!.spanId);
    expect(start?.traceId).toBe(traceId);
    expect(second.spans.some((s) => s.name === 'start_session')).toBe(false);
  }, 60_000);
});
