import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';
import { StoreError } from './errors.js';
import type { AcquireOptions, Lease, SessionRecordInput, StoredSession } from './types.js';

const storedSessionSchema = z.object({
  schemaVersion: z.number(),
  snapshot: z.unknown(),
  fencingToken: z.number().int(),
  savedAt: z.number(),
  expiresAt: z.number().nullable(),
});

function invalid(message: string): InvalidArgumentError {
  return new InvalidArgumentError(message);
}

/** Checks a conversation key (a non-empty string). */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw invalid('session store: key must be a non-empty string');
  }
}

/** Checks a lease length in ms (an integer of at least 1). */
export function checkLeaseMs(leaseMs: number): void {
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 1) {
    throw invalid(`session store: leaseMs must be an integer >= 1, got ${String(leaseMs)}`);
  }
}

/** Checks the `counterTtlMs` option (an integer of at least 1) and returns it. */
export function checkCounterTtl(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw invalid(`session store: counterTtlMs must be an integer >= 1, got ${String(ms)}`);
  }
  return ms;
}

/** Checks the options of `acquire`. */
export function checkAcquire(key: string, options: AcquireOptions): void {
  checkKey(key);
  checkLeaseMs(options.leaseMs);
  if (!Number.isFinite(options.waitMs) || options.waitMs < 0) {
    throw invalid(`session store: waitMs must be >= 0, got ${String(options.waitMs)}`);
  }
}

/** Checks that a lease belongs to `key`. */
export function checkLease(key: string, lease: Lease): void {
  checkKey(key);
  if (lease.key !== key) {
    throw invalid(`session store: lease for '${lease.key}' used on '${key}'`);
  }
}

/** Checks a sequence floor (a non-negative integer). */
export function checkFloor(floor: number): void {
  if (!Number.isSafeInteger(floor) || floor < 0) {
    throw invalid(`session store: floor must be a non-negative integer, got ${String(floor)}`);
  }
}

/**
 * Builds the JSON text of a record to store, stamped with the token and the time.
 *
 * @throws InvalidArgumentError when a field is not valid or the snapshot is not JSON.
 */
export function serializeRecord(
  record: SessionRecordInput,
  fencingToken: number,
  savedAt: number,
): string {
  const { schemaVersion, snapshot, expiresAt } = record;
  if (!Number.isFinite(schemaVersion))
    throw invalid('session store: schemaVersion must be a number');
  if (expiresAt !== null && !Number.isFinite(expiresAt)) {
    throw invalid('session store: expiresAt must be epoch ms or null');
  }
  if (snapshot === undefined) throw invalid('session store: snapshot is required');
  const stored: StoredSession = { schemaVersion, fencingToken, savedAt, expiresAt, snapshot };
  try {
    return JSON.stringify(stored);
  } catch (err) {
    throw new InvalidArgumentError('session store: snapshot is not JSON', {
      cause: err,
    });
  }
}

/**
 * Parses the JSON text of a stored record.
 *
 * @throws StoreError when it is not a record.
 */
export function parseRecord(key: string, json: string): StoredSession {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new StoreError(`corrupt record for conversation '${key}'`, err);
  }
  const parsed = storedSessionSchema.safeParse(value);
  if (!parsed.success) {
    throw new StoreError(`corrupt record for conversation '${key}'`, parsed.error);
  }
  return parsed.data;
}
