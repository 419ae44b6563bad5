/**
 * Fault injection: queued faults (`next`) and seeded random faults (`random`) for the emulator's
 * routes. The request pipeline asks {@link FaultInjector.take} once per request.
 */
import { faultFromName, faultName, faultRoutes, routesOfName } from './fault-names.js';
import {
  isRecord,
  optionalInt,
  optionalString,
  parseFault,
  parseFaultRoute,
} from './fault-parse.js';
import {
  EMULATOR_ROUTES,
  type EmulatorRoute,
  type Fault,
  type FaultName,
  type FaultRoute,
  type NextFaultOptions,
  type PendingFault,
  type RandomFaultOptions,
} from './fault-types.js';
import { seededRandom } from './random.js';

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
    const times = optionalInt(options.times, 'times', 1) ?? 1;
    const sessionId = optionalString(options.sessionId, 'sessionId');
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
    optionalInt(options.retryAfter, 'retryAfter');
    optionalInt(options.delayMs, 'delayMs');
    optionalInt(options.afterEvents, 'afterEvents');
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
