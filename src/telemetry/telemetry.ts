/**
 * A client's telemetry: spans and metrics through `@opentelemetry/api` only. With no SDK
 * registered (and no provider given) a session gets no observer at all: nothing is listened to,
 * nothing is made.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  context,
  createNoopMeter,
  metrics,
  trace,
  type Attributes,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { Actor, AnyActorLogic } from 'xstate';
import type { SessionMachine } from '../../machines/session.machine.js';
import type { RetryNotice } from '../http/retry.js';
import { ATTR, PROVIDER, SCHEMA_URL, contentOptIn, latestExperimentalOnly } from './conventions.js';
import type { FrameInfo, Scope, TelemetryCore } from './core.js';
import { createInstruments, type Instruments } from './instruments.js';
import type { ManagerObserver } from '../manager/session-manager.js';
import { ManagerMetrics } from './manager-metrics.js';
import type { TelemetryOptions } from './options.js';
import { SessionTrace, type SessionObserver } from './session-trace.js';

const SCOPE_NAME = 'agentforce-session';
const NoopMeter = createNoopMeter().constructor;

/** The actors of the session machine that do a request for a span. */
const TRACED_ACTORS = ['authorize', 'startSession', 'sendMessage', 'streamMessage', 'endSession'];

export class Telemetry implements TelemetryCore {
  readonly tracer: Tracer;
  readonly captureContent: boolean;
  readonly #options: TelemetryOptions;
  readonly #latestOnly: boolean;
  readonly #apiBase: () => string | undefined;
  #server: { base: string; attrs: Attributes } | undefined;
  #instruments: Instruments | undefined;
  #managers: ManagerMetrics | undefined;
  #storage: AsyncLocalStorage<Scope> | undefined;
  #next: Scope | undefined;
  #clearing = false;

  /**
   * `apiBase` tells the Agent API host in use (for `server.address` and `server.port`), once
   * known (with no `apiBaseUrl` option, the first token tells it).
   */
  constructor(options: TelemetryOptions, apiBase: () => string | undefined) {
    this.#options = options;
    this.#apiBase = apiBase;
    this.#latestOnly = latestExperimentalOnly();
    this.captureContent = options.captureContent ?? contentOptIn();
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
      SCOPE_NAME,
      undefined,
      { schemaUrl: SCHEMA_URL },
    );
  }

  get instruments(): Instruments | undefined {
    if (this.#instruments) return this.#instruments;
    const meter = (this.#options.meterProvider ?? metrics.getMeterProvider()).getMeter(
      SCOPE_NAME,
      undefined,
      { schemaUrl: SCHEMA_URL },
    );
    // The metrics API has no proxy: wait for a real meter rather than keep no-op instruments.
    if (meter instanceof NoopMeter) return undefined;
    this.#instruments = createInstruments(meter);
    return this.#instruments;
  }

  /** Whether anything would record: a provider was given, or an SDK is registered. */
  get active(): boolean {
    if (this.#options.tracerProvider || this.#options.meterProvider) return true;
    const provider = trace.getTracerProvider() as TracerProvider & {
      getDelegateTracer?: (name: string) => Tracer | undefined;
    };
    if (typeof provider.getDelegateTracer !== 'function') return true;
    return provider.getDelegateTracer(SCOPE_NAME) !== undefined || this.instruments !== undefined;
  }

  /** The observer of a new session's actor, or `undefined` when nothing would record. */
  observe(actor: Actor<SessionMachine>): SessionObserver | undefined {
    if (!this.active) return undefined;
    return new SessionTrace(this, actor);
  }

  /**
   * The observer of a new session manager (lease waits, store errors, live sessions, turns in
   * flight), or `undefined` when nothing would record.
   */
  observeManager(): ManagerObserver | undefined {
    if (!this.active) return undefined;
    const instruments = this.instruments;
    if (!instruments) return undefined;
    this.#managers ??= new ManagerMetrics(instruments);
    return this.#managers.observer();
  }

  baseAttributes(op: string, agentId: string): Attributes {
    const attrs: Attributes = {
      [ATTR.operation]: op,
      [ATTR.provider]: PROVIDER,
      [ATTR.agentId]: agentId,
      ...this.serverAttributes(),
    };
    if (!this.#latestOnly) attrs[ATTR.system] = PROVIDER;
    const name = this.#options.agentNames?.[agentId];
    if (name !== undefined) attrs[ATTR.agentName] = name;
    return attrs;
  }

  spanName(op: string, agentId: string): string {
    const name = this.#options.agentNames?.[agentId];
    return name === undefined ? op : `${op} ${name}`;
  }

  setNext(scope: Scope): void {
    this.#next = scope;
    if (this.#clearing) return;
    this.#clearing = true;
    queueMicrotask(() => {
      this.#next = undefined;
      this.#clearing = false;
    });
  }

  /**
   * The machine's actors, each run in the scope of the span it works for: the OpenTelemetry
   * context is that span's (so HTTP instrumentation nests under it) and retries, replies and
   * frames of its requests find it.
   */
  wrapActors<T extends Record<string, AnyActorLogic>>(actors: T): T {
    const out: Record<string, AnyActorLogic> = { ...actors };
    for (const src of TRACED_ACTORS) {
      const logic = actors[src];
      const start = logic?.start;
      if (!logic || !start) continue;
      out[src] = {
        ...logic,
        start: (snapshot, actorScope) => {
          const scope = this.#next ?? this.#storage?.getStore();
          this.#next = undefined;
          if (!scope) return start.call(logic, snapshot, actorScope);
          scope.actorStarted(src);
          this.#storage ??= new AsyncLocalStorage<Scope>();
          const storage = this.#storage;
          return context.with(scope.context, () =>
            storage.run(scope, () => start.call(logic, snapshot, actorScope)),
          );
        },
      } as AnyActorLogic;
    }
    return out as T;
  }

  /** A request is about to be repeated (the client's `onRetry`). */
  retried(notice: RetryNotice): void {
    this.#instruments?.retries.add(1, {
      [ATTR.errorType]: notice.error.code,
      [ATTR.request]: notice.what,
    });
    this.#storage?.getStore()?.retry(notice);
  }

  /** A 2xx reply arrived. */
  responded(requestId: unknown): void {
    this.#storage?.getStore()?.response(typeof requestId === 'string' ? requestId : undefined);
  }

  /** A frame of a streamed reply arrived, with its data (JSON). */
  framed(data: string): void {
    const scope = this.#storage?.getStore();
    if (!scope) return;
    let envelope: { traceId?: unknown; timestamp?: unknown; originEventId?: unknown };
    try {
      envelope = (JSON.parse(data) ?? {}) as typeof envelope;
    } catch {
      return; // the stream actor reports a malformed frame
    }
    const info: FrameInfo = {};
    if (typeof envelope.traceId === 'string') info.traceId = envelope.traceId;
    if (typeof envelope.timestamp === 'number') info.timestamp = envelope.timestamp;
    if (typeof envelope.originEventId === 'string') info.originEventId = envelope.originEventId;
    scope.frame(info);
  }

  serverAttributes(): Attributes {
    const base = this.#apiBase();
    if (base === undefined) return {};
    if (this.#server?.base === base) return this.#server.attrs;
    const attrs: Attributes = {};
    try {
      const url = new URL(base);
      attrs[ATTR.serverAddress] = url.hostname;
      attrs[ATTR.serverPort] = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    } catch {
      // not a URL: no server attributes
    }
    this.#server = { base, attrs };
    return attrs;
  }
}
