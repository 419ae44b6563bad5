/** Time as the emulator sees it: session expiry, token expiry and timestamps all read this clock. */

/** Anything that tells the time in epoch milliseconds. */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
}

/**
 * The emulator's clock: a base clock plus an offset that {@link EmulatorClock.advance} moves
 * forward, so tests can jump over a session or token lifetime without sleeping.
 */
export interface EmulatorClock extends Clock {
  /** Moves the clock forward by `ms` milliseconds and returns the new time. */
  advance(ms: number): number;
  /** Total milliseconds added by {@link EmulatorClock.advance} so far. */
  readonly offsetMs: number;
}

/** The wall clock, `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Creates the emulator clock on top of `base` (by default the wall clock).
 *
 * @throws TypeError when `advance` is given a negative or non-finite number.
 */
export function createEmulatorClock(base: Clock = systemClock): EmulatorClock {
  let offset = 0;
  return {
    now: () => base.now() + offset,
    advance(ms: number): number {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new TypeError(
          `clock.advance(ms) needs a non-negative finite number (got ${String(ms)})`,
        );
      }
      offset += ms;
      return base.now() + offset;
    },
    get offsetMs() {
      return offset;
    },
  };
}
