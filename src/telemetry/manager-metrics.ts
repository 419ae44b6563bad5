/**
 * Metrics of session managers, from their events and their `stats`: live sessions and turns in
 * flight (observed when the meter collects), lease waits and store errors.
 */
import type { ManagerEvent } from '../manager/manager-events.js';
import type { ManagerObserver, SessionManager } from '../manager/session-manager.js';
import { ATTR, METRIC } from './conventions.js';
import type { Instruments } from './instruments.js';

/** Error codes that come from the store (or its lock), not from the Agent API. */
const STORE_CODES = new Set(['store', 'lease_lost', 'lock_timeout']);

export class ManagerMetrics {
  readonly #managers = new Set<WeakRef<SessionManager>>();
  readonly #instruments: Instruments;

  constructor(instruments: Instruments) {
    this.#instruments = instruments;
    const { meter } = instruments;
    meter
      .createObservableUpDownCounter(METRIC.managerLive, {
        description: 'Session actors alive in the session managers of this process.',
        unit: '{session}',
      })
      .addCallback((result) => result.observe(this.#sum('live')));
    meter
      .createObservableUpDownCounter(METRIC.managerInFlight, {
        description:
          'Turns running in the session managers of this process (lease waits included).',
        unit: '{turn}',
      })
      .addCallback((result) => result.observe(this.#sum('inFlight')));
  }

  /** The observer of one more manager. */
  observer(): ManagerObserver {
    return {
      attached: (manager) => {
        this.#managers.add(new WeakRef(manager));
        manager.on((event) => this.#on(event));
      },
      leaseWaited: (waitedMs, acquired) =>
        this.#instruments.leaseWait.record(waitedMs / 1000, {
          [ATTR.leaseOutcome]: acquired ? 'acquired' : 'failed',
        }),
    };
  }

  #sum(field: 'live' | 'inFlight'): number {
    let total = 0;
    for (const ref of this.#managers) {
      const manager = ref.deref();
      if (manager) total += manager.stats[field];
      else this.#managers.delete(ref);
    }
    return total;
  }

  #on(event: ManagerEvent): void {
    const i = this.#instruments;
    switch (event.type) {
      case 'turn.failed':
        if (STORE_CODES.has(event.error.code))
          i.storeErrors.add(1, { [ATTR.errorType]: event.error.code });
        return;
      case 'conversation.persist-failed':
        i.storeErrors.add(1, {
          [ATTR.errorType]: event.leaseLost ? 'lease_lost' : event.error.code,
        });
        return;
      default:
        return;
    }
  }
}
