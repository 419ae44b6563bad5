/**
 * Model-based tests: paths generated from the production session machine with `xstate/graph`,
 * each run against a real `AgentSession` over HTTP against the emulator (./driver.ts), and a
 * coverage check that fails when a state or a transition of the machine was not taken by the
 * real session actors, or when an event of the machine has no way to be produced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionMachine } from '../../machines/session.machine.js';
import { EXECUTABLE, emptyCoverage, runPath } from './driver.js';
import {
  MODEL_CONFIGS,
  UNREACHABLE,
  VARIANTS,
  generatePaths,
  machineDefinition,
  type GeneratedPath,
  SIMPLE_PATHS,
} from './model.js';

const generatedAt = Date.now();
const paths: GeneratedPath[] = MODEL_CONFIGS.flatMap((config) =>
  generatePaths(config, SIMPLE_PATHS),
);
const generationMs = Date.now() - generatedAt;
const coverage = emptyCoverage();
/** Paths selected to run (a `-t` filter or `.only` selects fewer). */
let pathsSelected = 0;
const startedAt = Date.now();

const title = (p: GeneratedPath) => `[${p.config.name}] → ${p.target}: ${p.variants.join(' → ')}`;

/**
 * Paths run this many at a time. They wait on the network far more than they compute, and
 * vitest's own limit for concurrent tests (5) would leave the cores idle; so each describe block
 * starts the runs of its selected tests in this pool, and each test awaits its own run.
 */
const CONCURRENCY = 8;
let running = 0;
const waiting: (() => void)[] = [];
async function inPool<T>(job: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await job();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

for (const kind of ['shortest', 'simple', 'transition'] as const) {
  describe(`${kind} paths`, () => {
    const selected = paths.filter((p) => p.kind === kind);
    const byTitle = new Map(selected.map((p) => [title(p), p]));
    const runs = new Map<GeneratedPath, Promise<void>>();
    // vitest wants a destructuring pattern for the context; the suite (second) is what is used.
    // eslint-disable-next-line no-empty-pattern
    beforeAll(({}, suite) => {
      for (const task of suite.tasks) {
        const path = byTitle.get(task.name);
        if (!path || task.mode !== 'run') continue;
        pathsSelected++;
        const run = inPool(() => runPath(path, coverage));
        run.catch(() => undefined); // reported by its test
        runs.set(path, run);
      }
    });
    for (const path of selected) {
      it(title(path), async () => {
        await (runs.get(path) ?? runPath(path, coverage));
      });
    }
  });
}

describe('coverage of the machine by the real session', () => {
  const definition = machineDefinition(sessionMachine);

  it('has a way to produce every event of the machine, and runs every variant', () => {
    const produced = new Set(VARIANTS.map((v) => v.type));
    const unreachableOnly = (type: string) =>
      definition.transitions
        .filter((t) => t.eventType === type)
        .every((t) => UNREACHABLE.has(t.key));
    const missing = [...sessionMachine.events].filter(
      (type) => !produced.has(type) && !unreachableOnly(type),
    );
    expect(missing, 'machine events without a variant that produces them').toEqual([]);
    const noExecutor = VARIANTS.filter((v) => !EXECUTABLE.has(v.name)).map((v) => v.name);
    expect(noExecutor, 'variants the driver cannot execute').toEqual([]);
  });

  it('took every state and every transition (all paths run)', (ctx) => {
    // A filtered or failed run: the figures are partial, so no verdict on coverage. Say so loudly:
    // a skipped gate must not pass for a green one.
    if (pathsSelected < paths.length) {
      const note = `coverage gate skipped because filtered: ${pathsSelected} of ${paths.length} paths selected (run the whole file for a verdict)`;
      console.warn(`\n*** ${note} ***\n`);
      ctx.skip(note);
    }
    if (coverage.paths < paths.length) {
      const note = `coverage gate skipped because ${paths.length - coverage.paths} of ${paths.length} paths failed (see their errors)`;
      console.warn(`\n*** ${note} ***\n`);
      ctx.skip(note);
    }
    const notTakenStates = definition.states.filter((s) => !coverage.states.has(s));
    const reachable = definition.transitions.filter((t) => !UNREACHABLE.has(t.key));
    const notTaken = reachable.filter((t) => !coverage.transitions.has(t.key)).map((t) => t.key);
    const unreachableTaken = [...UNREACHABLE.keys()].filter((k) => coverage.transitions.has(k));
    const known = new Set(definition.transitions.map((t) => t.key));
    const unknown = [...coverage.transitions].filter((k) => !known.has(k));
    const notRun = VARIANTS.filter((v) => !coverage.variants.has(v.name)).map((v) => v.name);
    expect(notTakenStates, 'states no real session entered').toEqual([]);
    expect(notTaken, 'transitions no real session took').toEqual([]);
    expect(unreachableTaken, 'transitions listed as unreachable that were taken').toEqual([]);
    expect(unknown, 'transitions taken that the definition does not have').toEqual([]);
    expect(notRun, 'variants no path executed').toEqual([]);
  });

  afterAll(() => {
    const count = (kind: string) => paths.filter((p) => p.kind === kind).length;
    const taken = definition.transitions.filter((t) => coverage.transitions.has(t.key)).length;
    const states = definition.states.filter((s) => coverage.states.has(s)).length;
    console.log(
      [
        'model coverage (taken by the real session actors):',
        `  states      ${states}/${definition.states.length}`,
        `  transitions ${taken}/${definition.transitions.length} (${UNREACHABLE.size} unreachable through the public API, listed in test/model/model.ts)`,
        `  variants    ${coverage.variants.size}/${VARIANTS.length}`,
        `  paths run   ${coverage.paths}/${paths.length} (shortest ${count('shortest')}, simple ${count('simple')}, transition ${count('transition')})`,
        `  generation  ${generationMs} ms, run ${Date.now() - startedAt} ms`,
      ].join('\n'),
    );
  });
});
