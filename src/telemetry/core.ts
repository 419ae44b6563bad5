/**
 * What the parts of the telemetry share: the tracer, the instruments, the common attributes, and
 * the scope a request of the HTTP layer runs in (so a retry or a streamed frame finds its span).
 */
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { RetryNotice } from '../http/retry.js';
import type { Instruments } from './instruments.js';

/** What a streamed frame tells about the server's side of the turn. */
export interface FrameInfo {
  /** The server's trace id (`traceId` of the frame). */
  traceId?: string | undefined;
  /** When the server sent the frame (epoch ms). */
  timestamp?: number | undefined;
  /** `<epoch ms>-REQ`: when the server took the request. */
  originEventId?: string | undefined;
}

/** The span a request of the HTTP layer works for, and what it wants to know about it. */
export interface Scope {
  readonly span: Span;
  readonly context: Context;
  /** The client is about to wait and repeat a request. */
  retry(notice: RetryNotice): void;
  /** A 2xx reply arrived, with its `X-Request-ID` if any. */
  response(requestId: string | undefined): void;
  /** A frame of a streamed reply arrived. */
  frame(info: FrameInfo): void;
  /** The machine started the actor named `src` in this scope (e.g. `startSession`: the token is there). */
  actorStarted(src: string): void;
}

/** What a session's telemetry needs from the client's. */
export interface TelemetryCore {
  readonly tracer: Tracer;
  readonly instruments: Instruments | undefined;
  readonly captureContent: boolean;
  /** Attributes of every span and duration of an operation (`gen_ai.operation.name` = `op`). */
  baseAttributes(op: string, agentId: string): Attributes;
  /** `server.address` and `server.port` of the Agent API, once known. */
  serverAttributes(): Attributes;
  /** `{op} {agent name}`, or `{op}` when the name is not known. */
  spanName(op: string, agentId: string): string;
  /** The scope the next actor started by the machine works in (in the same synchronous step). */
  setNext(scope: Scope): void;
}

/** Milliseconds now, for durations (monotonic). */
export const now = (): number => performance.now();
