/**
 * Fault injection: queued faults (`next`) and seeded random faults (`random`) for the emulator's
 * routes. The request pipeline asks {@link FaultInjector.take} once per request.
 */
import { followsNumberRule, numberRuleText } from '../number-option.js';
import { seededRandom } from './random.js';

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

const SESSION_ROUTES: ReadonlySet<EmulatorRoute> = new Set(['send', 'stream', 'end', 'feedback']);
const TURN_ROUTES: ReadonlySet<EmulatorRoute> = new Set(['send', 'stream']);
const STREAM_ROUTES: ReadonlySet<EmulatorRoute> = new Set(['stream']);
const ALL_ROUTES: ReadonlySet<EmulatorRoute> = new Set(EMULATOR_ROUTES);

const SIMPLE_NAMES = [
  'delay',
  'dropBefore',
  'dropAfter',
  'malformed',
  'sessionNotFound',
  'sessionEnded',
  'streamError',
  'validationFailure',
  'stall',
  'dropMidStream',
] as const;

/** The name under which a fault is counted. */
export function faultName(fault: Fault): FaultName {
  if ('status' in fault && !('streamError' in fault)) return `status:${fault.status}`;
  if ('delayMs' in fault) return 'delay';
  if ('drop' in fault) return fault.drop === 'before' ? 'dropBefore' : 'dropAfter';
  if ('malformed' in fault) return 'malformed';
  if ('sessionNotFound' in fault) return 'sessionNotFound';
  if ('sessionEnded' in fault) return 'sessionEnded';
  if ('streamError' in fault) return 'streamError';
  if ('validationFailure' in fault) return 'validationFailure';
  if ('stall' in fault) return 'stall';
  return 'dropMidStream';
}

/** The routes a fault can apply to. */
export function faultRoutes(fault: Fault): ReadonlySet<EmulatorRoute> {
  return routesOfName(faultName(fault));
}

function routesOfName(name: FaultName): ReadonlySet<EmulatorRoute> {
  switch (name) {
    case 'sessionNotFound':
      return SESSION_ROUTES;
    case 'sessionEnded':
      return TURN_ROUTES;
    case 'streamError':
    case 'validationFailure':
    case 'stall':
    case 'dropMidStream':
      return STREAM_ROUTES;
    default:
      return ALL_ROUTES;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function count(v: unknown, what: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (!followsNumberRule(v, { min })) {
    throw new TypeError(`${what} must be ${numberRuleText({ min })} (got ${JSON.stringify(v)})`);
  }
  return v;
}

function optString(v: unknown, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new TypeError(`${what} must be a string`);
  return v;
}

/**
 * Checks that a value is a {@link Fault} and returns a clean copy.
 *
 * @throws TypeError naming what is wrong.
 */
export function parseFault(value: unknown): Fault {
  if (!isRecord(value)) throw new TypeError('fault must be an object');
  const has = (k: string) => value[k] !== undefined;
  if (has('streamError')) {
    if (value.streamError !== true) throw new TypeError('fault.streamError must be true');
    const status = count(value.status, 'fault.status', 400);
    const error = optString(value.error, 'fault.error');
    const message = optString(value.message, 'fault.message');
    const afterEvents = count(value.afterEvents, 'fault.afterEvents');
    return {
      streamError: true,
      ...(afterEvents !== undefined && { afterEvents }),
      ...(status !== undefined && { status }),
      ...(error !== undefined && { error }),
      ...(message !== undefined && { message }),
    };
  }
  if (has('status')) {
    const status = count(value.status, 'fault.status', 400);
    if (status === undefined || status > 599) {
      throw new TypeError(
        `fault.status must be an HTTP error status 400-599 (got ${String(value.status)})`,
      );
    }
    const retryAfter = count(value.retryAfter, 'fault.retryAfter');
    const error = optString(value.error, 'fault.error');
    const message = optString(value.message, 'fault.message');
    return {
      status,
      ...(retryAfter !== undefined && { retryAfter }),
      ...(value.body !== undefined && { body: value.body }),
      ...(error !== undefined && { error }),
      ...(message !== undefined && { message }),
    };
  }
  if (has('delayMs')) {
    const delayMs = count(value.delayMs, 'fault.delayMs');
    return { delayMs: delayMs ?? 0 };
  }
  if (has('drop')) {
    if (value.drop !== 'before' && value.drop !== 'after') {
      throw new TypeError(
        `fault.drop must be 'before' or 'after' (got ${JSON.stringify(value.drop)})`,
      );
    }
    return { drop: value.drop };
  }
  if (has('malformed')) {
    const m = value.malformed;
    if (m !== true && m !== 'json' && m !== 'shape') {
      throw new TypeError("fault.malformed must be true, 'json' or 'shape'");
    }
    return { malformed: m };
  }
  if (has('sessionNotFound')) {
    if (value.sessionNotFound !== true) throw new TypeError('fault.sessionNotFound must be true');
    return { sessionNotFound: true };
  }
  if (has('sessionEnded')) {
    if (value.sessionEnded !== true) throw new TypeError('fault.sessionEnded must be true');
    const reason = optString(value.reason, 'fault.reason');
    return { sessionEnded: true, ...(reason !== undefined && { reason }) };
  }
  if (has('validationFailure')) {
    if (value.validationFailure !== true)
      throw new TypeError('fault.validationFailure must be true');
    const afterChunks = count(value.afterChunks, 'fault.afterChunks');
    const reason = optString(value.reason, 'fault.reason');
    return {
      validationFailure: true,
      ...(afterChunks !== undefined && { afterChunks }),
      ...(reason !== undefined && { reason }),
    };
  }
  if (has('stall')) {
    if (value.stall !== true) throw new TypeError('fault.stall must be true');
    const afterEvents = count(value.afterEvents, 'fault.afterEvents');
    return { stall: true, ...(afterEvents !== undefined && { afterEvents }) };
  }
  if (has('dropMidStream')) {
    if (value.dropMidStream !== true) throw new TypeError('fault.dropMidStream must be true');
    const afterEvents = count(value.afterEvents, 'fault.afterEvents');
    return { dropMidStream: true, ...(afterEvents !== undefined && { afterEvents }) };
  }
  throw new TypeError(
    'fault must have one of: status, delayMs, drop, malformed, sessionNotFound, sessionEnded, streamError, validationFailure, stall, dropMidStream',
  );
}

/** Checks a fault route name. */
export function parseFaultRoute(value: unknown): FaultRoute {
  if (value === '*' || (typeof value === 'string' && ALL_ROUTES.has(value as EmulatorRoute))) {
    return value as FaultRoute;
  }
  throw new TypeError(
    `route must be one of ${[...EMULATOR_ROUTES, '*'].join(', ')} (got ${JSON.stringify(value)})`,
  );
}

interface QueuedFault {
  route: FaultRoute;
  fault: Fault;
  remaining: number;
  sessionId: string | undefined;
}

interface RandomPlan {
  roll: () => number;
  entries: { name: FaultName; upTo: number; routes: ReadonlySet<EmulatorRoute>; fault: Fault }[];
  routes: ReadonlySet<EmulatorRoute>;
}

function faultFromName(name: FaultName, opts: RandomFaultOptions): Fault {
  const statusMatch = /^status:(\d{3})$/.exec(name);
  if (statusMatch) {
    const status = Number(statusMatch[1]);
    if (status < 400 || status > 599) throw new TypeError(`rates: ${name} is not an error status`);
    const retryAfter = opts.retryAfter ?? 1;
    return status === 429 || status === 503 ? { status, retryAfter } : { status };
  }
  const afterEvents = opts.afterEvents ?? 1;
  switch (name) {
    case 'delay':
      return { delayMs: opts.delayMs ?? 50 };
    case 'dropBefore':
      return { drop: 'before' };
    case 'dropAfter':
      return { drop: 'after' };
    case 'malformed':
      return { malformed: true };
    case 'sessionNotFound':
      return { sessionNotFound: true };
    case 'sessionEnded':
      return { sessionEnded: true };
    case 'streamError':
      return { streamError: true, afterEvents };
    case 'validationFailure':
      return { validationFailure: true, afterChunks: afterEvents };
    case 'stall':
      return { stall: true, afterEvents };
    case 'dropMidStream':
      return { dropMidStream: true, afterEvents };
    default:
      throw new TypeError(
        `rates: unknown fault name ${JSON.stringify(name)} (use status:<code>, ${SIMPLE_NAMES.join(', ')})`,
      );
  }
}

/**
 * Holds the queued and random faults and counts what was injected. One per emulator; reach it
 * as `api.faults`.
 */
export class FaultInjector {
  readonly #queue: QueuedFault[] = [];
  #random: RandomPlan | undefined;
  readonly #injected = new Map<FaultName, number>();

  /**
   * Queues a fault for the next `times` requests (default 1) to `route` (and, when given, to
   * session `sessionId`). Queued faults are used first-in first-out, before random ones.
   *
   * @throws TypeError when the route or fault is invalid, or the fault cannot apply to the route
   *   (e.g. a stream fault on `send`).
   */
  next(route: FaultRoute, fault: Fault, options: NextFaultOptions = {}): void {
    const r = parseFaultRoute(route);
    const f = parseFault(fault);
    const times = count(options.times, 'times', 1) ?? 1;
    const sessionId = optString(options.sessionId, 'sessionId');
    if (r !== '*' && !faultRoutes(f).has(r)) {
      throw new TypeError(`fault ${faultName(f)} cannot apply to route ${r}`);
    }
    this.#queue.push({ route: r, fault: f, remaining: times, sessionId });
  }

  /**
   * Turns on random faults: each request to one of `routes` rolls once against `rates`.
   * Calling it again replaces the previous random setup.
   *
   * @throws TypeError when the seed, a rate or a name is invalid, or the rates sum above 1.
   */
  random(options: RandomFaultOptions): void {
    if (!isRecord(options)) throw new TypeError('random faults need an options object');
    if (typeof options.seed !== 'number' || !Number.isInteger(options.seed)) {
      throw new TypeError('seed must be an integer');
    }
    if (!isRecord(options.rates)) throw new TypeError('rates must be an object of probabilities');
    count(options.retryAfter, 'retryAfter');
    count(options.delayMs, 'delayMs');
    count(options.afterEvents, 'afterEvents');
    const routes = new Set<EmulatorRoute>();
    for (const r of options.routes ?? EMULATOR_ROUTES) {
      const parsed = parseFaultRoute(r);
      if (parsed === '*') EMULATOR_ROUTES.forEach((x) => routes.add(x));
      else routes.add(parsed);
    }
    let total = 0;
    const entries: RandomPlan['entries'] = [];
    for (const name of Object.keys(options.rates).sort()) {
      const p = options.rates[name];
      if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1) {
        throw new TypeError(`rates.${name} must be a probability between 0 and 1`);
      }
      const fault = faultFromName(name, options);
      if (p === 0) continue;
      total += p;
      entries.push({ name, upTo: total, routes: routesOfName(name), fault });
    }
    if (total > 1 + 1e-9) throw new TypeError(`rates sum to ${total}, more than 1`);
    this.#random = { roll: seededRandom(options.seed), entries, routes };
  }

  /** Drops every queued fault and turns random faults off. The counts stay. */
  clear(): void {
    this.#queue.length = 0;
    this.#random = undefined;
  }

  /** Faults injected so far, by {@link FaultName}. */
  get injected(): Readonly<Record<FaultName, number>> {
    return Object.fromEntries(this.#injected);
  }

  /** Queued faults not yet used up. */
  get pending(): readonly PendingFault[] {
    return this.#queue.map((q) => ({
      route: q.route,
      fault: q.fault,
      remaining: q.remaining,
      ...(q.sessionId !== undefined && { sessionId: q.sessionId }),
    }));
  }

  /** Whether random faults are on. */
  get randomActive(): boolean {
    return this.#random !== undefined;
  }

  /** Sets the injected counts back to zero. */
  resetCounts(): void {
    this.#injected.clear();
  }

  /**
   * The fault for one request, if any, counted as injected. Used by the request pipeline.
   *
   * @internal
   */
  take(route: EmulatorRoute, sessionId: string | undefined): Fault | undefined {
    for (let i = 0; i < this.#queue.length; i++) {
      const q = this.#queue[i]!;
      if (q.route !== route && (q.route !== '*' || !faultRoutes(q.fault).has(route))) continue;
      if (q.sessionId !== undefined && q.sessionId !== sessionId) continue;
      q.remaining -= 1;
      if (q.remaining <= 0) this.#queue.splice(i, 1);
      return this.#count(q.fault);
    }
    const plan = this.#random;
    if (plan === undefined || !plan.routes.has(route) || plan.entries.length === 0)
      return undefined;
    const r = plan.roll();
    for (const e of plan.entries) {
      if (r < e.upTo) return e.routes.has(route) ? this.#count(e.fault) : undefined;
    }
    return undefined;
  }

  #count(fault: Fault): Fault {
    const name = faultName(fault);
    this.#injected.set(name, (this.#injected.get(name) ?? 0) + 1);
    return fault;
  }
}
