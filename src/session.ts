/**
 * `AgentSession`: one conversation with an agent, driven by its session actor.
 */
import { nanoid } from 'nanoid';
import type { Actor } from 'xstate';
import type { SessionMachine } from '../machines/session.machine.js';
import type {
  SessionEmitted,
  SessionEvent,
  SessionOutcome,
  TopLevelState,
  TransferReport,
} from '../machines/session.types.js';
import {
  EndReasonSchema,
  type EndReason,
  type ResponseMessage,
  type Variable,
} from './api/index.js';
import { AbortError, AgentforceError, InvalidArgumentError, SessionClosedError } from './errors.js';
import { errorFromInfo } from './error-info.js';
import {
  feedbackBody,
  feedbackIdOf,
  type FeedbackOptions,
  type FeedbackRating,
  type FeedbackSender,
  type FeedbackTarget,
} from './feedback.js';
import { checkVariables } from './options.js';
import { wrapSnapshot, type PersistedSession } from './snapshot.js';
import type { SessionObserver } from './telemetry/session-trace.js';
import { toTurn, type Turn } from './turn.js';
import { turnStream, type TurnStream } from './turn-stream.js';

/** Options of one message. */
export interface SendOptions {
  /** The id of the `Inquire` or `Confirm` this message answers. */
  inReplyToMessageId?: string | undefined;
  /** Editable variables to set with this message. */
  variables?: Variable[] | undefined;
  /** Cancels the message: aborted if in flight, dropped if waiting; the promise rejects with {@link AbortError}. */
  signal?: AbortSignal | undefined;
}

/** Options of {@link AgentSession.reportTransfer}. */
export interface TransferOptions {
  /** The `Escalate` message this reports on. @default the last `Escalate` this session received */
  inReplyToMessageId?: string | undefined;
  /** Cancels the report, as for a message. */
  signal?: AbortSignal | undefined;
}

/** Messages whose rating {@link AgentSession.feedback} can find by id (at least the latest are kept). */
const MAX_RATEABLE = 256;

type Emitted<T extends SessionEmitted['type']> = Extract<SessionEmitted, { type: T }>;
type PendingTurnEvent = Extract<SessionEvent, { type: 'SEND' }>;

interface Waiter {
  resolve: (turn: Turn) => void;
  reject: (error: Error) => void;
}

/**
 * One conversation with an agent. Create it with {@link AgentforceClient.session}; nothing is sent
 * before {@link AgentSession.start} or the first {@link AgentSession.send}.
 *
 * @example
 * ```ts
 * const session = client.session({ agentId: '0XxSB000000IPCr0AO' });
 * const greeting = await session.start();
 * const turn = await session.send('Where is my order?');
 * console.log(turn.text);
 * await session.end();
 * ```
 */
export class AgentSession {
  /** The underlying XState actor: subscribe to it, inspect it, or read its snapshot. */
  readonly actor: Actor<SessionMachine>;
  readonly #maxMessageLength: number;
  /** Made on the first message: an idle session holds no map. */
  #waiters: Map<string, Waiter> | undefined;
  #greeting: Turn | undefined;
  #startWaiters: Waiter[] | undefined;
  #fatal: Error | undefined;
  readonly #observer: SessionObserver | undefined;
  readonly #sendFeedback: FeedbackSender | undefined;
  /**
   * The recent reply messages that can be rated, oldest first, flat: message id, server session
   * id, `feedbackId`, then the next message. Made on the first such message; a flat array holds a
   * session's one rateable reply in a fraction of what a `Map` of objects takes.
   */
  #rateable: string[] | undefined;
  #lastEscalateId: string | undefined;

  /**
   * @internal Use {@link AgentforceClient.session} or {@link AgentforceClient.restore}.
   * `onSettled` is called once the actor is done or failed (one observer per session, not two);
   * `observer` (telemetry) is told of each message in the caller's context; `sendFeedback` is the
   * client's feedback request.
   */
  constructor(
    actor: Actor<SessionMachine>,
    maxMessageLength: number,
    onSettled?: () => void,
    observer?: SessionObserver,
    sendFeedback?: FeedbackSender,
  ) {
    this.actor = actor;
    this.#maxMessageLength = maxMessageLength;
    this.#observer = observer;
    this.#sendFeedback = sendFeedback;
    actor.on('*', (event) => this.#onEmitted(event));
    actor.subscribe({
      error: (err) => {
        this.#onActorError(err);
        onSettled?.();
      },
      ...(onSettled ? { complete: onSettled } : {}),
    });
  }

  /** The top-level state: `idle`, `starting`, `active`, `awaitingInput`, `expired`, `ending`, `closed`. */
  get state(): TopLevelState {
    const value = this.actor.getSnapshot().value;
    return (typeof value === 'string' ? value : Object.keys(value)[0]) as TopLevelState;
  }

  /** The current server session id, once started. */
  get sessionId(): string | null {
    return this.actor.getSnapshot().context.sessionId;
  }

  /** Why the session closed, once it is `closed`. */
  get outcome(): SessionOutcome | undefined {
    const snap = this.actor.getSnapshot();
    return snap.status === 'done' ? snap.output : undefined;
  }

  /** The id of the question (`Inquire`/`Confirm`) the agent is waiting for an answer to. */
  get pendingQuestionId(): string | null {
    return this.actor.getSnapshot().context.pendingQuestionId;
  }

  /**
   * Starts the server session and resolves with the agent's greeting. Calling it again returns
   * the same greeting; on a restored session it resolves with the current session and no messages.
   */
  start(): Promise<Turn> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    const state = this.state;
    if (state === 'closed' || state === 'ending') return Promise.reject(this.#closedError());
    if (this.#greeting) return Promise.resolve(this.#greeting);
    const sessionId = this.sessionId;
    if (sessionId !== null && state !== 'starting') {
      return Promise.resolve(toTurn(sessionId, undefined, []));
    }
    return new Promise<Turn>((resolve, reject) => {
      (this.#startWaiters ??= []).push({ resolve, reject });
      if (state === 'idle') this.actor.send({ type: 'START' });
    });
  }

  /**
   * Sends a user message and resolves with the agent's reply. Starts the session if needed.
   * Messages sent while another is in flight wait their turn, in order. Rejects with a typed
   * error (see docs/errors.md) if the message cannot be answered; an expired session is first
   * replaced by a new one and the message re-sent, as the expiry policy allows.
   */
  send(text: string, options: SendOptions = {}): Promise<Turn> {
    return this.#submit(text, options, false).turn;
  }

  /**
   * Sends a user message through the streaming endpoint and returns the reply as it arrives:
   * progress, text deltas, validation failures (discard the text shown so far), each complete
   * message, and the end of the turn. Same queueing, sequence rules, expiry and restart as
   * {@link AgentSession.send}.
   *
   * @example
   * ```ts
   * const reply = session.stream('Where is my order?');
   * for await (const ev of reply) if (ev.kind === 'delta') process.stdout.write(ev.text);
   * const turn = await reply.turn;
   * ```
   */
  stream(text: string, options: SendOptions = {}): TurnStream {
    const { turnId, turn } = this.#submit(text, options, true);
    if (turnId === undefined) return turnStream(turn, undefined);
    return turnStream(turn, {
      subscribe: (push) =>
        this.on('turn.stream', (e) => {
          if (e.turnId === turnId) push(e.event);
        }),
      cancel: () => this.#cancel(turnId),
    });
  }

  /**
   * Reports how the hand-off to a human after an `Escalate` went: a `TransferSucceeded` or
   * `TransferFailed` message (with its `reason` and optional `description`), sent in turn like a
   * message (same queue and `sequenceId` order), answering the last `Escalate` unless
   * `inReplyToMessageId` says which. Resolves with the agent's reply, often empty.
   *
   * @example
   * ```ts
   * const turn = await session.send('I want to talk to a person');
   * if (turn.messages.some((m) => m.type === 'Escalate')) {
   *   const placed = await handToQueue(turn);
   *   await session.reportTransfer(
   *     placed ? { type: 'TransferSucceeded' } : { type: 'TransferFailed', reason: 'NoAgentAvailable' },
   *   );
   * }
   * ```
   */
  reportTransfer(report: TransferReport, options: TransferOptions = {}): Promise<Turn> {
    let transfer: TransferReport;
    try {
      transfer = checkTransfer(report);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const inReplyToMessageId = options?.inReplyToMessageId ?? this.#lastEscalateId;
    const send: SendOptions = { ...options, inReplyToMessageId };
    return this.#submit('', send, false, transfer).turn;
  }

  /**
   * Rates a reply GOOD or BAD, with an optional comment (`POST /sessions/{id}/feedback`). `of` is
   * a {@link Turn} (its last message with a `feedbackId`), a message, the id of a message this
   * session received, or `{ feedbackId }`. A plain request beside the conversation: it takes no
   * turn and changes no state. Rejects with {@link InvalidArgumentError} for a bad rating or a
   * message it cannot find, {@link SessionClosedError} once the session is closed, and the typed
   * error of the request otherwise.
   *
   * @example
   * ```ts
   * const turn = await session.send('Where is my order?');
   * await session.feedback(turn, 'GOOD', { text: 'clear answer' });
   * ```
   */
  async feedback(
    of: FeedbackTarget,
    rating: FeedbackRating,
    options: FeedbackOptions = {},
  ): Promise<void> {
    if (this.#fatal) throw this.#fatal;
    const { sessionId, feedbackId } = this.#feedbackTarget(of);
    const body = feedbackBody(feedbackId, rating, options);
    if (this.state === 'closed') throw this.#closedError();
    if (!this.#sendFeedback) throw new AgentforceError('this session cannot send feedback');
    await this.#sendFeedback(sessionId, body, options.signal);
  }

  #feedbackTarget(of: FeedbackTarget): { sessionId: string; feedbackId: string } {
    const current = this.sessionId;
    const fail = (why: string): never => {
      throw new InvalidArgumentError(`feedback: ${why}`);
    };
    if (typeof of === 'string') {
      return (
        this.#rated(of) ??
        fail(
          `no reply message with id ${JSON.stringify(of)} in this session (pass the message, the turn, or { feedbackId })`,
        )
      );
    }
    if (typeof of !== 'object' || of === null) return fail('pass a turn, a message or its id');
    if (Array.isArray((of as Turn).messages)) {
      const turn = of as Turn;
      const rated = turn.messages.findLast((m) => feedbackIdOf(m) !== undefined);
      const feedbackId = rated ? feedbackIdOf(rated) : undefined;
      if (feedbackId === undefined) return fail('this turn has no message with a feedbackId');
      return { sessionId: turn.sessionId, feedbackId };
    }
    const feedbackId = (of as { feedbackId?: unknown }).feedbackId;
    if (typeof feedbackId !== 'string' || feedbackId === '') {
      return fail('this message has no feedbackId');
    }
    const id = (of as { id?: unknown }).id;
    const known = typeof id === 'string' ? this.#rated(id) : undefined;
    const sessionId = known?.sessionId ?? current;
    if (sessionId === null) return fail('the session has not started');
    return { sessionId, feedbackId };
  }

  #remember(sessionId: string, messages: readonly ResponseMessage[]): void {
    for (const m of messages) {
      if (m.type === 'Escalate' && typeof m.id === 'string') this.#lastEscalateId = m.id;
      const feedbackId = feedbackIdOf(m);
      if (feedbackId === undefined || typeof m.id !== 'string') continue;
      const rateable = this.#rateable;
      if (!rateable) this.#rateable = [m.id, sessionId, feedbackId];
      else {
        rateable.push(m.id, sessionId, feedbackId);
        // Trimmed by half the limit at a time: a long reply of rateable messages stays linear.
        if (rateable.length > 4.5 * MAX_RATEABLE)
          rateable.splice(0, rateable.length - 3 * MAX_RATEABLE);
      }
    }
  }

  /** The server session and `feedbackId` of a recent reply message, the latest if seen twice. */
  #rated(messageId: string): { sessionId: string; feedbackId: string } | undefined {
    const r = this.#rateable ?? [];
    for (let i = r.length - 3; i >= 0; i -= 3) {
      if (r[i] === messageId) return { sessionId: r[i + 1]!, feedbackId: r[i + 2]! };
    }
    return undefined;
  }

  #submit(
    text: string,
    options: SendOptions,
    stream: boolean,
    transfer?: TransferReport,
  ): { turnId: string | undefined; turn: Promise<Turn> } {
    const rejected = (err: unknown) => {
      const turn = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      turn.catch(() => undefined);
      return { turnId: undefined, turn };
    };
    if (this.#fatal) return rejected(this.#fatal);
    let checked: SendOptions;
    try {
      checked = transfer ? this.#checkOptions(options) : this.#checkSend(text, options);
    } catch (err) {
      return rejected(err);
    }
    const state = this.state;
    if (state === 'closed' || state === 'ending') return rejected(this.#closedError());
    if (checked.signal?.aborted)
      return rejected(new AbortError('the message was cancelled by the caller'));
    const turnId = nanoid(12);
    const turn = new Promise<Turn>((resolve, reject) => {
      (this.#waiters ??= new Map()).set(turnId, { resolve, reject });
    });
    // A stream's `turn` may never be awaited: its rejection must not count as unhandled.
    if (stream) turn.catch(() => undefined);
    const signal = checked.signal;
    if (signal) {
      const onAbort = () => this.#cancel(turnId);
      signal.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => signal.removeEventListener('abort', onAbort);
      turn.then(cleanup, cleanup);
    }
    const event: PendingTurnEvent = { type: 'SEND', turnId, text };
    if (checked.inReplyToMessageId !== undefined)
      event.inReplyToMessageId = checked.inReplyToMessageId;
    if (checked.variables !== undefined) event.variables = checked.variables;
    if (stream) event.stream = true;
    if (transfer) event.transfer = transfer;
    this.#observer?.submitted(turnId, text, stream);
    this.actor.send(event);
    return { turnId, turn };
  }

  /**
   * Ends the session: `DELETE` with the reason (default `UserRequest`). Idempotent: a closed
   * session resolves with its outcome; a session the server no longer knows counts as ended. A
   * message in flight or waiting is rejected with {@link SessionClosedError}. Rejects with the
   * typed error if the `DELETE` itself failed (the session is closed all the same).
   */
  async end(reason: EndReason = 'UserRequest'): Promise<SessionOutcome> {
    if (!EndReasonSchema.safeParse(reason).success) {
      throw new InvalidArgumentError(
        `end reason must be one of ${EndReasonSchema.options.join(', ')} (got ${JSON.stringify(reason)})`,
      );
    }
    const done = this.closed;
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'END', reason });
    const outcome = await done;
    if (outcome.error && outcome.reason === 'ended' && !this.#endReported) {
      this.#endReported = true;
      throw errorFromInfo(outcome.error);
    }
    return outcome;
  }
  #endReported = false;

  /** Resolves with the outcome once the session is closed, however it closed. */
  get closed(): Promise<SessionOutcome> {
    const snap = this.actor.getSnapshot();
    if (snap.status === 'done') return Promise.resolve(snap.output);
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (snap.status === 'stopped') return Promise.reject(this.#stoppedError());
    return new Promise((resolve, reject) => {
      const sub = this.actor.subscribe({
        next: (s) => {
          if (s.status === 'done') {
            sub.unsubscribe();
            resolve(s.output);
          }
        },
        error: (err) => reject(err instanceof Error ? err : new Error(String(err))),
        // Stopped before it closed (evicted, or stopped by the app): it will never close here.
        complete: () => {
          const last = this.actor.getSnapshot();
          if (last.status === 'done') resolve(last.output);
          else reject(this.#stoppedError());
        },
      });
    });
  }

  /**
   * Listens to what the session emits: `state`, `session.started`, `session.expired`,
   * `session.restarted`, `session.closed`, `turn.sent`, `turn.completed`, `turn.failed`,
   * `reply.dropped`, or `*` for all. Returns a function that stops listening.
   */
  on<T extends SessionEmitted['type']>(type: T, handler: (event: Emitted<T>) => void): () => void;
  on(type: '*', handler: (event: SessionEmitted) => void): () => void;
  on(type: string, handler: (event: never) => void): () => void {
    const sub = this.actor.on(type as '*', handler as (event: SessionEmitted) => void);
    return () => sub.unsubscribe();
  }

  /** A JSON-safe, versioned snapshot to store and {@link AgentforceClient.restore} elsewhere. */
  snapshot(): PersistedSession {
    return wrapSnapshot(this.actor.getPersistedSnapshot());
  }

  /**
   * Stops the local actor without ending the server session (e.g. after persisting it for
   * another process). Messages still waiting here are rejected with {@link SessionClosedError}.
   */
  stop(): void {
    this.actor.stop();
    this.#rejectAll(this.#stoppedError());
  }

  #stoppedError(): SessionClosedError {
    return new SessionClosedError('the session was stopped in this process');
  }

  /** Cancels a message, unless the actor is already stopped or done (nothing left to cancel). */
  #cancel(turnId: string): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'CANCEL', turnId });
  }

  #checkSend(text: unknown, options: SendOptions): SendOptions {
    if (typeof text !== 'string') {
      throw new InvalidArgumentError(`text must be a string (got ${typeof text})`);
    }
    if (text.trim() === '') throw new InvalidArgumentError('text must not be empty or blank');
    if (text.length > this.#maxMessageLength) {
      throw new InvalidArgumentError(
        `text is ${text.length} characters; the limit is ${this.#maxMessageLength} (maxMessageLength)`,
      );
    }
    return this.#checkOptions(options);
  }

  #checkOptions(options: SendOptions): SendOptions {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('send options must be an object');
    }
    const { inReplyToMessageId, variables, signal } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidArgumentError('signal must be an AbortSignal');
    }
    if (
      inReplyToMessageId !== undefined &&
      (typeof inReplyToMessageId !== 'string' || inReplyToMessageId === '')
    ) {
      throw new InvalidArgumentError('inReplyToMessageId must be a non-empty string');
    }
    if (variables !== undefined) checkVariables('variables', variables);
    return { inReplyToMessageId, variables, signal };
  }

  #onEmitted(event: SessionEmitted): void {
    switch (event.type) {
      case 'turn.completed': {
        this.#remember(event.sessionId, event.messages);
        this.#takeWaiter(event.turnId)?.resolve(
          toTurn(event.sessionId, event.sequenceId, event.messages),
        );
        break;
      }
      case 'turn.failed': {
        this.#takeWaiter(event.turnId)?.reject(errorFromInfo(event.error));
        break;
      }
      case 'session.started': {
        this.#remember(event.sessionId, event.messages);
        const greeting = toTurn(event.sessionId, undefined, event.messages);
        this.#greeting ??= greeting;
        const waiters = this.#startWaiters;
        this.#startWaiters = undefined;
        for (const w of waiters ?? []) w.resolve(greeting);
        break;
      }
      case 'session.closed': {
        const waiters = this.#startWaiters;
        this.#startWaiters = undefined;
        const error = event.outcome.error
          ? errorFromInfo(event.outcome.error)
          : this.#closedError();
        for (const w of waiters ?? []) w.reject(error);
        // Every turn was settled by the machine; anything left is a defect, never a silent loss.
        this.#rejectAll(this.#closedError());
        break;
      }
      default:
        break;
    }
  }

  /** Removes and returns a turn's waiter; the map goes with the last one (an idle session holds none). */
  #takeWaiter(turnId: string): Waiter | undefined {
    const waiters = this.#waiters;
    const waiter = waiters?.get(turnId);
    if (waiter) {
      waiters!.delete(turnId);
      if (waiters!.size === 0) this.#waiters = undefined;
    }
    return waiter;
  }

  #onActorError(err: unknown): void {
    const error =
      err instanceof AgentforceError
        ? err
        : new AgentforceError(
            `session actor failed: ${err instanceof Error ? err.message : String(err)}`,
            {
              cause: err,
            },
          );
    this.#fatal = error;
    this.#rejectAll(error);
  }

  #rejectAll(error: Error): void {
    const waiters = this.#waiters;
    this.#waiters = undefined;
    for (const w of waiters?.values() ?? []) w.reject(error);
    for (const w of this.#startWaiters ?? []) w.reject(error);
    this.#startWaiters = undefined;
  }

  #closedError(): SessionClosedError {
    const outcome = this.outcome;
    return new SessionClosedError(
      outcome ? `the session is closed (${outcome.reason})` : 'the session is closing',
    );
  }
}

/** Checks a transfer report as the API defines it. */
function checkTransfer(report: unknown): TransferReport {
  const r = report as Partial<Record<'type' | 'reason' | 'description', unknown>> | null;
  if (typeof r === 'object' && r !== null && r.type === 'TransferSucceeded') {
    return { type: 'TransferSucceeded' };
  }
  if (typeof r !== 'object' || r === null || r.type !== 'TransferFailed') {
    throw new InvalidArgumentError(
      "a transfer report is { type: 'TransferSucceeded' } or { type: 'TransferFailed', reason }",
    );
  }
  if (r.reason !== 'NoAgentAvailable' && r.reason !== 'Error') {
    throw new InvalidArgumentError(
      `TransferFailed reason must be 'NoAgentAvailable' or 'Error' (got ${JSON.stringify(r.reason)})`,
    );
  }
  if (r.description !== undefined && typeof r.description !== 'string') {
    throw new InvalidArgumentError('TransferFailed description must be a string');
  }
  return r.description === undefined
    ? { type: 'TransferFailed', reason: r.reason }
    : { type: 'TransferFailed', reason: r.reason, description: r.description };
}
