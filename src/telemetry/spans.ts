/**
 * The spans a session's telemetry keeps open: a message (`TurnTrace`) and the start or end of a
 * server session (`PhaseTrace`), each counting its retries and the timing its span reports.
 */
import { trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { ErrorInfo } from '../../machines/session.types.js';
import type { RetryNotice } from '../http/retry.js';
import { ATTR, EVENT } from './conventions.js';
import { now, type FrameInfo, type Scope } from './core.js';

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** The attributes that describe a typed error on a span or an event. */
export function errorAttributes(error: ErrorInfo): Attributes {
  const attrs: Attributes = { [ATTR.errorType]: error.code };
  if (error.status !== undefined) attrs[ATTR.httpStatus] = error.status;
  if (error.requestId !== undefined) attrs[ATTR.requestId] = [error.requestId];
  return attrs;
}

/** What a span of this session shares: retries as events, the request id, the timing. */
export abstract class Traced implements Scope {
  readonly span: Span;
  readonly context: Context;
  readonly startedAt = now();
  retries = 0;
  retryWaitMs = 0;

  constructor(span: Span, parent: Context) {
    this.span = span;
    this.context = trace.setSpan(parent, span);
  }

  retry(notice: RetryNotice): void {
    this.retries++;
    this.retryWaitMs += notice.delayMs;
    const attrs: Attributes = {
      ...errorAttributes(notice.error),
      [ATTR.attempt]: notice.attempt,
      [ATTR.delayMs]: notice.delayMs,
      [ATTR.request]: notice.what,
    };
    this.span.addEvent(EVENT.retry, attrs);
  }

  response(requestId: string | undefined): void {
    if (requestId !== undefined) this.span.setAttribute(ATTR.requestId, [requestId]);
  }

  frame(_info: FrameInfo): void {}
  actorStarted(_src: string): void {}
}

/** One message: from the caller's `send()`/`stream()` to its reply or typed failure. */
export class TurnTrace extends Traced {
  sentAt: number | undefined;
  firstChunkAt: number | undefined;
  lastSentAt: number | undefined;
  restarts = 0;
  tokenMs = 0;
  startMs = 0;
  /** Time spent starting a session (token, start, its retries) before the message went out. */
  busyBeforeSentMs = 0;
  agentMs: number | undefined;
  serverTraceId: string | undefined;

  override frame(info: FrameInfo): void {
    if (this.firstChunkAt === undefined) this.firstChunkAt = now();
    if (info.traceId !== undefined && info.traceId !== this.serverTraceId) {
      this.serverTraceId = info.traceId;
      this.span.setAttribute(ATTR.serverTraceId, info.traceId);
    }
    const origin = Number.parseInt(info.originEventId ?? '', 10);
    if (info.timestamp !== undefined && Number.isFinite(origin)) {
      this.agentMs = Math.max(0, info.timestamp - origin);
    }
  }

  /** The timing breakdown, in ms: queue, token, start, retry waits, request, agent. */
  timing(): Attributes {
    const total = now() - this.startedAt;
    const queue = Math.max(0, (this.sentAt ?? now()) - this.startedAt - this.busyBeforeSentMs);
    const request = Math.max(0, total - queue - this.tokenMs - this.startMs - this.retryWaitMs);
    const attrs: Attributes = {
      [ATTR.queueMs]: round(queue),
      [ATTR.tokenMs]: round(this.tokenMs),
      [ATTR.startMs]: round(this.startMs),
      [ATTR.retryWaitMs]: this.retryWaitMs,
      [ATTR.requestMs]: round(request),
      [ATTR.retries]: this.retries,
      [ATTR.restarts]: this.restarts,
    };
    if (this.agentMs !== undefined) attrs[ATTR.agentMs] = this.agentMs;
    return attrs;
  }
}

/** Starting or ending a server session. */
export class PhaseTrace extends Traced {
  /** When the token was there (the start request began). */
  tokenAt: number | undefined;

  constructor(
    span: Span,
    parent: Context,
    /** The turn that waits for this phase, if any. */
    readonly owner: TurnTrace | undefined,
  ) {
    super(span, parent);
  }

  override retry(notice: RetryNotice): void {
    super.retry(notice);
    this.owner?.retry(notice);
  }

  override actorStarted(src: string): void {
    if (src === 'startSession') this.tokenAt ??= now();
  }
}
