/**
 * The spans and metrics of one session, made from what its actor emits: an `invoke_agent` span
 * per message (from the moment the caller asks, in the caller's context), a `start_session` span
 * per server session started (a restart's inside the turn that needed it), an `end_session` span.
 */
import {
  SpanKind,
  SpanStatusCode,
  context,
  type Attributes,
  type Context,
  type Link,
  type SpanContext,
} from '@opentelemetry/api';
import type { Actor } from 'xstate';
import type { SessionMachine } from '../../machines/session.machine.js';
import type { ErrorInfo, SessionEmitted } from '../../machines/session.types.js';
import type { ResponseMessage } from '../api/index.js';
import { ATTR, EVENT, OP_END, OP_INVOKE, OP_START } from './conventions.js';
import { now, type TelemetryCore } from './core.js';
import { PhaseTrace, TurnTrace, errorAttributes } from './spans.js';

/** What a session tells its telemetry directly: a message asked for, in the caller's context. */
export interface SessionObserver {
  submitted(turnId: string, text: string, stream: boolean): void;
}

const TEXT_TYPES = new Set(['Inform', 'Inquire', 'Confirm', 'Failure', 'Escalate']);

/** `gen_ai.output.messages` of a reply: one assistant message with the text of each message. */
function outputMessages(messages: ResponseMessage[]): string {
  const parts = messages
    .filter((m) => TEXT_TYPES.has(m.type) && typeof m['message'] === 'string')
    .map((m) => ({ type: 'text', content: m['message'] as string }));
  return JSON.stringify([{ role: 'assistant', parts, finish_reason: 'stop' }]);
}

export class SessionTrace implements SessionObserver {
  readonly #t: TelemetryCore;
  readonly #agentId: string;
  readonly #turns = new Map<string, TurnTrace>();
  /** Messages asked for and not sent yet, in order (a session start works for the first). */
  #start: PhaseTrace | undefined;
  #end: PhaseTrace | undefined;
  /** The turn whose message met an expired session (the restart works for it). */
  #expiredTurn: TurnTrace | undefined;
  /** The span of the last session start seen here: every turn links to it. */
  #startSpan: SpanContext | undefined;
  #sessionId: string | null = null;
  #open = false;
  #done = false;

  constructor(t: TelemetryCore, actor: Actor<SessionMachine>) {
    this.#t = t;
    const snapshot = actor.getSnapshot();
    this.#agentId = snapshot.context.agentId;
    this.#sessionId = snapshot.context.sessionId;
    // A restored session with a server session is open here from now on.
    if (this.#sessionId !== null && snapshot.status === 'active') this.#opened(true);
    actor.on('*', (event) => this.#on(event));
    actor.subscribe({
      complete: () => this.#stopped(),
      error: () => this.#stopped(),
    });
  }

  submitted(turnId: string, text: string, stream: boolean): void {
    const t = this.#t;
    const attrs = t.baseAttributes(OP_INVOKE, this.#agentId);
    if (stream) attrs[ATTR.stream] = true;
    if (this.#sessionId !== null) attrs[ATTR.conversationId] = this.#sessionId;
    if (t.captureContent) {
      attrs[ATTR.inputMessages] = JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: text }] },
      ]);
    }
    const links: Link[] = this.#startSpan ? [{ context: this.#startSpan }] : [];
    const parent = context.active();
    const span = t.tracer.startSpan(
      t.spanName(OP_INVOKE, this.#agentId),
      { kind: SpanKind.CLIENT, attributes: attrs, links },
      parent,
    );
    this.#turns.set(turnId, new TurnTrace(span, parent));
    t.instruments?.turnsInFlight.add(1);
  }

  #on(event: SessionEmitted): void {
    switch (event.type) {
      case 'turn.sent': {
        const turn = this.#turns.get(event.turnId);
        if (!turn) return;
        const at = now();
        turn.sentAt ??= at;
        turn.lastSentAt = at;
        turn.span.setAttributes({
          [ATTR.conversationId]: event.sessionId,
          [ATTR.sequenceId]: event.sequenceId,
        });
        turn.span.addEvent(EVENT.sent, {
          [ATTR.sequenceId]: event.sequenceId,
          [ATTR.conversationId]: event.sessionId,
        });
        this.#t.setNext(turn);
        return;
      }
      case 'turn.stream': {
        const turn = this.#turns.get(event.turnId);
        if (turn && turn.firstChunkAt === undefined) turn.firstChunkAt = now();
        return;
      }
      case 'turn.completed': {
        const turn = this.#turns.get(event.turnId);
        if (!turn) return;
        const attrs: Attributes = {
          [ATTR.outcome]: 'completed',
          [ATTR.replyTypes]: event.messages.map((m) => m.type),
        };
        if (this.#t.captureContent) attrs[ATTR.outputMessages] = outputMessages(event.messages);
        this.#finishTurn(event.turnId, turn, attrs, undefined);
        return;
      }
      case 'turn.failed': {
        const turn = this.#turns.get(event.turnId);
        if (turn) this.#finishTurn(event.turnId, turn, {}, event.error);
        return;
      }
      case 'state':
        if (event.state === 'starting') this.#starting();
        else if (event.state === 'ending') this.#ending();
        return;
      case 'session.started':
        this.#started(event.sessionId, event.messages);
        return;
      case 'session.expired': {
        this.#t.instruments?.expiries.add(1, { [ATTR.expiryCause]: event.cause });
        if (this.#open) this.#opened(false);
        const turn = event.turnId === null ? undefined : this.#turns.get(event.turnId);
        this.#expiredTurn = turn;
        turn?.span.addEvent(EVENT.expired, {
          [ATTR.expiryCause]: event.cause,
          ...(event.sessionId === null ? {} : { [ATTR.conversationId]: event.sessionId }),
        });
        return;
      }
      case 'session.restarted': {
        this.#t.instruments?.restarts.add(1);
        const turn = this.#expiredTurn;
        this.#expiredTurn = undefined;
        if (!turn) return;
        turn.restarts++;
        turn.span.addEvent(EVENT.restarted, {
          [ATTR.conversationId]: event.sessionId,
          ...(event.previousSessionId === null
            ? {}
            : { [ATTR.previousSessionId]: event.previousSessionId }),
        });
        return;
      }
      case 'session.closed':
        this.#closed(event.outcome.reason, event.outcome.endReason, event.outcome.error);
        return;
      default:
        return;
    }
  }

  /** A server session is being started: for the first waiting message, or a restart. */
  #starting(): void {
    const owner = this.#expiredTurn ?? this.#firstWaiting();
    const parent = owner?.context ?? context.active();
    this.#start = this.#phase(OP_START, parent, owner);
  }

  #ending(): void {
    this.#end = this.#phase(OP_END, context.active(), undefined);
    if (this.#sessionId !== null) this.#end.span.setAttribute(ATTR.conversationId, this.#sessionId);
  }

  #phase(op: string, parent: Context, owner: TurnTrace | undefined): PhaseTrace {
    const t = this.#t;
    const span = t.tracer.startSpan(
      t.spanName(op, this.#agentId),
      { kind: SpanKind.CLIENT, attributes: t.baseAttributes(op, this.#agentId) },
      parent,
    );
    const phase = new PhaseTrace(span, parent, owner);
    t.setNext(phase);
    return phase;
  }

  #firstWaiting(): TurnTrace | undefined {
    for (const turn of this.#turns.values()) if (turn.sentAt === undefined) return turn;
    return undefined;
  }

  #started(sessionId: string, messages: ResponseMessage[]): void {
    this.#sessionId = sessionId;
    this.#opened(true);
    const phase = this.#start;
    this.#start = undefined;
    if (!phase) return;
    const attrs: Attributes = { [ATTR.conversationId]: sessionId };
    if (this.#t.captureContent && messages.length > 0)
      attrs[ATTR.outputMessages] = outputMessages(messages);
    phase.span.setAttributes(attrs);
    this.#startSpan = phase.span.spanContext();
    const owner = phase.owner;
    if (owner) {
      const end = now();
      const token = (phase.tokenAt ?? phase.startedAt) - phase.startedAt;
      owner.tokenMs += token;
      owner.startMs += Math.max(0, end - phase.startedAt - token - phase.retryWaitMs);
      if (owner.sentAt === undefined) owner.busyBeforeSentMs += end - phase.startedAt;
    }
    this.#endPhase(OP_START, phase, undefined);
  }

  #closed(reason: string, endReason: string | undefined, error: ErrorInfo | undefined): void {
    if (this.#start) {
      this.#endPhase(OP_START, this.#start, error ?? closedInfo(reason));
      this.#start = undefined;
    }
    if (this.#end) {
      const attrs: Attributes = { [ATTR.closeReason]: reason };
      if (endReason !== undefined) attrs[ATTR.endReason] = endReason;
      this.#end.span.setAttributes(attrs);
      this.#endPhase(OP_END, this.#end, reason === 'ended' ? error : undefined);
      this.#end = undefined;
    }
    if (this.#open) this.#opened(false);
  }

  /** The actor stopped (or failed) here: whatever is still open ends now. */
  #stopped(): void {
    if (this.#done) return;
    this.#done = true;
    const stopped: ErrorInfo = {
      name: 'SessionClosedError',
      code: 'session_closed',
      message: 'the session was stopped in this process',
    };
    for (const [turnId, turn] of this.#turns) this.#finishTurn(turnId, turn, {}, stopped);
    this.#closed('stopped', undefined, stopped);
  }

  #opened(open: boolean): void {
    this.#open = open;
    this.#t.instruments?.sessionsOpen.add(open ? 1 : -1);
  }

  #finishTurn(
    turnId: string,
    turn: TurnTrace,
    attrs: Attributes,
    error: ErrorInfo | undefined,
  ): void {
    this.#turns.delete(turnId);
    if (this.#expiredTurn === turn) this.#expiredTurn = undefined;
    const t = this.#t;
    const span = turn.span;
    span.setAttributes(t.serverAttributes());
    span.setAttributes(attrs);
    span.setAttributes(turn.timing());
    const chunk = turn.firstChunkAt;
    const since = turn.lastSentAt;
    const metricAttrs = t.baseAttributes(OP_INVOKE, this.#agentId);
    if (chunk !== undefined && since !== undefined && chunk >= since) {
      span.setAttribute(ATTR.timeToFirstChunk, (chunk - since) / 1000);
      t.instruments?.timeToFirstChunk.record((chunk - since) / 1000, metricAttrs);
    }
    if (error) {
      span.setAttributes({
        ...errorAttributes(error),
        [ATTR.outcome]: error.code === 'aborted' ? 'cancelled' : 'failed',
      });
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      metricAttrs[ATTR.errorType] = error.code;
      t.instruments?.turnsFailed.add(1, { [ATTR.errorType]: error.code });
    }
    t.instruments?.duration.record((now() - turn.startedAt) / 1000, metricAttrs);
    t.instruments?.turnsInFlight.add(-1);
    span.end();
  }

  #endPhase(op: string, phase: PhaseTrace, error: ErrorInfo | undefined): void {
    const t = this.#t;
    const metricAttrs = t.baseAttributes(op, this.#agentId);
    phase.span.setAttributes(t.serverAttributes());
    if (phase.retries > 0) phase.span.setAttribute(ATTR.retries, phase.retries);
    if (error) {
      phase.span.setAttributes(errorAttributes(error));
      phase.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      metricAttrs[ATTR.errorType] = error.code;
    }
    t.instruments?.duration.record((now() - phase.startedAt) / 1000, metricAttrs);
    phase.span.end();
  }
}

function closedInfo(reason: string): ErrorInfo {
  return {
    name: 'SessionClosedError',
    code: 'session_closed',
    message: `the session closed (${reason}) before it started`,
  };
}
