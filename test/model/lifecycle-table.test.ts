/**
 * The lifecycle table (./lifecycle-table.ts) against the machine: the same transitions both ways,
 * and every generated path judged by the table as well as by the machine. Pure: no HTTP, so it
 * also runs against every mutant in `npm run mutate`.
 */
import { describe, expect, it } from 'vitest';
import { sessionMachine } from '../../machines/session.machine.js';
import {
  FINAL,
  LIFECYCLE_TABLE,
  tableStart,
  tableStep,
  type Row,
  type TableState,
} from './lifecycle-table.js';
import {
  MODEL_CONFIGS,
  SIMPLE_PATHS,
  VARIANTS,
  generatePaths,
  machineDefinition,
  replay,
  type GeneratedPath,
  type Snap,
} from './model.js';

const id = (state: string) => (state === '' ? 'session' : `session.${state}`);

/** A row as the key the model gives a machine transition. */
function rowKey(r: Row): string {
  return `${id(r.from)} --${r.on}${r.when ? ` [${r.when}]` : ''}--> ${r.to === null ? '(self)' : id(r.to)}`;
}

/** The state of a snapshot as the table names it (`active.sending`). */
function leaf(s: Snap): string {
  if (s.status === 'done') return FINAL;
  let v: unknown = s.value;
  const parts: string[] = [];
  while (typeof v === 'object' && v !== null) {
    const [k, child] = Object.entries(v as Record<string, unknown>)[0]!;
    parts.push(k);
    v = child;
  }
  parts.push(String(v));
  return parts.join('.');
}

const REQUEST_OF: Record<string, string> = {
  authorize: 'POST /services/oauth2/token',
  startSession: 'POST /agents/{agentId}/sessions',
  sendMessage: 'POST /sessions/{id}/messages',
  streamMessage: 'POST /sessions/{id}/messages/stream',
  endSession: 'DELETE /sessions/{id} (x-session-end-reason)',
};

/** The requests the machine's invocations put on the wire at a step, and those it abandons. */
function machineWire(before: Snap, after: Snap, event: { type: string }): string[] {
  const out: string[] = [];
  const was = before.children as Record<string, unknown>;
  const now = after.children as Record<string, unknown>;
  for (const [actor, request] of Object.entries(REQUEST_OF)) {
    const ended = was[actor] !== undefined && was[actor] !== now[actor];
    const own =
      event.type.endsWith(`.actor.${actor}`) ||
      (actor === 'streamMessage' && event.type.startsWith('STREAM.'));
    if (ended && !own) out.push('abort the request in flight');
    if (now[actor] !== undefined && now[actor] !== was[actor]) out.push(request);
  }
  return out;
}

function outcomeOf(s: Snap): string | null {
  const o = s.context.outcome;
  if (s.status !== 'done' || !o) return null;
  return o.reason === 'ended' && o.error ? 'ended with the error' : o.reason;
}

/** Runs a generated path through the table; the first difference from the machine, or undefined. */
function judge(path: GeneratedPath): string | undefined {
  const { steps, emitted } = replay(path);
  const t: TableState = tableStart();
  for (const [i, step] of steps.entries()) {
    const wireBefore = t.wire.length;
    tableStep(t, step.event, path.config.input);
    const where = `step ${i + 1} (${step.variant.name})`;
    if (t.state !== leaf(step.after))
      return `${where}: the table is in ${t.state}, the machine in ${leaf(step.after)}`;
    const wire = t.wire.slice(wireBefore).sort();
    const machine = machineWire(step.before, step.after, step.event).sort();
    if (JSON.stringify(wire) !== JSON.stringify(machine))
      return `${where}: the table puts [${wire.join(', ')}] on the wire, the machine [${machine.join(', ')}]`;
    if (t.lastSequenceId !== step.after.context.lastSequenceId)
      return `${where}: the table's last sequenceId is ${t.lastSequenceId}, the machine's ${step.after.context.lastSequenceId}`;
  }
  const settled = new Map<string, string>();
  for (const e of emitted) {
    if (e.type === 'turn.completed') settled.set(e.turnId, 'ok');
    if (e.type === 'turn.failed') settled.set(e.turnId, e.error.code);
  }
  const table = JSON.stringify([...t.settled].sort());
  const machine = JSON.stringify([...settled].sort());
  if (table !== machine) return `the caller gets ${table} by the table, ${machine} by the machine`;
  const final = steps.at(-1)?.after;
  const outcome = final ? outcomeOf(final) : null;
  if (t.closed !== outcome)
    return `the table closes ${t.closed ?? '(not closed)'}, the machine ${outcome ?? '(not closed)'}`;
  // Where a shortest path ends (every state once), every event the model can offer must be taken
  // by the table exactly when the machine takes it: a guard that wrongly refuses an event leaves
  // it out of the generated paths, so only this sees it.
  if (path.kind === 'shortest' && final) {
    let n = 0;
    for (const v of VARIANTS.filter((variant) => variant.when(final))) {
      const event = v.make(final, () => `offered-${n++}`);
      const machine = final.can(event as never);
      const table = tableStep(structuredClone(t), event, path.config.input) !== undefined;
      if (machine !== table)
        return `${v.name} at the end: the ${machine ? 'machine' : 'table'} takes it, the ${machine ? 'table' : 'machine'} does not`;
    }
  }
  return undefined;
}

describe('the lifecycle table', () => {
  const definition = machineDefinition(sessionMachine);

  it('has exactly the transitions of the machine, in the same order of trial', () => {
    const table = LIFECYCLE_TABLE.map(rowKey);
    const machine = definition.transitions.map((t) => t.key);
    expect(
      machine.filter((k) => !table.includes(k)),
      'machine transitions missing from the table',
    ).toEqual([]);
    expect(
      table.filter((k) => !machine.includes(k)),
      'table rows the machine does not have',
    ).toEqual([]);
    // Rows of one state and event are tried in order: the first whose condition holds wins.
    const inOrder = (keys: string[]) => {
      const groups = new Map<string, string[]>();
      for (const k of keys) {
        const head = k.replace(/( \[.*\])?--> .*$/, '');
        groups.set(head, [...(groups.get(head) ?? []), k]);
      }
      return Object.fromEntries([...groups].sort(([a], [b]) => a.localeCompare(b)));
    };
    expect(inOrder(table)).toEqual(inOrder(machine));
  });

  it('names every state of the machine', () => {
    const named = new Set(
      LIFECYCLE_TABLE.flatMap((r) => [r.from, r.to ?? r.from]).filter((s) => s !== ''),
    );
    named.add('starting.authorizing');
    expect([...named].map(id).sort()).toEqual([...definition.states].sort());
  });

  it.each(MODEL_CONFIGS.map((c) => [c.name, c] as const))(
    'agrees with the machine on every generated path [%s]',
    (_name, config) => {
      const paths = generatePaths(config, SIMPLE_PATHS);
      expect(paths.length).toBeGreaterThan(50);
      // The first few disagreements tell what is wrong; judging the rest only makes a broken
      // chart (and each mutant of `npm run mutate`) slower to fail.
      const disagreements: string[] = [];
      for (const p of paths) {
        const d = judge(p);
        if (d !== undefined) disagreements.push(`${p.variants.join(' → ')}: ${d}`);
        if (disagreements.length === 5) break;
      }
      expect(disagreements, 'paths that disagree (the first 5)').toEqual([]);
    },
    120_000,
  );
});
