/**
 * Persisted sessions: a versioned, JSON-safe envelope around the machine's persisted snapshot,
 * and the checks that refuse what cannot be restored whole.
 */
import type { StateValue } from 'xstate';
import { z } from 'zod';
import { SESSION_SCHEMA_VERSION, sessionMachine } from '../machines/session.machine.js';
import { TOP_LEVEL_STATES, type SessionContext } from '../machines/session.types.js';
import { EndReasonSchema, VariablesSchema, isAgentId, isAgentName } from './api/index.js';
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

/**
 * State values that an earlier release wrote under the current schema version, and the state this
 * machine resumes them in. Version 2 first had a plain `expired` state: entered with nothing
 * invoked, it waited there for the next message (or closed at once under expiry policy `close`).
 * That is `expired.resting` now; `expired.releasing` sends the idle deadline's `DELETE`, which the
 * earlier release never sent, and a snapshot of it would hold the invoked request.
 */
const EARLIER_STATE_VALUES: ReadonlyMap<number, ReadonlyMap<string, StateValue>> = new Map([
  [2, new Map([['expired', { expired: 'resting' }]])],
]);

/** The persisted machine with an earlier release's state value replaced by its current one. */
function migrateStateValue(machine: PersistedMachine | undefined, schemaVersion: number) {
  const value = machine?.value;
  const current =
    typeof value === 'string' ? EARLIER_STATE_VALUES.get(schemaVersion)?.get(value) : undefined;
  return current === undefined || !machine ? machine : { ...machine, value: current };
}

function topLevel(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return Object.keys(value)[0];
  return undefined;
}

/**
 * Checks a persisted session and prepares it for restore. Refuses (with
 * {@link SnapshotVersionError}) anything of another format or version, or with a state this
 * machine does not have; a state an earlier release of the same version wrote is taken as the state
 * that now means the same. A message that was in flight gets a new, higher `sequenceId`: the first
 * attempt may have reached the server, and a repeated id could be refused.
 */
export function prepareRestore(persisted: unknown): PersistedMachine {
  const p = persisted as Partial<PersistedSession> | null;
  if (typeof p !== 'object' || p === null || p.format !== 'agentforce-session') {
    throw new SnapshotVersionError('not a persisted agentforce-session session');
  }
  if (p.schemaVersion !== SESSION_SCHEMA_VERSION) {
    throw new SnapshotVersionError(
      `persisted session has schema version ${String(p.schemaVersion)}; this library restores version ${SESSION_SCHEMA_VERSION}`,
    );
  }
  const m = migrateStateValue(p.machine, p.schemaVersion);
  const state = topLevel(m?.value);
  if (
    !m ||
    typeof m.context !== 'object' ||
    m.context === null ||
    !state ||
    !(TOP_LEVEL_STATES as readonly string[]).includes(state)
  ) {
    throw new SnapshotVersionError(
      `persisted session is incomplete or in an unknown state (${String(state)})`,
    );
  }
  checkWhole(m, state);
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

const count = z.number().int().nonnegative();
const PendingTurnSchema = z.looseObject({
  turnId: z.string().min(1),
  text: z.string(),
  inReplyToMessageId: z.string().optional(),
  variables: z.array(z.unknown()).optional(),
  stream: z.boolean().optional(),
  transfer: z.looseObject({ type: z.enum(['TransferSucceeded', 'TransferFailed']) }).optional(),
});
/**
 * The persisted context, field by field (a tampered or truncated one is refused). Tied to
 * `SessionContext` by test/client/context-shape.test.ts: same fields, types that fit.
 */
export const ContextSchema = z.looseObject({
  // An agent id, or the API name of a session made with `agentName` (found when it starts).
  agentId: z.string().refine((v) => isAgentId(v) || isAgentName(v), 'not an agent id or name'),
  endpoint: z.string().min(1),
  start: z.looseObject({
    bypassUser: z.boolean(),
    tz: z.string().nullable(),
    variables: VariablesSchema,
  }),
  sessionId: z.string().min(1).nullable(),
  externalSessionKey: z.string().nullable(),
  lastSequenceId: count,
  queue: z.array(PendingTurnSchema),
  maxQueue: count,
  inFlight: PendingTurnSchema.extend({
    sequenceId: count,
    sessionId: z.string().min(1),
  }).nullable(),
  pendingQuestionId: z.string().nullable(),
  expiryPolicy: z.enum(['restart', 'close']),
  restarts: count,
  maxRestarts: count,
  idleTimeoutMs: z.number().int().positive().nullable(),
  idleDeadline: z.number().nullable(),
  endRequested: EndReasonSchema.nullable(),
  endReason: EndReasonSchema.nullable(),
  outcome: z.looseObject({ reason: z.string(), sessionId: z.string().nullable() }).nullable(),
});

/** `starting` → `authorizing | opening`, ...: the sub-states of each top-level state. */
const SUB_STATES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(sessionMachine.root.states).map(([key, node]) => [key, Object.keys(node.states)]),
);

/** Refuses a snapshot whose state value, status or context this machine could not run from. */
function checkWhole(m: PersistedMachine, state: string): void {
  const refuse = (why: string): never => {
    throw new SnapshotVersionError(`persisted session is not whole: ${why}`);
  };
  const subs = SUB_STATES[state] ?? [];
  const sub =
    typeof m.value === 'object' && m.value !== null
      ? (m.value as Record<string, unknown>)[state]
      : undefined;
  if (
    subs.length > 0 ? typeof sub !== 'string' || !subs.includes(sub) : typeof m.value !== 'string'
  )
    refuse(`state ${JSON.stringify(m.value)} is not a state of this machine`);
  if (m.status !== (state === 'closed' ? 'done' : 'active'))
    refuse(`status ${JSON.stringify(m.status)} does not match state ${state}`);
  if (m.children !== undefined && (typeof m.children !== 'object' || m.children === null))
    refuse('children is not an object');
  const parsed = ContextSchema.safeParse(m.context);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    refuse(`context.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const ctx = m.context;
  const needsSession = ['active', 'awaitingInput', 'ending', 'expired'].includes(state);
  if (needsSession && ctx.sessionId === null) refuse(`state ${state} without a sessionId`);
  if ((state === 'active') !== (ctx.inFlight !== null))
    refuse(`state ${state} with${ctx.inFlight ? '' : 'out'} a message in flight`);
  if (ctx.inFlight && ctx.inFlight.sequenceId > ctx.lastSequenceId)
    refuse('the message in flight has a sequenceId above the last one given');
}
