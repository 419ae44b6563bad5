/** A stored conversation made a live session again, or refused whole. */
import { SnapshotVersionError } from '../errors.js';
import type { AgentSession } from '../session.js';
import type { StoredSession } from '../stores/types.js';
import { SESSION_SCHEMA_VERSION } from '../../machines/session.machine.js';
import type { SessionFactory } from './manager-options.js';

/** The stored session, or `undefined` when this version cannot restore it whole. */
export function restoreRecord(
  client: SessionFactory,
  record: StoredSession,
  maxMessageLength: number | undefined,
): AgentSession | undefined {
  if (record.schemaVersion !== SESSION_SCHEMA_VERSION) return undefined;
  try {
    return client.restore(record.snapshot, { maxMessageLength });
  } catch (err) {
    // The record claims this version but its snapshot is of another one, or incomplete.
    if (err instanceof SnapshotVersionError) return undefined;
    throw err;
  }
}
