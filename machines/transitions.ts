/**
 * Transition lists the chart takes in more than one place. Each is a plain config fragment: the
 * guards and actions it names are those of `setup()` in `session.machine.ts`.
 */
import { and } from 'xstate';
import { closedError, expiredError } from './turn-errors.js';

/** A message sent while a request is in flight waits in the queue, if it has room. */
export const QUEUE_SEND = [
  { guard: 'queueHasRoom', actions: 'enqueueTurn' },
  { actions: 'rejectQueueFull' },
] as const;

/** The token or the session could not be had: waiting messages fail, the session closes. */
export const START_FAILED = {
  target: '#session.closed',
  actions: ['failQueued', { type: 'setOutcome', params: { reason: 'failed', withError: true } }],
} as const;

/** The session was ended by its caller: every waiting message fails with that. */
export const FAIL_QUEUED_ENDED = {
  type: 'failQueued',
  params: { error: closedError('the session was ended') },
} as const;

/** The session expired and will not restart: every waiting message fails with that. */
export const FAIL_QUEUED_EXPIRED = { type: 'failQueued', params: { error: expiredError } } as const;

/** A reply to the message in flight: the sync `onDone` and the stream's `STREAM.DONE` alike. */
export const REPLY_ARRIVED = [
  {
    guard: and(['isCurrentReply', 'replyEndsSession']),
    target: '#session.closed',
    actions: [
      'completeTurn',
      'endTurn',
      {
        type: 'failQueued',
        params: { error: closedError('the server ended the session') },
      },
      { type: 'setOutcome', params: { reason: 'ended-by-server' } },
    ],
  },
  {
    guard: and(['isCurrentReply', 'hasQueuedTurns', 'nextTurnStreams']),
    target: '#session.active.streaming',
    reenter: true,
    actions: ['completeTurn', 'endTurn', 'dequeueTurn'],
  },
  {
    guard: and(['isCurrentReply', 'hasQueuedTurns']),
    target: '#session.active.sending',
    reenter: true,
    actions: ['completeTurn', 'endTurn', 'dequeueTurn'],
  },
  {
    guard: 'isCurrentReply',
    target: '#session.awaitingInput',
    actions: ['completeTurn', 'endTurn'],
  },
  { actions: 'dropStaleReply' },
] as const;

/** A fatal error on a message: the turn and the queue fail with it; the outcome is `failed`. */
export const FAIL_AND_CLOSE = [
  'failInFlight',
  { type: 'failQueued', params: { error: closedError('the session failed') } },
  { type: 'setOutcome', params: { reason: 'failed', withError: true } },
] as const;

/**
 * A fatal error after which the server session still exists (400, 403, 422, a defect here): as
 * {@link FAIL_AND_CLOSE}, and the server session is ended (`ending`, reason `Error`) rather than
 * left open until the server's timeout.
 */
export const FAIL_AND_END = ['endForError', ...FAIL_AND_CLOSE] as const;

/**
 * A fatal error on the message in flight: a 404 session-not-found expires the session (a restart
 * may follow); otherwise it ends the session when the server session outlives the error, else
 * closes it.
 */
export const TURN_FAILED_FATALLY = [
  {
    guard: 'isSessionNotFound',
    target: '#session.expired',
    actions: { type: 'emitExpired', params: { cause: 'server' } },
  },
  { guard: 'fatalLeavesSessionOpen', target: '#session.ending', actions: FAIL_AND_END },
  { guard: 'isFatalError', target: '#session.closed', actions: FAIL_AND_CLOSE },
] as const;

/**
 * Any other error on the message in flight fails that message only: the next waiting one goes out
 * (streamed or not), else the session waits for input.
 */
export const TURN_FAILED = [
  {
    guard: and(['hasQueuedTurns', 'nextTurnStreams']),
    target: '#session.active.streaming',
    reenter: true,
    actions: ['failInFlight', 'dequeueTurn'],
  },
  {
    guard: 'hasQueuedTurns',
    target: '#session.active.sending',
    reenter: true,
    actions: ['failInFlight', 'dequeueTurn'],
  },
  { target: '#session.awaitingInput', actions: 'failInFlight' },
] as const;

/** A request's failure (`onError`): fatal, or of that message only. */
export const REQUEST_FAILED = [...TURN_FAILED_FATALLY, ...TURN_FAILED] as const;

/**
 * A stream's failure (`STREAM.FAILED`) as {@link REQUEST_FAILED}, taken only when it belongs to
 * the message in flight (a late failure of an older stream is dropped).
 */
export const STREAM_FAILED = REQUEST_FAILED.map((transition) => ({
  ...transition,
  // Two alike branches: `and` takes a named guard or a composed one, not the union of both.
  guard: !('guard' in transition)
    ? ('isCurrentStreamEvent' as const)
    : typeof transition.guard === 'string'
      ? and(['isCurrentStreamEvent', transition.guard])
      : and(['isCurrentStreamEvent', transition.guard]),
}));
