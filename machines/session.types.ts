/**
 * Types of the session machine: its context, events, emitted events, output and the contracts of
 * its named actors. Everything here is plain JSON: no error objects, no tokens, no functions.
 */
import type { EndReason, ResponseMessage, Variable } from '../src/api/index.js';

/** Stable code of a failure, carried in JSON by events, snapshots and outputs. */
export type ErrorCode =
  | 'bad_request'
  | 'authentication'
  | 'permission_denied'
  | 'not_found'
  | 'session_not_found'
  | 'unprocessable'
  | 'session_busy'
  | 'rate_limited'
  | 'server_error'
  | 'service_unavailable'
  | 'api_error'
  | 'connection'
  | 'timeout'
  | 'stream_idle_timeout'
  | 'aborted'
  | 'malformed_response'
  | 'session_closed'
  | 'session_expired'
  | 'queue_full'
  | 'invalid_argument'
  | 'snapshot_version'
  | 'lock_timeout'
  | 'lease_lost'
  | 'store'
  | 'internal';

/** JSON projection of an error: what the machine keeps and emits. */
export interface ErrorInfo {
  name: string;
  code: ErrorCode;
  message: string;
  status?: number;
  requestId?: string;
  retryAfterMs?: number;
  mayHaveReachedServer?: boolean;
  /** What to change to fix it, for a configuration error (also at the end of `message`). */
  hint?: string;
}

/**
 * How a hand-off to a human went, reported after an `Escalate`: sent as a `TransferSucceeded` or
 * `TransferFailed` message instead of `Text`.
 */
export type TransferReport =
  | { type: 'TransferSucceeded' }
  | { type: 'TransferFailed'; reason: 'NoAgentAvailable' | 'Error'; description?: string };

/** A user message waiting to be sent. `turnId` is the caller's handle on it. */
export interface PendingTurn {
  turnId: string;
  text: string;
  inReplyToMessageId?: string;
  variables?: Variable[];
  /** Send through the streaming endpoint. */
  stream?: boolean;
  /** Send this transfer report instead of the text (a `Text` message when absent). */
  transfer?: TransferReport;
}

/** The user message being sent now, with the `sequenceId` it was given. */
export interface InFlightTurn extends PendingTurn {
  sequenceId: number;
  /** The server session it was sent on. */
  sessionId: string;
}

/** What to do when the server session expires. */
export type ExpiryPolicy = 'restart' | 'close';

/** Why a session closed. */
export type CloseReason =
  /** `end()` was called (DELETE sent, or the session was already gone). */
  | 'ended'
  /** The server ended it (`SessionEnded` message). */
  | 'ended-by-server'
  /** It expired and the policy or the restart budget said close. */
  | 'expired'
  /** Starting failed, or a fatal error (authentication, configuration). */
  | 'failed';

/** The machine's output once `closed`. */
export interface SessionOutcome {
  reason: CloseReason;
  /** The last server session id, if one was ever started. */
  sessionId: string | null;
  /** The end reason sent in `x-session-end-reason`, when the client ended it. */
  endReason?: EndReason;
  /** The server's `SessionEnded.reason`, when the server ended it or replied to the DELETE. */
  serverReason?: string;
  /** What went wrong, for `failed`, for `expired`, or when the DELETE itself failed. */
  error?: ErrorInfo;
}

/** How every server session of a conversation is started (also on a restart). */
export interface StartOptions {
  bypassUser: boolean;
  tz: string | null;
  /** Variables sent when a session starts. */
  variables: Variable[] | null;
}

/**
 * Keep this at 19 top-level fields or fewer. XState copies the context on every assign with
 * `Object.assign({}, context, update)`, and V8 makes an object built that way a slow dictionary
 * once it has 20 properties: every later assign then costs several times more (with 20 fields
 * the machine took ~25% more CPU per turn; see docs/benchmarks.md). Group new fields instead.
 * test/client/context-shape.test.ts checks the count, and that the snapshot schema matches.
 */
export interface SessionContext {
  agentId: string;
  /** The org's My Domain URL, sent as `instanceConfig.endpoint`. */
  endpoint: string;
  /** The rest of the start-session body. */
  start: StartOptions;
  /** Current server session id; null before the first start. */
  sessionId: string | null;
  /** `externalSessionKey` (a UUID) of the current or starting server session. */
  externalSessionKey: string | null;
  /** The last `sequenceId` given to a message of this conversation (never goes down). */
  lastSequenceId: number;
  /** Messages waiting their turn, in order. */
  queue: PendingTurn[];
  maxQueue: number;
  inFlight: InFlightTurn | null;
  /** The id of the last `Inquire`/`Confirm` the agent asked, until the user answers. */
  pendingQuestionId: string | null;
  expiryPolicy: ExpiryPolicy;
  restarts: number;
  maxRestarts: number;
  /** Client-side idle timeout in ms; null = rely on the server only. */
  idleTimeoutMs: number | null;
  /** Epoch ms when an idle session counts as expired (a deadline, so it survives a restore). */
  idleDeadline: number | null;
  /** Set when `end()` was asked while a start was in flight. */
  endRequested: EndReason | null;
  endReason: EndReason | null;
  outcome: SessionOutcome | null;
}

export interface SessionInput {
  agentId: string;
  endpoint: string;
  bypassUser?: boolean;
  tz?: string | null;
  variables?: Variable[] | null;
  maxQueue?: number;
  expiryPolicy?: ExpiryPolicy;
  maxRestarts?: number;
  idleTimeoutMs?: number | null;
  /** Floor for the sequence counter (e.g. from a shared store); the next id is above it. */
  lastSequenceId?: number;
}

export type SessionEvent =
  | { type: 'START' }
  | ({ type: 'SEND' } & PendingTurn)
  | { type: 'END'; reason: EndReason }
  | { type: 'IDLE_TIMEOUT' }
  /** Raise the sequence floor (a shared counter saw a higher id elsewhere). */
  | { type: 'SEQUENCE.FLOOR'; lastSequenceId: number }
  /** The caller gave up on a message: abort it if in flight, drop it if waiting. */
  | { type: 'CANCEL'; turnId: string }
  /**
   * From the stream actor: the events of the streamed reply that one network read brought, in
   * order (one machine event per read, not per event: each is a macrostep).
   */
  | { type: 'STREAM.EVENT'; sessionId: string; sequenceId: number; events: StreamEvent[] }
  /** From the stream actor: the reply is complete. */
  | { type: 'STREAM.DONE'; output: SendMessageOutput }
  /** From the stream actor: the streamed turn failed. */
  | { type: 'STREAM.FAILED'; sessionId: string; sequenceId: number; error: ErrorInfo };

/** One event of a streamed reply, as the caller sees it. */
export type StreamEvent =
  /** The agent is working (`ProgressIndicator`). */
  | { kind: 'progress'; message: ResponseMessage }
  /** More text (`TextChunk`): append `text` to what was shown. */
  | { kind: 'delta'; text: string; offset: number }
  /** The text shown so far failed validation: discard it; replacement text follows. */
  | { kind: 'validation-failure'; reason: string | undefined; offset: number }
  /** A complete message (`Inform`, `Inquire`, `Confirm`, `Escalate`, `Failure`, `SessionEnded`, ...). */
  | { kind: 'message'; message: ResponseMessage }
  /** The agent's turn is over (`EndOfTurn`). */
  | { kind: 'end-of-turn' };

/** Events the session emits to the outside world (`actor.on(type, ...)`). */
export type SessionEmitted =
  | { type: 'state'; state: TopLevelState }
  | {
      type: 'session.started';
      sessionId: string;
      externalSessionKey: string;
      messages: ResponseMessage[];
    }
  | {
      type: 'session.expired';
      sessionId: string | null;
      cause: 'server' | 'idle';
      turnId: string | null;
    }
  | {
      type: 'session.restarted';
      previousSessionId: string | null;
      sessionId: string;
      restarts: number;
    }
  | { type: 'session.closed'; outcome: SessionOutcome }
  /**
   * A `DELETE` the session sent on its own (reason `Expiration` on the idle deadline, `Error` after
   * a fatal error) failed after its retries: the server session may stay open until its timeout.
   */
  | { type: 'session.end-failed'; sessionId: string | null; reason: EndReason; error: ErrorInfo }
  | { type: 'turn.sent'; turnId: string; sequenceId: number; sessionId: string }
  | {
      type: 'turn.completed';
      turnId: string;
      sequenceId: number;
      sessionId: string;
      messages: ResponseMessage[];
    }
  | { type: 'turn.failed'; turnId: string; error: ErrorInfo }
  | { type: 'turn.stream'; turnId: string; sequenceId: number; event: StreamEvent }
  | { type: 'reply.dropped'; sequenceId: number; expected: number | null };

export const TOP_LEVEL_STATES = [
  'idle',
  'starting',
  'active',
  'awaitingInput',
  'expired',
  'ending',
  'closed',
] as const;
export type TopLevelState = (typeof TOP_LEVEL_STATES)[number];

// ---- contracts of the named actors (implemented over HTTP in src/actors) ----

export type AuthorizeInput = Record<string, never>;
export interface AuthorizeOutput {
  /** Epoch ms when the current token expires, if known. */
  expiresAt: number | null;
}

export interface StartSessionInput {
  agentId: string;
  externalSessionKey: string;
  endpoint: string;
  bypassUser: boolean;
  tz: string | null;
  variables: Variable[] | null;
}
export interface StartSessionOutput {
  sessionId: string;
  messages: ResponseMessage[];
}

export interface SendMessageInput {
  sessionId: string;
  sequenceId: number;
  text: string;
  inReplyToMessageId?: string;
  variables?: Variable[];
  /** A transfer report to send instead of the text. */
  transfer?: TransferReport;
}
export interface SendMessageOutput {
  sessionId: string;
  sequenceId: number;
  messages: ResponseMessage[];
}

export interface EndSessionInput {
  sessionId: string;
  reason: EndReason;
}
export interface EndSessionOutput {
  messages: ResponseMessage[];
}

export type StreamMessageInput = SendMessageInput;

export interface IdleDeadlineInput {
  deadline: number | null;
}
