/** Keeps a conversation's lease alive while its turn runs. */
import type { Lease, SessionStore } from '../stores/types.js';

/** A lease renewed every third of `leaseMs` (at least every 50 ms) until `stop()`. */
export interface RenewedLease {
  /** The lease as last renewed (its token is the one a fenced write must carry). */
  readonly current: Lease;
  stop(): void;
}

export function renewLease(store: SessionStore, lease: Lease, leaseMs: number): RenewedLease {
  let current = lease;
  const timer = setInterval(
    () => {
      store.renew(current, leaseMs).then(
        (renewed) => (current = renewed),
        () => undefined, // the save is fenced: a lost lease shows there
      );
    },
    Math.max(50, Math.floor(leaseMs / 3)),
  );
  return {
    get current() {
      return current;
    },
    stop: () => clearInterval(timer),
  };
}
