/** Time as the emulator sees it: session expiry, token expiry and timestamps all read this clock. */

/**
 * Anything that tells the time in epoch milliseconds. (The library's `Clock` also sets timers.)
 */
export interface TimeSource {
  /** Current time, epoch milliseconds. */
  now(): number;
}

/**
 * The emulator's clock: a base clock plus an offset that {@link EmulatorClock.advance} moves
 * forward, so tests can jump over a session or token lifetime without sleeping.
 */
export interface EmulatorClock extends TimeSource {
  /** Moves the clock forward by `ms` milliseconds and returns the new time. */
  advance(ms: number): number;
  /** Total milliseconds added by {@link EmulatorClock.advance} so far. */
  readonly offsetMs: number;
}

/** The wall clock, `Date.now()`. */
export const wallClock: TimeSource = { now: () => Date.now() };

/**
 * @deprecated Renamed {@link TimeSource}: the library exports another `Clock` (time and timers).
 * Kept for one release.
 */
export type Clock = TimeSource;

/**
 * @deprecated Renamed {@link wallClock}. Kept for one release.
 * @alias
 */
export const systemClock = wallClock;

/**
 * Creates the emulator clock on top of `base` (by default the wall clock).
 *
 * @throws TypeError when `advance` is given a negative or non-finite number.
 */
export function createEmulatorClock(base: TimeSource = wallClock): EmulatorClock {
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
