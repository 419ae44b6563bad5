/** Checks of faults and routes given over the control API or by a test. */
import { followsNumberRule, numberRuleText } from '../number-option.js';
import { ALL_ROUTES } from './fault-names.js';
import { EMULATOR_ROUTES, type EmulatorRoute, type Fault, type FaultRoute } from './fault-types.js';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function optionalInt(v: unknown, what: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (!followsNumberRule(v, { min })) {
    throw new TypeError(`${what} must be ${numberRuleText({ min })} (got ${JSON.stringify(v)})`);
  }
  return v;
}

export function optionalString(v: unknown, what: string): string | undefined {
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
    const status = optionalInt(value.status, 'fault.status', 400);
    const error = optionalString(value.error, 'fault.error');
    const message = optionalString(value.message, 'fault.message');
    const afterEvents = optionalInt(value.afterEvents, 'fault.afterEvents');
    return {
      streamError: true,
      ...(afterEvents !== undefined && { afterEvents }),
      ...(status !== undefined && { status }),
      ...(error !== undefined && { error }),
      ...(message !== undefined && { message }),
    };
  }
  if (has('status')) {
    const status = optionalInt(value.status, 'fault.status', 400);
    if (status === undefined || status > 599) {
      throw new TypeError(
        `fault.status must be an HTTP error status 400-599 (got ${String(value.status)})`,
      );
    }
    const retryAfter = optionalInt(value.retryAfter, 'fault.retryAfter');
    const error = optionalString(value.error, 'fault.error');
    const message = optionalString(value.message, 'fault.message');
    return {
      status,
      ...(retryAfter !== undefined && { retryAfter }),
      ...(value.body !== undefined && { body: value.body }),
      ...(error !== undefined && { error }),
      ...(message !== undefined && { message }),
    };
  }
  if (has('delayMs')) {
    const delayMs = optionalInt(value.delayMs, 'fault.delayMs');
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
    const reason = optionalString(value.reason, 'fault.reason');
    return { sessionEnded: true, ...(reason !== undefined && { reason }) };
  }
  if (has('validationFailure')) {
    if (value.validationFailure !== true)
      throw new TypeError('fault.validationFailure must be true');
    const afterChunks = optionalInt(value.afterChunks, 'fault.afterChunks');
    const reason = optionalString(value.reason, 'fault.reason');
    return {
      validationFailure: true,
      ...(afterChunks !== undefined && { afterChunks }),
      ...(reason !== undefined && { reason }),
    };
  }
  if (has('stall')) {
    if (value.stall !== true) throw new TypeError('fault.stall must be true');
    const afterEvents = optionalInt(value.afterEvents, 'fault.afterEvents');
    return { stall: true, ...(afterEvents !== undefined && { afterEvents }) };
  }
  if (has('dropMidStream')) {
    if (value.dropMidStream !== true) throw new TypeError('fault.dropMidStream must be true');
    const afterEvents = optionalInt(value.afterEvents, 'fault.afterEvents');
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
