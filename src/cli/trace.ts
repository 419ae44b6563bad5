/**
 * `chat --trace`: each turn's timing breakdown, printed from the library's own `invoke_agent`
 * spans. A tracer provider that keeps nothing: it reads a span's attributes when it ends (no
 * OpenTelemetry SDK needed).
 */
import {
  INVALID_SPAN_CONTEXT,
  context,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Span,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';

/** One line for a turn's span: its total and where the time went, in ms. */
export function formatTurnTiming(attrs: Attributes, totalMs: number): string {
  const ms = (key: string) => Math.round(Number(attrs[`agentforce.turn.${key}_ms`] ?? 0));
  const retries = Number(attrs['agentforce.retries'] ?? 0);
  const agent = attrs['agentforce.turn.agent_ms'];
  const parts = [
    `token ${ms('token')}`,
    `queue ${ms('queue')}`,
    `start ${ms('start')}`,
    `retries ${ms('retry_wait')} (${retries})`,
    `request ${ms('request')}${agent === undefined ? '' : ` (agent ${Math.round(Number(agent))})`}`,
  ];
  const seq = attrs['agentforce.sequence_id'];
  const failed = attrs['error.type'];
  const restarts = Number(attrs['agentforce.restarts'] ?? 0);
  return [
    `trace: turn ${seq === undefined ? '-' : String(seq)}: ${Math.round(totalMs)} ms = ${parts.join(' + ')}`,
    restarts > 0 ? ` · ${restarts} restart(s)` : '',
    failed === undefined ? '' : ` · failed: ${String(failed)}`,
  ].join('');
}

class TimedSpan implements Span {
  readonly #attrs: Attributes = {};
  readonly #started = performance.now();
  readonly #onEnd: (attrs: Attributes, ms: number) => void;

  constructor(attrs: Attributes | undefined, onEnd: (attrs: Attributes, ms: number) => void) {
    Object.assign(this.#attrs, attrs);
    this.#onEnd = onEnd;
  }
  spanContext() {
    return INVALID_SPAN_CONTEXT;
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.#attrs[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.#attrs, attributes);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(_status: SpanStatus): this {
    return this;
  }
  updateName(): this {
    return this;
  }
  end(): void {
    this.#onEnd(this.#attrs, performance.now() - this.#started);
  }
  isRecording(): boolean {
    return true;
  }
  recordException(): void {}
}

/** A tracer provider that tells `print` the timing of every turn as it ends. */
export function turnTimingTracer(print: (line: string) => void): TracerProvider {
  const onEnd = (attrs: Attributes, ms: number) => {
    if (attrs['gen_ai.operation.name'] === 'invoke_agent') print(formatTurnTiming(attrs, ms));
  };
  const tracer: Tracer = {
    startSpan: (_name: string, options?: SpanOptions) => new TimedSpan(options?.attributes, onEnd),
    startActiveSpan: (name: string, ...args: unknown[]): unknown => {
      const fn = args.at(-1) as (span: Span) => unknown;
      const span = tracer.startSpan(name, args[0] as SpanOptions | undefined);
      const parent = args.length === 3 ? (args[1] as Context) : context.active();
      return context.with(trace.setSpan(parent, span), fn, undefined, span);
    },
  };
  return { getTracer: () => tracer };
}
