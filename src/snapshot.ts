/**
 * Persisted sessions: a versioned, JSON-safe envelope around the machine's persisted snapshot,
 * and the checks that refuse what cannot be restored whole.
 */
import { SESSION_SCHEMA_VERSION } from '../machines/session.machine.js';
import { TOP_LEVEL_STATES, type SessionContext } from '../machines/session.types.js';
import { SnapshotVersionError } from './errors.js';

/** A session as it can be stored and restored in another process. Plain JSON, no secrets. */
export interface PersistedSession {
  format: 'agentforce-session';
  schemaVersion: number;
  /** The machine's persisted snapshot (`actor.getPersistedSnapshot()`). */
  machine: PersistedMachine;
}

/** The parts of XState's persisted snapshot this library reads. */
export interface PersistedMachine {
  status: string;
  value: unknown;
  context: SessionContext;
  children: Record<string, { snapshot?: { input?: unknown }; src?: unknown } | undefined>;
  [key: string]: unknown;
}

export function wrapSnapshot(machine: unknown): PersistedSession {
  return {
    format: 'agentforce-session',
    schemaVersion: SESSION_SCHEMA_VERSION,
    machine: machine as PersistedMachine,
  };
}

function topLevel(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return Object.keys(value)[0];
  return undefined;
}

/**
 * Checks a persisted session and prepares it for restore. Refuses (with
 * {@link SnapshotVersionError}) anything of another format or version, or with a state this
 * machine does not have. A message that was in flight gets a new, higher `sequenceId`: the first
 * attempt may have reached the server, and a repeated id could be refused.
 */
export function prepareRestore(persisted: unknown): PersistedMachine {
  const p = persisted as Partial<PersistedSession> | null;
  if (typeof p !== 'object' || p === null || p.format !== 'agentforce-session') {
    throw new SnapshotVersionError(
      'snapshot_version',
      'not a persisted agentforce-session session',
    );
  }
  if (p.schemaVersion !== SESSION_SCHEMA_VERSION) {
    throw new SnapshotVersionError(
      'snapshot_version',
      `persisted session has schema version ${String(p.schemaVersion)}; this library restores version ${SESSION_SCHEMA_VERSION}`,
    );
  }
  const m = p.machine;
  const state = topLevel(m?.value);
  if (
    !m ||
    typeof m.context !== 'object' ||
    m.context === null ||
    !state ||
    !(TOP_LEVEL_STATES as readonly string[]).includes(state)
  ) {
    throw new SnapshotVersionError(
      'snapshot_version',
      `persisted session is incomplete or in an unknown state (${String(state)})`,
    );
  }
  const machine = structuredClone(m);
  const ctx = machine.context;
  if (state === 'active' && ctx.inFlight) {
    const sequenceId = ctx.lastSequenceId + 1;
    ctx.lastSequenceId = sequenceId;
    ctx.inFlight = { ...ctx.inFlight, sequenceId };
    // The invoked actor restarts with its persisted input: it must send the new sequenceId too,
    // whether the turn is sent (`sendMessage`) or streamed (`streamMessage`).
    for (const id of ['sendMessage', 'streamMessage']) {
      const child = machine.children?.[id]?.snapshot;
      if (child && typeof child.input === 'object' && child.input !== null) {
        child.input = { ...child.input, sequenceId };
      }
    }
  }
  return machine;
}
