/**
 * The session context, its persisted schema and its version, kept in step by tests rather than
 * by comments: `SessionContext` and the snapshot's `ContextSchema` name the same fields with
 * types that fit, the context stays small enough for V8's fast objects, and a change to the
 * states or the context fields comes with a new `SESSION_SCHEMA_VERSION`.
 */
import { createActor, type AnyStateNode } from 'xstate';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { SESSION_SCHEMA_VERSION, sessionMachine } from '../../machines/session.machine.js';
import type { SessionContext } from '../../machines/session.types.js';
import { ContextSchema } from '../../src/snapshot.js';

/**
 * The state ids and context fields of each schema version. A change to either needs a new
 * version (snapshots of the old shape must be refused, not half-restored): bump
 * `SESSION_SCHEMA_VERSION` and add its shape here.
 *
 * Version 2 gained `expired.releasing` and `expired.resting` (the idle deadline's DELETE) without
 * a bump: a version-2 snapshot saved in the plain `expired` state before that is refused as not
 * whole rather than as another version.
 */
const SHAPE_OF_VERSION: Readonly<Record<number, { states: string[]; context: string[] }>> = {
  2: {
    states: [
      'session',
      'session.active',
      'session.active.sending',
      'session.active.streaming',
      'session.awaitingInput',
      'session.closed',
      'session.ending',
      'session.expired',
      'session.expired.releasing',
      'session.expired.resting',
      'session.idle',
      'session.starting',
      'session.starting.authorizing',
      'session.starting.opening',
    ],
    context: [
      'agentId',
      'endReason',
      'endRequested',
      'endpoint',
      'expiryPolicy',
      'externalSessionKey',
      'idleDeadline',
      'idleTimeoutMs',
      'inFlight',
      'lastSequenceId',
      'maxQueue',
      'maxRestarts',
      'outcome',
      'pendingQuestionId',
      'queue',
      'restarts',
      'sessionId',
      'start',
    ],
  },
};

/** A schema's type without the index signatures of its loose objects: only the named fields. */
type Named<T> = T extends readonly (infer Item)[]
  ? Named<Item>[]
  : T extends object
    ? { [K in keyof T as string extends K ? never : K]: Named<T[K]> }
    : T;

function stateIds(node: AnyStateNode): string[] {
  return [node.id, ...Object.values(node.states).flatMap((child) => stateIds(child))];
}

function freshContext(): SessionContext {
  const actor = createActor(sessionMachine, {
    input: { agentId: '0XxAAAAAAAAAAAAAAA', endpoint: 'https://example.my.salesforce.com' },
  });
  return actor.getSnapshot().context;
}

describe('session context shape', () => {
  it('SessionContext and the snapshot schema name the same fields, with types that fit', () => {
    expectTypeOf<keyof typeof ContextSchema.shape>().toEqualTypeOf<keyof SessionContext>();
    // Every context the machine can hold is one the schema takes (tsc checks the assignment).
    const asSchemaInput = (context: SessionContext): Named<z.input<typeof ContextSchema>> =>
      context;
    expect(Object.keys(freshContext()).sort()).toEqual(Object.keys(ContextSchema.shape).sort());
    expect(ContextSchema.safeParse(asSchemaInput(freshContext())).success).toBe(true);
  });

  it('has 19 top-level fields or fewer (20 makes V8 turn the assigned copy into a slow dictionary)', () => {
    // XState copies the context on every assign with Object.assign({}, context, update); with 20
    // fields the machine took about 25% more CPU per turn (docs/benchmarks.md). Group new fields.
    expect(Object.keys(freshContext()).length).toBeLessThanOrEqual(19);
  });

  it('a change to the states or the context fields comes with a new schema version', () => {
    const shape = {
      states: stateIds(sessionMachine.root).sort(),
      context: Object.keys(ContextSchema.shape).sort(),
    };
    expect(
      shape,
      `the states or context fields changed: bump SESSION_SCHEMA_VERSION (now ${SESSION_SCHEMA_VERSION}) and record the new shape`,
    ).toEqual(SHAPE_OF_VERSION[SESSION_SCHEMA_VERSION]);
  });
});
