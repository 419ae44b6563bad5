/** The faults the emulator can inject, the routes they target, and the injector's options. */

/** The routes a fault can target; `'*'` means any route the fault applies to. */
export type FaultRoute =
  'token' | 'start' | 'send' | 'stream' | 'end' | 'feedback' | 'status' | 'query' | '*';

/** The concrete routes (every {@link FaultRoute} but `'*'`). */
export type EmulatorRoute = Exclude<FaultRoute, '*'>;

/** Every concrete route, in a fixed order. */
export const EMULATOR_ROUTES: readonly EmulatorRoute[] = [
  'token',
  'start',
  'send',
  'stream',
  'end',
  'feedback',
  'status',
  'query',
];

/**
 * Answer with an error status. The body is the documented `Error` body with the error class of
 * that status (the OAuth error body on the token route), unless `body` replaces it.
 */
export interface StatusFault {
  /** HTTP status, 400-599. */
  readonly status: number;
  /** Seconds, sent as the `Retry-After` header. */
  readonly retryAfter?: number;
  /** A body to send instead (a string is sent as is, anything else as JSON). */
  readonly body?: unknown;
  /** Error class name for the `error` field. */
  readonly error?: string;
  /** Text for the `message` field. */
  readonly message?: string;
}

/** Wait `delayMs` (real time, with the session locked) before answering normally. */
export interface DelayFault {
  readonly delayMs: number;
}

/**
 * Destroy the connection. `before`: before the request is processed (nothing happens on the
 * server). `after`: once the request has been fully processed (the turn is consumed), instead
 * of sending the reply.
 */
export interface DropFault {
  readonly drop: 'before' | 'after';
}

/**
 * Process the request, then answer 200 with a broken body: `true` / `'json'` = not JSON at all,
 * `'shape'` = JSON but not the documented shape. On the stream route, an event whose data is not JSON.
 */
export interface MalformedFault {
  readonly malformed: true | 'json' | 'shape';
}

/** Expire the session for real and answer the 404 `NotFoundException` body. Session routes only. */
export interface SessionNotFoundFault {
  readonly sessionNotFound: true;
}

/**
 * The reply of a send (or stream) ends with a `SessionEnded` message and the session is ended
 * server-side. Send and stream only.
 */
export interface SessionEndedFault {
  readonly sessionEnded: true;
  /** `SessionEnded.reason`; default `Action`. */
  readonly reason?: string;
}

/** Stream only: an `ERROR` event after `afterEvents` events (default 1), then the stream ends. */
export interface StreamErrorFault {
  readonly streamError: true;
  readonly afterEvents?: number;
  /** Status in the error data; default 500. */
  readonly status?: number;
  readonly error?: string;
  readonly message?: string;
}

/**
 * Stream only: a `VALIDATION_FAILURE_CHUNK` after `afterChunks` text chunks (default 1), then
 * replacement chunks and the final messages.
 */
export interface ValidationFailureFault {
  readonly validationFailure: true;
  readonly afterChunks?: number;
  readonly reason?: string;
}

/** Stream only: stop sending after `afterEvents` events (default 1) without closing. */
export interface StallFault {
  readonly stall: true;
  readonly afterEvents?: number;
}

/** Stream only: destroy the connection after `afterEvents` events (default 1). */
export interface DropMidStreamFault {
  readonly dropMidStream: true;
  readonly afterEvents?: number;
}

/** Any fault. */
export type Fault =
  | StatusFault
  | DelayFault
  | DropFault
  | MalformedFault
  | SessionNotFoundFault
  | SessionEndedFault
  | StreamErrorFault
  | ValidationFailureFault
  | StallFault
  | DropMidStreamFault;

/**
 * The name of a fault, as counted in {@link FaultInjector.injected} and used as a key of
 * {@link RandomFaultOptions.rates}: `status:<code>` (e.g. `status:429`), `delay`, `dropBefore`,
 * `dropAfter`, `malformed`, `sessionNotFound`, `sessionEnded`, `streamError`,
 * `validationFailure`, `stall`, `dropMidStream`.
 */
export type FaultName = string;

/** Options of {@link FaultInjector.next}. */
export interface NextFaultOptions {
  /** How many matching requests get the fault (default 1). */
  readonly times?: number;
  /** Only requests for this session get the fault. */
  readonly sessionId?: string;
}

/** Options of {@link FaultInjector.random}. */
export interface RandomFaultOptions {
  /** Seed of the PRNG (an integer); the same seed and request order give the same faults. */
  readonly seed: number;
  /** Probability per request of each fault, by name; the sum must not exceed 1. */
  readonly rates: Readonly<Record<FaultName, number>>;
  /** Routes that get random faults (default: every route). */
  readonly routes?: readonly EmulatorRoute[];
  /** `Retry-After` seconds of random `status:429` / `status:503` faults (default 1). */
  readonly retryAfter?: number;
  /** Delay of random `delay` faults, ms (default 50). */
  readonly delayMs?: number;
  /** `afterEvents` of random stream faults (default 1). */
  readonly afterEvents?: number;
}

/** A fault waiting in the queue, as {@link FaultInjector.pending} lists it. */
export interface PendingFault {
  readonly route: FaultRoute;
  readonly fault: Fault;
  readonly remaining: number;
  readonly sessionId?: string;
}
