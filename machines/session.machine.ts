/**
 * The session lifecycle as an XState v5 statechart: `setup()` (every guard, action, actor and
 * delay, named) and the chart, together.
 *
 * Pure: no HTTP, no Node APIs. The request actors here are placeholders that fail loudly; the
 * client supplies the real ones (over HTTP) with `sessionMachine.provide({ actors })`. The
 * `idleDeadline` actor works as is, on `Date.now()`. The chart can be drawn, inspected and walked
 * by `xstate/graph`. See docs/lifecycle.md for the why of each transition; the transition lists
 * taken in more than one place are in `transitions.ts`.
 */
import {
  and,
  assertEvent,
  assign,
  emit,
  enqueueActions,
  fromCallback,
  fromPromise,
  setup,
} from 'xstate';
import type { EndReason, ResponseMessage } from '../src/api/index.js';
import { systemClock } from '../src/options.js';
import { questionIn, sessionEndedIn } from './agent-messages.js';
import { FATAL_CODES, SESSION_OUTLIVES_CODES } from './error-codes.js';
import { errorCodeOf, errorInfoOf, outputOf } from './event-data.js';
import { idleDeadlineOn, stampIdleDeadlineOn } from './idle-deadline.js';
import { inFlightOf, sendInputOf } from './in-flight.js';
import type {
  AuthorizeInput,
  AuthorizeOutput,
  EndSessionInput,
  EndSessionOutput,
  ErrorInfo,
  InFlightTurn,
  SendMessageInput,
  SendMessageOutput,
  SessionContext,
  SessionEmitted,
  SessionEvent,
  SessionInput,
  SessionOutcome,
  StartSessionInput,
  StartSessionOutput,
  StreamMessageInput,
  TopLevelState,
} from './session.types.js';
import {
  FAIL_QUEUED_ENDED,
  FAIL_QUEUED_EXPIRED,
  QUEUE_SEND,
  REPLY_ARRIVED,
  REQUEST_FAILED,
  START_FAILED,
  STREAM_FAILED,
  TURN_FAILED,
} from './transitions.js';
import { cancelledError, closedError, expiredError } from './turn-errors.js';

/** Defaults of the machine's policy knobs. */
export const SESSION_DEFAULTS = {
  maxQueue: 100,
  maxRestarts: 3,
  expiryPolicy: 'restart',
  bypassUser: true,
} as const;

/**
 * Version of the persisted context shape. Bump it whenever a state or a context field changes:
 * test/client/context-shape.test.ts holds the shape of each version and fails until it is.
 */
export const SESSION_SCHEMA_VERSION = 2;

function notProvided(name: string): never {
  throw new Error(`session machine: actor '${name}' was not provided`);
}

export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionEvent,
    input: {} as SessionInput,
    emitted: {} as SessionEmitted,
    output: {} as SessionOutcome,
  },
  actors: {
    authorize: fromPromise<AuthorizeOutput, AuthorizeInput>(() => notProvided('authorize')),
    startSession: fromPromise<StartSessionOutput, StartSessionInput>(() =>
      notProvided('startSession'),
    ),
    sendMessage: fromPromise<SendMessageOutput, SendMessageInput>(() => notProvided('sendMessage')),
    endSession: fromPromise<EndSessionOutput, EndSessionInput>(() => notProvided('endSession')),
    /** Streams the reply, sending a `STREAM.EVENT` per read, then `STREAM.DONE` or `STREAM.FAILED`. */
    streamMessage: fromCallback<SessionEvent, StreamMessageInput>(() =>
      notProvided('streamMessage'),
    ),
    /** Sends `IDLE_TIMEOUT` when the deadline passes. The client supplies one on its clock. */
    idleDeadline: idleDeadlineOn(systemClock),
  },
  guards: {
    /** Sequence ordering: the reply belongs to the message in flight, on this session. */
    isCurrentReply: ({ context, event }) => {
      const out = outputOf<Partial<SendMessageOutput> | undefined>(event);
      return (
        out !== undefined &&
        out.sequenceId === inFlightOf(context).sequenceId &&
        out.sessionId === inFlightOf(context).sessionId
      );
    },
    /** Sequence ordering: a stream event belongs to the message in flight, on this session. */
    isCurrentStreamEvent: ({ context, event }) => {
      assertEvent(event, ['STREAM.EVENT', 'STREAM.FAILED']);
      return (
        event.sequenceId === inFlightOf(context).sequenceId &&
        event.sessionId === inFlightOf(context).sessionId
      );
    },
    /** The message sent now goes through the streaming endpoint. */
    sendStreams: ({ event }) => {
      assertEvent(event, 'SEND');
      return event.stream === true;
    },
    /** The next waiting message goes through the streaming endpoint. */
    nextTurnStreams: ({ context }) => context.queue[0]?.stream === true,
    isInFlightTurn: ({ context, event }) => {
      assertEvent(event, 'CANCEL');
      return inFlightOf(context).turnId === event.turnId;
    },
    isQueuedTurn: ({ context, event }) => {
      assertEvent(event, 'CANCEL');
      return context.queue.some((t) => t.turnId === event.turnId);
    },
    /** Sequence ordering: a floor from outside may only raise the counter. */
    raisesSequenceFloor: ({ context, event }) => {
      assertEvent(event, 'SEQUENCE.FLOOR');
      return event.lastSequenceId > context.lastSequenceId;
    },
    /** 404 expiry: session-not-found, on a session that had started. A wrong-host 404 is not. */
    isSessionNotFound: ({ context, event }) =>
      context.sessionId !== null && errorCodeOf(event) === 'session_not_found',
    /** Errors that no retry or new session can fix: credentials, permissions, configuration. */
    isFatalError: ({ event }) => FATAL_CODES.has(errorCodeOf(event)),
    /** A fatal error that leaves the server session open: it is ended with reason `Error`. */
    fatalLeavesSessionOpen: ({ event }) => SESSION_OUTLIVES_CODES.has(errorCodeOf(event)),
    startRepliesEndSession: ({ event }) =>
      sessionEndedIn(outputOf<StartSessionOutput>(event).messages) !== undefined,
    replyEndsSession: ({ event }) =>
      sessionEndedIn(outputOf<SendMessageOutput>(event).messages) !== undefined,
    hasQueuedTurns: ({ context }) => context.queue.length > 0,
    hasTurnInFlight: ({ context }) => context.inFlight !== null,
    queueHasRoom: ({ context }) => context.queue.length < context.maxQueue,
    canRestart: ({ context }) =>
      context.expiryPolicy === 'restart' && context.restarts < context.maxRestarts,
    closesOnExpiry: ({ context }) => context.expiryPolicy === 'close',
    endRequested: ({ context }) => context.endRequested !== null,
    /** The outcome was already decided (a failure) before the DELETE: ending keeps it. */
    hasOutcome: ({ context }) => context.outcome !== null,
  },
  actions: {
    emitState: emit((_, params: { state: TopLevelState }) => ({
      type: 'state' as const,
      state: params.state,
    })),
    newExternalSessionKey: assign({ externalSessionKey: () => globalThis.crypto.randomUUID() }),
    /** Stamps the idle deadline. The client provides a version on its own clock. */
    stampIdleDeadline: stampIdleDeadlineOn(systemClock),
    clearIdleDeadline: assign({ idleDeadline: null }),
    /**
     * Spawns the `idleDeadline` actor when there is a deadline. A spawned child is persisted and
     * restored like an invoked one; without a deadline no actor is made (an idle session costs
     * one child actor less, in memory and per turn).
     */
    startIdleTimer: enqueueActions(({ context, enqueue }) => {
      if (context.idleDeadline === null) return;
      enqueue.spawnChild('idleDeadline', {
        id: 'idleDeadline',
        input: { deadline: context.idleDeadline },
      });
    }),
    /** Stops the `idleDeadline` actor, if `startIdleTimer` made one (exit actions run first). */
    stopIdleTimer: enqueueActions(({ context, enqueue }) => {
      if (context.idleDeadline !== null) enqueue.stopChild('idleDeadline');
    }),
    /** Takes the floor `raisesSequenceFloor` let through (it is higher than the counter). */
    raiseSequenceFloor: assign({
      lastSequenceId: ({ event }) => {
        assertEvent(event, 'SEQUENCE.FLOOR');
        return event.lastSequenceId;
      },
    }),
    enqueueTurn: assign({
      queue: ({ context, event }) => {
        assertEvent(event, 'SEND');
        const { type: _type, ...turn } = event;
        return [...context.queue, turn];
      },
    }),
    rejectQueueFull: emit(({ context, event }) => {
      assertEvent(event, 'SEND');
      return {
        type: 'turn.failed' as const,
        turnId: event.turnId,
        error: {
          name: 'QueueFullError',
          code: 'queue_full' as const,
          message: `${context.maxQueue} messages are already waiting for this session`,
        },
      };
    }),
    rejectSendWhileEnding: emit(({ event }) => {
      assertEvent(event, 'SEND');
      return {
        type: 'turn.failed' as const,
        turnId: event.turnId,
        error: closedError('the session is ending'),
      };
    }),
    /** Takes the next message off the queue and gives it the next `sequenceId`. */
    dequeueTurn: enqueueActions(({ context, enqueue }) => {
      const [next, ...rest] = context.queue;
      if (!next || context.sessionId === null) return;
      const sequenceId = context.lastSequenceId + 1;
      const inFlight: InFlightTurn = { ...next, sequenceId, sessionId: context.sessionId };
      enqueue.assign({
        queue: rest,
        inFlight,
        lastSequenceId: sequenceId,
        pendingQuestionId: null,
        idleDeadline: null,
      });
      enqueue.emit({
        type: 'turn.sent',
        turnId: next.turnId,
        sequenceId,
        sessionId: context.sessionId,
      });
    }),
    /**
     * Sends a message at once (the queue is empty in `awaitingInput`): gives it the next
     * `sequenceId` and puts it in flight, in one assign (each assign copies the context).
     */
    sendNow: assign(({ context, event }) => {
      assertEvent(event, 'SEND');
      if (context.sessionId === null) return {};
      const { type: _type, ...turn } = event;
      const sequenceId = context.lastSequenceId + 1;
      return {
        inFlight: { ...turn, sequenceId, sessionId: context.sessionId },
        lastSequenceId: sequenceId,
        pendingQuestionId: null,
        idleDeadline: null,
      };
    }),
    emitTurnSent: emit(({ context }) => {
      const { turnId, sequenceId, sessionId } = inFlightOf(context);
      return { type: 'turn.sent' as const, turnId, sequenceId, sessionId };
    }),
    /** The reply to the message in flight: `turn.completed` (then `endTurn`). */
    completeTurn: emit(({ context, event }) => {
      const { turnId, sequenceId, sessionId } = inFlightOf(context);
      return {
        type: 'turn.completed' as const,
        turnId,
        sequenceId,
        sessionId,
        messages: outputOf<SendMessageOutput>(event).messages,
      };
    }),
    /** The message in flight is answered: no longer in flight; a question in the reply is pending. */
    endTurn: assign(({ event }) => ({
      inFlight: null,
      pendingQuestionId: questionIn(outputOf<SendMessageOutput>(event).messages),
    })),
    /** Emits `turn.stream` for each event of one read of the stream, in order. */
    emitStreamEvents: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'STREAM.EVENT');
      const { turnId } = inFlightOf(context);
      for (const streamed of event.events) {
        enqueue.emit({
          type: 'turn.stream',
          turnId,
          sequenceId: event.sequenceId,
          event: streamed,
        });
      }
    }),
    dropQueuedTurn: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'CANCEL');
      enqueue.assign({ queue: context.queue.filter((t) => t.turnId !== event.turnId) });
      enqueue.emit({ type: 'turn.failed', turnId: event.turnId, error: cancelledError });
    }),
    dropStaleReply: emit(({ context, event }) => ({
      type: 'reply.dropped' as const,
      sequenceId: outputOf<Partial<SendMessageOutput> | undefined>(event)?.sequenceId ?? -1,
      expected: inFlightOf(context).sequenceId,
    })),
    /** Fails the message in flight with the error of the event (or the given one). */
    failInFlight: enqueueActions(({ context, event, enqueue }, params?: { error?: ErrorInfo }) => {
      const turn = inFlightOf(context);
      enqueue.assign({ inFlight: null });
      enqueue.emit({
        type: 'turn.failed',
        turnId: turn.turnId,
        error: params?.error ?? errorInfoOf(event),
      });
    }),
    /** Fails every waiting message with the given error. */
    failQueued: enqueueActions(({ context, event, enqueue }, params?: { error?: ErrorInfo }) => {
      if (context.queue.length === 0) return;
      const error = params?.error ?? errorInfoOf(event);
      enqueue.assign({ queue: [] });
      for (const turn of context.queue) {
        enqueue.emit({ type: 'turn.failed', turnId: turn.turnId, error });
      }
    }),
    /** Puts the message that was in flight back at the head of the queue (for a new session). */
    requeueInFlight: assign({
      queue: ({ context }) => {
        const { sequenceId: _s, sessionId: _id, ...turn } = inFlightOf(context);
        return [turn, ...context.queue];
      },
      inFlight: null,
    }),
    countRestart: assign({ restarts: ({ context }) => context.restarts + 1 }),
    /** Records a new server session; emits `session.started` (and `session.restarted`). */
    recordSession: enqueueActions(({ context, event, enqueue }) => {
      const out = outputOf<StartSessionOutput>(event);
      const previous = context.sessionId;
      enqueue.assign({
        sessionId: out.sessionId,
        pendingQuestionId: questionIn(out.messages),
      });
      enqueue.emit({
        type: 'session.started',
        sessionId: out.sessionId,
        externalSessionKey: context.externalSessionKey ?? '',
        messages: out.messages,
      });
      if (previous !== null) {
        enqueue.emit({
          type: 'session.restarted',
          previousSessionId: previous,
          sessionId: out.sessionId,
          restarts: context.restarts,
        });
      }
    }),
    emitExpired: emit(({ context }, params: { cause: 'server' | 'idle' }) => ({
      type: 'session.expired' as const,
      sessionId: context.sessionId,
      cause: params.cause,
      turnId: context.inFlight?.turnId ?? null,
    })),
    requestEnd: assign({
      endRequested: ({ event }) => {
        assertEvent(event, 'END');
        return event.reason;
      },
    }),
    /** The server session is ended because the session failed. */
    endForError: assign({ endReason: 'Error' satisfies EndReason }),
    setEndReason: assign({
      endReason: ({ event, context }) =>
        event.type === 'END' ? event.reason : (context.endRequested ?? context.endReason),
    }),
    /** Sets the outcome of the session; `closed` outputs it. */
    setOutcome: assign({
      outcome: (
        { context, event },
        params: { reason: SessionOutcome['reason']; withError?: boolean },
      ) => {
        const outcome: SessionOutcome = { reason: params.reason, sessionId: context.sessionId };
        if (context.endReason !== null) outcome.endReason = context.endReason;
        const output = (event as { output?: { messages?: ResponseMessage[] } }).output;
        const serverReason = output?.messages ? sessionEndedIn(output.messages) : undefined;
        if (serverReason !== undefined) outcome.serverReason = serverReason;
        if (params.withError) outcome.error = errorInfoOf(event);
        return outcome;
      },
    }),
    setExpiredOutcome: assign({
      outcome: ({ context }): SessionOutcome => ({
        reason: 'expired',
        sessionId: context.sessionId,
        error: {
          ...expiredError,
          message:
            context.expiryPolicy === 'close'
              ? 'the session expired (expiry policy: close)'
              : `the session expired and the restart budget (${context.maxRestarts}) is spent`,
        },
      }),
    }),
    /**
     * The DELETE failed after its retries: the server session may stay open until its timeout.
     * A 404 is not a failure here: the session is already gone.
     */
    emitEndFailed: enqueueActions(({ context, event, enqueue }, params: { reason: EndReason }) => {
      const error = errorInfoOf(event);
      if (error.code === 'session_not_found') return;
      enqueue.emit({
        type: 'session.end-failed',
        sessionId: context.sessionId,
        reason: params.reason,
        error,
      });
    }),
    emitClosed: emit(({ context }) => ({
      type: 'session.closed' as const,
      outcome: context.outcome ?? { reason: 'ended' as const, sessionId: context.sessionId },
    })),
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    agentId: input.agentId,
    endpoint: input.endpoint,
    start: {
      bypassUser: input.bypassUser ?? SESSION_DEFAULTS.bypassUser,
      tz: input.tz ?? null,
      variables: input.variables ?? null,
    },
    sessionId: null,
    externalSessionKey: null,
    lastSequenceId: input.lastSequenceId ?? 0,
    queue: [],
    maxQueue: input.maxQueue ?? SESSION_DEFAULTS.maxQueue,
    inFlight: null,
    pendingQuestionId: null,
    expiryPolicy: input.expiryPolicy ?? SESSION_DEFAULTS.expiryPolicy,
    restarts: 0,
    maxRestarts: input.maxRestarts ?? SESSION_DEFAULTS.maxRestarts,
    idleTimeoutMs: input.idleTimeoutMs ?? null,
    idleDeadline: null,
    endRequested: null,
    endReason: null,
    outcome: null,
  }),
  initial: 'idle',
  on: {
    'SEQUENCE.FLOOR': { guard: 'raisesSequenceFloor', actions: 'raiseSequenceFloor' },
  },
  states: {
    idle: {
      entry: { type: 'emitState', params: { state: 'idle' } },
      on: {
        START: 'starting',
        SEND: [
          { guard: 'queueHasRoom', target: 'starting', actions: 'enqueueTurn' },
          { actions: 'rejectQueueFull' },
        ],
        END: {
          target: 'closed',
          actions: ['setEndReason', { type: 'setOutcome', params: { reason: 'ended' } }],
        },
      },
    },

    starting: {
      entry: [{ type: 'emitState', params: { state: 'starting' } }, 'newExternalSessionKey'],
      initial: 'authorizing',
      on: {
        SEND: QUEUE_SEND,
        CANCEL: { guard: 'isQueuedTurn', actions: 'dropQueuedTurn' },
        END: {
          actions: ['requestEnd', FAIL_QUEUED_ENDED],
        },
      },
      states: {
        authorizing: {
          invoke: {
            id: 'authorize',
            src: 'authorize',
            input: {},
            onDone: 'opening',
            onError: START_FAILED,
          },
        },
        opening: {
          invoke: {
            id: 'startSession',
            src: 'startSession',
            input: ({ context }) => ({
              agentId: context.agentId,
              externalSessionKey: context.externalSessionKey ?? '',
              endpoint: context.endpoint,
              bypassUser: context.start.bypassUser,
              tz: context.start.tz,
              variables: context.start.variables,
            }),
            onDone: [
              {
                guard: 'endRequested',
                target: '#session.ending',
                actions: ['recordSession', 'setEndReason', FAIL_QUEUED_ENDED],
              },
              {
                guard: 'startRepliesEndSession',
                target: '#session.closed',
                actions: [
                  'recordSession',
                  {
                    type: 'failQueued',
                    params: { error: closedError('the server ended the session') },
                  },
                  { type: 'setOutcome', params: { reason: 'ended-by-server' } },
                ],
              },
              {
                guard: and(['hasQueuedTurns', 'nextTurnStreams']),
                target: '#session.active.streaming',
                actions: ['recordSession', 'dequeueTurn'],
              },
              {
                guard: 'hasQueuedTurns',
                target: '#session.active.sending',
                actions: ['recordSession', 'dequeueTurn'],
              },
              { target: '#session.awaitingInput', actions: 'recordSession' },
            ],
            onError: START_FAILED,
          },
        },
      },
    },

    active: {
      entry: { type: 'emitState', params: { state: 'active' } },
      // Every transition into `active` names `sending` or `streaming`, as the message was sent.
      initial: 'sending',
      states: {
        sending: {
          invoke: {
            id: 'sendMessage',
            src: 'sendMessage',
            input: ({ context }) => sendInputOf(context),
            onDone: REPLY_ARRIVED,
            onError: REQUEST_FAILED,
          },
        },
        streaming: {
          invoke: {
            id: 'streamMessage',
            src: 'streamMessage',
            input: ({ context }) => sendInputOf(context),
            onError: TURN_FAILED,
          },
          on: {
            'STREAM.EVENT': { guard: 'isCurrentStreamEvent', actions: 'emitStreamEvents' },
            'STREAM.DONE': REPLY_ARRIVED,
            'STREAM.FAILED': STREAM_FAILED,
          },
        },
      },
      on: {
        SEND: QUEUE_SEND,
        CANCEL: [
          {
            guard: and(['isInFlightTurn', 'hasQueuedTurns', 'nextTurnStreams']),
            target: '#session.active.streaming',
            actions: [{ type: 'failInFlight', params: { error: cancelledError } }, 'dequeueTurn'],
          },
          {
            guard: and(['isInFlightTurn', 'hasQueuedTurns']),
            target: '#session.active.sending',
            actions: [{ type: 'failInFlight', params: { error: cancelledError } }, 'dequeueTurn'],
          },
          {
            guard: 'isInFlightTurn',
            target: 'awaitingInput',
            actions: { type: 'failInFlight', params: { error: cancelledError } },
          },
          { guard: 'isQueuedTurn', actions: 'dropQueuedTurn' },
        ],
        END: {
          target: 'ending',
          actions: [
            { type: 'failInFlight', params: { error: closedError('the session was ended') } },
            FAIL_QUEUED_ENDED,
            'setEndReason',
          ],
        },
      },
    },

    awaitingInput: {
      entry: [
        { type: 'emitState', params: { state: 'awaitingInput' } },
        'stampIdleDeadline',
        'startIdleTimer',
      ],
      exit: 'stopIdleTimer',
      on: {
        SEND: [
          {
            guard: 'sendStreams',
            target: 'active.streaming',
            actions: ['sendNow', 'emitTurnSent'],
          },
          { target: 'active.sending', actions: ['sendNow', 'emitTurnSent'] },
        ],
        IDLE_TIMEOUT: {
          target: 'expired.releasing',
          actions: [{ type: 'emitExpired', params: { cause: 'idle' } }, 'clearIdleDeadline'],
        },
        END: { target: 'ending', actions: ['setEndReason', 'clearIdleDeadline'] },
      },
    },

    expired: {
      entry: { type: 'emitState', params: { state: 'expired' } },
      initial: 'resting',
      states: {
        /**
         * The client's idle deadline passed, but the server may still hold the session: it is
         * ended (`DELETE`, reason `Expiration`) before anything else. Messages sent meanwhile wait.
         */
        releasing: {
          invoke: {
            id: 'endSession',
            src: 'endSession',
            input: ({ context }) => ({
              sessionId: context.sessionId ?? '',
              reason: 'Expiration' satisfies EndReason,
            }),
            onDone: 'resting',
            onError: {
              target: 'resting',
              actions: { type: 'emitEndFailed', params: { reason: 'Expiration' } },
            },
          },
          on: {
            SEND: QUEUE_SEND,
            /** The app's end reason wins: the DELETE goes again with it. */
            END: {
              target: '#session.ending',
              actions: [FAIL_QUEUED_ENDED, 'setEndReason'],
            },
          },
        },
        resting: {
          always: [
            {
              guard: and(['hasTurnInFlight', 'canRestart']),
              target: '#session.starting',
              actions: ['requeueInFlight', 'countRestart'],
            },
            {
              guard: 'hasTurnInFlight',
              target: '#session.closed',
              actions: [
                'setExpiredOutcome',
                {
                  type: 'failInFlight',
                  params: { error: expiredError },
                },
                FAIL_QUEUED_EXPIRED,
              ],
            },
            {
              guard: and(['hasQueuedTurns', 'canRestart']),
              target: '#session.starting',
              actions: 'countRestart',
            },
            {
              guard: 'hasQueuedTurns',
              target: '#session.closed',
              actions: ['setExpiredOutcome', FAIL_QUEUED_EXPIRED],
            },
            { guard: 'closesOnExpiry', target: '#session.closed', actions: 'setExpiredOutcome' },
          ],
        },
      },
      on: {
        SEND: [
          {
            guard: 'canRestart',
            target: 'starting',
            actions: ['enqueueTurn', 'countRestart'],
          },
          {
            target: 'closed',
            actions: ['enqueueTurn', 'setExpiredOutcome', FAIL_QUEUED_EXPIRED],
          },
        ],
        END: { target: 'ending', actions: 'setEndReason' },
      },
    },

    ending: {
      entry: { type: 'emitState', params: { state: 'ending' } },
      invoke: {
        id: 'endSession',
        src: 'endSession',
        input: ({ context }) => ({
          sessionId: context.sessionId ?? '',
          reason: context.endReason ?? ('UserRequest' satisfies EndReason),
        }),
        onDone: [
          { guard: 'hasOutcome', target: 'closed' },
          { target: 'closed', actions: { type: 'setOutcome', params: { reason: 'ended' } } },
        ],
        onError: [
          {
            guard: 'hasOutcome',
            target: 'closed',
            actions: { type: 'emitEndFailed', params: { reason: 'Error' } },
          },
          {
            guard: 'isSessionNotFound',
            target: 'closed',
            actions: { type: 'setOutcome', params: { reason: 'ended' } },
          },
          {
            target: 'closed',
            actions: { type: 'setOutcome', params: { reason: 'ended', withError: true } },
          },
        ],
      },
      on: {
        SEND: { actions: 'rejectSendWhileEnding' },
      },
    },

    closed: {
      type: 'final',
      entry: [{ type: 'emitState', params: { state: 'closed' } }, 'emitClosed'],
    },
  },
  output: ({ context }) => context.outcome ?? { reason: 'ended', sessionId: context.sessionId },
});

export type SessionMachine = typeof sessionMachine;
