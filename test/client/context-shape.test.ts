/**
 * The session context, its persisted schema and its version, kept in step by tests rather than
 * by comments: `SessionContext` and the snapshot's `ContextSchema` name the same fields with
 * types that fit, the context stays small enough for V8's fast objects, and a change to the
 * states or the context fields comes with a new `SESSION_SCHEMA_VERSION`, or (states only) with a
 * migration of the states a stored snapshot can hold and this chart no longer has.
 */
import { readFile } from 'node:fs/promises';
import { createActor, type AnyStateNode } from 'xstate';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { SESSION_SCHEMA_VERSION, sessionMachine } from '../../machines/session.machine.js';
import type { SessionContext } from '../../machines/session.types.js';
import { ContextSchema, prepareRestore } from '../../src/snapshot.js';

/** The context fields of schema version 2. */
const CONTEXT_V2 = [
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
];

/** The state ids of the first chart of schema version 2. */
const STATES_V2_FIRST = [
  'session',
  'session.active',
  'session.active.sending',
  'session.active.streaming',
  'session.awaitingInput',
  'session.closed',
  'session.ending',
  'session.expired',
  'session.idle',
  'session.starting',
  'session.starting.authorizing',
  'session.starting.opening',
];

/**
 * The state ids and context fields of each release's chart, oldest first. Append a shape when the
 * chart's states or context fields change; never edit a released one (stored snapshots have it).
 * A new shape either comes with a new `SESSION_SCHEMA_VERSION` (snapshots of the old one are
 * refused whole) or keeps the version and the context fields, and then every state it drops must
 * be migrated on restore (`src/snapshot.ts`).
 */
const RELEASED_SHAPES: ReadonlyArray<{ version: number; states: string[]; context: string[] }> = [
  {
    version: 2,
    states: STATES_V2_FIRST,
    context: CONTEXT_V2,
  },
  // `expired` gained `releasing` (the idle deadline's DELETE) and `resting`, under version 2:
  // the plain `expired` of a stored snapshot is restored as `expired.resting`.
  {
    version: 2,
    states: [...STATES_V2_FIRST, 'session.expired.releasing', 'session.expired.resting'].sort(),
    context: CONTEXT_V2,
  },
];

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
    const last = RELEASED_SHAPES.at(-1);
    expect(
      { version: SESSION_SCHEMA_VERSION, ...shape },
      `the states or context fields changed: append the new shape, and bump SESSION_SCHEMA_VERSION (now ${SESSION_SCHEMA_VERSION}) or migrate the states it drops`,
    ).toEqual(last);
  });

  it('a shape kept under the same schema version keeps its context fields and restores every state it dropped', async () => {
    // A session at rest after one message, as the first version-2 release wrote it.
    const written = JSON.parse(
      await readFile(new URL('fixtures/expired-v2-plain.json', import.meta.url), 'utf8'),
    ) as { schemaVersion: number; machine: object };
    const isLeaf = (id: string, ids: string[]) => !ids.some((other) => other.startsWith(`${id}.`));
    RELEASED_SHAPES.slice(1).forEach((shape, i) => {
      const before = RELEASED_SHAPES[i]!;
      if (before.version !== shape.version) return;
      expect(shape.context, `version ${shape.version} changed its context fields`).toEqual(
        before.context,
      );
      // A state that was a leaf and is not one now: a snapshot can hold it and this chart cannot.
      const dropped = before.states.filter(
        (id) =>
          isLeaf(id, before.states) && !(shape.states.includes(id) && isLeaf(id, shape.states)),
      );
      for (const id of dropped) {
        const [top, sub] = id.split('.').slice(1);
        const value = sub === undefined ? top : { [top!]: sub };
        const persisted = { ...written, machine: { ...written.machine, value } };
        expect(
          () => prepareRestore(persisted),
          `state ${id} of version ${shape.version}`,
        ).not.toThrow();
      }
    });
  });
});
