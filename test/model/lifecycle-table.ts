/**
 * The session lifecycle as a table, written from the Agent API contract and docs/lifecycle.md, not
 * from the machine: for each state and event, in the order they are tried, the condition, the next
 * state, what it does for the caller and what goes on the wire. A reviewer reads it against the
 * docs without reading the machine; `lifecycle-table.test.ts` holds it against the machine's
 * transitions both ways, and checks every generated path against {@link runTable}, a small
 * interpreter of this table with its own account of the conversation (queue, message in flight,
 * sequence counter, restarts).
 *
 * A change to the chart must change this table on purpose: that is the point of it.
 *
 * Conventions: states are the ids of docs/lifecycle.md (`active.sending`; `` is the machine
 * itself); `to: null` stays in the state; a row whose `to` is its own state or ancestor re-enters
 * it. A message goes on the wire by the row that sends it: to `active.streaming` (the streaming
 * endpoint) when it was sent with `stream()`, else to `active.sending`. Entering `starting` enters
 * `starting.authorizing`, entering `expired` enters `expired.resting`, and `always` rows are tried
 * on entering their state.
 */
import type { ErrorCode } from '../../machines/session.types.js';

/** What a row does to the conversation, and so what the caller gets. */
export type Effect =
  /** The new message waits in the queue. */
  | 'queue'
  /** The new message is refused at once: `QueueFullError`. */
  | 'refuse queue_full'
  /** The new message is refused at once: `SessionClosedError` (the session is ending). */
  | 'refuse session_closed'
  /** The first waiting message goes out with the next sequenceId. */
  | 'send next'
  /** The caller's promise of the message in flight resolves with the reply. */
  | 'resolve in-flight'
  /** ... rejects with the error the server or the transport gave. */
  | 'reject in-flight with the error'
  | 'reject in-flight aborted'
  | 'reject in-flight session_closed'
  | 'reject in-flight session_expired'
  /** Every waiting message rejects. */
  | 'reject waiting with the error'
  | 'reject waiting session_closed'
  | 'reject waiting session_expired'
  /** The cancelled waiting message rejects with `AbortError`. */
  | 'drop cancelled'
  /** The message in flight goes back to the head of the queue, for the new session. */
  | 'requeue in-flight'
  | 'count restart'
  /** The server session exists: `session.started` (and `session.restarted` after an expiry). */
  | 'record session'
  /** `end()` was called while starting: remembered, done once the session exists. */
  | 'remember end'
  | 'raise sequence floor'
  /** A reply that is not the one of the message in flight: `reply.dropped`. */
  | 'drop reply'
  | 'emit stream event'
  | 'expired'
  /** `closed`, with this reason (`session.closed`, `end()` and `closed` settle). */
  | 'close ended'
  | 'close ended with the error'
  | 'close ended-by-server'
  | 'close failed'
  | 'close expired'
  /** The session failed (`failed`, with the error), but closes only once the DELETE is done. */
  | 'decide failed, end with reason Error'
  /** `closed` with the outcome decided before the DELETE, whatever the DELETE answered. */
  | 'close as decided';

export interface Row {
  from: string;
  /** The event, as the machine names it (`xstate.done.actor.X` is "the request of X answered"). */
  on: string;
  /** The condition, in the guard names of docs/lifecycle.md; `and` joins two. */
  when?: string;
  to: string | null;
  does: Effect[];
  /** Requests that go on the wire because of the row (entering the target state). */
  wire: string[];
}

const TOKEN = 'POST /services/oauth2/token';
const START = 'POST /agents/{agentId}/sessions';
const MESSAGE = 'POST /sessions/{id}/messages';
const STREAM = 'POST /sessions/{id}/messages/stream';
const DELETE = 'DELETE /sessions/{id} (x-session-end-reason)';
const ABORT = 'abort the request in flight';

/** The requests of the wire column, by the emulator's name of their route, and the abort. */
export const WIRE = {
  token: TOKEN,
  start: START,
  send: MESSAGE,
  stream: STREAM,
  end: DELETE,
  abort: ABORT,
} as const;

export const LIFECYCLE_TABLE: readonly Row[] = [
  // The machine itself: a shared counter may raise the sequence floor in any state.
  {
    from: '',
    on: 'SEQUENCE.FLOOR',
    when: 'raisesSequenceFloor',
    to: null,
    does: ['raise sequence floor'],
    wire: [],
  },

  // idle: no server session yet.
  { from: 'idle', on: 'START', to: 'starting', does: [], wire: [TOKEN] },
  {
    from: 'idle',
    on: 'SEND',
    when: 'queueHasRoom',
    to: 'starting',
    does: ['queue'],
    wire: [TOKEN],
  },
  { from: 'idle', on: 'SEND', to: null, does: ['refuse queue_full'], wire: [] },
  { from: 'idle', on: 'END', to: 'closed', does: ['close ended'], wire: [] },

  // starting: a new externalSessionKey; the token, then the start-session request.
  { from: 'starting', on: 'SEND', when: 'queueHasRoom', to: null, does: ['queue'], wire: [] },
  { from: 'starting', on: 'SEND', to: null, does: ['refuse queue_full'], wire: [] },
  {
    from: 'starting',
    on: 'CANCEL',
    when: 'isQueuedTurn',
    to: null,
    does: ['drop cancelled'],
    wire: [],
  },
  {
    from: 'starting',
    on: 'END',
    to: null,
    does: ['remember end', 'reject waiting session_closed'],
    wire: [],
  },
  {
    from: 'starting.authorizing',
    on: 'xstate.done.actor.authorize',
    to: 'starting.opening',
    does: [],
    wire: [START],
  },
  {
    from: 'starting.authorizing',
    on: 'xstate.error.actor.authorize',
    to: 'closed',
    does: ['reject waiting with the error', 'close failed'],
    wire: [],
  },
  {
    from: 'starting.opening',
    on: 'xstate.done.actor.startSession',
    when: 'endRequested',
    to: 'ending',
    does: ['record session', 'reject waiting session_closed'],
    wire: [DELETE],
  },
  {
    from: 'starting.opening',
    on: 'xstate.done.actor.startSession',
    when: 'startRepliesEndSession',
    to: 'closed',
    does: ['record session', 'reject waiting session_closed', 'close ended-by-server'],
    wire: [],
  },
  {
    from: 'starting.opening',
    on: 'xstate.done.actor.startSession',
    when: 'hasQueuedTurns and nextTurnStreams',
    to: 'active.streaming',
    does: ['record session', 'send next'],
    wire: [STREAM],
  },
  {
    from: 'starting.opening',
    on: 'xstate.done.actor.startSession',
    when: 'hasQueuedTurns',
    to: 'active.sending',
    does: ['record session', 'send next'],
    wire: [MESSAGE],
  },
  {
    from: 'starting.opening',
    on: 'xstate.done.actor.startSession',
    to: 'awaitingInput',
    does: ['record session'],
    wire: [],
  },
  {
    from: 'starting.opening',
    on: 'xstate.error.actor.startSession',
    to: 'closed',
    does: ['reject waiting with the error', 'close failed'],
    wire: [],
  },

  // active: one message in flight; others wait.
  { from: 'active', on: 'SEND', when: 'queueHasRoom', to: null, does: ['queue'], wire: [] },
  { from: 'active', on: 'SEND', to: null, does: ['refuse queue_full'], wire: [] },
  {
    from: 'active',
    on: 'CANCEL',
    when: 'isInFlightTurn and hasQueuedTurns and nextTurnStreams',
    to: 'active.streaming',
    does: ['reject in-flight aborted', 'send next'],
    wire: [ABORT, STREAM],
  },
  {
    from: 'active',
    on: 'CANCEL',
    when: 'isInFlightTurn and hasQueuedTurns',
    to: 'active.sending',
    does: ['reject in-flight aborted', 'send next'],
    wire: [ABORT, MESSAGE],
  },
  {
    from: 'active',
    on: 'CANCEL',
    when: 'isInFlightTurn',
    to: 'awaitingInput',
    does: ['reject in-flight aborted'],
    wire: [ABORT],
  },
  {
    from: 'active',
    on: 'CANCEL',
    when: 'isQueuedTurn',
    to: null,
    does: ['drop cancelled'],
    wire: [],
  },
  {
    from: 'active',
    on: 'END',
    to: 'ending',
    does: ['reject in-flight session_closed', 'reject waiting session_closed'],
    wire: [ABORT, DELETE],
  },
  {
    from: 'active.sending',
    on: 'xstate.done.actor.sendMessage',
    when: 'isCurrentReply and replyEndsSession',
    to: 'closed',
    does: ['resolve in-flight', 'reject waiting session_closed', 'close ended-by-server'],
    wire: [],
  },
  {
    from: 'active.sending',
    on: 'xstate.done.actor.sendMessage',
    when: 'isCurrentReply and hasQueuedTurns and nextTurnStreams',
    to: 'active.streaming',
    does: ['resolve in-flight', 'send next'],
    wire: [STREAM],
  },
  {
    from: 'active.sending',
    on: 'xstate.done.actor.sendMessage',
    when: 'isCurrentReply and hasQueuedTurns',
    to: 'active.sending',
    does: ['resolve in-flight', 'send next'],
    wire: [MESSAGE],
  },
  {
    from: 'active.sending',
    on: 'xstate.done.actor.sendMessage',
    when: 'isCurrentReply',
    to: 'awaitingInput',
    does: ['resolve in-flight'],
    wire: [],
  },
  {
    from: 'active.sending',
    on: 'xstate.done.actor.sendMessage',
    to: null,
    does: ['drop reply'],
    wire: [],
  },
  {
    from: 'active.sending',
    on: 'xstate.error.actor.sendMessage',
    when: 'isSessionNotFound',
    to: 'expired',
    does: ['expired'],
    wire: [],
  },
  {
    from: 'active.sending',
    on: 'xstate.error.actor.sendMessage',
    when: 'fatalLeavesSessionOpen',
    to: 'ending',
    does: [
      'reject in-flight with the error',
      'reject waiting session_closed',
      'decide failed, end with reason Error',
    ],
    wire: [DELETE],
  },
  {
    from: 'active.sending',
    on: 'xstate.error.actor.sendMessage',
    when: 'isFatalError',
    to: 'closed',
    does: ['reject in-flight with the error', 'reject waiting session_closed', 'close failed'],
    wire: [],
  },
  {
    from: 'active.sending',
    on: 'xstate.error.actor.sendMessage',
    when: 'hasQueuedTurns and nextTurnStreams',
    to: 'active.streaming',
    does: ['reject in-flight with the error', 'send next'],
    wire: [STREAM],
  },
  {
    from: 'active.sending',
    on: 'xstate.error.actor.sendMessage',
    when: 'hasQueuedTurns',
    to: 'active.sending',
    does: ['reject in-flight with the error', 'send next'],
    wire: [MESSAGE],
  },
  {
    from: 'active.sending',
    on: 'xstate.error.actor.sendMessage',
    to: 'awaitingInput',
    does: ['reject in-flight with the error'],
    wire: [],
  },
  {
    from: 'active.streaming',
    on: 'STREAM.EVENT',
    when: 'isCurrentStreamEvent',
    to: null,
    does: ['emit stream event'],
    wire: [],
  },
  {
    from: 'active.streaming',
    on: 'STREAM.DONE',
    when: 'isCurrentReply and replyEndsSession',
    to: 'closed',
    does: ['resolve in-flight', 'reject waiting session_closed', 'close ended-by-server'],
    wire: [],
  },
  {
    from: 'active.streaming',
    on: 'STREAM.DONE',
    when: 'isCurrentReply and hasQueuedTurns and nextTurnStreams',
    to: 'active.streaming',
    does: ['resolve in-flight', 'send next'],
    wire: [STREAM],
  },
  {
    from: 'active.streaming',
    on: 'STREAM.DONE',
    when: 'isCurrentReply and hasQueuedTurns',
    to: 'active.sending',
    does: ['resolve in-flight', 'send next'],
    wire: [MESSAGE],
  },
  {
    from: 'active.streaming',
    on: 'STREAM.DONE',
    when: 'isCurrentReply',
    to: 'awaitingInput',
    does: ['resolve in-flight'],
    wire: [],
  },
  { from: 'active.streaming', on: 'STREAM.DONE', to: null, does: ['drop reply'], wire: [] },
  {
    from: 'active.streaming',
    on: 'STREAM.FAILED',
    when: 'isCurrentStreamEvent and isSessionNotFound',
    to: 'expired',
    does: ['expired'],
    wire: [],
  },
  {
    from: 'active.streaming',
    on: 'STREAM.FAILED',
    when: 'isCurrentStreamEvent and fatalLeavesSessionOpen',
    to: 'ending',
    does: [
      'reject in-flight with the error',
      'reject waiting session_closed',
      'decide failed, end with reason Error',
    ],
    wire: [DELETE],
  },
  {
    from: 'active.streaming',
    on: 'STREAM.FAILED',
    when: 'isCurrentStreamEvent and isFatalError',
    to: 'closed',
    does: ['reject in-flight with the error', 'reject waiting session_closed', 'close failed'],
    wire: [],
  },
  {
    from: 'active.streaming',
    on: 'STREAM.FAILED',
    when: 'isCurrentStreamEvent and hasQueuedTurns and nextTurnStreams',
    to: 'active.streaming',
    does: ['reject in-flight with the error', 'send next'],
    wire: [STREAM],
  },
  {
    from: 'active.streaming',
    on: 'STREAM.FAILED',
    when: 'isCurrentStreamEvent and hasQueuedTurns',
    to: 'active.sending',
    does: ['reject in-flight with the error', 'send next'],
    wire: [MESSAGE],
  },
  {
    from: 'active.streaming',
    on: 'STREAM.FAILED',
    when: 'isCurrentStreamEvent',
    to: 'awaitingInput',
    does: ['reject in-flight with the error'],
    wire: [],
  },
  {
    from: 'active.streaming',
    on: 'xstate.error.actor.streamMessage',
    when: 'hasQueuedTurns and nextTurnStreams',
    to: 'active.streaming',
    does: ['reject in-flight with the error', 'send next'],
    wire: [STREAM],
  },
  {
    from: 'active.streaming',
    on: 'xstate.error.actor.streamMessage',
    when: 'hasQueuedTurns',
    to: 'active.sending',
    does: ['reject in-flight with the error', 'send next'],
    wire: [MESSAGE],
  },
  {
    from: 'active.streaming',
    on: 'xstate.error.actor.streamMessage',
    to: 'awaitingInput',
    does: ['reject in-flight with the error'],
    wire: [],
  },

  // awaitingInput: the agent's turn is over.
  {
    from: 'awaitingInput',
    on: 'SEND',
    when: 'sendStreams',
    to: 'active.streaming',
    does: ['queue', 'send next'],
    wire: [STREAM],
  },
  {
    from: 'awaitingInput',
    on: 'SEND',
    to: 'active.sending',
    does: ['queue', 'send next'],
    wire: [MESSAGE],
  },
  {
    from: 'awaitingInput',
    on: 'IDLE_TIMEOUT',
    to: 'expired.releasing',
    does: ['expired'],
    wire: [DELETE],
  },
  { from: 'awaitingInput', on: 'END', to: 'ending', does: [], wire: [DELETE] },

  // expired after the idle deadline: the server may still hold the session; it is ended first.
  {
    from: 'expired.releasing',
    on: 'SEND',
    when: 'queueHasRoom',
    to: null,
    does: ['queue'],
    wire: [],
  },
  { from: 'expired.releasing', on: 'SEND', to: null, does: ['refuse queue_full'], wire: [] },
  {
    from: 'expired.releasing',
    on: 'END',
    to: 'ending',
    does: ['reject waiting session_closed'],
    wire: [ABORT, DELETE],
  },
  {
    from: 'expired.releasing',
    on: 'xstate.done.actor.endSession',
    to: 'expired.resting',
    does: [],
    wire: [],
  },
  {
    from: 'expired.releasing',
    on: 'xstate.error.actor.endSession',
    to: 'expired.resting',
    does: [],
    wire: [],
  },

  // expired: the policy decides at once when a message was in flight or waits.
  {
    from: 'expired',
    on: 'SEND',
    when: 'canRestart',
    to: 'starting',
    does: ['queue', 'count restart'],
    wire: [TOKEN],
  },
  {
    from: 'expired',
    on: 'SEND',
    to: 'closed',
    does: ['queue', 'reject waiting session_expired', 'close expired'],
    wire: [],
  },
  { from: 'expired', on: 'END', to: 'ending', does: [], wire: [DELETE] },
  {
    from: 'expired.resting',
    on: 'always',
    when: 'hasTurnInFlight and canRestart',
    to: 'starting',
    does: ['requeue in-flight', 'count restart'],
    wire: [TOKEN],
  },
  {
    from: 'expired.resting',
    on: 'always',
    when: 'hasTurnInFlight',
    to: 'closed',
    does: ['reject in-flight session_expired', 'reject waiting session_expired', 'close expired'],
    wire: [],
  },
  {
    from: 'expired.resting',
    on: 'always',
    when: 'hasQueuedTurns and canRestart',
    to: 'starting',
    does: ['count restart'],
    wire: [TOKEN],
  },
  {
    from: 'expired.resting',
    on: 'always',
    when: 'hasQueuedTurns',
    to: 'closed',
    does: ['reject waiting session_expired', 'close expired'],
    wire: [],
  },
  {
    from: 'expired.resting',
    on: 'always',
    when: 'closesOnExpiry',
    to: 'closed',
    does: ['close expired'],
    wire: [],
  },

  // ending: the DELETE is in flight.
  { from: 'ending', on: 'SEND', to: null, does: ['refuse session_closed'], wire: [] },
  {
    from: 'ending',
    on: 'xstate.done.actor.endSession',
    when: 'hasOutcome',
    to: 'closed',
    does: ['close as decided'],
    wire: [],
  },
  {
    from: 'ending',
    on: 'xstate.done.actor.endSession',
    to: 'closed',
    does: ['close ended'],
    wire: [],
  },
  {
    from: 'ending',
    on: 'xstate.error.actor.endSession',
    when: 'hasOutcome',
    to: 'closed',
    does: ['close as decided'],
    wire: [],
  },
  {
    from: 'ending',
    on: 'xstate.error.actor.endSession',
    when: 'isSessionNotFound',
    to: 'closed',
    does: ['close ended'],
    wire: [],
  },
  {
    from: 'ending',
    on: 'xstate.error.actor.endSession',
    to: 'closed',
    does: ['close ended with the error'],
    wire: [],
  },
];

/** Compound states and the state their entry leads to. */
export const INITIAL_CHILD: Readonly<Record<string, string>> = {
  starting: 'starting.authorizing',
  expired: 'expired.resting',
};

/** The final state. */
export const FINAL = 'closed';

/** Fatal errors after which the server session still exists (401 after a refresh, 400, 403, 422, a defect here). */
const SESSION_OUTLIVES: ReadonlySet<string> = new Set<ErrorCode>([
  'authentication',
  'permission_denied',
  'bad_request',
  'unprocessable',
  'internal',
]);

/** Errors no retry and no new session can fix (docs/lifecycle.md, `active`). */
const FATAL: ReadonlySet<string> = new Set<ErrorCode>([
  'authentication',
  'permission_denied',
  'not_found',
  'bad_request',
  'unprocessable',
  'invalid_argument',
  'internal',
]);

// ---------------------------------------------------------------------------------------------
// An interpreter of the table, with its own account of the conversation.

export interface TableConfig {
  expiryPolicy: 'restart' | 'close';
  maxRestarts: number;
  maxQueue: number;
}

interface Turn {
  id: string;
  stream: boolean;
}

/** The conversation as the table sees it. */
export interface TableState {
  state: string;
  queue: Turn[];
  inFlight: (Turn & { sequenceId: number; sessionId: string }) | null;
  lastSequenceId: number;
  sessionId: string | null;
  restarts: number;
  endRequested: boolean;
  /** How each message settled for the caller: `ok` or an error code. */
  settled: Map<string, string>;
  closed: string | null;
  /** The outcome decided before a DELETE that cannot change it. */
  decided: string | null;
  wire: string[];
}

type Ev = { type: string } & Record<string, unknown>;

const isCurrent = (t: TableState, sessionId: unknown, sequenceId: unknown) =>
  t.inFlight !== null && sequenceId === t.inFlight.sequenceId && sessionId === t.inFlight.sessionId;

const codeOf = (e: Ev) => (e['error'] as { code?: string } | undefined)?.code ?? 'internal';
const messagesEnd = (messages: unknown) =>
  Array.isArray(messages) && messages.some((m: { type?: string }) => m.type === 'SessionEnded');

/** Each condition, from the docs (not from the machine's guards). */
const CONDITIONS: Record<string, (t: TableState, e: Ev, c: TableConfig) => boolean> = {
  raisesSequenceFloor: (t, e) => (e['lastSequenceId'] as number) > t.lastSequenceId,
  queueHasRoom: (t, _e, c) => t.queue.length < c.maxQueue,
  isQueuedTurn: (t, e) => t.queue.some((q) => q.id === e['turnId']),
  isInFlightTurn: (t, e) => t.inFlight?.id === e['turnId'],
  hasQueuedTurns: (t) => t.queue.length > 0,
  hasTurnInFlight: (t) => t.inFlight !== null,
  endRequested: (t) => t.endRequested,
  startRepliesEndSession: (_t, e) => messagesEnd((e['output'] as { messages?: unknown }).messages),
  replyEndsSession: (_t, e) => messagesEnd((e['output'] as { messages?: unknown }).messages),
  /** The message sent now was sent with `stream()`. */
  sendStreams: (_t, e) => e['stream'] === true,
  /** The first waiting message was sent with `stream()`. */
  nextTurnStreams: (t) => t.queue[0]?.stream === true,
  isCurrentReply: (t, e) => {
    const out = e['output'] as { sessionId?: unknown; sequenceId?: unknown } | undefined;
    return out !== undefined && isCurrent(t, out.sessionId, out.sequenceId);
  },
  isCurrentStreamEvent: (t, e) => isCurrent(t, e['sessionId'], e['sequenceId']),
  isSessionNotFound: (t, e) => t.sessionId !== null && codeOf(e) === 'session_not_found',
  isFatalError: (_t, e) => FATAL.has(codeOf(e)),
  fatalLeavesSessionOpen: (_t, e) => SESSION_OUTLIVES.has(codeOf(e)),
  hasOutcome: (t) => t.decided !== null,
  canRestart: (t, _e, c) => c.expiryPolicy === 'restart' && t.restarts < c.maxRestarts,
  closesOnExpiry: (_t, _e, c) => c.expiryPolicy === 'close',
};

function holds(row: Row, t: TableState, e: Ev, c: TableConfig): boolean {
  if (row.when === undefined) return true;
  return row.when.split(' and ').every((name) => {
    const condition = CONDITIONS[name];
    if (!condition) throw new Error(`table: no condition ${name}`);
    return condition(t, e, c);
  });
}

const ancestors = (state: string): string[] => {
  const parts = state.split('.');
  return [...parts.map((_, i) => parts.slice(0, parts.length - i).join('.')), ''];
};

function apply(effect: Effect, t: TableState, e: Ev): void {
  const settle = (id: string, how: string) => {
    if (!t.settled.has(id)) t.settled.set(id, how);
  };
  const turnOfEvent = (): Turn => ({ id: e['turnId'] as string, stream: e['stream'] === true });
  switch (effect) {
    case 'queue':
      t.queue.push(turnOfEvent());
      break;
    case 'refuse queue_full':
      settle(turnOfEvent().id, 'queue_full');
      break;
    case 'refuse session_closed':
      settle(turnOfEvent().id, 'session_closed');
      break;
    case 'send next': {
      const next = t.queue.shift();
      if (next && t.sessionId !== null) {
        t.lastSequenceId++;
        t.inFlight = { ...next, sequenceId: t.lastSequenceId, sessionId: t.sessionId };
      } else if (next) t.queue.unshift(next);
      break;
    }
    case 'resolve in-flight':
      if (t.inFlight) settle(t.inFlight.id, 'ok');
      t.inFlight = null;
      break;
    case 'reject in-flight with the error':
    case 'reject in-flight aborted':
    case 'reject in-flight session_closed':
    case 'reject in-flight session_expired': {
      const code = effect.endsWith('the error') ? codeOf(e) : effect.split(' ').at(-1)!;
      if (t.inFlight) settle(t.inFlight.id, code === 'aborted' ? 'aborted' : code);
      t.inFlight = null;
      break;
    }
    case 'reject waiting with the error':
    case 'reject waiting session_closed':
    case 'reject waiting session_expired': {
      const code = effect.endsWith('the error') ? codeOf(e) : effect.split(' ').at(-1)!;
      for (const q of t.queue) settle(q.id, code);
      t.queue = [];
      break;
    }
    case 'drop cancelled':
      t.queue = t.queue.filter((q) => q.id !== e['turnId']);
      settle(e['turnId'] as string, 'aborted');
      break;
    case 'requeue in-flight':
      if (t.inFlight) t.queue.unshift({ id: t.inFlight.id, stream: t.inFlight.stream });
      t.inFlight = null;
      break;
    case 'count restart':
      t.restarts++;
      break;
    case 'record session':
      t.sessionId = (e['output'] as { sessionId: string }).sessionId;
      break;
    case 'remember end':
      t.endRequested = true;
      break;
    case 'raise sequence floor':
      t.lastSequenceId = e['lastSequenceId'] as number;
      break;
    case 'decide failed, end with reason Error':
      t.decided = 'failed';
      break;
    case 'close as decided':
      t.closed = t.decided;
      break;
    case 'drop reply':
    case 'emit stream event':
    case 'expired':
      break;
    default:
      t.closed = effect.slice('close '.length);
  }
}

/** Enters `to`: its initial child, then the `always` rows of the state reached, until it rests. */
function enter(to: string, t: TableState, e: Ev, c: TableConfig): void {
  let state = INITIAL_CHILD[to] ?? to;
  for (let guard = 0; guard < 10; guard++) {
    t.state = state;
    const row = LIFECYCLE_TABLE.find(
      (r) => r.from === state && r.on === 'always' && holds(r, t, e, c),
    );
    if (!row || row.to === null) return;
    for (const effect of row.does) apply(effect, t, e);
    t.wire.push(...row.wire);
    state = INITIAL_CHILD[row.to] ?? row.to;
  }
  throw new Error(`table: always rows loop from ${to}`);
}

export function tableStart(): TableState {
  return {
    state: 'idle',
    queue: [],
    inFlight: null,
    lastSequenceId: 0,
    sessionId: null,
    restarts: 0,
    endRequested: false,
    settled: new Map(),
    closed: null,
    decided: null,
    wire: [],
  };
}

/**
 * One event: the first row, from the state outwards and in table order, whose condition holds.
 * Returns the row taken, or undefined when no row takes the event (nothing happens).
 */
export function tableStep(t: TableState, e: Ev, c: TableConfig): Row | undefined {
  if (t.state === FINAL) return undefined;
  for (const from of ancestors(t.state)) {
    const row = LIFECYCLE_TABLE.find(
      (r) => r.from === from && r.on === e.type && holds(r, t, e, c),
    );
    if (!row) continue;
    for (const effect of row.does) apply(effect, t, e);
    t.wire.push(...row.wire);
    if (row.to !== null) enter(row.to, t, e, c);
    return row;
  }
  return undefined;
}
